/**
 * GET /reservations/{id}/positions as API Gateway invokes it: the reservation from the real
 * MariaDB (replica, primary fallback), the trail from the real OpenSearch node; 404 for anyone
 * else's, 400 naming `query.cursor` for a cursor of another trail.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools } from "@haul/core/db/pools";
import { Reservation } from "@haul/core/reservation/reservation";
import { closeSearchClient } from "@haul/core/search/search-client";
import { encodeSearchCursor } from "@haul/core/search/search-cursor";
import { trailOrder } from "@haul/core/tracking/trail";
import { createTestClient } from "../../../core/test/search/support.js";
import { migrateTestDatabase, waitForReplica } from "../../../core/test/support/database.js";
import { createTestCustomer, createTestDriver, moveWindow, removeTestPeople, validRequest, windowAt } from "../../../core/test/support/reservations.js";
import { indexFixes, minutesAgo, preparePositionFamily, removePositionFamily, uniquePrefix } from "../../../core/test/tracking/support.js";
import { handler } from "../../src/tracking/get-reservation-positions.js";
import { call } from "../notification/support.js";

const prefix = uniquePrefix();
const savedPrefix = process.env.HAUL_OPENSEARCH_INDEX_PREFIX;
let search: Client;
let customerId: string;
let driverId: string;
const reservations: string[] = [];

beforeAll(async () => {
  process.env.HAUL_OPENSEARCH_INDEX_PREFIX = prefix;
  await closeSearchClient();
  search = createTestClient();
  await preparePositionFamily(search, prefix);
  await migrateTestDatabase();
  customerId = await createTestCustomer();
  driverId = await createTestDriver();
  for (const hours of [600, 610]) {
    const id = Reservation.randomReservationId();
    await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(hours) }), { reservationId: id });
    await Reservation.persist(id);
    await moveWindow(id, { start: minutesAgo(hours === 600 ? 40 : 400), end: minutesAgo(hours === 600 ? -60 : 300) });
    reservations.push(id);
  }
  await Reservation.pickUp(reservations[0]!, driverId, new Date(Date.parse(minutesAgo(30))));
  // The route reads the replica: it must have the pickup before any case asks.
  await waitForReplica();
  await indexFixes(search, prefix, [1, 2, 3].map((i) => ({ driverId, recordedAt: minutesAgo(20 - i), lat: i, lon: i })));
});

afterAll(async () => {
  await closeSearchClient();
  await removePositionFamily(search, prefix);
  await search.close();
  process.env.HAUL_OPENSEARCH_INDEX_PREFIX = savedPrefix;
  await removeTestPeople();
  await closePools();
});

describe("GET /reservations/{id}/positions", () => {
  it("answers the customer the trail, a page at a time", async () => {
    const first = await call(handler, { caller: { userId: customerId, role: "customer" }, path: { id: reservations[0]! }, query: { limit: "2" } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ reservationId: reservations[0], status: "IN_TRANSIT", deliveredAt: null });
    expect(first.json.positions.map((position: { lat: number }) => position.lat)).toEqual([1, 2]);
    const second = await call(handler, { caller: { userId: driverId, role: "driver" }, path: { id: reservations[0]! }, query: { limit: "2", cursor: first.json.nextCursor } });
    expect(second.json.positions.map((position: { lat: number }) => position.lat)).toEqual([3]);
    expect(second.json.nextCursor).toBeNull();
  });

  it("is 404 for another customer or driver, as for an unknown id", async () => {
    for (const caller of [{ userId: randomUUID(), role: "customer" }, { userId: randomUUID(), role: "driver" }]) {
      expect((await call(handler, { caller, path: { id: reservations[0]! } })).status).toBe(404);
    }
    expect((await call(handler, { caller: { userId: customerId, role: "customer" }, path: { id: randomUUID() } })).status).toBe(404);
  });

  it("is 400 naming query.cursor for another trail's cursor, and naming a bad limit", async () => {
    // A well-formed cursor, but of another list (another driver's positions).
    const otherTrail = encodeSearchCursor([Date.now()], { index: `${prefix}driver-positions`, query: { term: { driverId: randomUUID() } }, sort: trailOrder });
    const elsewhere = await call(handler, { caller: { userId: customerId, role: "customer" }, path: { id: reservations[0]! }, query: { cursor: otherTrail } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json["invalid-params"]).toEqual([{ name: "query.cursor", reason: expect.any(String) }]);
    const badLimit = await call(handler, { caller: { userId: customerId, role: "customer" }, path: { id: reservations[0]! }, query: { limit: "0" } });
    expect(badLimit.json["invalid-params"].map((param: { name: string }) => param.name)).toEqual(["query.limit"]);
  });

  it("answers an empty trail before pickup", async () => {
    const reply = await call(handler, { caller: { userId: customerId, role: "customer" }, path: { id: reservations[1]! } });
    expect(reply).toMatchObject({ status: 200, json: { status: "CONFIRMED", pickedUpAt: null, positions: [], nextCursor: null } });
  });
});
