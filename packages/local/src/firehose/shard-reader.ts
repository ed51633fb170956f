/**
 * Reads one shard the way Firehose's Kinesis source does: an iterator from the checkpoint
 * (AFTER_SEQUENCE_NUMBER) or from the oldest record (TRIM_HORIZON), then GetRecords about once a
 * second, and again soon after a read that returned records (no faster than Kinesis's five reads a
 * second per shard) while records keep coming. An expired iterator is renewed after the last record
 * read. A closed shard ends when a read returns no next iterator: everything in it has been read.
 */
import { setTimeout as delay } from "node:timers/promises";
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  InvalidArgumentException,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import type { StreamRecord } from "./delivery.js";

export interface ShardReaderOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly shardId: string;
  /** Resume after this record; from the shard's oldest record when absent. */
  readonly afterSequenceNumber?: string;
  /** Wait after a read that found nothing; Firehose polls about once a second. */
  readonly pollIntervalMs: number;
  /** Takes a read's records; may hold the reader back (the buffer is full) by resolving later. */
  readonly onRecords: (records: StreamRecord[]) => Promise<void>;
  readonly signal: AbortSignal;
  readonly errorLog: (message: string) => void;
}

/** Kinesis allows five GetRecords a second per shard. */
const minimumReadSpacingMs = 200;
const maxRecordsPerRead = 10_000;

/** Resolves `"ended"` when the shard is closed and read to its end, `"stopped"` on abort. */
export async function readShard(options: ShardReaderOptions): Promise<"ended" | "stopped"> {
  const { client, streamName, shardId, signal } = options;
  let position = options.afterSequenceNumber;
  let iterator: string | undefined;

  const pause = async (ms: number) => {
    try {
      await delay(ms, undefined, { signal });
    } catch {
      // Aborted: the loop sees it.
    }
  };

  while (!signal.aborted) {
    try {
      iterator ??= await shardIterator(options, position);
      const reply = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: maxRecordsPerRead }), { abortSignal: signal });
      const records = (reply.Records ?? []).map((record) => ({
        shardId,
        sequenceNumber: record.SequenceNumber!,
        data: record.Data ?? new Uint8Array(),
        arrivalTimestamp: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
      }));
      if (records.length > 0) {
        await options.onRecords(records);
        position = records[records.length - 1]!.sequenceNumber;
      }
      if (!reply.NextShardIterator) return "ended";
      iterator = reply.NextShardIterator;
      await pause(records.length > 0 ? minimumReadSpacingMs : options.pollIntervalMs);
    } catch (error) {
      if (signal.aborted) break;
      // An expired iterator (five minutes) is renewed from the last record read; anything else
      // (kinesalite restarting, a refused connection) is tried again after a poll interval.
      if (!(error instanceof ExpiredIteratorException)) {
        options.errorLog(`[firehose] ${streamName}/${shardId}: ${error instanceof Error ? error.message : String(error)}; reading again shortly`);
        await pause(options.pollIntervalMs);
      }
      iterator = undefined;
    }
  }
  return "stopped";
}

async function shardIterator(options: ShardReaderOptions, afterSequenceNumber: string | undefined): Promise<string> {
  const { client, streamName, shardId, signal } = options;
  const fromStart = () => client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }), { abortSignal: signal });
  if (afterSequenceNumber === undefined) return (await fromStart()).ShardIterator!;
  try {
    const reply = await client.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: afterSequenceNumber }),
      { abortSignal: signal },
    );
    return reply.ShardIterator!;
  } catch (error) {
    // The checkpoint belongs to an earlier stream of the same name (its data was wiped): start over.
    if (!(error instanceof InvalidArgumentException)) throw error;
    options.errorLog(`[firehose] ${streamName}/${shardId}: checkpoint ${afterSequenceNumber} is not in this shard (${error.message}); reading it from its start`);
    return (await fromStart()).ShardIterator!;
  }
}
