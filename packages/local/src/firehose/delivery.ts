/**
 * One Firehose delivery to OpenSearch: a buffered batch of stream records bulk-indexed (`index`,
 * no id: the family's default pipeline makes it) into the day's index, `<family>-YYYY-MM-DD` by
 * delivery time in UTC (OneDay rotation). As Firehose does, a request that got no answer or was
 * answered 429/5xx, and documents answered 429/5xx, are retried with capped jittered backoff for
 * the retry duration; documents refused for good (a mapping error is a 400) and those still failing
 * when the duration is over go to the backup folder. The delivery is done when every record is
 * either indexed or backed up; a stop during the retries aborts it with nothing backed up, and the
 * caller keeps its checkpoint, so the records are read again.
 */
import { setTimeout as delay } from "node:timers/promises";
import { backoffMs } from "@haul/core/batch-writes";
import { bulk, type BulkItemFailure, type BulkOperation } from "@haul/core/search/bulk";
import { errors, type Client } from "@opensearch-project/opensearch";
import { writeBackup, type FailedDocument } from "./backup.js";

export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly data: Uint8Array;
  /** ApproximateArrivalTimestamp, epoch milliseconds. */
  readonly arrivalTimestamp: number;
}

export interface DeliverySettings {
  readonly client: Client;
  /** The index name before rotation, e.g. `test-driver-positions`. */
  readonly indexName: string;
  readonly retryDurationMs: number;
  readonly backoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly backupDir: string;
  readonly deliveryStreamName: string;
  /** Puts the family's templates and pipeline on the cluster (once); a failure is retried as a failed request. */
  readonly prepareIndex: () => Promise<void>;
  /** Aborts waits between retries when the delivery stream stops. */
  readonly signal: AbortSignal;
  /** Told when a round leaves documents to retry (what Firehose would log), with the first failure. */
  readonly onRetry?: (documents: number, failure: Pick<BulkItemFailure, "status" | "type" | "reason">, round: number) => void;
}

export interface DeliveryReport {
  readonly indexed: number;
  readonly backedUp: number;
  /** Documents resent (one resent twice counts twice). */
  readonly retried: number;
  /** Bulk requests sent. */
  readonly requests: number;
  readonly backupFile?: string;
  /** Stopped before every record was indexed or backed up: nothing may be checkpointed. */
  readonly aborted: boolean;
}

interface Pending {
  readonly record: StreamRecord;
  readonly document: object;
  attempts: number;
}

/** What may pass on a later try: no answer at all, or 429/5xx (for the request or the document). */
const unansweredErrors = new Set(["ConnectionError", "TimeoutError", "NoLivingConnectionsError"]);
const isRetryable = (failure: Pick<BulkItemFailure, "status" | "type">) =>
  failure.status === 429 || failure.status >= 500 || (failure.status === 0 && unansweredErrors.has(failure.type));

export async function deliverBatch(records: readonly StreamRecord[], settings: DeliverySettings, startedAt: Date = new Date()): Promise<DeliveryReport> {
  const index = `${settings.indexName}-${startedAt.toISOString().slice(0, 10)}`;
  const deadline = startedAt.getTime() + settings.retryDurationMs;
  const failed: FailedDocument[] = [];
  const backUp = (record: StreamRecord, attempts: number, failure: Pick<BulkItemFailure, "status" | "type" | "reason">, id?: string) =>
    failed.push({
      attemptsMade: attempts,
      arrivalTimestamp: record.arrivalTimestamp,
      errorCode: failure.status > 0 ? String(failure.status) : failure.type,
      errorMessage: JSON.stringify({ type: failure.type, reason: failure.reason }),
      attemptEndingTimestamp: Date.now(),
      esDocumentId: id ?? "",
      esIndexName: index,
      rawData: Buffer.from(record.data).toString("base64"),
    });

  let pending: Pending[] = [];
  for (const record of records) {
    const document = parseDocument(record.data);
    // What OpenSearch would answer for a body that is not a JSON object; no try can change it.
    if (document === undefined) backUp(record, 0, { status: 400, type: "not_x_content_exception", reason: "the record is not a JSON object" });
    else pending.push({ record, document, attempts: 0 });
  }

  let indexed = 0;
  let retried = 0;
  let requests = 0;
  for (let round = 1; pending.length > 0; round++) {
    if (settings.signal.aborted) return { indexed, backedUp: 0, retried, requests, aborted: true };
    let failures: readonly BulkItemFailure[];
    try {
      await settings.prepareIndex();
      const operations: BulkOperation[] = pending.map(({ document }) => ({ action: "index", index, document }));
      // One try per round: the retry duration, not a count of attempts, bounds the retries.
      const report = await bulk(settings.client, operations, { maxAttempts: 1 });
      requests += report.requests;
      indexed += report.succeeded;
      failures = report.failed;
    } catch (error) {
      // The templates could not be put: the delivery's request failed, and is retried as such.
      const failure = preparationFailure(error);
      failures = pending.map((_, position) => ({ position, action: "index", index, attempts: 1, ...failure }));
    }
    for (const item of pending) item.attempts++;

    const again: Pending[] = [];
    const timeLeft = Date.now() < deadline;
    for (const failure of failures) {
      const item = pending[failure.position]!;
      if (isRetryable(failure) && timeLeft) again.push(item);
      else backUp(item.record, item.attempts, failure, failure.id);
    }
    pending = again;
    if (pending.length === 0) break;
    retried += pending.length;
    settings.onRetry?.(pending.length, failures.find(isRetryable)!, round);
    const wait = Math.min(backoffMs(round, settings.backoff), Math.max(0, deadline - Date.now()));
    try {
      await delay(wait, undefined, { signal: settings.signal });
    } catch {
      return { indexed, backedUp: 0, retried, requests, aborted: true };
    }
  }

  if (failed.length === 0) return { indexed, backedUp: 0, retried, requests, aborted: false };
  const backupFile = await writeBackup(settings.backupDir, settings.deliveryStreamName, failed);
  return { indexed, backedUp: failed.length, retried, requests, backupFile, aborted: false };
}

/** An answer's status and OpenSearch's error; no answer reads as a connection error (retried). */
function preparationFailure(error: unknown): Pick<BulkItemFailure, "status" | "type" | "reason"> {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    const cause = (error.body as { error?: { type?: string; reason?: string } } | undefined)?.error;
    return { status, type: cause?.type ?? `http_${status}`, reason: cause?.reason ?? error.message };
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: 0, type: "ConnectionError", reason: `the index family could not be put on the cluster (${reason})` };
}

function parseDocument(data: Uint8Array): object | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(data).toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
