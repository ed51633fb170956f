/**
 * The reservation workflow's ASL on every path, run locally with the REAL task handlers against
 * real MariaDB (primary and replica), Redis and dynalite. Faults are injected by wrapping a real
 * task (throw first, then call through), never by replacing what it does.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool, getReplicaPool, closePools } from "@haul/core/db/pools";
import { getRedisClient, closeRedisClient } from "@haul/core/cache/redis-client";
import { Reservation } from "@haul/core/reservation/reservation";
import { ReservationCache } from "@haul/core/reservation/query-cache";
import { tables, tableNameVariable } from "@haul/functions/declarations";
import {
  createTestCustomer,
  createTestDriver,
  removeTestPeople,
  validRequest,
  windowAt,
} from "../../packages/core/test/support/reservations.js";
import { migrateTestDatabase } from "../../packages/core/test/support/database.js";
import type { JsonValue } from "../../packages/local/src/stepfunctions/definition.js";
import type { TaskOverrides } from "../../packages/local/src/stepfunctions/step-functions.js";
import {
  createInput,
  runExecution,
  startWorkflowFixture,
  trace,
  transientError,
  type WorkflowFixture,
} from "../../packages/local/test/fixtures/local-workflow.js";

const trackingTable = "local-haul-TrackingSessions";
let fixture: WorkflowFixture;
/** Per-test fault injection; every other task runs as it is. */
// Tests set a fault per task, so this map is written to, unlike the read-only overrides it feeds.
let faults: { -readonly [task in keyof TaskOverrides]: TaskOverrides[task] } = {};
let customerId: string;
let driverId: string;
let hour = 0;

const wrap = (key: string) => (input: JsonValue, invocation: Parameters<TaskOverrides[string]>[1]) => {
  const fault = faults[invocation.stateName] ?? faults[key];
  return fault ? fault(input, invocation) : invocation.next(input);
};

beforeAll(async () => {
  await migrateTestDatabase();
  const states = ["PersistReservation", "InvalidateReservationCache", "MarkReservationFailed", "NotifyDriver", "OpenTrackingSession"];
  fixture = await startWorkflowFixture({ taskOverrides: Object.fromEntries(states.map((state) => [state, wrap(state)])) });
  // The real handlers read the table name the way they do in Lambda.
  process.env[tableNameVariable(tables.trackingSessions)] = trackingTable;
  customerId = await createTestCustomer();
  driverId = await createTestDriver(3_000);
});

afterEach(() => {
  faults = {};
  fixture.notifications.queue.purge();
});

afterAll(async () => {
  await removeTestPeople();
  await fixture?.stop();
  await closePools();
  await closeRedisClient();
});

/** A PENDING reservation on the primary, as POST /reservations leaves it, in a window of its own. */
async function acceptReservation(window = windowAt((hour += 3))) {
  const reservationId = Reservation.randomReservationId();
  await Reservation.accept(customerId, validRequest(driverId, { window }), { reservationId, correlationId: `corr-${reservationId}` });
  return { reservationId, window };
}

async function statusOnReplica(reservationId: string): Promise<string | undefined> {
  const primary = await getPrimaryPool();
  const [[position]] = await primary.query<RowDataPacket[]>("SELECT @@gtid_binlog_pos AS gtid");
  const replica = await getReplicaPool();
  await replica.query("SELECT MASTER_GTID_WAIT(?, 10)", [position!.gtid]);
  const [rows] = await replica.query<RowDataPacket[]>("SELECT status FROM reservations WHERE id = ?", [reservationId]);
  return rows[0]?.status;
}

async function trackingSession(reservationId: string) {
  const { Item } = await fixture.dynamodb.send(new GetItemCommand({ TableName: trackingTable, Key: { reservationId: { S: reservationId } } }));
  return Item;
}

async function driverMessages() {
  const messages = await fixture.notifications.queue.receive({ MaxNumberOfMessages: 10 });
  return messages.map((message) => JSON.parse((JSON.parse(message.Body) as { Message: string }).Message) as { eventId: string; type: string });
}

describe("the reservation workflow with the real tasks", () => {
  it("confirms: the row on the replica, the cache floor raised, the driver notified, the session opened", async () => {
    const { reservationId } = await acceptReservation();
    const redis = await getRedisClient();
    await redis.set(ReservationCache.keys.reservation(reservationId), "stale");

    const run = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(run.description.status).toBe("SUCCEEDED");
    expect(await statusOnReplica(reservationId)).toBe("CONFIRMED");
    expect(await redis.exists(ReservationCache.keys.reservation(reservationId))).toBe(0);
    expect(Number(await redis.get(ReservationCache.keys.versionFloor(reservationId)))).toBeGreaterThanOrEqual(2);
    expect(await driverMessages()).toEqual([
      expect.objectContaining({ eventId: `${reservationId}:reservation-confirmed`, type: "reservation-confirmed" }),
    ]);
    const session = await trackingSession(reservationId);
    expect(session).toMatchObject({ sessionStatus: { S: "OPEN" }, customerId: { S: customerId }, driverId: { S: driverId } });
  });

  it("rejects an overlapping window as an outcome: execution succeeds, the rejection is published, no session opened", async () => {
    const first = await acceptReservation();
    await runExecution(fixture, first.reservationId, createInput(first.reservationId));
    fixture.notifications.queue.purge();
    const second = await acceptReservation(first.window);

    const run = await runExecution(fixture, second.reservationId, createInput(second.reservationId));

    expect(run.description.status).toBe("SUCCEEDED");
    expect(await statusOnReplica(second.reservationId)).toBe("REJECTED");
    expect(await driverMessages()).toEqual([
      expect.objectContaining({ eventId: `${second.reservationId}:reservation-rejected`, type: "reservation-rejected" }),
    ]);
    expect(await trackingSession(second.reservationId)).toBeUndefined();
  });

  it("retries a transient fault with backoff and then confirms", async () => {
    const { reservationId } = await acceptReservation();
    faults.PersistReservation = (input, invocation) => {
      if (invocation.attempt <= 2) throw transientError("connection lost");
      return invocation.next(input);
    };

    const run = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(run.description.status).toBe("SUCCEEDED");
    expect(trace(run.history).filter((type) => type === "LambdaFunctionFailed")).toHaveLength(2);
    expect(await statusOnReplica(reservationId)).toBe("CONFIRMED");
  });

  it("marks FAILED and compensates when retries run out, failing the execution visibly", async () => {
    const { reservationId } = await acceptReservation();
    const unavailable = new Error("DynamoDB is unavailable");
    unavailable.name = "DynamoDB.InternalServerErrorException";
    faults.OpenTrackingSession = () => {
      throw unavailable;
    };

    const run = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(run.description.status).toBe("FAILED");
    expect(run.description.error).toBe("ReservationFailed");
    const states = trace(run.history);
    expect(states).toEqual(
      expect.arrayContaining([
        "TaskStateEntered:MarkReservationFailed",
        "TaskStateEntered:InvalidateCacheAfterFailure",
        "TaskStateEntered:WithdrawDriverNotification",
        "TaskStateEntered:CloseTrackingSessionAfterFailure",
        "ExecutionFailed",
      ]),
    );
    expect(await statusOnReplica(reservationId)).toBe("FAILED");
    const messages = (await driverMessages()).map((message) => message.type);
    expect(messages).toEqual(["reservation-confirmed", "reservation-withdrawn"]);
    expect(await trackingSession(reservationId)).toBeUndefined();
  });

  it("cancels: CANCELLED on the replica, the driver told, the session closed", async () => {
    const { reservationId } = await acceptReservation();
    await runExecution(fixture, reservationId, createInput(reservationId));
    fixture.notifications.queue.purge();

    const view = await Reservation.cancel(reservationId, customerId, new Date());
    const input = JSON.stringify({ command: "cancel", reservationId, correlationId: "corr-cancel", reservation: view });
    const run = await runExecution(fixture, `${reservationId}-cancel`, input);

    expect(run.description.status).toBe("SUCCEEDED");
    expect(await statusOnReplica(reservationId)).toBe("CANCELLED");
    expect((await driverMessages()).map((message) => message.eventId)).toEqual([`${reservationId}:reservation-cancelled`]);
    expect(await trackingSession(reservationId)).toMatchObject({ sessionStatus: { S: "CLOSED" } });
  });

  it("picks up and delivers: IN_TRANSIT then COMPLETED on the replica, the cache invalidated, each event published, the session moved", async () => {
    const { reservationId, window } = await acceptReservation();
    await runExecution(fixture, reservationId, createInput(reservationId));
    fixture.notifications.queue.purge();
    const redis = await getRedisClient();
    const pickedUpAt = new Date(Date.parse(window.start) - 10 * 60_000);

    const pickedUp = await Reservation.pickUp(reservationId, driverId, pickedUpAt);
    await redis.set(ReservationCache.keys.reservation(reservationId), "stale");
    const pickup = await runExecution(
      fixture,
      `${reservationId}-pickup`,
      JSON.stringify({ command: "pickup", reservationId, correlationId: "corr-pickup", reservation: pickedUp }),
    );
    expect(pickup.description.status).toBe("SUCCEEDED");
    expect(await statusOnReplica(reservationId)).toBe("IN_TRANSIT");
    expect(await redis.exists(ReservationCache.keys.reservation(reservationId))).toBe(0);
    expect(Number(await redis.get(ReservationCache.keys.versionFloor(reservationId)))).toBe(pickedUp.version);
    expect((await driverMessages()).map((message) => message.eventId)).toEqual([`${reservationId}:reservation-picked-up`]);
    expect(await trackingSession(reservationId)).toMatchObject({
      sessionStatus: { S: "IN_TRANSIT" },
      pickedUpAt: { S: pickedUpAt.toISOString() },
      customerId: { S: customerId },
      driverId: { S: driverId },
    });

    const deliveredAt = new Date(pickedUpAt.getTime() + 3 * 3_600_000);
    const delivered = await Reservation.deliver(reservationId, driverId, deliveredAt);
    const complete = await runExecution(
      fixture,
      `${reservationId}-complete`,
      JSON.stringify({ command: "complete", reservationId, correlationId: "corr-complete", reservation: delivered }),
    );
    expect(complete.description.status).toBe("SUCCEEDED");
    expect(await statusOnReplica(reservationId)).toBe("COMPLETED");
    expect(Number(await redis.get(ReservationCache.keys.versionFloor(reservationId)))).toBe(delivered.version);
    expect((await driverMessages()).map((message) => message.eventId)).toEqual([`${reservationId}:reservation-delivered`]);
    expect(await trackingSession(reservationId)).toMatchObject({
      sessionStatus: { S: "CLOSED" },
      pickedUpAt: { S: pickedUpAt.toISOString() },
      deliveredAt: { S: deliveredAt.toISOString() },
    });
  });
});
