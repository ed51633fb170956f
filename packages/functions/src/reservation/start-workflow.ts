/**
 * Starts the reservation workflow's executions (see reservation-workflow.asl.json): one named by
 * the reservation id to decide it, and one named `<id>-<command>` for each command the handlers
 * wrote (cancel, pickup, complete), carrying the view they wrote. A start
 * whose name is taken is the same execution, running or closed: AWS answers ExecutionAlreadyExists
 * and that is success here.
 */
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { ReservationWorkflowView } from "@haul/core/reservation/reservation";
import { getStepFunctionsClient } from "../shared/aws-clients.js";

export async function startDecideExecution(reservationId: string, correlationId: string): Promise<void> {
  await startExecution(reservationId, { command: "create", reservationId, correlationId });
}

export async function startCancelExecution(reservation: ReservationWorkflowView, correlationId: string): Promise<void> {
  await startCommandExecution("cancel", reservation, correlationId);
}

/** After the driver's pickup (IN_TRANSIT): `<id>-pickup`. */
export async function startPickupExecution(reservation: ReservationWorkflowView, correlationId: string): Promise<void> {
  await startCommandExecution("pickup", reservation, correlationId);
}

/** After the driver's delivery (COMPLETED): `<id>-complete`. */
export async function startCompleteExecution(reservation: ReservationWorkflowView, correlationId: string): Promise<void> {
  await startCommandExecution("complete", reservation, correlationId);
}

async function startCommandExecution(
  command: "cancel" | "pickup" | "complete",
  reservation: ReservationWorkflowView,
  correlationId: string,
): Promise<void> {
  await startExecution(`${reservation.reservationId}-${command}`, {
    command,
    reservationId: reservation.reservationId,
    correlationId,
    reservation,
  });
}

async function startExecution(name: string, input: object): Promise<void> {
  try {
    await getStepFunctionsClient().send(
      new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name, input: JSON.stringify(input) }),
    );
  } catch (error) {
    if ((error as Error).name === "ExecutionAlreadyExists") return;
    throw error;
  }
}

function stateMachineArn(): string {
  const arn = process.env.HAUL_RESERVATION_STATE_MACHINE_ARN;
  if (!arn) throw new Error("HAUL_RESERVATION_STATE_MACHINE_ARN is not set: the reservation workflow cannot be started");
  return arn;
}
