/**
 * Who hears which reservation event. A pure table, so the consumer's routing is data a test reads.
 *
 * | event                  | driver (history + push)        | customer (status frame pushed) |
 * |------------------------|--------------------------------|--------------------------------|
 * | reservation-confirmed  | yes: a new job                 | yes: CONFIRMED                 |
 * | reservation-rejected   | no: they never had the job     | yes: REJECTED                  |
 * | reservation-cancelled  | yes: the job is off            | yes: CANCELLED                 |
 * | reservation-withdrawn  | yes: do not go to the pickup   | yes: FAILED                    |
 * | reservation-picked-up  | no: they marked it themselves  | yes: IN_TRANSIT                |
 * | reservation-delivered  | no: they marked it themselves  | yes: COMPLETED                 |
 *
 * The customer is told of every change of their reservation; customers keep no message history,
 * so a customer offline misses the frame and reads the status from the query service instead.
 */
import type { DriverNotification, NotificationType } from "../reservation/schema.js";

export * as Audiences from "./audience.js";

export interface Audience {
  /** The driver gets a message in their history, pushed to their connections. */
  readonly driver: boolean;
  /** The customer's connections get a `reservation-status` frame. */
  readonly customer: boolean;
}

export const audiences: Readonly<Record<NotificationType, Audience>> = {
  "reservation-confirmed": { driver: true, customer: true },
  "reservation-rejected": { driver: false, customer: true },
  "reservation-cancelled": { driver: true, customer: true },
  "reservation-withdrawn": { driver: true, customer: true },
  "reservation-picked-up": { driver: false, customer: true },
  "reservation-delivered": { driver: false, customer: true },
};

export function audienceOf(notification: Pick<DriverNotification, "type">): Audience {
  return audiences[notification.type];
}
