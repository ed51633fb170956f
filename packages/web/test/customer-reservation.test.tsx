// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReservationView } from "../src/pages/customer/api-types.js";
import ReservationPage from "../src/pages/customer/ReservationPage.js";
import { customerToken, FakeSocket, json, renderPage, signInCustomer, stubFetch, type SeenRequest } from "./customer-harness.js";

// Leaflet does not draw in happy-dom; the browser tests keep the real map.
vi.mock("../src/map/HaulMap.js", () => ({
  HaulMap: ({ markers }: { markers: ReadonlyArray<{ id: string; position: readonly number[]; stale?: boolean }> }) => (
    <div data-testid="map" data-markers={JSON.stringify(markers)} />
  ),
}));

const id = "a0000000-0000-4000-8000-0000000000aa";
const hour = 3_600_000;

function reservation(overrides: Partial<ReservationView> = {}): ReservationView {
  return {
    reservationId: id,
    customerId: "c0000000-0000-4000-8000-000000000001",
    driverId: "d0000000-0000-4000-8000-000000000001",
    status: "CONFIRMED",
    statusReason: null,
    statusChangedAt: "2026-11-20T10:00:01.000Z",
    pickedUpAt: null,
    deliveredAt: null,
    pickup: { lat: 52.5208, lon: 13.4094, address: "Alexanderplatz 1, Berlin" },
    dropoff: { lat: 52.3906, lon: 13.0645, address: "Am Neuen Markt 1, Potsdam" },
    window: { start: new Date(Date.now() + 2 * hour).toISOString(), end: new Date(Date.now() + 6 * hour).toISOString() },
    cargo: { weightKg: 800, description: "Machine parts" },
    version: 2,
    createdAt: "2026-11-20T10:00:00.000Z",
    updatedAt: "2026-11-20T10:00:01.000Z",
    workflow: { phase: "confirmed", settled: true, since: "2026-11-20T10:00:01.000Z", executionName: id },
    ...overrides,
  };
}

function serve(view: ReservationView | null, extra: (request: SeenRequest) => Response | undefined = () => undefined) {
  return stubFetch((request) => {
    const answer = extra(request);
    if (answer) return answer;
    if (request.url.host === "query.test" && request.url.pathname === `/reservations/${id}`)
      return view ? json(200, view, "corr-read") : json(404, { title: "Not found", detail: "No such reservation" }, "corr-404");
    if (request.url.host === "tracking.test") return json(200, { reservationId: id, status: view?.status, pickedUpAt: view?.pickedUpAt, deliveredAt: null, positions: [], nextCursor: null });
    return json(500, { title: `unexpected ${request.method} ${request.url}` });
  });
}

const show = (fetchImpl: typeof fetch) => renderPage(<ReservationPage />, "/customer/reservations/:id", `/customer/reservations/${id}`, fetchImpl);
const statusBadge = () => screen.findByTestId("reservation-status");

beforeEach(() => {
  signInCustomer();
  FakeSocket.instances = [];
  vi.stubGlobal("WebSocket", FakeSocket);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** The page opens its socket in an effect, after its first render: wait for it rather than race it. */
async function openedSocket(): Promise<FakeSocket> {
  return waitFor(() => {
    const socket = FakeSocket.instances[0];
    if (!socket) throw new Error("no socket opened yet");
    return socket;
  });
}

describe("ReservationPage", () => {
  it("shows the status and timeline, and applies a pushed reservation-status frame", async () => {
    const { fetchImpl, requests } = serve(reservation());
    show(fetchImpl);
    expect((await statusBadge()).textContent).toBe("Confirmed");
    expect(screen.getByText("Confirmed", { selector: "strong" }).closest("li")?.getAttribute("aria-current")).toBe("step");

    const socket = await openedSocket();
    expect(new URL(socket.url).searchParams.get("token")).toBe(customerToken);
    act(() => socket.accept());
    expect(socket.sent).toContainEqual({ action: "subscribe", reservationId: id });

    act(() => socket.push({ type: "reservation-status", eventId: `${id}:reservation-picked-up`, reservationId: id, status: "IN_TRANSIT", occurredAt: new Date().toISOString() }));
    expect((await statusBadge()).getAttribute("data-status")).toBe("IN_TRANSIT");
    expect(screen.getByRole("status").textContent).toMatch(/In transit/);
    expect(screen.getByText("Picked up", { selector: "strong" }).closest("li")?.getAttribute("aria-current")).toBe("step");
    // Picked up: the trail is read, and cancelling is no longer offered.
    await waitFor(() => expect(requests.some((request) => request.url.host === "tracking.test")).toBe(true));
    expect(screen.queryByRole("button", { name: /cancel/i })).toBeNull();

    // Another reservation's frame changes nothing.
    act(() => socket.push({ type: "reservation-status", eventId: "other:x", reservationId: "other", status: "COMPLETED", occurredAt: new Date().toISOString() }));
    expect((await statusBadge()).getAttribute("data-status")).toBe("IN_TRANSIT");
  });

  it("asks the query service again when a position comes while it still shows CONFIRMED (a status frame was missed)", async () => {
    let current = reservation();
    const { fetchImpl, requests } = serve(null, (request) =>
      request.url.host === "query.test" && request.url.pathname === `/reservations/${id}` ? json(200, current, "corr-read") : undefined,
    );
    show(fetchImpl);
    expect((await statusBadge()).getAttribute("data-status")).toBe("CONFIRMED");
    const socket = await openedSocket();
    act(() => socket.accept());

    const pickedUpAt = new Date(Date.now() - 20_000).toISOString();
    current = reservation({ status: "IN_TRANSIT", statusChangedAt: pickedUpAt, pickedUpAt, workflow: { phase: "in-transit", settled: true, since: pickedUpAt, executionName: `${id}-pickup` } });
    const recordedAt = new Date(Date.now() - 5_000).toISOString();
    act(() => socket.push({ type: "position", reservationId: id, driverId: "d", position: { lat: 52.5, lon: 13.3, recordedAt, receivedAt: recordedAt }, ageSeconds: 5, stale: false }));
    await waitFor(async () => expect((await statusBadge()).getAttribute("data-status")).toBe("IN_TRANSIT"));
    const reads = requests.filter((request) => request.url.host === "query.test");
    expect(reads).toHaveLength(2);
    expect(reads[1]!.headers["cache-control"]).toBe("no-cache");
  });

  it("moves the truck with pushed positions and shows the stale badge for a stale frame", async () => {
    const pickedUpAt = new Date(Date.now() - 10 * 60_000).toISOString();
    const first = { lat: 52.52, lon: 13.41, recordedAt: new Date(Date.now() - 30_000).toISOString(), receivedAt: new Date().toISOString() };
    const { fetchImpl } = serve(reservation({ status: "IN_TRANSIT", pickedUpAt, workflow: { phase: "in-transit", settled: true, since: pickedUpAt, executionName: `${id}-pickup` } }), (request) =>
      request.url.host === "tracking.test" ? json(200, { reservationId: id, status: "IN_TRANSIT", pickedUpAt, deliveredAt: null, positions: [first], nextCursor: null }) : undefined,
    );
    show(fetchImpl);
    const position = await screen.findByText(/Last position/);
    expect(position.getAttribute("data-truck-position")).toBe("52.52,13.41");
    expect(screen.getByTestId("position-age").textContent).toMatch(/^\d+ s ago$/);
    expect(screen.queryByTestId("position-stale")).toBeNull();

    const socket = await openedSocket();
    act(() => socket.accept());
    const recordedAt = new Date(Date.now() - 5_000).toISOString();
    const frame = { type: "position", reservationId: id, driverId: "d", position: { lat: 52.5, lon: 13.3, recordedAt, receivedAt: recordedAt }, tickAt: new Date().toISOString() };
    act(() => socket.push({ ...frame, ageSeconds: 5, stale: false }));
    expect(screen.getByTestId("truck-position").getAttribute("data-truck-position")).toBe("52.5,13.3");
    expect(screen.queryByTestId("position-stale")).toBeNull();
    // The truck stopped sending: the next push repeats its last fix, now stale.
    act(() => socket.push({ ...frame, ageSeconds: 125, stale: true }));
    expect(screen.getByTestId("truck-position").getAttribute("data-truck-position")).toBe("52.5,13.3");
    expect(screen.getByTestId("position-stale").textContent).toMatch(/Stale/);
    expect(screen.getByTestId("position-age").textContent).toBe("2 min ago");
    const truck = JSON.parse(screen.getByTestId("map").getAttribute("data-markers")!).find((marker: { id: string }) => marker.id === "truck");
    expect(truck).toMatchObject({ position: [52.5, 13.3], stale: true });
  });

  it("ticks the position's age every second and calls it stale past 120 s", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    try {
      const pickedUpAt = new Date(Date.now() - 10 * 60_000).toISOString();
      const fix = { lat: 52.52, lon: 13.41, recordedAt: new Date(Date.now() - 100_000).toISOString(), receivedAt: new Date().toISOString() };
      const { fetchImpl } = serve(reservation({ status: "IN_TRANSIT", pickedUpAt }), (request) =>
        request.url.host === "tracking.test" ? json(200, { reservationId: id, status: "IN_TRANSIT", pickedUpAt, deliveredAt: null, positions: [fix], nextCursor: null }) : undefined,
      );
      show(fetchImpl);
      expect((await screen.findByTestId("position-age")).textContent).toBe("1 min ago");
      expect(screen.queryByTestId("position-stale")).toBeNull();
      act(() => vi.advanceTimersByTime(21_000));
      expect(screen.getByTestId("position-age").textContent).toBe("2 min ago");
      expect(screen.getByTestId("position-stale")).toBeTruthy();
    } finally {
      vi.useRealTimers();
    }
  });

  it("offers cancel only while CONFIRMED and before the window starts, and shows a refusal", async () => {
    const started = reservation({ window: { start: new Date(Date.now() - hour).toISOString(), end: new Date(Date.now() + hour).toISOString() } });
    const late = show(serve(started).fetchImpl);
    await statusBadge();
    expect(screen.queryByRole("button", { name: /cancel/i })).toBeNull();
    late.unmount();

    const { fetchImpl, requests } = serve(reservation(), (request) =>
      request.url.host === "reservation.test" ? json(409, { title: "Conflict", detail: "The reservation is IN_TRANSIT" }, "corr-cancel") : undefined,
    );
    show(fetchImpl);
    fireEvent.click(await screen.findByRole("button", { name: "Cancel reservation" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Not cancelled: Conflict: The reservation is IN_TRANSIT/);
    expect(requests.at(-1)).toMatchObject({ method: "POST", url: new URL(`http://reservation.test/reservations/${id}/cancel`) });
    expect(screen.getByText(/Correlation id of the last request: corr-cancel/)).toBeTruthy();
  });

  it("cancels: the status becomes CANCELLED and the button goes", async () => {
    const { fetchImpl } = serve(reservation(), (request) =>
      request.url.host === "reservation.test" ? json(202, { reservationId: id, status: "CANCELLED", links: { self: "", cancel: "" } }) : undefined,
    );
    show(fetchImpl);
    fireEvent.click(await screen.findByRole("button", { name: "Cancel reservation" }));
    await waitFor(async () => expect((await statusBadge()).getAttribute("data-status")).toBe("CANCELLED"));
    expect(screen.queryByRole("button", { name: /cancel/i })).toBeNull();
  });

  it("says not found or not yours for another customer's reservation", async () => {
    show(serve(null).fetchImpl);
    expect((await screen.findByRole("heading", { level: 1 })).textContent).toBe("Reservation not found");
    expect(screen.getByText(/not yours/)).toBeTruthy();
    expect(FakeSocket.instances).toHaveLength(0);
  });
});
