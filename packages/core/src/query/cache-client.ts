/**
 * The query service's own Redis client: it fails fast so that a slow or absent cache costs a read
 * a few milliseconds, never an error. A short command timeout, no offline queue (a command sent
 * while disconnected fails at once instead of waiting for a reconnect) and no retries of commands.
 * The workflow's invalidation keeps the patient shared client (cache/redis-client.ts): it must not
 * give up, the reads must.
 */
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { Redis } from "ioredis";
import { defaultRedisUrl } from "../cache/redis-client.js";

/** A cache answer slower than this is treated as no answer: the database is faster than waiting. */
export const defaultCommandTimeoutMs = 100;
/** How long a cold start waits for its first connection before answering from the database. */
const firstConnectWaitMs = 300;

export interface QueryCacheClientOptions {
  readonly url?: string;
  readonly password?: string;
  readonly commandTimeoutMs?: number;
}

/** A fail-fast client; `redis.status` tells whether it is usable right now. */
export function createQueryCacheClient(options: QueryCacheClientOptions = {}): Redis {
  const redis = new Redis(options.url ?? (process.env.HAUL_REDIS_URL || defaultRedisUrl), {
    ...(options.password ? { password: options.password } : {}),
    connectTimeout: 1_000,
    commandTimeout: options.commandTimeoutMs ?? defaultCommandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Keep trying in the background; requests meanwhile bypass the cache.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  // Failures surface on the commands that fail; without a listener ioredis prints every retry.
  redis.on("error", () => undefined);
  return redis;
}

/**
 * `redis` once it is connected. Only the very first connection is waited for (briefly), so a cold
 * start still uses the cache; a client that lost its connection fails at once.
 */
export async function whenUsable(redis: Redis): Promise<Redis> {
  if (redis.status === "ready") return redis;
  if ((redis.status === "connecting" || redis.status === "connect") && !connectedOnce.has(redis)) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, firstConnectWaitMs);
      redis.once("ready", done);
      function done() {
        clearTimeout(timer);
        redis.off("ready", done);
        resolve();
      }
    });
  }
  // Read again: the wait above may have changed it.
  if ((redis.status as string) !== "ready") throw new Error(`The query cache is not connected (${redis.status})`);
  connectedOnce.add(redis);
  return redis;
}

const connectedOnce = new WeakSet<Redis>();

let shared: Promise<Redis> | undefined;

/** The process's query cache client, from HAUL_REDIS_URL and, in the cloud, HAUL_REDIS_AUTH_SECRET_ARN. */
export function getQueryCacheClient(): Promise<Redis> {
  if (!shared) {
    const creating = (async () => {
      const secretArn = process.env.HAUL_REDIS_AUTH_SECRET_ARN;
      const password = secretArn ? await readAuthToken(secretArn) : undefined;
      return createQueryCacheClient(password ? { password } : {});
    })();
    shared = creating;
    // A failed creation (the secret could not be read) is retried by the next caller.
    creating.catch(() => {
      if (shared === creating) shared = undefined;
    });
  }
  return shared;
}

async function readAuthToken(secretArn: string): Promise<string> {
  const token = await getSecret(secretArn, { maxAge: 300 });
  if (typeof token !== "string" || !token) throw new Error(`The Redis AUTH token secret ${secretArn} is not a non-empty string`);
  return token;
}

/** Closes the process's client (tests, scripts); the next use creates one from the environment again. */
export async function closeQueryCacheClient(): Promise<void> {
  const closing = shared;
  shared = undefined;
  const redis = await closing?.catch(() => undefined);
  redis?.disconnect();
}
