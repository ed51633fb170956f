/**
 * A reservation's statuses and the transitions between them, as data.
 *
 * | from      | to                                  | by                                                        |
 * |-----------|-------------------------------------|-----------------------------------------------------------|
 * | (new)     | PENDING                             | POST /reservations (accept), before the workflow starts    |
 * | PENDING   | CONFIRMED                           | PersistReservation: no CONFIRMED overlap for the driver    |
 * | PENDING   | REJECTED                            | PersistReservation: overlaps a CONFIRMED reservation       |
 * | PENDING   | FAILED                              | MarkReservationFailed: the workflow gave up before deciding |
 * | CONFIRMED | CANCELLED                           | POST /reservations/{id}/cancel, before the window starts   |
 * | CONFIRMED | FAILED                              | MarkReservationFailed: a step after the decision gave up   |
 * | CONFIRMED | COMPLETED                           | the delivery ends (tracking service; not built yet)        |
 * | REJECTED, FAILED, CANCELLED, COMPLETED | —      | terminal                                                   |
 *
 * A PENDING reservation cannot be cancelled: the decision takes milliseconds, so the customer is
 * told to retry (409) rather than racing the workflow.
 */
import { z } from "zod";

export const reservationStatuses = ["PENDING", "CONFIRMED", "REJECTED", "FAILED", "CANCELLED", "COMPLETED"] as const;
export const ReservationStatus = z.enum(reservationStatuses).meta({ id: "ReservationStatus" });
export type ReservationStatus = z.infer<typeof ReservationStatus>;

export const transitions: Readonly<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  PENDING: ["CONFIRMED", "REJECTED", "FAILED"],
  CONFIRMED: ["CANCELLED", "COMPLETED", "FAILED"],
  REJECTED: [],
  FAILED: [],
  CANCELLED: [],
  COMPLETED: [],
};

export function canTransition(from: ReservationStatus, to: ReservationStatus): boolean {
  return transitions[from].includes(to);
}

/** No transition leaves a terminal status. */
export function isTerminal(status: ReservationStatus): boolean {
  return transitions[status].length === 0;
}
