/**
 * Liveness of Haul's data dependencies: the MySQL primary, the read replica and Redis, each
 * probed in parallel with a short timeout. Never throws: a failure is a `down` entry.
 * Reasons are error codes, not messages, so a public health check does not reveal hostnames.
 */
import { getRedisClient } from "./cache/redis-client.js";
import { getPrimaryPool, getReaderPool, getReplicaPool } from "./db/pools.js";

export * as Health from "./health.js";

export type DependencyName = "primary" | "replica" | "redis";

export interface DependencyStatus {
  readonly status: "up" | "down";
  readonly latencyMs: number;
  /** Why it is down, e.g. `ECONNREFUSED`, `ER_ACCESS_DENIED_ERROR`, `timeout`. */
  readonly reason?: string;
}

export interface HealthReport {
  /** True when every dependency is up. */
  readonly healthy: boolean;
  readonly checkedAt: string;
  readonly dependencies: Readonly<Record<DependencyName, DependencyStatus>>;
}

export interface CheckOptions {
  readonly timeoutMs?: number;
  /** `reader`: probe as the read-only user, as the query service connects (it holds no other credentials). */
  readonly as?: "writer" | "reader";
}

export async function check(options: CheckOptions = {}): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 1_500;
  const reader = options.as === "reader";
  const [primary, replica, redis] = await Promise.all([
    probe(async () => (await (reader ? getReaderPool("primary") : getPrimaryPool())).query("SELECT 1"), timeoutMs),
    probe(async () => (await (reader ? getReaderPool("replica") : getReplicaPool())).query("SELECT 1"), timeoutMs),
    probe(async () => (await getRedisClient()).ping(), timeoutMs),
  ]);
  return {
    healthy: [primary, replica, redis].every((dependency) => dependency.status === "up"),
    checkedAt: new Date().toISOString(),
    dependencies: { primary, replica, redis },
  };
}

async function probe(ping: () => Promise<unknown>, timeoutMs: number): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), timeoutMs);
  });
  try {
    await Promise.race([ping(), timeout]);
    return { status: "up", latencyMs: elapsedSince(started) };
  } catch (error) {
    return { status: "down", latencyMs: elapsedSince(started), reason: reasonOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

class ProbeTimeout extends Error {}

function reasonOf(error: unknown): string {
  if (error instanceof ProbeTimeout) return "timeout";
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code) return code;
  if (error instanceof Error && error.name && error.name !== "Error") return error.name;
  return "error";
}

function elapsedSince(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
