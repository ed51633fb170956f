/**
 * The operators' fleet view: every truck in transit (the IN_TRANSIT tracking sessions, scanned
 * through all pages) with its latest position since pickup, from one OpenSearch request for all
 * their drivers.
 */
import { z } from "zod";
import { latestPositions, type PositionReaderOptions } from "./latest-positions.js";
import { ageSeconds, isStale, Position } from "./position.js";
import { TrackingSession } from "./tracking-session.js";

export * as Fleet from "./fleet.js";

export const FleetTruck = z
  .object({
    reservationId: z.string(),
    driverId: z.string(),
    pickedUpAt: z.iso.datetime(),
    position: Position.nullable().describe("The latest position since pickup; null when none arrived yet"),
    ageSeconds: z.number().int().nullable().describe("Seconds since the position was recorded; null without one"),
    stale: z.boolean().describe("No position, or one older than the stale threshold"),
  })
  .meta({ id: "FleetTruck" });
export type FleetTruck = z.infer<typeof FleetTruck>;

export const FleetView = z
  .object({ asOf: z.iso.datetime(), trucks: z.array(FleetTruck).describe("By pickup time, earliest first") })
  .meta({ id: "FleetView" });
export type FleetView = z.infer<typeof FleetView>;

export async function inTransit(now: Date = new Date(), options: PositionReaderOptions = {}): Promise<FleetView> {
  const sessions = await TrackingSession.listInTransit();
  const since = sessions.map((session) => session.pickedUpAt).sort()[0];
  const latest = await latestPositions({ driverIds: sessions.map((session) => session.driverId), ...(since ? { recordedSince: since } : {}) }, options);
  const trucks = sessions
    .map((session): FleetTruck => {
      const found = latest.get(session.driverId);
      // A driver's newest position may be from before this pickup (a driver on several sessions): none then.
      const position = found && Date.parse(found.recordedAt) >= Date.parse(session.pickedUpAt) ? found : null;
      return {
        reservationId: session.reservationId,
        driverId: session.driverId,
        pickedUpAt: new Date(session.pickedUpAt).toISOString(),
        position,
        ageSeconds: position ? ageSeconds(position, now) : null,
        stale: position ? isStale(position, now) : true,
      };
    })
    .sort((a, b) => a.pickedUpAt.localeCompare(b.pickedUpAt) || a.reservationId.localeCompare(b.reservationId));
  return { asOf: now.toISOString(), trucks };
}
