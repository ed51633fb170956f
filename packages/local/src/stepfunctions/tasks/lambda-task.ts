/**
 * Lambda tasks (`"Resource": "<function ARN>"`): the declared handler module, the same one
 * the cloud bundles, invoked in process with a Lambda context, its input and result passed
 * through JSON as the Lambda service does. A thrown error fails the task the way Step
 * Functions reports a function error: the error is the `errorType` (the thrown error's
 * name, so `TransientError` retries), the cause the runtime's JSON error payload.
 */
import { createHandlerLoader, invokeHandler } from "../../gateway/handler-loader.js";
import { createLambdaContext } from "../../gateway/lambda-context.js";
import { runWithFunctionLogs } from "../../logs/log-capture.js";
import type { JsonValue, TaskTarget } from "../definition.js";
import { describeThrown, TaskError } from "./task-error.js";

export interface LambdaTaskSettings {
  /** Root that handler strings are relative to (the repository root). */
  readonly root: string;
  readonly region: string;
  readonly accountId: string;
  /** SST's defaults: 1024 MB and 10 s. */
  readonly memorySizeMb: number;
  readonly timeoutMs: number;
  /** The workflow's service (POWERTOOLS_SERVICE_NAME of its functions). */
  readonly service: string;
}

export type LambdaTarget = Extract<TaskTarget, { kind: "lambda" }>;

/** Runs a function's handler with a JSON copy of `input`; resolves with its JSON result. */
export type LambdaInvoker = (target: LambdaTarget, input: JsonValue) => Promise<JsonValue>;

export function createLambdaInvoker(settings: LambdaTaskSettings): LambdaInvoker {
  const loadHandler = createHandlerLoader(settings.root);
  return async (target, input) => {
    const context = createLambdaContext({
      functionName: target.functionName,
      region: settings.region,
      accountId: settings.accountId,
      memorySizeMb: settings.memorySizeMb,
      timeoutMs: settings.timeoutMs,
    });
    let handler;
    try {
      handler = await loadHandler(target.handler);
    } catch (error) {
      // What the Node.js runtime reports when the module cannot be imported.
      throw functionError("Runtime.ImportModuleError", describeThrown(error).message);
    }
    const event = JSON.parse(JSON.stringify(input)) as unknown;
    const result = await runWithFunctionLogs(context, settings.service, () =>
      withTimeout(invokeHandler(handler, event, context), settings.timeoutMs, context.awsRequestId),
    );
    return toJson(result);
  };
}

/** Step Functions' error for a failed function: `{ errorType, errorMessage, trace }` as the Cause. */
export function lambdaFunctionError(thrown: unknown): TaskError {
  if (thrown instanceof TaskError) return thrown;
  const { name, message, stack } = describeThrown(thrown);
  return functionError(name, message, stack ? stack.split("\n") : []);
}

function functionError(errorType: string, errorMessage: string, trace: string[] = []): TaskError {
  return new TaskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, requestId: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const seconds = (timeoutMs / 1000).toFixed(2);
      reject(functionError("Sandbox.Timedout", `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`));
    }, timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A function's result as the Lambda service returns it: JSON, `undefined` as null. */
function toJson(result: unknown): JsonValue {
  if (result === undefined) return null;
  return JSON.parse(JSON.stringify(result)) as JsonValue;
}
