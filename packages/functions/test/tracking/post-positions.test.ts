/**
 * POST /positions as API Gateway invokes it, against a real kinesalite behind the fault proxy:
 * 202 once every fix is in the stream (retried entries included), 400 naming each bad fix and
 * writing nothing, 403 for anyone but a driver, and 503 with Retry-After when some fix could not be
 * written, with no count of what was; the whole batch sent again is then complete.
 */
import { randomUUID } from "node:crypto";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { startKinesalite, type RunningKinesalite } from "@haul/local/kinesis/kinesalite-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKinesisClient, resetAwsClients } from "../../src/shared/aws-clients.js";
import { handler, retryAfterSeconds, streamNameVariable } from "../../src/tracking/post-positions.js";
import { call, type Caller } from "../notification/support.js";
import { startKinesisFaultProxy, type KinesisFaultProxy } from "./kinesis-fault-proxy.js";

const streamName = "test-haul-DriverPositions";
const saved = { ...process.env };
let kinesis: RunningKinesalite;
let proxy: KinesisFaultProxy;
let reader: KinesisClient;

beforeAll(async () => {
  kinesis = await startKinesalite({ host: "127.0.0.1", port: 0, streams: [{ name: streamName, shardCount: 2 }] });
  proxy = await startKinesisFaultProxy(kinesis.endpoint);
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_KINESIS: proxy.endpoint,
    [streamNameVariable]: streamName,
  });
  resetAwsClients();
  reader = createKinesisClient({ region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" }, endpoint: kinesis.endpoint });
});

afterEach(() => proxy.reset());

afterAll(async () => {
  resetAwsClients();
  process.env = saved;
  reader?.destroy();
  await proxy?.stop();
  await kinesis?.stop();
});

/** Every record in the stream, parsed. */
async function streamRecords(): Promise<Array<{ partitionKey: string; fix: Record<string, unknown> }>> {
  const { Shards = [] } = await reader.send(new ListShardsCommand({ StreamName: streamName }));
  const records: Array<{ partitionKey: string; fix: Record<string, unknown> }> = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await reader.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }));
    while (iterator) {
      const page = await reader.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) records.push({ partitionKey: record.PartitionKey!, fix: JSON.parse(Buffer.from(record.Data!).toString("utf8")) });
      iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
    }
  }
  return records;
}

const recordsOf = async (driverId: string) => (await streamRecords()).filter((record) => record.fix.driverId === driverId);
const driver = (): Caller => ({ userId: randomUUID(), role: "driver" });
const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
const fixes = (count: number) => Array.from({ length: count }, (_, i) => ({ lat: 51.5 + i / 1000, lon: -0.12, recordedAt: secondsAgo(count - i), speed: 11 }));

describe("POST /positions", () => {
  it("puts every fix into the stream under the calling driver, recordedAt in UTC with ms, and answers 202", async () => {
    const caller = driver();
    const reservationId = randomUUID();
    // One fix written with an offset other than Z: it reaches the stream in UTC.
    const batch = { reservationId, fixes: [...fixes(4), { lat: 51.6, lon: -0.1, recordedAt: secondsAgo(0.5).replace("Z", "+00:00") }] };

    const reply = await call(handler, { caller, body: batch });

    expect(reply.status).toBe(202);
    expect(reply.json).toEqual({ accepted: 5 });
    const stored = await recordsOf(caller.userId);
    expect(stored).toHaveLength(5);
    expect(new Set(stored.map((record) => record.partitionKey))).toEqual(new Set([caller.userId]));
    for (const { fix } of stored) {
      expect(fix).toMatchObject({ driverId: caller.userId, reservationId });
      expect(fix.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it("re-sends entries Kinesis failed and answers 202 only with all of them written, once each", async () => {
    const caller = driver();
    const batch = { fixes: fixes(6) };
    proxy.setFaults({ entry: (data, previousSends) => (previousSends === 0 && /"lat":51.50[13]/.test(data) ? { errorCode: "ProvisionedThroughputExceededException" } : undefined) });

    const reply = await call(handler, { caller, body: batch });

    expect(reply).toMatchObject({ status: 202, json: { accepted: 6 } });
    expect(proxy.putRecordsRequests.map((request) => request.length)).toEqual([6, 2]);
    const stored = await recordsOf(caller.userId);
    expect(stored.map(({ fix }) => fix.recordedAt).sort()).toEqual(batch.fixes.map((fix) => new Date(fix.recordedAt).toISOString()).sort());
  });

  it("answers 503 with Retry-After and no count when a fix keeps failing; the whole batch again completes it", async () => {
    const caller = driver();
    const batch = { fixes: fixes(5) };
    proxy.setFaults({ entry: (data) => (/"lat":51.502/.test(data) ? { errorCode: "ProvisionedThroughputExceededException" } : undefined) });

    const refused = await call(handler, { caller, body: batch });

    expect(refused.status).toBe(503);
    expect(refused.headers["content-type"]).toBe("application/problem+json");
    expect(refused.headers["retry-after"]).toBe(String(retryAfterSeconds));
    expect(refused.json).toMatchObject({ status: 503, title: "Service unavailable" });
    expect(refused.json).not.toHaveProperty("accepted");
    // Four of five are in the stream: the client cannot tell which, and need not.
    expect(await recordsOf(caller.userId)).toHaveLength(4);

    proxy.setFaults({});
    const again = await call(handler, { caller, body: batch });
    expect(again).toMatchObject({ status: 202, json: { accepted: 5 } });
    // Each fix's (driver, recordedAt) is in the stream; the twins become one document in OpenSearch.
    expect(new Set((await recordsOf(caller.userId)).map(({ fix }) => fix.recordedAt)).size).toBe(5);
  });

  it("answers 503 when the stream does not answer at all", async () => {
    const caller = driver();
    proxy.setFaults({ request: () => "internal-failure" });
    const reply = await call(handler, { caller, body: { fixes: fixes(2) } });
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe(String(retryAfterSeconds));
  });

  it("refuses a bad batch with 400 naming each bad fix, and writes nothing", async () => {
    const caller = driver();
    const good = fixes(3);
    const batch = {
      fixes: [good[0], { ...good[1], lat: 123 }, { ...good[2], recordedAt: new Date(Date.now() + 5 * 60_000).toISOString() }, { ...good[0], lon: -0.2 }],
    };

    const reply = await call(handler, { caller, body: batch });

    expect(reply.status).toBe(400);
    expect(reply.headers["content-type"]).toBe("application/problem+json");
    expect(reply.json["invalid-params"].map((param: { name: string }) => param.name)).toEqual(["body.fixes.1.lat", "body.fixes.2.recordedAt", "body.fixes.3.recordedAt"]);
    expect(proxy.putRecordsRequests).toEqual([]);
    expect(await recordsOf(caller.userId)).toEqual([]);
  });

  it("refuses an oversized batch and a driverId in the body", async () => {
    const caller = driver();
    const oversized = await call(handler, { caller, body: { fixes: fixes(101) } });
    expect(oversized.status).toBe(400);
    expect(oversized.json["invalid-params"]).toEqual([{ name: "body.fixes", reason: expect.stringContaining("100") }]);
    const impersonating = await call(handler, { caller, body: { driverId: randomUUID(), fixes: fixes(1) } });
    expect(impersonating.status).toBe(400);
    expect(impersonating.json["invalid-params"]).toEqual([{ name: "body.driverId", reason: "is not a known field" }]);
    expect(proxy.putRecordsRequests).toEqual([]);
  });

  it("is for drivers only", async () => {
    for (const role of ["customer", "operator"]) {
      const reply = await call(handler, { caller: { userId: randomUUID(), role }, body: { fixes: fixes(1) } });
      expect(reply.status).toBe(403);
    }
    expect(proxy.putRecordsRequests).toEqual([]);
  });
});
