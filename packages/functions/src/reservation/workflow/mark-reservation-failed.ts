import { z } from "zod";
import { Reservation } from "@haul/core/reservation/reservation";
import { workflowTask } from "../../shared/workflow-task.js";

/** The Catch's `$.error`: Step Functions' error name and cause (for a Lambda error, its JSON). */
const StateError = z.object({ Error: z.string(), Cause: z.string().optional() });

const MarkReservationFailedInput = z.object({
  reservationId: z.uuid(),
  correlationId: z.string().min(1),
  error: StateError.optional(),
});

/** MarkReservationFailed: compensation starts here; returns the view with a withdrawal notification. */
export const handler = workflowTask(MarkReservationFailedInput, ({ reservationId, error }) =>
  Reservation.markFailed(reservationId, describeFailure(error)),
);

/** `Error: message`, taking the message out of a Lambda error's JSON cause when there is one. */
export function describeFailure(error: z.infer<typeof StateError> | undefined): string {
  if (!error) return "the workflow failed";
  let message = error.Cause ?? "";
  try {
    const cause = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof cause?.errorMessage === "string") message = cause.errorMessage;
  } catch {
    // a plain-text cause
  }
  return message ? `${error.Error}: ${message}` : error.Error;
}
