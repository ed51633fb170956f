/**
 * Request statistics per route over a time window, from access-log documents only (`kind:
 * access`, one per request the gateway answered, refused ones included, so nothing is counted
 * twice): requests, server errors (status >= 500) and client errors (4xx) with their rates,
 * p50/p95/p99 latency (OpenSearch `percentiles`, TDigest: approximate on large sets, exact enough
 * on few), and a date_histogram of requests and errors per bucket.
 *
 * Bounds keep one request cheap: the window is at most `maxStatsSpanMs` (7 days; default the last
 * hour), the histogram at most `maxStatsBuckets` buckets, at most `maxStatsRoutes` routes (the
 * busiest; the rest is counted in `otherRequests`). Buckets are aligned to the interval from the
 * epoch (UTC), so the first and last may reach outside the window; only requests inside it count.
 */
export * as LogStats from "./log-stats.js";
import type { Client } from "@opensearch-project/opensearch";
import { z } from "zod";
import { asTransientError, InvalidInputError } from "../errors.js";
import { checkTimeRange, instant } from "../query-string.js";
import { logIndexPattern } from "./log-search.js";

export const maxStatsSpanMs = 7 * 24 * 3_600_000;
export const defaultStatsSpanMs = 3_600_000;
// Routes x buckets stays under OpenSearch's search.max_buckets (65,535 by default).
export const maxStatsBuckets = 500;
export const maxStatsRoutes = 100;

/** Histogram intervals, in OpenSearch's fixed_interval units. */
export const statsIntervals = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "6h": 21_600_000, "1d": 86_400_000 } as const;
export type StatsInterval = keyof typeof statsIntervals;
const intervalNames = Object.keys(statsIntervals) as StatsInterval[];
/** The interval chosen when none is asked: the finest giving at most this many buckets. */
const defaultBucketTarget = 60;

/** GET /ops/logs/stats */
export const LogStatsQuery = z
  .strictObject({
    from: instant.optional().describe("Window start (inclusive); default one hour before `to`"),
    to: instant.optional().describe("Window end (exclusive); default now"),
    route: z.string().trim().min(1).max(200).optional().describe("Only this route, as declared (`POST /reservations`)"),
    interval: z
      .enum(intervalNames as [StatsInterval, ...StatsInterval[]], { error: `must be one of ${intervalNames.join(", ")}` })
      .optional()
      .describe(`Histogram bucket (${intervalNames.join(", ")}); default the finest giving at most ${defaultBucketTarget} buckets; at most ${maxStatsBuckets} buckets`),
  })
  .superRefine(checkTimeRange);
export type LogStatsQuery = z.output<typeof LogStatsQuery>;

const Latency = z
  .object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
  .describe("Latency percentiles in ms; null without requests");

const Counts = {
  requests: z.number().int(),
  serverErrors: z.number().int().describe("Status 500 and above"),
  clientErrors: z.number().int().describe("Status 400 to 499"),
};

const RequestStats = z.object({
  ...Counts,
  errorRate: z.number().describe("serverErrors / requests; 0 without requests"),
  clientErrorRate: z.number().describe("clientErrors / requests; 0 without requests"),
  latencyMs: Latency,
});

const Bucket = z.object({ start: z.string().describe("Bucket start, ISO UTC"), ...Counts });

export const LogStatsReport = z
  .object({
    from: z.string(),
    to: z.string(),
    interval: z.enum(intervalNames as [StatsInterval, ...StatsInterval[]]),
    total: RequestStats.describe("Every request in the window (of `route` when given)"),
    routes: z.array(RequestStats.extend({ route: z.string(), histogram: z.array(Bucket) })).describe(`Busiest first, at most ${maxStatsRoutes}`),
    otherRequests: z.number().int().describe(`Requests of routes beyond the first ${maxStatsRoutes}`),
  })
  .meta({ id: "LogStatsReport" });
export type LogStatsReport = z.infer<typeof LogStatsReport>;
type RequestStats = z.infer<typeof RequestStats>;

export interface StatsWindow {
  readonly from: string;
  readonly to: string;
  readonly interval: StatsInterval;
}

/**
 * The window and interval `query` asks for, defaults filled in. Throws InvalidInputError naming
 * `from` for a window over the span limit, `interval` for one giving too many buckets.
 */
export function statsWindow(query: LogStatsQuery, now: Date = new Date()): StatsWindow {
  const toMs = query.to === undefined ? now.getTime() : Date.parse(query.to);
  const fromMs = query.from === undefined ? toMs - defaultStatsSpanMs : Date.parse(query.from);
  if (fromMs >= toMs) throw new InvalidInputError("The window is empty.", [{ name: "to", reason: "must be after from" }]);
  const span = toMs - fromMs;
  if (span > maxStatsSpanMs) throw new InvalidInputError("The window is too long.", [{ name: "from", reason: `the window may span at most ${maxStatsSpanMs / 86_400_000} days` }]);
  const bucketsOf = (interval: StatsInterval) => Math.ceil(span / statsIntervals[interval]) + 1;
  const interval = query.interval ?? intervalNames.find((name) => bucketsOf(name) <= defaultBucketTarget) ?? "1d";
  if (bucketsOf(interval) > maxStatsBuckets) {
    throw new InvalidInputError("Too many histogram buckets.", [{ name: "interval", reason: `gives more than ${maxStatsBuckets} buckets over this window; choose a longer one` }]);
  }
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), interval };
}

export interface LogStatsOptions {
  readonly client: () => Client;
  /** Default: HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly indexPrefix?: string;
  readonly now?: Date;
}

const serverErrors = { filter: { range: { status: { gte: 500 } } } } as const;
const clientErrors = { filter: { range: { status: { gte: 400, lt: 500 } } } } as const;
const latency = { percentiles: { field: "latencyMs", percents: [50, 95, 99], keyed: false } };

export async function requestStats(options: LogStatsOptions, query: LogStatsQuery): Promise<LogStatsReport> {
  const window = statsWindow(query, options.now);
  const filter = [
    { term: { kind: "access" } },
    { range: { timestamp: { gte: window.from, lt: window.to } } },
    ...(query.route === undefined ? [] : [{ term: { route: query.route } }]),
  ];
  let aggregations: StatsAggregations;
  let requests: number;
  try {
    const response = await options.client().search({
      index: logIndexPattern(options.indexPrefix),
      body: {
        size: 0,
        track_total_hits: true,
        query: { bool: { filter } },
        // The client's typings know `terms` and `percentiles` only by their other fields: the body is OpenSearch's own DSL.
        aggs: {
          serverErrors,
          clientErrors,
          latency,
          routes: {
            terms: { field: "route", size: maxStatsRoutes, order: { _count: "desc" } },
            aggs: {
              serverErrors,
              clientErrors,
              latency,
              histogram: {
                date_histogram: {
                  field: "timestamp",
                  fixed_interval: window.interval,
                  min_doc_count: 0,
                  extended_bounds: { min: Date.parse(window.from), max: Date.parse(window.to) - 1 },
                },
                aggs: { serverErrors, clientErrors },
              },
            },
          },
        } as never,
      },
    });
    const body = response.body as unknown as { hits: { total: { value: number } }; aggregations?: StatsAggregations };
    requests = body.hits.total.value;
    aggregations = body.aggregations ?? emptyAggregations;
  } catch (error) {
    throw asTransientError(error);
  }
  return {
    ...window,
    total: summarise(requests, aggregations),
    routes: aggregations.routes.buckets.map((bucket) => ({
      route: bucket.key,
      ...summarise(bucket.doc_count, bucket),
      histogram: bucket.histogram.buckets.map((slot) => ({
        start: new Date(slot.key).toISOString(),
        requests: slot.doc_count,
        serverErrors: slot.serverErrors.doc_count,
        clientErrors: slot.clientErrors.doc_count,
      })),
    })),
    otherRequests: aggregations.routes.sum_other_doc_count,
  };
}

interface CountAggregation {
  readonly doc_count: number;
}
interface ErrorAggregations {
  readonly serverErrors: CountAggregation;
  readonly clientErrors: CountAggregation;
  readonly latency: { readonly values: readonly { key: number; value: number | null }[] };
}
interface StatsAggregations extends ErrorAggregations {
  readonly routes: {
    readonly sum_other_doc_count: number;
    readonly buckets: readonly (ErrorAggregations & {
      readonly key: string;
      readonly doc_count: number;
      readonly histogram: { readonly buckets: readonly ({ key: number; doc_count: number } & Omit<ErrorAggregations, "latency">)[] };
    })[];
  };
}

/** Without any index of the family (a pattern matching nothing), OpenSearch answers no aggregations. */
const emptyAggregations: StatsAggregations = {
  serverErrors: { doc_count: 0 },
  clientErrors: { doc_count: 0 },
  latency: { values: [] },
  routes: { sum_other_doc_count: 0, buckets: [] },
};

function summarise(requests: number, aggregations: ErrorAggregations): RequestStats {
  const percentile = (wanted: number) => {
    const value = aggregations.latency.values.find((entry) => entry.key === wanted)?.value;
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  };
  const rate = (count: number) => (requests === 0 ? 0 : count / requests);
  return {
    requests,
    serverErrors: aggregations.serverErrors.doc_count,
    clientErrors: aggregations.clientErrors.doc_count,
    errorRate: rate(aggregations.serverErrors.doc_count),
    clientErrorRate: rate(aggregations.clientErrors.doc_count),
    latencyMs: { p50: percentile(50), p95: percentile(95), p99: percentile(99) },
  };
}
