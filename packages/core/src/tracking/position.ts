/**
 * A stored position as the tracking service answers it, read from a driver-positions document
 * (search/index-families/driver-positions.json: the pipeline moved lat/lon into `location` and
 * stamped `receivedAt`), and how old it is.
 */
import { z } from "zod";

/** A position older than this (by recordedAt) is marked stale in frames and in the fleet view. */
export const staleAfterSeconds = 120;

export const Position = z
  .object({
    lat: z.number(),
    lon: z.number(),
    recordedAt: z.iso.datetime().describe("When the device took the fix (UTC)"),
    receivedAt: z.iso.datetime().describe("When OpenSearch indexed it (UTC)"),
    speed: z.number().optional().describe("m/s"),
    heading: z.number().optional().describe("degrees from true north"),
    accuracy: z.number().optional().describe("metres"),
  })
  .meta({ id: "Position" });
export type Position = z.infer<typeof Position>;

/** The document's fields this reads (`_source`). */
export interface PositionDocument {
  readonly driverId: string;
  readonly location: { readonly lat: number; readonly lon: number };
  readonly recordedAt: string;
  readonly receivedAt: string;
  readonly speed?: number;
  readonly heading?: number;
  readonly accuracy?: number;
}

export function toPosition(document: PositionDocument): Position {
  return {
    lat: document.location.lat,
    lon: document.location.lon,
    recordedAt: new Date(document.recordedAt).toISOString(),
    receivedAt: new Date(document.receivedAt).toISOString(),
    ...(document.speed === undefined ? {} : { speed: document.speed }),
    ...(document.heading === undefined ? {} : { heading: document.heading }),
    ...(document.accuracy === undefined ? {} : { accuracy: document.accuracy }),
  };
}

/** Whole seconds since the fix was taken (0 for a fix from a clock a little ahead). */
export function ageSeconds(position: Pick<Position, "recordedAt">, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(position.recordedAt)) / 1000));
}

export function isStale(position: Pick<Position, "recordedAt">, now: Date): boolean {
  return ageSeconds(position, now) > staleAfterSeconds;
}
