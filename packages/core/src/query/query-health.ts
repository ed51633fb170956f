/**
 * The query service's health: the dependency probes as the read-only user, plus where reads go.
 * A replica that is down or lagging does not make the service unhealthy (reads go to the
 * primary): the report says so in `reads` and `degraded`, and answers 200 while the primary and
 * Redis answer.
 */
import { Health, type HealthReport } from "../health.js";
import type { ReadSource, ReplicaRouter } from "./replica-router.js";

export interface QueryHealthReport extends HealthReport {
  /** True when the replica is not used (down or lagging): reads are served by the primary. */
  readonly degraded: boolean;
  readonly reads: ReadSource;
}

export async function checkQueryHealth(router: ReplicaRouter): Promise<QueryHealthReport> {
  const [report] = await Promise.all([Health.check({ as: "reader" }), router.checkLag()]);
  const { primary, replica, redis } = report.dependencies;
  let reads = router.status();
  // This process may not have read since the replica went (each Lambda has its own breaker): the probe tells.
  if (replica.status === "down" && reads.replica === "up") {
    reads = { replica: "down", readingFrom: "primary", since: report.checkedAt, ...(replica.reason ? { reason: replica.reason } : {}) };
  }
  return {
    ...report,
    healthy: primary.status === "up" && redis.status === "up",
    degraded: reads.replica !== "up",
    reads,
  };
}
