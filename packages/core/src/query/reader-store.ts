/**
 * The statements the query service runs, as the read-only user, on whichever server it is given
 * (the replica, or the primary for the lag fallback). Keyset pagination by (window_start, id):
 * the reservations_customer_window and reservations_driver_window indexes end in the primary key,
 * so a customer's or driver's page is an index range scan.
 */
import type { Pool, RowDataPacket } from "mysql2/promise";
import type { ReservationRecord } from "../reservation/reservation.js";
import { toReservationRecord } from "../reservation/store.js";
import type { ReservationStatus } from "../reservation/status.js";
import type { TruckClass } from "../user.js";
import type { CursorPosition } from "./cursor.js";
import type { AvailableDriver } from "./schema.js";

/** Whose reservations a list shows. */
export type ListScope =
  | { readonly kind: "customer"; readonly customerId: string }
  | { readonly kind: "driver"; readonly driverId: string }
  | { readonly kind: "all" };

export interface ListSlice {
  readonly statuses?: readonly ReservationStatus[];
  /** window_start >= from */
  readonly from?: string;
  /** window_start < to */
  readonly to?: string;
  /** Only rows after this position. */
  readonly after?: CursorPosition;
  readonly limit: number;
}

const columns = `id, customer_id, driver_id, status, status_reason, status_changed_at, picked_up_at, delivered_at,
  pickup_lat, pickup_lon, pickup_address, dropoff_lat, dropoff_lon, dropoff_address,
  window_start, window_end, cargo_weight_kg, cargo_description, version, correlation_id, created_at, updated_at`;

export async function findReservation(pool: Pool, id: string): Promise<ReservationRecord | undefined> {
  const [rows] = await pool.execute<RowDataPacket[]>(`SELECT ${columns} FROM reservations WHERE id = ?`, [id]);
  return rows[0] ? toReservationRecord(rows[0]) : undefined;
}

export async function listReservations(pool: Pool, scope: ListScope, slice: ListSlice): Promise<ReservationRecord[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (scope.kind === "customer") {
    where.push("customer_id = ?");
    values.push(scope.customerId);
  } else if (scope.kind === "driver") {
    where.push("driver_id = ?");
    values.push(scope.driverId);
  }
  if (slice.statuses?.length) {
    where.push(`status IN (${slice.statuses.map(() => "?").join(", ")})`);
    values.push(...slice.statuses);
  }
  if (slice.from) {
    where.push("window_start >= ?");
    values.push(new Date(slice.from));
  }
  if (slice.to) {
    where.push("window_start < ?");
    values.push(new Date(slice.to));
  }
  if (slice.after) {
    where.push("(window_start > ? OR (window_start = ? AND id > ?))");
    values.push(new Date(slice.after.start), new Date(slice.after.start), slice.after.id);
  }
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${columns} FROM reservations ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY window_start, id LIMIT ${Number(slice.limit)}`,
    values,
  );
  return rows.map(toReservationRecord);
}

/** Whether `id` is a driver (an operator asking for an unknown driver gets a 404). */
export async function isDriver(pool: Pool, id: string): Promise<boolean> {
  const [rows] = await pool.execute<RowDataPacket[]>("SELECT 1 FROM users WHERE id = ? AND role = 'driver'", [id]);
  return rows.length > 0;
}

/** Drivers with a truck and no PENDING, CONFIRMED or IN_TRANSIT reservation overlapping [from, to), by name. */
export async function findAvailableDrivers(pool: Pool, from: string, to: string): Promise<AvailableDriver[]> {
  // [a, b) and [c, d) overlap iff a < d and c < b. PENDING counts: it may be confirmed any moment;
  // IN_TRANSIT too: the driver is on the road for that window.
  const [rows] = await pool.execute<RowDataPacket[]>(
    `SELECT u.id, u.name, t.id AS truck_id, t.plate, t.class, t.capacity_kg
       FROM users u JOIN trucks t ON t.driver_id = u.id
      WHERE u.role = 'driver'
        AND NOT EXISTS (SELECT 1 FROM reservations r
                         WHERE r.driver_id = u.id AND r.status IN ('PENDING', 'CONFIRMED', 'IN_TRANSIT')
                           AND r.window_start < ? AND r.window_end > ?)
      ORDER BY u.name, u.id`,
    [new Date(to), new Date(from)],
  );
  return rows.map((row) => ({
    driverId: String(row.id),
    name: String(row.name),
    truck: { id: String(row.truck_id), plate: String(row.plate), class: row.class as TruckClass, capacityKg: Number(row.capacity_kg) },
  }));
}

