/** `$connect`, after the authorizer admitted the caller: records the connection under its user. */
import { Connection } from "@haul/core/live/connection";
import { webSocketHandler } from "../shared/websocket-handler.js";

export const handler = webSocketHandler(async ({ connectionId, connectedAt, principal }) => {
  await Connection.save({ connectionId, connectedAt, userId: principal.userId, role: principal.role });
});
