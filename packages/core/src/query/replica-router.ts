/**
 * Where the query service's reads go: to the replica while it answers and keeps up, else to the
 * primary, both as the read-only user.
 *
 * - Down: a statement that cannot reach the replica (refused, reset, lost, or no answer within
 *   `statementTimeoutMs`) is run again on the primary, so its caller never sees the failure, and
 *   counts in a circuit breaker. `failureThreshold` in a row open it: reads then go straight to
 *   the primary, and after each `coolDownMs` one read probes the replica; its success closes the
 *   breaker. So while the replica is down only one read per cool-down pays a timeout.
 * - Lagging: at most every `lagCheckIntervalMs` (started by a read, never awaited by it) the
 *   primary's GTID position is noted, and the replica asked whether it has applied the oldest
 *   position noted and not yet seen applied (MariaDB `MASTER_GTID_WAIT(pos, 0)`, MySQL
 *   `GTID_SUBSET(set, @@gtid_executed)`: both answer at once, need no privilege beyond login, and
 *   cost a trivial statement on each server). The lag is that position's age, known to within one
 *   interval; beyond `lagBoundSeconds` reads go to the primary until the replica has applied it.
 *   A noted position survives an outage, so a replica that comes back far behind counts as lagging.
 *
 * State is per process (per Lambda execution environment in AWS).
 */
import type { Pool, RowDataPacket } from "mysql2/promise";
import { getReaderPool } from "../db/pools.js";
import { CircuitBreaker } from "./circuit-breaker.js";

/** The servers reads go to, both as the read-only user. Tests wrap them to count reads. */
export interface ReaderDatabase {
  readonly replica: () => Promise<Pool>;
  readonly primary: () => Promise<Pool>;
}

export const readerDatabase: ReaderDatabase = {
  replica: () => getReaderPool("replica"),
  primary: () => getReaderPool("primary"),
};

export type ReplicaCondition = "up" | "down" | "lagging";

/** Where reads go now, and since when. */
export interface ReadSource {
  readonly replica: ReplicaCondition;
  readonly readingFrom: "replica" | "primary";
  /** ISO time of the last change. */
  readonly since: string;
  /** Why the replica is not used: an error code, `timeout`, or `lag > <bound> s`. */
  readonly reason?: string;
}

export interface ReplicaRoutingSettings {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  readonly statementTimeoutMs: number;
  readonly lagBoundSeconds: number;
  readonly lagCheckIntervalMs: number;
}

export const defaultReplicaRouting: ReplicaRoutingSettings = {
  failureThreshold: 3,
  coolDownMs: 10_000,
  statementTimeoutMs: 2_000,
  lagBoundSeconds: 30,
  lagCheckIntervalMs: 5_000,
};

export interface ReplicaRouterOptions {
  /** Where reads run. */
  readonly database?: ReaderDatabase;
  /** Where the lag is measured; default `database`. */
  readonly replication?: ReaderDatabase;
  readonly settings?: Partial<ReplicaRoutingSettings>;
  readonly now?: () => number;
  /** Each change of the replica's condition (so a log line per change, not per read). */
  readonly onChange?: (current: ReadSource, previous: ReadSource) => void;
  /** Each read the primary served in the replica's stead. */
  readonly onFallbackRead?: () => void;
}

export interface ReplicaRouter {
  /** `run` on the replica, or on the primary when the replica is down, lagging or fails this statement. */
  read<T>(run: (pool: Pool) => Promise<T>): Promise<T>;
  status(): ReadSource;
  /** Measures the lag now (health checks, tests); reads start it on their own, at most once an interval. */
  checkLag(): Promise<void>;
}

interface NotedPosition {
  readonly at: number;
  readonly position: string;
}

export function createReplicaRouter(options: ReplicaRouterOptions = {}): ReplicaRouter {
  const settings = { ...defaultReplicaRouting, ...options.settings };
  const database = options.database ?? readerDatabase;
  const replication = options.replication ?? database;
  const now = options.now ?? (() => Date.now());
  let current: ReadSource = { replica: "up", readingFrom: "replica", since: new Date(now()).toISOString() };
  let downReason = "";
  let lagging = false;
  let pending: NotedPosition | undefined;
  let flavour: Promise<"mariadb" | "mysql"> | undefined;
  let lagCheck: Promise<void> | undefined;
  let lastLagCheckAt = Number.NEGATIVE_INFINITY;

  const breaker = new CircuitBreaker({
    failureThreshold: settings.failureThreshold,
    coolDownMs: settings.coolDownMs,
    now,
    onStateChange: ({ to, reason }) => {
      if (to === "open") {
        downReason = reason;
        // Probes must reach the replica again; a noted position keeps what it lags by.
        lagging = false;
      }
      update();
      // Back after an outage: measure at once whether it has caught up (after any check in flight).
      if (to === "closed") void checkLag();
    },
  });

  function update(): void {
    const replica: ReplicaCondition = breaker.state !== "closed" ? "down" : lagging ? "lagging" : "up";
    if (replica === current.replica) return;
    const previous = current;
    const reason = replica === "down" ? downReason : replica === "lagging" ? `lag > ${settings.lagBoundSeconds} s` : undefined;
    current = {
      replica,
      readingFrom: replica === "up" ? "replica" : "primary",
      since: new Date(now()).toISOString(),
      ...(reason ? { reason } : {}),
    };
    options.onChange?.(current, previous);
  }

  async function read<T>(run: (pool: Pool) => Promise<T>): Promise<T> {
    if (now() - lastLagCheckAt >= settings.lagCheckIntervalMs) void startLagCheck();
    if (!lagging && breaker.tryAcquire()) {
      try {
        const result = await onReplica(run);
        breaker.recordSuccess();
        return result;
      } catch (error) {
        // The replica answered with an error of the statement's own: the primary would say the same.
        if (!isUnreachable(error)) {
          breaker.recordSuccess();
          throw error;
        }
        breaker.recordFailure(reasonOf(error));
      }
    }
    options.onFallbackRead?.();
    return run(await database.primary());
  }

  function onReplica<T>(run: (pool: Pool) => Promise<T>, pools: ReaderDatabase = database): Promise<T> {
    const attempt = (async () => run(await pools.replica()))();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReplicaTimeout()), settings.statementTimeoutMs);
    });
    // A statement that outlives its timeout still settles later: nobody waits for it then.
    attempt.catch(() => undefined);
    return Promise.race([attempt, timeout]).finally(() => clearTimeout(timer));
  }

  function startLagCheck(): Promise<void> {
    lastLagCheckAt = now();
    lagCheck ??= measureLag()
      .catch(() => undefined)
      .finally(() => {
        lagCheck = undefined;
      });
    return lagCheck;
  }

  async function measureLag(): Promise<void> {
    const primary = await replication.primary();
    flavour ??= serverFlavour(primary);
    const kind = await flavour;
    if (!pending) {
      const [rows] = await primary.query<RowDataPacket[]>(kind === "mariadb" ? "SELECT @@global.gtid_binlog_pos AS position" : "SELECT @@global.gtid_executed AS position");
      pending = { at: now(), position: String(rows[0]?.position ?? "") };
    }
    // While the breaker is open the replica is not asked; the noted position waits for its return.
    if (breaker.state !== "closed") return;
    const noted = pending;
    let applied: boolean;
    try {
      applied = noted.position === "" || (await onReplica((pool) => hasApplied(pool, kind, noted.position), replication));
    } catch (error) {
      if (isUnreachable(error)) breaker.recordFailure(reasonOf(error));
      throw error;
    }
    if (applied) {
      if (pending === noted) pending = undefined;
      lagging = false;
    } else {
      lagging = (now() - noted.at) / 1000 > settings.lagBoundSeconds;
    }
    update();
  }

  async function checkLag(): Promise<void> {
    await lagCheck;
    await startLagCheck();
  }

  return { read, status: () => current, checkLag };
}

async function serverFlavour(pool: Pool): Promise<"mariadb" | "mysql"> {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT VERSION() AS version");
  return /mariadb/i.test(String(rows[0]?.version)) ? "mariadb" : "mysql";
}

async function hasApplied(pool: Pool, kind: "mariadb" | "mysql", position: string): Promise<boolean> {
  if (kind === "mariadb") {
    const [rows] = await pool.query<RowDataPacket[]>("SELECT MASTER_GTID_WAIT(?, 0) AS waited", [position]);
    return Number(rows[0]?.waited) === 0;
  }
  const [rows] = await pool.query<RowDataPacket[]>("SELECT GTID_SUBSET(?, @@global.gtid_executed) AS applied", [position]);
  return Number(rows[0]?.applied) === 1;
}

class ReplicaTimeout extends Error {
  override name = "ReplicaTimeout";
  readonly code = "timeout";
}

/** Codes of a server that cannot be reached or cannot serve, as opposed to a statement's own error. */
const unreachableCodes = new Set([
  "timeout",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
]);

export function isUnreachable(error: unknown): boolean {
  const failure = error as { code?: unknown; fatal?: unknown } | null;
  return failure?.fatal === true || unreachableCodes.has(String(failure?.code));
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code ? code : error instanceof Error ? error.name : "error";
}

const settingVariables: Readonly<Record<keyof ReplicaRoutingSettings, string>> = {
  failureThreshold: "HAUL_REPLICA_FAILURE_THRESHOLD",
  coolDownMs: "HAUL_REPLICA_COOL_DOWN_MS",
  statementTimeoutMs: "HAUL_REPLICA_TIMEOUT_MS",
  lagBoundSeconds: "HAUL_REPLICA_LAG_BOUND_SECONDS",
  lagCheckIntervalMs: "HAUL_REPLICA_LAG_CHECK_MS",
};

/** The settings the environment overrides (README, Query service); a value that is not a positive number is an error. */
export function replicaRoutingFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Partial<ReplicaRoutingSettings> {
  const settings: Partial<Record<keyof ReplicaRoutingSettings, number>> = {};
  for (const [key, variable] of Object.entries(settingVariables) as [keyof ReplicaRoutingSettings, string][]) {
    const text = env[variable];
    if (!text) continue;
    const value = Number(text);
    if (!(value > 0)) throw new RangeError(`${variable} must be a positive number, got "${text}"`);
    settings[key] = value;
  }
  return settings;
}
