// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import AssignmentsPage from "../src/pages/driver/AssignmentsPage.js";
import { renderAs, stubFetch } from "./role-page-harness.js";

const driverId = "d0000000-0000-4000-8000-000000000001";
const hour = 3_600_000;

function reservation(id: string, status: string, startsInMs: number) {
  const start = new Date(Date.now() + startsInMs);
  return {
    reservationId: id,
    customerId: "c0000000-0000-4000-8000-000000000001",
    driverId,
    status,
    window: { start: start.toISOString(), end: new Date(start.getTime() + 4 * hour).toISOString() },
    pickup: { lat: 52.52, lon: 13.4, address: "Alexanderplatz 1, Berlin" },
    dropoff: { lat: 52.39, lon: 13.06, address: "Am Neuen Markt 1, Potsdam" },
    cargo: { weightKg: 800, description: `Cargo ${id}` },
  };
}

const soon = reservation("11111111-1111-4111-8111-111111111111", "CONFIRMED", 30 * 60_000);
const later = reservation("22222222-2222-4222-8222-222222222222", "CONFIRMED", 3 * hour);
const moving = reservation("33333333-3333-4333-8333-333333333333", "IN_TRANSIT", -hour);

afterEach(cleanup);

describe("the driver's assignments", () => {
  const routes = (pickupReply: { status: number; body: unknown }) =>
    stubFetch([
      {
        path: `query.test/drivers/${driverId}/reservations`,
        body: (url: URL) => ({ items: url.searchParams.get("status")?.includes("CONFIRMED") ? [soon, later, moving] : [], nextCursor: null }),
      },
      { method: "POST", path: `reservation.test/reservations/${soon.reservationId}/pickup`, ...pickupReply },
    ]);

  it("offers Pick up only from an hour before the window, Deliver only in transit, and shows the new status after a 202", async () => {
    const { fetchImpl, calls } = routes({ status: 202, body: { reservationId: soon.reservationId, status: "IN_TRANSIT", links: {} } });
    renderAs("driver", driverId, <AssignmentsPage />, { fetchImpl });

    const pickup = await screen.findByTestId(`pickup-${soon.reservationId}`);
    expect(screen.queryByTestId(`pickup-${later.reservationId}`)).toBeNull();
    expect(screen.getByText(/Pick up opens at/)).toBeTruthy();
    expect(screen.getByTestId(`deliver-${moving.reservationId}`)).toBeTruthy();
    expect(screen.queryByTestId(`deliver-${soon.reservationId}`)).toBeNull();
    // In transit comes first.
    expect(screen.getAllByRole("heading", { level: 3 })[0]!.textContent).toContain(`Cargo ${moving.reservationId}`);

    fireEvent.click(pickup);
    await screen.findByTestId(`deliver-${soon.reservationId}`);
    expect(calls.find((call) => call.method === "POST")?.url.pathname).toBe(`/reservations/${soon.reservationId}/pickup`);
    expect(screen.queryByTestId(`pickup-${soon.reservationId}`)).toBeNull();
  });

  it("shows a refusal as the API words it", async () => {
    const { fetchImpl } = routes({ status: 409, body: { title: "Conflict", detail: "The pickup opens at 2027-01-01T07:00:00.000Z" } });
    renderAs("driver", driverId, <AssignmentsPage />, { fetchImpl });
    fireEvent.click(await screen.findByTestId(`pickup-${soon.reservationId}`));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("Conflict: The pickup opens at 2027-01-01T07:00:00.000Z"));
  });
});
