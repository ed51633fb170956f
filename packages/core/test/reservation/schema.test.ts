import { describe, expect, it } from "vitest";
import { ReservationRequest } from "../../src/reservation/schema.js";
import { requestBody, windowAt } from "../support/reservations.js";

const driverId = "d0000000-0000-4000-8000-000000000002";
const hourMs = 60 * 60 * 1000;

/** The dotted paths zod names for `body` (unknown keys named each). */
function faults(body: unknown): string[] {
  const result = ReservationRequest.safeParse(body);
  if (result.success) return [];
  return result.error.issues
    .flatMap((issue) =>
      issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key].join(".")) : [issue.path.join(".")],
    )
    .sort();
}

describe("ReservationRequest", () => {
  it("accepts a valid request and normalizes ids, text and times (any offset) to UTC", () => {
    const start = new Date(Math.ceil(Date.now() / hourMs) * hourMs + 48 * hourMs);
    const end = new Date(start.getTime() + 2 * hourMs);
    // The same instant as `end`, written as wall-clock time at +02:00.
    const endAtPlusTwo = new Date(end.getTime() + 2 * hourMs).toISOString().replace(".000Z", "+02:00");
    const parsed = ReservationRequest.parse(
      requestBody(driverId.toUpperCase(), {
        window: { start: start.toISOString(), end: endAtPlusTwo },
        cargo: { weightKg: 12.5, description: "  crates  " },
      }),
    );
    expect(parsed.driverId).toBe(driverId);
    expect(parsed.window).toEqual({ start: start.toISOString(), end: end.toISOString() });
    expect(parsed.cargo).toEqual({ weightKg: 12.5, description: "crates" });
  });

  it.each([
    ["an unknown top-level field", { colour: "red" }, ["colour"]],
    ["a driver id that is not a UUID", { driverId: "driver-1" }, ["driverId"]],
    ["a latitude out of range", { pickup: { lat: 90.5, lon: 0, address: "x" } }, ["pickup.lat"]],
    ["a longitude out of range", { dropoff: { lat: 0, lon: -180.01, address: "x" } }, ["dropoff.lon"]],
    ["a blank address", { pickup: { lat: 0, lon: 0, address: "   " } }, ["pickup.address"]],
    ["an address over 300 characters", { pickup: { lat: 0, lon: 0, address: "a".repeat(301) } }, ["pickup.address"]],
    ["an unknown field in a place", { pickup: { lat: 0, lon: 0, address: "x", zip: "1" } }, ["pickup.zip"]],
    ["zero weight", { cargo: { weightKg: 0, description: "x" } }, ["cargo.weightKg"]],
    ["negative weight", { cargo: { weightKg: -3, description: "x" } }, ["cargo.weightKg"]],
    ["weight finer than grams", { cargo: { weightKg: 1.0001, description: "x" } }, ["cargo.weightKg"]],
    ["a weight under one gram that zod's multipleOf lets through", { cargo: { weightKg: 5e-324, description: "x" } }, ["cargo.weightKg"]],
    ["an empty description", { cargo: { weightKg: 1, description: "" } }, ["cargo.description"]],
    ["a description over 500 characters", { cargo: { weightKg: 1, description: "d".repeat(501) } }, ["cargo.description"]],
    ["a time without offset", { window: { start: "2030-01-01T08:00:00", end: "2030-01-01T10:00:00Z" } }, ["window.start"]],
    ["a date without time", { window: { start: "2030-01-01", end: "2030-01-02T10:00:00Z" } }, ["window.start"]],
    ["a start in the past", { window: { start: new Date(Date.now() - hourMs).toISOString(), end: windowAt(0).end } }, ["window.start"]],
    ["an end before the start", { window: { start: windowAt(2).start, end: windowAt(0).start } }, ["window.end"]],
    ["an empty window", { window: { start: windowAt(0).start, end: windowAt(0).start } }, ["window.end"]],
    ["a window longer than 14 days", { window: windowAt(0, 14 * 24 + 1) }, ["window.end"]],
    ["a start more than a year ahead", { window: windowAt(366 * 24) }, ["window.start"]],
  ])("refuses %s, naming the field", (_case, overrides, expected) => {
    expect(faults({ ...requestBody(driverId), ...overrides })).toEqual(expected);
  });

  it("treats the same instant in two offsets as equal, so an empty window is refused whatever the offsets", () => {
    const { start } = windowAt(0);
    const sameInstant = new Date(start).toISOString().replace("Z", "+00:00");
    expect(faults(requestBody(driverId, { window: { start, end: sameInstant } }))).toEqual(["window.end"]);
  });

  it("requires every field", () => {
    expect(faults({})).toEqual(["cargo", "driverId", "dropoff", "pickup", "window"]);
  });
});
