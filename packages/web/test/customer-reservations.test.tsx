// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ReservationView } from "../src/pages/customer/api-types.js";
import ReservationsPage from "../src/pages/customer/ReservationsPage.js";
import { json, renderPage, signInCustomer, stubFetch } from "./customer-harness.js";

function row(n: number, status: ReservationView["status"]): ReservationView {
  const id = `a0000000-0000-4000-8000-00000000000${n}`;
  return {
    reservationId: id,
    customerId: "c0000000-0000-4000-8000-000000000001",
    driverId: "d0000000-0000-4000-8000-000000000001",
    status,
    statusReason: null,
    statusChangedAt: "2026-11-20T10:00:01.000Z",
    pickedUpAt: null,
    deliveredAt: null,
    pickup: { lat: 52.52, lon: 13.41, address: `Pickup street ${n}` },
    dropoff: { lat: 52.39, lon: 13.06, address: `Dropoff street ${n}` },
    window: { start: `2027-01-0${n}T08:00:00.000Z`, end: `2027-01-0${n}T12:00:00.000Z` },
    cargo: { weightKg: 100 * n, description: `Crates ${n}` },
    version: 2,
    createdAt: "2026-11-20T10:00:00.000Z",
    updatedAt: "2026-11-20T10:00:01.000Z",
    workflow: { phase: "confirmed", settled: true, since: "2026-11-20T10:00:01.000Z", executionName: id },
  };
}

const pages: Record<string, { items: ReservationView[]; nextCursor: string | null }> = {
  first: { items: [row(1, "CONFIRMED"), row(2, "IN_TRANSIT")], nextCursor: "cursor-2" },
  "cursor-2": { items: [row(3, "CANCELLED")], nextCursor: null },
};

beforeEach(signInCustomer);
afterEach(cleanup);

describe("ReservationsPage", () => {
  it("lists the reservations with status badges and links, and pages forward and back", async () => {
    const { fetchImpl, requests } = stubFetch((request) => json(200, pages[request.url.searchParams.get("cursor") ?? "first"]));
    renderPage(<ReservationsPage />, "/customer/reservations", "/customer/reservations", fetchImpl);

    const firstRow = (await screen.findByText("Pickup street 1")).closest("tr")!;
    expect(within(firstRow).getByText("Confirmed").getAttribute("data-status")).toBe("CONFIRMED");
    expect(within(firstRow).getByRole("link").getAttribute("href")).toBe("/customer/reservations/a0000000-0000-4000-8000-000000000001");
    expect(within(screen.getByRole("table")).getByText("In transit").getAttribute("data-status")).toBe("IN_TRANSIT");
    expect(requests[0]!.url.pathname).toBe("/reservations");
    expect((screen.getByRole("button", { name: "Previous page" }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    expect(await screen.findByText("Pickup street 3")).toBeTruthy();
    expect(screen.queryByText("Pickup street 1")).toBeNull();
    expect(requests.at(-1)!.url.searchParams.get("cursor")).toBe("cursor-2");
    expect((screen.getByRole("button", { name: "Next page" }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole("button", { name: "Previous page" }));
    expect(await screen.findByText("Pickup street 1")).toBeTruthy();
    expect(requests.at(-1)!.url.searchParams.has("cursor")).toBe(false);
  });

  it("filters by status from the first page", async () => {
    const { fetchImpl, requests } = stubFetch((request) =>
      request.url.searchParams.get("status") === "CANCELLED" ? json(200, { items: [row(3, "CANCELLED")], nextCursor: null }) : json(200, pages[request.url.searchParams.get("cursor") ?? "first"]),
    );
    renderPage(<ReservationsPage />, "/customer/reservations", "/customer/reservations", fetchImpl);
    await screen.findByText("Pickup street 1");
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("Pickup street 3");

    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "CANCELLED" } });
    await screen.findByText("Pickup street 3");
    expect(requests.at(-1)!.url.searchParams.get("status")).toBe("CANCELLED");
    expect(requests.at(-1)!.url.searchParams.has("cursor")).toBe(false);
  });

  it("says so when the list cannot be read", async () => {
    const { fetchImpl } = stubFetch(() => json(500, { title: "Internal error" }));
    renderPage(<ReservationsPage />, "/customer/reservations", "/customer/reservations", fetchImpl);
    expect((await screen.findByRole("alert")).textContent).toMatch(/Internal error/);
  });
});
