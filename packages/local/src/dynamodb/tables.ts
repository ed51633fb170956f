/**
 * Creates the declared DynamoDB tables in the local endpoint when they are missing, with the
 * physical names the cloud uses (`<stage>-haul-<Name>`). Safe to run on every start.
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
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  // Keys are strings (ids); the declaration names keys but not their types.
  const keys = [
    { AttributeName: table.partitionKey, KeyType: "HASH" as const },
    ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: "RANGE" as const }] : []),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: keys,
        AttributeDefinitions: keys.map((key) => ({ AttributeName: key.AttributeName, AttributeType: "S" as const })),
      }),
    );
  } catch (error) {
    // Another process created it between describe and create: that is the goal anyway.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite cannot UpdateTimeToLive, so `timeToLiveAttribute` only takes effect in the cloud.
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
