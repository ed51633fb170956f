/**
 * A reservation's statuses and the transitions between them, as data.
 *
 * | from       | to         | by                                                                     |
 * |------------|------------|------------------------------------------------------------------------|
 * | (new)      | PENDING    | POST /reservations (accept), before the workflow starts                 |
 * | PENDING    | CONFIRMED  | PersistReservation: no CONFIRMED or IN_TRANSIT overlap for the driver   |
 * | PENDING    | REJECTED   | PersistReservation: overlaps a CONFIRMED or IN_TRANSIT reservation      |
 * | PENDING    | FAILED     | MarkReservationFailed: the workflow gave up before deciding             |
 * | CONFIRMED  | CANCELLED  | POST /reservations/{id}/cancel, before the window starts                |
 * | CONFIRMED  | FAILED     | MarkReservationFailed: a step after the decision gave up                |
 * | CONFIRMED  | IN_TRANSIT | POST /reservations/{id}/pickup by the assigned driver, from             |
 * |            |            | `pickupLeadMinutes` before the window starts                            |
 * | IN_TRANSIT | COMPLETED  | POST /reservations/{id}/deliver by the assigned driver                  |
 * | REJECTED, FAILED, CANCELLED, COMPLETED | — | terminal                                                |
 *
 * A PENDING reservation cannot be cancelled: the decision takes milliseconds, so the customer is
 * told to retry (409) rather than racing the workflow.
 *
 * IN_TRANSIT cannot become FAILED: the cargo is on the truck, and a workflow step that gives up
 * (say, the create execution's notification retried out while the driver was already loading)
 * must not abandon a delivery under way. Such an execution fails visibly and leaves the
 * reservation as it is; only the driver's delivery ends it. Nor can it be cancelled: the window
 * has started or is about to.
 */
import { z } from "zod";

export const reservationStatuses = ["PENDING", "CONFIRMED", "IN_TRANSIT", "REJECTED", "FAILED", "CANCELLED", "COMPLETED"] as const;
export const ReservationStatus = z.enum(reservationStatuses).meta({ id: "ReservationStatus" });
export type ReservationStatus = z.infer<typeof ReservationStatus>;

export const transitions: Readonly<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  PENDING: ["CONFIRMED", "REJECTED", "FAILED"],
  CONFIRMED: ["CANCELLED", "IN_TRANSIT", "FAILED"],
  IN_TRANSIT: ["COMPLETED"],
  REJECTED: [],
  FAILED: [],
  CANCELLED: [],
  COMPLETED: [],
};

/** How long before the window starts the assigned driver may mark the pickup. */
export const pickupLeadMinutes = 60;

export function canTransition(from: ReservationStatus, to: ReservationStatus): boolean {
  return transitions[from].includes(to);
}

/** No transition leaves a terminal status. */
export function isTerminal(status: ReservationStatus): boolean {
  return transitions[status].length === 0;
}
