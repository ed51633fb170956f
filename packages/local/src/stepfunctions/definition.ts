/**
 * The workflow's ASL file as the local cloud runs it: the declaration's placeholders filled
 * in with local names (as `definitionSubstitutions` does in the cloud), and every Task state
 * resolved to the local stand-in that runs it, so a Resource without one fails at start-up
 * instead of aws-local-stepfunctions trying to call a real Lambda function.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { WorkflowDeclaration } from "@haul/functions/declarations";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type DynamoDbAction = "putItem" | "getItem" | "updateItem" | "deleteItem";

/** What runs a Task state locally. */
export type TaskTarget =
  | { readonly kind: "lambda"; readonly taskName: string; readonly functionName: string; readonly functionArn: string; readonly handler: string }
  | { readonly kind: "dynamodb"; readonly action: DynamoDbAction }
  | { readonly kind: "sns"; readonly action: "publish" };

export interface TaskStateInfo {
  readonly stateName: string;
  readonly resource: string;
  readonly target: TaskTarget;
  readonly timeoutSeconds?: number;
}

export interface LoadedWorkflow {
  /** Physical name, `<stage>-haul-<Name>`. */
  readonly name: string;
  readonly arn: string;
  readonly roleArn: string;
  /** The definition with placeholders filled in, as DescribeStateMachine returns it. */
  readonly definitionText: string;
  readonly definition: JsonObject;
  readonly tasks: ReadonlyMap<string, TaskStateInfo>;
  /** Every state's Type as the file declares it (local adaptations may change the running copy). */
  readonly stateTypes: ReadonlyMap<string, string>;
}

export interface LoadWorkflowOptions {
  readonly root: string;
  readonly workflow: WorkflowDeclaration;
  /** `<stage>-haul`, the prefix of every physical name. */
  readonly resourcePrefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly driverNotificationsTopicArn: string;
  readonly trackingSessionsTableName: string;
}

const dynamoDbResource = /^arn:aws:states:::dynamodb:(putItem|getItem|updateItem|deleteItem)$/;
const snsPublishResource = "arn:aws:states:::sns:publish";

export function loadWorkflow(options: LoadWorkflowOptions): LoadedWorkflow {
  const { workflow, resourcePrefix, region, accountId } = options;
  const name = `${resourcePrefix}-${workflow.name}`;
  const lambdaByArn = new Map<string, Extract<TaskTarget, { kind: "lambda" }>>();
  const values: Record<string, string> = {
    [workflow.substitutions.driverNotificationsTopicArn]: options.driverNotificationsTopicArn,
    [workflow.substitutions.trackingSessionsTableName]: options.trackingSessionsTableName,
  };
  for (const [taskName, task] of Object.entries(workflow.tasks)) {
    const functionName = `${resourcePrefix}-${taskName}`;
    const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
    values[task.arnSubstitution] = functionArn;
    lambdaByArn.set(functionArn, { kind: "lambda", taskName, functionName, functionArn, handler: task.handler });
  }

  const file = path.resolve(options.root, workflow.definitionFile);
  const definitionText = substitute(readFileSync(file, "utf8"), values, file);
  const definition = JSON.parse(definitionText) as JsonObject;

  const tasks = new Map<string, TaskStateInfo>();
  const stateTypes = new Map<string, string>();
  forEachState(definition, (stateName, state) => {
    stateTypes.set(stateName, String(state.Type));
    if (state.Type !== "Task") return;
    const resource = String(state.Resource);
    const target = resolveTarget(resource, lambdaByArn);
    if (!target) {
      throw new Error(`${workflow.definitionFile}: Task "${stateName}" uses ${resource}, which has no local stand-in (declared Lambda tasks, dynamodb:putItem|getItem|updateItem|deleteItem, sns:publish)`);
    }
    const timeoutSeconds = typeof state.TimeoutSeconds === "number" ? state.TimeoutSeconds : undefined;
    tasks.set(stateName, { stateName, resource, target, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) });
  });

  return {
    name,
    arn: `arn:aws:states:${region}:${accountId}:stateMachine:${name}`,
    roleArn: `arn:aws:iam::${accountId}:role/${name}Role`,
    definitionText,
    definition,
    tasks,
    stateTypes,
  };
}

function substitute(text: string, values: Record<string, string>, file: string): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_placeholder, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${file}: the placeholder \${${key}} has no local value`);
    return value;
  });
}

function resolveTarget(resource: string, lambdaByArn: ReadonlyMap<string, Extract<TaskTarget, { kind: "lambda" }>>): TaskTarget | undefined {
  const lambda = lambdaByArn.get(resource);
  if (lambda) return lambda;
  const dynamodb = dynamoDbResource.exec(resource);
  if (dynamodb) return { kind: "dynamodb", action: dynamodb[1] as DynamoDbAction };
  if (resource === snsPublishResource) return { kind: "sns", action: "publish" };
  return undefined;
}

/** Visits every state, including those inside Parallel branches and Map iterators. */
export function forEachState(machine: JsonObject, visit: (name: string, state: JsonObject) => void): void {
  const states = machine.States as Record<string, JsonObject> | undefined;
  for (const [name, state] of Object.entries(states ?? {})) {
    visit(name, state);
    for (const branch of (state.Branches as JsonObject[] | undefined) ?? []) forEachState(branch, visit);
    for (const key of ["Iterator", "ItemProcessor"]) {
      const nested = state[key] as JsonObject | undefined;
      if (nested) forEachState(nested, visit);
    }
  }
}
