import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { Reservation } from "@haul/core/reservation/reservation";
import { createTestCustomer, createTestDriver, moveWindow, validRequest, windowAt } from "../../../core/test/support/reservations.js";
import { handler as deliverHandler } from "../../src/reservation/deliver-reservation.js";
import { handler as pickUpHandler } from "../../src/reservation/pick-up-reservation.js";
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

/** A CONFIRMED reservation of `driverId`; `startsInMinutes` moves its window to start that soon. */
async function confirmedReservation(startsInMinutes?: number, hour = 0): Promise<string> {
  const accepted = await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(hour) }), { reservationId: randomUUID() });
  expect((await Reservation.persist(accepted.id)).status).toBe("CONFIRMED");
  if (startsInMinutes !== undefined) {
    const start = Date.now() + startsInMinutes * 60_000;
    await moveWindow(accepted.id, { start: new Date(start).toISOString(), end: new Date(start + 4 * 3_600_000).toISOString() });
  }
  return accepted.id;
}

type Step = "pickup" | "deliver";
const handlers = { pickup: pickUpHandler, deliver: deliverHandler };

function post(step: Step, reservationId: string, caller = { userId: driverId, role: "driver" }, correlationId = `corr-${step}-1`) {
  return invoke(handlers[step], {
    routeKey: `POST /reservations/{id}/${step}`,
    path: `/reservations/${reservationId}/${step}`,
    caller,
    pathParameters: { id: reservationId },
    headers: { "x-correlation-id": correlationId },
  });
}

describe("POST /reservations/{id}/pickup and /deliver", () => {
  it("picks up: 202 IN_TRANSIT, and starts the <id>-pickup execution with the view written", async () => {
    const reservationId = await confirmedReservation(30);
    const reply = await post("pickup", reservationId);
    expect(reply.status).toBe(202);
    expect(reply.json).toEqual({
      reservationId,
      status: "IN_TRANSIT",
      links: { self: `/reservations/${reservationId}`, cancel: `/reservations/${reservationId}/cancel` },
    });
    const stored = await Reservation.get(reservationId);
    expect(stored).toMatchObject({ status: "IN_TRANSIT", version: 3, pickedUpAt: expect.any(String), deliveredAt: null });
    expect(stepFunctions.callsNamed(`${reservationId}-pickup`)).toEqual([
      {
        stateMachineArn,
        name: `${reservationId}-pickup`,
        input: {
          command: "pickup",
          reservationId,
          correlationId: "corr-pickup-1",
          reservation: Reservation.toWorkflowView(stored!, "reservation-picked-up"),
        },
      },
    ]);
  });

  it("delivers: 202 COMPLETED, and starts the <id>-complete execution", async () => {
    const reservationId = await confirmedReservation(30);
    expect((await post("pickup", reservationId)).status).toBe(202);
    const reply = await post("deliver", reservationId);
    expect(reply.status).toBe(202);
    expect(reply.json).toMatchObject({ reservationId, status: "COMPLETED" });
    const stored = await Reservation.get(reservationId);
    expect(stored).toMatchObject({ status: "COMPLETED", version: 4, deliveredAt: expect.any(String) });
    const [call] = stepFunctions.callsNamed(`${reservationId}-complete`);
    expect(call?.input).toEqual({
      command: "complete",
      reservationId,
      correlationId: "corr-deliver-1",
      reservation: Reservation.toWorkflowView(stored!, "reservation-delivered"),
    });
  });

  it("answers a repeated step 202 with the reservation as it is, changing nothing and starting nothing new", async () => {
    const reservationId = await confirmedReservation(30);
    const first = await post("pickup", reservationId);
    const again = await post("pickup", reservationId, undefined, "corr-pickup-2");
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json);
    expect((await Reservation.get(reservationId))?.version).toBe(3);
    // The same execution name with the same input: AWS's answer is the execution already started.
    const pickups = stepFunctions.callsNamed(`${reservationId}-pickup`);
    expect(pickups.map((call) => call.input.reservation)).toEqual([pickups[0]!.input.reservation, pickups[0]!.input.reservation]);
    await post("deliver", reservationId);
    const deliveredAgain = await post("deliver", reservationId, undefined, "corr-deliver-2");
    expect(deliveredAgain).toMatchObject({ status: 202, json: { status: "COMPLETED" } });
    expect((await Reservation.get(reservationId))?.version).toBe(4);
  });

  it("answers 404 problem+json to another driver and for an unknown id, changing and starting nothing", async () => {
    const reservationId = await confirmedReservation(30);
    const otherDriver = await createTestDriver();
    const calls = stepFunctions.calls.length;
    for (const step of ["pickup", "deliver"] as const) {
      const theirs = await post(step, reservationId, { userId: otherDriver, role: "driver" });
      expect(theirs.status).toBe(404);
      expect(theirs.headers["content-type"]).toBe("application/problem+json");
      expect((await post(step, randomUUID())).status).toBe(404);
    }
    expect((await Reservation.get(reservationId))?.status).toBe("CONFIRMED");
    expect(stepFunctions.calls.length).toBe(calls);
  });

  it("answers 409 problem+json for steps out of order, naming the status, and before the pickup opens", async () => {
    const early = await confirmedReservation(undefined, 10);
    const tooEarly = await post("pickup", early);
    expect(tooEarly.status).toBe(409);
    expect(tooEarly.headers["content-type"]).toBe("application/problem+json");
    expect(tooEarly.json.detail).toMatch(/^The pickup opens at \d{4}-\d{2}-\d{2}T/);

    const reservationId = await confirmedReservation(30);
    const notPickedUp = await post("deliver", reservationId);
    expect(notPickedUp.status).toBe(409);
    expect(notPickedUp.json.detail).toMatch(/CONFIRMED/);
    await Reservation.cancel(early, customerId, new Date());
    const cancelled = await post("pickup", early);
    expect(cancelled.status).toBe(409);
    expect(cancelled.json.detail).toMatch(/A CANCELLED reservation cannot be picked up/);
    expect(stepFunctions.callsNamed(`${reservationId}-complete`)).toEqual([]);
    expect(stepFunctions.callsNamed(`${early}-pickup`)).toEqual([]);
  });

  it("answers 403 to a customer, even the reservation's own, and 400 naming path.id for a malformed id", async () => {
    const reservationId = await confirmedReservation(30);
    expect((await post("pickup", reservationId, { userId: customerId, role: "customer" })).status).toBe(403);
    expect((await post("deliver", reservationId, { userId: customerId, role: "customer" })).status).toBe(403);
    const malformed = await post("pickup", "not-a-uuid");
    expect(malformed.status).toBe(400);
    expect(malformed.json["invalid-params"]).toEqual([{ name: "path.id", reason: expect.any(String) }]);
    expect((await Reservation.get(reservationId))?.status).toBe("CONFIRMED");
  });
});
