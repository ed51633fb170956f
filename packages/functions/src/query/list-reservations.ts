/** GET /reservations: the caller's reservations, filtered, by pickup time, a page at a time. */
import { queryApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { cachedReply, getReservationQueries, readOptions } from "./queries.js";

const route = queryApi.routes["GET /reservations"];
const contract = routeContracts["GET /reservations"];

export const handler = httpHandler({ roles: route.roles, query: contract.request.query }, async ({ query, principal, headers }) =>
  cachedReply(await getReservationQueries().listReservations(principal, query, readOptions(headers))),
);
