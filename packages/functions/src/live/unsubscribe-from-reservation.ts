/**
 * `{"action":"unsubscribe","reservationId":…}`: stops following a reservation. Answers
 * `{"type":"unsubscribed","reservationId"}`, also when the connection did not follow it.
 */
import { LiveTracking } from "@haul/core/tracking/live-tracking";
import { webSocketHandler } from "../shared/websocket-handler.js";
import { errorFrame } from "./frames.js";
import { reservationIdOf } from "./subscription-messages.js";

export const handler = webSocketHandler(async ({ connectionId, body }) => {
  const reservationId = reservationIdOf(body);
  if (!reservationId) return { body: errorFrame('unsubscribe needs a "reservationId" (a UUID)') };
  return { body: await LiveTracking.unsubscribe({ connectionId }, reservationId) };
});
