/**
 * Cache-aside with a lease, for any entry of the query cache.
 *
 *  hit     the entry was in Redis;
 *  miss    it was not: this reader (or, when it lost the lease race, another one) read the database;
 *  bypass  Redis failed or was too slow: the answer comes from the database and the cache is left alone.
 *
 * Stampede guard across processes: the first reader to miss takes a short lease (SET NX PX) and
 * fills the entry; the others poll for the entry in small sleeps, for a bounded time, and read the
 * database themselves only if the lease holder is slow or stored nothing (e.g. a 404). Nothing in
 * here is per process, so N Lambda instances missing together cause one database read.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { keys } from "../reservation/query-cache.js";
import { whenUsable } from "./cache-client.js";

export type CacheOutcome = "hit" | "miss" | "bypass";

export interface CacheAsideLog {
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface LeaseSettings {
  /** How long a lease lives if its holder dies: longer than a database read takes. */
  readonly leaseMs: number;
  /** How long a reader that lost the lease waits for the entry before reading the database itself. */
  readonly waitMs: number;
  /** The longest sleep between two looks at the entry (the first looks come sooner). */
  readonly pollMs: number;
}

export const defaultLeaseSettings: LeaseSettings = { leaseMs: 2_000, waitMs: 300, pollMs: 10 };

// A fill usually takes about a millisecond: waiters look again after 1 ms, then back off to pollMs.
const firstPollMs = 1;

export interface CacheAsideContext {
  readonly redis: () => Promise<Redis>;
  readonly log: CacheAsideLog;
  readonly lease: LeaseSettings;
}

export interface CacheAsideRead<T> {
  /**
   * The entry's key (its lease key derives from it), or how to find it: a list page's key holds
   * the list's current version, read from the cache first.
   */
  readonly key: string | ((redis: Redis) => Promise<string>);
  /** Names the entry in log lines when the cache is bypassed before its key is known. */
  readonly label: string;
  readonly decode: (text: string) => T;
  /**
   * Reads the database and, given the cache, stores what may be cached. Called without it when the
   * cache is bypassed. Storing is the caller's: entries have their own rules (floors).
   */
  readonly fill: (cache: CacheAccess | undefined) => Promise<T>;
}

/** The cache as a filler sees it: each command's failure is logged and answered with `fallback`. */
export interface CacheAccess {
  /** The entry being filled. */
  readonly key: string;
  attempt<R>(command: (redis: Redis) => Promise<R>, fallback: R): Promise<R>;
}

export interface Cached<T> {
  readonly value: T;
  readonly cache: CacheOutcome;
}

// Deletes the lease only if this reader still holds it (it may have expired and passed on).
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface ReadOptions {
  /** Answer from the database, neither reading nor filling the cache (a client's `Cache-Control: no-cache`). */
  readonly fresh?: boolean;
}

export async function readThrough<T>(context: CacheAsideContext, read: CacheAsideRead<T>, options: ReadOptions = {}): Promise<Cached<T>> {
  if (options.fresh) return { value: await read.fill(undefined), cache: "bypass" };
  let redis: Redis;
  let key: string;
  let cached: string | null;
  try {
    redis = await whenUsable(await context.redis());
    key = typeof read.key === "string" ? read.key : await read.key(redis);
    cached = await redis.get(key);
  } catch (error) {
    return bypass(context, read, error);
  }
  if (cached !== null) return { value: read.decode(cached), cache: "hit" };

  const leaseKey = keys.lease(key);
  const token = randomBytes(9).toString("base64url");
  let leased: boolean;
  try {
    leased = (await redis.set(leaseKey, token, "PX", context.lease.leaseMs, "NX")) === "OK";
  } catch (error) {
    return bypass(context, read, error);
  }

  if (!leased) {
    try {
      const waited = await waitForEntry(redis, key, leaseKey, context.lease);
      if (waited !== null) return { value: read.decode(waited), cache: "hit" };
    } catch (error) {
      return bypass(context, read, error);
    }
  }

  try {
    return { value: await fillGuarded(context, read, redis, key), cache: "miss" };
  } finally {
    if (leased) await redis.eval(releaseScript, 1, leaseKey, token).catch(() => undefined);
  }
}

/** The entry once the lease holder stored it; null when the lease ended without one or time ran out. */
async function waitForEntry(redis: Redis, key: string, leaseKey: string, settings: LeaseSettings): Promise<string | null> {
  const deadline = Date.now() + settings.waitMs;
  for (let pause = Math.min(firstPollMs, settings.pollMs); Date.now() < deadline; pause = Math.min(pause * 2, settings.pollMs)) {
    await sleep(pause);
    const [value, holder] = await redis.mget(key, leaseKey);
    if (value !== null && value !== undefined) return value;
    if (holder === null || holder === undefined) return null;
  }
  return null;
}

/** The database answer; a cache failure while storing it is logged and costs nothing else. */
async function fillGuarded<T>(context: CacheAsideContext, read: CacheAsideRead<T>, redis: Redis, key: string): Promise<T> {
  return read.fill({
    key,
    async attempt(command, fallback) {
      try {
        return await command(redis);
      } catch (error) {
        context.log.warn("query cache write failed; answered from the database", { key, error: describe(error) });
        return fallback;
      }
    },
  });
}

async function bypass<T>(context: CacheAsideContext, read: CacheAsideRead<T>, error: unknown): Promise<Cached<T>> {
  context.log.warn("query cache bypassed; answering from the database", { entry: read.label, error: describe(error) });
  return { value: await read.fill(undefined), cache: "bypass" };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
