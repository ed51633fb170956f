/**
 * Liveness of Haul's data dependencies: the MySQL primary, the read replica and Redis, and
 * OpenSearch for the services that use it, each probed in parallel with a short timeout. Never
 * throws: a failure is a `down` entry. Reasons are error codes, not messages, so a public health
 * check does not reveal hostnames.
 */
import { errors as searchErrors } from "@opensearch-project/opensearch";
import { getRedisClient } from "./cache/redis-client.js";
import { getPrimaryPool, getReaderPool, getReplicaPool } from "./db/pools.js";
import { getSearchClient } from "./search/search-client.js";

export * as Health from "./health.js";

export type DependencyName = "primary" | "replica" | "redis" | "opensearch";

export interface DependencyStatus {
  readonly status: "up" | "down";
  readonly latencyMs: number;
  /** Why it is down, e.g. `ECONNREFUSED`, `ER_ACCESS_DENIED_ERROR`, `timeout`, `cluster_red`. */
  readonly reason?: string;
}

export interface HealthReport {
  /** True when every dependency is up. */
  readonly healthy: boolean;
  readonly checkedAt: string;
  /** `opensearch` only when the check was asked to include it. */
  readonly dependencies: Readonly<Record<Exclude<DependencyName, "opensearch">, DependencyStatus>> & {
    readonly opensearch?: DependencyStatus;
  };
}

export interface CheckOptions {
  readonly timeoutMs?: number;
  /** `reader`: probe as the read-only user, as the query service connects (it holds no other credentials). */
  readonly as?: "writer" | "reader";
  /** Probe OpenSearch too (cluster health yellow or green is up): for the services that use it. */
  readonly opensearch?: boolean;
}

export async function check(options: CheckOptions = {}): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 1_500;
  const reader = options.as === "reader";
  const [primary, replica, redis, opensearch] = await Promise.all([
    probe(async () => (await (reader ? getReaderPool("primary") : getPrimaryPool())).query("SELECT 1"), timeoutMs),
    probe(async () => (await (reader ? getReaderPool("replica") : getReplicaPool())).query("SELECT 1"), timeoutMs),
    probe(async () => (await getRedisClient()).ping(), timeoutMs),
    options.opensearch ? probe(() => pingSearchCluster(timeoutMs), timeoutMs) : undefined,
  ]);
  const dependencies = { primary, replica, redis, ...(opensearch ? { opensearch } : {}) };
  return {
    healthy: Object.values(dependencies).every((dependency) => dependency.status === "up"),
    checkedAt: new Date().toISOString(),
    dependencies,
  };
}

/** Resolves when the cluster is yellow or green: every primary shard is assigned, so every index answers. */
async function pingSearchCluster(timeoutMs: number): Promise<void> {
  // No retries: a probe reports what it finds; its own timer bounds the wait as for the others.
  const { body } = await getSearchClient().cluster.health({}, { requestTimeout: timeoutMs, maxRetries: 0 });
  if (body.status === "red") throw new ProbeFailure("cluster_red");
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

/** A dependency that answered, but not well enough; `message` is the reason code. */
class ProbeFailure extends Error {}

function reasonOf(error: unknown): string {
  if (error instanceof ProbeTimeout) return "timeout";
  if (error instanceof ProbeFailure) return error.message;
  if (error instanceof searchErrors.OpenSearchClientError) return searchReasonOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code) return code;
  if (error instanceof Error && error.name && error.name !== "Error") return error.name;
  return "error";
}

// The OpenSearch client wraps socket errors and drops their code; it survives in the message.
function searchReasonOf(error: InstanceType<typeof searchErrors.OpenSearchClientError>): string {
  if (error instanceof searchErrors.TimeoutError) return "timeout";
  if (error instanceof searchErrors.ResponseError) {
    const type = (error.body as { error?: { type?: unknown } } | undefined)?.error?.type;
    return typeof type === "string" ? type : `http_${error.statusCode}`;
  }
  return /\b(E[A-Z]{3,})\b/.exec(error.message)?.[1] ?? error.name;
}

function elapsedSince(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
