// @vitest-environment happy-dom
import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HaulMapProps } from "../src/map/HaulMap.js";
import FleetPage from "../src/pages/operator/FleetPage.js";
import { renderAs, stubFetch } from "./role-page-harness.js";

// Leaflet needs a laid-out DOM: the map is replaced by what it was asked to show.
vi.mock("../src/map/HaulMap.js", () => ({
  HaulMap: ({ label, markers, fitTo }: HaulMapProps) => (
    <ul aria-label={label} data-fit={JSON.stringify(fitTo)}>
      {markers.map((marker) => (
        <li key={marker.id} data-stale={String(Boolean(marker.stale))}>
          {marker.label}
        </li>
      ))}
    </ul>
  ),
}));

afterEach(cleanup);

describe("the fleet", () => {
  it("puts every placed truck on the map and in the table, stale ones marked, and fits the map to them", async () => {
    const truck = (reservationId: string, driverId: string, position: { lat: number; lon: number } | null, ageSeconds: number | null, stale: boolean) => ({
      reservationId,
      driverId,
      pickedUpAt: "2027-01-01T08:00:00.000Z",
      position: position && { ...position, recordedAt: "2027-01-01T08:10:00.000Z", receivedAt: "2027-01-01T08:10:01.000Z" },
      ageSeconds,
      stale,
    });
    const { fetchImpl } = stubFetch([
      {
        path: "tracking.test/ops/fleet",
        body: {
          asOf: "2027-01-01T08:10:12.000Z",
          trucks: [
            truck("11111111-1111-4111-8111-111111111111", "d1111111-1111-4111-8111-111111111111", { lat: 52.5, lon: 13.4 }, 12, false),
            truck("22222222-2222-4222-8222-222222222222", "d2222222-2222-4222-8222-222222222222", { lat: 52.4, lon: 13.1 }, 300, true),
            truck("33333333-3333-4333-8333-333333333333", "d3333333-3333-4333-8333-333333333333", null, null, true),
          ],
        },
      },
    ]);
    renderAs("operator", "o1", <FleetPage />, { fetchImpl });

    const map = await screen.findByRole("list", { name: "Map of the 3 trucks in transit" });
    const markers = await within(map).findAllByRole("listitem");
    expect(markers.map((marker) => [marker.textContent, marker.dataset.stale])).toEqual([
      ["Driver d1111111, reservation 11111111", "false"],
      ["Driver d2222222, reservation 22222222 (stale)", "true"],
    ]);
    expect(JSON.parse(map.dataset.fit!)).toEqual([
      [52.5, 13.4],
      [52.4, 13.1],
    ]);
    const rows = within(screen.getByRole("table")).getAllByRole("row").slice(1);
    expect(rows.map((row) => within(row).getAllByRole("cell").slice(4).map((cell) => cell.textContent))).toEqual([
      ["12 s ago", "live"],
      ["5 min ago", "stale"],
      ["—", "stale"],
    ]);
  });
});
