/**
 * Refined log documents into OpenSearch, family `api-logs` (search/index-families/api-logs.json):
 * daily indices `api-logs-YYYY.MM.DD` by the event's own time in UTC, under
 * HAUL_OPENSEARCH_INDEX_PREFIX, read through the alias `api-logs`.
 *
 * The document id is the CloudWatch Logs event id, and each write is a `create`: a retried batch
 * (a Lambda retry, a redelivery) puts every event in the same index under the same id, so nothing
 * is stored twice, and OpenSearch answers 409 for what is there already, which is counted as a
 * duplicate, not a failure. `create` is chosen over `index` (which would also not duplicate) so
 * that a retry neither rewrites documents nor hides that it happened.
 *
 * Writes go through search/bulk.ts: items answered 429/502/503/504 are retried a bounded number of
 * times; what still fails is returned item by item, never counted as indexed.
 */
export * as LogIndex from "./log-index.js";
import type { Client } from "@opensearch-project/opensearch";
import { bulk, type BulkItemFailure, type BulkOptions } from "../search/bulk.js";
import { searchConfigFromEnv, searchIndexName } from "../search/search-client.js";
import type { LogDocument } from "./log-document.js";
import type { DroppedLogEvent, RefinedLogBatch } from "./log-refiner.js";

export const logFamily = "api-logs";

export interface LogIndexReport {
  readonly received: number;
  readonly indexed: number;
  /** Already stored under their event id (a retried batch). */
  readonly duplicates: number;
  readonly dropped: number;
  readonly failed: number;
  readonly controlSkipped: number;
  readonly failures: readonly BulkItemFailure[];
  readonly droppedEvents: readonly DroppedLogEvent[];
}

export interface LogIndexOptions extends Pick<BulkOptions, "refresh" | "maxAttempts" | "baseDelayMs" | "maxDelayMs"> {
  /** Default: HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly indexPrefix?: string;
}

/** The daily index of a document: `<prefix>api-logs-YYYY.MM.DD` of its timestamp (UTC). */
export function logIndexName(document: Pick<LogDocument, "timestamp">, indexPrefix = searchConfigFromEnv().indexPrefix): string {
  const day = document.timestamp.slice(0, 10).replaceAll("-", ".");
  return `${searchIndexName(logFamily, { indexPrefix })}-${day}`;
}

export async function indexLogEvents(client: Client, batch: RefinedLogBatch, options: LogIndexOptions = {}): Promise<LogIndexReport> {
  const prefix = options.indexPrefix ?? searchConfigFromEnv().indexPrefix;
  const { indexPrefix: _, ...bulkOptions } = options;
  const report = batch.documents.length === 0
    ? { succeeded: 0, failed: [] as BulkItemFailure[] }
    : await bulk(
        client,
        batch.documents.map((document) => ({ action: "create" as const, index: logIndexName(document, prefix), id: document.eventId, document })),
        bulkOptions,
      );
  const duplicates = report.failed.filter((failure) => failure.status === 409).length;
  const failures = report.failed.filter((failure) => failure.status !== 409);
  return {
    received: batch.received,
    indexed: report.succeeded,
    duplicates,
    dropped: batch.dropped.length,
    failed: failures.length,
    controlSkipped: batch.controlSkipped,
    failures,
    droppedEvents: batch.dropped,
  };
}
