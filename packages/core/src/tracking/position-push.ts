/**
 * The one-minute push, coordinator half: who gets which frame this tick. It scans the live
 * subscriptions (the cost grows with connections, not with positions stored), batch-gets the
 * tracking sessions of their reservations, keeps those IN_TRANSIT, and asks OpenSearch ONCE for
 * the latest position of all their drivers. Each subscribed connection then gets its reservation's
 * frame, but only with a position recorded at or after the pickup: a customer never sees where
 * the driver was before their delivery began (nor after it: a delivered session is CLOSED).
 *
 * The worker half (packages/functions/src/tracking/push-latest-positions.ts) pushes a batch of
 * targets; a fan-out over several invocations would hand each worker a slice of `targets`.
 * Frames depend only on the tick's time and the stored state: a tick run twice (EventBridge may
 * deliver an event twice) pushes the same frames again, which is harmless.
 */
import { Subscription } from "../live/subscription.js";
import { latestPositions, type PositionReaderOptions } from "./latest-positions.js";
import { ageSeconds, isStale, type Position } from "./position.js";
import { isInTransit, TrackingSession, type InTransitSession } from "./tracking-session.js";

export * as PositionPush from "./position-push.js";

export interface PositionFrame {
  readonly type: "position";
  readonly reservationId: string;
  readonly driverId: string;
  readonly position: Position;
  readonly ageSeconds: number;
  readonly stale: boolean;
  /** The tick's scheduled time: the same for every frame of a tick, and for a repeated tick. */
  readonly tickAt: string;
}

export interface PushTarget {
  readonly connectionId: string;
  readonly frame: PositionFrame;
}

export interface PushPlan {
  readonly tickAt: string;
  /** Distinct connections with an open subscription. */
  readonly connections: number;
  /** Drivers in transit whose latest position was asked for (in one request). */
  readonly drivers: number;
  /** One per (connection, reservation in transit with a position since pickup). */
  readonly targets: readonly PushTarget[];
}

export async function plan(tickAt: Date, options: PositionReaderOptions = {}): Promise<PushPlan> {
  const subscriptions = await Subscription.listAll(tickAt);
  const sessions = await TrackingSession.getMany(subscriptions.map((subscription) => subscription.reservationId));
  const inTransit = new Map<string, InTransitSession>();
  for (const [reservationId, session] of sessions) if (isInTransit(session)) inTransit.set(reservationId, session);

  const drivers = new Set([...inTransit.values()].map((session) => session.driverId));
  const since = [...inTransit.values()].map((session) => session.pickedUpAt).sort()[0];
  const latest = await latestPositions({ driverIds: [...drivers], ...(since ? { recordedSince: since } : {}) }, options);

  const frames = new Map<string, PositionFrame | null>();
  const frameOf = (session: InTransitSession): PositionFrame | null => {
    if (!frames.has(session.reservationId)) {
      const position = latest.get(session.driverId);
      const sincePickup = position && Date.parse(position.recordedAt) >= Date.parse(session.pickedUpAt) ? position : undefined;
      frames.set(
        session.reservationId,
        sincePickup
          ? {
              type: "position",
              reservationId: session.reservationId,
              driverId: session.driverId,
              position: sincePickup,
              ageSeconds: ageSeconds(sincePickup, tickAt),
              stale: isStale(sincePickup, tickAt),
              tickAt: tickAt.toISOString(),
            }
          : null,
      );
    }
    return frames.get(session.reservationId) ?? null;
  };

  const targets: PushTarget[] = [];
  for (const subscription of subscriptions) {
    const session = inTransit.get(subscription.reservationId);
    // The session was the subscriber's when they subscribed; checking again costs nothing here.
    if (!session || session.customerId !== subscription.customerId) continue;
    const frame = frameOf(session);
    if (frame) targets.push({ connectionId: subscription.connectionId, frame });
  }
  return {
    tickAt: tickAt.toISOString(),
    connections: new Set(subscriptions.map((subscription) => subscription.connectionId)).size,
    drivers: drivers.size,
    targets,
  };
}
