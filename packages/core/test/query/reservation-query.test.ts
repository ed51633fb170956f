/**
 * The read side against real MariaDB (primary and replica) and Redis: cache hits and misses, the
 * workflow's invalidation, the cross-connection stampede guard, a Redis that dies, replica lag,
 * who sees what, and keyset pagination under concurrent inserts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeRedisClient, getRedisClient } from "../../src/cache/redis-client.js";
import { closePools } from "../../src/db/pools.js";
import { ForbiddenError, NotFoundError } from "../../src/errors.js";
import { keys, ReservationCache } from "../../src/reservation/query-cache.js";
import { Reservation } from "../../src/reservation/reservation.js";
import { whenUsable } from "../../src/query/cache-client.js";
import { ListReservationsQuery } from "../../src/query/schema.js";
import { readerDatabase, type Viewer } from "../../src/query/reservation-query.js";
import type { RowDataPacket } from "mysql2/promise";
import { migrateTestDatabase, waitForReplica } from "../support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, validRequest, windowAt } from "../support/reservations.js";
import { countingDatabase, pauseReplication, queryService, resumeReplication, startThrowawayRedis, type CountingDatabase } from "./support.js";

let database: CountingDatabase;
let service: ReturnType<typeof queryService>;
const extraClients: { redis: { disconnect(): void } }[] = [];
let customerId: string;
let otherCustomerId: string;
let driverId: string;
let otherDriverId: string;
let hour = 0;

const customer = (): Viewer => ({ userId: customerId, role: "customer" });
const operator: Viewer = { userId: "a0000000-0000-4000-8000-000000000001", role: "operator" };

beforeAll(async () => {
  await migrateTestDatabase();
  customerId = await createTestCustomer();
  otherCustomerId = await createTestCustomer();
  driverId = await createTestDriver();
  otherDriverId = await createTestDriver();
});

beforeEach(() => {
  database = countingDatabase();
  service = queryService(database);
});

afterEach(() => {
  service.redis.disconnect();
  for (const client of extraClients.splice(0)) client.redis.disconnect();
});

afterAll(async () => {
  await removeTestPeople();
  await closePools();
  await closeRedisClient();
});

/** A PENDING reservation as POST /reservations writes it (on the primary), in a window of its own. */
async function accept(by = customerId, driver = driverId): Promise<string> {
  const reservationId = Reservation.randomReservationId();
  await Reservation.accept(by, validRequest(driver, { window: windowAt((hour += 3)) }), { reservationId });
  return reservationId;
}

/** What the workflow does: PersistReservation, then InvalidateCache after its last write. */
async function decide(reservationId: string) {
  const view = await Reservation.persist(reservationId);
  await ReservationCache.invalidate(view);
  return view;
}

const listQuery = (query: Record<string, string> = {}) => ListReservationsQuery.parse(query);

describe("GET one reservation through the cache", () => {
  it("misses, then hits, and the entry has a TTL", async () => {
    const id = await accept();
    await waitForReplica();
    const first = await service.queries.getReservation(customer(), id);
    expect(first.cache).toBe("miss");
    expect(first.value).toMatchObject({ reservationId: id, status: "PENDING", customerId, driverId, version: 1 });
    expect(first.value.workflow).toEqual({ phase: "deciding", settled: false, since: first.value.statusChangedAt, executionName: id });
    expect(database.reads).toEqual({ replica: 1, primary: 0 });

    const second = await service.queries.getReservation(customer(), id);
    expect(second).toEqual({ value: first.value, cache: "hit" });
    expect(database.reads).toEqual({ replica: 1, primary: 0 });
    const ttl = await service.redis.ttl(keys.reservation(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it("shows the new state after the workflow's write and invalidation", async () => {
    const id = await accept();
    await waitForReplica();
    await service.queries.getReservation(customer(), id);
    expect((await service.queries.getReservation(customer(), id)).cache).toBe("hit");

    await decide(id);
    await waitForReplica();
    const after = await service.queries.getReservation(customer(), id);
    expect(after.cache).toBe("miss");
    expect(after.value).toMatchObject({ status: "CONFIRMED", version: 2, workflow: { phase: "confirmed", settled: true } });
    expect((await service.queries.getReservation(customer(), id)).value.status).toBe("CONFIRMED");
  });

  it("drops every page of the customer's list on invalidation", async () => {
    const id = await accept();
    await waitForReplica();
    const before = await service.queries.listReservations(customer(), listQuery());
    expect(before.cache).toBe("miss");
    expect((await service.queries.listReservations(customer(), listQuery())).cache).toBe("hit");
    const versionKey = keys.customerListVersion(customerId);
    const version = Number((await service.redis.get(versionKey)) ?? 0);
    const pageKeys = await service.redis.keys(`${keys.customerListPage(customerId, version, "")}*`);
    expect(pageKeys.length).toBeGreaterThan(0);
    expect(await service.redis.ttl(pageKeys[0]!)).toBeGreaterThan(0);

    await decide(id);
    await waitForReplica();
    const after = await service.queries.listReservations(customer(), listQuery());
    expect(after.cache).toBe("miss");
    expect(after.value.items.find((item) => item.reservationId === id)?.status).toBe("CONFIRMED");
  });

  it("lets N concurrent misses on separate Redis connections read the database once", async () => {
    const id = await accept();
    await waitForReplica();
    database.delayMs = 40;
    const processes = Array.from({ length: 20 }, () => queryService(database));
    extraClients.push(...processes);
    // Connected first: a cold client's wait for its connection is not what is measured here.
    await Promise.all(processes.map((process) => whenUsable(process.redis)));

    const answers = await Promise.all(processes.map((process) => process.queries.getReservation(customer(), id)));
    expect(database.reads).toEqual({ replica: 1, primary: 0 });
    expect(answers.filter((answer) => answer.cache === "miss")).toHaveLength(1);
    expect(answers.filter((answer) => answer.cache === "hit")).toHaveLength(19);
    expect(new Set(answers.map((answer) => answer.value.version))).toEqual(new Set([1]));

    // The same for a list page.
    database.reset();
    await decide(id);
    await waitForReplica();
    const pages = await Promise.all(processes.map((process) => process.queries.listReservations(customer(), listQuery())));
    // One list query (the floors are read from Redis); no second reader.
    expect(database.reads).toEqual({ replica: 1, primary: 0 });
    expect(pages.filter((page) => page.cache === "miss")).toHaveLength(1);
  });

  it("answers from the database, marked bypass, when Redis stops mid-test", async () => {
    const redis = await startThrowawayRedis();
    const own = queryService(database, { url: redis.url });
    extraClients.push(own);
    try {
      const id = await accept();
      await waitForReplica();
      expect((await own.queries.getReservation(customer(), id)).cache).toBe("miss");
      expect((await own.queries.getReservation(customer(), id)).cache).toBe("hit");

      await redis.stop();
      const down = await own.queries.getReservation(customer(), id);
      expect(down.cache).toBe("bypass");
      expect(down.value).toMatchObject({ reservationId: id, status: "PENDING" });
      const list = await own.queries.listReservations(customer(), listQuery());
      expect(list.cache).toBe("bypass");
      expect(list.value.items.map((item) => item.reservationId)).toContain(id);
      await expect(own.queries.getReservation(customer(), "00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
      expect(own.warnings.some((warning) => warning.includes("bypassed"))).toBe(true);
    } finally {
      await redis.stop();
    }
  });

  it("answers quickly when Redis does not answer at all (paused)", async () => {
    const redis = await startThrowawayRedis();
    const own = queryService(database, { url: redis.url });
    extraClients.push(own);
    const pauser = queryService(database, { url: redis.url });
    extraClients.push(pauser);
    try {
      const id = await accept();
      await waitForReplica();
      await whenUsable(own.redis);
      await whenUsable(pauser.redis);
      // CLIENT PAUSE holds every other client's commands: Redis is up but silent.
      await pauser.redis.call("CLIENT", "PAUSE", "2000", "ALL");
      const started = Date.now();
      const slow = await own.queries.getReservation(customer(), id);
      expect(slow.cache).toBe("bypass");
      expect(slow.value.reservationId).toBe(id);
      // The command timeout (100 ms), not Redis, bounds the wait. Generous: this is no timing test.
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await redis.stop();
    }
  });
});

describe("reader pools", () => {
  it("log in as the read-only user on the replica and on the primary", async () => {
    for (const pool of [await readerDatabase.replica(), await readerDatabase.primary()]) {
      const [[row]] = await pool.query<RowDataPacket[]>("SELECT CURRENT_USER() AS user, @@port AS port");
      expect(String(row!.user)).toMatch(/^haul_reader@/);
    }
    const [[replica]] = await (await readerDatabase.replica()).query<RowDataPacket[]>("SELECT @@port AS port");
    const [[primary]] = await (await readerDatabase.primary()).query<RowDataPacket[]>("SELECT @@port AS port");
    expect(replica!.port).not.toBe(primary!.port);
  });
});

describe("replica lag", () => {
  afterEach(async () => {
    // Always: a stopped SQL thread would break every later test.
    await resumeReplication();
    await waitForReplica();
  });

  it("finds a reservation the replica has not applied yet on the primary", async () => {
    await pauseReplication();
    const id = await accept();
    const found = await service.queries.getReservation(customer(), id);
    expect(found.value).toMatchObject({ reservationId: id, status: "PENDING" });
    expect(database.reads).toEqual({ replica: 1, primary: 1 });
    // Nothing is negative-cached, and the primary's row is cached.
    expect((await service.queries.getReservation(customer(), id)).cache).toBe("hit");
  });

  it("never shows or caches a version older than the one invalidated", async () => {
    const id = await accept();
    await waitForReplica();
    await pauseReplication();
    await decide(id); // CONFIRMED v2 on the primary only; the floor is 2

    const read = await service.queries.getReservation(customer(), id);
    expect(read.value).toMatchObject({ status: "CONFIRMED", version: 2 });
    expect(database.reads.primary).toBe(1);
    expect(JSON.parse((await service.redis.get(keys.reservation(id)))!)).toMatchObject({ version: 2 });

    const list = await service.queries.listReservations(customer(), listQuery());
    expect(list.value.items.find((item) => item.reservationId === id)).toMatchObject({ status: "CONFIRMED", version: 2 });
  });
});

describe("visibility", () => {
  it("hides another customer's reservation as not found, shows a driver only theirs, an operator all", async () => {
    const mine = await accept();
    const theirs = await accept(otherCustomerId, otherDriverId);
    await waitForReplica();

    await expect(service.queries.getReservation(customer(), theirs)).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.queries.getReservation(customer(), "not-a-uuid")).rejects.toBeInstanceOf(NotFoundError);
    // Cached now by the other customer's read: still not found for this one.
    await service.queries.getReservation({ userId: otherCustomerId, role: "customer" }, theirs);
    await expect(service.queries.getReservation(customer(), theirs)).rejects.toBeInstanceOf(NotFoundError);

    const driver: Viewer = { userId: driverId, role: "driver" };
    expect((await service.queries.getReservation(driver, mine)).value.reservationId).toBe(mine);
    await expect(service.queries.getReservation(driver, theirs)).rejects.toBeInstanceOf(NotFoundError);
    expect((await service.queries.getReservation(operator, theirs)).value.reservationId).toBe(theirs);

    const myList = await service.queries.listReservations(customer(), listQuery({ limit: "100" }));
    expect(myList.value.items.every((item) => item.customerId === customerId)).toBe(true);
    const driverList = await service.queries.listReservations(driver, listQuery({ limit: "100" }));
    expect(driverList.value.items.every((item) => item.driverId === driverId)).toBe(true);
    expect(driverList.value.items.map((item) => item.reservationId)).toContain(mine);

    expect((await service.queries.listDriverReservations(driver, driverId, listQuery())).value.items.map((i) => i.reservationId)).toContain(mine);
    await expect(service.queries.listDriverReservations(driver, otherDriverId, listQuery())).rejects.toBeInstanceOf(ForbiddenError);
    await expect(service.queries.listDriverReservations(customer(), driverId, listQuery())).rejects.toBeInstanceOf(ForbiddenError);
    expect((await service.queries.listDriverReservations(operator, otherDriverId, listQuery())).value.items.map((i) => i.reservationId)).toEqual([theirs]);
    await expect(service.queries.listDriverReservations(operator, customerId, listQuery())).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("pagination", () => {
  it("is stable under inserts before and after the cursor: no duplicates, no gaps", async () => {
    const pager = await createTestCustomer();
    const viewer: Viewer = { userId: pager, role: "customer" };
    const base = (hour += 100);
    const insertAt = async (offsetHours: number) => {
      const id = Reservation.randomReservationId();
      await Reservation.accept(pager, validRequest(driverId, { window: windowAt(base + offsetHours, 1) }), { reservationId: id });
      return id;
    };
    const original: string[] = [];
    for (let i = 0; i < 7; i++) original.push(await insertAt(i * 10));
    // Two with the same start: the id breaks the tie.
    original.push(await insertAt(30));
    await waitForReplica();

    const first = await service.queries.listReservations(viewer, listQuery({ limit: "3" }));
    expect(first.value.items).toHaveLength(3);
    expect(first.value.nextCursor).toEqual(expect.any(String));

    // Before the cursor (sorts first) and after it (must show up later, once).
    const before = await insertAt(-5);
    const after = await insertAt(55);
    await waitForReplica();

    const seen = first.value.items.map((item) => item.reservationId);
    let cursor = first.value.nextCursor;
    while (cursor) {
      const page = await service.queries.listReservations(viewer, listQuery({ limit: "3", cursor }));
      seen.push(...page.value.items.map((item) => item.reservationId));
      cursor = page.value.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(original));
    expect(seen).toContain(after);
    expect(seen).not.toContain(before);
    expect(seen).toHaveLength(original.length + 1);

    // Sorted by pickup time, then id.
    const all = await service.queries.listReservations(viewer, listQuery({ limit: "100" }));
    const order = all.value.items.map((item) => [item.window.start, item.reservationId].join(" "));
    expect(order).toEqual([...order].sort());
    expect(all.value.nextCursor).toBeNull();
  });

  it("filters by status and pickup time", async () => {
    const a = await accept();
    const b = await accept();
    await decide(b);
    await waitForReplica();
    const confirmed = await service.queries.listReservations(customer(), listQuery({ status: "CONFIRMED", limit: "100" }));
    expect(confirmed.value.items.map((i) => i.reservationId)).toContain(b);
    expect(confirmed.value.items.map((i) => i.reservationId)).not.toContain(a);
    const { window } = (await service.queries.getReservation(customer(), a)).value;
    const ranged = await service.queries.listReservations(customer(), listQuery({ from: window.start, to: new Date(Date.parse(window.start) + 1).toISOString() }));
    expect(ranged.value.items.map((i) => i.reservationId)).toEqual([a]);
  });
});

describe("available drivers", () => {
  it("lists drivers with a truck and no PENDING or CONFIRMED reservation overlapping [from, to)", async () => {
    const id = await accept();
    await waitForReplica();
    const { window } = (await service.queries.getReservation(customer(), id)).value;
    const during = await service.queries.listAvailableDrivers({ from: window.start, to: window.end });
    expect(during.value.drivers.map((d) => d.driverId)).not.toContain(driverId);
    expect(during.value.drivers.map((d) => d.driverId)).toContain(otherDriverId);
    // Touching windows do not overlap.
    const afterwards = await service.queries.listAvailableDrivers({ from: window.end, to: new Date(Date.parse(window.end) + 3_600_000).toISOString() });
    expect(afterwards.value.drivers.map((d) => d.driverId)).toContain(driverId);
    expect((await service.queries.listAvailableDrivers({ from: window.start, to: window.end })).cache).toBe("hit");
    // A driver without a truck is never available.
    const truckless = await createTestDriver(null);
    await waitForReplica();
    await (await getRedisClient()).incr(keys.availabilityVersion());
    const again = await service.queries.listAvailableDrivers({ from: window.start, to: window.end });
    expect(again.value.drivers.map((d) => d.driverId)).not.toContain(truckless);
  });
});

describe("pickup and delivery", () => {
  it("show IN_TRANSIT with pickedUpAt, filter by it, keep the driver unavailable, then show the delivery", async () => {
    const id = await accept();
    const decided = await decide(id);
    const pickedUpAt = new Date(Date.parse(decided.window.start) - 30 * 60_000);
    await ReservationCache.invalidate(await Reservation.pickUp(id, driverId, pickedUpAt));
    await waitForReplica();

    const inTransit = (await service.queries.getReservation(customer(), id)).value;
    expect(inTransit).toMatchObject({
      status: "IN_TRANSIT",
      pickedUpAt: pickedUpAt.toISOString(),
      deliveredAt: null,
      workflow: { phase: "in-transit", settled: true, since: pickedUpAt.toISOString(), executionName: `${id}-pickup` },
    });
    const listed = await service.queries.listReservations(customer(), listQuery({ status: "in_transit", limit: "100" }));
    expect(listed.value.items.map((item) => item.reservationId)).toEqual([id]);
    const busy = await service.queries.listAvailableDrivers({ from: decided.window.start, to: decided.window.end });
    expect(busy.value.drivers.map((d) => d.driverId)).not.toContain(driverId);

    const deliveredAt = new Date(pickedUpAt.getTime() + 90 * 60_000);
    await ReservationCache.invalidate(await Reservation.deliver(id, driverId, deliveredAt));
    await waitForReplica();
    expect((await service.queries.getReservation(customer(), id)).value).toMatchObject({
      status: "COMPLETED",
      pickedUpAt: pickedUpAt.toISOString(),
      deliveredAt: deliveredAt.toISOString(),
      workflow: { phase: "completed", executionName: `${id}-complete` },
    });
    const free = await service.queries.listAvailableDrivers({ from: decided.window.start, to: decided.window.end });
    expect(free.value.drivers.map((d) => d.driverId)).toContain(driverId);
  });
});
