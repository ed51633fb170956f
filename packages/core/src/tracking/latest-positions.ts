/**
 * The latest position of many drivers in ONE OpenSearch request, whatever their number: a `terms`
 * filter on the drivers, a `terms` aggregation by driver with a `top_hits` of size 1, newest
 * recordedAt first. An aggregation rather than `collapse`: collapsed hits are bounded by the
 * index's max_result_window (10,000), buckets by search.max_buckets (65,535), so a tick serving
 * 10,000 drivers stays one request. The query reads the positions of the given drivers only (and,
 * with `recordedSince`, only recent ones): its cost follows the drivers asked for, not the
 * positions stored.
 *
 * Read through the `driver-positions` alias; before any position was ever indexed there is no
 * alias yet, and the answer is simply empty.
 */
import type { Client } from "@opensearch-project/opensearch";
import { getSearchClient, searchIndexName } from "../search/search-client.js";
import { toPosition, type Position, type PositionDocument } from "./position.js";

export const positionsFamily = "driver-positions";

export interface PositionReaderOptions {
  readonly client?: () => Client;
  /** The alias to read; default `driver-positions` under HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly index?: string;
}

export interface LatestPositionsQuery {
  readonly driverIds: readonly string[];
  /** Only positions recorded at or after this instant (ISO); older ones count as none. */
  readonly recordedSince?: string;
}

/** Each driver's newest position; drivers without one are absent. */
export async function latestPositions(query: LatestPositionsQuery, options: PositionReaderOptions = {}): Promise<Map<string, Position>> {
  const driverIds = [...new Set(query.driverIds)];
  const latest = new Map<string, Position>();
  if (driverIds.length === 0) return latest;
  const client = (options.client ?? getSearchClient)();
  const filters: object[] = [{ terms: { driverId: driverIds } }];
  if (query.recordedSince) filters.push({ range: { recordedAt: { gte: query.recordedSince } } });
  const response = await client.search({
    index: options.index ?? searchIndexName(positionsFamily),
    ignore_unavailable: true,
    allow_no_indices: true,
    body: {
      size: 0,
      track_total_hits: false,
      query: { bool: { filter: filters } },
      // The client's typings know `terms` aggregations only by their other fields: the body is OpenSearch's own DSL.
      aggs: {
        drivers: {
          terms: { field: "driverId", size: driverIds.length },
          aggs: { latest: { top_hits: { size: 1, sort: [{ recordedAt: { order: "desc" } }] } } },
        },
      } as never,
    },
  });
  const buckets = (response.body.aggregations?.drivers as { buckets?: DriverBucket[] } | undefined)?.buckets ?? [];
  for (const bucket of buckets) {
    const hit = bucket.latest.hits.hits[0];
    if (hit) latest.set(String(bucket.key), toPosition(hit._source));
  }
  return latest;
}

interface DriverBucket {
  readonly key: string;
  readonly latest: { readonly hits: { readonly hits: ReadonlyArray<{ readonly _source: PositionDocument }> } };
}
