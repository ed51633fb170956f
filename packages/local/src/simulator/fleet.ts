/**
 * What the simulator and the load test need before a truck can drive: drivers with trucks and
 * customers (created in the local database, idempotently), a CONFIRMED reservation for each truck
 * whose window starts now, and no leftover delivery of an earlier, interrupted run in the way.
 *
 * People are upserted straight into the local MySQL (HAUL_MYSQL_URL, as the cloud was given it):
 * a deployed stage's users come from Cognito, so there pass reservations and tokens instead.
 */
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "@haul/core/db/pools";
import { callApi, ApiError } from "./api-client.js";
import type { Point } from "./route.js";

export interface SimulatedPerson {
  readonly id: string;
  readonly name: string;
}

export interface SimulatedDriver extends SimulatedPerson {
  readonly capacityKg: number;
}

/** `<prefix>-0000-4000-8000-<n as 12 hex digits>`: a valid UUID per number. */
export const numberedId = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

export interface PeopleSpec {
  /** 8 hex digits that make the ids of this group, e.g. `e0000000`. */
  readonly idPrefix: string;
  /** Shown in names and e-mail addresses, e.g. `sim-driver`. */
  readonly label: string;
  readonly count: number;
}

const truckCapacityKg = 3500;

/** Drivers 1..count of the group, each with a 3,500 kg box truck (ids `<truck prefix>-…`). */
export async function ensureDrivers(spec: PeopleSpec & { readonly truckIdPrefix: string }): Promise<SimulatedDriver[]> {
  const people = await ensurePeople(spec, "driver");
  const pool = await getPrimaryPool();
  for (let offset = 0; offset < people.length; offset += 500) {
    const batch = people.slice(offset, offset + 500);
    await pool.query(
      "INSERT INTO trucks (id, driver_id, plate, class, capacity_kg) VALUES ? ON DUPLICATE KEY UPDATE driver_id = VALUES(driver_id), plate = VALUES(plate), class = VALUES(class), capacity_kg = VALUES(capacity_kg)",
      [batch.map((person, index) => [numberedId(spec.truckIdPrefix, offset + index + 1), person.id, `${spec.label.toUpperCase().slice(0, 6)}-${offset + index + 1}`, "box", truckCapacityKg])],
    );
  }
  return people.map((person) => ({ ...person, capacityKg: truckCapacityKg }));
}

export function ensureCustomers(spec: PeopleSpec): Promise<SimulatedPerson[]> {
  return ensurePeople(spec, "customer");
}

async function ensurePeople(spec: PeopleSpec, role: "driver" | "customer"): Promise<SimulatedPerson[]> {
  const pool = await getPrimaryPool();
  const people: SimulatedPerson[] = [];
  for (let first = 1; first <= spec.count; first += 500) {
    const numbers = Array.from({ length: Math.min(500, spec.count - first + 1) }, (_, index) => first + index);
    const rows = numbers.map((n) => [numberedId(spec.idPrefix, n), role, `${spec.label} ${n}`, `${spec.label}-${n}@sim.haul.example`]);
    await pool.query(
      "INSERT INTO users (id, role, name, email) VALUES ? ON DUPLICATE KEY UPDATE role = VALUES(role), name = VALUES(name), email = VALUES(email)",
      [rows],
    );
    for (const row of rows) people.push({ id: row[0]!, name: row[2]! });
  }
  return people;
}

export interface ReservationApis {
  readonly reservationApiUrl: string;
  readonly queryApiUrl: string;
}

export interface DeliveryRequest {
  readonly customerToken: string;
  readonly driver: SimulatedDriver;
  readonly pickup: Point & { readonly address: string };
  readonly dropoff: Point & { readonly address: string };
  /** The window; default from 30 s from now for 45 minutes, so pickup is allowed at once. */
  readonly window?: { readonly start: Date; readonly end: Date };
}

/** Reserves the driver's truck and waits until the workflow decided; resolves with the id once CONFIRMED. */
export async function reserveConfirmed(apis: ReservationApis, request: DeliveryRequest, timeoutMs = 30_000): Promise<string> {
  const start = request.window?.start ?? new Date(Date.now() + 30_000);
  const end = request.window?.end ?? new Date(start.getTime() + 45 * 60_000);
  const { body } = await callApi<{ reservationId: string }>("POST", `${apis.reservationApiUrl}/reservations`, {
    token: request.customerToken,
    body: {
      driverId: request.driver.id,
      pickup: request.pickup,
      dropoff: request.dropoff,
      window: { start: start.toISOString(), end: end.toISOString() },
      cargo: { weightKg: Math.round(request.driver.capacityKg * 0.6), description: "Pallets of machine parts" },
    },
  });
  const status = await waitForDecision(apis.queryApiUrl, request.customerToken, body.reservationId, timeoutMs);
  if (status.status !== "CONFIRMED") throw new Error(`Reservation ${body.reservationId} is ${status.status}${status.statusReason ? `: ${status.statusReason}` : ""}`);
  return body.reservationId;
}

/** Polls the query service until the reservation is no longer PENDING. */
export async function waitForDecision(queryApiUrl: string, token: string, reservationId: string, timeoutMs: number): Promise<{ status: string; statusReason?: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { body } = await callApi<{ status: string; statusReason?: string | null }>("GET", `${queryApiUrl}/reservations/${reservationId}`, {
        token,
        headers: { "cache-control": "no-cache" },
      });
      if (body.status !== "PENDING") return body;
    } catch (error) {
      // The replica may not have the row yet.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`Reservation ${reservationId} was not decided within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Ends what an interrupted earlier run left on the road for these drivers (CONFIRMED or IN_TRANSIT
 * reservations whose window overlaps [now, until), by default the next hour), through the API as
 * each driver would, so a new reservation for the same driver in that time is not refused as
 * overlapping. `until` must be within the pickup lead time. Returns how many it ended.
 */
export async function finishLeftovers(
  reservationApiUrl: string,
  drivers: readonly SimulatedDriver[],
  tokenFor: (driverId: string) => Promise<string>,
  until: Date = new Date(Date.now() + 60 * 60_000),
): Promise<number> {
  if (drivers.length === 0) return 0;
  const pool = await getPrimaryPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT id, driver_id, status FROM reservations WHERE driver_id IN (?) AND status IN ('CONFIRMED', 'IN_TRANSIT') AND window_start < ? AND window_end > ?",
    [drivers.map((driver) => driver.id), until, new Date()],
  );
  for (const row of rows) {
    const token = await tokenFor(String(row.driver_id));
    const path = `${reservationApiUrl}/reservations/${String(row.id)}`;
    if (row.status === "CONFIRMED") await callApi("POST", `${path}/pickup`, { token });
    await callApi("POST", `${path}/deliver`, { token });
  }
  return rows.length;
}
