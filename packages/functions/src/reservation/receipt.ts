import type { z } from "zod";
import type { ReservationStatus } from "@haul/core/reservation/reservation";
import type { reservationReceipt } from "../route-contracts.js";

/** What the reservation commands answer: the id, the status, and where to follow and cancel it. */
export type ReservationReceipt = z.infer<typeof reservationReceipt>;

export function makeReceipt(reservationId: string, status: ReservationStatus): ReservationReceipt {
  return {
    reservationId,
    status,
    links: { self: `/reservations/${reservationId}`, cancel: `/reservations/${reservationId}/cancel` },
  };
}
