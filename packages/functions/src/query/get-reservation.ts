/** GET /reservations/{id}: one reservation the caller may see, with its workflow progress. */
import { queryApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { cachedReply, getReservationQueries, readOptions } from "./queries.js";

const route = queryApi.routes["GET /reservations/{id}"];
const contract = routeContracts["GET /reservations/{id}"];

export const handler = httpHandler({ roles: route.roles, params: contract.request.params }, async ({ params, principal, headers }) =>
  cachedReply(await getReservationQueries().getReservation(principal, params.id, readOptions(headers))),
);
