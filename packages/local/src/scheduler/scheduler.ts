/**
 * The local stand-in for EventBridge schedule rules with a Lambda target: each declared scheduled
 * function's handler is invoked in process every period with the Scheduled Event EventBridge sends.
 * The period is the declaration's `rate(...)` unless overridden (demos and tests). Two runs of one
 * function never overlap: a tick that comes while the last run is still going is skipped and logged
 * (in AWS they could overlap; the push is idempotent either way, and locally one at a time keeps
 * the log readable). A failing handler is logged as Lambda logs it, and the next tick runs as usual.
 */
import type { ScheduledEvent } from "aws-lambda";
import type { ScheduledFunctionDeclaration } from "@haul/functions/declarations";
import { createHandlerLoader, invokeHandler } from "../gateway/handler-loader.js";
import { createLambdaContext } from "../gateway/lambda-context.js";
import { runWithFunctionLogs } from "../logs/log-capture.js";
import { describeInvocationError, withTimeout } from "../gateway/lambda-invocation.js";
import { ratePeriodMs } from "./schedule-expression.js";
import { scheduledEvent } from "./scheduled-event.js";

export interface SchedulerOptions {
  readonly functions: readonly ScheduledFunctionDeclaration[];
  /** Root that handler strings are relative to (the repository root). */
  readonly root: string;
  readonly region: string;
  readonly accountId: string;
  /** `<stage>-<app>`: functions are `<prefix>-<name>`, rules `<prefix>-<name>Rule`. */
  readonly resourcePrefix: string;
  /** Overrides every function's period, in seconds (demos and tests). */
  readonly periodSeconds?: number;
  /** Skipped ticks; default stdout. */
  readonly log?: (message: string) => void;
  /** Handler failures, as CloudWatch would show them; default stderr. */
  readonly errorLog?: (message: string) => void;
}

export interface ScheduledRun {
  readonly name: string;
  readonly status: "succeeded" | "failed" | "skipped";
  /** The event the handler got (absent when skipped). */
  readonly event?: ScheduledEvent;
  readonly result?: unknown;
  readonly error?: unknown;
}

export interface RunningScheduler {
  /** Each function's period in milliseconds, by name. */
  readonly periodsMs: Readonly<Record<string, number>>;
  /** Runs a function now, as a tick would (skipped if a run is going). */
  runNow(name: string): Promise<ScheduledRun>;
  /** Called after each run or skipped tick. */
  onRun(listener: (run: ScheduledRun) => void): void;
  /** Stops the timers and waits for runs under way. */
  stop(): Promise<void>;
}

const memorySizeMb = 1024;

export function startScheduler(options: SchedulerOptions): RunningScheduler {
  const loadHandler = createHandlerLoader(options.root);
  const log = options.log ?? ((message: string) => process.stdout.write(message + "\n"));
  const errorLog = options.errorLog ?? ((message: string) => process.stderr.write(message + "\n"));
  const overrideMs = options.periodSeconds === undefined ? undefined : options.periodSeconds * 1000;
  if (overrideMs !== undefined && !(overrideMs > 0)) throw new RangeError(`The period must be a positive number of seconds, got ${options.periodSeconds}`);

  const byName = new Map(options.functions.map((declaration) => [declaration.name, declaration]));
  const periodsMs = Object.fromEntries(options.functions.map((declaration) => [declaration.name, overrideMs ?? ratePeriodMs(declaration.schedule)]));
  const running = new Map<string, { startedAt: Date; done: Promise<ScheduledRun> }>();
  const listeners: Array<(run: ScheduledRun) => void> = [];
  let stopped = false;

  const report = (run: ScheduledRun) => {
    for (const listener of listeners) listener(run);
    return run;
  };

  function run(name: string, at: Date): Promise<ScheduledRun> {
    const declaration = byName.get(name);
    if (!declaration) return Promise.reject(new Error(`No scheduled function ${name}; there are ${[...byName.keys()].join(", ")}`));
    const functionName = `${options.resourcePrefix}-${declaration.name}`;
    const going = running.get(name);
    if (going) {
      log(`[${functionName}] the tick of ${at.toISOString()} is skipped: the run started ${going.startedAt.toISOString()} is still going`);
      return Promise.resolve(report({ name, status: "skipped" }));
    }
    const event = scheduledEvent({ ruleName: `${functionName}Rule`, region: options.region, accountId: options.accountId }, at);
    const timeoutMs = declaration.timeoutSeconds * 1000;
    const context = createLambdaContext({ functionName, region: options.region, accountId: options.accountId, memorySizeMb, timeoutMs });
    const done = (async (): Promise<ScheduledRun> => {
      try {
        const handler = await loadHandler(declaration.handler);
        const result = await runWithFunctionLogs(context, declaration.service, () => withTimeout(invokeHandler(handler, event, context), timeoutMs));
        return { name, status: "succeeded", event, result };
      } catch (error) {
        errorLog(describeInvocationError(functionName, context.awsRequestId, error));
        return { name, status: "failed", event, error };
      } finally {
        running.delete(name);
      }
    })().then(report);
    running.set(name, { startedAt: at, done });
    return done;
  }

  const timers = new Map<string, NodeJS.Timeout>();
  const lastDue = new Map<string, number>();
  const scheduleNext = (name: string) => {
    const periodMs = periodsMs[name]!;
    // EventBridge's event `time` is to the second: periods of a second or more fire on whole seconds,
    // so the event's time is when the tick really started (push delays are measured from it).
    const previous = lastDue.get(name) ?? Date.now();
    let due = periodMs >= 1000 ? Math.ceil((previous + periodMs) / 1000) * 1000 : previous + periodMs;
    while (due <= Date.now()) due += periodMs;
    lastDue.set(name, due);
    timers.set(
      name,
      setTimeout(() => {
        if (stopped) return;
        void run(name, new Date(due));
        scheduleNext(name);
      }, due - Date.now()),
    );
  };
  for (const declaration of options.functions) scheduleNext(declaration.name);

  return {
    periodsMs,
    runNow: (name) => run(name, new Date()),
    onRun(listener) {
      listeners.push(listener);
    },
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.all([...running.values()].map((going) => going.done));
    },
  };
}
