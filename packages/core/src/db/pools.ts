/**
 * The one home of the shared MySQL pools: the primary (read-write) and the read replica, each
 * created on first use from the environment (see connection-config.ts) and kept for the life of
 * the process or Lambda execution environment.
 *
 * In the cloud the password comes from a secret that Secrets Manager rotates. Open connections
 * survive a rotation but new ones would be refused, so at most once a minute the credentials are
 * resolved again (Powertools caches the secret) and, when they changed, a fresh pool replaces the
 * old one, which is ended after a grace period for the queries still running on it. New
 * connections may be refused for a minute or two after a rotation, not until the process ends.
 */
import mysql, { type Pool } from "mysql2/promise";
import { resolveMysqlTarget, resolveReaderTarget, toPoolOptions, type DatabaseRole, type MysqlTarget } from "./connection-config.js";

const recheckCredentialsMs = 60_000;
const retiredPoolGraceMs = 30_000;

interface PoolEntry {
  readonly pool: Promise<Pool>;
  readonly target: Promise<MysqlTarget>;
  checkedAt: number;
}

/** A server role, as the admin user (`primary`, `replica`) or as the read-only user (`...Reader`). */
type PoolKey = DatabaseRole | `${DatabaseRole}Reader`;

const pools = new Map<PoolKey, PoolEntry>();

/** The primary: every write, and reads that must see the latest write. */
export function getPrimaryPool(): Promise<Pool> {
  return getPool("primary");
}

/** The read replica: reads that tolerate replication lag (the query service). */
export function getReplicaPool(): Promise<Pool> {
  return getPool("replica");
}

/**
 * `role`'s server logged in as the read-only user (SELECT only): the query service reads through
 * these and nothing else. The local cloud runs every service in one process, so the read side asks
 * for its pools by name instead of relying on its environment.
 */
export function getReaderPool(role: DatabaseRole): Promise<Pool> {
  return getPool(`${role}Reader`);
}

function resolveTarget(key: PoolKey): Promise<MysqlTarget> {
  return key.endsWith("Reader") ? resolveReaderTarget(key.replace("Reader", "") as DatabaseRole) : resolveMysqlTarget(key as DatabaseRole);
}

async function getPool(role: PoolKey): Promise<Pool> {
  const entry = pools.get(role);
  if (!entry) return createEntry(role).pool;
  const target = await entry.target;
  // Only credentials from a secret rotate; URL targets never change while the process runs.
  if (target.credentialsSecretArn && Date.now() - entry.checkedAt > recheckCredentialsMs) {
    entry.checkedAt = Date.now();
    const current = await resolveTarget(role);
    if (current.user !== target.user || current.password !== target.password) {
      if (pools.get(role) === entry) {
        const fresh = createEntry(role, current);
        retire(entry.pool);
        return fresh.pool;
      }
    }
  }
  return entry.pool;
}

function createEntry(role: PoolKey, known?: MysqlTarget): PoolEntry {
  const target = known ? Promise.resolve(known) : resolveTarget(role);
  const entry: PoolEntry = { target, pool: target.then((resolved) => createPool(role, resolved)), checkedAt: Date.now() };
  pools.set(role, entry);
  // A failed creation (e.g. the secret could not be read) is retried by the next caller.
  entry.pool.catch(() => {
    if (pools.get(role) === entry) pools.delete(role);
  });
  return entry;
}

// DEFAULT CURRENT_TIMESTAMP and NOW() follow the session time zone: make it UTC whatever the
// server's default. The primary's transactions decide under locks and must see what the lock's
// previous holder committed: READ COMMITTED, set once per session instead of once per transaction.
const utcSession = "SET time_zone = '+00:00'";
const readCommittedSession = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

function sessionSettings(role: PoolKey): readonly string[] {
  return role === "primary" ? [utcSession, readCommittedSession] : [utcSession];
}

// The query service falls back to the primary when the replica does not answer (query/replica-router.ts):
// a dead replica should cost a read 2 s, not the default 5.
const replicaReaderConnectTimeoutMs = 2_000;

function createPool(role: PoolKey, target: MysqlTarget): Pool {
  const options = toPoolOptions(target);
  const pool = mysql.createPool(role === "replicaReader" ? { ...options, connectTimeout: replicaReaderConnectTimeoutMs } : options);
  // The listener gets the callback-style connection; these run before any query the pool hands
  // the connection out for.
  pool.on("connection", (connection) => {
    for (const statement of sessionSettings(role)) (connection as unknown as CallbackConnection).query(statement, () => undefined);
  });
  return pool;
}

interface CallbackConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

function retire(pool: Promise<Pool>): void {
  setTimeout(() => {
    void pool.then((retired) => retired.end()).catch(() => undefined);
  }, retiredPoolGraceMs).unref();
}

/** Ends every pool (tests, scripts, graceful shutdown). The next use creates them anew. */
export async function closePools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.all(
    open.map(async (entry) => {
      const pool = await entry.pool.catch(() => undefined);
      await pool?.end();
    }),
  );
}
