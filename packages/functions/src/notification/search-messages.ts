/** GET /messages: every driver's messages, for operators. */
import { notificationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { getMessageHistory, searching } from "./message-history.js";

const route = notificationApi.routes["GET /messages"];
const contract = routeContracts["GET /messages"];

export const handler = httpHandler(
  { roles: route.roles, query: contract.request.query },
  async ({ query, principal }) => ({
    status: 200,
    body: await searching(() => getMessageHistory().searchMessages(principal, query)),
  }),
);
