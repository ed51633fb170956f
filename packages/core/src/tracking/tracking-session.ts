/**
 * Tracking sessions, as the reservation workflow writes them (its OpenTrackingSession, pickup,
 * delivery and close steps: packages/functions/src/reservation/workflow/reservation-workflow.asl.json).
 * One item per confirmed reservation in the TrackingSessions table: who may watch (customerId),
 * whose positions (driverId), and sessionStatus OPEN -> IN_TRANSIT (with pickedUpAt) -> CLOSED
 * (delivered, with deliveredAt; or cancelled or failed). The tracking service only reads them.
 */
import { BatchGetCommand, GetCommand, ScanCommand, type BatchGetCommandOutput } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { getDocumentClient } from "../dynamodb/document-client.js";
import { sleep } from "../batch-writes.js";

export * as TrackingSession from "./tracking-session.js";

/**
 * The variable declared for `trackingSessions` in packages/functions/src/declarations.ts
 * (core cannot import functions; a test keeps the two in step).
 */
export const tableNameVariable = "HAUL_TRACKING_SESSIONS_TABLE";

export const sessionStatuses = ["OPEN", "IN_TRANSIT", "CLOSED"] as const;

export const TrackingSessionItem = z.looseObject({
  reservationId: z.string().min(1),
  customerId: z.string().min(1),
  driverId: z.string().min(1),
  sessionStatus: z.enum(sessionStatuses),
  pickedUpAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  windowStart: z.string().optional(),
  windowEnd: z.string().optional(),
  expiresAt: z.number().optional(),
});
export type TrackingSessionItem = z.infer<typeof TrackingSessionItem>;

/** A session in transit: its pickup time is known. */
export type InTransitSession = TrackingSessionItem & { readonly sessionStatus: "IN_TRANSIT"; readonly pickedUpAt: string };

export function isInTransit(session: TrackingSessionItem): session is InTransitSession {
  return session.sessionStatus === "IN_TRANSIT" && typeof session.pickedUpAt === "string";
}

/** BatchGetItem takes at most 100 keys. */
const maxKeysPerBatchGet = 100;
const maxBatchGetRounds = 8;

export async function get(reservationId: string): Promise<TrackingSessionItem | undefined> {
  const { Item } = await getDocumentClient().send(new GetCommand({ TableName: tableName(), Key: { reservationId }, ConsistentRead: true }));
  return Item ? TrackingSessionItem.parse(Item) : undefined;
}

/** The sessions of these reservations (those that have one), 100 keys a request; unprocessed keys are asked again. */
export async function getMany(reservationIds: readonly string[]): Promise<Map<string, TrackingSessionItem>> {
  const found = new Map<string, TrackingSessionItem>();
  const ids = [...new Set(reservationIds)];
  const table = tableName();
  for (let start = 0; start < ids.length; start += maxKeysPerBatchGet) {
    let keys: Record<string, unknown>[] | undefined = ids.slice(start, start + maxKeysPerBatchGet).map((reservationId) => ({ reservationId }));
    for (let round = 1; keys && keys.length > 0; round++) {
      if (round > maxBatchGetRounds) throw new Error(`${keys.length} tracking sessions were still unprocessed after ${maxBatchGetRounds} BatchGetItem rounds`);
      if (round > 1) await sleep(Math.min(1_000, 25 * 2 ** round));
      const reply: BatchGetCommandOutput = await getDocumentClient().send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
      for (const item of reply.Responses?.[table] ?? []) {
        const session = TrackingSessionItem.parse(item);
        found.set(session.reservationId, session);
      }
      keys = reply.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return found;
}

/** Every session in transit: a scan through all pages (the fleet view). */
export async function listInTransit(): Promise<InTransitSession[]> {
  const sessions: InTransitSession[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await getDocumentClient().send(
      new ScanCommand({
        TableName: tableName(),
        FilterExpression: "sessionStatus = :inTransit",
        ExpressionAttributeValues: { ":inTransit": "IN_TRANSIT" },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const session = TrackingSessionItem.parse(item);
      if (isInTransit(session)) sessions.push(session);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return sessions;
}

function tableName(): string {
  const name = process.env[tableNameVariable];
  if (!name) throw new Error(`${tableNameVariable} is not set: tracking sessions cannot be read`);
  return name;
}
