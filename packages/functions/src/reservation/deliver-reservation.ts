/**
 * POST /reservations/{id}/deliver: the assigned driver has delivered the cargo. Writes COMPLETED on
 * the primary, then starts the `<id>-complete` execution, which invalidates the cache, tells the
 * customer and closes the tracking session. Delivering again answers the same and starts nothing
 * new (the execution's name is taken).
 */
import { Reservation } from "@haul/core/reservation/reservation";
import { reservationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { makeReceipt } from "./receipt.js";
import { startCompleteExecution } from "./start-workflow.js";

const route = reservationApi.routes["POST /reservations/{id}/deliver"];
const contract = routeContracts["POST /reservations/{id}/deliver"];

export const handler = httpHandler(
  { roles: route.roles, params: contract.request.params },
  async ({ params, principal, correlationId }) => {
    const delivered = await Reservation.deliver(params.id, principal.userId, new Date());
    await startCompleteExecution(delivered, correlationId);
    return { status: 202, body: makeReceipt(delivered.reservationId, delivered.status) };
  },
);
