import { randomUUID } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { closeRedisClient, getRedisClient } from "../../src/cache/redis-client.js";
import { floorTtlSeconds, keys, ReservationCache } from "../../src/reservation/query-cache.js";

afterAll(async () => {
  await closeRedisClient();
});

let target: { reservationId: string; customerId: string; driverId: string; version: number };
let neighbour: typeof target;

beforeEach(() => {
  target = { reservationId: randomUUID(), customerId: randomUUID(), driverId: randomUUID(), version: 2 };
  // Another customer's reservation with another driver: nothing of it may change.
  neighbour = { reservationId: randomUUID(), customerId: randomUUID(), driverId: randomUUID(), version: 1 };
});

/** Every key of `of` (and their values) that exists in Redis. */
async function snapshot(of: typeof target): Promise<Record<string, string | null>> {
  const redis = await getRedisClient();
  const names = [
    keys.reservation(of.reservationId),
    keys.versionFloor(of.reservationId),
    keys.customerListVersion(of.customerId),
    keys.driverListVersion(of.driverId),
    keys.customerListPage(of.customerId, 1, "first"),
  ];
  const values = await redis.mget(...names);
  return Object.fromEntries(names.map((name, i) => [name, values[i] ?? null]));
}

describe("ReservationCache.invalidate", () => {
  it("deletes the reservation's entry, bumps its customer's, driver's and availability list versions, and sets its floor", async () => {
    const redis = await getRedisClient();
    await ReservationCache.storeIfCurrent(target.reservationId, 1, '{"status":"PENDING"}', 60);
    await ReservationCache.storeIfCurrent(neighbour.reservationId, 1, '{"status":"PENDING"}', 60);
    await redis.set(keys.customerListPage(neighbour.customerId, 1, "first"), "[]", "EX", 60);
    const neighbourBefore = await snapshot(neighbour);
    const availabilityBefore = Number(await redis.get(keys.availabilityVersion()));

    await ReservationCache.invalidate(target);

    expect(await snapshot(target)).toEqual({
      [keys.reservation(target.reservationId)]: null,
      [keys.versionFloor(target.reservationId)]: "2",
      [keys.customerListVersion(target.customerId)]: "1",
      [keys.driverListVersion(target.driverId)]: "1",
      [keys.customerListPage(target.customerId, 1, "first")]: null,
    });
    // Other tests (and the demo) may bump availability too: it grows by at least this one.
    expect(Number(await redis.get(keys.availabilityVersion()))).toBeGreaterThan(availabilityBefore);
    expect(await snapshot(neighbour)).toEqual(neighbourBefore);
    const floorTtl = await redis.ttl(keys.versionFloor(target.reservationId));
    expect(floorTtl).toBeGreaterThan(floorTtlSeconds - 5);
    // List versions never expire: an evicted version could come back and revive old pages.
    expect(await redis.ttl(keys.customerListVersion(target.customerId))).toBe(-1);
  });

  it("is idempotent, and the floor only rises", async () => {
    const redis = await getRedisClient();
    await ReservationCache.invalidate({ ...target, version: 3 });
    await ReservationCache.invalidate({ ...target, version: 3 });
    expect(await redis.get(keys.versionFloor(target.reservationId))).toBe("3");
    // A late, older invalidation (a redrive of an earlier step) does not lower it.
    await ReservationCache.invalidate({ ...target, version: 2 });
    expect(await redis.get(keys.versionFloor(target.reservationId))).toBe("3");
    await ReservationCache.invalidate({ ...target, version: 4 });
    expect(await redis.get(keys.versionFloor(target.reservationId))).toBe("4");
    expect(await redis.get(keys.reservation(target.reservationId))).toBeNull();
  });
});

describe("ReservationCache.storeIfCurrent", () => {
  it("refuses a version older than the floor (a row from a lagging replica) and stores the current one", async () => {
    const redis = await getRedisClient();
    await ReservationCache.invalidate({ ...target, version: 3 });
    expect(await ReservationCache.storeIfCurrent(target.reservationId, 2, "old", 60)).toBe(false);
    expect(await redis.get(keys.reservation(target.reservationId))).toBeNull();
    expect(await ReservationCache.storeIfCurrent(target.reservationId, 3, "current", 60)).toBe(true);
    expect(await redis.get(keys.reservation(target.reservationId))).toBe("current");
    expect(await redis.ttl(keys.reservation(target.reservationId))).toBeGreaterThan(0);
  });
});
