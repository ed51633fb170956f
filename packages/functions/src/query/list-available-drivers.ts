/** GET /drivers/available?from=&to=: drivers with a truck and nothing booked in [from, to). */
import { queryApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { cachedReply, getReservationQueries, readOptions } from "./queries.js";

const route = queryApi.routes["GET /drivers/available"];
const contract = routeContracts["GET /drivers/available"];

export const handler = httpHandler({ roles: route.roles, query: contract.request.query }, async ({ query, headers }) =>
  cachedReply(await getReservationQueries().listAvailableDrivers(query, readOptions(headers))),
);
