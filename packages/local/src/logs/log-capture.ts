/**
 * What Lambda does with a function's output: every line it writes during an invocation goes to its
 * log group (`/aws/lambda/<function>`), with Lambda's own JSON records around it (`platform.start`,
 * `platform.report`, and the runtime's error record for a failed invocation, the `Task timed out`
 * line for a timeout). The local cloud runs many functions in one process, so an invocation's
 * output is told apart by the async context it runs in (AsyncLocalStorage), both when it writes to
 * process.stdout/stderr (Powertools Logger outside dev mode) and through the global console
 * (Powertools in dev mode, console.log). Only lines at or above the terminal level (WARN by
 * default) are echoed where they were going; the log group keeps them all.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";
import { InvokeStore } from "@aws/lambda-invoke-store";
import type { Context } from "aws-lambda";
import { runAsService } from "@haul/functions/shared/invocation-service";

export interface FunctionLogEvent {
  readonly logGroup: string;
  readonly logStream: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly message: string;
}

export type FunctionLogSink = (event: FunctionLogEvent) => void;

export const terminalLevels = ["DEBUG", "INFO", "WARN", "ERROR", "OFF"] as const;
export type TerminalLevel = (typeof terminalLevels)[number];

interface Invocation {
  readonly logGroup: string;
  readonly logStream: string;
}

/**
 * Lambda's per-invocation store, as a runtime running several invocations at once has it (Lambda
 * Managed Instances: AWS_LAMBDA_MAX_CONCURRENCY set, `globalThis.awslambda.InvokeStore`). Powertools
 * Logger and Metrics then keep each invocation's Lambda context, correlation id and metrics there,
 * so concurrent functions in this one process never write each other's keys.
 */
const invokeStore = InvokeStore.getInstanceAsync(true);
const requestIdKey = Symbol.for("_AWS_LAMBDA_REQUEST_ID");

/**
 * Runs a function's init phase (importing its module) in a context of its own, as the runtime does:
 * Powertools' clients built at import time (Metrics' default dimensions) write to the store.
 */
export async function runInInitContext<T>(init: () => Promise<T>): Promise<T> {
  const store = await invokeStore;
  return store.run({}, init);
}

/** The variable that makes Powertools use the store; the local cloud sets it where handlers run. */
export const maxConcurrencyVariable = "AWS_LAMBDA_MAX_CONCURRENCY";

const rank: Readonly<Record<TerminalLevel, number>> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, OFF: 4 };
const invocations = new AsyncLocalStorage<Invocation>();
let installed: { sink: FunctionLogSink; terminalRank: number; uninstall: () => void } | undefined;
// Set while an echoed line passes through to the original writer, so it is not captured twice.
let echoing = false;

/**
 * Starts sending every invoked function's output to `sink` (one capture per process: a second
 * call replaces the first). Returns the function that puts stdout, stderr and console back.
 */
export function installLogCapture(options: { sink: FunctionLogSink; terminalLevel?: TerminalLevel }): () => void {
  installed?.uninstall();
  const restore = [patchStream(process.stdout, "INFO"), patchStream(process.stderr, "WARN"), patchConsole(globalThis.console)];
  const uninstall = () => {
    for (const undo of restore.reverse()) undo();
    if (installed?.uninstall === uninstall) installed = undefined;
  };
  installed = { sink: options.sink, terminalRank: rank[options.terminalLevel ?? "WARN"], uninstall };
  return uninstall;
}

/** HAUL_TERMINAL_LOG_LEVEL, checked: which handler lines the terminal shows besides the log groups. */
export function terminalLevelFromEnv(value = process.env.HAUL_TERMINAL_LOG_LEVEL): TerminalLevel {
  if (value === undefined || value === "") return "WARN";
  const level = value.toUpperCase() as TerminalLevel;
  if (!terminalLevels.includes(level)) throw new Error(`HAUL_TERMINAL_LOG_LEVEL must be one of ${terminalLevels.join(", ")}, got "${value}"`);
  return level;
}

/**
 * Runs one invocation of a function with its output going to the function's log group, as
 * `service` (POWERTOOLS_SERVICE_NAME in AWS), between Lambda's start and report records. A
 * rejected invocation leaves Lambda's error record, or the timeout line, before the report.
 */
export async function runWithFunctionLogs<T>(context: Context, service: string, invoke: () => Promise<T>): Promise<T> {
  const invocation = { logGroup: context.logGroupName, logStream: context.logStreamName };
  const startedAt = performance.now();
  emit(invocation, platformRecord("platform.start", { requestId: context.awsRequestId, version: context.functionVersion }));
  let status = "success";
  try {
    const store = await invokeStore;
    return await store.run({ [requestIdKey]: context.awsRequestId }, () => invocations.run(invocation, () => runAsService(service, invoke)));
  } catch (error) {
    // The gateways' timeout says it plainly; a workflow task's carries it in Step Functions' cause.
    const timeout = /Task timed out after [\d.]+ seconds/.exec(error instanceof Error ? error.message : String(error));
    status = timeout ? "timeout" : "error";
    emit(invocation, timeout ? `${new Date().toISOString()} ${context.awsRequestId} ${timeout[0]}` : invokeErrorRecord(context.awsRequestId, error));
    throw error;
  } finally {
    const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
    emit(
      invocation,
      platformRecord("platform.report", {
        requestId: context.awsRequestId,
        metrics: {
          durationMs,
          billedDurationMs: Math.max(1, Math.ceil(durationMs)),
          memorySizeMB: Number(context.memoryLimitInMB),
          // The process's, shared by every local function: an upper bound of the function's own.
          maxMemoryUsedMB: Math.round(process.memoryUsage.rss() / 1_048_576),
        },
        status,
      }),
    );
  }
}

function platformRecord(type: string, record: Record<string, unknown>): string {
  return JSON.stringify({ time: new Date().toISOString(), type, record });
}

/** The Node.js runtime's record of a rejected invocation, in Lambda's JSON log format. */
function invokeErrorRecord(requestId: string, error: unknown): string {
  const failure = error instanceof Error ? error : new Error(typeof error === "string" ? error : JSON.stringify(error));
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    level: "ERROR",
    requestId,
    message: "Invoke Error",
    errorType: failure.name,
    errorMessage: failure.message,
    stackTrace: (failure.stack ?? "").split("\n"),
  });
}

function emit(invocation: Invocation, message: string): void {
  installed?.sink({ logGroup: invocation.logGroup, logStream: invocation.logStream, timestamp: Date.now(), message });
}

const jsonLevelPattern = /"level"\s*:\s*"(\w+)"/;

/** A line's level for the terminal: its JSON `level` when it has one, else the stream's or method's. */
function levelRank(text: string, fallback: TerminalLevel): number {
  const named = text.startsWith("{") ? jsonLevelPattern.exec(text)?.[1]?.toUpperCase() : undefined;
  if (named === undefined) return rank[fallback];
  if (named === "WARNING") return rank.WARN;
  if (named === "CRITICAL" || named === "FATAL") return rank.ERROR;
  return rank[named as TerminalLevel] ?? rank[fallback];
}

/** Captures the invocation's output; says whether the terminal shows it too. */
function capture(text: string, fallback: TerminalLevel, splitLines: boolean): boolean {
  const invocation = invocations.getStore();
  if (!invocation || !installed || echoing) return true;
  const lines = splitLines ? text.split("\n").filter((line) => line.length > 0) : [text.replace(/\n$/, "")];
  let echo = false;
  for (const line of lines) {
    emit(invocation, line);
    if (levelRank(line, fallback) >= installed.terminalRank) echo = true;
  }
  return echo;
}

type Write = NodeJS.WriteStream["write"];

function patchStream(stream: NodeJS.WriteStream, fallback: TerminalLevel): () => void {
  const original = stream.write;
  const patched = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : String(chunk);
    if (capture(text, fallback, true)) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    // Not echoed: still honour the write callback, as the stream would.
    const callback = rest.find((argument) => typeof argument === "function") as (() => void) | undefined;
    if (callback) queueMicrotask(callback);
    return true;
  };
  stream.write = patched as Write;
  return () => {
    if (stream.write === (patched as Write)) stream.write = original;
  };
}

const consoleMethods = { debug: "DEBUG", trace: "DEBUG", log: "INFO", info: "INFO", warn: "WARN", error: "ERROR" } as const;

function patchConsole(target: Console): () => void {
  const originals = new Map<keyof typeof consoleMethods, { original: (...args: unknown[]) => void; patched: (...args: unknown[]) => void }>();
  for (const [method, level] of Object.entries(consoleMethods) as Array<[keyof typeof consoleMethods, TerminalLevel]>) {
    const original = target[method] as (...args: unknown[]) => void;
    const patched = (...args: unknown[]) => {
      // Lambda's Node runtime makes one log event of each console call, newlines and all.
      if (!capture(format(...args), level, false)) return;
      echoing = true;
      try {
        original.apply(target, args);
      } finally {
        echoing = false;
      }
    };
    target[method] = patched;
    originals.set(method, { original, patched });
  }
  return () => {
    // As for the streams: a method patched again since (a later capture, a spy) is left alone.
    for (const [method, { original, patched }] of originals) if (target[method] === patched) target[method] = original;
  };
}
