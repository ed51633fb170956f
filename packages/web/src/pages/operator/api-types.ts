/** The shapes the operator's pages read, taken (as types only) from the services' own zod schemas. */
import type { ExecutionStatus } from "@haul/core/workflow/executions";

export type { FleetTruck, FleetView } from "@haul/core/tracking/fleet";
export type { LogDocument } from "@haul/core/observability/log-document";
export type { LogStatsReport } from "@haul/core/observability/log-stats";
export type {
  ExecutionDetail,
  ExecutionEventView as ExecutionEvent,
  ExecutionPage as ExecutionList,
  ExecutionSummary,
  StateStep as ExecutionState,
} from "@haul/core/workflow/executions";

/** The list route's `status` filter (a copy: the web app takes no runtime code from the services). */
export const executionStatuses = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] as const satisfies readonly ExecutionStatus[];
