/** The reservations benches send, and what became of them in the database. */
import { randomUUID } from "node:crypto";
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "@haul/core/db/pools";
import type { ReservationRequest } from "@haul/core/reservation/reservation";
import { now, type HttpClient } from "./http.js";

/** A valid reservation for `driverId` in `window`: Alexanderplatz to Potsdam, cargo 30-90% of `capacityKg` (one draw of `random`). */
export function reservationRequest(driverId: string, window: { readonly start: Date; readonly end: Date }, capacityKg: number, random: () => number = Math.random): ReservationRequest {
  return {
    driverId,
    pickup: { lat: 52.5208, lon: 13.4094, address: "Alexanderplatz 1, Berlin" },
    dropoff: { lat: 52.3906, lon: 13.0645, address: "Am Neuen Markt 1, Potsdam" },
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    cargo: { weightKg: Math.round(capacityKg * (0.3 + random() * 0.6)), description: "Pallets of machine parts" },
  };
}

/** status -> how many of these reservations have it, from the primary. */
export async function reservationStatuses(ids: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const pool = await getPrimaryPool();
  for (let offset = 0; offset < ids.length; offset += 1000) {
    const [rows] = await pool.query<RowDataPacket[]>("SELECT status, COUNT(*) AS n FROM reservations WHERE id IN (?) GROUP BY status", [ids.slice(offset, offset + 1000)]);
    for (const row of rows) counts[String(row.status)] = (counts[String(row.status)] ?? 0) + Number(row.n);
  }
  return counts;
}

/** `CONFIRMED n, REJECTED n, FAILED n, PENDING n`. */
export function describeStatuses(statuses: Readonly<Record<string, number>>): string {
  return ["CONFIRMED", "REJECTED", "FAILED", "PENDING"].map((status) => `${status} ${statuses[status] ?? 0}`).join(", ");
}

/** What became of one POST /reservations: set by `postReservation`. */
export interface PostedReservation {
  /** When the bench sent it (set by the caller). */
  readonly sentAt: number;
  /** When the reply was read. */
  acceptedAt?: number;
  /** The HTTP status; -1 when no reply came. */
  status?: number;
  /** The id of a 202. */
  reservationId?: string;
}

let errorsShown = 0;

/**
 * POSTs the JSON `body` to `url` (a ReservationApi's /reservations) as the customer of `token`, with an
 * Idempotency-Key of its own, and records the reply on `sample`. The first 3 refusals or failures of
 * the process are printed.
 */
export async function postReservation(http: HttpClient, url: URL, token: string, body: string, sample: PostedReservation): Promise<void> {
  try {
    const reply = await http.send(url, "POST", {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": randomUUID(),
    }, body);
    sample.acceptedAt = now();
    sample.status = reply.status;
    if (reply.status === 202) sample.reservationId = (JSON.parse(reply.body) as { reservationId: string }).reservationId;
    else if (errorsShown++ < 3) process.stdout.write(`  ! POST /reservations -> ${reply.status} ${reply.body.slice(0, 300)}\n`);
  } catch (error) {
    sample.status = -1;
    if (errorsShown++ < 3) process.stdout.write(`  ! POST /reservations failed: ${(error as Error).message}\n`);
  }
}
