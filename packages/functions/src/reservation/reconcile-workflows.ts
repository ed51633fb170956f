/**
 * The reconciler (EventBridge `rate(1 minute)`; locally the scheduler runs this handler every
 * minute too): restarts the workflow executions of reservations left unsettled, every page of them
 * that its time budget allows.
 * What it looks at and what it does: packages/core/src/reservation/reconciler.ts. One summary line
 * and the counts as metrics per run; every execution it starts is logged by name.
 *
 * HAUL_RECONCILE_STALE_AFTER_SECONDS (default 60) sets how long a status waits before it is looked at.
 */
import type { Context, ScheduledEvent } from "aws-lambda";
import { DescribeExecutionCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { defaultStaleAfterMs, reconcile, type ExecutionState, type ReconcileResult, type WorkflowExecutions } from "@haul/core/reservation/reconciler";
import { getStepFunctionsClient } from "../shared/aws-clients.js";
import { instrument, logger, metrics, MetricUnit } from "../shared/powertools.js";

export const staleAfterVariable = "HAUL_RECONCILE_STALE_AFTER_SECONDS";

async function reconcileWorkflows(event: ScheduledEvent, _context: Context): Promise<ReconcileResult> {
  logger.setCorrelationId(event.id);
  let result: ReconcileResult | undefined;
  try {
    result = await reconcile(stepFunctionsExecutions(), { staleAfterMs: staleAfterMs() });
    logger.info("workflow reconciliation", { looked: result.looked, pages: result.pages, ...result.outcomes, started: result.started });
    if (result.gaveUp.length > 0) logger.error("reservations whose workflow kept failing; retries exhausted", { reservationIds: result.gaveUp });
    return result;
  } finally {
    // A failed run counts too, so every invocation publishes.
    metrics.addMetric("WorkflowsRestarted", MetricUnit.Count, (result?.outcomes.restarted ?? 0) + (result?.outcomes.retried ?? 0));
    metrics.addMetric("WorkflowsGivenUp", MetricUnit.Count, result?.outcomes["gave-up"] ?? 0);
    metrics.addMetric("ReconcileRunFailures", MetricUnit.Count, result ? 0 : 1);
  }
}

export const handler = instrument(reconcileWorkflows);

/** The reconciler's view of the reservation state machine's executions, through the Step Functions API. */
export function stepFunctionsExecutions(): WorkflowExecutions {
  const stateMachineArn = process.env.HAUL_RESERVATION_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error("HAUL_RESERVATION_STATE_MACHINE_ARN is not set: the reservation workflow cannot be reconciled");
  // `arn:...:stateMachine:<name>` -> `arn:...:execution:<name>:<execution name>`
  const executionArnPrefix = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:`;
  const client = getStepFunctionsClient();
  return {
    async describe(name) {
      try {
        const described = await client.send(new DescribeExecutionCommand({ executionArn: executionArnPrefix + name }));
        return described.status as ExecutionState;
      } catch (error) {
        if ((error as Error).name === "ExecutionDoesNotExist") return undefined;
        throw error;
      }
    },
    async start(name, input) {
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return "started";
      } catch (error) {
        if ((error as Error).name === "ExecutionAlreadyExists") return "taken";
        throw error;
      }
    },
  };
}

function staleAfterMs(): number {
  const given = Number(process.env[staleAfterVariable]);
  return process.env[staleAfterVariable] !== undefined && Number.isFinite(given) && given >= 0 ? given * 1000 : defaultStaleAfterMs;
}
