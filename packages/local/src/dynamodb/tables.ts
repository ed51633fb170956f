/**
 * Creates the declared DynamoDB tables in the local endpoint when they are missing, with the
 * physical names the cloud uses (`<stage>-haul-<Name>`) and their global secondary indexes.
 * Safe to run on every start.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import type { TableDeclaration } from "@haul/functions/declarations";
import { appName } from "../config.js";

export interface EnsureTablesOptions {
  readonly endpoint: string;
  readonly stage: string;
  readonly tables: readonly TableDeclaration[];
  readonly region?: string;
}

/** e.g. local-haul-TrackingSessions */
export function physicalTableName(stage: string, table: Pick<TableDeclaration, "name">): string {
  return `${stage}-${appName}-${table.name}`;
}

/** Creates missing tables and waits until each is ACTIVE; returns logical name -> physical name. */
export async function ensureTables(options: EnsureTablesOptions): Promise<Record<string, string>> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? "us-east-1",
    // Never real credentials against a local endpoint.
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const names: Record<string, string> = {};
    for (const table of options.tables) {
      const tableName = physicalTableName(options.stage, table);
      await createTableIfMissing(client, tableName, table);
      await waitUntilActive(client, tableName);
      names[table.name] = tableName;
    }
    return names;
  } finally {
    client.destroy();
  }
}

async function createTableIfMissing(client: DynamoDBClient, tableName: string, table: TableDeclaration): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    // dynalite cannot add an index to a table (UpdateTable), so a table from before an index was declared must go.
    const existing = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = Object.keys(table.indexes ?? {}).filter((name) => !existing.has(name));
    if (missing.length > 0) {
      throw new Error(`Table ${tableName} lacks the declared index ${missing.join(", ")}: start with --fresh to recreate the tables`);
    }
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const keys = keySchema(table);
  const indexes = Object.entries(table.indexes ?? {}).map(([name, index]) => ({
    IndexName: name,
    KeySchema: keySchema(index),
    Projection: { ProjectionType: "ALL" as const },
  }));
  // Keys are strings (ids); the declaration names keys but not their types.
  const keyAttributes = new Set([...keys, ...indexes.flatMap((index) => index.KeySchema)].map((key) => key.AttributeName));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: keys,
        AttributeDefinitions: [...keyAttributes].map((name) => ({ AttributeName: name, AttributeType: "S" as const })),
        ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
      }),
    );
  } catch (error) {
    // Another process created it between describe and create: that is the goal anyway.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite cannot UpdateTimeToLive: the local cloud sweeps expired items itself (time-to-live.ts).
}

function keySchema(keys: { readonly partitionKey: string; readonly sortKey?: string }) {
  return [
    { AttributeName: keys.partitionKey, KeyType: "HASH" as const },
    ...(keys.sortKey ? [{ AttributeName: keys.sortKey, KeyType: "RANGE" as const }] : []),
  ];
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
