/**
 * Bulk writes with an honest report. OpenSearch answers a bulk request 200 even when items fail;
 * this helper reads every item's result, maps it back to its position in the input and lists each
 * failure (index, id, status, error type and reason). A failed item is never counted as a success.
 *
 * Only what may pass on a second try is retried, with capped, jittered exponential backoff and a
 * bounded number of attempts: items answered 429 (queue full), 502, 503 or 504, and the whole
 * request when it got no answer (connection error, timeout) or was answered 429 or 5xx itself. A
 * retry resends just those items. The rest is reported at once: a mapping error (400), a version
 * conflict on `create` (409), a missing index with auto-creation off (404)...
 *
 * Resending after an unanswered request is safe for `index` and `delete` (same id, same result).
 * A `create` resent that way may come back 409 because the first, unanswered attempt wrote it:
 * callers that create to deduplicate read 409 as "already there", which is true either way.
 *
 * A `delete` of a document that is not there (404, result `not_found`) succeeds: the document is gone.
 */
import { errors, type API, type Client, type Types } from "@opensearch-project/opensearch";
import { backoffMs, chunkPositions, sleep } from "../batch-writes.js";

type BulkResponse = Types.Core_Bulk.BulkResponse;
type ResponseItem = Types.Core_Bulk.ResponseItem;

export type BulkOperation =
  | { readonly action: "index" | "create"; readonly index: string; readonly id?: string; readonly document: object }
  | { readonly action: "delete"; readonly index: string; readonly id: string };

export interface BulkOptions {
  /** Make the writes visible to search before returning: `true` refreshes, `wait_for` waits for the next refresh. */
  readonly refresh?: boolean | "wait_for";
  /** Operations per request; default 1,000. */
  readonly maxOperationsPerRequest?: number;
  /** Request body size; default 5 MiB. An operation larger than this is sent alone. */
  readonly maxBytesPerRequest?: number;
  /** Tries per operation, the first included; default 4. */
  readonly maxAttempts?: number;
  /** First retry delay (doubled per attempt, jittered) and its cap; defaults 200 ms and 5 s. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Per request: a full bulk request may legitimately take longer than a search; default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Requests in flight at once; default 1. */
  readonly concurrency?: number;
}

export interface BulkItemFailure {
  /** Index of the operation in the input. */
  readonly position: number;
  readonly action: BulkOperation["action"];
  readonly index: string;
  /** The input's id, or the one OpenSearch generated. */
  readonly id?: string;
  /** HTTP status of the item, or of the request when it failed as a whole; 0 when no answer came. */
  readonly status: number;
  /** OpenSearch's error type (e.g. `mapper_parsing_exception`), or the client's error name. */
  readonly type: string;
  readonly reason: string;
  /** Tries made, the first included. */
  readonly attempts: number;
}

export interface BulkReport {
  readonly total: number;
  readonly succeeded: number;
  /** Every failed operation, by position. */
  readonly failed: readonly BulkItemFailure[];
  /** HTTP requests sent, retries included. */
  readonly requests: number;
  /** Operations resent (one operation resent twice counts twice). */
  readonly retried: number;
}

const retryableItemStatuses = new Set([429, 502, 503, 504]);

interface Failure {
  readonly status: number;
  readonly type: string;
  readonly reason: string;
  readonly retryable: boolean;
}

export async function bulk(client: Client, operations: readonly BulkOperation[], options: BulkOptions = {}): Promise<BulkReport> {
  const settings = {
    maxOperations: Math.max(1, options.maxOperationsPerRequest ?? 1_000),
    maxBytes: Math.max(1, options.maxBytesPerRequest ?? 5 * 1024 * 1024),
    maxAttempts: Math.max(1, options.maxAttempts ?? 4),
    baseDelayMs: Math.max(0, options.baseDelayMs ?? 200),
    maxDelayMs: Math.max(0, options.maxDelayMs ?? 5_000),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
  };
  // Serialised once: chunking needs the sizes, and a retry resends the same lines.
  const lines = operations.map(toLines);
  const failed: BulkItemFailure[] = [];
  let succeeded = 0;
  let requests = 0;
  let retried = 0;

  const fail = (position: number, failure: Failure, attempts: number, generatedId?: string) => {
    const operation = operations[position] as BulkOperation;
    const id = operation.id ?? generatedId;
    failed.push({
      position,
      action: operation.action,
      index: operation.index,
      ...(id === undefined ? {} : { id }),
      status: failure.status,
      type: failure.type,
      reason: failure.reason,
      attempts,
    });
  };

  async function send(positions: readonly number[]): Promise<void> {
    let pending = positions;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const lastAttempt = attempt >= settings.maxAttempts;
      let reply: BulkResponse;
      requests++;
      try {
        const response = await client.bulk(
          {
            // Sent as is (the client passes a string body through): no re-serialising on each retry.
            body: pending.map((position) => lines[position]).join("") as unknown as API.Bulk_RequestBody,
            ...(options.refresh === undefined ? {} : { refresh: options.refresh }),
          },
          // This helper owns the retries: the client's own would multiply them and resend whole requests.
          { requestTimeout: settings.requestTimeoutMs, maxRetries: 0 },
        );
        reply = response.body;
      } catch (error) {
        const failure = requestFailure(error);
        if (failure.retryable && !lastAttempt) {
          retried += pending.length;
          await sleep(backoffMs(attempt, settings));
          continue;
        }
        for (const position of pending) fail(position, failure, attempt);
        return;
      }

      if (!Array.isArray(reply.items) || reply.items.length !== pending.length) {
        // Results that cannot be matched to their operations prove nothing about any of them.
        const failure = { status: 200, type: "unexpected_bulk_reply", reason: `${reply.items?.length ?? "no"} results for ${pending.length} operations`, retryable: false };
        for (const position of pending) fail(position, failure, attempt);
        return;
      }

      const again: number[] = [];
      const slots = reply.items.map((item, i) => {
        const operation = operations[pending[i] as number] as BulkOperation;
        const result: ResponseItem | undefined = item[operation.action] ?? Object.values(item)[0];
        return { operation, result, failure: itemFailure(operation, result) };
      });
      const failures = attributeFailuresById(slots);
      slots.forEach(({ result }, i) => {
        const position = pending[i] as number;
        const failure = failures[i];
        if (!failure) succeeded++;
        else if (failure.retryable && !lastAttempt) again.push(position);
        else fail(position, failure, attempt, result?._id);
      });
      pending = again;
      if (pending.length > 0) {
        retried += pending.length;
        await sleep(backoffMs(attempt, settings));
      }
    }
  }

  const chunks = chunkPositions(
    lines.map((_, position) => position),
    (position) => Buffer.byteLength(lines[position] as string),
    { maxItems: settings.maxOperations, maxBytes: settings.maxBytes },
  );
  let next = 0;
  const workers = Array.from({ length: Math.min(chunks.length, Math.max(1, options.concurrency ?? 1)) }, async () => {
    while (next < chunks.length) await send(chunks[next++] as number[]);
  });
  await Promise.all(workers);

  failed.sort((a, b) => a.position - b.position);
  return { total: operations.length, succeeded, failed, requests, retried };
}

function toLines(operation: BulkOperation): string {
  const target = { _index: operation.index, ...(operation.id === undefined ? {} : { _id: operation.id }) };
  const action = `${JSON.stringify({ [operation.action]: target })}\n`;
  return operation.action === "delete" ? action : `${action}${JSON.stringify(operation.document)}\n`;
}

function itemFailure(operation: BulkOperation, result: ResponseItem | undefined): Failure | undefined {
  if (!result) return { status: 0, type: "missing_bulk_result", reason: "the reply has no result for this operation", retryable: false };
  const { status, error } = result;
  if (!error && (status < 300 || (operation.action === "delete" && status === 404))) return undefined;
  const cause = error?.caused_by;
  return {
    status,
    type: error?.type ?? `http_${status}`,
    reason: (error?.reason ?? `status ${status}`) + (cause ? ` (caused by ${cause.type}: ${cause.reason ?? ""})` : ""),
    retryable: retryableItemStatuses.has(status),
  };
}

function requestFailure(error: unknown): Failure {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? error.meta?.statusCode ?? 0;
    const cause = (error.body as { error?: { type?: string; reason?: string } } | undefined)?.error;
    return {
      status,
      type: cause?.type ?? `http_${status}`,
      reason: cause?.reason ?? error.message,
      retryable: status === 429 || status >= 500,
    };
  }
  const name = error instanceof Error ? error.name : "Error";
  const reason = error instanceof Error ? error.message : String(error);
  // No answer: the request may or may not have been applied; resending is how a bulk recovers.
  const unanswered = error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError;
  return { status: 0, type: name, reason, retryable: unanswered };
}


/**
 * Each failed slot's failure, given back to the operation it belongs to. OpenSearch 2.19 puts the
 * errors of several ingest-pipeline failures in one request on each other's failed slots (which
 * slots failed is right; elastic/elasticsearch#101921 is the same bug). A failed item still carries
 * the request's own `_id`, so where operations have ids a failure is moved to the failed slot whose
 * operation has that id. Without ids nothing can be told apart, and the slots stay as answered.
 */
function attributeFailuresById(
  slots: readonly { operation: BulkOperation; result: ResponseItem | undefined; failure: Failure | undefined }[],
): (Failure | undefined)[] {
  const failures = slots.map((slot) => slot.failure);
  const failedSlotById = new Map<string, number>();
  slots.forEach(({ operation, failure }, i) => {
    if (failure && operation.id !== undefined) failedSlotById.set(operation.id, i);
  });
  slots.forEach(({ operation, result, failure }, i) => {
    const owner = result?._id === undefined ? undefined : failedSlotById.get(result._id);
    if (failure && owner !== undefined && owner !== i && operation.id !== result?._id) failures[owner] = failure;
  });
  return failures;
}
