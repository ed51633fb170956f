/**
 * The Firehose stand-in between the real kinesalite and the real OpenSearch node: buffering by
 * size and by interval, checkpoints across restarts, and documents the family refuses backed up
 * with Firehose's fields while the rest of their batch is indexed.
 */
import { randomUUID } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { DescribeStreamSummaryCommand, ListShardsCommand, SplitShardCommand } from "@aws-sdk/client-kinesis";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alias, backupLines, fixes, Harness, temporaryDir, waitFor } from "./fixtures/firehose-harness.js";

const streams = { size: "by-size", interval: "by-interval", restart: "restart", refused: "refused", resharded: "resharded" };
let harness: Harness;
const dirs: string[] = [];
const dir = async (label: string) => {
  const created = await temporaryDir(label);
  dirs.push(created);
  return created;
};

beforeAll(async () => {
  harness = await Harness.start(Object.values(streams));
});

afterAll(async () => {
  await harness?.stop();
  await Promise.all(dirs.map((created) => rm(created, { recursive: true, force: true })));
});

describe("buffering", () => {
  it("delivers a batch as soon as the buffer holds the buffering size, without waiting for the interval", async () => {
    const sizeMb = 0.01; // about 10 KB, some 70 fixes
    const sizeBytes = sizeMb * 1024 * 1024;
    const firehose = await harness.firehose(streams.size, await dir("size"), { bufferingSizeMb: sizeMb, bufferingIntervalSeconds: 600 });
    const outcomes: { records: number; indexed: number }[] = [];
    firehose.onDelivery((outcome) => outcomes.push(outcome));
    const sent = fixes(200);
    const bytesPerFix = Buffer.byteLength(JSON.stringify(sent[0]));
    try {
      await harness.put(streams.size, sent);
      await waitFor("every fix read", () => firehose.stats().recordsRead === sent.length);
      await waitFor("two full batches", () => outcomes.length >= 2);
      // Only the size can have triggered these (the interval is ten minutes away): each full.
      for (const outcome of outcomes) {
        expect(outcome.records * bytesPerFix).toBeGreaterThanOrEqual(sizeBytes);
        expect((outcome.records - 1) * bytesPerFix).toBeLessThan(sizeBytes);
      }
      await waitFor("the full batches delivered", () => firehose.stats().recordsBuffered * bytesPerFix < sizeBytes);
      const waiting = firehose.stats().recordsBuffered;
      expect(waiting).toBeGreaterThan(0);
      expect(firehose.stats().recordsDelivered).toBe(sent.length - waiting);

      await firehose.flush();
      expect(firehose.stats()).toMatchObject({ recordsDelivered: sent.length, recordsBackedUp: 0, recordsBuffered: 0 });
      const documents = await harness.documentsOf(sent[0]!.driverId);
      expect(documents.map((document) => document._source.recordedAt)).toEqual(sent.map((fix) => fix.recordedAt));
    } finally {
      await firehose.stop();
    }
  });

  it("delivers what is buffered once its oldest record has waited the buffering interval", async () => {
    const firehose = await harness.firehose(streams.interval, await dir("interval"), { bufferingIntervalSeconds: 2 });
    const sent = fixes(5);
    try {
      await harness.put(streams.interval, sent);
      await waitFor("the fixes read", () => firehose.stats().recordsRead === sent.length);
      // Far below the size: they wait for the interval.
      expect(firehose.stats().deliveries).toBe(0);
      await waitFor("the delivery", () => firehose.stats().deliveries === 1);
      expect(firehose.stats()).toMatchObject({ recordsDelivered: 5, lastDeliveryRecords: 5, bulkRequests: 1, retries: 0 });
      expect(firehose.stats().lastBufferingDelayMs).toBeGreaterThanOrEqual(2000);

      const documents = await harness.documentsOf(sent[0]!.driverId);
      expect(documents).toHaveLength(5);
      // The day's index (OneDay rotation by delivery time, UTC), read through the alias; ids from the pipeline.
      const today = new Date().toISOString().slice(0, 10);
      expect(documents[0]).toMatchObject({ _index: `${alias}-${today}`, _id: `${sent[0]!.driverId}:${sent[0]!.recordedAt}` });
      expect(documents[0]!._source).toMatchObject({ location: { lat: sent[0]!.lat, lon: sent[0]!.lon }, speed: 12.5 });
    } finally {
      await firehose.stop();
    }
  });
});

describe("checkpoints", () => {
  it("resume after the last delivered record: nothing lost, nothing delivered again, a buffered batch read again after a stop", async () => {
    const checkpointDir = await dir("restart");
    const driverId = randomUUID();
    const sent = fixes(19, driverId);
    const start = (bufferingIntervalSeconds: number) => harness.firehose(streams.restart, checkpointDir, { bufferingIntervalSeconds });

    const first = await start(0.2);
    await harness.put(streams.restart, sent.slice(0, 10));
    await waitFor("the first ten delivered", () => first.stats().recordsDelivered === 10);
    await first.stop();
    const saved = JSON.parse(await readFile(path.join(checkpointDir, "checkpoints.json"), "utf8")) as { streamName: string; shards: Record<string, { sequenceNumber?: string }> };
    expect(saved.streamName).toBe(streams.restart);
    expect(Object.values(saved.shards).some((shard) => shard.sequenceNumber !== undefined)).toBe(true);

    // Written while nothing reads the stream.
    await harness.put(streams.restart, sent.slice(10, 15));
    const second = await start(0.2);
    await waitFor("the next five delivered", () => second.stats().recordsDelivered === 5);
    await second.flush();
    expect(second.stats().recordsRead).toBe(5);
    await second.stop();

    // Read into the buffer but stopped before the interval: not checkpointed, so read again.
    const third = await start(600);
    await harness.put(streams.restart, sent.slice(15));
    await waitFor("the last four read", () => third.stats().recordsRead === 4);
    await third.stop();
    expect(third.stats().deliveries).toBe(0);

    const fourth = await start(0.2);
    await waitFor("the last four delivered", () => fourth.stats().recordsDelivered === 4);
    await fourth.flush();
    expect(fourth.stats().recordsRead).toBe(4);
    await fourth.stop();

    const documents = await harness.documentsOf(driverId);
    expect(documents.map((document) => document._source.recordedAt)).toEqual(sent.map((fix) => fix.recordedAt));
  });
});

describe("resharding", () => {
  it("follows a closed shard to its children once the parent is delivered to its end", async () => {
    const checkpointDir = await dir("resharded");
    const firehose = await harness.firehose(streams.resharded, checkpointDir, { bufferingIntervalSeconds: 0.2 });
    const driverId = randomUUID();
    const sent = fixes(20, driverId);
    try {
      await harness.put(streams.resharded, sent.slice(0, 10));
      await waitFor("the first ten delivered", () => firehose.stats().recordsDelivered === 10);

      // Split every shard in two: the parents close, and new records go to their children.
      for (const shardId of ["shardId-000000000000", "shardId-000000000001"]) {
        const { Shards = [] } = await harness.kinesis.send(new ListShardsCommand({ StreamName: streams.resharded }));
        const range = Shards.find((shard) => shard.ShardId === shardId)!.HashKeyRange!;
        const middle = (BigInt(range.StartingHashKey!) + BigInt(range.EndingHashKey!)) / 2n;
        await harness.kinesis.send(new SplitShardCommand({ StreamName: streams.resharded, ShardToSplit: shardId, NewStartingHashKey: String(middle) }));
        await waitFor("the stream active again", async () => {
          const { StreamDescriptionSummary } = await harness.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streams.resharded }));
          return StreamDescriptionSummary?.StreamStatus === "ACTIVE";
        });
      }
      await harness.put(streams.resharded, sent.slice(10));
      await waitFor("the last ten delivered", () => firehose.stats().recordsDelivered === 20);
      expect(firehose.stats().shardsReading).toEqual(["shardId-000000000002", "shardId-000000000003", "shardId-000000000004", "shardId-000000000005"]);
      const saved = JSON.parse(await readFile(path.join(checkpointDir, "checkpoints.json"), "utf8")) as { shards: Record<string, { finished?: boolean }> };
      expect(saved.shards["shardId-000000000000"]?.finished).toBe(true);
      expect(saved.shards["shardId-000000000001"]?.finished).toBe(true);

      const documents = await harness.documentsOf(driverId);
      expect(documents.map((document) => document._source.recordedAt)).toEqual(sent.map((fix) => fix.recordedAt));
    } finally {
      await firehose.stop();
    }
  });
});

describe("documents OpenSearch refuses", () => {
  it("go to the backup folder with Firehose's fields while the rest of their batch is indexed", async () => {
    const backupDir = path.join(await dir("refused"), "backup");
    const firehose = await harness.firehose(streams.refused, path.dirname(backupDir), { bufferingIntervalSeconds: 0.2 });
    const good = fixes(3);
    const driverId = good[0]!.driverId;
    // `colour` is not in the family's strict mapping; a fix without a driver fails the pipeline.
    const unmapped = { driverId, recordedAt: "2026-11-20T09:00:00.000Z", lat: 53.8, lon: -1.55, colour: "red" };
    const driverless = { recordedAt: "2026-11-20T09:00:01.000Z", lat: 53.8, lon: -1.55 };
    const notJson = "lat=53.8,lon=-1.55";
    try {
      await harness.put(streams.refused, [good[0]!, unmapped, good[1]!, driverless, notJson, good[2]!]);
      await waitFor("every record indexed or backed up", () => firehose.stats().recordsDelivered + firehose.stats().recordsBackedUp === 6);
      expect(firehose.stats()).toMatchObject({ recordsDelivered: 3, recordsBackedUp: 3, retries: 0 });

      const documents = await harness.documentsOf(driverId);
      expect(documents.map((document) => document._source.recordedAt)).toEqual(good.map((fix) => fix.recordedAt));

      const lines = await backupLines(backupDir);
      expect(lines).toHaveLength(3);
      const now = new Date().toISOString();
      // S3's key layout: the hour's folder, and the delivery stream, version and the same UTC time in the name.
      const key = /^(.+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(.+)-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-[0-9a-f-]{36}$/.exec(lines[0]!.file);
      expect(key).not.toBeNull();
      const [, folderStream, ...rest] = key!;
      expect(folderStream).toBe(`${streams.refused}-delivery`);
      expect(rest[4]).toBe(folderStream);
      expect(rest.slice(0, 4)).toEqual(rest.slice(5, 9));
      expect(new Set(lines.map(({ file }) => file)).size).toBe(1);

      const byRawData = new Map(lines.map(({ line }) => [Buffer.from(String(line.rawData), "base64").toString("utf8"), line]));
      const index = `${alias}-${now.slice(0, 10)}`;
      for (const line of byRawData.values()) {
        expect(Object.keys(line).sort()).toEqual(
          ["attemptEndingTimestamp", "attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "esDocumentId", "esIndexName", "rawData"].sort(),
        );
        expect(line).toMatchObject({ errorCode: "400", esIndexName: index });
        expect(line.arrivalTimestamp).toEqual(expect.any(Number));
      }
      const refusedByMapping = byRawData.get(JSON.stringify(unmapped))!;
      expect(refusedByMapping).toMatchObject({ attemptsMade: 1 });
      expect(JSON.parse(String(refusedByMapping.errorMessage))).toMatchObject({ type: "strict_dynamic_mapping_exception" });
      const refusedByPipeline = byRawData.get(JSON.stringify(driverless))!;
      expect(refusedByPipeline).toMatchObject({ attemptsMade: 1 });
      expect(String(refusedByPipeline.errorMessage)).toContain("a fix needs driverId");
      // Never sent: no try could index it.
      expect(byRawData.get(notJson)).toMatchObject({ attemptsMade: 0, esDocumentId: "" });
    } finally {
      await firehose.stop();
    }
  });
});
