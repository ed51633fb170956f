/**
 * A customer's live view of a reservation over the LiveApi: subscribing and unsubscribing.
 *
 * Subscribing reads the reservation's tracking session: it must exist, be the caller's, and not be
 * CLOSED. Anything else is the same NotFoundError, so the answer never tells whether someone
 * else's reservation exists. The subscription is recorded (several connections may follow one
 * reservation), and the answer carries the latest position at once while the delivery runs:
 * IN_TRANSIT and recorded at or after the pickup; before pickup there is none to show.
 */
import { NotFoundError } from "../errors.js";
import { Subscription } from "../live/subscription.js";
import type { Role } from "../user.js";
import { latestPositions, type PositionReaderOptions } from "./latest-positions.js";
import type { Position } from "./position.js";
import { isInTransit, TrackingSession, type TrackingSessionItem } from "./tracking-session.js";

export * as LiveTracking from "./live-tracking.js";

export interface Watcher {
  readonly userId: string;
  readonly role: Role;
  readonly connectionId: string;
  /** Epoch ms: the subscription expires with its connection. */
  readonly connectedAt: number;
}

/** The reservation's status as the customer knows it: OPEN sessions are CONFIRMED reservations. */
export type WatchedStatus = "CONFIRMED" | "IN_TRANSIT";

export interface SubscribedFrame {
  readonly type: "subscribed";
  readonly reservationId: string;
  readonly status: WatchedStatus;
  readonly position: Position | null;
}

export interface UnsubscribedFrame {
  readonly type: "unsubscribed";
  readonly reservationId: string;
}

export async function subscribe(watcher: Watcher, reservationId: string, options: PositionReaderOptions = {}): Promise<SubscribedFrame> {
  const id = reservationId.toLowerCase();
  const session = await TrackingSession.get(id);
  if (!session || !isWatchable(session, watcher)) throw new NotFoundError(`You have no reservation ${id} to follow.`);
  await Subscription.save({ connectionId: watcher.connectionId, reservationId: id, customerId: session.customerId, connectedAt: watcher.connectedAt });
  let position: Position | null = null;
  if (isInTransit(session)) {
    const latest = await latestPositions({ driverIds: [session.driverId], recordedSince: session.pickedUpAt }, options);
    position = latest.get(session.driverId) ?? null;
  }
  return { type: "subscribed", reservationId: id, status: session.sessionStatus === "IN_TRANSIT" ? "IN_TRANSIT" : "CONFIRMED", position };
}

export async function unsubscribe(watcher: Pick<Watcher, "connectionId">, reservationId: string): Promise<UnsubscribedFrame> {
  const id = reservationId.toLowerCase();
  await Subscription.remove(watcher.connectionId, id);
  return { type: "unsubscribed", reservationId: id };
}

function isWatchable(session: TrackingSessionItem, watcher: Watcher): boolean {
  return watcher.role === "customer" && session.customerId.toLowerCase() === watcher.userId.toLowerCase() && session.sessionStatus !== "CLOSED";
}
