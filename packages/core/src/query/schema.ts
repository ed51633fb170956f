/**
 * What the query service answers and accepts, as zod schemas: the reservation view (with its
 * workflow progress), list pages, available drivers, and the query strings of the list routes.
 * Query-string fields are strings on the wire; each is parsed here, and a field at fault is
 * named by its key, so the API can answer 400 naming it.
 */
import { z } from "zod";
import { checkTimeRange, instant, isUtcInstant, pageSize } from "../query-string.js";
import { maxWindowMs } from "../reservation/schema.js";
import { ReservationStatus, reservationStatuses } from "../reservation/status.js";
import { TruckClass } from "../user.js";
import { decodeCursor, fingerprintFilters, type Cursor } from "./cursor.js";

export { defaultPageSize, maxPageSize } from "../query-string.js";
/** Availability is asked for one reservation's window at a time: the longest window there is. */
export const maxAvailabilityRangeMs = maxWindowMs;

const placeView = z.object({ lat: z.number(), lon: z.number(), address: z.string() });

/**
 * Where the reservation stands in its workflow, read from the reservation itself (the workflow's
 * durable outcome; the query service has no access to executions, and this keeps answers cacheable):
 *   deciding   PENDING: the execution is deciding (milliseconds);
 *   confirmed / rejected   decided; after confirming it notifies the driver and opens tracking;
 *   cancelled  the `<id>-cancel` execution tells the driver and closes tracking;
 *   in-transit the driver picked the cargo up: the `<id>-pickup` execution starts tracking;
 *   completed  delivered: the `<id>-complete` execution ends tracking;
 *   failed     the workflow gave up and compensated.
 * `executionName` names the execution to inspect (Step Functions DescribeExecution).
 */
export const WorkflowProgress = z
  .object({
    phase: z.enum(["deciding", "confirmed", "in-transit", "rejected", "cancelled", "failed", "completed"]),
    settled: z.boolean().describe("False only while the workflow is still deciding (PENDING)"),
    since: z.iso.datetime().describe("When the reservation entered this phase"),
    executionName: z.string().describe("The Step Functions execution that brought it here"),
  })
  .meta({ id: "WorkflowProgress" });
export type WorkflowProgress = z.infer<typeof WorkflowProgress>;

export const ReservationView = z
  .object({
    reservationId: z.uuid(),
    customerId: z.uuid(),
    driverId: z.uuid(),
    status: ReservationStatus,
    statusReason: z.string().nullable().describe("Why it was REJECTED or FAILED"),
    statusChangedAt: z.iso.datetime(),
    pickedUpAt: z.iso.datetime().nullable().describe("When the driver picked the cargo up (IN_TRANSIT); null before"),
    deliveredAt: z.iso.datetime().nullable().describe("When the driver delivered it (COMPLETED); null before"),
    pickup: placeView,
    dropoff: placeView,
    window: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).describe("Half-open [start, end), UTC"),
    cargo: z.object({ weightKg: z.number(), description: z.string() }),
    version: z.number().int().positive().describe("Grows by one with every change"),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    workflow: WorkflowProgress,
  })
  .meta({ id: "ReservationView" });
export type ReservationView = z.infer<typeof ReservationView>;

export const ReservationPage = z
  .object({
    items: z.array(ReservationView).describe("Sorted by pickup time (window start), then id"),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  })
  .meta({ id: "ReservationPage" });
export type ReservationPage = z.infer<typeof ReservationPage>;

export const AvailableDriver = z
  .object({
    driverId: z.uuid(),
    name: z.string(),
    truck: z.object({ id: z.uuid(), plate: z.string(), class: TruckClass, capacityKg: z.number().int() }),
  })
  .meta({ id: "AvailableDriver" });
export type AvailableDriver = z.infer<typeof AvailableDriver>;

export const AvailableDrivers = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    drivers: z.array(AvailableDriver).describe("Drivers with a truck and no PENDING, CONFIRMED or IN_TRANSIT reservation overlapping [from, to), by name"),
  })
  .meta({ id: "AvailableDrivers" });
export type AvailableDrivers = z.infer<typeof AvailableDrivers>;

/** The filters a list cursor is bound to: the same list, only further on. */
export function listFingerprint(filters: { readonly status?: readonly string[] | undefined; readonly from?: string | undefined; readonly to?: string | undefined }): string {
  return fingerprintFilters([filters.status ?? null, filters.from ?? null, filters.to ?? null]);
}

const statusList = z
  .string()
  .transform((text, context) => {
    const statuses = [...new Set(text.split(",").map((part) => part.trim().toUpperCase()))].sort();
    const unknown = statuses.filter((status) => !(reservationStatuses as readonly string[]).includes(status));
    if (statuses.length === 0 || unknown.length > 0) {
      context.addIssue({ code: "custom", message: `must be a comma-separated list of ${reservationStatuses.join(", ")}` });
      return z.NEVER;
    }
    return statuses as ReservationStatus[];
  })
  .describe(`Only these statuses, comma-separated (${reservationStatuses.join(", ")}); default all`);

const cursor = z
  .string()
  .transform((text, context): Cursor => {
    const decoded = decodeCursor(text);
    if (!decoded) {
      context.addIssue({ code: "custom", message: "is not a cursor this API issued" });
      return z.NEVER;
    }
    return decoded;
  })
  .describe("The `nextCursor` of the previous page, with the same filters");

/** GET /reservations and GET /drivers/{id}/reservations. */
export const ListReservationsQuery = z
  .strictObject({
    status: statusList.optional(),
    from: instant.optional().describe("Pickup (window start) at or after this time"),
    to: instant.optional().describe("Pickup (window start) before this time"),
    limit: pageSize.optional(),
    cursor: cursor.optional(),
  })
  .superRefine((query, context) => {
    checkTimeRange(query, context);
    if (typeof query.cursor === "object" && query.cursor.filterFingerprint !== listFingerprint(query))
      context.addIssue({ code: "custom", path: ["cursor"], message: "was issued for other filters (status, from, to)" });
  });
export type ListReservationsQuery = z.output<typeof ListReservationsQuery>;

/** GET /drivers/available. */
export const AvailabilityQuery = z
  .strictObject({
    from: instant.describe("Start of the window, inclusive"),
    to: instant.describe("End of the window, exclusive"),
  })
  .superRefine((query, context) => {
    if (!isUtcInstant(query.from) || !isUtcInstant(query.to)) return;
    if (query.from >= query.to) context.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    else if (Date.parse(query.to) - Date.parse(query.from) > maxAvailabilityRangeMs)
      context.addIssue({ code: "custom", path: ["to"], message: "must be at most 14 days after from" });
  });
export type AvailabilityQuery = z.output<typeof AvailabilityQuery>;
