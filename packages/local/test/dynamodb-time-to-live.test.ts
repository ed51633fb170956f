/** DynamoDB's Time to Live, which dynalite lacks, as the local cloud's sweeper provides it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { tables } from "@haul/functions/declarations";
import { startDynalite, type RunningDynalite } from "../src/dynamodb/dynalite-server.js";
import { ensureTables } from "../src/dynamodb/tables.js";
import { startTimeToLiveSweeper, type ExpiringTable } from "../src/dynamodb/time-to-live.js";
import { eventually } from "./fixtures/live-environment.js";

let dynamodb: RunningDynalite;
let client: DynamoDBClient;
let table: ExpiringTable;

beforeAll(async () => {
  dynamodb = await startDynalite({ host: "127.0.0.1", port: 0, inProcess: true });
  const names = await ensureTables({ endpoint: dynamodb.endpoint, stage: "test", tables: [tables.liveConnections] });
  table = { tableName: names[tables.liveConnections.name]!, keyAttributes: ["connectionId"], timeToLiveAttribute: "expiresAt" };
  client = new DynamoDBClient({ endpoint: dynamodb.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
});

afterAll(async () => {
  client?.destroy();
  await dynamodb?.stop();
});

const now = Math.floor(Date.now() / 1000);

async function put(connectionId: string, expiresAt?: AttributeValue): Promise<void> {
  const item: Record<string, AttributeValue> = { connectionId: { S: connectionId }, userId: { S: "u-1" } };
  if (expiresAt) item.expiresAt = expiresAt;
  await client.send(new PutItemCommand({ TableName: table.tableName, Item: item }));
}

async function exists(connectionId: string): Promise<boolean> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table.tableName, Key: { connectionId: { S: connectionId } } }));
  return Item !== undefined;
}

describe("the time-to-live sweeper", () => {
  it("deletes items whose TTL number lies in the past, and only those", async () => {
    await put("expired", { N: String(now - 60) });
    await put("future", { N: String(now + 3600) });
    await put("no-ttl");
    // DynamoDB ignores a TTL attribute that is not a number.
    await put("text-ttl", { S: String(now - 60) });
    const sweeper = startTimeToLiveSweeper({ endpoint: dynamodb.endpoint, tables: [table], intervalMs: 60_000 });
    try {
      expect(await sweeper.sweep()).toBe(1);
      expect(await exists("expired")).toBe(false);
      for (const kept of ["future", "no-ttl", "text-ttl"]) expect(await exists(kept)).toBe(true);
      // Once the future comes, that item goes too.
      expect(await sweeper.sweep(new Date((now + 3601) * 1000))).toBe(1);
      expect(await exists("future")).toBe(false);
    } finally {
      await sweeper.stop();
    }
  });

  it("sweeps on its own, every interval", async () => {
    const sweeper = startTimeToLiveSweeper({ endpoint: dynamodb.endpoint, tables: [table], intervalMs: 20 });
    try {
      await put("expires-meanwhile", { N: String(now - 1) });
      await eventually(async () => !(await exists("expires-meanwhile")));
    } finally {
      await sweeper.stop();
    }
  });
});
