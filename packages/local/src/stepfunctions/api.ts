/**
 * The Step Functions API operations the local endpoint answers, with AWS's request
 * validation, response shapes and error names: StartExecution, DescribeExecution,
 * ListExecutions, GetExecutionHistory, DescribeStateMachine and ListStateMachines.
 * Dates are epoch seconds, as the JSON protocol carries them.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 */
import { randomUUID } from "node:crypto";
import type { JsonValue, LoadedWorkflow } from "./definition.js";
import type { Execution, ExecutionStatus, ExecutionStore } from "./executions.js";
import type { HistoryEvent } from "./history.js";
import { ApiError, type Operations } from "./json-protocol-server.js";
import type { WorkflowRunner } from "./workflow-runner.js";

export interface StepFunctionsApiOptions {
  readonly workflow: LoadedWorkflow;
  readonly store: ExecutionStore;
  readonly runner: WorkflowRunner;
  readonly region: string;
  readonly accountId: string;
  readonly creationDate: Date;
}

type Input = Readonly<Record<string, unknown>>;

/** ListExecutions' statusFilter values, in the order AWS lists them; nothing here is ever PENDING_REDRIVE. */
const statusFilters = ["SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED", "RUNNING"];
const maxInputBytes = 256 * 1024;
const defaultPageSize = 100;
const maxPageSize = 1000;
/** Characters AWS does not allow in execution names: whitespace, brackets, wildcards, specials, controls. */
const invalidNameCharacters = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export function createStepFunctionsApi(options: StepFunctionsApiOptions): Operations {
  const { workflow, store, runner } = options;
  const executionArnPrefix = `arn:aws:states:${options.region}:${options.accountId}:execution:${workflow.name}:`;

  function requireStateMachine(input: Input): void {
    const arn = requireString(input, "stateMachineArn");
    checkArn(arn);
    if (arn !== workflow.arn) throw new ApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
  }

  function requireExecution(input: Input): Execution {
    const arn = requireString(input, "executionArn");
    checkArn(arn);
    const execution = store.get(arn);
    if (!execution) throw new ApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  return {
    StartExecution(input) {
      requireStateMachine(input);
      const name = optionalString(input, "name") ?? randomUUID();
      if (name.length < 1 || name.length > 80 || invalidNameCharacters.test(name)) {
        throw new ApiError("InvalidName", `Invalid Name: '${name}'`);
      }
      const inputText = optionalString(input, "input") ?? "{}";
      const parsed = parseExecutionInput(inputText);
      const executionArn = executionArnPrefix + name;

      // AWS: the same name and an identical input while the first is open is the same execution;
      // a different input, or any input once it has closed, is ExecutionAlreadyExists.
      const existing = store.get(executionArn);
      if (existing?.status === "RUNNING" && existing.input === inputText) {
        return { executionArn, startDate: seconds(existing.startDate) };
      }
      if (existing || store.wasDropped(executionArn)) {
        throw new ApiError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
      }
      const execution = runner.start(executionArn, name, inputText, parsed);
      return { executionArn, startDate: seconds(execution.startDate) };
    },

    DescribeExecution(input) {
      return describeExecution(requireExecution(input), workflow.arn);
    },

    ListExecutions(input) {
      requireStateMachine(input);
      const statusFilter = optionalString(input, "statusFilter");
      if (statusFilter !== undefined && !statusFilters.includes(statusFilter)) {
        throw new ApiError(
          "ValidationException",
          `1 validation error detected: Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${statusFilters.join(", ")}]`,
        );
      }
      const pageSize = pageSizeOf(input);
      const token = readToken(input, "executions");
      const page: Execution[] = [];
      let more = false;
      for (const execution of store.newestFirst(statusFilter as ExecutionStatus | undefined, token?.before)) {
        if (page.length === pageSize) {
          more = true;
          break;
        }
        page.push(execution);
      }
      return {
        executions: page.map((execution) => ({
          executionArn: execution.executionArn,
          stateMachineArn: workflow.arn,
          name: execution.name,
          status: execution.status,
          startDate: seconds(execution.startDate),
          ...(execution.outcome ? { stopDate: seconds(execution.outcome.stopDate) } : {}),
        })),
        ...(more ? { nextToken: writeToken({ kind: "executions", before: page.at(-1)!.sequence }) } : {}),
      };
    },

    GetExecutionHistory(input) {
      const execution = requireExecution(input);
      const reverse = input.reverseOrder === true;
      const includeData = input.includeExecutionData !== false;
      const pageSize = pageSizeOf(input);
      const token = readToken(input, "history");
      const events = execution.history.events;
      const ordered = reverse ? [...events].reverse() : events;
      const start = token?.offset ?? 0;
      const page = ordered.slice(start, start + pageSize);
      const end = start + page.length;
      return {
        events: page.map((event) => renderEvent(event, includeData)),
        ...(end < ordered.length ? { nextToken: writeToken({ kind: "history", offset: end }) } : {}),
      };
    },

    DescribeStateMachine(input) {
      requireStateMachine(input);
      return {
        stateMachineArn: workflow.arn,
        name: workflow.name,
        status: "ACTIVE",
        definition: workflow.definitionText,
        roleArn: workflow.roleArn,
        type: "STANDARD",
        creationDate: seconds(options.creationDate.getTime()),
        // What the local interpreter does: no CloudWatch logs, no X-Ray (the cloud has both).
        loggingConfiguration: { level: "OFF", includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },

    ListStateMachines(input) {
      pageSizeOf(input);
      return {
        stateMachines: [{ stateMachineArn: workflow.arn, name: workflow.name, type: "STANDARD", creationDate: seconds(options.creationDate.getTime()) }],
      };
    },
  };
}

/** DescribeExecution's response; also what `waitForExecution` resolves with. */
export function describeExecution(execution: Execution, stateMachineArn: string) {
  const outcome = execution.outcome;
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    ...(outcome ? { stopDate: seconds(outcome.stopDate) } : {}),
    input: execution.input,
    inputDetails: { included: true },
    ...(outcome?.status === "SUCCEEDED" ? { output: outcome.output.toJSON(), outputDetails: { included: true } } : {}),
    ...(outcome?.status === "FAILED" ? { error: outcome.error, cause: outcome.cause } : {}),
    redriveCount: 0,
    redriveStatus: "NOT_REDRIVABLE",
    redriveStatusReason:
      outcome?.status === "FAILED" || outcome?.status === "TIMED_OUT" || outcome?.status === "ABORTED"
        ? "The local Step Functions does not support RedriveExecution"
        : `Execution is ${execution.status} and cannot be redriven`,
  };
}

export type ExecutionDescription = ReturnType<typeof describeExecution>;

function renderEvent(event: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const rendered: Record<string, unknown> = {
    timestamp: seconds(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.detailsKey && event.details) {
    rendered[event.detailsKey] = includeData ? event.details : withoutData(event.details);
  }
  return rendered;
}

function withoutData(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { input: _input, output: _output, parameters: _parameters, ...rest } = details;
  return rest;
}

function seconds(milliseconds: number): number {
  return milliseconds / 1000;
}

function requireString(input: Input, field: string): string {
  const value = input[field];
  if (value === undefined || value === null) {
    throw new ApiError("ValidationException", `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof value !== "string") throw new ApiError("SerializationException", `${field} must be a string`);
  return value;
}

function optionalString(input: Input, field: string): string | undefined {
  return input[field] === undefined || input[field] === null ? undefined : requireString(input, field);
}

function checkArn(arn: string): void {
  if (!arn.startsWith("arn:")) throw new ApiError("InvalidArn", `Invalid Arn: 'Invalid ARN prefix: ${arn}'`);
}

function parseExecutionInput(text: string): JsonValue {
  if (Buffer.byteLength(text, "utf8") > maxInputBytes) {
    throw new ApiError("InvalidExecutionInput", "Invalid State Machine Execution Input: 'The input exceeds the maximum size of 262144 bytes'");
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new ApiError("InvalidExecutionInput", `Invalid State Machine Execution Input: '${(error as Error).message}'`);
  }
}

function pageSizeOf(input: Input): number {
  const value = input.maxResults ?? 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > maxPageSize) {
    throw new ApiError(
      "ValidationException",
      `1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
    );
  }
  return value === 0 ? defaultPageSize : value;
}

type PageToken = { kind: "executions"; before: number } | { kind: "history"; offset: number };

function writeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function readToken<K extends PageToken["kind"]>(input: Input, kind: K): Extract<PageToken, { kind: K }> | undefined {
  const text = optionalString(input, "nextToken");
  if (text === undefined) return undefined;
  try {
    const token = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as PageToken;
    const valid = token.kind === kind && Number.isInteger(kind === "executions" ? (token as { before: number }).before : (token as { offset: number }).offset);
    if (valid) return token as Extract<PageToken, { kind: K }>;
  } catch {
    // reported below
  }
  throw new ApiError("InvalidToken", `Invalid Token: '${text}'`);
}
