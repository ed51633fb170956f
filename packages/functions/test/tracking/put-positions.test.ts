import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { startKinesalite, type RunningKinesalite } from "@haul/local/kinesis/kinesalite-server";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createKinesisClient, getKinesisClient, resetAwsClients } from "../../src/shared/aws-clients.js";
import { putRecordsReliably, type KinesisRecord } from "../../src/tracking/put-positions.js";
import { startKinesisFaultProxy, type KinesisFaultProxy } from "./kinesis-fault-proxy.js";

const streams = {
  inOrder: "positions-in-order",
  bySize: "positions-by-size",
  retried: "positions-retried",
  chunked: "positions-chunked",
  stuck: "positions-stuck",
  permanent: "positions-permanent",
  request500: "positions-request-500",
  always500: "positions-always-500",
  reset: "positions-reset",
  oversized: "positions-oversized",
  shared: "positions-shared-client",
};

const local = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

let kinesis: RunningKinesalite;
let proxy: KinesisFaultProxy;
/** Through the fault proxy; SDK retries off, as the shared client's. */
let client: KinesisClient;
/** Straight to kinesalite, to read back what was written. */
let reader: KinesisClient;

beforeAll(async () => {
  kinesis = await startKinesalite({
    host: "127.0.0.1",
    port: 0,
    streams: Object.values(streams).map((name) => ({ name, shardCount: name === streams.inOrder ? 3 : 1 })),
  });
  proxy = await startKinesisFaultProxy(kinesis.endpoint);
  client = createKinesisClient({ ...local, endpoint: proxy.endpoint, maxAttempts: 1 });
  reader = createKinesisClient({ ...local, endpoint: kinesis.endpoint });
});

afterEach(() => proxy.reset());

afterAll(async () => {
  client?.destroy();
  reader?.destroy();
  await proxy?.stop();
  await kinesis?.stop();
});

/** Records whose data is `p<position>`, spread over `trucks` partition keys. */
function positions(count: number, trucks = 5): KinesisRecord[] {
  return Array.from({ length: count }, (_, i) => ({ partitionKey: `truck-${i % trucks}`, data: Buffer.from(`p${i}`) }));
}

/** Every record of the stream, shard by shard, each shard's in the order Kinesis holds them. */
async function readBack(streamName: string): Promise<Map<string, string[]>> {
  const { Shards = [] } = await reader.send(new ListShardsCommand({ StreamName: streamName }));
  const byShard = new Map<string, string[]>();
  for (const shard of Shards) {
    const data: string[] = [];
    let { ShardIterator: iterator } = await reader.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    while (iterator) {
      const page = await reader.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = page.Records ?? [];
      data.push(...records.map((record) => Buffer.from(record.Data ?? new Uint8Array()).toString("utf8")));
      iterator = records.length > 0 ? page.NextShardIterator : undefined;
    }
    byShard.set(shard.ShardId!, data);
  }
  return byShard;
}

async function readAll(streamName: string): Promise<string[]> {
  return [...(await readBack(streamName)).values()].flat();
}

const positionOf = (data: string) => Number(data.slice(1));
const sorted = (data: string[]) => [...data].sort((a, b) => positionOf(a) - positionOf(b));
const expected = (count: number, except: number[] = []) =>
  Array.from({ length: count }, (_, i) => `p${i}`).filter((data) => !except.includes(positionOf(data)));

describe("putRecordsReliably against kinesalite", () => {
  it("writes every record once, in input order per shard, in requests of at most 500 records", async () => {
    const report = await putRecordsReliably(client, { streamName: streams.inOrder, records: positions(1_200, 7) }, fast);

    expect(report).toEqual({ written: 1_200, failed: [], requests: 3 });
    expect(proxy.putRecordsRequests.map((request) => request.length)).toEqual([500, 500, 200]);
    const byShard = await readBack(streams.inOrder);
    expect(byShard.size).toBe(3);
    for (const data of byShard.values()) expect(data.map(positionOf)).toEqual([...data.map(positionOf)].sort((a, b) => a - b));
    // Seven partition keys over three shards: more than one shard holds records.
    expect([...byShard.values()].filter((data) => data.length > 0).length).toBeGreaterThan(1);
    expect(sorted([...byShard.values()].flat())).toEqual(expected(1_200));
  });

  it("cuts requests at 5 MiB of data and partition keys", async () => {
    const big = (i: number): KinesisRecord => ({ partitionKey: "truck-1", data: Buffer.concat([Buffer.from(`p${i}|`), Buffer.alloc(600 * 1024, 0x61)]) });
    const records = Array.from({ length: 12 }, (_, i) => big(i));

    const report = await putRecordsReliably(client, { streamName: streams.bySize, records }, fast);

    expect(report.written).toBe(12);
    expect(report.failed).toEqual([]);
    // 8 × 600 KiB fit in 5 MiB, a 9th does not.
    expect(proxy.putRecordsRequests.map((request) => request.length)).toEqual([8, 4]);
    const stored = await readAll(streams.bySize);
    expect(stored.map((data) => data.split("|")[0])).toEqual(expected(12));
  });

  it("re-sends only the entries that failed at the front, in the middle and at the end", async () => {
    const codes: Record<string, string> = { p0: "ProvisionedThroughputExceededException", p5: "InternalFailure", p9: "ProvisionedThroughputExceededException" };
    proxy.setFaults({ entry: (data, previousSends) => (previousSends === 0 && codes[data] ? { errorCode: codes[data] } : undefined) });

    const report = await putRecordsReliably(client, { streamName: streams.retried, records: positions(10) }, fast);

    expect(report).toEqual({ written: 10, failed: [], requests: 2 });
    expect(proxy.putRecordsRequests).toEqual([expected(10), ["p0", "p5", "p9"]]);
    // Nothing lost, nothing twice.
    expect(sorted(await readAll(streams.retried))).toEqual(expected(10));
  });

  it("maps failures back to their positions across requests of 500", async () => {
    const failing = new Set(["p0", "p499", "p500", "p999"]);
    proxy.setFaults({ entry: (data, previousSends) => (previousSends === 0 && failing.has(data) ? { errorCode: "InternalFailure" } : undefined) });

    const report = await putRecordsReliably(client, { streamName: streams.chunked, records: positions(1_000) }, fast);

    expect(report).toEqual({ written: 1_000, failed: [], requests: 4 });
    expect(proxy.putRecordsRequests.map((request) => (request.length > 2 ? request.length : request))).toEqual([500, ["p0", "p499"], 500, ["p500", "p999"]]);
    expect(sorted(await readAll(streams.chunked))).toEqual(expected(1_000));
  });

  it("reports an entry that keeps failing with its position after maxAttempts, and writes the rest", async () => {
    proxy.setFaults({ entry: (data) => (data === "p3" ? { errorCode: "ProvisionedThroughputExceededException", errorMessage: "Rate exceeded for shard" } : undefined) });

    const report = await putRecordsReliably(client, { streamName: streams.stuck, records: positions(8) }, { ...fast, maxAttempts: 3 });

    expect(report).toEqual({
      written: 7,
      failed: [{ position: 3, errorCode: "ProvisionedThroughputExceededException", errorMessage: "Rate exceeded for shard", attempts: 3 }],
      requests: 3,
    });
    expect(proxy.putRecordsRequests.slice(1)).toEqual([["p3"], ["p3"]]);
    expect(sorted(await readAll(streams.stuck))).toEqual(expected(8, [3]));
  });

  it("reports an entry failure that cannot pass on a retry at once", async () => {
    proxy.setFaults({ entry: (data) => (data === "p1" ? { errorCode: "KMSAccessDeniedException", errorMessage: "denied" } : undefined) });

    const report = await putRecordsReliably(client, { streamName: streams.permanent, records: positions(3) }, fast);

    expect(report).toEqual({ written: 2, failed: [{ position: 1, errorCode: "KMSAccessDeniedException", errorMessage: "denied", attempts: 1 }], requests: 1 });
    expect(sorted(await readAll(streams.permanent))).toEqual(["p0", "p2"]);
  });

  it("retries a request answered 500 as a whole", async () => {
    proxy.setFaults({ request: (n) => (n === 1 ? "internal-failure" : undefined) });

    const report = await putRecordsReliably(client, { streamName: streams.request500, records: positions(6) }, fast);

    expect(report).toEqual({ written: 6, failed: [], requests: 2 });
    expect(proxy.putRecordsRequests).toEqual([expected(6), expected(6)]);
    expect(sorted(await readAll(streams.request500))).toEqual(expected(6));
  });

  it("reports every record with the request's error when every attempt is answered 500", async () => {
    proxy.setFaults({ request: () => "internal-failure" });

    const report = await putRecordsReliably(client, { streamName: streams.always500, records: positions(2) }, { ...fast, maxAttempts: 3 });

    expect(report.written).toBe(0);
    expect(report.requests).toBe(3);
    expect(report.failed).toEqual([
      { position: 0, errorCode: "InternalFailure", errorMessage: "Injected by the fault proxy", attempts: 3 },
      { position: 1, errorCode: "InternalFailure", errorMessage: "Injected by the fault proxy", attempts: 3 },
    ]);
    expect(await readAll(streams.always500)).toEqual([]);
  });

  it("retries a request whose connection was reset", async () => {
    proxy.setFaults({ request: (n) => (n === 1 ? "reset" : undefined) });

    const report = await putRecordsReliably(client, { streamName: streams.reset, records: positions(4) }, fast);

    expect(report).toEqual({ written: 4, failed: [], requests: 2 });
    expect(sorted(await readAll(streams.reset))).toEqual(expected(4));
  });

  it("does not retry an error of the request itself: an unknown stream", async () => {
    const report = await putRecordsReliably(client, { streamName: "no-such-stream", records: positions(2) }, fast);

    expect(report.written).toBe(0);
    expect(report.requests).toBe(1);
    expect(report.failed.map(({ position, errorCode, attempts }) => ({ position, errorCode, attempts }))).toEqual([
      { position: 0, errorCode: "ResourceNotFoundException", attempts: 1 },
      { position: 1, errorCode: "ResourceNotFoundException", attempts: 1 },
    ]);
  });

  it("reports a record over Kinesis's limits without sending it, and writes the others", async () => {
    const records = positions(3);
    records[1] = { partitionKey: "truck-1", data: Buffer.alloc(1024 * 1024, 0x61) };

    const report = await putRecordsReliably(client, { streamName: streams.oversized, records }, fast);

    expect(report.written).toBe(2);
    expect(report.failed).toEqual([{ position: 1, errorCode: "InvalidArgumentException", errorMessage: expect.stringContaining("bytes"), attempts: 0 }]);
    expect(proxy.putRecordsRequests).toEqual([["p0", "p2"]]);
    expect(sorted(await readAll(streams.oversized))).toEqual(["p0", "p2"]);
  });
});

describe("the shared Kinesis client", () => {
  afterEach(() => {
    resetAwsClients();
    vi.unstubAllEnvs();
  });

  it("reaches kinesalite over HTTP/1.1 at the SDK's AWS_ENDPOINT_URL_KINESIS", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_KINESIS", kinesis.endpoint);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
    resetAwsClients();

    const shared = getKinesisClient();
    const report = await putRecordsReliably(shared, { streamName: streams.shared, records: positions(3) }, fast);

    expect(getKinesisClient()).toBe(shared);
    expect(report).toEqual({ written: 3, failed: [], requests: 1 });
    // Nothing went through the proxy: the endpoint came from the environment.
    expect(proxy.putRecordsRequests).toEqual([]);
    expect(sorted(await readAll(streams.shared))).toEqual(expected(3));
  });
});
