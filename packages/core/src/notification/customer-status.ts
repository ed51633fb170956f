/**
 * What a customer's live connections receive when their reservation's status changes: one
 * `reservation-status` frame per event, made from the workflow's notification. `eventId` lets the
 * app drop a repeat; `status` is the reservation's status after the change.
 */
import { z } from "zod";
import type { DriverNotification, NotificationType } from "../reservation/schema.js";
import { ReservationStatus } from "../reservation/status.js";
import type { DeliveryReport } from "./notify-driver.js";

export * as CustomerStatus from "./customer-status.js";

export const ReservationStatusFrame = z
  .object({
    type: z.literal("reservation-status"),
    eventId: z.string().describe("`<reservation id>:<event type>`; the same event may arrive twice, drop the repeat"),
    reservationId: z.uuid(),
    status: ReservationStatus.describe("The reservation's status after the change"),
    occurredAt: z.iso.datetime().describe("When the status changed"),
    correlationId: z
      .string()
      .optional()
      .describe("The correlation id of the request that caused the change, when known: operators find its logs by it"),
  })
  .meta({ id: "ReservationStatusFrame" });
export type ReservationStatusFrame = z.infer<typeof ReservationStatusFrame>;

/** The status each event leaves the reservation in. */
export const statusAfter: Readonly<Record<NotificationType, ReservationStatus>> = {
  "reservation-confirmed": "CONFIRMED",
  "reservation-rejected": "REJECTED",
  "reservation-cancelled": "CANCELLED",
  "reservation-withdrawn": "FAILED",
  "reservation-picked-up": "IN_TRANSIT",
  "reservation-delivered": "COMPLETED",
};

export function toStatusFrame(notification: DriverNotification): ReservationStatusFrame {
  return {
    type: "reservation-status",
    eventId: notification.eventId,
    reservationId: notification.reservationId.toLowerCase(),
    status: statusAfter[notification.type],
    occurredAt: notification.occurredAt,
  };
}

export interface NotifyCustomerOutcome extends DeliveryReport {
  readonly customerId: string;
}

/**
 * Pushes the event's frame to every live connection of the reservation's customer, once; as for
 * drivers, a connection that cannot take it now is not retried (the query service has the status).
 */
export async function notifyCustomer(
  notification: DriverNotification,
  deliver: (customerId: string, frame: ReservationStatusFrame) => Promise<DeliveryReport>,
): Promise<NotifyCustomerOutcome> {
  const customerId = notification.customerId.toLowerCase();
  return { customerId, ...(await deliver(customerId, toStatusFrame(notification))) };
}
