/**
 * The QueryApi handlers as API Gateway invokes them (v2 events with JWT claims), on real MariaDB
 * and Redis: the x-cache header, 404 for what the caller may not see, 400 naming the field at
 * fault, and answers from the database when Redis dies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { closeQueryCacheClient } from "@haul/core/query/cache-client";
import { Reservation } from "@haul/core/reservation/reservation";
import { ReservationCache } from "@haul/core/reservation/query-cache";
import { migrateTestDatabase, waitForReplica } from "../../../core/test/support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, validRequest, windowAt } from "../../../core/test/support/reservations.js";
import { startThrowawayRedis } from "../../../core/test/query/support.js";
import { handler as getReservation } from "../../src/query/get-reservation.js";
import { handler as listAvailableDrivers } from "../../src/query/list-available-drivers.js";
import { handler as listDriverReservations } from "../../src/query/list-driver-reservations.js";
import { handler as listReservations } from "../../src/query/list-reservations.js";
import { callQueryHandler, type QueryHandler } from "./support.js";

let customer: { userId: string; role: string };
let other: { userId: string; role: string };
let driverId: string;
let reservationId: string;
const operator = { userId: "a0000000-0000-4000-8000-000000000001", role: "operator" };
let hour = 500;

async function accept(customerId: string): Promise<string> {
  const id = Reservation.randomReservationId();
  await Reservation.accept(customerId, validRequest(driverId, { window: windowAt((hour += 3)) }), { reservationId: id });
  return id;
}

beforeAll(async () => {
  await migrateTestDatabase();
  customer = { userId: await createTestCustomer(), role: "customer" };
  other = { userId: await createTestCustomer(), role: "customer" };
  driverId = await createTestDriver();
  reservationId = await accept(customer.userId);
  await waitForReplica();
});

afterAll(async () => {
  await removeTestPeople();
  await closeQueryCacheClient();
  await closePools();
  await closeRedisClient();
});

describe("GET /reservations/{id}", () => {
  it("answers miss, then hit, in x-cache", async () => {
    const first = await callQueryHandler(getReservation, { caller: customer, path: { id: reservationId } });
    expect(first.status).toBe(200);
    expect(first.headers["x-cache"]).toBe("miss");
    expect(first.json).toMatchObject({ reservationId, status: "PENDING", workflow: { phase: "deciding", settled: false } });
    const second = await callQueryHandler(getReservation, { caller: customer, path: { id: reservationId } });
    expect(second.headers["x-cache"]).toBe("hit");
    expect(second.json).toEqual(first.json);
  });

  it("answers from the database, neither reading nor filling the cache, on Cache-Control: no-cache", async () => {
    const id = await accept(customer.userId);
    await waitForReplica();
    const fresh = await callQueryHandler(getReservation, { caller: customer, path: { id }, headers: { "cache-control": "no-cache" } });
    expect(fresh.status).toBe(200);
    expect(fresh.headers["x-cache"]).toBe("bypass");
    // Nothing was stored: the next ordinary read is a miss, and the one after it a hit.
    expect((await callQueryHandler(getReservation, { caller: customer, path: { id } })).headers["x-cache"]).toBe("miss");
    expect((await callQueryHandler(getReservation, { caller: customer, path: { id } })).headers["x-cache"]).toBe("hit");
    const again = await callQueryHandler(getReservation, { caller: customer, path: { id }, headers: { "cache-control": "max-age=0, no-cache" } });
    expect(again.headers["x-cache"]).toBe("bypass");
    const list = await callQueryHandler(listReservations, { caller: customer, headers: { "cache-control": "no-cache" } });
    expect(list.headers["x-cache"]).toBe("bypass");
  });

  it("shows the workflow's decision once it invalidated the cache", async () => {
    const id = await accept(customer.userId);
    await waitForReplica();
    expect((await callQueryHandler(getReservation, { caller: customer, path: { id } })).json.status).toBe("PENDING");
    await ReservationCache.invalidate(await Reservation.persist(id));
    await waitForReplica();
    const after = await callQueryHandler(getReservation, { caller: customer, path: { id } });
    expect(after.headers["x-cache"]).toBe("miss");
    expect(after.json).toMatchObject({ status: "CONFIRMED", workflow: { phase: "confirmed", settled: true } });
  });

  it("is 404 for another customer's reservation and for unknown ids, as problem+json", async () => {
    for (const reply of [
      await callQueryHandler(getReservation, { caller: other, path: { id: reservationId } }),
      await callQueryHandler(getReservation, { caller: customer, path: { id: "00000000-0000-4000-8000-000000000000" } }),
    ]) {
      expect(reply.status).toBe(404);
      expect(reply.headers["content-type"]).toBe("application/problem+json");
    }
    expect((await callQueryHandler(getReservation, { caller: operator, path: { id: reservationId } })).status).toBe(200);
  });

  it("is 400 naming path.id for an id that is no UUID", async () => {
    const reply = await callQueryHandler(getReservation, { caller: customer, path: { id: "42" } });
    expect(reply.status).toBe(400);
    expect(reply.json["invalid-params"].map((p: { name: string }) => p.name)).toEqual(["path.id"]);
  });
});

describe("GET /reservations", () => {
  it("pages with an opaque cursor", async () => {
    await accept(customer.userId);
    await waitForReplica();
    const first = await callQueryHandler(listReservations, { caller: customer, query: { limit: "1" } });
    expect(first.status).toBe(200);
    expect(["miss", "hit"]).toContain(first.headers["x-cache"]);
    expect(first.json.items).toHaveLength(1);
    const second = await callQueryHandler(listReservations, { caller: customer, query: { limit: "1", cursor: first.json.nextCursor } });
    expect(second.status).toBe(200);
    expect(second.json.items[0].reservationId).not.toBe(first.json.items[0].reservationId);
  });

  it.each([
    [{ cursor: "not-a-cursor" }, "query.cursor"],
    [{ cursor: Buffer.from('[1,"2030-01-01T00:00:00.000Z","x","y"]').toString("base64url") }, "query.cursor"],
    [{ limit: "0" }, "query.limit"],
    [{ limit: "101" }, "query.limit"],
    [{ limit: "ten" }, "query.limit"],
    [{ status: "CONFIRMED,LOST" }, "query.status"],
    [{ from: "2030-01-02T00:00:00Z", to: "2030-01-01T00:00:00Z" }, "query.to"],
    [{ from: "yesterday" }, "query.from"],
    [{ page: "2" }, "query.page"],
  ])("is 400 for %j, naming %s", async (query, field) => {
    const reply = await callQueryHandler(listReservations, { caller: customer, query });
    expect(reply.status).toBe(400);
    expect(reply.headers["content-type"]).toBe("application/problem+json");
    expect(reply.json["invalid-params"].map((p: { name: string }) => p.name)).toEqual([field]);
  });

  it("refuses a cursor made under other filters", async () => {
    await accept(customer.userId);
    await waitForReplica();
    const first = await callQueryHandler(listReservations, { caller: customer, query: { limit: "1" } });
    const reply = await callQueryHandler(listReservations, { caller: customer, query: { limit: "1", status: "PENDING", cursor: first.json.nextCursor } });
    expect(reply.status).toBe(400);
    expect(reply.json["invalid-params"]).toEqual([{ name: "query.cursor", reason: expect.stringContaining("other filters") }]);
  });
});

describe("GET /drivers/{id}/reservations and /drivers/available", () => {
  it("serves the driver and operators, refuses customers and other drivers", async () => {
    const driver = { userId: driverId, role: "driver" };
    const own = await callQueryHandler(listDriverReservations, { caller: driver, path: { id: driverId } });
    expect(own.status).toBe(200);
    expect(own.json.items.map((i: { reservationId: string }) => i.reservationId)).toContain(reservationId);
    expect((await callQueryHandler(listDriverReservations, { caller: operator, path: { id: driverId } })).status).toBe(200);
    expect((await callQueryHandler(listDriverReservations, { caller: customer, path: { id: driverId } })).status).toBe(403);
    expect((await callQueryHandler(listDriverReservations, { caller: driver, path: { id: "d0000000-0000-4000-8000-000000000001" } })).status).toBe(403);
    expect((await callQueryHandler(listDriverReservations, { caller: operator, path: { id: customer.userId } })).status).toBe(404);
  });

  it("lists available drivers and bounds the range", async () => {
    const ok = await callQueryHandler(listAvailableDrivers, { caller: customer, query: { from: "2031-01-01T08:00:00Z", to: "2031-01-01T12:00:00Z" } });
    expect(ok.status).toBe(200);
    expect(ok.headers["x-cache"]).toMatch(/^(hit|miss)$/);
    expect(ok.json.drivers.length).toBeGreaterThanOrEqual(5);
    const tooLong = await callQueryHandler(listAvailableDrivers, { caller: customer, query: { from: "2031-01-01T00:00:00Z", to: "2031-02-01T00:00:00Z" } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json["invalid-params"].map((p: { name: string }) => p.name)).toEqual(["query.to"]);
    const missing = await callQueryHandler(listAvailableDrivers, { caller: customer, query: { from: "2031-01-01T00:00:00Z" } });
    expect(missing.json["invalid-params"].map((p: { name: string }) => p.name)).toEqual(["query.to"]);
  });
});

describe("when Redis goes away", () => {
  it("answers 200 from the database with x-cache: bypass", async () => {
    const redis = await startThrowawayRedis();
    const savedUrl = process.env.HAUL_REDIS_URL;
    process.env.HAUL_REDIS_URL = redis.url;
    await closeQueryCacheClient();
    try {
      expect((await callQueryHandler(getReservation, { caller: customer, path: { id: reservationId } })).headers["x-cache"]).toBe("miss");
      expect((await callQueryHandler(getReservation, { caller: customer, path: { id: reservationId } })).headers["x-cache"]).toBe("hit");
      await redis.stop();
      for (const reply of [
        await callQueryHandler(getReservation, { caller: customer, path: { id: reservationId } }),
        await callQueryHandler(listReservations, { caller: customer, query: {} }),
        await callQueryHandler(listAvailableDrivers, { caller: customer, query: { from: "2031-01-01T08:00:00Z", to: "2031-01-01T12:00:00Z" } }),
      ]) {
        expect(reply.status).toBe(200);
        expect(reply.headers["x-cache"]).toBe("bypass");
      }
    } finally {
      await redis.stop();
      if (savedUrl === undefined) delete process.env.HAUL_REDIS_URL;
      else process.env.HAUL_REDIS_URL = savedUrl;
      await closeQueryCacheClient();
    }
  });
});
