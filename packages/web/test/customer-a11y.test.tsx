// @vitest-environment happy-dom
// axe-core over the customer's pages in their fullest states (errors shown, a live truck); the
// browser tests check the real pages again, with colours and the map.
import { act, cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReservationView } from "../src/pages/customer/api-types.js";
import ReservationPage from "../src/pages/customer/ReservationPage.js";
import ReservationsPage from "../src/pages/customer/ReservationsPage.js";
import ReservePage from "../src/pages/customer/ReservePage.js";
import { FakeSocket, json, renderPage, signInCustomer, stubFetch } from "./customer-harness.js";

vi.mock("../src/map/HaulMap.js", () => ({ HaulMap: ({ label }: { label: string }) => <div role="region" aria-label={label} /> }));

const id = "a0000000-0000-4000-8000-0000000000cc";
const pickedUpAt = new Date(Date.now() - 600_000).toISOString();
const view: ReservationView = {
  reservationId: id,
  customerId: "c0000000-0000-4000-8000-000000000001",
  driverId: "d0000000-0000-4000-8000-000000000001",
  status: "IN_TRANSIT",
  statusReason: null,
  statusChangedAt: pickedUpAt,
  pickedUpAt,
  deliveredAt: null,
  pickup: { lat: 52.5208, lon: 13.4094, address: "Alexanderplatz 1, Berlin" },
  dropoff: { lat: 52.3906, lon: 13.0645, address: "Am Neuen Markt 1, Potsdam" },
  window: { start: new Date(Date.now() - 900_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() },
  cargo: { weightKg: 800, description: "Machine parts" },
  version: 3,
  createdAt: "2026-11-20T10:00:00.000Z",
  updatedAt: pickedUpAt,
  workflow: { phase: "in-transit", settled: true, since: pickedUpAt, executionName: `${id}-pickup` },
};

/** Serious and critical violations; `region` is the Layout's business (the pages render without it here). */
async function seriousViolations() {
  const result = await axe.run(document.body, { rules: { region: { enabled: false }, "color-contrast": { enabled: false } } });
  return result.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.nodes[0]?.html}`);
}

beforeEach(() => {
  signInCustomer();
  FakeSocket.instances = [];
  vi.stubGlobal("WebSocket", FakeSocket);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("the customer's pages under axe-core", () => {
  it("the reservation form, with drivers listed and field errors shown", async () => {
    const { fetchImpl } = stubFetch((request) =>
      request.url.pathname === "/drivers/available"
        ? json(200, { from: "2027-01-01T08:00:00.000Z", to: "2027-01-01T12:00:00.000Z", drivers: [{ driverId: "d0000000-0000-4000-8000-000000000002", name: "Bea", truck: { id: "t", plate: "B-HL 2", class: "medium", capacityKg: 7500 } }] })
        : json(400, { title: "Invalid request", "invalid-params": [{ name: "body.cargo.weightKg", reason: "must be positive" }, { name: "body.dropoff.lon", reason: "is required" }] }),
    );
    renderPage(<ReservePage />, "/customer/reserve", "/customer/reserve", fetchImpl);
    fireEvent.click(screen.getByRole("button", { name: "Find available drivers" }));
    fireEvent.click(await screen.findByRole("radio"));
    fireEvent.click(screen.getByRole("button", { name: "Reserve" }));
    await screen.findByRole("alert");
    expect(await seriousViolations()).toEqual([]);
  });

  it("the list of reservations", async () => {
    const { fetchImpl } = stubFetch(() => json(200, { items: [view], nextCursor: "next" }));
    renderPage(<ReservationsPage />, "/customer/reservations", "/customer/reservations", fetchImpl);
    await screen.findByRole("table");
    expect(await seriousViolations()).toEqual([]);
  });

  it("a reservation in transit with a stale truck", async () => {
    const { fetchImpl } = stubFetch((request) =>
      request.url.host === "query.test" ? json(200, view) : json(200, { reservationId: id, status: "IN_TRANSIT", pickedUpAt, deliveredAt: null, positions: [], nextCursor: null }),
    );
    renderPage(<ReservationPage />, "/customer/reservations/:id", `/customer/reservations/${id}`, fetchImpl);
    await screen.findByTestId("reservation-status");
    const recordedAt = new Date(Date.now() - 200_000).toISOString();
    // The socket opens in an effect after the first render.
    const socket = await waitFor(() => {
      const opened = FakeSocket.instances[0];
      if (!opened) throw new Error("no socket opened yet");
      return opened;
    });
    act(() => socket.accept());
    act(() => socket.push({ type: "position", reservationId: id, position: { lat: 52.5, lon: 13.3, recordedAt, receivedAt: recordedAt }, ageSeconds: 200, stale: true }));
    await screen.findByTestId("position-stale");
    expect(await seriousViolations()).toEqual([]);
  });
});
