/**
 * Runs executions of one state machine with aws-local-stepfunctions. The StateMachine is
 * built (and the ASL validated) once; each execution is one `run` with every Task
 * overridden by its local runner (Lambda handler, DynamoDB call, SNS publish), and its
 * event log is turned into the execution's history as it goes.
 */
import "./promise-with-resolvers.js";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { JsonValue, LoadedWorkflow, TaskStateInfo } from "./definition.js";
import { Execution, type ExecutionStore } from "./executions.js";
import { ExecutionHistory, type HistoryContext, type TaskAttempt } from "./history.js";
import { adaptForLocalRun, type LocalAdaptations } from "./local-adaptations.js";
import type { DynamoDbInvoker } from "./tasks/dynamodb-task.js";
import { lambdaFunctionError, type LambdaInvoker } from "./tasks/lambda-task.js";
import { publishFromTask, type SnsPublisher } from "./tasks/sns-task.js";
import { describeThrown, TaskError } from "./tasks/task-error.js";

export interface TaskInvocation {
  readonly executionArn: string;
  readonly executionName: string;
  readonly stateName: string;
  readonly resource: string;
  /** 1 for the first attempt of this state in this execution, 2 for its first retry, ... */
  readonly attempt: number;
  /** Runs the task as the local cloud does without an override (the real handler or service call). */
  next(input: JsonValue): Promise<JsonValue>;
}

/**
 * Replaces a task's local runner, for tests: fake a handler, or inject faults and call
 * `invocation.next`. Thrown errors fail the task like the real runner's: a Lambda task's
 * error name becomes the ASL error (e.g. `TransientError`).
 */
export type TaskOverride = (input: JsonValue, invocation: TaskInvocation) => unknown;

/** Overrides by state name (`NotifyDriver`) or, for Lambda tasks, by declared task name (`InvalidateReservationCache`). */
export type TaskOverrides = Readonly<Record<string, TaskOverride>>;

export interface WorkflowRunnerOptions {
  readonly workflow: LoadedWorkflow;
  readonly region: string;
  readonly store: ExecutionStore;
  readonly invokeLambda: LambdaInvoker;
  readonly invokeDynamoDb: DynamoDbInvoker;
  readonly publish: SnsPublisher;
  /** Multiplies every Retry interval; 1 runs the real intervals. */
  readonly retryIntervalScale: number;
  readonly taskOverrides?: TaskOverrides;
  /** Receives failures of the runner itself (not of executions). */
  readonly errorLog: (message: string) => void;
}

type TaskHandler = (input: JsonValue) => Promise<JsonValue>;

export class WorkflowRunner {
  private readonly machine: StateMachine;
  private readonly adaptations: LocalAdaptations;
  private readonly historyContext: HistoryContext;

  constructor(private readonly options: WorkflowRunnerOptions) {
    const { workflow } = options;
    this.historyContext = { tasks: workflow.tasks, stateTypes: workflow.stateTypes, roleArn: workflow.roleArn, region: options.region };
    const definition = structuredClone(options.workflow.definition);
    // Validates the definition as written; the adaptations change only this running copy.
    this.machine = new StateMachine(definition as unknown as StateMachineDefinition);
    this.adaptations = adaptForLocalRun(definition, { retryIntervalScale: options.retryIntervalScale });
  }

  start(executionArn: string, name: string, inputText: string, input: JsonValue): Execution {
    const { workflow, store } = this.options;
    const history = new ExecutionHistory(this.historyContext, inputText);
    const execution = store.create(executionArn, name, inputText, history);
    const run = this.machine.run(input, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(execution) },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: workflow.roleArn },
        StateMachine: { Id: workflow.arn, Name: workflow.name },
      },
    });
    execution.abort = run.abort;
    // The outcome comes from the event log; the result promise only must not go unhandled.
    run.result.catch(() => undefined);
    void this.follow(run.eventLogs, execution);
    return execution;
  }

  private async follow(events: ReturnType<StateMachine["run"]>["eventLogs"], execution: Execution): Promise<void> {
    try {
      for await (const event of events) {
        const outcome = execution.history.apply(event);
        if (outcome) execution.close(outcome);
      }
    } catch (error) {
      this.options.errorLog(`Step Functions: the history of ${execution.executionArn} broke off: ${describeThrown(error).message}`);
    }
    if (!execution.outcome) {
      execution.close({ status: "FAILED", stopDate: Date.now(), error: "States.Runtime", cause: "The local interpreter ended without an outcome" });
    }
    this.options.store.closed(execution);
  }

  /** One handler per Task state, bound to this execution (the library passes only the input). */
  private taskHandlers(execution: Execution): Record<string, TaskHandler> {
    const attempts = new Map<string, number>();
    const handlers: Record<string, TaskHandler> = {};
    const { parameters, failStates } = this.adaptations;
    for (const task of this.options.workflow.tasks.values()) {
      const template = parameters.get(task.stateName);
      handlers[task.stateName] = async (stateInput) => {
        const attempt = (attempts.get(task.stateName) ?? 0) + 1;
        attempts.set(task.stateName, attempt);
        const input = template ? template(stateInput, () => this.contextObject(execution, task.stateName, attempt)) : stateInput;
        return this.runTask(task, input, execution, attempt);
      };
    }
    for (const stateName of failStates) {
      const template = parameters.get(stateName);
      handlers[stateName] = async (stateInput) =>
        failExecution(template ? template(stateInput, () => this.contextObject(execution, stateName, 1)) : stateInput);
    }
    return handlers;
  }

  /** The context object (`$$`) as Parameters see it. */
  private contextObject(execution: Execution, stateName: string, attempt: number): JsonValue {
    const { workflow } = this.options;
    return {
      Execution: {
        Id: execution.executionArn,
        Input: JSON.parse(execution.input) as JsonValue,
        Name: execution.name,
        RoleArn: workflow.roleArn,
        StartTime: new Date(execution.startDate).toISOString(),
      },
      State: { EnteredTime: new Date().toISOString(), Name: stateName, RetryCount: attempt - 1 },
      StateMachine: { Id: workflow.arn, Name: workflow.name },
    };
  }

  private async runTask(task: TaskStateInfo, input: JsonValue, execution: Execution, attemptNumber: number): Promise<JsonValue> {
    const attempt: TaskAttempt = { stateName: task.stateName, startedAt: Date.now(), parameters: input };
    execution.history.pendingAttempts.push(attempt);
    try {
      const output = await this.invoke(task, input, execution, attemptNumber);
      attempt.output = output;
      return output;
    } catch (thrown) {
      const error = toTaskError(task, thrown);
      attempt.error = { error: error.name, cause: error.message };
      throw error;
    } finally {
      attempt.finishedAt = Date.now();
    }
  }

  private async invoke(task: TaskStateInfo, input: JsonValue, execution: Execution, attempt: number): Promise<JsonValue> {
    const next = (taskInput: JsonValue) => this.invokeLocalRunner(task, taskInput);
    const overrides = this.options.taskOverrides;
    const override = overrides?.[task.stateName] ?? (task.target.kind === "lambda" ? overrides?.[task.target.taskName] : undefined);
    if (!override) return next(input);
    const result = await override(input, {
      executionArn: execution.executionArn,
      executionName: execution.name,
      stateName: task.stateName,
      resource: task.resource,
      attempt,
      next,
    });
    // Whatever a fake returns reaches the state machine as JSON, as a real result would.
    return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as JsonValue);
  }

  private async invokeLocalRunner(task: TaskStateInfo, input: JsonValue): Promise<JsonValue> {
    const { target } = task;
    switch (target.kind) {
      case "lambda":
        return this.options.invokeLambda(target, input);
      case "dynamodb":
        return this.options.invokeDynamoDb(target.action, input);
      case "sns":
        return publishFromTask(this.options.publish, input);
    }
  }
}

function toTaskError(task: TaskStateInfo, thrown: unknown): TaskError {
  if (thrown instanceof TaskError) return thrown;
  if (task.target.kind === "lambda") return lambdaFunctionError(thrown);
  const { name, message } = describeThrown(thrown);
  return new TaskError(name, message);
}

/** A Fail state adapted to run as a Task (see local-adaptations.ts): its Parameters hold Error and Cause. */
async function failExecution(input: JsonValue): Promise<JsonValue> {
  const fields = (typeof input === "object" && input !== null && !Array.isArray(input) ? input : {}) as Record<string, JsonValue>;
  throw new TaskError(typeof fields.Error === "string" ? fields.Error : "States.Fail", typeof fields.Cause === "string" ? fields.Cause : "");
}
