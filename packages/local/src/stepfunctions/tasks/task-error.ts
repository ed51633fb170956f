/**
 * A failed Task as Step Functions reports it: `name` is the ASL error that Retry and Catch
 * match (`TransientError`, `DynamoDB.ConditionalCheckFailedException`, ...), `message` the
 * Cause. aws-local-stepfunctions reads both from the thrown error.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** The error name and message of anything thrown, as Step Functions would name them. */
export function describeThrown(thrown: unknown): { name: string; message: string; stack?: string } {
  if (thrown instanceof Error) return { name: thrown.name || "Error", message: thrown.message, ...(thrown.stack ? { stack: thrown.stack } : {}) };
  return { name: "Error", message: typeof thrown === "string" ? thrown : JSON.stringify(thrown) ?? String(thrown) };
}
