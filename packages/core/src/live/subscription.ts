/**
 * Live subscriptions: which LiveApi connection follows which reservation. One item per
 * (connectionId, reservationId) in the LiveSubscriptions table, so one connection may follow
 * several reservations and one reservation may have several viewers (a phone and a laptop). An
 * item expires with its connection (`expiresAt` = the connection item's), so one whose
 * `$disconnect` never ran still goes away. The push scans the table: its cost grows with the
 * subscriptions, not with the positions stored.
 */
import { BatchWriteCommand, DeleteCommand, PutCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { sleep } from "../batch-writes.js";
import { getDocumentClient } from "../dynamodb/document-client.js";
import { expiryOf } from "./connection.js";

export * as Subscription from "./subscription.js";

/**
 * The variable and index declared for `liveSubscriptions` in packages/functions/src/declarations.ts
 * (core cannot import functions; a test keeps the two in step).
 */
export const tableNameVariable = "HAUL_LIVE_SUBSCRIPTIONS_TABLE";
export const byReservationIndex = "byReservation";

export const NewSubscription = z.object({
  connectionId: z.string().min(1).max(128),
  reservationId: z.uuid(),
  customerId: z.string().min(1),
  /** Epoch milliseconds, as API Gateway's `requestContext.connectedAt`. */
  connectedAt: z.number().int().nonnegative(),
});
export type NewSubscription = z.infer<typeof NewSubscription>;

export const LiveSubscription = z.object({
  connectionId: z.string().min(1),
  reservationId: z.string().min(1),
  customerId: z.string().min(1),
  subscribedAt: z.string(),
  /** Epoch seconds: DynamoDB's TTL attribute, the connection's. */
  expiresAt: z.number().int(),
});
export type LiveSubscription = z.infer<typeof LiveSubscription>;

/** BatchWriteItem takes at most 25 requests. */
const maxWritesPerBatch = 25;
const maxBatchWriteRounds = 8;

/** Records the subscription; subscribing again is harmless. */
export async function save(subscription: NewSubscription, now: Date = new Date()): Promise<LiveSubscription> {
  const parsed = NewSubscription.parse(subscription);
  const item: LiveSubscription = {
    connectionId: parsed.connectionId,
    reservationId: parsed.reservationId.toLowerCase(),
    customerId: parsed.customerId,
    subscribedAt: now.toISOString(),
    expiresAt: expiryOf(parsed.connectedAt),
  };
  await getDocumentClient().send(new PutCommand({ TableName: tableName(), Item: item }));
  return item;
}

/** Stops one connection following one reservation; a subscription that is not there is no error. */
export async function remove(connectionId: string, reservationId: string): Promise<void> {
  await getDocumentClient().send(new DeleteCommand({ TableName: tableName(), Key: { connectionId, reservationId: reservationId.toLowerCase() } }));
}

/** Every subscription of the connection (it closed, or is gone); returns how many were removed. */
export async function removeConnection(connectionId: string): Promise<number> {
  const keys: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await getDocumentClient().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: "connectionId = :connectionId",
        ExpressionAttributeValues: { ":connectionId": connectionId },
        ProjectionExpression: "connectionId, reservationId",
        ExclusiveStartKey: startKey,
      }),
    );
    keys.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  await deleteKeys(keys);
  return keys.length;
}

/** The connections following `reservationId`, open ones only. */
export async function listByReservation(reservationId: string, now: Date = new Date()): Promise<LiveSubscription[]> {
  const found: LiveSubscription[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await getDocumentClient().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: byReservationIndex,
        KeyConditionExpression: "reservationId = :reservationId",
        FilterExpression: "expiresAt > :now",
        ExpressionAttributeValues: { ":reservationId": reservationId.toLowerCase(), ":now": epochSeconds(now) },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) found.push(LiveSubscription.parse(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

/**
 * Every subscription whose connection has not expired: a scan through all pages. Items past their
 * expiry are left out (DynamoDB deletes expired items only eventually).
 */
export async function listAll(now: Date = new Date()): Promise<LiveSubscription[]> {
  const found: LiveSubscription[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await getDocumentClient().send(
      new ScanCommand({
        TableName: tableName(),
        FilterExpression: "expiresAt > :now",
        ExpressionAttributeValues: { ":now": epochSeconds(now) },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) found.push(LiveSubscription.parse(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

async function deleteKeys(keys: readonly Record<string, unknown>[]): Promise<void> {
  const table = tableName();
  for (let start = 0; start < keys.length; start += maxWritesPerBatch) {
    let requests: { DeleteRequest?: { Key?: Record<string, unknown> } }[] | undefined = keys
      .slice(start, start + maxWritesPerBatch)
      .map((key) => ({ DeleteRequest: { Key: { connectionId: key.connectionId, reservationId: key.reservationId } } }));
    for (let round = 1; requests && requests.length > 0; round++) {
      if (round > maxBatchWriteRounds) throw new Error(`${requests.length} subscription deletes were still unprocessed after ${maxBatchWriteRounds} rounds`);
      if (round > 1) await sleep(Math.min(1_000, 25 * 2 ** round));
      const reply = await getDocumentClient().send(new BatchWriteCommand({ RequestItems: { [table]: requests as never } }));
      requests = reply.UnprocessedItems?.[table] as typeof requests;
    }
  }
}

function epochSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}

function tableName(): string {
  const name = process.env[tableNameVariable];
  if (!name) throw new Error(`${tableNameVariable} is not set: live subscriptions cannot be stored`);
  return name;
}
