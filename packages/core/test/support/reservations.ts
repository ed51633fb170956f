/**
 * Fixtures for reservation tests: people of their own (fresh ids, so tests never collide with
 * the demo's reservations or with each other), valid requests, and a row count. `removeTestPeople`
 * deletes them and their reservations.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "../../src/db/pools.js";
import type { ReservationRequest, ReservationRequestInput } from "../../src/reservation/schema.js";
import { ReservationRequest as RequestSchema } from "../../src/reservation/schema.js";

const created: string[] = [];
const hourMs = 60 * 60 * 1000;

export async function createTestCustomer(): Promise<string> {
  const id = randomUUID();
  const pool = await getPrimaryPool();
  await pool.execute("INSERT INTO users (id, role, name, email) VALUES (?, 'customer', 'Test Customer', ?)", [id, `${id}@test.haul.example`]);
  created.push(id);
  return id;
}

/** A driver with a truck of `capacityKg`, or without a truck when null. */
export async function createTestDriver(capacityKg: number | null = 5_000): Promise<string> {
  const id = randomUUID();
  const pool = await getPrimaryPool();
  await pool.execute("INSERT INTO users (id, role, name, email) VALUES (?, 'driver', 'Test Driver', ?)", [id, `${id}@test.haul.example`]);
  created.push(id);
  if (capacityKg !== null) {
    await pool.execute("INSERT INTO trucks (id, driver_id, plate, class, capacity_kg) VALUES (?, ?, ?, 'box', ?)", [
      randomUUID(),
      id,
      `T-${randomBytes(5).toString("hex").toUpperCase()}`,
      capacityKg,
    ]);
  }
  return id;
}

export async function removeTestPeople(): Promise<void> {
  const ids = created.splice(0);
  if (ids.length === 0) return;
  const pool = await getPrimaryPool();
  await pool.query("DELETE FROM reservations WHERE customer_id IN (?) OR driver_id IN (?)", [ids, ids]);
  await pool.query("DELETE FROM trucks WHERE driver_id IN (?)", [ids]);
  await pool.query("DELETE FROM users WHERE id IN (?)", [ids]);
}

/** [start, end) as ISO strings: `startHours` from a day ahead, lasting `hours`. */
export function windowAt(startHours: number, hours = 2): { start: string; end: string } {
  const base = Math.ceil(Date.now() / hourMs) * hourMs + 24 * hourMs;
  return {
    start: new Date(base + startHours * hourMs).toISOString(),
    end: new Date(base + (startHours + hours) * hourMs).toISOString(),
  };
}

export function requestBody(driverId: string, overrides: Partial<ReservationRequestInput> = {}): ReservationRequestInput {
  return {
    driverId,
    pickup: { lat: 52.52, lon: 13.405, address: "Alexanderplatz 1, 10178 Berlin" },
    dropoff: { lat: 48.1372, lon: 11.5756, address: "Marienplatz 8, 80331 München" },
    window: windowAt(0),
    cargo: { weightKg: 800, description: "Two pallets of books" },
    ...overrides,
  };
}

/** A validated request, as the handler hands it to the domain. */
export function validRequest(driverId: string, overrides: Partial<ReservationRequestInput> = {}): ReservationRequest {
  return RequestSchema.parse(requestBody(driverId, overrides));
}

export async function countReservations(where: { customerId?: string; driverId?: string; id?: string }): Promise<number> {
  const pool = await getPrimaryPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT COUNT(*) AS n FROM reservations WHERE (? IS NULL OR customer_id = ?) AND (? IS NULL OR driver_id = ?) AND (? IS NULL OR id = ?)",
    [where.customerId ?? null, where.customerId ?? null, where.driverId ?? null, where.driverId ?? null, where.id ?? null, where.id ?? null],
  );
  return Number(rows[0]?.n);
}

/** Moves a reservation's window (e.g. into the past), bypassing the domain: for "too late" cases. */
export async function moveWindow(reservationId: string, window: { start: string; end: string }): Promise<void> {
  const pool = await getPrimaryPool();
  await pool.execute("UPDATE reservations SET window_start = ?, window_end = ? WHERE id = ?", [
    new Date(window.start),
    new Date(window.end),
    reservationId,
  ]);
}
