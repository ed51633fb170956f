/**
 * POST /reservations: a customer reserves a driver and their truck. Writes the reservation PENDING
 * on the primary, then starts its workflow execution, and answers 202 with a link to follow it.
 *
 * `Idempotency-Key` is optional. With one, the reservation id is derived from (customer, key), so the
 * reservation row is the idempotency record, for good: a retry gets the same reservation with its
 * current status and starts the execution again only while it is PENDING (the execution is named by
 * the id, so that start is a no-op once one ran); the same key with another body is 422.
 * Without a key, every request is a new reservation.
 */
import { ConflictError } from "@haul/core/errors";
import { ReservationCache } from "@haul/core/reservation/query-cache";
import { Reservation } from "@haul/core/reservation/reservation";
import { reservationApi } from "../declarations.js";
import { reserveTruckHeaders, routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { logger } from "../shared/logger.js";
import { fieldProblemsFromZod, HttpProblem } from "../shared/problem.js";
import { startDecideExecution } from "./start-workflow.js";
import { makeReceipt } from "./receipt.js";

const route = reservationApi.routes["POST /reservations"];
const contract = routeContracts["POST /reservations"];

export const handler = httpHandler(
  { roles: route.roles, body: contract.request.body },
  async ({ body, principal, correlationId, headers }) => {
    const idempotencyKey = readIdempotencyKey(headers);
    const reservationId = idempotencyKey
      ? Reservation.deriveReservationId(principal.userId, idempotencyKey)
      : Reservation.randomReservationId();
    const reservation = await Reservation.accept(principal.userId, body, { reservationId, correlationId }).catch((error: unknown) => {
      // The key's reservation exists with another body (a random id never meets an existing row).
      throw error instanceof ConflictError && idempotencyKey ? idempotencyKeyReused() : error;
    });
    if (reservation.status === "PENDING") {
      try {
        await startDecideExecution(reservation.id, correlationId);
      } catch (error) {
        // With a key, the client's retry finds the PENDING row and starts the execution again.
        // Without one no retry can reach this reservation: end it rather than leave it PENDING.
        if (!idempotencyKey) await abandonReservation(reservation.id);
        throw error;
      }
    }
    const receipt = makeReceipt(reservation.id, reservation.status);
    return { status: 202, headers: { location: receipt.links.self }, body: receipt };
  },
);

function idempotencyKeyReused(): HttpProblem {
  return new HttpProblem(422, "Idempotency key reused", "This Idempotency-Key was used before with a different body.", [
    { name: "header.idempotency-key", reason: "was used before with a different body" },
  ]);
}

function readIdempotencyKey(headers: Readonly<Record<string, string | undefined>>): string | null {
  const parsed = reserveTruckHeaders.safeParse({ "idempotency-key": headers["idempotency-key"] });
  if (!parsed.success)
    throw new HttpProblem(400, "Invalid request", "Some header fields are invalid.", fieldProblemsFromZod(parsed.error, "header"));
  return parsed.data["idempotency-key"] ?? null;
}

async function abandonReservation(reservationId: string): Promise<void> {
  try {
    const failed = await Reservation.markFailed(reservationId, "the reservation workflow could not be started");
    await ReservationCache.invalidate(failed);
  } catch (error) {
    logger.error("could not mark an unstarted reservation FAILED; it stays PENDING", { reservationId, error: error as Error });
  }
}
