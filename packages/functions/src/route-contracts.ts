import { z } from "zod";
import { Profile, Role } from "@haul/core/user";
import { pickupLeadMinutes, ReservationRequest, ReservationStatus } from "@haul/core/reservation/reservation";
import {
  AvailabilityQuery,
  AvailableDrivers,
  ListReservationsQuery,
  ReservationPage,
  ReservationView,
} from "@haul/core/query/schema";
import {
  AllMessagesQuery,
  DriverMessagePage,
  DriverMessagesQuery,
  MarkedMessages,
  MarkMessagesRead,
} from "@haul/core/notification/schema";
import { FixBatch, maxFixesPerBatch } from "@haul/core/tracking/fix";
import { FleetView } from "@haul/core/tracking/fleet";
import { TrailPage, TrailQuery } from "@haul/core/tracking/trail";
import { LogPage, LogSearchQuery } from "@haul/core/observability/log-search";
import { LogStatsQuery, LogStatsReport, maxStatsBuckets, maxStatsSpanMs } from "@haul/core/observability/log-stats";
import { ExecutionDetail, ExecutionPage, ExecutionPath, ListExecutionsQuery } from "@haul/core/workflow/executions";
import type { HttpApiDeclaration } from "./declarations.js";
import { notificationApi, observabilityApi, queryApi, reservationApi, trackingApi } from "./declarations.js";
import type { RouteContract } from "./openapi/route-contract.js";

const dependencyStatus = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  reason: z.string().optional().describe("Why it is down, e.g. ECONNREFUSED or timeout"),
});

export const healthReport = z
  .object({
    healthy: z.boolean(),
    checkedAt: z.iso.datetime(),
    dependencies: z.object({
      primary: dependencyStatus,
      replica: dependencyStatus,
      redis: dependencyStatus,
      opensearch: dependencyStatus
        .optional()
        .describe("The ReservationApi's check only (the QueryApi does not use OpenSearch); down when the cluster is red"),
    }),
    degraded: z
      .boolean()
      .optional()
      .describe("The QueryApi's check only: true while the replica is not used (down or lagging) and reads go to the primary"),
    reads: z
      .object({
        replica: z.enum(["up", "down", "lagging"]),
        readingFrom: z.enum(["replica", "primary"]),
        since: z.iso.datetime().describe("When reads last changed source"),
        reason: z.string().optional().describe("Why the replica is not used: an error code, `timeout`, or `lag > <bound> s`"),
      })
      .optional()
      .describe("The QueryApi's check only: where reads go now"),
  })
  .meta({ id: "HealthReport" });

export const me = z
  .object({ userId: z.string(), role: Role, profile: Profile.meta({ id: "UserProfile" }) })
  .meta({ id: "Me" });

/** Printable ASCII, like the keys clients generate (UUIDs, ULIDs, hashes). */
export const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, "must be 1 to 255 printable ASCII characters without spaces")
  .describe(
    "Optional. The reservation id is derived from (customer, key), so a retry with the same key returns the same " +
      "reservation (202, with its current status) and creates or starts nothing new; the same key with a different body " +
      "is refused with 422. A key stays bound to its reservation for good (it never expires).",
  );

export const reserveTruckHeaders = z.object({ "idempotency-key": idempotencyKey.optional() });

export const reservationReceipt = z
  .object({
    reservationId: z.uuid(),
    status: ReservationStatus,
    links: z.object({
      self: z.string().describe("Follow the reservation here (query API)"),
      cancel: z.string().describe("POST here to cancel it"),
    }),
  })
  .meta({ id: "ReservationReceipt" });

export const reservationPath = z.object({ id: z.uuid().describe("The reservation id") });
export const driverPath = z.object({ id: z.uuid().describe("The driver's user id") });

/** Query routes answer from the cache unless the client asks for the database. */
export const queryHeaders = z.object({
  "cache-control": z
    .string()
    .optional()
    .describe("`no-cache`: answer from the database, without reading or filling the cache (`x-cache: bypass`)"),
});

export const acceptedFixes = z.object({ accepted: z.number().int().describe("Fixes written to the stream: all of the batch") }).meta({ id: "AcceptedFixes" });

type RouteKeys<Api extends HttpApiDeclaration> = keyof Api["routes"] & string;

/** One contract per declared route; the type makes a missing or extra route a compile error. */
export const routeContracts = {
  "GET /health": {
    responses: {
      200: { description: "Every dependency the service needs answers (the QueryApi's also while its replica is down: `degraded`)", schema: healthReport },
      503: { description: "Some dependency does not answer; the report names it", schema: healthReport },
    },
  },
  "GET /openapi.json": {
    responses: { 200: { description: "This document (OpenAPI 3.1)" } },
  },
  "GET /me": {
    responses: {
      200: { description: "The caller's identity and profile", schema: me },
      404: { description: "The token is valid but Haul has no profile for its subject" },
    },
  },
  "POST /reservations": {
    request: { body: ReservationRequest, headers: reserveTruckHeaders },
    responses: {
      202: {
        description:
          "Accepted as PENDING (header `location` names it); the workflow decides CONFIRMED or REJECTED. " +
          "A retry with the same Idempotency-Key returns the same reservation with its current status.",
        schema: reservationReceipt,
      },
      403: { description: "The caller is not a customer, or Haul has no customer profile for them" },
      422: {
        description:
          "Unknown driver, a driver without a truck, cargo over the truck's capacity (`invalid-params` names the field), " +
          "or an Idempotency-Key already bound to a reservation with a different body",
      },
      503: { description: "A dependency did not answer; retry (with the same Idempotency-Key)" },
    },
  },
  "POST /reservations/{id}/cancel": {
    request: { params: reservationPath },
    responses: {
      202: {
        description:
          "CANCELLED; the workflow tells the driver, closes the tracking session and invalidates the cache. " +
          "Cancelling again answers the same.",
        schema: reservationReceipt,
      },
      404: { description: "The caller has no reservation with this id" },
      409: { description: "Still being decided (retry shortly), not CONFIRMED, or its window has started" },
      503: { description: "A dependency did not answer; retry" },
    },
  },
  "POST /reservations/{id}/pickup": {
    request: { params: reservationPath },
    responses: {
      202: {
        description:
          `IN_TRANSIT; the \`<id>-pickup\` execution starts tracking, tells the customer and invalidates the cache. ` +
          `Allowed from ${pickupLeadMinutes} minutes before the window starts. Picking up again answers the reservation as it is.`,
        schema: reservationReceipt,
      },
      404: { description: "The calling driver has no reservation with this id (another driver's is not found either)" },
      409: { description: `Not CONFIRMED (the detail names its status), or earlier than ${pickupLeadMinutes} minutes before the window (the detail says when it opens)` },
      503: { description: "A dependency did not answer; retry" },
    },
  },
  "POST /reservations/{id}/deliver": {
    request: { params: reservationPath },
    responses: {
      202: {
        description:
          "COMPLETED; the `<id>-complete` execution ends tracking, tells the customer and invalidates the cache. " +
          "Delivering again answers the reservation as it is.",
        schema: reservationReceipt,
      },
      404: { description: "The calling driver has no reservation with this id (another driver's is not found either)" },
      409: { description: "Not IN_TRANSIT: not picked up yet, or ended otherwise (the detail names its status)" },
      503: { description: "A dependency did not answer; retry" },
    },
  },
  "GET /ops/executions": {
    request: { query: ListExecutionsQuery },
    responses: {
      200: { description: "The reservation workflow's executions, newest first, each with the reservation and command its name stands for", schema: ExecutionPage },
      400: { description: "A bad status or limit, or a cursor not issued for this status: `invalid-params` names the query field" },
      403: { description: "The caller is not an operator" },
    },
  },
  "GET /ops/executions/{name}": {
    request: { params: ExecutionPath },
    responses: {
      200: { description: "The execution with its input and outcome, its states in the order entered (attempts, failures) and its whole history", schema: ExecutionDetail },
      400: { description: "Not an execution name Haul gives: `invalid-params` names `path.name`" },
      403: { description: "The caller is not an operator" },
      404: { description: "No execution with this name" },
    },
  },
  // QueryApi (GET /health is shared with the ReservationApi above).
  "GET /reservations/{id}": {
    request: { params: reservationPath, headers: queryHeaders },
    responses: {
      200: { description: "The reservation with its workflow progress; header `x-cache` says hit, miss or bypass", schema: ReservationView },
      404: { description: "No reservation with this id that the caller may see (another customer's is not found either)" },
    },
  },
  "GET /reservations": {
    request: { query: ListReservationsQuery, headers: queryHeaders },
    responses: {
      200: {
        description:
          "The caller's reservations (a customer's own, a driver's assignments, all for an operator), by pickup time; " +
          "read from the replica, so a change may show a moment late. Header `x-cache` says hit, miss or bypass",
        schema: ReservationPage,
      },
    },
  },
  "GET /drivers/{id}/reservations": {
    request: { params: driverPath, query: ListReservationsQuery, headers: queryHeaders },
    responses: {
      200: { description: "The driver's reservations, by pickup time; header `x-cache` says hit, miss or bypass", schema: ReservationPage },
      403: { description: "A driver asking for another driver's reservations, or a customer" },
      404: { description: "An operator asking for an id that is no driver" },
    },
  },
  "GET /drivers/available": {
    request: { query: AvailabilityQuery, headers: queryHeaders },
    responses: {
      200: {
        description: "Drivers with a truck and no PENDING, CONFIRMED or IN_TRANSIT reservation overlapping [from, to); header `x-cache` says hit, miss or bypass",
        schema: AvailableDrivers,
      },
    },
  },
  // NotificationApi: the drivers' message history.
  "GET /drivers/{id}/messages": {
    request: { params: driverPath, query: DriverMessagesQuery },
    responses: {
      200: { description: "The driver's messages, newest first; `unread=true` lists the ones still to read", schema: DriverMessagePage },
      403: { description: "A driver asking for another driver's messages, or a customer" },
    },
  },
  "POST /drivers/{id}/messages/read": {
    request: { params: driverPath, body: MarkMessagesRead },
    responses: {
      200: {
        description: "Which of the given messages are read now, and which are not the driver's; marking again changes nothing",
        schema: MarkedMessages,
      },
      403: { description: "Not the driver whose messages these are" },
    },
  },
  "GET /messages": {
    request: { query: AllMessagesQuery },
    responses: {
      200: { description: "Messages of every driver (or of `driverId`), newest first", schema: DriverMessagePage },
    },
  },
  // TrackingApi: drivers' fixes in, trails and the fleet out.
  "POST /positions": {
    request: { body: FixBatch },
    responses: {
      202: { description: "Every fix is in the positions stream", schema: acceptedFixes },
      400: { description: `A bad batch: \`invalid-params\` names each bad fix field (\`body.fixes.3.lat\`); more than ${maxFixesPerBatch} fixes; nothing was written` },
      403: { description: "The caller is not a driver" },
      503: {
        description:
          "Some fix could not be written to the stream: wait `Retry-After` seconds and send the whole batch again " +
          "(a fix is identified by driver and recordedAt, so one written twice is stored once)",
      },
    },
  },
  "GET /reservations/{id}/positions": {
    request: { params: reservationPath, query: TrailQuery },
    responses: {
      200: { description: "The positions recorded between pickup and delivery (or now), oldest first; empty before pickup", schema: TrailPage },
      404: { description: "No reservation with this id that the caller may see (another customer's or driver's is not found either)" },
    },
  },
  "GET /ops/fleet": {
    responses: {
      200: { description: "Every truck in transit with its latest position since pickup", schema: FleetView },
      403: { description: "The caller is not an operator" },
    },
  },
  // ObservabilityApi: operators read the refined API logs.
  "GET /ops/logs": {
    request: { query: LogSearchQuery },
    responses: {
      200: { description: "Log events matching every filter given, newest first", schema: LogPage },
      400: { description: "A bad filter, or a cursor issued for other filters: `invalid-params` names the query field" },
      403: { description: "The caller is not an operator" },
    },
  },
  "GET /ops/logs/stats": {
    request: { query: LogStatsQuery },
    responses: {
      200: {
        description: "Per route, from access records (one per request, refused ones included): requests, 5xx and 4xx with their rates, p50/p95/p99 latency, and a histogram",
        schema: LogStatsReport,
      },
      400: {
        description: `A bad field, a window over ${maxStatsSpanMs / 86_400_000} days, or an interval giving more than ${maxStatsBuckets} buckets: \`invalid-params\` names the query field`,
      },
      403: { description: "The caller is not an operator" },
    },
  },
} as const satisfies Record<
  | RouteKeys<typeof reservationApi>
  | RouteKeys<typeof queryApi>
  | RouteKeys<typeof notificationApi>
  | RouteKeys<typeof trackingApi>
  | RouteKeys<typeof observabilityApi>,
  RouteContract
>;
