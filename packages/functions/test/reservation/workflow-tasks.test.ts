import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeRedisClient, getRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { keys } from "@haul/core/reservation/query-cache";
import { Reservation } from "@haul/core/reservation/reservation";
import { migrateTestDatabase } from "../../../core/test/support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, validRequest, windowAt } from "../../../core/test/support/reservations.js";
import { handler as invalidateReservationCache } from "../../src/reservation/workflow/invalidate-reservation-cache.js";
import { describeFailure, handler as markReservationFailed } from "../../src/reservation/workflow/mark-reservation-failed.js";
import { handler as persistReservation } from "../../src/reservation/workflow/persist-reservation.js";
import { logger } from "../../src/shared/logger.js";
import { lambdaContext } from "./support.js";

// The refusals these tests provoke are logged by design; silence them here (read when the logger is made).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

beforeAll(async () => {
  await migrateTestDatabase();
});

afterAll(async () => {
  await removeTestPeople();
  await closePools();
  await closeRedisClient();
});

async function pendingReservation(window = windowAt(0)): Promise<string> {
  const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
  return (await Reservation.accept(customerId, validRequest(driverId, { window }), { reservationId: randomUUID() })).id;
}

/** Runs `work` with `variable` pointing at a closed port, then restores it (and the shared clients). */
async function withUnreachable(variable: "HAUL_MYSQL_URL" | "HAUL_REDIS_URL", work: () => Promise<void>): Promise<void> {
  const original = process.env[variable];
  const reset = variable === "HAUL_MYSQL_URL" ? closePools : closeRedisClient;
  await reset();
  process.env[variable] = variable === "HAUL_MYSQL_URL" ? "mysql://haul:haul@127.0.0.1:1/haul_test" : "redis://127.0.0.1:1";
  try {
    await work();
  } finally {
    await reset();
    if (original === undefined) delete process.env[variable];
    else process.env[variable] = original;
  }
}

describe("PersistReservation task", () => {
  it("decides the reservation and returns its workflow view, logging with the execution's correlation id", async () => {
    const reservationId = await pendingReservation();
    const setCorrelationId = vi.spyOn(logger, "setCorrelationId");
    const view = await persistReservation({ reservationId, correlationId: "corr-task-1" }, lambdaContext());
    expect(setCorrelationId).toHaveBeenCalledWith("corr-task-1");
    expect(view).toMatchObject({ reservationId, status: "CONFIRMED", notification: { type: "reservation-confirmed" } });
    expect(Reservation.ReservationWorkflowView.parse(view)).toEqual(view);
  });

  it("throws InvalidTaskInputError (not retried) for input that does not match", async () => {
    const error = await persistReservation({ reservationId: "nope" }, lambdaContext()).catch((e) => e);
    expect(error.name).toBe("InvalidTaskInputError");
  });

  it("keeps a domain error's name (it goes to the Catch, not the Retry)", async () => {
    const error = await persistReservation({ reservationId: randomUUID(), correlationId: "c" }, lambdaContext()).catch((e) => e);
    expect(error.name).toBe("NotFoundError");
  });

  it("throws TransientError when MySQL does not answer", async () => {
    const reservationId = await pendingReservation();
    await withUnreachable("HAUL_MYSQL_URL", async () => {
      const error = await persistReservation({ reservationId, correlationId: "c" }, lambdaContext()).catch((e) => e);
      expect(error.name).toBe("TransientError");
    });
    expect((await Reservation.get(reservationId))?.status).toBe("PENDING");
  });
});

describe("InvalidateReservationCache task", () => {
  it("invalidates the reservation's keys and raises its floor", async () => {
    const reservationId = await pendingReservation();
    const view = await Reservation.persist(reservationId);
    const redis = await getRedisClient();
    await redis.set(keys.reservation(reservationId), "stale", "EX", 60);
    await invalidateReservationCache({ reservation: view, correlationId: "c" }, lambdaContext());
    expect(await redis.get(keys.reservation(reservationId))).toBeNull();
    expect(await redis.get(keys.versionFloor(reservationId))).toBe(String(view.version));
  });

  it("throws TransientError when Redis does not answer", async () => {
    const view = await Reservation.persist(await pendingReservation());
    await withUnreachable("HAUL_REDIS_URL", async () => {
      const error = await invalidateReservationCache({ reservation: view, correlationId: "c" }, lambdaContext()).catch((e) => e);
      expect(error.name).toBe("TransientError");
    });
  });
});

describe("MarkReservationFailed task", () => {
  it("fails the reservation with the reason taken from the caught error, and returns the withdrawal view", async () => {
    const view = await Reservation.persist(await pendingReservation());
    const cause = JSON.stringify({ errorType: "TransientError", errorMessage: "connect ECONNREFUSED 127.0.0.1:6379", trace: [] });
    const failed = await markReservationFailed(
      { reservationId: view.reservationId, correlationId: "c", error: { Error: "TransientError", Cause: cause } },
      lambdaContext(),
    );
    expect(failed).toMatchObject({ status: "FAILED", version: 3, notification: { type: "reservation-withdrawn" } });
    expect((await Reservation.get(view.reservationId))?.statusReason).toBe("TransientError: connect ECONNREFUSED 127.0.0.1:6379");
  });

  it("words reasons from plain causes and bare errors too", () => {
    expect(describeFailure({ Error: "States.Timeout", Cause: "The task timed out" })).toBe("States.Timeout: The task timed out");
    expect(describeFailure({ Error: "States.TaskFailed" })).toBe("States.TaskFailed");
    expect(describeFailure(undefined)).toBe("the workflow failed");
  });
});
