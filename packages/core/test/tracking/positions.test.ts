/**
 * Reading positions on the real OpenSearch node: the latest position of several drivers in one
 * request, and a delivery's trail between pickup and delivery, read with the reservation from the
 * real MariaDB replica (primary fallback), for its customer, its driver and operators only.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools } from "../../src/db/pools.js";
import { NotFoundError } from "../../src/errors.js";
import { Reservation } from "../../src/reservation/reservation.js";
import { latestPositions } from "../../src/tracking/latest-positions.js";
import { Trail, TrailQuery } from "../../src/tracking/trail.js";
import { createTestClient } from "../search/support.js";
import { migrateTestDatabase, waitForReplica } from "../support/database.js";
import { createTestCustomer, createTestDriver, moveWindow, removeTestPeople, validRequest, windowAt } from "../support/reservations.js";
import { indexFixes, minutesAgo, preparePositionFamily, removePositionFamily, uniquePrefix } from "./support.js";

const prefix = uniquePrefix();
const savedPrefix = process.env.HAUL_OPENSEARCH_INDEX_PREFIX;
let client: Client;
const options = () => ({ client: () => client });

beforeAll(async () => {
  process.env.HAUL_OPENSEARCH_INDEX_PREFIX = prefix;
  client = createTestClient();
  await preparePositionFamily(client, prefix);
  await migrateTestDatabase();
});

afterAll(async () => {
  await removePositionFamily(client, prefix);
  await client.close();
  process.env.HAUL_OPENSEARCH_INDEX_PREFIX = savedPrefix;
  await removeTestPeople();
  await closePools();
});

describe("latestPositions", () => {
  it("answers each driver's newest fix from one request, whatever the order they were indexed in", async () => {
    const [a, b, c, silent] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    // Two days' indices: the alias spans them.
    await indexFixes(client, prefix, [
      { driverId: a, recordedAt: minutesAgo(1), lat: 51.5, lon: -0.1, speed: 12 },
      { driverId: a, recordedAt: minutesAgo(3), lat: 51.4, lon: -0.2 },
      { driverId: b, recordedAt: minutesAgo(10), lat: 48.85, lon: 2.35 },
    ]);
    await indexFixes(client, prefix, [
      { driverId: a, recordedAt: minutesAgo(2), lat: 51.45, lon: -0.15 },
      { driverId: c, recordedAt: minutesAgo(60), lat: 40.4, lon: -3.7 },
      { driverId: b, recordedAt: minutesAgo(5), lat: 48.86, lon: 2.36 },
    ], "2000-01-01");

    const latest = await latestPositions({ driverIds: [a, b, c, silent, a] }, options());

    expect([...latest.keys()].sort()).toEqual([a, b, c].sort());
    expect(latest.get(a)).toMatchObject({ lat: 51.5, lon: -0.1, speed: 12 });
    expect(latest.get(a)!.recordedAt).toMatch(/\.\d{3}Z$/);
    expect(Date.parse(latest.get(a)!.receivedAt)).toBeGreaterThan(0);
    expect(latest.get(b)).toMatchObject({ lat: 48.86, lon: 2.36 });
    expect(latest.get(c)).toMatchObject({ lat: 40.4 });
  });

  it("counts only fixes since `recordedSince`, and answers nothing for no drivers", async () => {
    const driver = randomUUID();
    await indexFixes(client, prefix, [{ driverId: driver, recordedAt: minutesAgo(30), lat: 1, lon: 1 }]);
    expect((await latestPositions({ driverIds: [driver], recordedSince: minutesAgo(10) }, options())).size).toBe(0);
    expect((await latestPositions({ driverIds: [driver], recordedSince: minutesAgo(40) }, options())).get(driver)).toMatchObject({ lat: 1 });
    expect((await latestPositions({ driverIds: [] }, options())).size).toBe(0);
  });

  it("is empty, not an error, before any position was ever indexed (no alias yet)", async () => {
    const latest = await latestPositions({ driverIds: [randomUUID()] }, { ...options(), index: `${uniquePrefix()}driver-positions` });
    expect(latest.size).toBe(0);
  });
});

describe("Trail.read", () => {
  let customerId: string;
  let driverId: string;
  let reservationId: string;
  let pickedUpAt: string;
  let deliveredAt: string;

  beforeAll(async () => {
    customerId = await createTestCustomer();
    driverId = await createTestDriver();
    reservationId = Reservation.randomReservationId();
    await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(500) }), { reservationId });
    await Reservation.persist(reservationId);
    const start = Date.now();
    await moveWindow(reservationId, { start: minutesAgo(40, start), end: minutesAgo(-60, start) });
    pickedUpAt = (await Reservation.pickUp(reservationId, driverId, new Date(Date.parse(minutesAgo(30, start))))).pickedUpAt!;
    deliveredAt = minutesAgo(5, start);
    // Before pickup, four during the delivery, one after it: only the four are the trail.
    await indexFixes(client, prefix, [
      { driverId, recordedAt: minutesAgo(35, start), lat: 1, lon: 1 },
      { driverId, recordedAt: minutesAgo(25, start), lat: 2, lon: 2 },
      { driverId, recordedAt: minutesAgo(20, start), lat: 3, lon: 3 },
      { driverId, recordedAt: minutesAgo(15, start), lat: 4, lon: 4 },
      { driverId, recordedAt: minutesAgo(10, start), lat: 5, lon: 5 },
      { driverId, recordedAt: minutesAgo(2, start), lat: 6, lon: 6 },
      { driverId: randomUUID(), recordedAt: minutesAgo(12, start), lat: 9, lon: 9 },
    ]);
    await waitForReplica();
  });

  const query = (raw: Record<string, string> = {}) => TrailQuery.parse(raw);

  it("while in transit: the positions since pickup, oldest first, page by page", async () => {
    const customer = { userId: customerId, role: "customer" as const };
    const first = await Trail.read(customer, reservationId, query({ limit: "3" }), options());
    expect(first).toMatchObject({ reservationId, status: "IN_TRANSIT", pickedUpAt, deliveredAt: null });
    expect(first.positions.map((position) => position.lat)).toEqual([2, 3, 4]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await Trail.read(customer, reservationId, query({ limit: "3", cursor: first.nextCursor! }), options());
    expect(second.positions.map((position) => position.lat)).toEqual([5, 6]);
    expect(second.nextCursor).toBeNull();
  });

  it("once delivered: only up to the delivery", async () => {
    await Reservation.deliver(reservationId, driverId, new Date(deliveredAt));
    await waitForReplica();
    const trail = await Trail.read({ userId: driverId, role: "driver" }, reservationId, query(), options());
    expect(trail).toMatchObject({ status: "COMPLETED", pickedUpAt, deliveredAt });
    expect(trail.positions.map((position) => position.lat)).toEqual([2, 3, 4, 5]);
    expect((await Trail.read({ userId: randomUUID(), role: "operator" }, reservationId, query(), options())).positions).toHaveLength(4);
  });

  it("is empty before pickup", async () => {
    const id = Reservation.randomReservationId();
    await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(510) }), { reservationId: id });
    await Reservation.persist(id);
    // The trail reads the replica: wait until it has the decision, as the other cases do.
    await waitForReplica();
    const trail = await Trail.read({ userId: customerId, role: "customer" }, id, query(), options());
    expect(trail).toEqual({ reservationId: id, status: "CONFIRMED", pickedUpAt: null, deliveredAt: null, positions: [], nextCursor: null });
  });

  it("is NotFound for another customer, another driver and an unknown id, alike", async () => {
    await expect(Trail.read({ userId: randomUUID(), role: "customer" }, reservationId, query(), options())).rejects.toThrow(NotFoundError);
    await expect(Trail.read({ userId: randomUUID(), role: "driver" }, reservationId, query(), options())).rejects.toThrow(NotFoundError);
    await expect(Trail.read({ userId: customerId, role: "customer" }, randomUUID(), query(), options())).rejects.toThrow(NotFoundError);
    await expect(Trail.read({ userId: customerId, role: "customer" }, "not-a-uuid", query(), options())).rejects.toThrow(NotFoundError);
  });
});
