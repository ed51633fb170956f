/**
 * An execution's history in GetExecutionHistory's shapes, built from aws-local-stepfunctions'
 * event log plus what the local task runners saw. The library reports states (entered,
 * failed, retried, caught, exited); Step Functions also reports each task attempt:
 * `LambdaFunctionScheduled/Started/Succeeded|Failed` for a function ARN Resource,
 * `TaskScheduled/Started/Succeeded|Failed` (with resourceType and resource) for service
 * integrations. Ids count from 1; `previousEventId` points at the event before, except that
 * the first state entered points at 0, as in AWS. Timestamps are kept in milliseconds.
 * Inputs and outputs are kept as values and turned into JSON text only when the history is
 * read: most executions' histories never are.
 */
import type { StateMachine } from "aws-local-stepfunctions";
import type { JsonValue, TaskStateInfo } from "./definition.js";

export type LibraryEvent = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer Event> ? Event : never;

export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly type: string;
  /** The event's details member, e.g. `stateEnteredEventDetails`, if it has one. */
  readonly detailsKey?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A JSON document in an event's details; serialises as the JSON text the API carries. */
export class JsonPayload {
  constructor(readonly value: JsonValue) {}

  toJSON(): string {
    return JSON.stringify(this.value);
  }
}

/** One call of a task's local runner, recorded as it happens. */
export interface TaskAttempt {
  readonly stateName: string;
  readonly startedAt: number;
  /** The task's input (Parameters applied). */
  readonly parameters: JsonValue;
  finishedAt?: number;
  output?: JsonValue;
  error?: { readonly error: string; readonly cause: string };
}

export type ExecutionOutcome =
  | { readonly status: "SUCCEEDED"; readonly stopDate: number; readonly output: JsonPayload }
  | { readonly status: "FAILED"; readonly stopDate: number; readonly error: string; readonly cause: string }
  | { readonly status: "ABORTED" | "TIMED_OUT"; readonly stopDate: number };

export interface HistoryContext {
  readonly tasks: ReadonlyMap<string, TaskStateInfo>;
  /** States' types as the file declares them. */
  readonly stateTypes: ReadonlyMap<string, string>;
  readonly roleArn: string;
  readonly region: string;
}

const notTruncated = { truncated: false } as const;
const serviceResourcePattern = /^arn:aws:states:::([^:]+):(.+)$/;

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  /** Attempts the task runners recorded and this history has not shown yet, oldest first. */
  readonly pendingAttempts: TaskAttempt[] = [];
  private caughtState: string | undefined;

  constructor(
    private readonly context: HistoryContext,
    /** The execution's input as given to StartExecution, which ExecutionStarted shows verbatim. */
    private readonly inputText: string,
  ) {}

  /** Adds the events one library event stands for; returns the outcome once the execution closes. */
  apply(event: LibraryEvent): ExecutionOutcome | undefined {
    switch (event.type) {
      case "ExecutionStarted":
        this.add(event.timestamp, "ExecutionStarted", "executionStartedEventDetails", {
          input: this.inputText,
          inputDetails: notTruncated,
          roleArn: this.context.roleArn,
        });
        return undefined;
      case "StateEntered":
        this.add(event.timestamp, `${this.typeOf(event.state.name, event.state.type)}StateEntered`, "stateEnteredEventDetails", {
          name: event.state.name,
          input: payload(event.state.input),
          inputDetails: notTruncated,
        });
        return undefined;
      case "StateFailed":
        this.taskFailed(event.state.name, event.Error, causeText(event.Cause), event.timestamp);
        return undefined;
      case "StateCaught":
        this.caughtState = event.state.name;
        return undefined;
      case "StateExited": {
        const { name, type } = event.state;
        if (this.caughtState === name) this.caughtState = undefined;
        else this.taskSucceeded(name, event.timestamp);
        this.add(event.timestamp, `${this.typeOf(name, type)}StateExited`, "stateExitedEventDetails", {
          name,
          output: payload(event.state.output),
          outputDetails: notTruncated,
        });
        return undefined;
      }
      case "ExecutionSucceeded": {
        const output = payload(event.output);
        this.add(event.timestamp, "ExecutionSucceeded", "executionSucceededEventDetails", { output, outputDetails: notTruncated });
        return { status: "SUCCEEDED", stopDate: event.timestamp, output };
      }
      case "ExecutionFailed": {
        const cause = causeText(event.Cause);
        this.add(event.timestamp, "ExecutionFailed", "executionFailedEventDetails", { error: event.Error, cause });
        return { status: "FAILED", stopDate: event.timestamp, error: event.Error, cause };
      }
      case "ExecutionAborted":
        this.add(event.timestamp, "ExecutionAborted", "executionAbortedEventDetails", {});
        return { status: "ABORTED", stopDate: event.timestamp };
      case "ExecutionTimeout":
        this.add(event.timestamp, "ExecutionTimedOut", "executionTimedOutEventDetails", {});
        return { status: "TIMED_OUT", stopDate: event.timestamp };
      default:
        // Map iterations and Parallel branches: this workflow has none.
        return undefined;
    }
  }

  /** `Task`, `Choice`, ...: the declared type (a Fail state adapted to run as a Task stays `Fail`). */
  private typeOf(stateName: string, runningType: string): string {
    return this.context.stateTypes.get(stateName) ?? runningType;
  }

  private taskSucceeded(stateName: string, exitedAt: number): void {
    const task = this.context.tasks.get(stateName);
    const attempt = task && this.takeAttempt(stateName);
    if (!task || !attempt) return;
    this.scheduledAndStarted(task, attempt);
    const output = payload(attempt.output);
    const at = attempt.finishedAt ?? exitedAt;
    if (task.target.kind === "lambda") {
      this.add(at, "LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails", { output, outputDetails: notTruncated });
    } else {
      this.add(at, "TaskSucceeded", "taskSucceededEventDetails", { ...serviceResource(task), output, outputDetails: notTruncated });
    }
  }

  private taskFailed(stateName: string, error: string, cause: string, failedAt: number): void {
    const task = this.context.tasks.get(stateName);
    // A failure before the task ran (e.g. a Parameters path that matches nothing) has no attempt.
    const attempt = task && this.takeAttempt(stateName);
    if (!task || !attempt) return;
    this.scheduledAndStarted(task, attempt);
    const timedOut = error === "States.Timeout";
    if (task.target.kind === "lambda") {
      const type = timedOut ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed";
      this.add(failedAt, type, timedOut ? "lambdaFunctionTimedOutEventDetails" : "lambdaFunctionFailedEventDetails", { error, cause });
    } else {
      const type = timedOut ? "TaskTimedOut" : "TaskFailed";
      this.add(failedAt, type, timedOut ? "taskTimedOutEventDetails" : "taskFailedEventDetails", { ...serviceResource(task), error, cause });
    }
  }

  private scheduledAndStarted(task: TaskStateInfo, attempt: TaskAttempt): void {
    const timeout = task.timeoutSeconds !== undefined ? { timeoutInSeconds: task.timeoutSeconds } : {};
    if (task.target.kind === "lambda") {
      this.add(attempt.startedAt, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", {
        resource: task.resource,
        input: payload(attempt.parameters),
        inputDetails: notTruncated,
        ...timeout,
      });
      this.add(attempt.startedAt, "LambdaFunctionStarted");
    } else {
      this.add(attempt.startedAt, "TaskScheduled", "taskScheduledEventDetails", {
        ...serviceResource(task),
        region: this.context.region,
        parameters: payload(attempt.parameters),
        ...timeout,
      });
      this.add(attempt.startedAt, "TaskStarted", "taskStartedEventDetails", serviceResource(task));
    }
  }

  private takeAttempt(stateName: string): TaskAttempt | undefined {
    if (this.pendingAttempts[0]?.stateName !== stateName) return undefined;
    return this.pendingAttempts.shift();
  }

  private add(timestamp: number, type: string, detailsKey?: string, details?: Record<string, unknown>): void {
    const previous = this.events.at(-1);
    this.events.push({
      id: this.events.length + 1,
      // AWS: the first state entered points at 0, not at ExecutionStarted.
      previousEventId: previous && previous.type !== "ExecutionStarted" ? previous.id : 0,
      timestamp,
      type,
      ...(detailsKey ? { detailsKey, details: details ?? {} } : {}),
    });
  }
}

/** `{ resourceType: "dynamodb", resource: "putItem" }` from `arn:aws:states:::dynamodb:putItem`. */
function serviceResource(task: TaskStateInfo): { resourceType: string; resource: string } {
  const match = serviceResourcePattern.exec(task.resource);
  return match ? { resourceType: match[1]!, resource: match[2]! } : { resourceType: "unknown", resource: task.resource };
}

function payload(value: JsonValue | undefined): JsonPayload {
  return new JsonPayload(value ?? null);
}

function causeText(cause: unknown): string {
  if (typeof cause === "string") return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? "";
}
