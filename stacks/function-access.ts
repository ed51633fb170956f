import type { IGrantable } from "aws-cdk-lib/aws-iam";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import type { FunctionProps } from "sst/constructs";
import type { FunctionUse, tables } from "../packages/functions/src/declarations.js";
import type { Data } from "./Data.js";
import type { Network } from "./Network.js";

/** The variable handlers read the reservation workflow's ARN from (packages/functions/src/reservation/start-workflow.ts). */
export const reservationStateMachineArnVariable = "HAUL_RESERVATION_STATE_MACHINE_ARN";

export interface FunctionAccessSources {
  readonly network: ReturnType<typeof Network>;
  readonly data: ReturnType<typeof Data>;
  /** Only stacks that come after the Workflow stack can give functions the workflow. */
  readonly reservationWorkflow?: IStateMachine;
}

/** What one use gives a function. */
interface UseAccess {
  /** The resource lives in the VPC, so the function must run there to reach it. */
  readonly inVpc: boolean;
  readonly environment: Readonly<Record<string, string>>;
  grant(grantee: IGrantable): void;
}

/**
 * The one place that turns a declared `uses` list (packages/functions/src/declarations.ts) into a
 * function's VPC placement, environment and IAM grants, so that each function can reach exactly
 * what its handler uses. `props` goes into the function's props; `grant` applies to the function
 * built from them.
 */
export interface FunctionAccess {
  props(uses: readonly FunctionUse[] | undefined): FunctionProps;
  grant(grantee: IGrantable, uses: readonly FunctionUse[] | undefined): void;
}

export function functionAccess({ network, data, reservationWorkflow }: FunctionAccessSources): FunctionAccess {
  const table = (key: keyof typeof tables): UseAccess => ({
    // DynamoDB is reached through its public endpoint (or the VPC's gateway endpoint).
    inVpc: false,
    environment: data.environment.tables[key],
    grant: (grantee) => data.tables[key].cdk.table.grantReadWriteData(grantee),
  });
  // One function per secret, so that two uses of the same login (replica, primaryReadOnly) grant it once.
  const readAdminSecret = (grantee: IGrantable) => data.mysql.adminSecret.grantRead(grantee);
  const readReaderSecret = (grantee: IGrantable) => data.mysql.readerSecret.grantRead(grantee);
  const readRedisToken = (grantee: IGrantable) => data.redis.authTokenSecret.grantRead(grantee);
  // Lazy, so that a use whose resource this stack cannot see fails only when a function asks for it.
  const byUse: { readonly [U in FunctionUse]: () => UseAccess } = {
    primary: () => ({ inVpc: true, environment: data.environment.primary, grant: readAdminSecret }),
    // The read-only user on the primary: the reader's secret, never the admin's.
    primaryReadOnly: () => ({ inVpc: true, environment: data.environment.primaryReadOnly, grant: readReaderSecret }),
    replica: () => ({ inVpc: true, environment: data.environment.replica, grant: readReaderSecret }),
    redis: () => ({ inVpc: true, environment: data.environment.redis, grant: readRedisToken }),
    trackingSessionsTable: () => table("trackingSessions"),
    reservationWorkflow: () => {
      if (!reservationWorkflow) throw new Error("reservationWorkflow is used by a function of a stack that does not have the Workflow stack's state machine");
      return {
        inVpc: false,
        environment: { [reservationStateMachineArnVariable]: reservationWorkflow.stateMachineArn },
        grant: (grantee) => reservationWorkflow.grantStartExecution(grantee),
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
    grant(grantee, uses) {
      for (const grant of new Set(accessesOf(uses).map((access) => access.grant))) grant(grantee);
    },
  };
}
