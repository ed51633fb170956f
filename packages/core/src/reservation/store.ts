/**
 * The reservations table: its rows as domain values, and the few statements the domain runs.
 * Everything here reads and writes the primary. Internal to the reservation module.
 */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "../db/pools.js";
import type { Cargo, Place, TimeWindow } from "./schema.js";
import type { ReservationStatus } from "./status.js";

/** A reservation as stored. Times are ISO-8601 UTC strings. */
export interface ReservationRecord {
  readonly id: string;
  readonly customerId: string;
  readonly driverId: string;
  readonly status: ReservationStatus;
  /** Why it was REJECTED or FAILED; null otherwise. */
  readonly statusReason: string | null;
  readonly statusChangedAt: string;
  /** When the driver marked the pickup (IN_TRANSIT); null before. */
  readonly pickedUpAt: string | null;
  /** When the driver marked the delivery (COMPLETED); null before. */
  readonly deliveredAt: string | null;
  readonly pickup: Place;
  readonly dropoff: Place;
  readonly window: TimeWindow;
  readonly cargo: Cargo;
  /** Starts at 1; every write adds one. */
  readonly version: number;
  readonly correlationId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A stored row together with what only the module needs. */
export interface StoredReservation extends ReservationRecord {
  readonly requestHash: string;
}

type Executor = Pool | PoolConnection;

const columns = `id, customer_id, driver_id, status, status_reason, status_changed_at, picked_up_at, delivered_at,
  pickup_lat, pickup_lon, pickup_address, dropoff_lat, dropoff_lon, dropoff_address,
  window_start, window_end, cargo_weight_kg, cargo_description, version, request_hash,
  correlation_id, created_at, updated_at`;

export async function readReservation(
  executor: Executor,
  id: string,
  options: { readonly forUpdate?: boolean } = {},
): Promise<StoredReservation | undefined> {
  const [rows] = await executor.execute<RowDataPacket[]>(
    `SELECT ${columns} FROM reservations WHERE id = ?${options.forUpdate ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0] ? rowToReservation(rows[0]) : undefined;
}

export interface NewReservation {
  readonly id: string;
  readonly customerId: string;
  readonly driverId: string;
  readonly pickup: Place;
  readonly dropoff: Place;
  readonly window: TimeWindow;
  readonly cargo: Cargo;
  readonly requestHash: string;
  readonly correlationId: string | null;
}

/**
 * Inserts a PENDING row if the customer is a customer and the driver a driver whose truck can carry
 * the cargo, checked in the same statement; false (nothing written) when any of that is not so.
 * A duplicate id fails with ER_DUP_ENTRY.
 */
export async function insertPendingIfAllowed(executor: Executor, reservation: NewReservation): Promise<boolean> {
  const [result] = await executor.execute<ResultSetHeader>(
    `INSERT INTO reservations (id, customer_id, driver_id, status,
       pickup_lat, pickup_lon, pickup_address, dropoff_lat, dropoff_lon, dropoff_address,
       window_start, window_end, cargo_weight_kg, cargo_description, request_hash, correlation_id)
     SELECT ?, customer.id, driver.id, 'PENDING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       FROM users customer
       JOIN users driver ON driver.id = ? AND driver.role = 'driver'
       JOIN trucks truck ON truck.driver_id = driver.id
      WHERE customer.id = ? AND customer.role = 'customer' AND truck.capacity_kg >= ?`,
    [
      reservation.id,
      reservation.pickup.lat,
      reservation.pickup.lon,
      reservation.pickup.address,
      reservation.dropoff.lat,
      reservation.dropoff.lon,
      reservation.dropoff.address,
      new Date(reservation.window.start),
      new Date(reservation.window.end),
      reservation.cargo.weightKg.toFixed(3),
      reservation.cargo.description,
      reservation.requestHash,
      reservation.correlationId,
      reservation.driverId,
      reservation.customerId,
      reservation.cargo.weightKg.toFixed(3),
    ],
  );
  return result.affectedRows === 1;
}

/** Moves `id` from `from` to `to`, bumping its version; false when it was not in `from`. */
export async function updateStatus(
  executor: Executor,
  id: string,
  from: ReservationStatus,
  to: ReservationStatus,
  reason: string | null,
): Promise<boolean> {
  const [result] = await executor.execute<ResultSetHeader>(
    `UPDATE reservations
        SET status = ?, status_reason = ?, status_changed_at = CURRENT_TIMESTAMP(3), version = version + 1
      WHERE id = ? AND status = ?`,
    [to, reason, id, from],
  );
  return result.affectedRows === 1;
}

/** CONFIRMED -> IN_TRANSIT at `at`, bumping the version; false when it was not CONFIRMED. */
export async function markPickedUp(executor: Executor, id: string, at: Date): Promise<boolean> {
  const [result] = await executor.execute<ResultSetHeader>(
    `UPDATE reservations
        SET status = 'IN_TRANSIT', status_reason = NULL, status_changed_at = ?, picked_up_at = ?, version = version + 1
      WHERE id = ? AND status = 'CONFIRMED'`,
    [at, at, id],
  );
  return result.affectedRows === 1;
}

/** IN_TRANSIT -> COMPLETED at `at`, bumping the version; false when it was not IN_TRANSIT. */
export async function markDelivered(executor: Executor, id: string, at: Date): Promise<boolean> {
  const [result] = await executor.execute<ResultSetHeader>(
    `UPDATE reservations
        SET status = 'COMPLETED', status_reason = NULL, status_changed_at = ?, delivered_at = ?, version = version + 1
      WHERE id = ? AND status = 'IN_TRANSIT'`,
    [at, at, id],
  );
  return result.affectedRows === 1;
}

/**
 * The workflow's decision for `id`, made by the decide_reservation procedure (migration 0008) in
 * one round trip and one transaction under the driver's lock: PENDING becomes CONFIRMED, or
 * REJECTED when it overlaps a CONFIRMED or IN_TRANSIT reservation of the driver. Returns the row
 * after it, as it is when no longer PENDING; undefined for an unknown id.
 */
export async function decideReservation(executor: Executor, id: string): Promise<StoredReservation | undefined> {
  const [results] = await executor.query<RowDataPacket[][]>("CALL decide_reservation(?)", [id]);
  const row = results[0]?.[0];
  return row ? rowToReservation(row) : undefined;
}

export interface Party {
  readonly id: string;
  readonly role: string;
  /** The driver's truck capacity, or null without a truck (and for non-drivers). */
  readonly capacityKg: number | null;
}

/** The users `ids` with their roles and, for drivers, their truck's capacity. */
export async function readParties(executor: Executor, ids: readonly string[]): Promise<Map<string, Party>> {
  const [rows] = await executor.query<RowDataPacket[]>(
    `SELECT u.id, u.role, t.capacity_kg FROM users u LEFT JOIN trucks t ON t.driver_id = u.id WHERE u.id IN (?)`,
    [ids],
  );
  return new Map(
    rows.map((row) => [
      String(row.id),
      { id: String(row.id), role: String(row.role), capacityKg: row.capacity_kg === null ? null : Number(row.capacity_kg) },
    ]),
  );
}

/**
 * Runs `work` in one transaction on one primary connection. The primary's sessions run at READ
 * COMMITTED (see db/pools.ts): each statement sees what was committed before it, so a decision
 * made after taking the driver's lock sees every decision committed by the lock's previous holder.
 * Rolls back on any error.
 */
export async function inTransaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  const pool = await getPrimaryPool();
  const connection = await pool.getConnection();
  let healthy = true;
  try {
    await connection.beginTransaction();
    const result = await work(connection);
    await connection.commit();
    return result;
  } catch (error) {
    await connection.rollback().catch(() => {
      healthy = false;
    });
    throw error;
  } finally {
    // A connection that cannot even roll back is broken: do not hand it to the next caller.
    if (healthy) connection.release();
    else connection.destroy();
  }
}

function rowToReservation(row: RowDataPacket): StoredReservation {
  return { ...toReservationRecord(row), requestHash: String(row.request_hash) };
}

/** A `reservations` row as the domain sees it; the query service's reader reads rows the same way. */
export function toReservationRecord(row: RowDataPacket): ReservationRecord {
  return {
    id: String(row.id),
    customerId: String(row.customer_id),
    driverId: String(row.driver_id),
    status: row.status as ReservationStatus,
    statusReason: row.status_reason === null ? null : String(row.status_reason),
    statusChangedAt: iso(row.status_changed_at),
    pickedUpAt: row.picked_up_at == null ? null : iso(row.picked_up_at),
    deliveredAt: row.delivered_at == null ? null : iso(row.delivered_at),
    pickup: { lat: Number(row.pickup_lat), lon: Number(row.pickup_lon), address: String(row.pickup_address) },
    dropoff: { lat: Number(row.dropoff_lat), lon: Number(row.dropoff_lon), address: String(row.dropoff_address) },
    window: { start: iso(row.window_start), end: iso(row.window_end) },
    cargo: { weightKg: Number(row.cargo_weight_kg), description: String(row.cargo_description) },
    version: Number(row.version),
    correlationId: row.correlation_id === null ? null : String(row.correlation_id),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function iso(value: unknown): string {
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}
