/**
 * `$disconnect`: forgets the connection. API Gateway sends it on a best-effort basis; a connection
 * it misses is dropped by the first push that finds it gone, or else by the table's TTL.
 */
import { Connection } from "@haul/core/live/connection";
import { webSocketHandler } from "../shared/websocket-handler.js";

export const handler = webSocketHandler(async ({ connectionId }) => {
  await Connection.remove(connectionId);
});
