import { z } from "zod";
import { Reservation } from "@haul/core/reservation/reservation";
import { workflowTask } from "../../shared/workflow-task.js";

const PersistReservationInput = z.object({ reservationId: z.uuid(), correlationId: z.string().min(1) });

/** PersistReservation: PENDING -> CONFIRMED | REJECTED; returns the view the workflow keeps at $.reservation. */
export const handler = workflowTask(PersistReservationInput, ({ reservationId }) => Reservation.persist(reservationId));
