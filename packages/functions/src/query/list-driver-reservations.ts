/** GET /drivers/{id}/reservations: a driver's reservations, for that driver or an operator. */
import { queryApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { cachedReply, getReservationQueries, readOptions } from "./queries.js";

const route = queryApi.routes["GET /drivers/{id}/reservations"];
const contract = routeContracts["GET /drivers/{id}/reservations"];

export const handler = httpHandler(
  { roles: route.roles, params: contract.request.params, query: contract.request.query },
  async ({ params, query, principal, headers }) =>
    cachedReply(await getReservationQueries().listDriverReservations(principal, params.id, query, readOptions(headers))),
);
