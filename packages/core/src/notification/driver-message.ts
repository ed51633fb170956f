/**
 * Driver messages: what a driver is told about a reservation, in their terms. The workflow's
 * notification (a DriverNotification: ids, places, window, cargo) becomes a message with a title
 * and a sentence a driver can act on, and the same facts kept structured for the app (a map pin
 * for each place, the window to put in a calendar). One message per event: its id is the event id.
 *
 * A message is a pure function of its notification, so a redelivered notification composes the
 * very same message. Times in the text are UTC and say so: Haul does not know the driver's zone;
 * the app localises from `window`.
 */
import { z } from "zod";
import type { DriverNotification } from "../reservation/schema.js";

export * as DriverMessages from "./driver-message.js";

/**
 * The events a driver is told of (see audience.ts): a job given, cancelled or withdrawn. Pickup and
 * delivery are the driver's own doing, and a rejection concerns a job they never had.
 */
export const driverMessageTypes = ["reservation-confirmed", "reservation-cancelled", "reservation-withdrawn"] as const;
export const DriverMessageType = z.enum(driverMessageTypes);
export type DriverMessageType = z.infer<typeof DriverMessageType>;

/** A notification of a type the driver is told of. */
export type DriverMessageNotification = DriverNotification & { readonly type: DriverMessageType };

export function isDriverMessageNotification(notification: DriverNotification): notification is DriverMessageNotification {
  return (driverMessageTypes as readonly string[]).includes(notification.type);
}

/** `<reservation id>:<type>`, as the workflow derives it; printable ASCII, never a space. */
export const EventId = z
  .string()
  .regex(/^[\x21-\x7E]{1,200}$/, "must be an event id: 1 to 200 printable ASCII characters without spaces")
  .describe("The message's id: the event id, `<reservation id>:<type>`");

const MessagePlace = z.object({
  address: z.string(),
  location: z.object({ lat: z.number(), lon: z.number() }).describe("WGS 84 degrees"),
});

export const DriverMessage = z
  .object({
    eventId: EventId,
    type: DriverMessageType,
    driverId: z.uuid(),
    reservationId: z.uuid(),
    title: z.string().describe("A short headline, e.g. `New job: Tue, 1 Dec 2026, 08:00 UTC`"),
    text: z.string().describe("What happened and what the driver should do, in one or two sentences"),
    pickup: MessagePlace,
    dropoff: MessagePlace,
    window: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).describe("Half-open [start, end), UTC"),
    cargo: z.object({ weightKg: z.number(), description: z.string() }),
    createdAt: z.iso.datetime().describe("When it happened (the reservation's status change)"),
    read: z.boolean(),
    readAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "DriverMessage" });
export type DriverMessage = z.infer<typeof DriverMessage>;

/** A message as the history answers it: as stored, with the time the notification service stored it. */
export const DriverMessageView = DriverMessage.extend({
  receivedAt: z.iso.datetime({ offset: true }).optional().describe("When the notification service stored it"),
}).meta({ id: "DriverMessageView" });
export type DriverMessageView = z.infer<typeof DriverMessageView>;

/** What the LiveApi pushes to each of the driver's connections; `message.eventId` lets the app drop a repeat. */
export interface DriverMessageFrame {
  readonly type: "driver-message";
  readonly message: DriverMessage;
  /** The correlation id of the request that caused the message, when known (the pusher adds it). */
  readonly correlationId?: string;
}

export function toFrame(message: DriverMessage): DriverMessageFrame {
  return { type: "driver-message", message };
}

/** The message a notification tells its driver, unread. */
export function compose(notification: DriverMessageNotification): DriverMessage {
  const { pickup, dropoff, window, cargo } = notification;
  const job = `${weight(cargo.weightKg)} of ${cargo.description}`;
  const route = `from ${pickup.address} to ${dropoff.address}`;
  const when = `${instant(window.start)} to ${instant(window.end)}`;
  const { title, text } = {
    "reservation-confirmed": {
      title: `New job: ${instant(window.start)}`,
      text: `Pick up ${job} at ${pickup.address} from ${instant(window.start)} and deliver it to ${dropoff.address} by ${instant(window.end)}.`,
    },
    "reservation-cancelled": {
      title: `Job cancelled: ${instant(window.start)}`,
      text: `The customer cancelled the job ${route} (${job}, ${when}). You are free in that window.`,
    },
    "reservation-withdrawn": {
      title: `Job withdrawn: ${instant(window.start)}`,
      text: `Haul withdrew the job ${route} (${job}, ${when}): it could not be completed. Do not go to the pickup.`,
    },
  }[notification.type];
  return {
    eventId: notification.eventId,
    type: notification.type,
    driverId: notification.driverId.toLowerCase(),
    reservationId: notification.reservationId.toLowerCase(),
    title,
    text,
    pickup: { address: pickup.address, location: { lat: pickup.lat, lon: pickup.lon } },
    dropoff: { address: dropoff.address, location: { lat: dropoff.lat, lon: dropoff.lon } },
    window: { start: window.start, end: window.end },
    cargo: { weightKg: cargo.weightKg, description: cargo.description },
    createdAt: notification.occurredAt,
    read: false,
    readAt: null,
  };
}

// Fixed locale and zone: the text must not depend on the machine that composes it.
const dateTime = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
const kilograms = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 3 });

/** e.g. `Tue, 1 Dec 2026, 08:00 UTC` */
function instant(iso: string): string {
  return `${dateTime.format(new Date(iso))} UTC`;
}

/** e.g. `1,250.5 kg` */
function weight(kg: number): string {
  return `${kilograms.format(kg)} kg`;
}
