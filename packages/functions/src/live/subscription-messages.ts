/** The `subscribe` and `unsubscribe` messages apps send: `{"action":…,"reservationId":"<uuid>"}`. */
import { z } from "zod";

export const ReservationMessage = z.looseObject({ reservationId: z.uuid() });

/** The reservation id of a message, or undefined when the message is not JSON or names none. */
export function reservationIdOf(body: string | undefined): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body ?? "");
  } catch {
    return undefined;
  }
  const parsed = ReservationMessage.safeParse(message);
  return parsed.success ? parsed.data.reservationId.toLowerCase() : undefined;
}
