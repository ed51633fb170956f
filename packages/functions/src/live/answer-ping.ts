/**
 * `{"action":"ping"}`: answers `{"type":"pong"}` as the route response. API Gateway closes a
 * connection after 10 idle minutes, so apps ping to keep one open (and to see that it is).
 */
import { webSocketHandler } from "../shared/websocket-handler.js";
import { pongFrame } from "./frames.js";

export const handler = webSocketHandler(async () => ({ body: pongFrame }));
