import { z } from "zod";
import { Reservation } from "@haul/core/reservation/reservation";
import { ReservationCache } from "@haul/core/reservation/query-cache";
import { workflowTask } from "../../shared/workflow-task.js";

const InvalidateReservationCacheInput = z.object({
  reservation: Reservation.ReservationWorkflowView,
  correlationId: z.string().min(1),
});

/** InvalidateCache (and its after-failure and after-cancel twins): runs after the workflow's last write. */
export const handler = workflowTask(InvalidateReservationCacheInput, async ({ reservation }) => {
  await ReservationCache.invalidate(reservation);
});
