/**
 * POST /reservations: a customer reserves a driver and their truck. Writes the reservation PENDING
 * on the primary, then starts its workflow execution, and answers 202 with a link to follow it.
 *
 * `Idempotency-Key` is optional. With one, the reservation id is derived from (customer, key) and
 * Powertools idempotency (DynamoDB table HAUL_IDEMPOTENCY_TABLE) replays the first reply for 24 h
 * and refuses the same key with a different body (422). Without one, every request is new.
 */
import { makeIdempotent, IdempotencyConfig } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { Context } from "aws-lambda";
import { ConflictError } from "@haul/core/errors";
import { ReservationCache } from "@haul/core/reservation/query-cache";
import { Reservation } from "@haul/core/reservation/reservation";
import { reservationApi } from "../declarations.js";
import { reserveTruckHeaders, routeContracts } from "../route-contracts.js";
import { getDynamoDbClient } from "../shared/aws-clients.js";
import { httpHandler } from "../shared/http-handler.js";
import { logger } from "../shared/logger.js";
import { fieldProblemsFromZod, HttpProblem } from "../shared/problem.js";
import { startDecideExecution } from "./start-workflow.js";
import { makeReceipt, type ReservationReceipt } from "./receipt.js";

const route = reservationApi.routes["POST /reservations"];
const contract = routeContracts["POST /reservations"];

interface ReserveTruckCommand {
  readonly customerId: string;
  readonly idempotencyKey: string | null;
  readonly request: Reservation.ReservationRequest;
  readonly correlationId: string;
}

export const handler = httpHandler(
  { roles: route.roles, body: contract.request.body },
  async ({ body, principal, correlationId, headers, context }) => {
    const idempotencyKey = readIdempotencyKey(headers);
    const command = { customerId: principal.userId, idempotencyKey, request: body, correlationId };
    const receipt = idempotencyKey ? await acceptOnce(command, context) : await acceptAndStart(command);
    return { status: 202, headers: { location: receipt.links.self }, body: receipt };
  },
);

async function acceptAndStart(command: ReserveTruckCommand): Promise<ReservationReceipt> {
  const reservationId = command.idempotencyKey
    ? Reservation.deriveReservationId(command.customerId, command.idempotencyKey)
    : Reservation.randomReservationId();
  let reservation: Reservation.ReservationRecord;
  try {
    reservation = await Reservation.accept(command.customerId, command.request, {
      reservationId,
      correlationId: command.correlationId,
    });
  } catch (error) {
    // The derived id exists with another body: the key was reused after its record expired.
    if (error instanceof ConflictError && command.idempotencyKey) throw idempotencyKeyReused();
    throw error;
  }
  try {
    await startDecideExecution(reservation.id, command.correlationId);
  } catch (error) {
    // With a key, the client's retry finds the PENDING row and starts the execution again.
    // Without one no retry can reach this reservation: end it rather than leave it PENDING.
    if (!command.idempotencyKey) await abandonReservation(reservation.id);
    throw error;
  }
  // PENDING when new; a late retry (after the idempotency record expired) sees the status it has now.
  return makeReceipt(reservation.id, reservation.status);
}

let idempotentAcceptAndStart: ((command: ReserveTruckCommand, context: Context) => Promise<ReservationReceipt>) | undefined;

/** acceptAndStart made idempotent on (customer, key), created on first use (it needs the table's name). */
async function acceptOnce(command: ReserveTruckCommand, context: Context): Promise<ReservationReceipt> {
  idempotentAcceptAndStart ??= makeIdempotent(
    (idempotent: ReserveTruckCommand, _context: Context) => acceptAndStart(idempotent),
    {
      persistenceStore: new DynamoDBPersistenceLayer({ tableName: idempotencyTableName(), awsSdkV3Client: getDynamoDbClient() }),
      // A stable prefix: records survive redeploys, which rename functions.
      keyPrefix: "reserve-truck",
      config: new IdempotencyConfig({
        eventKeyJmesPath: "[customerId, idempotencyKey]",
        payloadValidationJmesPath: "request",
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds: 24 * 60 * 60,
        hashFunction: "sha256",
      }),
    },
  );
  try {
    return await idempotentAcceptAndStart(command, context);
  } catch (error) {
    throw translateIdempotencyError(error);
  }
}

function translateIdempotencyError(error: unknown): unknown {
  switch ((error as Error | undefined)?.name) {
    case "IdempotencyValidationError":
      return idempotencyKeyReused();
    case "IdempotencyAlreadyInProgressError":
      return new HttpProblem(409, "Request in progress", "A request with this Idempotency-Key is still being processed. Retry shortly.");
    case "IdempotencyPersistenceLayerError":
    case "IdempotencyInconsistentStateError":
      logger.error("idempotency store failed", { error: error as Error });
      return new HttpProblem(503, "Service unavailable", "The request could not be recorded. Retry with the same Idempotency-Key.");
    default:
      return error;
  }
}

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

function idempotencyTableName(): string {
  const name = process.env.HAUL_IDEMPOTENCY_TABLE;
  if (!name) throw new Error("HAUL_IDEMPOTENCY_TABLE is not set: Idempotency-Key requests cannot be recorded");
  return name;
}
