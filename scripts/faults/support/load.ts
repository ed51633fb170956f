/** The load fault scripts put on the local cloud: reservations, reads of the query API, driver fixes. */
import { randomUUID } from "node:crypto";
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "@haul/core/db/pools";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { deriveReservationId } from "@haul/core/reservation/reservation-id";
import type { DriverNotification } from "@haul/core/reservation/schema";
import type { FaultCloud } from "./fault-run.js";

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly retryAfter: string | null;
  readonly body: string;
}

/** A request's reply; a connection that failed is status 0 (counted as a server failure). */
export async function send(url: string, init: RequestInit & { token?: string }): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.body) headers.set("content-type", "application/json");
  try {
    const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(30_000) });
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", retryAfter: response.headers.get("retry-after"), body: await response.text() };
  } catch (error) {
    return { status: 0, contentType: "", retryAfter: null, body: (error as Error).message };
  }
}

export const isServerFailure = (reply: Reply) => reply.status === 0 || reply.status >= 500;

/** A refusal that tells the client to come back: 503, problem+json, Retry-After. */
export const isRetryableRefusal = (reply: Reply) =>
  reply.status === 503 && reply.contentType.startsWith("application/problem+json") && reply.retryAfter !== null;

export const customers = demoPeopleWithRole("customer");
export const drivers = demoPeopleWithRole("driver");

const hour = 3_600_000;
/** Within the 365 days ahead the API allows, a random stretch per run; each index its own two-hour slot per driver. */
const windowBase = Math.ceil((Date.now() + 30 * 24 * hour + Math.random() * 200 * 24 * hour) / hour) * hour;

/** The id POST /reservations gives the `index`-th reservation sent with `idempotencyKey` (known before any reply). */
export const reservationIdFor = (index: number, idempotencyKey: string) => deriveReservationId(customers[index % customers.length]!.id, idempotencyKey);

/** POST /reservations for a seeded customer and driver, the index's own window. */
export async function postReservation(cloud: FaultCloud, index: number, idempotencyKey: string = randomUUID()): Promise<Reply> {
  const customer = customers[index % customers.length]!;
  const driver = drivers[index % drivers.length]!;
  const start = windowBase + Math.floor(index / drivers.length) * 2 * hour;
  return send(`${cloud.outputs.ReservationApiUrl}/reservations`, {
    method: "POST",
    token: await cloud.token("customer", customer.id),
    headers: { "idempotency-key": idempotencyKey },
    body: JSON.stringify({
      driverId: driver.id,
      pickup: { lat: 52.5208, lon: 13.4094, address: "Alexanderplatz 1, Berlin" },
      dropoff: { lat: 52.3906, lon: 13.0645, address: "Am Neuen Markt 1, Potsdam" },
      window: { start: new Date(start).toISOString(), end: new Date(start + hour).toISOString() },
      cargo: { weightKg: 500, description: "Pallets of machine parts" },
    }),
  });
}

export const reservationIdOf = (reply: Reply) => (JSON.parse(reply.body) as { reservationId: string }).reservationId;

/** Status by id of those of `ids` that have a row, from the primary. */
export async function statusesOf(ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const pool = await getPrimaryPool();
  const [rows] = await pool.query<RowDataPacket[]>("SELECT id, status FROM reservations WHERE id IN (?)", [ids]);
  return new Map(rows.map((row) => [String(row.id), String(row.status)]));
}

/** How many of `ids` are not yet in a final status (PENDING or missing), read from the primary. */
export async function notFinal(ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const pool = await getPrimaryPool();
  const [rows] = await pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM reservations WHERE id IN (?) AND status <> 'PENDING'", [ids]);
  return ids.length - Number(rows[0]!.n);
}

/** One read of the query API, uncached so it reaches the database: a customer's list or one reservation. */
export async function queryRead(cloud: FaultCloud, index: number, reservationIds: readonly string[]): Promise<Reply> {
  const customer = customers[index % customers.length]!;
  const token = await cloud.token("customer", customer.id);
  const headers = index % 3 === 0 ? { "cache-control": "no-cache" } : undefined;
  const id = reservationIds[index % Math.max(1, reservationIds.length)];
  const url = index % 2 === 0 || !id ? `${cloud.outputs.QueryApiUrl}/reservations` : `${cloud.outputs.QueryApiUrl}/reservations/${id}`;
  return send(url, { method: "GET", token, ...(headers ? { headers } : {}) });
}

/** A batch of `count` fixes of one driver, recordedAt 1 ms apart from `fromMs`: distinct documents. */
export function fixes(count: number, fromMs: number) {
  return Array.from({ length: count }, (_, i) => ({
    lat: 52.52 + i * 1e-5,
    lon: 13.4 + i * 1e-5,
    recordedAt: new Date(fromMs + i).toISOString(),
    speed: 14,
    heading: 90,
    accuracy: 5,
  }));
}

/** POST /positions: the `index`-th batch of `batchSize` fixes, each seeded driver in turn, recorded from `fromMs` on (no two batches overlap). */
export async function postFixes(cloud: FaultCloud, index: number, fromMs: number, batchSize: number): Promise<Reply> {
  const driver = drivers[index % drivers.length]!;
  const round = Math.floor(index / drivers.length);
  return send(`${cloud.outputs.TrackingApiUrl}/positions`, {
    method: "POST",
    token: await cloud.token("driver", driver.id),
    body: JSON.stringify({ fixes: fixes(batchSize, fromMs + round * batchSize) }),
  });
}

/** Documents of `driverIds` recorded at or after `fromMs` in OpenSearch's driver-positions. */
export async function positionsIndexed(searchUrl: string, driverIds: readonly string[], fromMs: number): Promise<number> {
  await fetch(`${searchUrl}/driver-positions*/_refresh`, { method: "POST" }).catch(() => undefined);
  const query = { query: { bool: { filter: [{ terms: { driverId: driverIds } }, { range: { recordedAt: { gte: new Date(fromMs).toISOString() } } }] } } };
  const response = await fetch(`${searchUrl}/driver-positions/_count`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(query) });
  if (!response.ok) throw new Error(`count: ${response.status}`);
  return ((await response.json()) as { count?: number }).count ?? 0;
}

/** A driver notification as the workflow's publishing states publish it (a confirmation). */
export function driverNotification(driverId: string): DriverNotification {
  const reservationId = randomUUID();
  return {
    eventId: `${reservationId}:reservation-confirmed`,
    type: "reservation-confirmed",
    reservationId,
    driverId,
    customerId: customers[0]!.id,
    pickup: { lat: 52.5208, lon: 13.4094, address: "Alexanderplatz 1, Berlin" },
    dropoff: { lat: 52.3906, lon: 13.0645, address: "Am Neuen Markt 1, Potsdam" },
    window: { start: "2027-05-05T21:00:00.000Z", end: "2027-05-05T23:00:00.000Z" },
    cargo: { weightKg: 800, description: "Machine parts on two pallets" },
    occurredAt: new Date().toISOString(),
  };
}
