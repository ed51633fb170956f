import type { ReservationStatus } from "@haul/core/reservation/reservation";

/** What both reservation routes answer: the id, the status, and where to follow and cancel it. */
export interface ReservationReceipt {
  readonly reservationId: string;
  readonly status: ReservationStatus;
  readonly links: { readonly self: string; readonly cancel: string };
}

export function makeReceipt(reservationId: string, status: ReservationStatus): ReservationReceipt {
  return {
    reservationId,
    status,
    links: { self: `/reservations/${reservationId}`, cancel: `/reservations/${reservationId}/cancel` },
  };
}
