/**
 * The local stand-in for Step Functions: the reservation workflow's ASL file run by
 * aws-local-stepfunctions behind an endpoint that speaks the Step Functions JSON API, so
 * `@aws-sdk/client-sfn` (through AWS_ENDPOINT_URL_SFN) and `aws stepfunctions ... --endpoint-url`
 * work unchanged. Lambda tasks run the declared handler modules in this process, the
 * DynamoDB tasks call the local DynamoDB, the SNS tasks publish to the local topic.
 */
import { reservationWorkflow, tables, type WorkflowDeclaration } from "@haul/functions/declarations";
import { appName, localHost, localStage, repoRoot } from "../config.js";
import { physicalTableName } from "../dynamodb/tables.js";
import { createStepFunctionsApi, describeExecution, type ExecutionDescription } from "./api.js";
import { loadWorkflow } from "./definition.js";
import { ExecutionStore } from "./executions.js";
import { startJsonProtocolServer } from "./json-protocol-server.js";
import { createDynamoDbTaskClient } from "./tasks/dynamodb-task.js";
import { createLambdaInvoker } from "./tasks/lambda-task.js";
import type { SnsPublisher } from "./tasks/sns-task.js";
import { WorkflowRunner, type TaskOverrides } from "./workflow-runner.js";

export type { TaskInvocation, TaskOverride, TaskOverrides } from "./workflow-runner.js";
export type { ExecutionDescription } from "./api.js";

export interface StepFunctionsOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The local DynamoDB the DynamoDB tasks call. */
  readonly dynamodbEndpoint: string;
  /** The local SNS topic the SNS tasks publish to. */
  readonly driverNotifications: { readonly topic: { readonly arn: string }; readonly publish: SnsPublisher };
  /** Default: the reservation workflow of the declaration. */
  readonly workflow?: WorkflowDeclaration;
  /** Default: `local`. */
  readonly stage?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** Root that the ASL file and handler strings are relative to (default: the repository root). */
  readonly root?: string;
  /** Multiplies every Retry interval (default 1); tests use e.g. 0.001 to retry in milliseconds. */
  readonly retryIntervalScale?: number;
  /** Replace or wrap tasks' runners, by state name or declared Lambda task name (tests, fault injection). */
  readonly taskOverrides?: TaskOverrides;
  /** SST's defaults: 10 s and 1024 MB. */
  readonly functionTimeoutSeconds?: number;
  readonly functionMemorySizeMb?: number;
  /**
   * Closed executions kept in memory with their history (default 5,000, about 20 KB each;
   * older ones are dropped, their names stay taken). A larger number costs GC time.
   */
  readonly maxClosedExecutions?: number;
  /** Receives failures of the endpoint itself; default: stderr. */
  readonly errorLog?: (message: string) => void;
}

export interface RunningStepFunctions {
  /** For AWS_ENDPOINT_URL_SFN, e.g. http://127.0.0.1:4004 */
  readonly endpoint: string;
  readonly port: number;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** Resolves with DescribeExecution's answer once the execution has closed. */
  waitForExecution(executionArn: string, options?: { readonly timeoutMs?: number }): Promise<ExecutionDescription>;
  /** Stops the endpoint and aborts executions still running. */
  stop(): Promise<void>;
}

export async function startStepFunctions(options: StepFunctionsOptions): Promise<RunningStepFunctions> {
  const stage = options.stage ?? localStage;
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const root = options.root ?? repoRoot;
  const errorLog = options.errorLog ?? ((message: string) => process.stderr.write(message + "\n"));

  const workflow = loadWorkflow({
    root,
    workflow: options.workflow ?? reservationWorkflow,
    resourcePrefix: `${stage}-${appName}`,
    region,
    accountId,
    driverNotificationsTopicArn: options.driverNotifications.topic.arn,
    trackingSessionsTableName: physicalTableName(stage, tables.trackingSessions),
  });
  const store = new ExecutionStore({ maxClosedExecutions: options.maxClosedExecutions ?? 5_000, maxRetiredNames: 200_000 });
  const dynamodb = createDynamoDbTaskClient({ endpoint: options.dynamodbEndpoint, region });
  const runner = new WorkflowRunner({
    workflow,
    region,
    store,
    invokeLambda: createLambdaInvoker({
      root,
      region,
      accountId,
      memorySizeMb: options.functionMemorySizeMb ?? 1024,
      timeoutMs: (options.functionTimeoutSeconds ?? 10) * 1000,
      service: (options.workflow ?? reservationWorkflow).service,
    }),
    invokeDynamoDb: dynamodb.invoke,
    publish: (input) => options.driverNotifications.publish(input),
    retryIntervalScale: options.retryIntervalScale ?? 1,
    ...(options.taskOverrides ? { taskOverrides: options.taskOverrides } : {}),
    errorLog,
  });

  const server = await startJsonProtocolServer({
    host: options.host ?? localHost,
    port: options.port,
    targetPrefix: "AWSStepFunctions",
    operations: createStepFunctionsApi({ workflow, store, runner, region, accountId, creationDate: new Date() }),
    errorLog,
  }).catch((error: unknown) => {
    dynamodb.destroy();
    throw error;
  });

  return {
    endpoint: server.url,
    port: server.port,
    stateMachineArn: workflow.arn,
    stateMachineName: workflow.name,
    async waitForExecution(executionArn, waitOptions = {}) {
      const execution = store.get(executionArn);
      if (!execution) throw new Error(`No execution ${executionArn}`);
      const timeoutMs = waitOptions.timeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${executionArn} did not close within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([execution.closed, timedOut]);
      } finally {
        clearTimeout(timer);
      }
      return describeExecution(execution, workflow.arn);
    },
    async stop() {
      await server.stop();
      for (const execution of store.running()) execution.abort();
      dynamodb.destroy();
    },
  };
}
