/**
 * The local stand-in for a Firehose delivery stream with a Kinesis stream as its source and
 * OpenSearch as its destination (in AWS stacks/Tracking.ts builds the real one from the same
 * `driverPositions` declaration). It lists the stream's shards and reads each one (shard-reader.ts),
 * following a closed shard to its children once the parent is delivered to its end; buffers the
 * records and delivers a batch (delivery.ts) when the buffer holds `bufferingSizeMb` or its oldest
 * record has waited `bufferingIntervalSeconds`. A shard's checkpoint advances only after its records
 * are indexed or backed up, so a stop or a crash loses nothing: at least once, and a re-delivered
 * fix overwrites itself (the family's pipeline makes its id from driver and time).
 */
import { setTimeout as delay } from "node:timers/promises";
import { ListShardsCommand, type KinesisClient, type Shard } from "@aws-sdk/client-kinesis";
import { driverPositions } from "@haul/functions/declarations";
import { createKinesisClient } from "@haul/functions/shared/aws-clients";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { getSearchClient, searchConfigFromEnv, searchIndexName } from "@haul/core/search/search-client";
import type { Client } from "@opensearch-project/opensearch";
import { openCheckpointStore, type CheckpointStore, type ShardCheckpoint } from "./checkpoints.js";
import { deliverBatch, type DeliveryReport, type StreamRecord } from "./delivery.js";
import { readShard } from "./shard-reader.js";

export interface FirehoseOptions {
  readonly kinesisEndpoint: string;
  readonly region: string;
  /** The source stream's physical name. */
  readonly streamName: string;
  /** The delivery stream's physical name: it names the backup objects. */
  readonly deliveryStreamName: string;
  /** The index family; the index is `<prefix><family>-YYYY-MM-DD`. */
  readonly indexFamily: string;
  /** Default HAUL_OPENSEARCH_INDEX_PREFIX. */
  readonly indexPrefix?: string;
  /** Default: the shared client (HAUL_OPENSEARCH_URL). */
  readonly searchClient?: Client;
  /** search/index-families: put on the cluster before the first delivery. */
  readonly indexFamiliesDirectory: string;
  readonly checkpointFile: string;
  /** The "bucket": failed documents go under `<backupDir>/<deliveryStreamName>/YYYY/MM/DD/HH/`. */
  readonly backupDir: string;
  /** Defaults: the declaration's buffering hints and retry duration. */
  readonly bufferingSizeMb?: number;
  readonly bufferingIntervalSeconds?: number;
  readonly retryDurationSeconds?: number;
  /** Wait after a read that found nothing; default 1 s, as Firehose polls. */
  readonly pollIntervalMs?: number;
  /** Backoff between delivery retries; defaults 500 ms doubling to 10 s. */
  readonly retryBackoff?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** Read errors and delivery failures; default stderr. */
  readonly errorLog?: (message: string) => void;
}

export interface FirehoseStats {
  readonly recordsRead: number;
  /** Indexed in OpenSearch. */
  readonly recordsDelivered: number;
  readonly recordsBackedUp: number;
  /** Documents resent after a failed try. */
  readonly retries: number;
  readonly bulkRequests: number;
  /** Batches delivered (indexed or backed up, and checkpointed). */
  readonly deliveries: number;
  /** Records in the buffer, not yet delivered. */
  readonly recordsBuffered: number;
  /** How long the last delivery's oldest record waited in the buffer before the delivery began. */
  readonly lastBufferingDelayMs?: number;
  readonly lastDeliveryRecords?: number;
  readonly lastBackupFile?: string;
  /** Shards being read now. */
  readonly shardsReading: readonly string[];
}

export interface DeliveryOutcome extends Omit<DeliveryReport, "aborted"> {
  readonly records: number;
  readonly bufferingDelayMs: number;
}

export interface RunningFirehose {
  stats(): FirehoseStats;
  /** Called after each delivery, once its checkpoints are written. */
  onDelivery(listener: (outcome: DeliveryOutcome) => void): void;
  /** Delivers what is buffered now, without waiting for the buffering hints. */
  flush(): Promise<void>;
  /** Stops reading; a delivery under way is abandoned without checkpointing (its records are read again next time). */
  stop(): Promise<void>;
}

/** A buffered record, or the mark that a closed shard was read to its end. */
type Entry = { readonly record: StreamRecord; readonly bufferedAt: number } | { readonly shardEnded: string; readonly bufferedAt: number };

const defaultBackoff = { baseDelayMs: 500, maxDelayMs: 10_000 };

export async function startFirehose(options: FirehoseOptions): Promise<RunningFirehose> {
  const sizeBytes = (options.bufferingSizeMb ?? driverPositions.bufferingSizeMb) * 1024 * 1024;
  const intervalMs = (options.bufferingIntervalSeconds ?? driverPositions.bufferingIntervalSeconds) * 1000;
  const retryDurationMs = (options.retryDurationSeconds ?? driverPositions.retryDurationSeconds) * 1000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const errorLog = options.errorLog ?? ((message: string) => process.stderr.write(message + "\n"));
  const searchClient = options.searchClient ?? getSearchClient();
  const indexPrefix = options.indexPrefix ?? searchConfigFromEnv().indexPrefix;
  const indexName = searchIndexName(options.indexFamily, { indexPrefix });

  const checkpoints = await openCheckpointStore(options.checkpointFile, options.streamName);
  const kinesis = createKinesisClient({
    endpoint: options.kinesisEndpoint,
    region: options.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    // The readers retry themselves, after a poll interval.
    maxAttempts: 1,
  });
  const stopping = new AbortController();
  const listeners: Array<(outcome: DeliveryOutcome) => void> = [];
  const readers = new Map<string, Promise<void>>();
  const buffer: Entry[] = [];
  let bufferBytes = 0;
  let delivering: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let flushRequested = false;
  let drained: Array<() => void> = [];
  const stats = { recordsRead: 0, recordsDelivered: 0, recordsBackedUp: 0, retries: 0, bulkRequests: 0, deliveries: 0 };
  let last: { bufferingDelayMs: number; records: number; backupFile?: string } | undefined;

  const pause = (ms: number) => delay(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  let indexPrepared: Promise<void> | undefined;
  const prepareIndex = () => {
    indexPrepared ??= applyIndexFamilies(searchClient, { directory: options.indexFamiliesDirectory, prefix: indexPrefix }).then(
      () => undefined,
      (error: unknown) => {
        indexPrepared = undefined;
        throw error;
      },
    );
    return indexPrepared;
  };

  /** Starts a delivery when the buffer is due, or a timer for when it will be. */
  function schedule(): void {
    if (delivering || stopping.signal.aborted) return;
    clearTimeout(timer);
    timer = undefined;
    const oldest = buffer[0];
    if (!oldest) {
      flushRequested = false;
      return;
    }
    const onlyMarks = buffer.every((entry) => "shardEnded" in entry);
    const dueIn = oldest.bufferedAt + intervalMs - Date.now();
    if (flushRequested || onlyMarks || bufferBytes >= sizeBytes || dueIn <= 0) {
      delivering = deliver().finally(() => {
        delivering = undefined;
        schedule();
      });
    } else {
      timer = setTimeout(schedule, dueIn);
    }
  }

  async function deliver(): Promise<void> {
    // At most the buffering size per delivery, and at least one record.
    const batch: Entry[] = [];
    let bytes = 0;
    while (buffer.length > 0 && (bytes < sizeBytes || batch.length === 0)) {
      const entry = buffer.shift()!;
      batch.push(entry);
      if ("record" in entry) bytes += entry.record.data.byteLength;
    }
    bufferBytes -= bytes;
    const records = batch.flatMap((entry) => ("record" in entry ? [entry.record] : []));
    const startedAt = new Date();
    const bufferingDelayMs = startedAt.getTime() - batch[0]!.bufferedAt;
    let report: DeliveryReport = { indexed: 0, backedUp: 0, retried: 0, requests: 0, aborted: false };
    try {
      if (records.length > 0) {
        report = await deliverBatch(
          records,
          {
            client: searchClient,
            indexName,
            retryDurationMs,
            backoff: options.retryBackoff ?? defaultBackoff,
            backupDir: options.backupDir,
            deliveryStreamName: options.deliveryStreamName,
            prepareIndex,
            signal: stopping.signal,
            // The first retry of a delivery only: an outage would otherwise log a line per backoff.
            onRetry: (documents, failure, round) => {
              if (round === 1) errorLog(`[firehose] ${options.deliveryStreamName}: ${documents} documents failed (${failure.status || failure.type}: ${failure.reason}); retrying for up to ${retryDurationMs / 1000} s`);
            },
          },
          startedAt,
        );
      }
      if (report.aborted) return;
      await checkpoints.advance(checkpointUpdates(batch));
    } catch (error) {
      // The backup or the checkpoint could not be written: the batch goes back to the front (later
      // records must not be checkpointed past it) and is delivered again shortly; a re-indexed fix
      // overwrites itself.
      errorLog(`[firehose] ${options.deliveryStreamName}: a delivery of ${records.length} records failed: ${error instanceof Error ? error.message : String(error)}; retrying it`);
      buffer.unshift(...batch);
      bufferBytes += bytes;
      await pause(pollIntervalMs);
      return;
    } finally {
      releaseReaders();
    }
    if (records.length > 0) {
      stats.deliveries++;
      stats.recordsDelivered += report.indexed;
      stats.recordsBackedUp += report.backedUp;
      stats.retries += report.retried;
      stats.bulkRequests += report.requests;
      last = { bufferingDelayMs, records: records.length, ...(report.backupFile ? { backupFile: report.backupFile } : {}) };
      if (report.backedUp > 0) errorLog(`[firehose] ${options.deliveryStreamName}: ${report.backedUp} documents could not be indexed; backed up to ${report.backupFile}`);
      const outcome: DeliveryOutcome = {
        records: records.length,
        bufferingDelayMs,
        indexed: report.indexed,
        backedUp: report.backedUp,
        retried: report.retried,
        requests: report.requests,
        ...(report.backupFile ? { backupFile: report.backupFile } : {}),
      };
      for (const listener of listeners) listener(outcome);
    }
    // A closed shard delivered to its end: its children may be read now.
    if (batch.some((entry) => "shardEnded" in entry)) void discoverShards();
  }

  function releaseReaders(): void {
    if (bufferBytes >= 2 * sizeBytes) return;
    const waiting = drained;
    drained = [];
    for (const resolve of waiting) resolve();
  }

  /** Takes a read's records; holds the reader while twice the buffering size waits (a long outage). */
  async function accept(records: StreamRecord[]): Promise<void> {
    const bufferedAt = Date.now();
    for (const record of records) {
      buffer.push({ record, bufferedAt });
      bufferBytes += record.data.byteLength;
    }
    stats.recordsRead += records.length;
    schedule();
    while (bufferBytes >= 2 * sizeBytes && !stopping.signal.aborted) await new Promise<void>((resolve) => drained.push(resolve));
  }

  function startReader(shardId: string, checkpoint: ShardCheckpoint | undefined): void {
    const reading = readShard({
      client: kinesis,
      streamName: options.streamName,
      shardId,
      ...(checkpoint?.sequenceNumber ? { afterSequenceNumber: checkpoint.sequenceNumber } : {}),
      pollIntervalMs,
      onRecords: accept,
      signal: stopping.signal,
      errorLog,
    }).then((result) => {
      readers.delete(shardId);
      if (result === "ended") {
        buffer.push({ shardEnded: shardId, bufferedAt: Date.now() });
        schedule();
      }
    });
    readers.set(shardId, reading);
  }

  /** Reads every shard not finished whose parents are finished (or gone past retention). */
  let discovering: Promise<void> | undefined;
  let discoverAgain = false;
  function discoverShards(): Promise<void> {
    // A call during a listing asks for another one: that listing may predate a parent's end.
    discoverAgain = true;
    discovering ??= (async () => {
      while (discoverAgain && !stopping.signal.aborted) {
        discoverAgain = false;
        try {
          const shards = await listShards(kinesis, options.streamName, stopping.signal);
          const known = new Set(shards.map((shard) => shard.ShardId!));
          for (const shard of shards) {
            const shardId = shard.ShardId!;
            const checkpoint = checkpoints.get(shardId);
            if (readers.has(shardId) || checkpoint?.finished) continue;
            const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((parent): parent is string => parent !== undefined);
            if (parents.every((parent) => !known.has(parent) || checkpoints.get(parent)?.finished)) startReader(shardId, checkpoint);
          }
        } catch (error) {
          if (stopping.signal.aborted) return;
          discoverAgain = true;
          errorLog(`[firehose] ${options.streamName}: cannot list shards (${error instanceof Error ? error.message : String(error)}); trying again`);
          await pause(pollIntervalMs);
        }
      }
    })().finally(() => {
      discovering = undefined;
    });
    return discovering;
  }

  await discoverShards();

  return {
    stats: () => ({
      ...stats,
      recordsBuffered: buffer.filter((entry) => "record" in entry).length,
      ...(last ? { lastBufferingDelayMs: last.bufferingDelayMs, lastDeliveryRecords: last.records } : {}),
      ...(last?.backupFile ? { lastBackupFile: last.backupFile } : {}),
      shardsReading: [...readers.keys()].sort(),
    }),
    onDelivery(listener) {
      listeners.push(listener);
    },
    async flush() {
      while (!stopping.signal.aborted && (delivering || buffer.length > 0)) {
        flushRequested = true;
        schedule();
        await delivering;
      }
    },
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      releaseReaders();
      for (const resolve of drained.splice(0)) resolve();
      await Promise.all([...readers.values(), delivering, discovering]);
      kinesis.destroy();
    },
  };
}

/** Each shard's last delivered record, and the shards read to their end. */
function checkpointUpdates(batch: readonly Entry[]): Record<string, ShardCheckpoint> {
  const updates: Record<string, ShardCheckpoint> = {};
  for (const entry of batch) {
    if ("record" in entry) updates[entry.record.shardId] = { ...updates[entry.record.shardId], sequenceNumber: entry.record.sequenceNumber };
    else updates[entry.shardEnded] = { ...updates[entry.shardEnded], finished: true };
  }
  return updates;
}

async function listShards(client: KinesisClient, streamName: string, signal: AbortSignal): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const reply = await client.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }), { abortSignal: signal });
    shards.push(...(reply.Shards ?? []));
    nextToken = reply.NextToken;
  } while (nextToken);
  return shards;
}
