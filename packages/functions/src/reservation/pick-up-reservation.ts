/**
 * POST /reservations/{id}/pickup: the assigned driver has the cargo on board. Writes IN_TRANSIT on
 * the primary, then starts the `<id>-pickup` execution, which invalidates the cache, tells the
 * customer and moves the tracking session to IN_TRANSIT. Picking up again answers the same and
 * starts nothing new (the execution's name is taken).
 */
import { Reservation } from "@haul/core/reservation/reservation";
import { reservationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { makeReceipt } from "./receipt.js";
import { startPickupExecution } from "./start-workflow.js";

const route = reservationApi.routes["POST /reservations/{id}/pickup"];
const contract = routeContracts["POST /reservations/{id}/pickup"];

export const handler = httpHandler(
  { roles: route.roles, params: contract.request.params },
  async ({ params, principal, correlationId }) => {
    const pickedUp = await Reservation.pickUp(params.id, principal.userId, new Date());
    await startPickupExecution(pickedUp, correlationId);
    return { status: 202, body: makeReceipt(pickedUp.reservationId, pickedUp.status) };
  },
);
