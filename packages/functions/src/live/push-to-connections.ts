/**
 * Pushes messages to apps through the LiveApi's @connections API (PostToConnection), a few
 * connections at a time. A connection API Gateway reports gone (410) has closed for good, so its
 * item is deleted and no later push tries it again. Gone is recognised by the HTTP status as well
 * as by the error's name: an SDK v3 error carries the status in `$metadata`, not in `statusCode`.
 *
 * The endpoint is the API's callback URL from HAUL_LIVE_API_CALLBACK_URL
 * (`https://<api id>.execute-api.<region>.amazonaws.com/<stage>`, or the local gateway's).
 */
import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { Connection } from "@haul/core/live/connection";
import { getConnectionsClient } from "../shared/aws-clients.js";
import { logger } from "../shared/logger.js";
import { callbackUrlVariable } from "./callback-url.js";

export { callbackUrlVariable };

/** API Gateway's largest WebSocket message; a bigger post is refused with 413. */
export const maxMessageBytes = 128 * 1024;

export interface PushOptions {
  /** PostToConnection calls in flight at once (default 10). */
  readonly concurrency?: number;
  /** Default: HAUL_LIVE_API_CALLBACK_URL. */
  readonly callbackUrl?: string;
}

export interface PushOutcome {
  readonly delivered: string[];
  /** Closed connections; their items have been deleted. */
  readonly gone: string[];
  readonly failed: Array<{ readonly connectionId: string; readonly error: Error }>;
}

/** Sends `message` (JSON-encoded unless a string or bytes) to each connection once. */
export async function pushToConnections(connectionIds: readonly string[], message: unknown, options: PushOptions = {}): Promise<PushOutcome> {
  const data = encode(message);
  if (data.byteLength > maxMessageBytes) throw new RangeError(`The message is ${data.byteLength} bytes; the LiveApi takes at most ${maxMessageBytes}`);
  return pushEach([...new Set(connectionIds)].map((connectionId) => ({ connectionId, data })), options);
}

/** One message for one connection. */
export interface Delivery {
  readonly connectionId: string;
  readonly data: Uint8Array;
}

/**
 * Sends each delivery its own message, `concurrency` at a time over all of them (not group after
 * group). Every message is checked against the 128 KB limit before anything is posted.
 */
export async function pushEach(deliveries: readonly Delivery[], options: PushOptions = {}): Promise<PushOutcome> {
  for (const { data } of deliveries)
    if (data.byteLength > maxMessageBytes) throw new RangeError(`The message is ${data.byteLength} bytes; the LiveApi takes at most ${maxMessageBytes}`);
  const outcome: PushOutcome = { delivered: [], gone: [], failed: [] };
  if (deliveries.length === 0) return outcome;
  const client = getConnectionsClient(options.callbackUrl ?? callbackUrl());

  let next = 0;
  const pushNext = async (): Promise<void> => {
    for (let delivery = deliveries[next++]; delivery !== undefined; delivery = deliveries[next++]) {
      const { connectionId, data } = delivery;
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
        outcome.delivered.push(connectionId);
      } catch (error) {
        if (isGone(error)) {
          outcome.gone.push(connectionId);
          await forget(connectionId);
        } else outcome.failed.push({ connectionId, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 10, deliveries.length));
  await Promise.all(Array.from({ length: workers }, pushNext));
  return outcome;
}

/** Sends `message` to every open connection of the user (each of their devices). */
export async function pushToUser(userId: string, message: unknown, options: PushOptions = {}): Promise<PushOutcome> {
  const connections = await Connection.listByUser(userId);
  return pushToConnections(connections.map((connection) => connection.connectionId), message, options);
}

/** 410 GoneException: the connection is closed (or was never open). */
export function isGone(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return name === "GoneException" || $metadata?.httpStatusCode === 410;
}

async function forget(connectionId: string): Promise<void> {
  try {
    await Connection.remove(connectionId);
  } catch (error) {
    // The push itself is done; the item expires by TTL if it cannot be deleted now.
    logger.warn("could not delete a gone connection", { connectionId, error: error as Error });
  }
}

/** `message` as the bytes of one WebSocket message: as is when bytes, a string as text, anything else as JSON. */
export function encode(message: unknown): Uint8Array {
  if (message instanceof Uint8Array) return message;
  return Buffer.from(typeof message === "string" ? message : JSON.stringify(message), "utf8");
}

function callbackUrl(): string {
  const url = process.env[callbackUrlVariable];
  if (!url) throw new Error(`${callbackUrlVariable} is not set: nothing can be pushed to connections`);
  return url;
}
