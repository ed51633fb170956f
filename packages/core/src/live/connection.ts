/**
 * Live connections: who holds which LiveApi WebSocket connection. One item per connection in the
 * LiveConnections table, found by user through its `byUser` index, so a message for a user reaches
 * every device they are connected on. An item expires a little after API Gateway's own 2-hour
 * limit: `$disconnect` is best effort, and a connection it missed must not linger.
 */
import { DeleteCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { getDocumentClient } from "../dynamodb/document-client.js";
import { Role } from "../user.js";

export * as Connection from "./connection.js";

/** API Gateway closes every WebSocket connection after 2 hours. */
export const maxConnectionSeconds = 2 * 60 * 60;
/** How long an item outlives the longest connection, so a live connection's item never expires first. */
export const expiryMarginSeconds = 10 * 60;

/**
 * Where the table is found: the variable and index that packages/functions/src/declarations.ts
 * declares for `liveConnections` (a test keeps the two in step; core cannot import functions).
 */
export const tableNameVariable = "HAUL_LIVE_CONNECTIONS_TABLE";
export const byUserIndex = "byUser";

export const NewConnection = z.object({
  /** API Gateway's id of the connection, e.g. `L0SM9cOFvHcCIhw=`. */
  connectionId: z.string().min(1).max(128),
  userId: z.string().min(1),
  role: Role,
  /** Epoch milliseconds, as API Gateway's `requestContext.connectedAt`. */
  connectedAt: z.number().int().nonnegative(),
});
export type NewConnection = z.infer<typeof NewConnection>;

export const LiveConnection = NewConnection.extend({
  /** Epoch seconds: DynamoDB's TTL attribute. */
  expiresAt: z.number().int(),
});
export type LiveConnection = z.infer<typeof LiveConnection>;

/** Records a connection under its user; a repeated save of the same connection is harmless. */
export async function save(connection: NewConnection): Promise<LiveConnection> {
  const parsed = NewConnection.parse(connection);
  const item: LiveConnection = { ...parsed, expiresAt: expiryOf(parsed.connectedAt) };
  await getDocumentClient().send(new PutCommand({ TableName: tableName(), Item: item }));
  return item;
}

/** When the item of a connection opened at `connectedAt` (epoch ms) expires, in epoch seconds. */
export function expiryOf(connectedAt: number): number {
  return Math.ceil(connectedAt / 1000) + maxConnectionSeconds + expiryMarginSeconds;
}

/** Forgets a connection; one that is not recorded (any more) is no error. */
export async function remove(connectionId: string): Promise<void> {
  await getDocumentClient().send(new DeleteCommand({ TableName: tableName(), Key: { connectionId } }));
}

/**
 * The user's open connections. Items past their expiry are left out: DynamoDB deletes expired
 * items only eventually (within days), and they name connections API Gateway has closed.
 */
export async function listByUser(userId: string, now: Date = new Date()): Promise<LiveConnection[]> {
  const connections: LiveConnection[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await getDocumentClient().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: byUserIndex,
        KeyConditionExpression: "userId = :userId",
        FilterExpression: "expiresAt > :now",
        ExpressionAttributeValues: { ":userId": userId, ":now": Math.floor(now.getTime() / 1000) },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) connections.push(LiveConnection.parse(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return connections;
}

function tableName(): string {
  const name = process.env[tableNameVariable];
  if (!name) throw new Error(`${tableNameVariable} is not set: live connections cannot be stored`);
  return name;
}
