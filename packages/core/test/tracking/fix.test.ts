/** The fix batch POST /positions takes: every refusal names its entry; the stream record is canonical. */
import { describe, expect, it } from "vitest";
import { fixBatchSchema, maxFixesPerBatch, toStreamFixes } from "../../src/tracking/fix.js";

const now = new Date("2026-11-20T10:00:00.000Z");
const schema = fixBatchSchema(() => now);
const at = (secondsFromNow: number) => new Date(now.getTime() + secondsFromNow * 1000).toISOString();
const fix = (extra: Record<string, unknown> = {}) => ({ lat: 53.8, lon: -1.55, recordedAt: at(-10), ...extra });

/** The paths (dotted) and messages of the batch's issues. */
function problems(batch: unknown): Array<[string, string]> {
  const result = schema.safeParse(batch);
  if (result.success) return [];
  return result.error.issues.map((issue) => [issue.path.join("."), issue.message]);
}

describe("a fix batch", () => {
  it("takes 1 to 100 fixes with optional speed, heading, accuracy and reservation", () => {
    const batch = {
      reservationId: "6f1c1c3e-8a8e-4d43-9a3f-3f4c3a8f1b2d",
      fixes: Array.from({ length: maxFixesPerBatch }, (_, i) => fix({ recordedAt: at(-i), speed: 12.5, heading: 359.9, accuracy: 4 })),
    };
    expect(schema.safeParse(batch).success).toBe(true);
    expect(schema.safeParse({ fixes: [fix({ lat: -90, lon: 180, heading: 0, speed: 0, accuracy: 0 })] }).success).toBe(true);
  });

  it("refuses coordinates out of range or not numbers, naming each entry", () => {
    expect(problems({ fixes: [fix(), fix({ lat: 90.0001, recordedAt: at(-1) }), fix({ lon: -180.5, recordedAt: at(-2) }), fix({ lat: "53", recordedAt: at(-3) })] }).map(([path]) => path)).toEqual([
      "fixes.1.lat",
      "fixes.2.lon",
      "fixes.3.lat",
    ]);
    // JSON has no NaN or Infinity, but a caller in process might pass them.
    expect(problems({ fixes: [fix({ lat: Number.NaN }), fix({ lon: Number.POSITIVE_INFINITY, recordedAt: at(-1) })] }).map(([path]) => path)).toEqual(["fixes.0.lat", "fixes.1.lon"]);
  });

  it("refuses speed, heading and accuracy out of range", () => {
    expect(
      problems({
        fixes: [fix({ speed: -1 }), fix({ speed: 101, recordedAt: at(-1) }), fix({ heading: 360, recordedAt: at(-2) }), fix({ heading: -0.1, recordedAt: at(-3) }), fix({ accuracy: -2, recordedAt: at(-4) })],
      }).map(([path]) => path),
    ).toEqual(["fixes.0.speed", "fixes.1.speed", "fixes.2.heading", "fixes.3.heading", "fixes.4.accuracy"]);
  });

  it("refuses a recordedAt without an offset, too far ahead or too old, and allows the documented skew", () => {
    expect(problems({ fixes: [fix({ recordedAt: "2026-11-20T09:59:00" })] })).toEqual([["fixes.0.recordedAt", expect.any(String)]]);
    expect(problems({ fixes: [fix({ recordedAt: at(61) })] })).toEqual([["fixes.0.recordedAt", "is more than 60 s in the future"]]);
    expect(problems({ fixes: [fix({ recordedAt: at(-24 * 3600 - 1) })] })).toEqual([["fixes.0.recordedAt", "is more than 24 h old"]]);
    expect(problems({ fixes: [fix({ recordedAt: at(60) }), fix({ recordedAt: at(-24 * 3600) })] })).toEqual([]);
  });

  it("refuses two fixes at the same instant, however it is written", () => {
    const batch = { fixes: [fix({ recordedAt: "2026-11-20T09:59:00Z" }), fix({ recordedAt: "2026-11-20T11:59:00.000+02:00" }), fix({ recordedAt: "2026-11-20T09:59:01Z" })] };
    expect(problems(batch)).toEqual([["fixes.1.recordedAt", "is the same instant as fixes.0.recordedAt"]]);
  });

  it("names every bad entry at once: a field out of range beside a duplicate", () => {
    const batch = { fixes: [fix({ lat: 91 }), fix({ recordedAt: "yesterday" }), fix()] };
    expect(problems(batch).map(([path]) => path)).toEqual(["fixes.0.lat", "fixes.1.recordedAt", "fixes.2.recordedAt"]);
    expect(problems({ fixes: "many" }).map(([path]) => path)).toEqual(["fixes"]);
    expect(problems({ fixes: [null] }).map(([path]) => path)).toEqual(["fixes.0"]);
  });

  it("refuses an empty or oversized batch, unknown fields and a bad reservation id", () => {
    expect(problems({ fixes: [] }).map(([path]) => path)).toEqual(["fixes"]);
    expect(problems({ fixes: Array.from({ length: maxFixesPerBatch + 1 }, (_, i) => fix({ recordedAt: at(-i) })) }).map(([path]) => path)).toEqual(["fixes"]);
    expect(problems({ fixes: [fix({ altitude: 3 })] }).map(([path]) => path)).toEqual(["fixes.0"]);
    expect(problems({ reservationId: "r-1", fixes: [fix()] }).map(([path]) => path)).toEqual(["reservationId"]);
    // A driver cannot name another driver: the driver is the caller.
    expect(problems({ driverId: "someone", fixes: [fix()] }).map(([path]) => path)).toEqual([""]);
  });
});

describe("the stream record of a fix", () => {
  it("is the caller's, with recordedAt in UTC to the millisecond", () => {
    const batch = schema.parse({ reservationId: "6F1C1C3E-8A8E-4D43-9A3F-3F4C3A8F1B2D", fixes: [fix({ recordedAt: "2026-11-20T11:59:30+02:00", speed: 3 })] });
    expect(toStreamFixes("driver-1", batch)).toEqual([
      { driverId: "driver-1", reservationId: "6f1c1c3e-8a8e-4d43-9a3f-3f4c3a8f1b2d", lat: 53.8, lon: -1.55, recordedAt: "2026-11-20T09:59:30.000Z", speed: 3 },
    ]);
  });
});
