/**
 * What the query handlers share: one ReservationQueries per execution environment (reader pools,
 * the fail-fast cache client, cache bypasses logged by the shared logger), and the reply that
 * tells the client whether the cache answered.
 */
import type { ReadOptions } from "@haul/core/query/cache-aside";
import { createReservationQueries, type Cached, type ReservationQueries } from "@haul/core/query/reservation-query";
import { logger } from "../shared/logger.js";
import type { HttpReply } from "../shared/http-handler.js";

/** `hit`, `miss` or `bypass` (the cache was down or slow; the database answered). */
export const cacheHeader = "x-cache";

let queries: ReservationQueries | undefined;

export function getReservationQueries(): ReservationQueries {
  queries ??= createReservationQueries({ log: { warn: (message, extra) => logger.warn(message, extra ?? {}) } });
  return queries;
}

/** `Cache-Control: no-cache` asks for an answer from the database: the cache is neither read nor filled. */
export function readOptions(headers: Readonly<Record<string, string | undefined>>): ReadOptions {
  return { fresh: /(^|[,\s])no-cache\b/i.test(headers["cache-control"] ?? "") };
}

export function cachedReply(answer: Cached<unknown>): HttpReply {
  return { status: 200, body: answer.value, headers: { [cacheHeader]: answer.cache } };
}
