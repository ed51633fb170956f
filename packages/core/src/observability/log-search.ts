/**
 * Operators' search over the refined logs (family `api-logs`): a time range, levels, service,
 * route, status (a code or a class such as 5xx), correlation id and free text over the message and
 * the error, newest first, in pages with search_after cursors bound to their filters
 * (search/search-cursor.ts). Reads go over every daily index by pattern, so a prefix without any
 * index answers an empty page rather than 404.
 *
 * Following one request by correlation id: the API's access record carries only API Gateway's
 * request id. Without a caller's `x-correlation-id` that id is the correlation id (the refiner
 * gives it to the record); with one, the handler's summary line joins the two (`fields.apiRequestId`),
 * so a search by correlation id first collects those request ids, then matches the access records
 * that carry them as well.
 *
 * The query schema is here too: its fields are query-string strings, each parsed and named by its
 * key when at fault, so the API can answer 400 naming it.
 */
export * as LogSearch from "./log-search.js";
import type { Client } from "@opensearch-project/opensearch";
import { z } from "zod";
import { asTransientError, InvalidInputError } from "../errors.js";
import { checkTimeRange, defaultPageSize, instant, pageSizeUpTo } from "../query-string.js";
import { searchPage, type SearchQuery, type TotalOrder } from "../search/search-cursor.js";
import { searchConfigFromEnv, searchIndexName } from "../search/search-client.js";
import { logLevels, type LogDocument, type LogLevel } from "./log-document.js";
import { logFamily } from "./log-index.js";

/** Log pages may be longer than other lists: operators scan them. */
export const maxLogPageSize = 200;

/** Newest first; eventId (the document id, a keyword field) breaks ties. */
export const logOrder: TotalOrder = [
  { field: "timestamp", order: "desc" },
  { field: "eventId", order: "desc", unique: true },
];

/** At most this many API requests are joined to one correlation id (a caller may reuse theirs). */
export const maxJoinedApiRequests = 1000;

/** Free text goes over these. */
const textFields = ["message", "error.message", "error.stack"];

const levelList = z
  .string()
  .transform((text, context) => {
    const levels = [...new Set(text.split(",").map((part) => part.trim().toUpperCase()))].sort();
    if (levels.length === 0 || levels.some((level) => !(logLevels as readonly string[]).includes(level))) {
      context.addIssue({ code: "custom", message: `must be a comma-separated list of ${logLevels.join(", ")}` });
      return z.NEVER;
    }
    return levels as LogLevel[];
  })
  .describe(`Only these levels, comma-separated (${logLevels.join(", ")}); default all`);

/** A status code (404) or a class (4xx): as a range [gte, lt). */
export const statusFilter = z
  .string()
  .trim()
  .transform((text, context) => {
    const match = /^([1-5])(\d\d|xx)$/i.exec(text);
    if (!match) {
      context.addIssue({ code: "custom", message: "must be a status code from 100 to 599, or a class such as 5xx" });
      return z.NEVER;
    }
    const low = match[2]!.toLowerCase() === "xx" ? Number(match[1]) * 100 : Number(text);
    return { gte: low, lt: match[2]!.toLowerCase() === "xx" ? low + 100 : low + 1 };
  })
  .describe("A status code (`503`) or a class (`5xx`)");

const keyword = (what: string) => z.string().trim().min(1).max(200).describe(what);

/** Its form only: whether it continues this very search is known when the search is built. */
const cursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,6000}$/, "is not a cursor this API issued")
  .describe("The `nextCursor` of the previous page, with the same filters");

/** GET /ops/logs */
export const LogSearchQuery = z
  .strictObject({
    from: instant.optional().describe("Events at or after this time"),
    to: instant.optional().describe("Events before this time"),
    level: levelList.optional(),
    service: keyword("Only this service's events (e.g. `reservation`)").optional(),
    route: keyword("Only this route's events, as declared (`POST /reservations`)").optional(),
    status: statusFilter.optional(),
    correlationId: keyword("Only the events of this correlation id").optional(),
    q: z.string().trim().min(1).max(200).optional().describe("Free text over the message and the error; all words must match"),
    limit: pageSizeUpTo(maxLogPageSize, defaultPageSize).optional(),
    cursor: cursor.optional(),
  })
  .superRefine(checkTimeRange);
export type LogSearchQuery = z.output<typeof LogSearchQuery>;

export type LogFilters = Omit<LogSearchQuery, "limit" | "cursor">;

const LogErrorView = z.object({ type: z.string().optional(), message: z.string().optional(), stack: z.string().optional() });

/** A stored log document as the API answers it (log-document.ts). */
export const LogEntry = z
  .object({
    eventId: z.string().describe("The CloudWatch Logs event id"),
    timestamp: z.string().describe("ISO UTC, milliseconds"),
    logGroup: z.string(),
    logStream: z.string(),
    source: z.enum(["function", "api"]),
    kind: z.string().describe("app, text, platform.start, platform.end, platform.report, timeout, crash or access"),
    level: z.enum(logLevels),
    message: z.string(),
    service: z.string().optional(),
    functionName: z.string().optional(),
    apiName: z.string().optional(),
    requestId: z.string().optional(),
    correlationId: z.string().optional(),
    xrayTraceId: z.string().optional(),
    coldStart: z.boolean().optional(),
    route: z.string().optional(),
    method: z.string().optional(),
    path: z.string().optional(),
    status: z.number().int().optional(),
    latencyMs: z.number().optional(),
    durationMs: z.number().optional(),
    billedDurationMs: z.number().optional(),
    memorySizeMb: z.number().optional(),
    maxMemoryUsedMb: z.number().optional(),
    initDurationMs: z.number().optional(),
    outcome: z.string().optional(),
    timeoutSeconds: z.number().optional(),
    error: LogErrorView.optional(),
    fields: z.record(z.string(), z.unknown()).optional().describe("Other keys of a JSON line, redacted"),
  })
  .meta({ id: "LogEntry" });

export const LogPage = z
  .object({
    items: z.array(LogEntry).describe("Newest first (by timestamp, then eventId)"),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  })
  .meta({ id: "LogPage" });
export interface LogPage {
  readonly items: readonly LogDocument[];
  readonly nextCursor: string | null;
}

export interface LogSearchOptions {
  readonly client: () => Client;
  /** Default: HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly indexPrefix?: string;
}

/** Every daily index of the family, by pattern. */
export function logIndexPattern(indexPrefix = searchConfigFromEnv().indexPrefix): string {
  return `${searchIndexName(logFamily, { indexPrefix })}-*`;
}

/**
 * One page of the log events matching `query`, newest first. Throws InvalidInputError (field
 * `cursor`) for a cursor issued for other filters.
 */
export async function searchLogs(options: LogSearchOptions, query: LogSearchQuery): Promise<LogPage> {
  const { limit, cursor: after, ...filters } = query;
  const index = logIndexPattern(options.indexPrefix);
  try {
    const apiRequestIds = filters.correlationId === undefined ? [] : await apiRequestIdsOf(options.client(), index, filters.correlationId);
    const page = await searchPage<LogDocument>(options.client(), {
      index,
      query: logQuery(filters, apiRequestIds),
      sort: logOrder,
      size: limit ?? defaultPageSize,
      ...(after === undefined ? {} : { cursor: after }),
    });
    return { items: page.items.map((hit) => hit._source), nextCursor: page.nextCursor ?? null };
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw asTransientError(error);
  }
}

/**
 * The API Gateway request ids of the requests whose handlers logged under `correlationId` (their
 * summary lines' `apiRequestId`), sorted: the same set makes the same query, so cursors hold.
 */
export async function apiRequestIdsOf(client: Client, index: string, correlationId: string): Promise<string[]> {
  const field = "fields.apiRequestId";
  const response = await client.search({
    index,
    ignore_unavailable: true,
    allow_no_indices: true,
    body: {
      size: maxJoinedApiRequests,
      _source: [field],
      query: { bool: { filter: [{ term: { correlationId } }, { exists: { field } }] } },
    },
  });
  const hits = (response.body.hits?.hits ?? []) as Array<{ _source?: { fields?: { apiRequestId?: unknown } } }>;
  const ids = hits.map((hit) => hit._source?.fields?.apiRequestId).filter((id): id is string => typeof id === "string" && id !== "");
  return [...new Set(ids)].sort();
}

/**
 * The filters as an OpenSearch query: exact filters, and full text when asked. A correlation id
 * also matches the access records of `apiRequestIds` (apiRequestIdsOf).
 */
export function logQuery(filters: LogFilters, apiRequestIds: readonly string[] = []): SearchQuery {
  const filter: SearchQuery[] = [];
  if (filters.from !== undefined || filters.to !== undefined) {
    filter.push({ range: { timestamp: { ...(filters.from ? { gte: filters.from } : {}), ...(filters.to ? { lt: filters.to } : {}) } } });
  }
  if (filters.level !== undefined) filter.push({ terms: { level: [...filters.level] } });
  if (filters.service !== undefined) filter.push({ term: { service: filters.service } });
  if (filters.route !== undefined) filter.push({ term: { route: filters.route } });
  if (filters.status !== undefined) filter.push({ range: { status: { ...filters.status } } });
  if (filters.correlationId !== undefined) {
    const ofCorrelation = { term: { correlationId: filters.correlationId } };
    filter.push(
      apiRequestIds.length === 0
        ? ofCorrelation
        : {
            bool: {
              should: [ofCorrelation, { bool: { filter: [{ term: { kind: "access" } }, { terms: { requestId: [...apiRequestIds] } }] } }],
              minimum_should_match: 1,
            },
          },
    );
  }
  const must: SearchQuery[] = filters.q === undefined ? [] : [{ multi_match: { query: filters.q, fields: textFields, operator: "and" } }];
  return { bool: { filter, must } };
}
