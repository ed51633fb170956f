/** POST /drivers/{id}/messages/read: the calling driver marks some of their messages read. */
import { notificationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { getMessageHistory } from "./message-history.js";

const route = notificationApi.routes["POST /drivers/{id}/messages/read"];
const contract = routeContracts["POST /drivers/{id}/messages/read"];

export const handler = httpHandler(
  { roles: route.roles, params: contract.request.params, body: contract.request.body },
  async ({ params, body, principal }) => ({
    status: 200,
    body: await getMessageHistory().markRead(principal, params.id, body.messageIds),
  }),
);
