/**
 * What the query handlers share: one ReservationQueries per execution environment (reader pools,
 * the fail-fast cache client, cache bypasses logged by the shared logger), and the reply that
 * tells the client whether the cache answered.
 */
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

export function cachedReply(answer: Cached<unknown>): HttpReply {
  return { status: 200, body: answer.value, headers: { [cacheHeader]: answer.cache } };
}
