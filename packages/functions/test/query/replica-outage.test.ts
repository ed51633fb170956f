/**
 * The QueryApi handlers with the replica behind a TCP proxy (HAUL_MYSQL_REPLICA_URL points at it;
 * the shared replica keeps running): cut, every read is still 200 from the primary, /health says
 * degraded, one WARN line and one fallback metric; restored, the first read after the cool-down
 * brings the reads back to the replica. Only Date is faked: the cool-down passes by moving it.
 */
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { closeQueryCacheClient } from "@haul/core/query/cache-client";
import { Reservation } from "@haul/core/reservation/reservation";
import { migrateTestDatabase, replica, waitForReplica } from "../../../core/test/support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, validRequest, windowAt } from "../../../core/test/support/reservations.js";
import { startTcpFaultProxy, type TcpFaultProxy } from "../../../core/test/query/tcp-fault-proxy.js";
import { handler as getQueryHealth } from "../../src/query/get-query-health.js";
import { handler as getReservation } from "../../src/query/get-reservation.js";
import { handler as listAvailableDrivers } from "../../src/query/list-available-drivers.js";
import { handler as listDriverReservations } from "../../src/query/list-driver-reservations.js";
import { handler as listReservations } from "../../src/query/list-reservations.js";
import { replicaMetrics } from "../../src/query/queries.js";
import { healthReport } from "../../src/route-contracts.js";
import { logger } from "../../src/shared/logger.js";
import { metrics } from "../../src/shared/powertools.js";
import { callQueryHandler, type QueryHandler } from "./support.js";

const coolDownMs = 60_000;
const savedEnv = { replicaUrl: process.env.HAUL_MYSQL_REPLICA_URL, coolDown: process.env.HAUL_REPLICA_COOL_DOWN_MS };
let proxy: TcpFaultProxy;
let customerId: string;
let driverId: string;
let reservationId: string;

// Every read from the database: the cache would hide the replica.
const call = (handler: QueryHandler, caller: { userId: string; role: string }, path?: Record<string, string>, query?: Record<string, string>) =>
  callQueryHandler(handler, { caller, path, query, headers: { "cache-control": "no-cache" } });

const strictHealthReport = healthReport.extend({ reads: healthReport.shape.reads.unwrap().strict() }).strict();
const health = () => call(getQueryHealth as QueryHandler, { userId: "", role: "" });

/** Every read route, as the reservation's customer and driver. */
async function readEverything() {
  const customer = { userId: customerId, role: "customer" };
  const driver = { userId: driverId, role: "driver" };
  const window = windowAt(2000);
  const answers = [
    await call(getReservation as QueryHandler, customer, { id: reservationId }),
    await call(listReservations as QueryHandler, customer),
    await call(listDriverReservations as QueryHandler, driver, { id: driverId }),
    await call(listAvailableDrivers as QueryHandler, customer, undefined, { from: window.start, to: window.end }),
  ];
  expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
  expect(answers[0]?.json.reservationId).toBe(reservationId);
  expect(answers[1]?.json.items.map((item: { reservationId: string }) => item.reservationId)).toContain(reservationId);
  expect(answers[2]?.json.items.map((item: { reservationId: string }) => item.reservationId)).toContain(reservationId);
  expect(answers[3]?.json.drivers).toBeInstanceOf(Array);
}

beforeAll(async () => {
  await migrateTestDatabase();
  customerId = await createTestCustomer();
  driverId = await createTestDriver();
  reservationId = Reservation.randomReservationId();
  await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(1900) }), { reservationId });
  await waitForReplica();
  proxy = await startTcpFaultProxy({ host: replica.host, port: replica.port });
  await closePools();
  process.env.HAUL_MYSQL_REPLICA_URL = `mysql://haul:haul@127.0.0.1:${proxy.port}/${replica.database}`;
  process.env.HAUL_REPLICA_COOL_DOWN_MS = String(coolDownMs);
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
});

afterAll(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await closePools();
  process.env.HAUL_MYSQL_REPLICA_URL = savedEnv.replicaUrl;
  if (savedEnv.coolDown === undefined) delete process.env.HAUL_REPLICA_COOL_DOWN_MS;
  else process.env.HAUL_REPLICA_COOL_DOWN_MS = savedEnv.coolDown;
  await proxy?.stop();
  await removeTestPeople();
  await closeQueryCacheClient();
  await closeRedisClient();
});

it("reads survive the replica's outage from the primary, say so once, and return to the replica after it", async () => {
  const warn = vi.spyOn(logger, "warn");
  const info = vi.spyOn(logger, "info");
  const addMetric = vi.spyOn(metrics, "addMetric");
  const fallbackWarnings = () => warn.mock.calls.filter(([message]) => String(message).startsWith("replica down"));
  const metricCount = (name: string) => addMetric.mock.calls.filter(([metric]) => metric === name).length;

  await readEverything();
  expect((await health()).json).toMatchObject({ healthy: true, degraded: false, reads: { replica: "up", readingFrom: "replica" } });

  proxy.setMode("refuse");
  await readEverything();
  const degraded = await health();
  expect(degraded.status).toBe(200);
  expect(degraded.json).toMatchObject({
    healthy: true,
    degraded: true,
    dependencies: { primary: { status: "up" }, replica: { status: "down" } },
    reads: { replica: "down", readingFrom: "primary" },
  });
  // The OpenAPI document describes every field of the degraded report (strictly: nothing undocumented).
  expect(strictHealthReport.safeParse(degraded.json).error?.issues).toBeUndefined();
  expect(fallbackWarnings()).toHaveLength(1);
  expect(metricCount(replicaMetrics.fallbacks)).toBe(1);
  expect(metricCount(replicaMetrics.fallbackReads)).toBeGreaterThanOrEqual(1);

  // Open: no read tries the replica (the health probe does, once per call, on its own).
  const accepted = proxy.accepted();
  await readEverything();
  expect(proxy.accepted()).toBe(accepted);
  expect(fallbackWarnings()).toHaveLength(1);
  expect(metricCount(replicaMetrics.fallbacks)).toBe(1);

  proxy.setMode("forward");
  vi.setSystemTime(Date.now() + coolDownMs);
  await readEverything();
  expect(proxy.accepted()).toBeGreaterThan(accepted);
  expect((await health()).json).toMatchObject({ healthy: true, degraded: false, reads: { replica: "up", readingFrom: "replica" } });
  expect(info.mock.calls.filter(([message]) => String(message).startsWith("replica back"))).toHaveLength(1);
  expect(fallbackWarnings()).toHaveLength(1);
});
