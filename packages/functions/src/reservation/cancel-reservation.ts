/**
 * POST /reservations/{id}/cancel: the customer cancels their CONFIRMED reservation before its
 * window starts. Writes CANCELLED on the primary, then starts the `<id>-cancel` execution, which
 * invalidates the cache, tells the driver and closes the tracking session. Cancelling again
 * answers the same and starts nothing new.
 */
import { Reservation } from "@haul/core/reservation/reservation";
import { reservationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { makeReceipt } from "./receipt.js";
import { startCancelExecution } from "./start-workflow.js";

const route = reservationApi.routes["POST /reservations/{id}/cancel"];
const contract = routeContracts["POST /reservations/{id}/cancel"];

export const handler = httpHandler(
  { roles: route.roles, params: contract.request.params },
  async ({ params, principal, correlationId }) => {
    const cancelled = await Reservation.cancel(params.id, principal.userId, new Date());
    await startCancelExecution(cancelled, correlationId);
    return { status: 202, body: makeReceipt(cancelled.reservationId, cancelled.status) };
  },
);
