import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { NagSuppressions } from "cdk-nag";
import type { IConstruct } from "constructs";
import type { FunctionProps } from "sst/constructs";
import { tables, type FunctionUse, type TableDeclaration } from "../packages/functions/src/declarations.js";
import type { Data } from "./Data.js";
import type { Network } from "./Network.js";
import type { Search } from "./Search.js";

/** The variable handlers read the reservation workflow's ARN from (packages/functions/src/reservation/start-workflow.ts). */
export const reservationStateMachineArnVariable = "HAUL_RESERVATION_STATE_MACHINE_ARN";
/** The variable pushing functions read the LiveApi's @connections endpoint from (packages/functions/src/live/push-to-connections.ts). */
export const liveApiCallbackUrlVariable = "HAUL_LIVE_API_CALLBACK_URL";
/** The variable POST /positions reads the driver-positions stream's name from. */
export const positionsStreamNameVariable = "HAUL_POSITIONS_STREAM_NAME";

/** What a table use allows: CDK's grantReadWriteData without its stream actions (no table has a stream). */
const tableDataActions = [
  "dynamodb:BatchGetItem",
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:ConditionCheckItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:DescribeTable",
];

export interface FunctionAccessSources {
  readonly network: ReturnType<typeof Network>;
  readonly data: ReturnType<typeof Data>;
  /** The OpenSearch domain; every stack after the Search stack has it. */
  readonly search?: ReturnType<typeof Search>;
  /** Only stacks that come after the Workflow stack can give functions the workflow. */
  readonly reservationWorkflow?: IStateMachine;
  /** The LiveApi WebSocket API: stacks after its own can let functions push to connections. */
  readonly liveApi?: {
    /** `https://<api id>.execute-api.<region>.amazonaws.com/<stage>` */
    readonly callbackUrl: string;
    /** `execute-api:ManageConnections` on the API's `@connections` only. */
    grantManageConnections(grantee: IGrantable): void;
  };
  /** The driver-positions Kinesis stream: the Tracking stack, which builds it, can let functions put into it. */
  readonly positionsStream?: {
    readonly streamName: string;
    /** `kinesis:PutRecords` on the stream (encrypted with the AWS managed key: no KMS grant needed). */
    grantPutRecords(grantee: IGrantable): void;
  };
}

/** What one use gives a function. */
interface UseAccess {
  /** The resource lives in the VPC, so the function must run there to reach it. */
  readonly inVpc: boolean;
  readonly environment: Readonly<Record<string, string>>;
  /** `name`: the function's declared name (declaredFunctionName), for grants that must know it. */
  grant(grantee: IGrantable, name?: string): void;
}

/**
 * The one place that turns a declared `uses` list (packages/functions/src/declarations.ts) into a
 * function's VPC placement, environment and IAM grants, so that each function can reach exactly
 * what its handler uses. `props` goes into the function's props; `grant` applies to the function
 * built from them.
 */
export interface FunctionAccess {
  props(uses: readonly FunctionUse[] | undefined): FunctionProps;
  /**
   * `name`: what the function is declared as (declaredFunctionName in declarations.ts); required
   * for `search`, whose grant fixes the function's role name by it.
   */
  grant(grantee: IGrantable, uses: readonly FunctionUse[] | undefined, name?: string): void;
}

export function functionAccess({ network, data, search, reservationWorkflow, liveApi, positionsStream }: FunctionAccessSources): FunctionAccess {
  const table = (key: keyof typeof tables): UseAccess => ({
    // DynamoDB is reached through its public endpoint (or the VPC's gateway endpoint).
    inVpc: false,
    environment: data.environment.tables[key],
    grant: (grantee) => {
      // grantReadWriteData would add `<table ARN>/index/*`; this names the declared indexes instead.
      const { tableArn } = data.tables[key].cdk.table;
      const declaration: TableDeclaration = tables[key];
      Grant.addToPrincipal({
        grantee,
        actions: tableDataActions,
        resourceArns: [tableArn, ...Object.keys(declaration.indexes ?? {}).map((index) => `${tableArn}/index/${index}`)],
      });
    },
  });
  // One function per secret, so that two uses of the same login (replica, primaryReadOnly) grant it once.
  const readAdminSecret = (grantee: IGrantable) => data.mysql.adminSecret.grantRead(grantee);
  const readReaderSecret = (grantee: IGrantable) => data.mysql.readerSecret.grantRead(grantee);
  const readRedisToken = (grantee: IGrantable) => data.redis.authTokenSecret.grantRead(grantee);
  const workflowUse =
    (use: FunctionUse, grant: (grantee: IGrantable, machine: IStateMachine) => void) => (): UseAccess => {
      if (!reservationWorkflow) throw new Error(`${use} is used by a function of a stack that does not have the Workflow stack's state machine`);
      return {
        inVpc: false,
        environment: { [reservationStateMachineArnVariable]: reservationWorkflow.stateMachineArn },
        grant: (grantee) => grant(grantee, reservationWorkflow),
      };
    };
  // Lazy, so that a use whose resource this stack cannot see fails only when a function asks for it.
  const byUse: { readonly [U in FunctionUse]: () => UseAccess } = {
    primary: () => ({ inVpc: true, environment: data.environment.primary, grant: readAdminSecret }),
    // The read-only user on the primary: the reader's secret, never the admin's.
    primaryReadOnly: () => ({ inVpc: true, environment: data.environment.primaryReadOnly, grant: readReaderSecret }),
    replica: () => ({ inVpc: true, environment: data.environment.replica, grant: readReaderSecret }),
    redis: () => ({ inVpc: true, environment: data.environment.redis, grant: readRedisToken }),
    // In the VPC, for the domain lives there. Its grant also names the function's role, which the
    // Search stack's set-up maps to the function's declared OpenSearch access.
    search: () => {
      if (!search) throw new Error("search is used by a function of a stack that does not have the Search stack's domain");
      return { inVpc: true, environment: search.environment, grant: search.grantAccess };
    },
    trackingSessionsTable: () => table("trackingSessions"),
    liveConnectionsTable: () => table("liveConnections"),
    liveSubscriptionsTable: () => table("liveSubscriptions"),
    notificationIdempotencyTable: () => table("notificationIdempotency"),
    // All three name the one state machine in the same variable; they differ in what they grant.
    reservationWorkflow: workflowUse("reservationWorkflow", (grantee, machine) => machine.grantStartExecution(grantee)),
    workflowHistory: workflowUse("workflowHistory", (grantee, machine) => {
      machine.grant(grantee, "states:ListExecutions");
      // `execution:<state machine name>:*`: its executions' names are not known in advance.
      machine.grantExecution(grantee, "states:DescribeExecution", "states:GetExecutionHistory");
      allowAnyExecution(grantee, "Operators read any execution of the reservation workflow (DescribeExecution, GetExecutionHistory)");
    }),
    // The reconciler's: an execution's status, nothing of its history.
    workflowStatus: workflowUse("workflowStatus", (grantee, machine) => {
      machine.grantExecution(grantee, "states:DescribeExecution");
      allowAnyExecution(grantee, "The reconciler asks for the status of any execution of the reservation workflow (DescribeExecution)");
    }),
    liveApiConnections: () => {
      if (!liveApi) throw new Error("liveApiConnections is used by a function of a stack that does not have the LiveApi");
      return {
        inVpc: false,
        environment: { [liveApiCallbackUrlVariable]: liveApi.callbackUrl },
        grant: (grantee) => liveApi.grantManageConnections(grantee),
      };
    },
    positionsStream: () => {
      if (!positionsStream) throw new Error("positionsStream is used by a function of a stack that does not have the driver-positions stream");
      return {
        // Kinesis is reached through its public endpoint.
        inVpc: false,
        environment: { [positionsStreamNameVariable]: positionsStream.streamName },
        grant: (grantee) => positionsStream.grantPutRecords(grantee),
      };
    },
  };
  const accessesOf = (uses: readonly FunctionUse[] | undefined) => [...new Set(uses ?? [])].map((use) => byUse[use]());

  return {
    props(uses) {
      const accesses = accessesOf(uses);
      const placement: FunctionProps = accesses.some((access) => access.inVpc)
        ? { vpc: network.vpc, vpcSubnets: network.functionSubnets, securityGroups: [network.functionSecurityGroup] }
        : {};
      return { ...placement, environment: Object.assign({}, ...accesses.map((access) => access.environment)) };
    },
    grant(grantee, uses, name) {
      for (const grant of new Set(accessesOf(uses).map((access) => access.grant))) grant(grantee, name);
    },
  };
}

/** cdk-nag's IAM5 for `execution:<the workflow's name>:*`: `why` names who reads executions, and with which actions. */
function allowAnyExecution(grantee: IGrantable, why: string): void {
  NagSuppressions.addResourceSuppressions(
    grantee as unknown as IConstruct,
    [
      {
        id: "AwsSolutions-IAM5",
        reason: `${why}. These actions take an execution ARN, and executions are named per reservation, so the grant is \`execution:<the workflow's name>:*\`, nothing wider.`,
        appliesTo: [{ regex: "/^Resource::arn:<AWS::Partition>:states:[^:]+:[^:]+:execution:.+:\\*$/" }],
      },
    ],
    true,
  );
}
