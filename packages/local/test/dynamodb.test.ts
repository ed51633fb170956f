import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { tableNameVariable, tables } from "@haul/functions/declarations";
import { startDynalite, type RunningDynalite } from "../src/dynamodb/dynalite-server.js";
import { ensureTables, physicalTableName } from "../src/dynamodb/tables.js";

let dataDir: string;
let running: RunningDynalite | undefined;
const declared = Object.values(tables);
const sessionsTable = physicalTableName("local", tables.trackingSessions);

beforeAll(async () => {
  dataDir = path.join(await mkdtemp(path.join(tmpdir(), "haul-dynamodb-")), "dynamodb");
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

afterAll(async () => {
  await rm(path.dirname(dataDir), { recursive: true, force: true });
});

async function start(fresh = false) {
  running = await startDynalite({ host: "127.0.0.1", port: 0, dataDir, fresh });
  const client = new DynamoDBClient({
    endpoint: running.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return { endpoint: running.endpoint, client };
}

describe("dynalite with the declared tables", () => {
  it("names tables and their environment variables as the cloud does", () => {
    expect(sessionsTable).toBe("local-haul-TrackingSessions");
    expect(tableNameVariable(tables.trackingSessions)).toBe("HAUL_TRACKING_SESSIONS_TABLE");
  });

  it("creates missing tables, idempotently", async () => {
    const { endpoint, client } = await start(true);
    const names = await ensureTables({ endpoint, stage: "local", tables: declared });
    const expected = Object.fromEntries(declared.map((table) => [table.name, `local-haul-${table.name}`]));
    expect(names).toEqual(expected);
    expect(names.TrackingSessions).toBe("local-haul-TrackingSessions");
    await ensureTables({ endpoint, stage: "local", tables: declared });
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames?.sort()).toEqual(Object.values(expected).sort());
    client.destroy();
  });

  it("keeps tables and items across a restart", async () => {
    const first = await start();
    await ensureTables({ endpoint: first.endpoint, stage: "local", tables: declared });
    await first.client.send(
      new PutItemCommand({ TableName: sessionsTable, Item: { reservationId: { S: "r-1" }, driverId: { S: "d-1" } } }),
    );
    first.client.destroy();
    await running!.stop();

    const second = await start();
    await ensureTables({ endpoint: second.endpoint, stage: "local", tables: declared });
    const { Item } = await second.client.send(new GetItemCommand({ TableName: sessionsTable, Key: { reservationId: { S: "r-1" } } }));
    expect(Item?.driverId).toEqual({ S: "d-1" });
    second.client.destroy();
  });

  it("starts empty when asked to start fresh", async () => {
    const { endpoint, client } = await start(true);
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    await ensureTables({ endpoint, stage: "local", tables: declared });
    const { Item } = await client.send(new GetItemCommand({ TableName: sessionsTable, Key: { reservationId: { S: "r-1" } } }));
    expect(Item).toBeUndefined();
    client.destroy();
  });

  it("creates the declared global secondary indexes, and they answer queries", async () => {
    const { endpoint, client } = await start(true);
    await ensureTables({ endpoint, stage: "local", tables: declared });
    const TableName = physicalTableName("local", tables.liveConnections);
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema, index.Projection?.ProjectionType])).toEqual([
      ["byUser", [{ AttributeName: "userId", KeyType: "HASH" }], "ALL"],
    ]);
    for (const [connectionId, userId] of [["c-1", "u-1"], ["c-2", "u-1"], ["c-3", "u-2"]]) {
      await client.send(new PutItemCommand({ TableName, Item: { connectionId: { S: connectionId! }, userId: { S: userId! } } }));
    }
    const { Items } = await client.send(
      new QueryCommand({ TableName, IndexName: "byUser", KeyConditionExpression: "userId = :u", ExpressionAttributeValues: { ":u": { S: "u-1" } } }),
    );
    expect(Items?.map((item) => item.connectionId?.S).sort()).toEqual(["c-1", "c-2"]);
    client.destroy();
  });

  it("says to start fresh when a stored table lacks a declared index (dynalite cannot add one)", async () => {
    const { endpoint, client } = await start(true);
    await client.send(
      new CreateTableCommand({
        TableName: physicalTableName("local", tables.liveConnections),
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "connectionId", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "connectionId", AttributeType: "S" }],
      }),
    );
    await expect(ensureTables({ endpoint, stage: "local", tables: declared })).rejects.toThrow(/lacks the declared index byUser.*--fresh/);
    client.destroy();
  });
});
