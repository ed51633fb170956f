import { describe, expect, it } from "vitest";
import { canTransition, isTerminal, reservationStatuses, transitions, type ReservationStatus } from "../../src/reservation/status.js";

const allowed: Record<ReservationStatus, ReservationStatus[]> = {
  PENDING: ["CONFIRMED", "REJECTED", "FAILED"],
  CONFIRMED: ["CANCELLED", "COMPLETED", "FAILED"],
  REJECTED: [],
  FAILED: [],
  CANCELLED: [],
  COMPLETED: [],
};

describe("reservation statuses", () => {
  it("allow exactly the documented transitions, and no other pair", () => {
    for (const from of reservationStatuses) {
      for (const to of reservationStatuses) {
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(allowed[from].includes(to));
      }
    }
    expect(transitions).toEqual(allowed);
  });

  it("never return to PENDING and never leave a terminal status", () => {
    for (const from of reservationStatuses) expect(canTransition(from, "PENDING")).toBe(false);
    expect(reservationStatuses.filter(isTerminal)).toEqual(["REJECTED", "FAILED", "CANCELLED", "COMPLETED"]);
  });

  it("match the statuses the reservations table accepts", async () => {
    const { readFile } = await import("node:fs/promises");
    const sql = await readFile(new URL("../../../../sql/migrations/0003_create_reservations.sql", import.meta.url), "utf8");
    const declared = /status\s+ENUM\(([^)]*)\)/.exec(sql)?.[1]?.split(",").map((value) => value.trim().replace(/'/g, ""));
    expect(declared).toEqual([...reservationStatuses]);
  });
});
