/**
 * `{"action":"subscribe","reservationId":…}`: a customer follows one of their reservations that is
 * not final. Answers `{"type":"subscribed","reservationId","status","position"}` with the latest
 * position at once while the delivery runs; the one-minute push sends the next ones. Drivers, a
 * malformed message and any reservation the customer may not follow get an error frame, the same
 * one whether or not someone else's reservation exists.
 */
import { NotFoundError } from "@haul/core/errors";
import { LiveTracking } from "@haul/core/tracking/live-tracking";
import { webSocketHandler } from "../shared/websocket-handler.js";
import { errorFrame } from "./frames.js";
import { reservationIdOf } from "./subscription-messages.js";

export const handler = webSocketHandler(async ({ connectionId, connectedAt, principal, body }) => {
  if (principal.role !== "customer") return { body: errorFrame("only customers follow reservations") };
  const reservationId = reservationIdOf(body);
  if (!reservationId) return { body: errorFrame('subscribe needs a "reservationId" (a UUID)') };
  try {
    return { body: await LiveTracking.subscribe({ ...principal, connectionId, connectedAt }, reservationId) };
  } catch (error) {
    if (error instanceof NotFoundError) return { body: errorFrame(`you have no reservation ${reservationId} to follow (unknown, not yours, or finished)`) };
    throw error;
  }
});
