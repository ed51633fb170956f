/**
 * The shapes of a reservation: the request a customer makes (validated AND typed by zod, unknown
 * fields refused, times normalized to UTC) and the view the workflow passes between its states.
 * Field paths in zod issues match the request body, so the API names exactly the field at fault.
 */
import { z } from "zod";
import { ReservationStatus } from "./status.js";

/** A window may last at most this long. */
export const maxWindowMs = 14 * 24 * 60 * 60 * 1000;
/** A window may start at most this far ahead. */
export const maxLeadMs = 365 * 24 * 60 * 60 * 1000;
export const maxCargoWeightKg = 100_000;

/** ISO-8601 with seconds and an offset (`Z` or `±hh:mm`), normalized to UTC with milliseconds. */
const instant = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString())
  .describe("ISO-8601 date-time with an offset, e.g. 2026-12-01T08:00:00+01:00; answered in UTC");

/** What `instant` produces; anything else here is a value that failed its own check. */
const utcInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const Place = z
  .strictObject({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    address: z.string().trim().min(1).max(300),
  })
  .meta({ id: "Place", description: "A point (WGS 84 degrees) and its postal address" });
export type Place = z.output<typeof Place>;

export const TimeWindow = z
  .strictObject({ start: instant, end: instant })
  .superRefine((window, context) => {
    // zod runs this even when a time failed its own check; that one was reported already.
    if (!utcInstant.test(window.start) || !utcInstant.test(window.end)) return;
    const start = Date.parse(window.start);
    const end = Date.parse(window.end);
    const now = Date.now();
    if (start <= now) context.addIssue({ code: "custom", path: ["start"], message: "must be in the future" });
    else if (start > now + maxLeadMs)
      context.addIssue({ code: "custom", path: ["start"], message: "must be at most 365 days ahead" });
    if (end <= start) context.addIssue({ code: "custom", path: ["end"], message: "must be after start" });
    else if (end - start > maxWindowMs)
      context.addIssue({ code: "custom", path: ["end"], message: "must be at most 14 days after start" });
  })
  .meta({
    id: "TimeWindow",
    description: "Half-open [start, end) in UTC: a window ending at 10:00 does not overlap one starting at 10:00",
  });
export type TimeWindow = z.output<typeof TimeWindow>;

export const Cargo = z
  .strictObject({
    // Grams at most: the column is DECIMAL(10,3). At least one gram, not just positive: zod's multipleOf
    // takes a tiny float such as 5e-324 for a multiple of 0.001, which the column rounds to 0 (found by the fuzzer).
    weightKg: z.number().min(0.001).max(maxCargoWeightKg).multipleOf(0.001),
    description: z.string().trim().min(1).max(500),
  })
  .meta({ id: "Cargo" });
export type Cargo = z.output<typeof Cargo>;

/** What a customer asks for; the customer is the caller, never part of the body. */
export const ReservationRequest = z
  .strictObject({
    driverId: z.uuid().transform((id) => id.toLowerCase()),
    pickup: Place,
    dropoff: Place,
    window: TimeWindow,
    cargo: Cargo,
  })
  .meta({ id: "ReservationRequest" });
/** A validated, normalized request. */
export type ReservationRequest = z.output<typeof ReservationRequest>;
/** A request as sent (times with any offset). */
export type ReservationRequestInput = z.input<typeof ReservationRequest>;

/**
 * The events a reservation's status changes publish, one per change (the notification consumer
 * decides who hears which: packages/core/src/notification/audience.ts). `withdrawn` is the
 * workflow giving up on a reservation (FAILED).
 */
export const notificationTypes = [
  "reservation-confirmed",
  "reservation-rejected",
  "reservation-cancelled",
  "reservation-withdrawn",
  "reservation-picked-up",
  "reservation-delivered",
] as const;
export const NotificationType = z.enum(notificationTypes);
export type NotificationType = z.infer<typeof NotificationType>;

const placeView = z.object({ lat: z.number(), lon: z.number(), address: z.string() });
const windowView = z.object({ start: z.iso.datetime(), end: z.iso.datetime() });

/**
 * The event a status change publishes (the driver's message and the customer's status frame are
 * made from it); `eventId` is `<reservationId>:<type>`, for consumers to deduplicate on.
 */
export const DriverNotification = z.object({
  eventId: z.string(),
  type: NotificationType,
  reservationId: z.uuid(),
  driverId: z.uuid(),
  customerId: z.uuid(),
  pickup: placeView,
  dropoff: placeView,
  window: windowView,
  cargo: z.object({ weightKg: z.number(), description: z.string() }),
  occurredAt: z.iso.datetime(),
});
export type DriverNotification = z.infer<typeof DriverNotification>;

/**
 * What PersistReservation and MarkReservationFailed return and the workflow keeps at
 * `$.reservation`. `trackingExpiresAt` is epoch seconds as a string (the DynamoDB N the
 * OpenTrackingSession task writes): a day after the window ends, or after the pickup or delivery
 * when that was later. `notification` is the event the workflow publishes; null when there is
 * none (PENDING). `pickedUpAt` and `deliveredAt` go into the tracking session.
 */
export const ReservationWorkflowView = z.object({
  reservationId: z.uuid(),
  customerId: z.uuid(),
  driverId: z.uuid(),
  status: ReservationStatus,
  version: z.number().int().positive(),
  window: windowView,
  // Defaults: a view started before these existed still parses.
  pickedUpAt: z.iso.datetime().nullable().default(null),
  deliveredAt: z.iso.datetime().nullable().default(null),
  trackingExpiresAt: z.string().regex(/^\d+$/),
  notification: DriverNotification.nullable(),
});
export type ReservationWorkflowView = z.infer<typeof ReservationWorkflowView>;
