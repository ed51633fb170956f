/**
 * The reservation workflow's executions as operators see them: a page of executions, newest
 * first, and one execution with its history and a state-by-state view built from it. Reads go
 * through `StepFunctionsReader`, the three Step Functions calls in their API shapes, so this module
 * needs no SDK; the caller adapts its client (packages/functions/src/reservation/workflow-executions.ts).
 */
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../errors.js";
import { defaultPageSize, maxPageSize, pageSizeUpTo } from "../query-string.js";

export const executionStatuses = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] as const;
export const ExecutionStatus = z.enum(executionStatuses);
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

/** What each execution of a reservation does; its name says which (start-workflow.ts names them). */
export const ExecutionCommand = z.enum(["create", "cancel", "pickup", "complete"]);
export type ExecutionCommand = z.infer<typeof ExecutionCommand>;

const uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
// `-retry-<n>`: a new attempt the reconciler started after the first ended unsettled (reservation/reconciler.ts).
const executionNamePattern = new RegExp(`^(${uuid})(?:-(cancel|pickup|complete))?(?:-retry-[1-9][0-9]?)?$`);

export const ExecutionName = z
  .string()
  .regex(executionNamePattern, "must be a reservation id, optionally followed by -cancel, -pickup or -complete, and by -retry-<n>")
  .describe("`<reservation id>` (the decision) or `<reservation id>-cancel|-pickup|-complete`, and `-retry-<n>` for the reconciler's new attempts");

/** The reservation and command an execution name stands for; null parts for a name Haul did not give. */
export function parseExecutionName(name: string): { reservationId: string | null; command: ExecutionCommand | null } {
  const match = executionNamePattern.exec(name);
  if (!match) return { reservationId: null, command: null };
  return { reservationId: match[1]!.toLowerCase(), command: (match[2] as ExecutionCommand | undefined) ?? "create" };
}

/** GET /ops/executions */
export const ListExecutionsQuery = z.strictObject({
  status: ExecutionStatus.optional().describe("Only executions with this status"),
  limit: pageSizeUpTo(maxPageSize, defaultPageSize).optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9+/=_:.-]{1,3096}$/, "is not a cursor this API issued")
    .optional()
    .describe("The `nextCursor` of the previous page, with the same status"),
});
export type ListExecutionsQuery = z.output<typeof ListExecutionsQuery>;

export const ExecutionPath = z.object({ name: ExecutionName });

const isoTime = z.string().describe("ISO UTC, milliseconds");

export const ExecutionSummary = z
  .object({
    name: z.string(),
    executionArn: z.string(),
    status: ExecutionStatus,
    startDate: isoTime,
    stopDate: isoTime.optional().describe("Absent while it runs"),
    reservationId: z.string().nullable().describe("From the name; null for a name Haul did not give"),
    command: ExecutionCommand.nullable().describe("From the name: create (the decision), cancel, pickup or complete"),
  })
  .meta({ id: "ExecutionSummary" });
export type ExecutionSummary = z.infer<typeof ExecutionSummary>;

export const ExecutionPage = z
  .object({
    executions: z.array(ExecutionSummary).describe("Newest first"),
    nextCursor: z.string().optional().describe("Pass as `cursor` for the next page; absent on the last page"),
  })
  .meta({ id: "ExecutionPage" });
export type ExecutionPage = z.infer<typeof ExecutionPage>;

export const StateStep = z
  .object({
    name: z.string(),
    enteredAt: isoTime,
    exitedAt: isoTime.optional().describe("Absent while the state runs, or when the execution ended in it"),
    status: z.enum(["succeeded", "failed", "running"]).describe("failed: its task's last attempt failed (even if a Catch moved on), or the execution ended in it"),
    attempts: z.number().int().describe("Task attempts, retries included; 0 for states that run no task"),
    error: z.string().optional(),
    cause: z.string().optional(),
  })
  .meta({ id: "ExecutionStateStep" });
export type StateStep = z.infer<typeof StateStep>;

export const ExecutionEventView = z
  .object({
    id: z.number().int(),
    previousEventId: z.number().int().optional(),
    type: z.string().describe("Step Functions' history event type, e.g. TaskStateEntered"),
    timestamp: isoTime,
    stateName: z.string().optional().describe("For state entered/exited events"),
    error: z.string().optional(),
    cause: z.string().optional(),
  })
  .meta({ id: "ExecutionEvent" });
export type ExecutionEventView = z.infer<typeof ExecutionEventView>;

export const ExecutionDetail = z
  .object({
    execution: z.object({
      name: z.string(),
      executionArn: z.string(),
      status: ExecutionStatus,
      startDate: isoTime,
      stopDate: isoTime.optional(),
      input: z.unknown().describe("The execution's input (JSON)"),
      output: z.unknown().optional().describe("Its output (JSON), once it succeeded"),
      error: z.string().optional(),
      cause: z.string().optional(),
    }),
    states: z.array(StateStep).describe("In the order they were entered"),
    events: z.array(ExecutionEventView).describe("The whole history, oldest first"),
  })
  .meta({ id: "ExecutionDetail" });
export type ExecutionDetail = z.infer<typeof ExecutionDetail>;

/** A history event as Step Functions' GetExecutionHistory answers it (the members read here). */
export interface HistoryEvent {
  readonly id?: number;
  readonly previousEventId?: number;
  readonly type?: string;
  readonly timestamp?: Date;
  readonly stateEnteredEventDetails?: { readonly name?: string };
  readonly stateExitedEventDetails?: { readonly name?: string };
  // Its other `…EventDetails` members (TaskFailed's, ExecutionFailed's, …) carry errors; errorOf reads them.
}

/** The Step Functions calls this module makes, in the API's shapes (an SFNClient adapts to it in a line each). */
export interface StepFunctionsReader {
  listExecutions(input: { stateMachineArn: string; statusFilter?: ExecutionStatus; maxResults: number; nextToken?: string }): Promise<{
    executions?: ReadonlyArray<{ name?: string; executionArn?: string; status?: string; startDate?: Date; stopDate?: Date }>;
    nextToken?: string;
  }>;
  /** Rejects with an error named `ExecutionDoesNotExist` for an unknown execution, as AWS. */
  describeExecution(input: { executionArn: string }): Promise<{
    name?: string;
    executionArn?: string;
    status?: string;
    startDate?: Date;
    stopDate?: Date;
    input?: string;
    output?: string;
    error?: string;
    cause?: string;
  }>;
  getExecutionHistory(input: { executionArn: string; maxResults: number; nextToken?: string }): Promise<{
    events?: readonly HistoryEvent[];
    nextToken?: string;
  }>;
}

export interface WorkflowSource {
  readonly stepFunctions: StepFunctionsReader;
  readonly stateMachineArn: string;
}

/** A page of the state machine's executions, newest first. InvalidInputError on `cursor` for a token Step Functions refuses. */
export async function listExecutions(source: WorkflowSource, query: ListExecutionsQuery): Promise<ExecutionPage> {
  let page: Awaited<ReturnType<StepFunctionsReader["listExecutions"]>>;
  try {
    page = await source.stepFunctions.listExecutions({
      stateMachineArn: source.stateMachineArn,
      maxResults: query.limit ?? defaultPageSize,
      ...(query.status ? { statusFilter: query.status } : {}),
      ...(query.cursor ? { nextToken: query.cursor } : {}),
    });
  } catch (error) {
    if ((error as Error).name === "InvalidToken") {
      throw new InvalidInputError("The cursor is not valid", [{ name: "cursor", reason: "is not a cursor this API issued, or has expired" }]);
    }
    throw error;
  }
  return {
    executions: (page.executions ?? []).map((execution) => ({
      name: execution.name!,
      executionArn: execution.executionArn!,
      status: ExecutionStatus.parse(execution.status),
      startDate: execution.startDate!.toISOString(),
      ...(execution.stopDate ? { stopDate: execution.stopDate.toISOString() } : {}),
      ...parseExecutionName(execution.name!),
    })),
    ...(page.nextToken ? { nextCursor: page.nextToken } : {}),
  };
}

/** The execution `name` of the state machine with its history; NotFoundError when there is none. */
export async function describeExecution(source: WorkflowSource, name: string): Promise<ExecutionDetail> {
  const executionArn = `${source.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  let described: Awaited<ReturnType<StepFunctionsReader["describeExecution"]>>;
  try {
    described = await source.stepFunctions.describeExecution({ executionArn });
  } catch (error) {
    if ((error as Error).name === "ExecutionDoesNotExist") throw new NotFoundError(`No execution named ${name}`);
    throw error;
  }
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await source.stepFunctions.getExecutionHistory({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);

  return {
    execution: {
      name: described.name!,
      executionArn: described.executionArn!,
      status: ExecutionStatus.parse(described.status),
      startDate: described.startDate!.toISOString(),
      ...(described.stopDate ? { stopDate: described.stopDate.toISOString() } : {}),
      input: parseJson(described.input),
      ...(described.output === undefined ? {} : { output: parseJson(described.output) }),
      ...(described.error === undefined ? {} : { error: described.error }),
      ...(described.cause === undefined ? {} : { cause: described.cause }),
    },
    states: statesFromHistory(events),
    events: events.map(eventView),
  };
}

/** Events that end one attempt of a task in failure. */
const attemptFailedTypes = new Set(["TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed", "LambdaFunctionFailed", "LambdaFunctionTimedOut", "LambdaFunctionStartFailed", "LambdaFunctionScheduleFailed"]);
const attemptSucceededTypes = new Set(["TaskSucceeded", "LambdaFunctionSucceeded"]);
const attemptScheduledTypes = new Set(["TaskScheduled", "LambdaFunctionScheduled"]);
const executionEndedTypes = new Set(["ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]);

/**
 * The state-by-state view of a history (oldest first): one step per state entered, in order, with
 * its attempts (each scheduled task call, retries included). A state is `failed` when its last
 * attempt failed (a Catch may have moved on; its exit is still shown) or when the execution failed,
 * was aborted or timed out while in it; `running` while entered and not exited in a live execution.
 */
export function statesFromHistory(events: readonly HistoryEvent[]): StateStep[] {
  const steps: StateStep[] = [];
  let open: { step: StateStep; lastAttempt?: "succeeded" | "failed"; error?: string; cause?: string } | undefined;
  const close = (status: StateStep["status"], exitedAt?: Date, failure?: { error?: string; cause?: string }) => {
    if (!open) return;
    const error = failure?.error ?? open.error;
    const cause = failure?.cause ?? open.cause;
    steps.push({
      ...open.step,
      ...(exitedAt ? { exitedAt: exitedAt.toISOString() } : {}),
      status,
      ...(status === "failed" && error !== undefined ? { error } : {}),
      ...(status === "failed" && cause !== undefined ? { cause } : {}),
    });
    open = undefined;
  };
  for (const event of events) {
    const type = event.type ?? "";
    if (type.endsWith("StateEntered")) {
      close("running");
      open = { step: { name: event.stateEnteredEventDetails?.name ?? "", enteredAt: event.timestamp!.toISOString(), status: "running", attempts: 0 } };
    } else if (type.endsWith("StateExited") && open) {
      close(open.lastAttempt === "failed" ? "failed" : "succeeded", event.timestamp);
    } else if (open && attemptScheduledTypes.has(type)) {
      open.step = { ...open.step, attempts: open.step.attempts + 1 };
    } else if (open && attemptSucceededTypes.has(type)) {
      open.lastAttempt = "succeeded";
    } else if (open && attemptFailedTypes.has(type)) {
      open.lastAttempt = "failed";
      Object.assign(open, errorOf(event));
    } else if (executionEndedTypes.has(type)) {
      close("failed", undefined, errorOf(event));
    }
  }
  close("running");
  return steps;
}

function eventView(event: HistoryEvent): ExecutionEventView {
  const stateName = event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name;
  return {
    id: event.id!,
    ...(event.previousEventId ? { previousEventId: event.previousEventId } : {}),
    type: event.type!,
    timestamp: event.timestamp!.toISOString(),
    ...(stateName === undefined ? {} : { stateName }),
    ...errorOf(event),
  };
}

/** The error and cause of whichever `…EventDetails` member carries them. */
function errorOf(event: HistoryEvent): { error?: string; cause?: string } {
  for (const [key, value] of Object.entries(event as object)) {
    if (!key.endsWith("EventDetails") || typeof value !== "object" || value === null) continue;
    const { error, cause } = value as { error?: unknown; cause?: unknown };
    if (typeof error === "string" || typeof cause === "string") {
      return { ...(typeof error === "string" ? { error } : {}), ...(typeof cause === "string" ? { cause } : {}) };
    }
  }
  return {};
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
