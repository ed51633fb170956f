/** GET /drivers/{id}/messages: a driver's messages, for that driver or an operator. */
import { notificationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { getMessageHistory, searching } from "./message-history.js";

const route = notificationApi.routes["GET /drivers/{id}/messages"];
const contract = routeContracts["GET /drivers/{id}/messages"];

export const handler = httpHandler(
  { roles: route.roles, params: contract.request.params, query: contract.request.query },
  async ({ params, query, principal }) => ({
    status: 200,
    body: await searching(() => getMessageHistory().listDriverMessages(principal, params.id, query)),
  }),
);
