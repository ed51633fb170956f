import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools, getPrimaryPool } from "../../src/db/pools.js";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "../../src/errors.js";
import { demoPeopleWithRole } from "../../src/identity/demo-people.js";
import { Reservation } from "../../src/reservation/reservation.js";
import { migrateTestDatabase } from "../support/database.js";
import {
  countReservations,
  createTestCustomer,
  createTestDriver,
  moveWindow,
  removeTestPeople,
  validRequest,
  windowAt,
} from "../support/reservations.js";

beforeAll(async () => {
  await migrateTestDatabase();
});

afterAll(async () => {
  await removeTestPeople();
  await closePools();
});

/** Accepts and decides a reservation of `driverId` for `window`; returns the decision. */
async function reserveAndDecide(customerId: string, driverId: string, window: { start: string; end: string }) {
  const accepted = await Reservation.accept(customerId, validRequest(driverId, { window }), { reservationId: randomUUID() });
  return Reservation.persist(accepted.id);
}

describe("Reservation.accept", () => {
  it("writes the reservation PENDING, version 1, for the caller", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver(1_000)];
    const request = validRequest(driverId, { cargo: { weightKg: 1_000, description: "Exactly a full truck" } });
    const reservationId = randomUUID();
    expect(await Reservation.accept(customerId, request, { reservationId, correlationId: "corr-1" })).toEqual({
      id: reservationId,
      status: "PENDING",
      version: 1,
    });
    expect(await Reservation.get(reservationId)).toMatchObject({
      id: reservationId,
      customerId,
      driverId,
      status: "PENDING",
      statusReason: null,
      version: 1,
      window: request.window,
      pickup: request.pickup,
      dropoff: request.dropoff,
      cargo: request.cargo,
      correlationId: "corr-1",
    });
  });

  it("is idempotent on the id: the same request again returns the stored reservation and writes nothing", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const request = validRequest(driverId);
    const reservationId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => Reservation.accept(customerId, request, { reservationId })),
    );
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
    expect(await countReservations({ customerId })).toBe(1);
  });

  it("answers a retry with the stored reservation even after the truck changed", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const request = validRequest(driverId, { cargo: { weightKg: 4_000, description: "Steel coils" } });
    const reservationId = randomUUID();
    const first = await Reservation.accept(customerId, request, { reservationId });
    await (await getPrimaryPool()).execute("UPDATE trucks SET capacity_kg = 1000 WHERE driver_id = ?", [driverId]);
    expect(await Reservation.accept(customerId, request, { reservationId })).toEqual(first);
    // A new request with the same cargo is refused now.
    await expect(Reservation.accept(customerId, request, { reservationId: randomUUID() })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("refuses the same id with another request, or from another customer", async () => {
    const [customerId, otherCustomer, driverId] = [await createTestCustomer(), await createTestCustomer(), await createTestDriver()];
    const reservationId = randomUUID();
    await Reservation.accept(customerId, validRequest(driverId), { reservationId });
    await expect(
      Reservation.accept(customerId, validRequest(driverId, { cargo: { weightKg: 1, description: "other" } }), { reservationId }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(Reservation.accept(otherCustomer, validRequest(driverId), { reservationId })).rejects.toBeInstanceOf(ConflictError);
    expect(await countReservations({ id: reservationId })).toBe(1);
  });

  it.each([
    ["an unknown driver", async () => randomUUID(), "driverId", /not a known driver/],
    ["a customer given as driver", async () => demoPeopleWithRole("customer")[1]!.id, "driverId", /not a known driver/],
    ["a driver without a truck", async () => createTestDriver(null), "driverId", /no truck/],
  ])("refuses %s, naming %s, and writes nothing", async (_case, driver, field, reason) => {
    const customerId = await createTestCustomer();
    const error = await Reservation.accept(customerId, validRequest(await driver()), { reservationId: randomUUID() }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.fields).toEqual([{ name: field, reason: expect.stringMatching(reason) }]);
    expect(await countReservations({ customerId })).toBe(0);
  });

  it("refuses cargo over the truck's capacity, naming body.cargo.weightKg, and writes nothing", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver(1_000)];
    const request = validRequest(driverId, { cargo: { weightKg: 1_000.001, description: "One gram too many" } });
    const error = await Reservation.accept(customerId, request, { reservationId: randomUUID() }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.fields).toEqual([{ name: "cargo.weightKg", reason: "exceeds the truck's capacity of 1000 kg" }]);
    expect(await countReservations({ customerId })).toBe(0);
    expect(await countReservations({ driverId })).toBe(0);
  });

  it("refuses a caller who is not a customer in Haul, and writes nothing", async () => {
    const driverId = await createTestDriver();
    for (const caller of [randomUUID(), demoPeopleWithRole("operator")[0]!.id]) {
      await expect(Reservation.accept(caller, validRequest(driverId), { reservationId: randomUUID() })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
    }
    expect(await countReservations({ driverId })).toBe(0);
  });
});

describe("Reservation.persist", () => {
  it("confirms a reservation with no overlap, bumps its version and tells the driver", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const request = validRequest(driverId);
    const accepted = await Reservation.accept(customerId, request, { reservationId: randomUUID() });
    const view = await Reservation.persist(accepted.id);
    const stored = await Reservation.get(accepted.id);
    expect(stored).toMatchObject({ status: "CONFIRMED", version: 2, statusReason: null });
    expect(view).toEqual({
      reservationId: accepted.id,
      customerId,
      driverId,
      status: "CONFIRMED",
      version: 2,
      window: request.window,
      pickedUpAt: null,
      deliveredAt: null,
      trackingExpiresAt: String(Date.parse(request.window.end) / 1000 + 86_400),
      notification: {
        eventId: `${accepted.id}:reservation-confirmed`,
        type: "reservation-confirmed",
        reservationId: accepted.id,
        driverId,
        customerId,
        pickup: request.pickup,
        dropoff: request.dropoff,
        window: request.window,
        cargo: request.cargo,
        occurredAt: stored!.statusChangedAt,
      },
    });
    expect(Reservation.ReservationWorkflowView.parse(view)).toEqual(view);
  });

  it("is a no-op returning the same view when run again", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const first = await reserveAndDecide(customerId, driverId, windowAt(0));
    const again = await Reservation.persist(first.reservationId);
    expect(again).toEqual(first);
    expect((await Reservation.get(first.reservationId))?.version).toBe(2);
  });

  it("rejects a reservation overlapping a CONFIRMED one of the same driver, naming it; the first stays CONFIRMED", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const first = await reserveAndDecide(customerId, driverId, windowAt(0, 4));
    const second = await reserveAndDecide(customerId, driverId, windowAt(3, 4));
    // The customer is told of the rejection.
    expect(second).toMatchObject({
      status: "REJECTED",
      version: 2,
      notification: { type: "reservation-rejected", eventId: `${second.reservationId}:reservation-rejected`, customerId },
    });
    expect((await Reservation.get(second.reservationId))?.statusReason).toMatch(new RegExp(`^overlaps reservation ${first.reservationId}`));
    expect((await Reservation.get(first.reservationId))?.status).toBe("CONFIRMED");
    // A window inside, and one around, the confirmed one overlap too.
    expect((await reserveAndDecide(customerId, driverId, windowAt(1, 1))).status).toBe("REJECTED");
    expect((await reserveAndDecide(customerId, driverId, windowAt(-1, 6))).status).toBe("REJECTED");
  });

  it("finds the overlap among a long schedule: the tail of a long window, and a window starting inside", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    // Confirmed: a 10-day window from hour 0, then short ones laid end to end after it.
    expect((await reserveAndDecide(customerId, driverId, windowAt(0, 240))).status).toBe("CONFIRMED");
    for (let hour = 240; hour < 250; hour++) expect((await reserveAndDecide(customerId, driverId, windowAt(hour, 1))).status).toBe("CONFIRMED");
    const long = await reserveAndDecide(customerId, driverId, windowAt(230, 2));
    expect(long.status).toBe("REJECTED");
    // A window covering several confirmed ones, and one reaching into the last from before it.
    expect((await reserveAndDecide(customerId, driverId, windowAt(243, 5))).status).toBe("REJECTED");
    expect((await reserveAndDecide(customerId, driverId, windowAt(249, 3))).status).toBe("REJECTED");
    expect((await reserveAndDecide(customerId, driverId, windowAt(250, 3))).status).toBe("CONFIRMED");
  });

  it("confirms touching windows [a, b) and [b, c): half-open windows do not overlap", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    expect((await reserveAndDecide(customerId, driverId, windowAt(0, 2))).status).toBe("CONFIRMED");
    expect((await reserveAndDecide(customerId, driverId, windowAt(2, 2))).status).toBe("CONFIRMED");
    expect((await reserveAndDecide(customerId, driverId, windowAt(-2, 2))).status).toBe("CONFIRMED");
  });

  it("ignores other drivers and reservations that are not CONFIRMED", async () => {
    const [customerId, driverId, otherDriver] = [await createTestCustomer(), await createTestDriver(), await createTestDriver()];
    expect((await reserveAndDecide(customerId, otherDriver, windowAt(0))).status).toBe("CONFIRMED");
    const pending = await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(0) }), { reservationId: randomUUID() });
    const cancelled = await reserveAndDecide(customerId, driverId, windowAt(10));
    await Reservation.cancel(cancelled.reservationId, customerId, new Date());
    expect((await reserveAndDecide(customerId, driverId, windowAt(10))).status).toBe("CONFIRMED");
    expect((await reserveAndDecide(customerId, driverId, windowAt(0))).status).toBe("CONFIRMED");
    expect((await Reservation.persist(pending.id)).status).toBe("REJECTED");
  });

  it("confirms exactly one of many overlapping reservations decided concurrently for one driver", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const accepted = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        Reservation.accept(customerId, validRequest(driverId, { window: windowAt(i * 0.25, 3) }), { reservationId: randomUUID() }),
      ),
    );
    const decisions = await Promise.all(accepted.map((reservation) => Reservation.persist(reservation.id)));
    expect(decisions.filter((decision) => decision.status === "CONFIRMED")).toHaveLength(1);
    expect(decisions.filter((decision) => decision.status === "REJECTED")).toHaveLength(7);
  });

  it("confirms every one of many disjoint reservations decided concurrently for one driver", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const accepted = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        Reservation.accept(customerId, validRequest(driverId, { window: windowAt(i, 1) }), { reservationId: randomUUID() }),
      ),
    );
    const decisions = await Promise.all(accepted.map((reservation) => Reservation.persist(reservation.id)));
    expect(decisions.every((decision) => decision.status === "CONFIRMED")).toBe(true);
  });

  it("fails with NotFoundError for an unknown reservation", async () => {
    await expect(Reservation.persist(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("Reservation.markFailed", () => {
  it("fails a PENDING or CONFIRMED reservation with the reason, and withdraws it from the driver", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const pending = await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(0) }), { reservationId: randomUUID() });
    const confirmed = await reserveAndDecide(customerId, driverId, windowAt(5));
    const failedPending = await Reservation.markFailed(pending.id, "States.Timeout: took too long");
    const failedConfirmed = await Reservation.markFailed(confirmed.reservationId, "SNS.InternalErrorException: boom");
    expect(failedPending).toMatchObject({ status: "FAILED", version: 2 });
    expect(failedConfirmed).toMatchObject({
      status: "FAILED",
      version: 3,
      notification: { type: "reservation-withdrawn", eventId: `${confirmed.reservationId}:reservation-withdrawn` },
    });
    expect((await Reservation.get(pending.id))?.statusReason).toBe("States.Timeout: took too long");
    // Idempotent: a second run changes nothing.
    expect(await Reservation.markFailed(pending.id, "again")).toEqual(failedPending);
    expect((await Reservation.get(pending.id))?.statusReason).toBe("States.Timeout: took too long");
  });

  it("leaves REJECTED and CANCELLED reservations as they are", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    await reserveAndDecide(customerId, driverId, windowAt(0));
    const rejected = await reserveAndDecide(customerId, driverId, windowAt(1));
    const cancelled = await reserveAndDecide(customerId, driverId, windowAt(5));
    await Reservation.cancel(cancelled.reservationId, customerId, new Date());
    expect(await Reservation.markFailed(rejected.reservationId, "late")).toMatchObject({ status: "REJECTED", version: 2 });
    expect(await Reservation.markFailed(cancelled.reservationId, "late")).toMatchObject({ status: "CANCELLED", version: 3 });
  });
});

describe("Reservation.cancel", () => {
  it("cancels the caller's CONFIRMED reservation before it starts, and a second cancel returns the same", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const confirmed = await reserveAndDecide(customerId, driverId, windowAt(0));
    const cancelled = await Reservation.cancel(confirmed.reservationId, customerId, new Date());
    expect(cancelled).toMatchObject({
      status: "CANCELLED",
      version: 3,
      notification: { type: "reservation-cancelled", eventId: `${confirmed.reservationId}:reservation-cancelled` },
    });
    expect(await Reservation.cancel(confirmed.reservationId, customerId, new Date())).toEqual(cancelled);
    expect((await Reservation.get(confirmed.reservationId))?.version).toBe(3);
  });

  it("frees the window: the driver can be reserved for it again", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const confirmed = await reserveAndDecide(customerId, driverId, windowAt(0));
    await Reservation.cancel(confirmed.reservationId, customerId, new Date());
    expect((await reserveAndDecide(customerId, driverId, windowAt(0))).status).toBe("CONFIRMED");
  });

  it("answers NotFound for another customer's reservation and for an unknown id, changing nothing", async () => {
    const [customerId, otherCustomer, driverId] = [await createTestCustomer(), await createTestCustomer(), await createTestDriver()];
    const confirmed = await reserveAndDecide(customerId, driverId, windowAt(0));
    await expect(Reservation.cancel(confirmed.reservationId, otherCustomer, new Date())).rejects.toBeInstanceOf(NotFoundError);
    await expect(Reservation.cancel(randomUUID(), customerId, new Date())).rejects.toBeInstanceOf(NotFoundError);
    await expect(Reservation.cancel("not-a-uuid", customerId, new Date())).rejects.toBeInstanceOf(NotFoundError);
    expect((await Reservation.get(confirmed.reservationId))?.status).toBe("CONFIRMED");
  });

  it("refuses once the window has started (now >= start)", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const confirmed = await reserveAndDecide(customerId, driverId, windowAt(0));
    const start = new Date(confirmed.window.start);
    await expect(Reservation.cancel(confirmed.reservationId, customerId, start)).rejects.toThrow(ConflictError);
    await expect(Reservation.cancel(confirmed.reservationId, customerId, new Date(start.getTime() + 1))).rejects.toThrow(/started/);
    expect((await Reservation.cancel(confirmed.reservationId, customerId, new Date(start.getTime() - 1))).status).toBe("CANCELLED");
  });

  it("refuses a window already under way in the database", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const confirmed = await reserveAndDecide(customerId, driverId, windowAt(0));
    await moveWindow(confirmed.reservationId, {
      start: new Date(Date.now() - 60_000).toISOString(),
      end: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await expect(Reservation.cancel(confirmed.reservationId, customerId, new Date())).rejects.toBeInstanceOf(ConflictError);
  });

  it("refuses PENDING (still being decided) and REJECTED or FAILED reservations", async () => {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    await reserveAndDecide(customerId, driverId, windowAt(0));
    const pending = await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(0) }), { reservationId: randomUUID() });
    await expect(Reservation.cancel(pending.id, customerId, new Date())).rejects.toThrow(/still being decided/);
    const rejected = await Reservation.persist(pending.id);
    await expect(Reservation.cancel(rejected.reservationId, customerId, new Date())).rejects.toThrow(/REJECTED reservation cannot/);
    const failed = await Reservation.markFailed((await reserveAndDecide(customerId, driverId, windowAt(9))).reservationId, "x");
    await expect(Reservation.cancel(failed.reservationId, customerId, new Date())).rejects.toThrow(/FAILED reservation cannot/);
  });
});

describe("Reservation.pickUp and Reservation.deliver", () => {
  const minuteMs = 60_000;
  /** A CONFIRMED reservation and the earliest moment its pickup is allowed. */
  async function confirmedTrip(window = windowAt(0)) {
    const [customerId, driverId] = [await createTestCustomer(), await createTestDriver()];
    const confirmed = await reserveAndDecide(customerId, driverId, window);
    const opens = new Date(Date.parse(confirmed.window.start) - Reservation.pickupLeadMinutes * minuteMs);
    return { customerId, driverId, confirmed, opens };
  }

  it("moves CONFIRMED to IN_TRANSIT at the pickup and IN_TRANSIT to COMPLETED at the delivery, telling the customer", async () => {
    const { customerId, driverId, confirmed, opens } = await confirmedTrip();
    const pickedUpAt = new Date(opens.getTime() + 5 * minuteMs);
    const pickedUp = await Reservation.pickUp(confirmed.reservationId, driverId, pickedUpAt);
    expect(pickedUp).toMatchObject({
      status: "IN_TRANSIT",
      version: 3,
      pickedUpAt: pickedUpAt.toISOString(),
      deliveredAt: null,
      notification: { type: "reservation-picked-up", eventId: `${confirmed.reservationId}:reservation-picked-up`, customerId, occurredAt: pickedUpAt.toISOString() },
    });
    expect(Reservation.ReservationWorkflowView.parse(pickedUp)).toEqual(pickedUp);
    // Late: delivered two days after the window ended; the session outlives the delivery by a day.
    const deliveredAt = new Date(Date.parse(confirmed.window.end) + 2 * 86_400_000);
    const delivered = await Reservation.deliver(confirmed.reservationId, driverId.toUpperCase(), deliveredAt);
    expect(delivered).toMatchObject({
      status: "COMPLETED",
      version: 4,
      pickedUpAt: pickedUpAt.toISOString(),
      deliveredAt: deliveredAt.toISOString(),
      trackingExpiresAt: String(deliveredAt.getTime() / 1000 + 86_400),
      notification: { type: "reservation-delivered", occurredAt: deliveredAt.toISOString() },
    });
    expect(await Reservation.get(confirmed.reservationId)).toMatchObject({
      status: "COMPLETED",
      statusChangedAt: deliveredAt.toISOString(),
      pickedUpAt: pickedUpAt.toISOString(),
      deliveredAt: deliveredAt.toISOString(),
    });
  });

  it("opens the pickup exactly pickupLeadMinutes before the window; earlier is a conflict saying when it opens", async () => {
    const { driverId, confirmed, opens } = await confirmedTrip();
    expect(Reservation.pickupLeadMinutes).toBe(60);
    const early = Reservation.pickUp(confirmed.reservationId, driverId, new Date(opens.getTime() - 1));
    await expect(early).rejects.toBeInstanceOf(ConflictError);
    await expect(Reservation.pickUp(confirmed.reservationId, driverId, new Date(opens.getTime() - 1))).rejects.toThrow(
      `The pickup opens at ${opens.toISOString()}`,
    );
    expect((await Reservation.get(confirmed.reservationId))?.status).toBe("CONFIRMED");
    expect((await Reservation.pickUp(confirmed.reservationId, driverId, opens)).status).toBe("IN_TRANSIT");
  });

  it("answers a repeated step with the reservation as it is, writing nothing", async () => {
    const { driverId, confirmed, opens } = await confirmedTrip();
    const pickedUp = await Reservation.pickUp(confirmed.reservationId, driverId, opens);
    expect(await Reservation.pickUp(confirmed.reservationId, driverId, new Date(opens.getTime() + minuteMs))).toEqual(pickedUp);
    const delivered = await Reservation.deliver(confirmed.reservationId, driverId, new Date(opens.getTime() + 2 * minuteMs));
    expect(await Reservation.deliver(confirmed.reservationId, driverId, new Date(opens.getTime() + 3 * minuteMs))).toEqual(delivered);
    // A pickup repeated after the delivery is still the pickup that was done.
    expect(await Reservation.pickUp(confirmed.reservationId, driverId, new Date())).toMatchObject({ status: "COMPLETED", version: 4 });
    expect((await Reservation.get(confirmed.reservationId))?.version).toBe(4);
  });

  it("refuses out-of-order steps with a conflict naming the status", async () => {
    const { customerId, driverId, confirmed, opens } = await confirmedTrip();
    await expect(Reservation.deliver(confirmed.reservationId, driverId, opens)).rejects.toThrow(/CONFIRMED: it must be picked up before/);
    const cancelled = await reserveAndDecide(customerId, driverId, windowAt(10));
    await Reservation.cancel(cancelled.reservationId, customerId, new Date());
    await expect(Reservation.pickUp(cancelled.reservationId, driverId, new Date(Date.parse(cancelled.window.start)))).rejects.toThrow(
      /A CANCELLED reservation cannot be picked up/,
    );
    await expect(Reservation.deliver(cancelled.reservationId, driverId, new Date())).rejects.toThrow(/A CANCELLED reservation cannot be delivered/);
    const pending = await Reservation.accept(customerId, validRequest(driverId, { window: windowAt(20) }), { reservationId: randomUUID() });
    await expect(Reservation.pickUp(pending.id, driverId, new Date(Date.parse(windowAt(20).start)))).rejects.toThrow(/A PENDING reservation/);
    // A cancel once in transit is refused too.
    await Reservation.pickUp(confirmed.reservationId, driverId, opens);
    await expect(Reservation.cancel(confirmed.reservationId, customerId, new Date())).rejects.toThrow(/IN_TRANSIT reservation cannot be cancelled/);
    expect((await Reservation.get(confirmed.reservationId))?.status).toBe("IN_TRANSIT");
  });

  it("answers NotFound to another driver, the customer, and for unknown ids, changing nothing", async () => {
    const { customerId, driverId, confirmed, opens } = await confirmedTrip();
    const otherDriver = await createTestDriver();
    await expect(Reservation.pickUp(confirmed.reservationId, otherDriver, opens)).rejects.toBeInstanceOf(NotFoundError);
    await expect(Reservation.pickUp(confirmed.reservationId, customerId, opens)).rejects.toBeInstanceOf(NotFoundError);
    await expect(Reservation.pickUp(randomUUID(), driverId, opens)).rejects.toBeInstanceOf(NotFoundError);
    await expect(Reservation.deliver("not-a-uuid", driverId, opens)).rejects.toBeInstanceOf(NotFoundError);
    await Reservation.pickUp(confirmed.reservationId, driverId, opens);
    await expect(Reservation.deliver(confirmed.reservationId, otherDriver, opens)).rejects.toBeInstanceOf(NotFoundError);
    expect((await Reservation.get(confirmed.reservationId))?.status).toBe("IN_TRANSIT");
  });

  it("keeps a reservation in transit from failing: markFailed leaves it as it is", async () => {
    const { driverId, confirmed, opens } = await confirmedTrip();
    const pickedUp = await Reservation.pickUp(confirmed.reservationId, driverId, opens);
    expect(await Reservation.markFailed(confirmed.reservationId, "SNS.InternalErrorException: late")).toMatchObject({
      status: "IN_TRANSIT",
      version: pickedUp.version,
    });
  });

  it("keeps the driver busy while in transit: an overlapping reservation is rejected, naming it", async () => {
    const { customerId, driverId, confirmed, opens } = await confirmedTrip(windowAt(0, 4));
    await Reservation.pickUp(confirmed.reservationId, driverId, opens);
    const overlapping = await reserveAndDecide(customerId, driverId, windowAt(2, 4));
    expect(overlapping.status).toBe("REJECTED");
    expect((await Reservation.get(overlapping.reservationId))?.statusReason).toMatch(new RegExp(`^overlaps reservation ${confirmed.reservationId}`));
    // Once delivered, the rest of the window is free again.
    await Reservation.deliver(confirmed.reservationId, driverId, new Date(opens.getTime() + 60_000));
    expect((await reserveAndDecide(customerId, driverId, windowAt(2, 4))).status).toBe("CONFIRMED");
  });
});

describe("Reservation.get", () => {
  it("returns undefined for unknown ids and strings that are not UUIDs", async () => {
    expect(await Reservation.get(randomUUID())).toBeUndefined();
    expect(await Reservation.get("' OR 1=1 -- ")).toBeUndefined();
  });
});

describe("Reservation ids", () => {
  it("derive the same UUID (version 8) from the same customer and key, and different ones otherwise", () => {
    const customer = randomUUID();
    const id = Reservation.deriveReservationId(customer, "key-1");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Reservation.deriveReservationId(customer.toUpperCase(), "key-1")).toBe(id);
    expect(Reservation.deriveReservationId(customer, "key-2")).not.toBe(id);
    expect(Reservation.deriveReservationId(randomUUID(), "key-1")).not.toBe(id);
  });
});
