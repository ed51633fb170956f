/**
 * The query service's Redis cache of reservations: its keys, the invalidation the workflow runs
 * after each write, and the guarded write readers use.
 *
 * Keys (all under `haul:query:`):
 *   reservation:<id>                          one reservation, as the query service answers it
 *   reservation:<id>:floor                    the lowest version that may be cached (TTL 1 day)
 *   customer:<id>:reservations:version        list version: pages live under ...:v<version>:<page>
 *   driver:<id>:reservations:version          the same for a driver's assignments
 *   availability:version                      every availability answer (it spans all drivers); bumped
 *                                             by every invalidation, so it also versions the operator's
 *                                             list of all reservations (all:reservations:v<version>:<page>)
 *   <entry or page key>:lease                 a reader's short lease to fill that key (stampede guard)
 *
 * Invalidation deletes the reservation's entry, INCRs the three list versions (so one write drops
 * every page of those lists: readers build page keys from the current version) and raises the
 * floor to the reservation's version. A reader that read an older row from a lagging replica then
 * fails the floor check and does not cache it. Version keys carry no TTL: under ElastiCache's
 * default `volatile-lru` they are never evicted, so a version never goes back and revives old pages.
 * Page and entry keys must carry a TTL.
 */
import type { Redis } from "ioredis";
import { getRedisClient } from "../cache/redis-client.js";

export * as ReservationCache from "./query-cache.js";

const prefix = "haul:query:";
/** How long a floor outlives the write that set it: far longer than any replica lag or cache TTL. */
export const floorTtlSeconds = 24 * 60 * 60;

export const keys = {
  reservation: (reservationId: string) => `${prefix}reservation:${reservationId}`,
  versionFloor: (reservationId: string) => `${prefix}reservation:${reservationId}:floor`,
  customerListVersion: (customerId: string) => `${prefix}customer:${customerId}:reservations:version`,
  customerListPage: (customerId: string, listVersion: number, page: string) =>
    `${prefix}customer:${customerId}:reservations:v${listVersion}:${page}`,
  driverListVersion: (driverId: string) => `${prefix}driver:${driverId}:reservations:version`,
  driverListPage: (driverId: string, listVersion: number, page: string) =>
    `${prefix}driver:${driverId}:reservations:v${listVersion}:${page}`,
  availabilityVersion: () => `${prefix}availability:version`,
  availabilityPage: (listVersion: number, query: string) => `${prefix}availability:v${listVersion}:${query}`,
  /** Every reservation (operators): versioned by availabilityVersion, which every invalidation bumps. */
  allListPage: (globalVersion: number, page: string) => `${prefix}all:reservations:v${globalVersion}:${page}`,
  /** Held by the one reader filling `key`; the others wait for the entry instead of reading the database. */
  lease: (key: string) => `${key}:lease`,
} as const;

/** KEYS[1] floor; ARGV[1] version, ARGV[2] ttl. Sets the floor only upwards; returns the floor. */
const raiseFloorScript = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local proposed = tonumber(ARGV[1])
if proposed > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return proposed
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return current`;

/** KEYS[1] entry, KEYS[2] floor; ARGV[1] version, ARGV[2] value, ARGV[3] ttl. 1 when stored. */
const storeIfCurrentScript = `
local floor = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) < floor then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

/** What invalidation needs to know of a reservation (a ReservationWorkflowView has it). */
export interface InvalidationTarget {
  readonly reservationId: string;
  readonly customerId: string;
  readonly driverId: string;
  readonly version: number;
}

/**
 * Drops every cache entry `target` affects and raises its version floor, in one MULTI. Idempotent:
 * a repeat deletes nothing more, bumps the list versions again (dropping nothing valid) and leaves
 * the floor where it is. Errors are thrown, not treated as misses: the workflow retries them.
 */
export async function invalidate(target: InvalidationTarget): Promise<void> {
  const redis = await getRedisClient();
  const results = await redis
    .multi()
    .del(keys.reservation(target.reservationId))
    .incr(keys.customerListVersion(target.customerId))
    .incr(keys.driverListVersion(target.driverId))
    .incr(keys.availabilityVersion())
    .eval(raiseFloorScript, 1, keys.versionFloor(target.reservationId), target.version, floorTtlSeconds)
    .exec();
  if (!results) throw new Error("The cache invalidation transaction was aborted");
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
}

/**
 * Caches `value` for reservation `reservationId` read at `version`, unless a newer version has
 * already been written (the floor is higher): a reader holding a stale replica row stores nothing.
 * Returns whether it was stored.
 */
export async function storeIfCurrent(
  reservationId: string,
  version: number,
  value: string,
  ttlSeconds: number,
  /** The query service passes its own fail-fast client; default the shared one. */
  client?: Redis,
): Promise<boolean> {
  const redis = client ?? (await getRedisClient());
  const stored = await redis.eval(
    storeIfCurrentScript,
    2,
    keys.reservation(reservationId),
    keys.versionFloor(reservationId),
    version,
    value,
    ttlSeconds,
  );
  return stored === 1;
}

/**
 * The version floors of `reservationIds`, in order (0 where none is set): a row read below its
 * floor is older than what the workflow last wrote, i.e. the replica has not caught up yet.
 */
export async function readFloors(reservationIds: readonly string[], client?: Redis): Promise<number[]> {
  if (reservationIds.length === 0) return [];
  const redis = client ?? (await getRedisClient());
  const floors = await redis.mget(...reservationIds.map((id) => keys.versionFloor(id)));
  return floors.map((floor) => Number(floor ?? 0));
}
