/**
 * What the notification service does with one event the driver is told of (audience.ts): compose
 * the driver's message, store it in the history, then push it to every live connection the driver has.
 *
 * Store first: a message the driver was shown live can always be found again, and a driver who is
 * offline loses nothing (the message waits, unread, in the history). A failure to store fails the
 * notification, to be retried as a whole; nothing was pushed yet.
 *
 * Pushes are made once and not retried here: a connection that cannot take the message now (the
 * pusher already retried what the SDK retries) still has it in the history, unread, which the app
 * lists when it (re)connects. Retrying the notification for it would push a second copy to every
 * connection that did take it. Pushing is injected (`deliver`): the domain knows no WebSocket API.
 *
 * Once in effect: the caller runs this at most once per event id (the consumer's idempotency
 * record); should it run twice anyway, the store keeps one message (`existing`).
 */
import { DriverMessages, type DriverMessage, type DriverMessageFrame, type DriverMessageNotification } from "./driver-message.js";
import type { StoreOutcome } from "./message-store.js";

/** What pushing to a user's connections did, by connection. */
export interface DeliveryReport {
  /** Connections that took the message. */
  readonly delivered: number;
  /** Connections found closed (forgotten by the pusher). */
  readonly gone: number;
  /** Connections that could not take it now; the history still has it. */
  readonly failed: number;
}

export interface NotifyDriverDependencies {
  readonly store: (message: DriverMessage) => Promise<StoreOutcome>;
  /** Pushes `frame` to every live connection of `driverId`, a few at a time. */
  readonly deliver: (driverId: string, frame: DriverMessageFrame) => Promise<DeliveryReport>;
}

export interface NotifyDriverOutcome extends DeliveryReport {
  readonly eventId: string;
  readonly driverId: string;
  readonly stored: StoreOutcome;
}

export async function notifyDriver(notification: DriverMessageNotification, dependencies: NotifyDriverDependencies): Promise<NotifyDriverOutcome> {
  const message = DriverMessages.compose(notification);
  const stored = await dependencies.store(message);
  const delivery = await dependencies.deliver(message.driverId, DriverMessages.toFrame(message));
  return { eventId: message.eventId, driverId: message.driverId, stored, ...delivery };
}
