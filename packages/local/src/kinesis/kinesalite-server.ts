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
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CreateStreamCommand, DescribeStreamSummaryCommand, ResourceInUseException, ResourceNotFoundException, type KinesisClient } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@haul/functions/shared/aws-clients";
import kinesalite from "kinesalite";
import { closeServer, keepAliveMs, listen, urlHost } from "../http-server.js";

export interface KinesisStreamSpec {
  readonly name: string;
  /** Default 1. kinesalite's shard limit (all streams together) is raised to fit. */
  readonly shardCount?: number;
}

export interface KinesaliteOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** LevelDB directory; omit for an in-memory store. */
  readonly dataDir?: string;
  /** Delete everything stored before starting. */
  readonly fresh?: boolean;
  /** Run kinesalite in this process instead of a child process (default false). */
  readonly inProcess?: boolean;
  /** Streams to create when missing. */
  readonly streams?: readonly KinesisStreamSpec[];
}

export interface RunningKinesalite {
  /** For AWS_ENDPOINT_URL_KINESIS, e.g. http://127.0.0.1:4567 */
  readonly endpoint: string;
  readonly port: number;
  /** The process kinesalite runs in (this one when in process). */
  readonly pid: number;
  stop(): Promise<void>;
}

const childScript = fileURLToPath(new URL("./kinesalite-process.mjs", import.meta.url));

export async function startKinesalite(options: KinesaliteOptions): Promise<RunningKinesalite> {
  if (options.dataDir) {
    if (options.fresh) await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });
  }
  const shards = (options.streams ?? []).reduce((sum, stream) => sum + (stream.shardCount ?? 1), 0);
  const settings = {
    ...(options.dataDir ? { path: options.dataDir } : {}),
    // Streams become ACTIVE at once instead of after kinesalite's default 500 ms.
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: Math.max(10, shards),
  };
  const running = options.inProcess ? await startInProcess(options, settings) : await startChildProcess(options, settings);
  try {
    await ensureStreams(running.endpoint, options.streams ?? []);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

type Settings = Record<string, unknown>;

async function startInProcess(options: KinesaliteOptions, settings: Settings): Promise<RunningKinesalite> {
  const server = kinesalite(settings);
  const port = await listen(server, options.port, options.host);
  return {
    endpoint: `http://${urlHost(options.host, port)}`,
    port,
    pid: process.pid,
    // kinesalite's close() also closes the LevelDB store, releasing its lock for the next start.
    stop: () => closeServer(server),
  };
}

async function startChildProcess(options: KinesaliteOptions, settings: Settings): Promise<RunningKinesalite> {
  const childSettings = { host: options.host, port: options.port, keepAliveMs, ...settings };
  // Bare node: no loader hooks, no inspector flags inherited from the parent.
  const child = fork(childScript, [JSON.stringify(childSettings)], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port?: number; error?: { code?: string; message: string } }) => {
      if (message.port !== undefined) return resolve(message.port);
      reject(Object.assign(new Error(`kinesalite: ${message.error?.message ?? "could not start"}`), { code: message.error?.code }));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`kinesalite exited with code ${code} before listening`)));
  });
  return {
    endpoint: `http://${urlHost(options.host, port)}`,
    port,
    pid: child.pid!,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send("stop");
  else child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
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
