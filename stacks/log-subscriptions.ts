import type { IConstruct, IDependable } from "constructs";
import type { Function as LambdaFunction, IFunction } from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { LambdaDestination } from "aws-cdk-lib/aws-logs-destinations";
import { logRefinement } from "../packages/functions/src/declarations.js";
import { Stack } from "aws-cdk-lib";
import { retentionDays, stageProfile, type LogRetention } from "./stage-profile.js";

/** The refiner as subscription filters need it (built by stacks/Observability.ts). */
export interface LogRefiner {
  readonly fn: IFunction;
  /** CloudWatch Logs' permission to invoke the refiner: every filter waits for it. */
  readonly invokePermission: IDependable;
}

/**
 * How long a log group of `stage` keeps its events: the longer of the stage's own log retention and
 * `logRefinement.retentionDays`, so refinement never shortens what a stage keeps (production: a year).
 */
export function refinedLogRetention(stage: string): logs.RetentionDays {
  const days = Math.max(logRefinement.retentionDays, retentionDays(stageProfile(stage).logRetention));
  const retention = Object.values(logs.RetentionDays).find((value) => value === days);
  if (retention === undefined) throw new Error(`CloudWatch Logs has no ${days}-day retention`);
  return retention as logs.RetentionDays;
}

/** The same retention in SST's spelling (`one_month`), for constructs that take SST props. */
export function refinedLogRetentionName(stage: string): LogRetention {
  const retention = refinedLogRetention(stage);
  const key = (Object.keys(logs.RetentionDays) as Array<keyof typeof logs.RetentionDays>).find((name) => logs.RetentionDays[name] === retention);
  return key!.toLowerCase() as LogRetention;
}

/**
 * Creates the function's log group (`/aws/lambda/<function name>`, where Lambda writes) with the
 * refinement retention, instead of leaving Lambda to create it without one, and subscribes it to
 * `refiner`; without one (the refiner's own group: it must not feed itself) it stays unsubscribed.
 */
export function createFunctionLogGroup(fn: LambdaFunction, refiner: LogRefiner | undefined): logs.LogGroup {
  const logGroup = new logs.LogGroup(fn, "Logs", { logGroupName: `/aws/lambda/${fn.functionName}`, retention: refinedLogRetention(stageOf(fn)) });
  if (refiner) {
    logRefinement.functionLogPatterns.forEach((pattern, index) => subscribe(logGroup, `Refinement${index + 1}`, pattern, refiner));
  }
  return logGroup;
}

/** The SST stage of the stack `scope` is in. */
function stageOf(scope: IConstruct): string {
  const stack = Stack.of(scope) as Stack & { readonly stage?: string };
  if (!stack.stage) throw new Error(`${scope.node.path} is not in an SST stack: its stage is unknown`);
  return stack.stage;
}

/** Every function's log group, subscribed with `logRefinement.functionLogPatterns` (two filters: the most a log group takes). */
export function subscribeFunctionLogs(functions: readonly LambdaFunction[], refiner: LogRefiner): void {
  for (const fn of functions) createFunctionLogGroup(fn, refiner);
}

/** An HTTP API's access log group (SST creates it, with the retention it is given), subscribed with `logRefinement.accessLogPattern`. */
export function subscribeAccessLogs(api: IConstruct & { readonly cdk: { readonly accessLogGroup?: logs.LogGroup } }, refiner: LogRefiner): void {
  const logGroup = api.cdk.accessLogGroup;
  if (!logGroup) throw new Error(`${api.node.path} has no access log group to subscribe`);
  subscribe(logGroup, "Refinement", logRefinement.accessLogPattern, refiner);
}

function subscribe(logGroup: logs.LogGroup, id: string, pattern: string, refiner: LogRefiner): void {
  const filter = new logs.SubscriptionFilter(logGroup, id, {
    logGroup,
    // The Observability stack grants CloudWatch Logs the invoke once, for every log group of the account.
    destination: new LambdaDestination(refiner.fn, { addPermissions: false }),
    filterPattern: logs.FilterPattern.literal(pattern),
  });
  filter.node.addDependency(refiner.invokePermission);
}
