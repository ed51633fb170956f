/** A Lambda `Context` with the fields the Node.js runtime fills in, for in-process invocation. */
import { randomBytes, randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

export interface LambdaFunctionSettings {
  readonly functionName: string;
  readonly region: string;
  readonly accountId: string;
  /** SST's default is 1024 MB. */
  readonly memorySizeMb: number;
  /** SST's default is 10 s. */
  readonly timeoutMs: number;
}

// One log stream per function, as a warm execution environment writes every invocation to one.
const logStreams = new Map<string, string>();

function logStreamOf(functionName: string, startedAt: number): string {
  let stream = logStreams.get(functionName);
  if (!stream) {
    const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll("-", "/");
    stream = `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
    logStreams.set(functionName, stream);
  }
  return stream;
}

export function createLambdaContext(settings: LambdaFunctionSettings, startedAt: number = Date.now()): Context {
  const deadline = startedAt + settings.timeoutMs;
  const notSupported = () => {
    throw new Error("The callback-style context.done/succeed/fail are not supported; return a value instead");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: settings.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${settings.region}:${settings.accountId}:function:${settings.functionName}`,
    memoryLimitInMB: String(settings.memorySizeMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${settings.functionName}`,
    logStreamName: logStreamOf(settings.functionName, startedAt),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: notSupported,
    fail: notSupported,
    succeed: notSupported,
  };
}
