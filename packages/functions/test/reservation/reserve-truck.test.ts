import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { closePools } from "@haul/core/db/pools";
import { Reservation } from "@haul/core/reservation/reservation";
import {
  countReservations,
  createTestCustomer,
  createTestDriver,
  requestBody,
  windowAt,
} from "../../../core/test/support/reservations.js";
import { handler } from "../../src/reservation/reserve-truck.js";
import { invoke, stateMachineArn, useReservationHandlerEnvironment, type HttpCall } from "./support.js";

// The refusals these tests provoke are logged by design; silence them here (read when the logger is made).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

const stepFunctions = useReservationHandlerEnvironment();

let customerId: string;
let driverId: string;

beforeEach(async () => {
  [customerId, driverId] = [await createTestCustomer(), await createTestDriver(2_000)];
});

function reserve(body: unknown, options: { key?: string; caller?: HttpCall["caller"]; headers?: Record<string, string> } = {}) {
  return invoke(handler, {
    routeKey: "POST /reservations",
    path: "/reservations",
    caller: options.caller ?? { userId: customerId, role: "customer" },
    body,
    headers: { ...(options.key ? { "idempotency-key": options.key } : {}), ...options.headers },
  });
}

function invalidParams(reply: { json: { "invalid-params"?: { name: string }[] } }): string[] {
  return (reply.json["invalid-params"] ?? []).map((param) => param.name).sort();
}

describe("POST /reservations", () => {
  it("answers 202 with the PENDING reservation and its links, writes it, and starts its execution", async () => {
    const reply = await reserve(requestBody(driverId), { headers: { "x-correlation-id": "corr-reserve-1" } });
    expect(reply.status).toBe(202);
    const { reservationId } = reply.json;
    expect(reply.json).toEqual({
      reservationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "PENDING",
      links: { self: `/reservations/${reservationId}`, cancel: `/reservations/${reservationId}/cancel` },
    });
    expect(reply.headers.location).toBe(`/reservations/${reservationId}`);
    expect(await Reservation.get(reservationId)).toMatchObject({ customerId, driverId, status: "PENDING", correlationId: "corr-reserve-1" });
    expect(stepFunctions.callsNamed(reservationId)).toEqual([
      { stateMachineArn, name: reservationId, input: { command: "create", reservationId, correlationId: "corr-reserve-1" } },
    ]);
  });

  it("without an Idempotency-Key, makes every request a new reservation", async () => {
    const body = requestBody(driverId);
    const [first, second] = [await reserve(body), await reserve(body)];
    expect(first.json.reservationId).not.toBe(second.json.reservationId);
    expect(await countReservations({ customerId })).toBe(2);
  });

  describe("with an Idempotency-Key", () => {
    it("answers a retry with the same reservation: one row, one execution", async () => {
      const key = randomUUID();
      const executions = stepFunctions.executions.size;
      const first = await reserve(requestBody(driverId), { key });
      const retry = await reserve(requestBody(driverId), { key });
      expect(first.status).toBe(202);
      expect(retry.status).toBe(202);
      expect(retry.json).toEqual(first.json);
      const { reservationId } = first.json;
      expect(reservationId).toBe(Reservation.deriveReservationId(customerId, key));
      expect(await countReservations({ customerId })).toBe(1);
      // The retry finds it still PENDING and starts it again by the same name: the same execution.
      expect(stepFunctions.callsNamed(reservationId)).toHaveLength(2);
      expect(stepFunctions.executions.size).toBe(executions + 1);
      expect(stepFunctions.executions.has(reservationId)).toBe(true);
    });

    it.each([
      ["CONFIRMED", (id: string) => Reservation.persist(id)],
      ["FAILED", (id: string) => Reservation.markFailed(id, "a step kept failing")],
    ] as const)("answers a retry after the reservation became %s with that status, starting nothing", async (status, decide) => {
      const key = randomUUID();
      const first = await reserve(requestBody(driverId), { key });
      const { reservationId } = first.json;
      expect((await decide(reservationId)).status).toBe(status);
      const calls = stepFunctions.calls.length;
      const retry = await reserve(requestBody(driverId), { key });
      expect(retry.status).toBe(202);
      expect(retry.json).toEqual({ ...first.json, status });
      expect(retry.headers.location).toBe(`/reservations/${reservationId}`);
      expect(stepFunctions.calls.length).toBe(calls);
      expect(await countReservations({ customerId })).toBe(1);
    });

    it("treats the same window written with another offset as the same body", async () => {
      const key = randomUUID();
      const window = windowAt(0);
      const shifted = {
        start: new Date(Date.parse(window.start) + 3_600_000).toISOString().replace(".000Z", "+01:00"),
        end: new Date(Date.parse(window.end) + 3_600_000).toISOString().replace(".000Z", "+01:00"),
      };
      const first = await reserve(requestBody(driverId, { window }), { key });
      const retry = await reserve(requestBody(driverId, { window: shifted }), { key });
      expect(retry.status).toBe(202);
      expect(retry.json.reservationId).toBe(first.json.reservationId);
    });

    it("refuses the same key with a different body with 422, naming the header, and writes and starts nothing more", async () => {
      const key = randomUUID();
      const first = await reserve(requestBody(driverId), { key });
      const stored = await Reservation.get(first.json.reservationId);
      const calls = stepFunctions.calls.length;
      const reused = await reserve(requestBody(driverId, { cargo: { weightKg: 5, description: "Something else" } }), { key });
      expect(reused.status).toBe(422);
      expect(reused.headers["content-type"]).toBe("application/problem+json");
      expect(invalidParams(reused)).toEqual(["header.idempotency-key"]);
      expect(await countReservations({ customerId })).toBe(1);
      expect(await Reservation.get(first.json.reservationId)).toEqual(stored);
      expect(stored?.cargo.description).toBe("Two pallets of books");
      expect(stepFunctions.calls.length).toBe(calls);
    });

    it("keeps keys per customer: another customer's same key is another reservation", async () => {
      const key = randomUUID();
      const otherCustomer = await createTestCustomer();
      const mine = await reserve(requestBody(driverId, { window: windowAt(0) }), { key });
      const theirs = await reserve(requestBody(driverId, { window: windowAt(5) }), { key, caller: { userId: otherCustomer, role: "customer" } });
      expect(theirs.status).toBe(202);
      expect(theirs.json.reservationId).not.toBe(mine.json.reservationId);
    });

    it("creates one reservation and one execution when the same request arrives several times at once", async () => {
      const key = randomUUID();
      const executions = stepFunctions.executions.size;
      const replies = await Promise.all(Array.from({ length: 6 }, () => reserve(requestBody(driverId), { key })));
      // Each reply is the reservation, whichever request won the insert; the others read its row.
      expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 202));
      const reservationId = Reservation.deriveReservationId(customerId, key);
      expect(new Set(replies.map((reply) => reply.json.reservationId))).toEqual(new Set([reservationId]));
      expect(await countReservations({ customerId })).toBe(1);
      // Every start is named by the reservation id; the later ones meet ExecutionAlreadyExists, which is success.
      expect(stepFunctions.executions.size).toBe(executions + 1);
      expect(stepFunctions.executions.has(reservationId)).toBe(true);
    });

    it("refuses a malformed key with 400 naming the header", async () => {
      for (const key of ["has space", "k".repeat(256), "naïve"]) {
        const reply = await reserve(requestBody(driverId), { key });
        expect(reply.status).toBe(400);
        expect(invalidParams(reply)).toEqual(["header.idempotency-key"]);
      }
      expect(await countReservations({ customerId })).toBe(0);
    });

    it("heals a failed start on retry: the row stays PENDING and the retry starts the execution", async () => {
      const key = randomUUID();
      stepFunctions.answers.push({ error: "StateMachineDoesNotExist" });
      const failed = await reserve(requestBody(driverId), { key });
      expect(failed.status).toBe(500);
      const reservationId = Reservation.deriveReservationId(customerId, key);
      expect((await Reservation.get(reservationId))?.status).toBe("PENDING");
      const retry = await reserve(requestBody(driverId), { key });
      expect(retry.status).toBe(202);
      expect(retry.json.reservationId).toBe(reservationId);
      expect(stepFunctions.callsNamed(reservationId)).toHaveLength(2);
    });
  });

  it("takes ExecutionAlreadyExists as success: the execution is this reservation's", async () => {
    stepFunctions.answers.push({ error: "ExecutionAlreadyExists" });
    const reply = await reserve(requestBody(driverId));
    expect(reply.status).toBe(202);
  });

  it("marks a reservation FAILED when its execution cannot start and no key allows a retry", async () => {
    stepFunctions.answers.push({ error: "StateMachineDoesNotExist" });
    const reply = await reserve(requestBody(driverId));
    expect(reply.status).toBe(500);
    const [call] = stepFunctions.calls.slice(-1);
    expect(await Reservation.get(call!.name)).toMatchObject({ status: "FAILED", statusReason: expect.stringMatching(/could not be started/) });
  });

  it.each([
    ["an unknown field", () => ({ ...requestBody(driverId), priority: "high" }), ["body.priority"]],
    ["an unknown field in a place", () => requestBody(driverId, { pickup: { lat: 1, lon: 1, address: "x", floor: 2 } as never }), ["body.pickup.floor"]],
    ["out-of-range coordinates", () => requestBody(driverId, { pickup: { lat: -91, lon: 181, address: "x" } }), ["body.pickup.lat", "body.pickup.lon"]],
    ["a window in the past", () => requestBody(driverId, { window: { start: "2020-01-01T08:00:00Z", end: "2020-01-01T10:00:00Z" } }), ["body.window.start"]],
    ["a window ending before it starts", () => requestBody(driverId, { window: { start: windowAt(2).start, end: windowAt(1).start } }), ["body.window.end"]],
    ["a missing cargo", () => ({ ...requestBody(driverId), cargo: undefined }), ["body.cargo"]],
  ])("refuses %s with 400 naming the fields, writing and starting nothing", async (_case, body, fields) => {
    const calls = stepFunctions.calls.length;
    const reply = await reserve(body(), { key: randomUUID() });
    expect(reply.status).toBe(400);
    expect(reply.headers["content-type"]).toBe("application/problem+json");
    expect(invalidParams(reply)).toEqual(fields);
    expect(await countReservations({ customerId })).toBe(0);
    expect(stepFunctions.calls.length).toBe(calls);
  });

  it("refuses malformed JSON (400) and an oversized body (413)", async () => {
    const malformed = await invoke(handler, {
      routeKey: "POST /reservations",
      path: "/reservations",
      caller: { userId: customerId, role: "customer" },
      rawBody: "{ not json",
    });
    expect(malformed.status).toBe(400);
    const oversized = await reserve({ ...requestBody(driverId), padding: "x".repeat(70_000) });
    expect(oversized.status).toBe(413);
    expect(await countReservations({ customerId })).toBe(0);
  });

  it("refuses an unknown driver and cargo over capacity with 422 naming the field, writing and starting nothing", async () => {
    const calls = stepFunctions.calls.length;
    const unknownDriver = await reserve(requestBody(randomUUID()), { key: randomUUID() });
    expect(unknownDriver.status).toBe(422);
    expect(invalidParams(unknownDriver)).toEqual(["body.driverId"]);
    const tooHeavy = await reserve(requestBody(driverId, { cargo: { weightKg: 2_000.5, description: "Steel" } }), { key: randomUUID() });
    expect(tooHeavy.status).toBe(422);
    expect(invalidParams(tooHeavy)).toEqual(["body.cargo.weightKg"]);
    expect(await countReservations({ customerId })).toBe(0);
    expect(stepFunctions.calls.length).toBe(calls);
  });

  it("refuses a caller who is not a customer with 403, writing nothing", async () => {
    const reply = await reserve(requestBody(driverId), { caller: { userId: driverId, role: "driver" } });
    expect(reply.status).toBe(403);
    expect(await countReservations({ driverId })).toBe(0);
  });

  it("answers 503 when the database does not answer, so the client retries", async () => {
    const primaryUrl = process.env.HAUL_MYSQL_URL;
    await closePools();
    process.env.HAUL_MYSQL_URL = "mysql://haul:haul@127.0.0.1:1/haul_test";
    try {
      const reply = await reserve(requestBody(driverId), { key: randomUUID() });
      expect(reply.status).toBe(503);
      expect(reply.headers["content-type"]).toBe("application/problem+json");
    } finally {
      await closePools();
      process.env.HAUL_MYSQL_URL = primaryUrl;
    }
  });
});
