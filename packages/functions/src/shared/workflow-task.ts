import type { Context } from "aws-lambda";
import type { ZodType } from "zod";
import { asTransientError } from "@haul/core/errors";
import { instrument, logger, metrics, MetricUnit } from "./powertools.js";

/** The task's input does not match its schema: a bug in the ASL, not worth a retry. */
export class InvalidTaskInputError extends Error {
  override readonly name = "InvalidTaskInputError";
}

/**
 * Wraps a Step Functions Lambda task's logic: the shared logger with the correlation id the
 * execution input carries, zod validation of the input, and error naming the ASL relies on —
 * connection-level failures are rethrown as `TransientError` (retried with backoff), anything
 * else keeps its name and goes to the Catch. Each invocation ends with one `task completed` line
 * (outcome and duration), so every step of an execution is found by its correlation id. Metrics: `TaskFailures` and `TransientFailures`,
 * 0 or 1 per invocation (their averages are rates), without a task dimension: Lambda's own
 * per-function metrics already tell the tasks apart.
 */
export function workflowTask<Input, Output>(schema: ZodType<Input>, logic: (input: Input) => Promise<Output>) {
  const handle = async (event: unknown, _context: Context): Promise<Output> => {
    const startedAt = performance.now();
    const done = (outcome: "succeeded" | "failed" | "retried") =>
      logger[outcome === "succeeded" ? "info" : "warn"]("task completed", { outcome, durationMs: Math.round(performance.now() - startedAt) });
    const correlationId = (event as { correlationId?: unknown } | null)?.correlationId;
    if (typeof correlationId === "string" && correlationId) logger.setCorrelationId(correlationId);
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      countTask({ failed: true, transient: false });
      const fields = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`);
      logger.error("invalid task input", { fields });
      done("failed");
      throw new InvalidTaskInputError(`Invalid task input: ${fields.join("; ")}`);
    }
    try {
      const output = await logic(parsed.data);
      countTask({ failed: false, transient: false });
      done("succeeded");
      return output;
    } catch (error) {
      const thrown = asTransientError(error);
      const transient = (thrown as Error).name === "TransientError";
      countTask({ failed: true, transient });
      if (transient) logger.warn("transient failure; the workflow retries", { error: thrown as Error });
      else logger.error("task failed", { error: error as Error });
      done(transient ? "retried" : "failed");
      throw thrown;
    }
  };
  return instrument(handle);
}

function countTask(outcome: { readonly failed: boolean; readonly transient: boolean }): void {
  metrics.addMetric("TaskFailures", MetricUnit.Count, outcome.failed ? 1 : 0);
  metrics.addMetric("TransientFailures", MetricUnit.Count, outcome.transient ? 1 : 0);
}
