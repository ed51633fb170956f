/**
 * `$disconnect`: forgets the connection and the reservations it followed. API Gateway sends it on
 * a best-effort basis; a connection it misses is dropped by the first push that finds it gone, or
 * else by the tables' TTL.
 */
import { Connection } from "@haul/core/live/connection";
import { Subscription } from "@haul/core/live/subscription";
import { webSocketHandler } from "../shared/websocket-handler.js";

export const handler = webSocketHandler(async ({ connectionId }) => {
  await Promise.all([Connection.remove(connectionId), Subscription.removeConnection(connectionId)]);
});
