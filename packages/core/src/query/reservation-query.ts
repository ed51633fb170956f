/**
 * The read side of reservations: one reservation, a caller's list, a driver's list, and the
 * drivers free in a window. Reads go to the read replica, as the read-only user, through the
 * Redis cache (cache-aside.ts); each answer says whether the cache served it.
 *
 * Visibility: a customer sees their own reservations, a driver those assigned to them, an operator
 * all. Anyone else's reservation is NotFound (404), exactly like an unknown id, so its existence
 * does not leak. A driver's list is for that driver (another driver is Forbidden: the answer does
 * not depend on whether the id exists) or an operator (an unknown driver is NotFound).
 *
 * Replica lag (the replica may be a moment behind the primary):
 *  - One reservation: a miss on the replica is always asked again of the primary (as the read-only
 *    user). Ids are random UUIDs, so "recent" cannot be told from the id; a miss is rare (an id
 *    just accepted, or one that does not exist) and one primary-key lookup is cheap. A row below
 *    its version floor (the workflow has written a newer version: see ReservationCache) is read
 *    again from the primary too, so once invalidated an older version is neither shown nor cached.
 *    Nothing is negative-cached: a 404 is never remembered.
 *  - Lists and availability read the replica and may lag by the replica's delay. A list page
 *    holding a reservation below its floor is read again from the primary; a reservation created
 *    within the replica's delay may be missing from a page cached then, for at most the page TTL.
 *  - When the cache is bypassed (Redis down or slow) floors are unknown: answers come from the
 *    replica (primary on a miss for one reservation).
 *
 * "The replica" above means the router's choice (replica-router.ts): the primary, as the same
 * read-only user, while the replica is down or lags beyond its bound.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { ForbiddenError, NotFoundError } from "../errors.js";
import { ReservationCache, keys } from "../reservation/query-cache.js";
import type { ReservationRecord } from "../reservation/reservation.js";
import type { Role } from "../user.js";
import { defaultLeaseSettings, readThrough, type CacheAccess, type CacheAsideLog, type Cached, type CacheOutcome, type LeaseSettings, type ReadOptions } from "./cache-aside.js";
import { getQueryCacheClient } from "./cache-client.js";
import { encodeCursor } from "./cursor.js";
import { findAvailableDrivers, findReservation, isDriver, listReservations, type ListScope } from "./reader-store.js";
import { createReplicaRouter, readerDatabase, type ReaderDatabase, type ReplicaRouter } from "./replica-router.js";
import {
  defaultPageSize,
  listFingerprint,
  type AvailabilityQuery,
  type AvailableDrivers,
  type ListReservationsQuery,
  type ReservationPage,
  type ReservationView,
  type WorkflowProgress,
} from "./schema.js";

export * as ReservationQuery from "./reservation-query.js";
export type { Cached, CacheOutcome, ReaderDatabase };
export { readerDatabase };

/** Who asks: the token's subject and role. */
export interface Viewer {
  readonly userId: string;
  readonly role: Role;
}

/** How long entries live; invalidation usually drops them sooner. */
export interface CacheTtls {
  readonly reservationSeconds: number;
  readonly listPageSeconds: number;
  readonly availabilitySeconds: number;
}

export const defaultTtls: CacheTtls = { reservationSeconds: 300, listPageSeconds: 60, availabilitySeconds: 30 };

export interface ReservationQueriesOptions {
  readonly database?: ReaderDatabase;
  /** Chooses replica or primary for the replica's reads; default one over `database`, its lag measured on the shared reader pools. */
  readonly router?: ReplicaRouter;
  /** The cache client; default the process's fail-fast query cache client. */
  readonly cache?: () => Promise<Redis>;
  /** Where cache bypasses are reported (the handlers pass their logger). */
  readonly log?: CacheAsideLog;
  readonly lease?: Partial<LeaseSettings>;
  readonly ttls?: Partial<CacheTtls>;
}

export interface ReservationQueries {
  getReservation(viewer: Viewer, reservationId: string, options?: ReadOptions): Promise<Cached<ReservationView>>;
  listReservations(viewer: Viewer, query: ListReservationsQuery, options?: ReadOptions): Promise<Cached<ReservationPage>>;
  listDriverReservations(viewer: Viewer, driverId: string, query: ListReservationsQuery, options?: ReadOptions): Promise<Cached<ReservationPage>>;
  listAvailableDrivers(query: AvailabilityQuery, options?: ReadOptions): Promise<Cached<AvailableDrivers>>;
}

const silent: CacheAsideLog = { warn: () => undefined };

export function createReservationQueries(options: ReservationQueriesOptions = {}): ReservationQueries {
  const database = options.database ?? readerDatabase;
  const router = options.router ?? createReplicaRouter({ database, replication: readerDatabase });
  const ttls = { ...defaultTtls, ...options.ttls };
  const context = {
    redis: options.cache ?? getQueryCacheClient,
    log: options.log ?? silent,
    lease: { ...defaultLeaseSettings, ...options.lease },
  };

  async function fillReservation(id: string, cache: CacheAccess | undefined): Promise<ReservationRecord | null> {
    const fromReplica = await router.read((pool) => findReservation(pool, id));
    // The replica-lag rule: a replica miss is asked again of the primary.
    let row = fromReplica ?? (await findReservation(await database.primary(), id));
    if (!row || !cache) return row ?? null;
    const stored = await cache.attempt((redis) => storeReservation(row!, redis), null);
    if (stored === false && fromReplica) {
      // Below the floor: the replica has not applied the workflow's latest write yet.
      row = (await findReservation(await database.primary(), id)) ?? row;
      await cache.attempt((redis) => storeReservation(row!, redis), null);
    }
    return row;
  }

  function storeReservation(row: ReservationRecord, redis: Redis): Promise<boolean> {
    return ReservationCache.storeIfCurrent(row.id, row.version, JSON.stringify(row), ttls.reservationSeconds, redis);
  }

  async function getReservation(viewer: Viewer, reservationId: string, options?: ReadOptions): Promise<Cached<ReservationView>> {
    const id = reservationId.toLowerCase();
    const notFound = () => new NotFoundError(`You have no reservation ${id}.`);
    if (!z.uuid().safeParse(id).success) throw notFound();
    const found = await readThrough<ReservationRecord | null>(context, {
      key: keys.reservation(id),
      label: `reservation ${id}`,
      decode: (text) => JSON.parse(text) as ReservationRecord,
      fill: (cache) => fillReservation(id, cache),
    }, options);
    // Visibility is checked after the cache: one entry serves the customer, the driver and operators.
    if (!found.value || !canSee(viewer, found.value)) throw notFound();
    return { value: toView(found.value), cache: found.cache };
  }

  async function readPage(scope: ListScope, query: ListReservationsQuery, options?: ReadOptions): Promise<Cached<ReservationPage>> {
    const limit = query.limit ?? defaultPageSize;
    const slice = {
      ...(query.status ? { statuses: query.status } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      ...(query.cursor ? { after: { start: query.cursor.start, id: query.cursor.id } } : {}),
      // One more than shown: whether a next page exists, without counting.
      limit: limit + 1,
    };
    const fingerprint = listFingerprint(query);
    const pageId = digest([query.status ?? null, query.from ?? null, query.to ?? null, slice.after ?? null, limit]);
    const toPage = (rows: readonly ReservationRecord[]): ReservationPage => {
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toView),
        nextCursor: rows.length > limit && last ? encodeCursor({ start: last.window.start, id: last.id, filterFingerprint: fingerprint }) : null,
      };
    };
    return readThrough<ReservationPage>(context, {
      // The version is read BEFORE the database: a page stored under it after an invalidation
      // bumped it is under a key nobody builds any more.
      key: async (redis) => pageKey(scope, Number((await redis.get(listVersionKey(scope))) ?? 0), pageId),
      label: `reservations of ${scopeLabel(scope)}`,
      decode: (text) => JSON.parse(text) as ReservationPage,
      fill: async (cache) => {
        let rows = await router.read((pool) => listReservations(pool, scope, slice));
        if (!cache) return toPage(rows);
        const floors = await cache.attempt((redis) => ReservationCache.readFloors(rows.map((row) => row.id), redis), null);
        if (floors && rows.some((row, i) => row.version < (floors[i] ?? 0))) {
          // Some row is older than what the workflow wrote since: this page is read from the primary.
          rows = await listReservations(await database.primary(), scope, slice);
        }
        const page = toPage(rows);
        await cache.attempt((redis) => redis.set(cache.key, JSON.stringify(page), "EX", ttls.listPageSeconds), null);
        return page;
      },
    }, options);
  }

  async function listReservationsOf(viewer: Viewer, query: ListReservationsQuery, options?: ReadOptions): Promise<Cached<ReservationPage>> {
    return readPage(ownScope(viewer), query, options);
  }

  async function listDriverReservations(viewer: Viewer, driverId: string, query: ListReservationsQuery, options?: ReadOptions): Promise<Cached<ReservationPage>> {
    const id = driverId.toLowerCase();
    if (viewer.role === "customer") throw new ForbiddenError("A driver's reservations are for that driver and operators.");
    if (viewer.role === "driver" && viewer.userId.toLowerCase() !== id)
      throw new ForbiddenError("Drivers see their own reservations only.");
    if (!z.uuid().safeParse(id).success) throw new NotFoundError(`There is no driver ${id}.`);
    const page = await readPage({ kind: "driver", driverId: id }, query, options);
    // Only an empty page can belong to an unknown id: ask then, not on every read.
    if (viewer.role === "operator" && page.value.items.length === 0 && !query.cursor && !(await router.read((pool) => isDriver(pool, id))))
      throw new NotFoundError(`There is no driver ${id}.`);
    return page;
  }

  async function listAvailableDrivers(query: AvailabilityQuery, options?: ReadOptions): Promise<Cached<AvailableDrivers>> {
    const windowId = digest([query.from, query.to]);
    return readThrough<AvailableDrivers>(context, {
      // Every invalidation bumps this version: any reservation change may change availability.
      key: async (redis) => keys.availabilityPage(Number((await redis.get(keys.availabilityVersion())) ?? 0), windowId),
      label: `available drivers [${query.from}, ${query.to})`,
      decode: (text) => JSON.parse(text) as AvailableDrivers,
      fill: async (cache) => {
        const drivers = await router.read((pool) => findAvailableDrivers(pool, query.from, query.to));
        const answer = { from: query.from, to: query.to, drivers };
        await cache?.attempt((redis) => redis.set(cache.key, JSON.stringify(answer), "EX", ttls.availabilitySeconds), null);
        return answer;
      },
    }, options);
  }

  return { getReservation, listReservations: listReservationsOf, listDriverReservations, listAvailableDrivers };
}

function canSee(viewer: Viewer, reservation: ReservationRecord): boolean {
  const me = viewer.userId.toLowerCase();
  if (viewer.role === "operator") return true;
  if (viewer.role === "driver") return reservation.driverId === me;
  return reservation.customerId === me;
}

function ownScope(viewer: Viewer): ListScope {
  const me = viewer.userId.toLowerCase();
  if (viewer.role === "customer") return { kind: "customer", customerId: me };
  if (viewer.role === "driver") return { kind: "driver", driverId: me };
  return { kind: "all" };
}

function listVersionKey(scope: ListScope): string {
  if (scope.kind === "customer") return keys.customerListVersion(scope.customerId);
  if (scope.kind === "driver") return keys.driverListVersion(scope.driverId);
  // Every invalidation bumps the availability version: the one version that covers all reservations.
  return keys.availabilityVersion();
}

function pageKey(scope: ListScope, version: number, pageId: string): string {
  if (scope.kind === "customer") return keys.customerListPage(scope.customerId, version, pageId);
  if (scope.kind === "driver") return keys.driverListPage(scope.driverId, version, pageId);
  return keys.allListPage(version, pageId);
}

function scopeLabel(scope: ListScope): string {
  return scope.kind === "customer" ? `customer ${scope.customerId}` : scope.kind === "driver" ? `driver ${scope.driverId}` : "everyone";
}

function digest(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 22);
}

/** The reservation as the query service answers it. */
export function toView(reservation: ReservationRecord): ReservationView {
  return {
    reservationId: reservation.id,
    customerId: reservation.customerId,
    driverId: reservation.driverId,
    status: reservation.status,
    statusReason: reservation.statusReason,
    statusChangedAt: reservation.statusChangedAt,
    // `?? null`: entries cached before these fields existed lack them.
    pickedUpAt: reservation.pickedUpAt ?? null,
    deliveredAt: reservation.deliveredAt ?? null,
    pickup: reservation.pickup,
    dropoff: reservation.dropoff,
    window: reservation.window,
    cargo: reservation.cargo,
    version: reservation.version,
    createdAt: reservation.createdAt,
    updatedAt: reservation.updatedAt,
    workflow: progressOf(reservation),
  };
}

const phases: Readonly<Record<ReservationRecord["status"], WorkflowProgress["phase"]>> = {
  PENDING: "deciding",
  CONFIRMED: "confirmed",
  IN_TRANSIT: "in-transit",
  REJECTED: "rejected",
  CANCELLED: "cancelled",
  FAILED: "failed",
  COMPLETED: "completed",
};

/** The execution that carried out each command after the decision; the decision's is named by the id alone. */
const commandExecutions: Partial<Record<ReservationRecord["status"], string>> = {
  CANCELLED: "cancel",
  IN_TRANSIT: "pickup",
  COMPLETED: "complete",
};

/** See WorkflowProgress. Executions are named by the reservation id, or `<id>-<command>` (cancel, pickup, complete). */
export function progressOf(reservation: ReservationRecord): WorkflowProgress {
  const command = commandExecutions[reservation.status];
  return {
    phase: phases[reservation.status],
    settled: reservation.status !== "PENDING",
    since: reservation.statusChangedAt,
    executionName: command ? `${reservation.id}-${command}` : reservation.id,
  };
}
