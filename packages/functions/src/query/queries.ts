/**
 * What the query handlers share: one ReservationQueries per execution environment (reader pools,
 * the fail-fast cache client, cache bypasses logged by the shared logger), its replica router
 * (a WARN line and a metric when reads move to the primary, a metric per read it serves in the
 * replica's stead), and the reply that tells the client whether the cache answered.
 */
import type { ReadOptions } from "@haul/core/query/cache-aside";
import { createReplicaRouter, readerDatabase, replicaRoutingFromEnv, type ReadSource, type ReplicaRouter } from "@haul/core/query/replica-router";
import { createReservationQueries, type Cached, type ReservationQueries } from "@haul/core/query/reservation-query";
import { metrics, MetricUnit } from "../shared/powertools.js";
import { logger } from "../shared/logger.js";
import type { HttpReply } from "../shared/http-handler.js";

/** `hit`, `miss` or `bypass` (the cache was down or slow; the database answered). */
export const cacheHeader = "x-cache";

/** Metric names: moves of the reads to the primary, and reads the primary served in the replica's stead. */
export const replicaMetrics = { fallbacks: "ReplicaFallbacks", fallbackReads: "ReplicaFallbackReads" } as const;

let queries: ReservationQueries | undefined;
let router: ReplicaRouter | undefined;

export function getReplicaRouter(): ReplicaRouter {
  router ??= createReplicaRouter({
    database: readerDatabase,
    settings: replicaRoutingFromEnv(),
    onChange: reportReadSourceChange,
    onFallbackRead: () => metrics.addMetric(replicaMetrics.fallbackReads, MetricUnit.Count, 1),
  });
  return router;
}

function reportReadSourceChange(current: ReadSource, previous: ReadSource): void {
  const details = { replica: current.replica, readingFrom: current.readingFrom, previousReplica: previous.replica, ...(current.reason ? { reason: current.reason } : {}) };
  if (current.readingFrom === "replica") {
    logger.info("replica back: reads go to the replica again", details);
    return;
  }
  logger.warn(`replica ${current.replica}: reads go to the primary (read-only user)`, details);
  if (previous.readingFrom === "replica") metrics.addMetric(replicaMetrics.fallbacks, MetricUnit.Count, 1);
}

export function getReservationQueries(): ReservationQueries {
  queries ??= createReservationQueries({ router: getReplicaRouter(), log: { warn: (message, extra) => logger.warn(message, extra ?? {}) } });
  return queries;
}

/** `Cache-Control: no-cache` asks for an answer from the database: the cache is neither read nor filled. */
export function readOptions(headers: Readonly<Record<string, string | undefined>>): ReadOptions {
  return { fresh: /(^|[,\s])no-cache\b/i.test(headers["cache-control"] ?? "") };
}

export function cachedReply(answer: Cached<unknown>): HttpReply {
  return { status: 200, body: answer.value, headers: { [cacheHeader]: answer.cache } };
}
