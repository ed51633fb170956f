/**
 * The one shared Redis client (the query cache), created on first use from HAUL_REDIS_URL
 * (`redis://` locally, `rediss://` for ElastiCache with TLS) and, in the cloud, the AUTH token in
 * the plain-string secret HAUL_REDIS_AUTH_SECRET_ARN. It fails fast rather than queueing forever:
 * a short connect and command timeout, and a command waiting for a lost connection is rejected
 * after one reconnect attempt. Callers treat cache errors as misses.
 */
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { Redis } from "ioredis";

export const defaultRedisUrl = "redis://127.0.0.1:6379";

let client: Promise<Redis> | undefined;

export function getRedisClient(): Promise<Redis> {
  if (!client) {
    const creating = createSharedClient();
    client = creating;
    // A failed creation (the secret could not be read) is retried by the next caller.
    creating.catch(() => {
      if (client === creating) client = undefined;
    });
  }
  return client;
}

async function createSharedClient(): Promise<Redis> {
  const url = process.env.HAUL_REDIS_URL || defaultRedisUrl;
  const authSecretArn = process.env.HAUL_REDIS_AUTH_SECRET_ARN;
  return createRedisClient(url, authSecretArn ? { password: await readAuthToken(authSecretArn) } : {});
}

async function readAuthToken(secretArn: string): Promise<string> {
  let token: unknown;
  try {
    token = await getSecret(secretArn, { maxAge: 300 });
  } catch (error) {
    throw new Error(`Could not read the Redis AUTH token secret ${secretArn}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof token !== "string" || !token) throw new Error(`The Redis AUTH token secret ${secretArn} is not a non-empty string`);
  return token;
}

export function createRedisClient(url: string, options: { readonly password?: string } = {}): Redis {
  const redis = new Redis(url, {
    ...options,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Failures surface on the commands that fail; without a listener ioredis prints every retry.
  redis.on("error", () => undefined);
  return redis;
}

/** Closes the shared client (tests, scripts, graceful shutdown); the next use creates a new one. */
export async function closeRedisClient(): Promise<void> {
  const closing = client;
  client = undefined;
  const redis = await closing?.catch(() => undefined);
  if (!redis) return;
  if (redis.status !== "ready") {
    // Not connected: nothing to say goodbye to; this stops the reconnect attempts.
    redis.disconnect();
    return;
  }
  // QUIT resolves on the server's reply; wait for the socket to close too, so a script can exit.
  const ended = new Promise<void>((resolve) => {
    redis.once("end", resolve);
    setTimeout(resolve, 2_000).unref();
  });
  await redis.quit().catch(() => redis.disconnect());
  await ended;
}
