import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@haul/functions/shared/aws-clients";
import { afterAll, describe, expect, it } from "vitest";
import { startKinesalite } from "../src/kinesis/kinesalite-server.js";

const local = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
const dataDir = await mkdtemp(join(tmpdir(), "haul-kinesalite-"));

afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe("kinesalite", () => {
  it("creates missing streams ACTIVE, and keeps an existing one and its records across restarts on a data directory", async () => {
    const first = await startKinesalite({ host: "127.0.0.1", port: 0, dataDir, fresh: true, inProcess: true, streams: [{ name: "positions", shardCount: 2 }] });
    let client = createKinesisClient({ ...local, endpoint: first.endpoint });
    try {
      const { StreamDescriptionSummary: summary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: "positions" }));
      expect(summary?.StreamStatus).toBe("ACTIVE");
      expect(summary?.OpenShardCount).toBe(2);
      await client.send(new PutRecordCommand({ StreamName: "positions", PartitionKey: "truck-1", Data: Buffer.from("kept") }));
    } finally {
      client.destroy();
      await first.stop();
    }

    // In a child process this time; the stream is already there.
    const second = await startKinesalite({ host: "127.0.0.1", port: 0, dataDir, streams: [{ name: "positions", shardCount: 2 }] });
    client = createKinesisClient({ ...local, endpoint: second.endpoint });
    try {
      expect(second.pid).not.toBe(process.pid);
      const data: string[] = [];
      for (const shardId of ["shardId-000000000000", "shardId-000000000001"]) {
        const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: "positions", ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }));
        const { Records = [] } = await client.send(new GetRecordsCommand({ ShardIterator }));
        data.push(...Records.map((record) => Buffer.from(record.Data!).toString("utf8")));
      }
      expect(data).toEqual(["kept"]);
    } finally {
      client.destroy();
      await second.stop();
    }
  });
});
