/**
 * The local cloud's CloudWatch Logs, wired as the stacks wire it (stacks/log-subscriptions.ts):
 * every function's output goes to its log group, subscribed to the refiner with
 * `logRefinement.functionLogPatterns`; every HTTP API's access log is a group of its own, named as
 * SST names it and subscribed with `logRefinement.accessLogPattern`; the refiner's own group and the
 * WebSocket API's access log are kept but not subscribed. The refiner is the declared handler,
 * invoked here as CloudWatch Logs invokes it, against the local OpenSearch.
 */
import path from "node:path";
import type { CloudWatchLogsEvent } from "aws-lambda";
import { logRefinement } from "@haul/functions/declarations";
import { createHandlerLoader, invokeHandler } from "../gateway/handler-loader.js";
import { createLambdaContext } from "../gateway/lambda-context.js";
import { withTimeout } from "../gateway/lambda-invocation.js";
import { installLogCapture, runWithFunctionLogs, type FunctionLogEvent, type TerminalLevel } from "./log-capture.js";
import { createLocalLogGroups, type LocalLogGroups, type LogDeliveryStats, type SubscriptionFilter } from "./log-groups.js";

export interface LocalLogsOptions {
  /** `.haul/logs`: groups go to `groups/`, undeliverable batches to `failed-log-batches/`. */
  readonly logsDirectory: string;
  /** `<stage>-<app>`, as function names start. */
  readonly resourcePrefix: string;
  readonly root: string;
  readonly region: string;
  readonly accountId: string;
  /** Handler lines at or above it are echoed to the terminal too; default WARN. */
  readonly terminalLevel?: TerminalLevel;
  /** Default 1000 ms: how long matching events wait for their batch. */
  readonly deliveryIntervalMs?: number;
  readonly warn: (line: string) => void;
}

export interface LocalLogs {
  /** The access log group of an API, named as SST names it, subscribed when `subscribed`. */
  accessLogGroup(apiName: string, apiId: string, stageName: string, subscribed: boolean): AccessLogGroup;
  /** Events from another process (the query service's gateway), already attributed to their group. */
  put(event: FunctionLogEvent): void;
  flush(): Promise<void>;
  stats(): LogDeliveryStats;
  stop(): Promise<void>;
}

export interface AccessLogGroup {
  readonly logGroup: string;
  readonly logStream: string;
  write(line: string): void;
}

export function startLocalLogs(options: LocalLogsOptions): LocalLogs {
  const refinerFunction = `${options.resourcePrefix}-${logRefinement.refiner.name}`;
  const refinerGroup = `/aws/lambda/${refinerFunction}`;
  const subscribedAccessGroups = new Set<string>();
  const loadHandler = createHandlerLoader(options.root);
  const timeoutMs = logRefinement.refiner.timeoutSeconds * 1000;

  const subscriptionsOf = (logGroup: string): SubscriptionFilter[] => {
    if (subscribedAccessGroups.has(logGroup)) return [{ name: "Refinement", pattern: logRefinement.accessLogPattern }];
    // The refiner must not feed itself.
    if (!logGroup.startsWith("/aws/lambda/") || logGroup === refinerGroup) return [];
    return logRefinement.functionLogPatterns.map((pattern, index) => ({ name: `Refinement${index + 1}`, pattern }));
  };

  const deliver = async (event: CloudWatchLogsEvent): Promise<void> => {
    const context = createLambdaContext({ functionName: refinerFunction, region: options.region, accountId: options.accountId, memorySizeMb: 1024, timeoutMs });
    const handler = await loadHandler(logRefinement.refiner.handler);
    await runWithFunctionLogs(context, logRefinement.refiner.service, () => withTimeout(invokeHandler(handler, event, context), timeoutMs));
  };

  const groups: LocalLogGroups = createLocalLogGroups({
    directory: path.join(options.logsDirectory, "groups"),
    failedBatchDirectory: path.join(options.logsDirectory, "failed-log-batches"),
    accountId: options.accountId,
    subscriptionsOf,
    deliver,
    warn: options.warn,
    ...(options.deliveryIntervalMs === undefined ? {} : { deliveryIntervalMs: options.deliveryIntervalMs }),
  });
  const uninstall = installLogCapture({ sink: groups.put, ...(options.terminalLevel ? { terminalLevel: options.terminalLevel } : {}) });

  return {
    accessLogGroup(apiName, apiId, stageName, subscribed) {
      const logGroup = accessLogGroupName(options.resourcePrefix, apiName, apiId, stageName);
      if (subscribed) subscribedAccessGroups.add(logGroup);
      const logStream = `${apiId}_${stageName.replace(/[^A-Za-z0-9._-]/g, "")}`;
      return { logGroup, logStream, write: (line) => groups.put({ logGroup, logStream, timestamp: Date.now(), message: line }) };
    },
    put: groups.put,
    flush: groups.flush,
    stats: groups.stats,
    async stop() {
      await groups.stop();
      uninstall();
    },
  };
}

/** SST's access log group of an API: `/aws/vendedlogs/apis/<stage>-<app>-<Api>-<api id>/<stage name>`. */
export function accessLogGroupName(resourcePrefix: string, apiName: string, apiId: string, stageName: string): string {
  const clean = (text: string) => text.replace(/[^.\-_/#A-Za-z0-9]/g, "");
  return `/aws/vendedlogs/apis/${clean(`${resourcePrefix}-${apiName}`)}-${apiId}/${clean(stageName)}`;
}
