/**
 * The read side with the replica behind a TCP proxy on the real servers: cut (refused, then
 * blackholed) reads come from the primary as haul_reader and the breaker stops trying the replica;
 * restored, a probe after the cool-down brings reads back; a replica that stops applying the
 * binlog (SQL thread stopped) for longer than the bound counts as lagging. The router's clock is
 * the test's, so cool-downs and lag ages pass without waiting.
 */
import mysql, { type Pool, type RowDataPacket } from "mysql2/promise";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resolveReaderTarget, toPoolOptions } from "../../src/db/connection-config.js";
import { closePools, getReaderPool } from "../../src/db/pools.js";
import { closeQueryCacheClient } from "../../src/query/cache-client.js";
import { createReplicaRouter, type ReadSource, type ReaderDatabase, type ReplicaRouter } from "../../src/query/replica-router.js";
import { Reservation } from "../../src/reservation/reservation.js";
import { migrateTestDatabase, replica, waitForReplica } from "../support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, validRequest, windowAt } from "../support/reservations.js";
import { pauseReplication, queryService, resumeReplication } from "./support.js";
import { startTcpFaultProxy, type TcpFaultProxy } from "./tcp-fault-proxy.js";

const lagBoundSeconds = 30;
const coolDownMs = 10_000;
const fresh = { fresh: true };

let proxy: TcpFaultProxy;
let proxiedReplica: Pool;
let clock: number;
let router: ReplicaRouter;
let changes: { from: ReadSource["replica"]; to: ReadSource["replica"]; reason?: string }[];
let fallbackReads: number;
/** Statements asked of each server (the replica's include those it failed). */
const reads = { replica: 0, primary: 0 };
let service: ReturnType<typeof queryService>;
let customerId: string;
let driverId: string;
let reservationId: string;
let hour = 700;

const database: ReaderDatabase = {
  replica: async () => {
    reads.replica += 1;
    return proxiedReplica;
  },
  primary: async () => {
    reads.primary += 1;
    return getReaderPool("primary");
  },
};
/** Where the lag is measured: the same servers, uncounted. */
const replication: ReaderDatabase = { replica: async () => proxiedReplica, primary: () => getReaderPool("primary") };
const customer = () => ({ userId: customerId, role: "customer" as const });
const availability = () => ({ from: windowAt(hour + 1000).start, to: windowAt(hour + 1001).end });

async function accept(): Promise<string> {
  const id = Reservation.randomReservationId();
  await Reservation.accept(customerId, validRequest(driverId, { window: windowAt((hour += 3)) }), { reservationId: id });
  return id;
}

/** Every read the query service offers, none from the cache. */
async function readEverything(id: string) {
  const one = await service.queries.getReservation(customer(), id, fresh);
  const list = await service.queries.listReservations(customer(), { limit: 100 }, fresh);
  const driverList = await service.queries.listDriverReservations({ userId: driverId, role: "driver" }, driverId, { limit: 100 }, fresh);
  const drivers = await service.queries.listAvailableDrivers(availability(), fresh);
  return { one: one.value, list: list.value, driverList: driverList.value, drivers: drivers.value };
}

beforeAll(async () => {
  await migrateTestDatabase();
  customerId = await createTestCustomer();
  driverId = await createTestDriver();
  reservationId = await accept();
  await waitForReplica();
  proxy = await startTcpFaultProxy({ host: replica.host, port: replica.port });
  const target = await resolveReaderTarget("replica");
  proxiedReplica = mysql.createPool({ ...toPoolOptions({ ...target, host: "127.0.0.1", port: proxy.port }), connectTimeout: 500 });
});

beforeEach(async () => {
  proxy.setMode("forward");
  clock = 0;
  changes = [];
  fallbackReads = 0;
  router = createReplicaRouter({
    database,
    replication,
    now: () => clock,
    settings: { failureThreshold: 2, coolDownMs, statementTimeoutMs: 1_000, lagBoundSeconds, lagCheckIntervalMs: 5_000 },
    onChange: (current, previous) => changes.push({ from: previous.replica, to: current.replica, ...(current.reason ? { reason: current.reason } : {}) }),
    onFallbackRead: () => (fallbackReads += 1),
  });
  // Measured once at clock 0: the next measurement comes only when a test moves the clock.
  await router.checkLag();
  service = queryService(database, { router });
  reads.replica = 0;
  reads.primary = 0;
});

afterEach(() => {
  service.redis.disconnect();
});

afterAll(async () => {
  await resumeReplication();
  await proxy?.stop();
  await proxiedReplica?.end();
  await removeTestPeople();
  await closeQueryCacheClient();
  await closePools();
});

describe("replica down", () => {
  it("reads through the proxy while it forwards", async () => {
    const answers = await readEverything(reservationId);
    expect(answers.one.reservationId).toBe(reservationId);
    expect(reads).toEqual({ replica: 4, primary: 0 });
    expect(router.status()).toMatchObject({ replica: "up", readingFrom: "replica" });
    expect(fallbackReads).toBe(0);
  });

  it("refused: every read answers from the primary, the breaker opens once and stops trying the replica", async () => {
    proxy.setMode("refuse");
    const answers = await readEverything(reservationId);
    expect(answers.one).toMatchObject({ reservationId, customerId });
    expect(answers.list.items.map((item) => item.reservationId)).toContain(reservationId);
    expect(answers.driverList.items.map((item) => item.reservationId)).toContain(reservationId);
    expect(answers.drivers.drivers.map((driver) => driver.driverId)).toContain(driverId);
    expect(router.status()).toMatchObject({ replica: "down", readingFrom: "primary" });
    expect(changes).toEqual([{ from: "up", to: "down", reason: expect.stringMatching(/^E[A-Z]+|PROTOCOL_/) }]);
    // Two failures opened it; the two reads after it went straight to the primary.
    expect(reads.replica).toBe(2);
    expect(fallbackReads).toBe(4);

    const acceptedBefore = proxy.accepted();
    await readEverything(reservationId);
    expect(reads.replica).toBe(2);
    expect(proxy.accepted()).toBe(acceptedBefore);

    // After the cool-down one read probes; it fails and the breaker opens again, without a new state change.
    clock += coolDownMs;
    await readEverything(reservationId);
    expect(reads.replica).toBe(3);
    expect(changes).toHaveLength(1);
  });

  it("restored: the first read after the cool-down probes the replica and brings the reads back", async () => {
    proxy.setMode("refuse");
    await readEverything(reservationId);
    proxy.setMode("forward");
    await service.queries.getReservation(customer(), reservationId, fresh);
    expect(router.status().replica).toBe("down");

    clock += coolDownMs;
    const replicaBefore = reads.replica;
    const primaryBefore = reads.primary;
    await readEverything(reservationId);
    expect(router.status()).toMatchObject({ replica: "up", readingFrom: "replica" });
    expect(changes.map((change) => change.to)).toEqual(["down", "up"]);
    expect(reads.replica - replicaBefore).toBe(4);
    expect(reads.primary - primaryBefore).toBe(0);
  });

  it("blackholed: reads wait for the timeout only until the breaker opens", async () => {
    proxy.setMode("blackhole");
    const answers = await readEverything(reservationId);
    expect(answers.one.reservationId).toBe(reservationId);
    expect(router.status()).toMatchObject({ replica: "down", readingFrom: "primary" });
    expect(changes).toEqual([{ from: "up", to: "down", reason: expect.stringMatching(/^(timeout|ETIMEDOUT)$/) }]);
    expect(reads.replica).toBe(2);
  });
});

describe("replica lagging", () => {
  afterEach(async () => {
    // Always: a stopped SQL thread would break every later test.
    await resumeReplication();
    await waitForReplica();
  });

  it("reads from the primary once the replica has not applied a position older than the bound, and back once it has", async () => {
    await router.checkLag();
    expect(router.status().replica).toBe("up");

    await pauseReplication();
    const id = await accept();
    await router.checkLag(); // notes the primary's position, which the replica has not applied
    clock += lagBoundSeconds * 1000; // exactly the bound: not beyond it
    await router.checkLag();
    expect(router.status().replica).toBe("up");

    clock += 1000;
    await router.checkLag();
    expect(router.status()).toMatchObject({ replica: "lagging", readingFrom: "primary", reason: `lag > ${lagBoundSeconds} s` });
    const before = { ...reads };
    const list = await service.queries.listReservations(customer(), { limit: 100 }, fresh);
    // The lagging replica lacks it; the primary has it.
    expect(list.value.items.map((item) => item.reservationId)).toContain(id);
    expect(reads.replica).toBe(before.replica);
    expect(fallbackReads).toBe(1);

    await resumeReplication();
    await waitForReplica();
    await router.checkLag();
    expect(router.status()).toMatchObject({ replica: "up", readingFrom: "replica" });
    expect(changes.map((change) => change.to)).toEqual(["lagging", "up"]);
  });

  it("a replica that comes back still behind the position noted before it went is lagging", async () => {
    await pauseReplication();
    await accept();
    await router.checkLag();
    proxy.setMode("refuse");
    await readEverything(reservationId);
    expect(router.status().replica).toBe("down");

    proxy.setMode("forward");
    clock += coolDownMs + lagBoundSeconds * 1000;
    await service.queries.getReservation(customer(), reservationId, fresh); // the probe succeeds
    await router.checkLag();
    expect(router.status().replica).toBe("lagging");
    expect(changes.map((change) => change.to)).toEqual(["down", "up", "lagging"]);
  });
});

it("the reader user reads on the primary and cannot write there", async () => {
  const pool = await getReaderPool("primary");
  const [[who]] = await pool.query<RowDataPacket[]>("SELECT CURRENT_USER() AS user");
  expect(String(who?.user)).toMatch(/^haul_reader@/);
  await expect(pool.query("UPDATE reservations SET version = version WHERE id = ?", [reservationId])).rejects.toMatchObject({
    code: "ER_TABLEACCESS_DENIED_ERROR",
  });
});
