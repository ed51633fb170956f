/**
 * Reservations: a customer reserves a driver and their truck for a half-open UTC window.
 *
 *   accept     POST /reservations: checks the driver and the cargo, writes PENDING (idempotent on the id)
 *   persist    the workflow's decision: PENDING -> CONFIRMED, or REJECTED when it overlaps a
 *              CONFIRMED or IN_TRANSIT one
 *   markFailed the workflow's compensation: PENDING/CONFIRMED -> FAILED
 *   cancel     the customer's cancellation: CONFIRMED -> CANCELLED, before the window starts
 *   pickUp     the assigned driver's pickup: CONFIRMED -> IN_TRANSIT, from pickupLeadMinutes before the window
 *   deliver    the assigned driver's delivery: IN_TRANSIT -> COMPLETED
 *
 * Statuses and transitions: see status.ts. Every write bumps `version`; every function that writes
 * returns the ReservationWorkflowView the workflow carries. All reads and writes go to the primary.
 */
import { createHash } from "node:crypto";
import type { PoolConnection } from "mysql2/promise";
import { z } from "zod";
import { getPrimaryPool } from "../db/pools.js";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, TransientError } from "../errors.js";
import type { NotificationType, ReservationRequest, ReservationWorkflowView } from "./schema.js";
import { canTransition, pickupLeadMinutes } from "./status.js";
import {
  decideReservation,
  inTransaction,
  insertPendingIfAllowed,
  markDelivered,
  markPickedUp,
  readParties,
  readReservation,
  updateStatus,
  type Party,
  type ReservationRecord,
  type StoredReservation,
} from "./store.js";

export * as Reservation from "./reservation.js";
export * from "./schema.js";
export * from "./status.js";
export { deriveReservationId, randomReservationId } from "./reservation-id.js";
export type { ReservationRecord } from "./store.js";

const trackingGraceSeconds = 24 * 60 * 60;
const maxReasonLength = 500;

/** What accept answers: enough for the caller's receipt; Reservation.get has the rest. */
export type AcceptedReservation = Pick<ReservationRecord, "id" | "status" | "version">;

export interface AcceptOptions {
  readonly reservationId: string;
  /** Stored with the row, to find the request's logs and execution. */
  readonly correlationId?: string;
}

/**
 * Accepts a validated request from `customerId`: the driver must be a driver with a truck that can
 * carry the cargo. Writes the reservation PENDING and returns its id, status and version. Idempotent
 * on the id: the same id with the same request returns the stored reservation's, as it is now,
 * without writing; with another request (or another customer) it is a ConflictError. Nothing is
 * written when a check fails.
 */
export async function accept(customerId: string, request: ReservationRequest, options: AcceptOptions): Promise<AcceptedReservation> {
  const customer = customerId.toLowerCase();
  const driverId = request.driverId.toLowerCase();
  const requestHash = hashRequest(customer, request);
  const pool = await getPrimaryPool();

  const reservationId = options.reservationId.toLowerCase();
  const reservation = {
    id: reservationId,
    customerId: customer,
    driverId,
    pickup: request.pickup,
    dropoff: request.dropoff,
    window: request.window,
    cargo: request.cargo,
    requestHash,
    correlationId: options.correlationId?.slice(0, 128) ?? null,
  };
  try {
    // The checks run inside the INSERT: one round trip when all is well.
    if (await insertPendingIfAllowed(pool, reservation)) return { id: reservationId, status: "PENDING", version: 1 };
  } catch (error) {
    if ((error as { code?: string }).code !== "ER_DUP_ENTRY") throw error;
  }
  // Not inserted. A retry (or a concurrent accept that won the insert) is answered as the first
  // was, even if the truck has changed since; otherwise say which check failed.
  const existing = await readReservation(pool, reservationId);
  if (existing) return acceptedAs(ensureSameRequest(existing, customer, requestHash));
  checkParties(await readParties(pool, [customer, driverId]), customer, driverId, request);
  // Every check passes now: the customer, driver or truck changed between the two reads.
  throw new TransientError("The driver's truck changed while the reservation was being accepted; retry.");
}

/**
 * The workflow's decision, in one transaction under the driver's lock: a PENDING reservation
 * becomes CONFIRMED, or REJECTED when a CONFIRMED or IN_TRANSIT reservation of the same driver
 * overlaps its window. A reservation no longer PENDING is returned as it is, so a re-run changes
 * nothing. Either decision is published: the customer hears both, the driver a confirmation.
 */
export async function persist(reservationId: string): Promise<ReservationWorkflowView> {
  const id = reservationId.toLowerCase();
  const decided = await decideReservation(await getPrimaryPool(), id);
  if (!decided) throw new NotFoundError(`There is no reservation ${id}.`);
  return toWorkflowView(decided, decisionEvents[decided.status] ?? null);
}

/**
 * The workflow's compensation: PENDING or CONFIRMED becomes FAILED with `reason`. A reservation
 * that already ended otherwise (REJECTED, CANCELLED, COMPLETED), is on the road (IN_TRANSIT: see
 * status.ts) or already FAILED stays as it is; the workflow compensates only a FAILED one.
 * The view's notification withdraws the job from the driver (sent only if they were told of it).
 */
export async function markFailed(reservationId: string, reason: string): Promise<ReservationWorkflowView> {
  const id = reservationId.toLowerCase();
  const current = await inTransaction(async (connection) => {
    const locked = await readReservation(connection, id, { forUpdate: true });
    if (!locked) throw new NotFoundError(`There is no reservation ${id}.`);
    if (!canTransition(locked.status, "FAILED")) return locked;
    await updateStatus(connection, id, locked.status, "FAILED", reason.slice(0, maxReasonLength) || "failed");
    return (await readReservation(connection, id)) as StoredReservation;
  });
  return toWorkflowView(current, "reservation-withdrawn");
}

/**
 * The customer's cancellation: only their own reservation (anyone else's is NotFound, so its
 * existence does not leak), only CONFIRMED, only before its window starts (`now` < start).
 * Cancelling an already CANCELLED reservation returns it again. PENDING is a ConflictError:
 * the decision is being made and takes a moment.
 */
export async function cancel(reservationId: string, customerId: string, now: Date): Promise<ReservationWorkflowView> {
  const customer = customerId.toLowerCase();
  const id = reservationId.toLowerCase();
  const cancelled = await inTransaction(async (connection) => {
    const locked = z.uuid().safeParse(id).success ? await readReservation(connection, id, { forUpdate: true }) : undefined;
    if (!locked || locked.customerId !== customer) throw new NotFoundError(`You have no reservation ${id}.`);
    if (locked.status === "CANCELLED") return locked;
    if (locked.status === "PENDING")
      throw new ConflictError("The reservation is still being decided; retry in a moment.");
    if (locked.status !== "CONFIRMED")
      throw new ConflictError(`A ${locked.status} reservation cannot be cancelled.`);
    if (now.getTime() >= Date.parse(locked.window.start))
      throw new ConflictError(`The reservation's window started at ${locked.window.start}; it can no longer be cancelled.`);
    await updateStatus(connection, id, "CONFIRMED", "CANCELLED", null);
    return (await readReservation(connection, id)) as StoredReservation;
  });
  return toWorkflowView(cancelled, "reservation-cancelled");
}

/**
 * The assigned driver's pickup: CONFIRMED becomes IN_TRANSIT at `now`, from `pickupLeadMinutes`
 * before the window starts (earlier is a ConflictError saying when it opens; a late pickup is still
 * a pickup). Anyone else's reservation, or an unknown one, is NotFound. Picking up again, also once
 * delivered, returns the reservation as it is.
 */
export async function pickUp(reservationId: string, driverId: string, now: Date): Promise<ReservationWorkflowView> {
  const id = reservationId.toLowerCase();
  const pickedUp = await inTransaction(async (connection) => {
    const locked = await lockDriversReservation(connection, id, driverId);
    if (locked.pickedUpAt !== null) return locked;
    if (locked.status !== "CONFIRMED") throw new ConflictError(`A ${locked.status} reservation cannot be picked up.`);
    const opensAt = Date.parse(locked.window.start) - pickupLeadMinutes * 60_000;
    if (now.getTime() < opensAt)
      throw new ConflictError(
        `The pickup opens at ${new Date(opensAt).toISOString()}, ${pickupLeadMinutes} minutes before the window starts at ${locked.window.start}.`,
      );
    await markPickedUp(connection, id, now);
    return (await readReservation(connection, id)) as StoredReservation;
  });
  return toWorkflowView(pickedUp, "reservation-picked-up");
}

/**
 * The assigned driver's delivery: IN_TRANSIT becomes COMPLETED at `now`. Anyone else's
 * reservation, or an unknown one, is NotFound; one not picked up yet is a ConflictError.
 * Delivering again returns the reservation as it is.
 */
export async function deliver(reservationId: string, driverId: string, now: Date): Promise<ReservationWorkflowView> {
  const id = reservationId.toLowerCase();
  const delivered = await inTransaction(async (connection) => {
    const locked = await lockDriversReservation(connection, id, driverId);
    if (locked.deliveredAt !== null) return locked;
    if (locked.status === "CONFIRMED") throw new ConflictError("The reservation is CONFIRMED: it must be picked up before it is delivered.");
    if (locked.status !== "IN_TRANSIT") throw new ConflictError(`A ${locked.status} reservation cannot be delivered.`);
    await markDelivered(connection, id, now);
    return (await readReservation(connection, id)) as StoredReservation;
  });
  return toWorkflowView(delivered, "reservation-delivered");
}

/** The reservation `reservationId` as stored on the primary, or undefined (a non-UUID included). */
export async function get(reservationId: string): Promise<ReservationRecord | undefined> {
  if (!z.uuid().safeParse(reservationId).success) return undefined;
  const stored = await readReservation(await getPrimaryPool(), reservationId.toLowerCase());
  return stored && stripInternals(stored);
}

/** The event each decision publishes; PENDING (not decided) publishes none. */
const decisionEvents: Partial<Record<ReservationRecord["status"], NotificationType>> = {
  CONFIRMED: "reservation-confirmed",
  REJECTED: "reservation-rejected",
};

/** The view the workflow carries; `notificationType` null when nothing is published. */
export function toWorkflowView(reservation: ReservationRecord, notificationType: NotificationType | null): ReservationWorkflowView {
  const window = { start: reservation.window.start, end: reservation.window.end };
  // The session outlives the window, or a delivery that ran late, by the grace period.
  const lastActivity = Math.max(...[window.end, reservation.pickedUpAt, reservation.deliveredAt].filter((at) => at !== null).map(Date.parse));
  return {
    reservationId: reservation.id,
    customerId: reservation.customerId,
    driverId: reservation.driverId,
    status: reservation.status,
    version: reservation.version,
    window,
    pickedUpAt: reservation.pickedUpAt,
    deliveredAt: reservation.deliveredAt,
    trackingExpiresAt: String(Math.floor(lastActivity / 1000) + trackingGraceSeconds),
    notification:
      notificationType === null
        ? null
        : {
            // Deterministic, so a re-run sends a message consumers recognise as seen.
            eventId: `${reservation.id}:${notificationType}`,
            type: notificationType,
            reservationId: reservation.id,
            driverId: reservation.driverId,
            customerId: reservation.customerId,
            pickup: { ...reservation.pickup },
            dropoff: { ...reservation.dropoff },
            window,
            cargo: { ...reservation.cargo },
            occurredAt: reservation.statusChangedAt,
          },
  };
}

/** `id` locked for update, if it is `driverId`'s; otherwise NotFound, so existence does not leak. */
async function lockDriversReservation(connection: PoolConnection, id: string, driverId: string): Promise<StoredReservation> {
  const locked = z.uuid().safeParse(id).success ? await readReservation(connection, id, { forUpdate: true }) : undefined;
  if (!locked || locked.driverId !== driverId.toLowerCase()) throw new NotFoundError(`You have no reservation ${id}.`);
  return locked;
}

/** The caller must be a customer, and the driver a driver with a truck that can carry the cargo. */
function checkParties(parties: Map<string, Party>, customer: string, driverId: string, request: ReservationRequest): void {
  if (parties.get(customer)?.role !== "customer")
    throw new ForbiddenError("Haul has no customer profile for the caller, so it cannot reserve.");
  const driver = parties.get(driverId);
  if (driver?.role !== "driver")
    throw new InvalidInputError("There is no driver with this id.", [{ name: "driverId", reason: "is not a known driver" }]);
  if (driver.capacityKg === null)
    throw new InvalidInputError("This driver has no truck.", [{ name: "driverId", reason: "has no truck assigned" }]);
  if (request.cargo.weightKg > driver.capacityKg)
    throw new InvalidInputError("The cargo is heavier than the truck can carry.", [
      { name: "cargo.weightKg", reason: `exceeds the truck's capacity of ${driver.capacityKg} kg` },
    ]);
}

function acceptedAs(reservation: ReservationRecord): AcceptedReservation {
  return { id: reservation.id, status: reservation.status, version: reservation.version };
}

function ensureSameRequest(existing: StoredReservation, customerId: string, requestHash: string): ReservationRecord {
  if (existing.customerId !== customerId || existing.requestHash !== requestHash)
    throw new ConflictError(`Reservation ${existing.id} already exists with other details.`);
  return stripInternals(existing);
}

// Canonical: fixed order, normalized values; the customer is part of it.
function hashRequest(customerId: string, request: ReservationRequest): string {
  const canonical = JSON.stringify([
    customerId,
    request.driverId.toLowerCase(),
    [request.pickup.lat, request.pickup.lon, request.pickup.address],
    [request.dropoff.lat, request.dropoff.lon, request.dropoff.address],
    [request.window.start, request.window.end],
    [request.cargo.weightKg.toFixed(3), request.cargo.description],
  ]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

function stripInternals(stored: StoredReservation): ReservationRecord {
  const { requestHash: _requestHash, ...reservation } = stored;
  return reservation;
}
