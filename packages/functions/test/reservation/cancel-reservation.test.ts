import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { Reservation } from "@haul/core/reservation/reservation";
import {
  createTestCustomer,
  createTestDriver,
  moveWindow,
  validRequest,
  windowAt,
} from "../../../core/test/support/reservations.js";
import { handler } from "../../src/reservation/cancel-reservation.js";
import { invoke, stateMachineArn, useReservationHandlerEnvironment } from "./support.js";

// The refusals these tests provoke are logged by design; silence them here (read when the logger is made).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

const stepFunctions = useReservationHandlerEnvironment();

let customerId: string;
let driverId: string;

beforeEach(async () => {
  [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
});

async function confirmedReservation(window = windowAt(0)): Promise<string> {
  const accepted = await Reservation.accept(customerId, validRequest(driverId, { window }), { reservationId: randomUUID() });
  expect((await Reservation.persist(accepted.id)).status).toBe("CONFIRMED");
  return accepted.id;
}

function cancel(reservationId: string, caller = { userId: customerId, role: "customer" }, correlationId = "corr-cancel-1") {
  return invoke(handler, {
    routeKey: "POST /reservations/{id}/cancel",
    path: `/reservations/${reservationId}/cancel`,
    caller,
    pathParameters: { id: reservationId },
    headers: { "x-correlation-id": correlationId },
  });
}

describe("POST /reservations/{id}/cancel", () => {
  it("cancels the caller's CONFIRMED reservation, answers 202 CANCELLED, and starts the cancel execution", async () => {
    const reservationId = await confirmedReservation();
    const reply = await cancel(reservationId);
    expect(reply.status).toBe(202);
    expect(reply.json).toEqual({
      reservationId,
      status: "CANCELLED",
      links: { self: `/reservations/${reservationId}`, cancel: `/reservations/${reservationId}/cancel` },
    });
    const stored = await Reservation.get(reservationId);
    expect(stored).toMatchObject({ status: "CANCELLED", version: 3 });
    const [call] = stepFunctions.callsNamed(`${reservationId}-cancel`);
    expect(call).toEqual({
      stateMachineArn,
      name: `${reservationId}-cancel`,
      input: {
        command: "cancel",
        reservationId,
        correlationId: "corr-cancel-1",
        reservation: Reservation.toWorkflowView(stored!, "reservation-cancelled"),
      },
    });
    expect(Reservation.ReservationWorkflowView.parse(call!.input.reservation)).toMatchObject({ status: "CANCELLED" });
  });

  it("answers the same when cancelled twice, and the second start (ExecutionAlreadyExists) is fine", async () => {
    const reservationId = await confirmedReservation();
    const first = await cancel(reservationId);
    stepFunctions.answers.push({ error: "ExecutionAlreadyExists" });
    const second = await cancel(reservationId, undefined, "corr-cancel-2");
    expect(second.status).toBe(202);
    expect(second.json).toEqual(first.json);
    expect((await Reservation.get(reservationId))?.version).toBe(3);
  });

  it("answers 404 for another customer's reservation and for an unknown one, changing nothing", async () => {
    const reservationId = await confirmedReservation();
    const otherCustomer = await createTestCustomer();
    const calls = stepFunctions.calls.length;
    const theirs = await cancel(reservationId, { userId: otherCustomer, role: "customer" });
    expect(theirs.status).toBe(404);
    expect(theirs.headers["content-type"]).toBe("application/problem+json");
    expect((await cancel(randomUUID())).status).toBe(404);
    expect((await Reservation.get(reservationId))?.status).toBe("CONFIRMED");
    expect(stepFunctions.calls.length).toBe(calls);
  });

  it("answers 400 naming path.id for an id that is not a UUID", async () => {
    const reply = await cancel("not-a-uuid");
    expect(reply.status).toBe(400);
    expect(reply.json["invalid-params"]).toEqual([{ name: "path.id", reason: expect.any(String) }]);
  });

  it("answers 409 once the window has started, and while the reservation is still PENDING", async () => {
    const started = await confirmedReservation();
    await moveWindow(started, { start: new Date(Date.now() - 1_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() });
    const late = await cancel(started);
    expect(late.status).toBe(409);
    expect(late.json.detail).toMatch(/started/);
    const pending = await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(8) }), { reservationId: randomUUID() });
    const early = await cancel(pending.id);
    expect(early.status).toBe(409);
    expect(early.json.detail).toMatch(/still being decided/);
  });

  it("answers 403 to a driver, even the reservation's own", async () => {
    const reservationId = await confirmedReservation();
    expect((await cancel(reservationId, { userId: driverId, role: "driver" })).status).toBe(403);
    expect((await Reservation.get(reservationId))?.status).toBe("CONFIRMED");
  });
});
