/**
 * The local stand-in for Kinesis Data Streams: kinesalite (Kinesis's JSON and CBOR API over
 * LevelDB), in memory or persisting under a data directory. Clients address streams by
 * StreamName (kinesalite does not resolve StreamARN) and must speak HTTP/1.1: the SDK's Kinesis
 * client needs `NodeHttpHandler` (see `createKinesisClient` in @haul/functions' shared clients).
 *
 * As dynalite, kinesalite runs in a child process of its own by default (its validation, hashing and
 * LevelDB work then use another core than the local cloud's event loop); `inProcess: true` keeps it
 * in this process. Streams listed in `streams` are created when missing and are ACTIVE on return.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, ResourceInUseException, ResourceNotFoundException, type KinesisClient } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@haul/functions/shared/aws-clients";
import kinesalite from "kinesalite";
import { startLevelDbServer, type LevelDbServerOptions, type RunningLevelDbServer } from "../leveldb-server.js";

export interface KinesisStreamSpec {
  readonly name: string;
  /** Default 1. kinesalite's shard limit (all streams together) is raised to fit. */
  readonly shardCount?: number;
}

export interface KinesaliteOptions extends LevelDbServerOptions {
  /** Streams to create when missing. */
  readonly streams?: readonly KinesisStreamSpec[];
  /** Open shards allowed in all (resharding opens more); default the streams' shards, at least 10. */
  readonly shardLimit?: number;
}

/** `endpoint` is for AWS_ENDPOINT_URL_KINESIS, e.g. http://127.0.0.1:4567 */
export type RunningKinesalite = RunningLevelDbServer;

export async function startKinesalite(options: KinesaliteOptions): Promise<RunningKinesalite> {
  const shards = (options.streams ?? []).reduce((sum, stream) => sum + (stream.shardCount ?? 1), 0);
  const running = await startLevelDbServer({ name: "kinesalite", create: kinesalite }, options, {
    // Streams become ACTIVE at once instead of after kinesalite's default 500 ms.
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: options.shardLimit ?? Math.max(10, shards),
  });
  try {
    await ensureStreams(running.endpoint, options.streams ?? []);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

async function ensureStreams(endpoint: string, streams: readonly KinesisStreamSpec[]): Promise<void> {
  if (streams.length === 0) return;
  const client = createKinesisClient({
    endpoint,
    region: process.env.AWS_REGION ?? "us-east-1",
    // Never real credentials against a local endpoint.
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    for (const stream of streams) await ensureStream(client, stream);
  } finally {
    client.destroy();
  }
}

async function ensureStream(client: KinesisClient, stream: KinesisStreamSpec): Promise<void> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: stream.name, ShardCount: stream.shardCount ?? 1 }));
  } catch (error) {
    // Already there (a data directory from an earlier run): keep it and what it holds.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const { StreamDescriptionSummary: summary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream.name }));
      if (summary?.StreamStatus === "ACTIVE") return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`kinesalite: stream ${stream.name} is not ACTIVE after 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
