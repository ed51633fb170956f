/**
 * Kinesis PutRecords with an honest report. Kinesis answers a PutRecords request 200 even when
 * some of its records failed: each failed entry of `Records` (same order as the request) carries an
 * ErrorCode and ErrorMessage instead of a SequenceNumber. This helper reads every entry, maps it
 * back to its position in the input and lists each failure; a failed record is never counted as
 * written.
 *
 * Only what may pass on a second try is retried, with capped, jittered exponential backoff and a
 * bounded number of attempts: entries failed with ProvisionedThroughputExceededException,
 * InternalFailure or KMSThrottlingException, and the whole request when it got no answer
 * (connection reset, timeout) or was answered with throttling or a 5xx. A retry resends just
 * those records. The rest is reported at once (an unknown stream, a KMS key that refuses, a record
 * over Kinesis's limits...).
 *
 * Order: requests go one after the other, so records of one partition key reach their shard in
 * input order when nothing fails. A record that is re-sent lands after the records sent after it:
 * consumers order positions by their own timestamps, not by sequence number. Resending after an
 * unanswered request may write a record twice (the first attempt may have landed): consumers
 * must tolerate duplicates, as with any Kinesis producer.
 *
 * Whole-request retries are this helper's: give it a client whose SDK retries are off
 * (`getKinesisClient()` is), or each of its attempts becomes several.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsResultEntry } from "@aws-sdk/client-kinesis";
import { backoffMs, chunkPositions, sleep } from "@haul/core/batch-writes";

export interface KinesisRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

export interface PutRecordsInput {
  readonly streamName: string;
  readonly records: readonly KinesisRecord[];
}

export interface PutRecordsOptions {
  /** Tries per record, the first included; default 4. */
  readonly maxAttempts?: number;
  /** First retry delay (doubled per attempt, jittered) and its cap; defaults 100 ms and 2 s. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface PutRecordFailure {
  /** Index of the record in the input. */
  readonly position: number;
  /** Kinesis's ErrorCode for the entry, or the request's error name when the request failed as a whole. */
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Tries made, the first included (0 when the record was never sent: it breaks Kinesis's limits). */
  readonly attempts: number;
}

export interface PutRecordsReport {
  /** Records Kinesis acknowledged with a sequence number. */
  readonly written: number;
  /** Every record that was not written, by position. */
  readonly failed: readonly PutRecordFailure[];
  /** PutRecords requests sent, retries included. */
  readonly requests: number;
}

/** Kinesis's own limits for one PutRecords request and one record (data plus partition key). */
export const maxRecordsPerRequest = 500;
export const maxBytesPerRequest = 5 * 1024 * 1024;
export const maxBytesPerRecord = 1024 * 1024;
const maxPartitionKeyLength = 256;

const retryableEntryCodes = new Set(["ProvisionedThroughputExceededException", "InternalFailure", "KMSThrottlingException"]);
const retryableRequestErrors = new Set([
  "ProvisionedThroughputExceededException",
  "KMSThrottlingException",
  "LimitExceededException",
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);
const unansweredCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH"]);

interface Failure {
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly retryable: boolean;
}

export async function putRecordsReliably(client: KinesisClient, input: PutRecordsInput, options: PutRecordsOptions = {}): Promise<PutRecordsReport> {
  const settings = {
    maxAttempts: Math.max(1, options.maxAttempts ?? 4),
    baseDelayMs: Math.max(0, options.baseDelayMs ?? 100),
    maxDelayMs: Math.max(0, options.maxDelayMs ?? 2_000),
  };
  const { records, streamName } = input;
  const failed: PutRecordFailure[] = [];
  let written = 0;
  let requests = 0;

  const sizes = records.map((record) => record.data.byteLength + Buffer.byteLength(record.partitionKey));
  const sendable: number[] = [];
  records.forEach((record, position) => {
    const invalid = validate(record, sizes[position] as number);
    if (invalid) failed.push({ position, errorCode: "InvalidArgumentException", errorMessage: invalid, attempts: 0 });
    else sendable.push(position);
  });

  async function send(positions: readonly number[]): Promise<void> {
    let pending = positions;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const lastAttempt = attempt >= settings.maxAttempts;
      let entries: PutRecordsResultEntry[] | undefined;
      requests++;
      try {
        const reply = await client.send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: pending.map((position) => {
              const record = records[position] as KinesisRecord;
              return { PartitionKey: record.partitionKey, Data: record.data };
            }),
          }),
        );
        entries = reply.Records;
      } catch (error) {
        const failure = requestFailure(error);
        if (failure.retryable && !lastAttempt) {
          await sleep(backoffMs(attempt, settings));
          continue;
        }
        for (const position of pending) failed.push({ position, errorCode: failure.errorCode, errorMessage: failure.errorMessage, attempts: attempt });
        return;
      }

      if (!Array.isArray(entries) || entries.length !== pending.length) {
        // Results that cannot be matched to their records prove nothing about any of them.
        const errorMessage = `${entries?.length ?? "no"} results for ${pending.length} records`;
        for (const position of pending) failed.push({ position, errorCode: "UnexpectedPutRecordsReply", errorMessage, attempts: attempt });
        return;
      }

      const again: number[] = [];
      entries.forEach((entry, i) => {
        const position = pending[i] as number;
        const failure = entryFailure(entry);
        if (!failure) written++;
        else if (failure.retryable && !lastAttempt) again.push(position);
        else failed.push({ position, errorCode: failure.errorCode, errorMessage: failure.errorMessage, attempts: attempt });
      });
      pending = again;
      if (pending.length > 0) await sleep(backoffMs(attempt, settings));
    }
  }

  // One request at a time: records of a partition key then reach their shard in input order.
  const chunks = chunkPositions(sendable, (position) => sizes[position] as number, { maxItems: maxRecordsPerRequest, maxBytes: maxBytesPerRequest });
  for (const positions of chunks) await send(positions);

  failed.sort((a, b) => a.position - b.position);
  return { written, failed, requests };
}

function validate(record: KinesisRecord, size: number): string | undefined {
  const keyLength = record.partitionKey.length;
  if (keyLength < 1 || keyLength > maxPartitionKeyLength) return `the partition key has ${keyLength} characters (1 to ${maxPartitionKeyLength})`;
  if (size > maxBytesPerRecord) return `the record has ${size} bytes with its partition key (at most ${maxBytesPerRecord})`;
  return undefined;
}

function entryFailure(entry: PutRecordsResultEntry): Failure | undefined {
  if (!entry.ErrorCode && entry.SequenceNumber) return undefined;
  const errorCode = entry.ErrorCode ?? "MissingSequenceNumber";
  return {
    errorCode,
    errorMessage: entry.ErrorMessage ?? (entry.ErrorCode ? errorCode : "the entry has neither a sequence number nor an error code"),
    retryable: retryableEntryCodes.has(errorCode),
  };
}

function requestFailure(error: unknown): Failure {
  const details = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = typeof details.name === "string" ? details.name : "Error";
  const code = typeof details.code === "string" ? details.code : undefined;
  const errorMessage = typeof details.message === "string" ? details.message : String(error);
  const status = details.$metadata?.httpStatusCode;
  const retryable =
    retryableRequestErrors.has(name) ||
    (status !== undefined && (status === 429 || status >= 500)) ||
    details.$retryable !== undefined ||
    // No answer: the request may or may not have been applied; resending is how a producer recovers.
    (code !== undefined && unansweredCodes.has(code));
  return { errorCode: code && status === undefined ? code : name, errorMessage, retryable };
}
