/**
 * A GPS fix as the driver app posts it, and the batch POST /positions takes. The limits are part
 * of the API (README, OpenAPI):
 *
 * - `maxFixesPerBatch` fixes per batch (1 to 100): one PutRecords request, well under 64 KB of body.
 * - recordedAt at most `maxFutureSkewSeconds` (60 s) ahead of the server's clock: phones' clocks
 *   drift a little; a fix from further ahead would stay "the latest" until its time came.
 * - recordedAt at most `maxFixAgeHours` (24 h) old: the stream keeps records 24 hours, and an older
 *   fix belongs to no delivery anyone still watches.
 * - no two fixes of a batch at the same instant: a fix is identified by (driver, recordedAt), so a
 *   second one would silently overwrite the first in OpenSearch. The same instant written another
 *   way (`Z`, `+00:00`, `+02:00`, with or without milliseconds) is the same instant.
 *
 * Each bad entry is named by its path (`fixes.3.lat`); a refused batch writes nothing.
 */
import { z } from "zod";

export * as Fix from "./fix.js";

export const maxFixesPerBatch = 100;
export const maxFutureSkewSeconds = 60;
export const maxFixAgeHours = 24;
/** 100 m/s is 360 km/h: anything faster is no truck's. */
export const maxSpeedMetersPerSecond = 100;
/** A fix whose uncertainty is wider than 10 km says nothing useful about where the truck is. */
export const maxAccuracyMeters = 10_000;

export const NewFix = z
  .strictObject({
    lat: z.number().min(-90).max(90).describe("Latitude, degrees (WGS 84)"),
    lon: z.number().min(-180).max(180).describe("Longitude, degrees (WGS 84)"),
    recordedAt: z.iso
      .datetime({ offset: true })
      .describe(`When the device took the fix, ISO-8601 with an offset; at most ${maxFutureSkewSeconds} s ahead and ${maxFixAgeHours} h behind the server's clock`),
    speed: z.number().min(0).max(maxSpeedMetersPerSecond).optional().describe(`Speed over ground, m/s (0 to ${maxSpeedMetersPerSecond})`),
    heading: z.number().min(0).lt(360).optional().describe("Course over ground, degrees clockwise from true north, [0, 360)"),
    accuracy: z.number().min(0).max(maxAccuracyMeters).optional().describe(`Horizontal accuracy, metres (0 to ${maxAccuracyMeters})`),
  })
  .meta({ id: "Fix" });
export type NewFix = z.infer<typeof NewFix>;

/** The batch POST /positions takes, judged against `clock()` (the server's time when it is parsed). */
export function fixBatchSchema(clock: () => Date = () => new Date()) {
  return z
    .strictObject({
      reservationId: z.uuid().optional().describe("The reservation the driver is on, if any (informative: trails are read by the driver and the pickup-delivery span)"),
      fixes: z.array(NewFix).min(1).max(maxFixesPerBatch).describe(`1 to ${maxFixesPerBatch} fixes, no two at the same instant`),
    })
    .superRefine((batch, context) => {
      // zod runs this even when some fields failed their own checks: judge only what parsed.
      if (!Array.isArray(batch.fixes)) return;
      const now = clock().getTime();
      const seen = new Map<number, number>();
      batch.fixes.forEach((fix, index) => {
        const at = typeof fix?.recordedAt === "string" ? Date.parse(fix.recordedAt) : Number.NaN;
        if (Number.isNaN(at)) return;
        const path = ["fixes", index, "recordedAt"];
        if (at > now + maxFutureSkewSeconds * 1000)
          context.addIssue({ code: "custom", path, message: `is more than ${maxFutureSkewSeconds} s in the future` });
        else if (at < now - maxFixAgeHours * 3_600_000)
          context.addIssue({ code: "custom", path, message: `is more than ${maxFixAgeHours} h old` });
        const first = seen.get(at);
        if (first === undefined) seen.set(at, index);
        else context.addIssue({ code: "custom", path, message: `is the same instant as fixes.${first}.recordedAt` });
      });
    })
    .meta({ id: "FixBatch" });
}

export const FixBatch = fixBatchSchema();
export type FixBatch = z.infer<typeof FixBatch>;

/**
 * What goes into the stream for one fix: the JSON the driver-positions pipeline indexes, with the
 * driver (the caller, never the body) and recordedAt in its one form (UTC, milliseconds).
 */
export interface StreamFix {
  readonly driverId: string;
  readonly reservationId?: string;
  readonly lat: number;
  readonly lon: number;
  readonly recordedAt: string;
  readonly speed?: number;
  readonly heading?: number;
  readonly accuracy?: number;
}

export function toStreamFixes(driverId: string, batch: FixBatch): StreamFix[] {
  return batch.fixes.map((fix) => ({
    driverId,
    ...(batch.reservationId === undefined ? {} : { reservationId: batch.reservationId.toLowerCase() }),
    lat: fix.lat,
    lon: fix.lon,
    recordedAt: new Date(fix.recordedAt).toISOString(),
    ...(fix.speed === undefined ? {} : { speed: fix.speed }),
    ...(fix.heading === undefined ? {} : { heading: fix.heading }),
    ...(fix.accuracy === undefined ? {} : { accuracy: fix.accuracy }),
  }));
}
