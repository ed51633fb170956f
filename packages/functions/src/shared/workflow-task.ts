import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import type { ZodType } from "zod";
import { asTransientError } from "@haul/core/errors";
import { logger } from "./logger.js";

/** The task's input does not match its schema: a bug in the ASL, not worth a retry. */
export class InvalidTaskInputError extends Error {
  override readonly name = "InvalidTaskInputError";
}

/**
 * Wraps a Step Functions Lambda task's logic: the shared logger with the correlation id the
 * execution input carries, zod validation of the input, and error naming the ASL relies on —
 * connection-level failures are rethrown as `TransientError` (retried with backoff), anything
 * else keeps its name and goes to the Catch.
 */
export function workflowTask<Input, Output>(schema: ZodType<Input>, logic: (input: Input) => Promise<Output>) {
  const handle = async (event: unknown, _context: Context): Promise<Output> => {
    const correlationId = (event as { correlationId?: unknown } | null)?.correlationId;
    if (typeof correlationId === "string" && correlationId) logger.setCorrelationId(correlationId);
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`);
      logger.error("invalid task input", { fields });
      throw new InvalidTaskInputError(`Invalid task input: ${fields.join("; ")}`);
    }
    try {
      return await logic(parsed.data);
    } catch (error) {
      const thrown = asTransientError(error);
      if ((thrown as Error).name === "TransientError") logger.warn("transient failure; the workflow retries", { error: thrown as Error });
      else logger.error("task failed", { error: error as Error });
      throw thrown;
    }
  };
  return middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
}
