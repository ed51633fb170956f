import { describe, expect, it } from "vitest";
import { canTransition, isTerminal, reservationStatuses, transitions, type ReservationStatus } from "../../src/reservation/status.js";

const allowed: Record<ReservationStatus, ReservationStatus[]> = {
  PENDING: ["CONFIRMED", "REJECTED", "FAILED"],
  CONFIRMED: ["CANCELLED", "IN_TRANSIT", "FAILED"],
  IN_TRANSIT: ["COMPLETED"],
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

  it("reach COMPLETED only through IN_TRANSIT, and never fail once in transit", () => {
    const into = (to: ReservationStatus) => reservationStatuses.filter((from) => canTransition(from, to));
    expect(into("COMPLETED")).toEqual(["IN_TRANSIT"]);
    expect(into("IN_TRANSIT")).toEqual(["CONFIRMED"]);
    expect(canTransition("IN_TRANSIT", "FAILED")).toBe(false);
    expect(canTransition("IN_TRANSIT", "CANCELLED")).toBe(false);
  });

  it("match the statuses the reservations table accepts (its latest ENUM, in the migrations)", async () => {
    const { readdir, readFile } = await import("node:fs/promises");
    const dir = new URL("../../../../sql/migrations/", import.meta.url);
    let declared: string[] | undefined;
    for (const file of (await readdir(dir)).sort()) {
      const match = /status\s+ENUM\(([^)]*)\)/.exec(await readFile(new URL(file, dir), "utf8"));
      if (match?.[1]) declared = match[1].split(",").map((value) => value.trim().replace(/'/g, ""));
    }
    expect(declared?.sort()).toEqual([...reservationStatuses].sort());
  });
});
