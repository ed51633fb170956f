/**
 * What the query tests share: a reader database that counts the statements each server runs
 * (optionally slowed down, so concurrent misses overlap), a throwaway redis-server that a test may
 * kill, replica lag on demand (the replica's SQL thread stopped through root's unix socket), and
 * query services, each with a Redis connection of its own as separate processes would have.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import { getReaderPool } from "../../src/db/pools.js";
import { createQueryCacheClient } from "../../src/query/cache-client.js";
import { createReservationQueries, type ReaderDatabase, type ReservationQueries, type ReservationQueriesOptions } from "../../src/query/reservation-query.js";
import { repoRoot } from "../support/database.js";

export interface CountingDatabase extends ReaderDatabase {
  /** Statements run, per server. */
  readonly reads: { replica: number; primary: number };
  /** Added before every statement, so concurrent callers overlap for sure. */
  delayMs: number;
  reset(): void;
}

export function countingDatabase(): CountingDatabase {
  const reads = { replica: 0, primary: 0 };
  const database: CountingDatabase = {
    reads,
    delayMs: 0,
    replica: async () => counted(await getReaderPool("replica"), "replica"),
    primary: async () => counted(await getReaderPool("primary"), "primary"),
    reset() {
      reads.replica = 0;
      reads.primary = 0;
    },
  };
  function counted(pool: Pool, server: "replica" | "primary"): Pool {
    return new Proxy(pool, {
      get(target, property, receiver) {
        const member = Reflect.get(target, property, receiver) as unknown;
        if ((property === "execute" || property === "query") && typeof member === "function") {
          return async (...args: unknown[]) => {
            reads[server] += 1;
            if (database.delayMs) await new Promise((resolve) => setTimeout(resolve, database.delayMs));
            return (member as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof member === "function" ? (member as (...a: unknown[]) => unknown).bind(target) : member;
      },
    });
  }
  return database;
}

/** A query service with a Redis connection of its own (as another process would have). */
export function queryService(
  database: ReaderDatabase,
  options: Omit<ReservationQueriesOptions, "database" | "cache"> & { url?: string } = {},
): { queries: ReservationQueries; redis: Redis; warnings: string[] } {
  const redis = createQueryCacheClient(options.url ? { url: options.url } : {});
  const warnings: string[] = [];
  const queries = createReservationQueries({
    ...options,
    database,
    cache: async () => redis,
    log: { warn: (message) => warnings.push(message) },
  });
  return { queries, redis, warnings };
}

export interface ThrowawayRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A redis-server of the test's own on a free port: never the shared one on 6379. */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], {
    stdio: "ignore",
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    probe.disconnect();
  }
  return {
    url,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Root's unix socket on the local replica (scripts/local-services.sh); SQL thread control needs it. */
function replicaAdminSocket(): string {
  const socket = join(repoRoot, ".haul", "run", "mysql-replica.sock");
  if (!existsSync(socket)) throw new Error(`No local replica socket at ${socket}: start scripts/local-services.sh`);
  return socket;
}

async function onReplicaAsRoot(sql: string): Promise<void> {
  await promisify(execFile)("mariadb", ["--no-defaults", "--protocol=socket", `--socket=${replicaAdminSocket()}`, "-uroot", "-e", sql]);
}

/** Replica lag on demand: the replica keeps receiving the binlog but applies nothing. */
export function pauseReplication(): Promise<void> {
  return onReplicaAsRoot("STOP SLAVE SQL_THREAD");
}

export function resumeReplication(): Promise<void> {
  return onReplicaAsRoot("START SLAVE SQL_THREAD");
}
