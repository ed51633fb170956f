/**
 * The one declaration of what Haul runs: HTTP APIs with their routes and handlers, the
 * reservation workflow's tasks, the driver-notification topic and queue, and the DynamoDB tables. Plain data on purpose: `stacks/` builds AWS resources from it
 * and `packages/local` builds the local cloud from it, so the two cannot drift apart.
 * Handler strings are SST's form: `<path from repo root without extension>.<export>`.
 */

import type { Role } from "@haul/core/user";

/** `none` routes skip the JWT authorizer (health checks only). */
export type RouteAuth = "jwt" | "none";

/**
 * What a function reaches besides its own logs. The cloud gives each function exactly these:
 * the environment that points at them, the grants to use them, and a place in the VPC when one of
 * them lives there (MySQL, Redis). `primary` is read-write as the admin user, `replica` read-only.
 */
export type FunctionUse =
  | "primary"
  /** The primary, but as the read-only user: the query service's fallback for rows the replica lacks yet. */
  | "primaryReadOnly"
  | "replica"
  | "redis"
  | `${keyof typeof tables}Table` | "reservationWorkflow";

export interface RouteDeclaration {
  readonly handler: string;
  readonly auth: RouteAuth;
  /** Roles allowed to call the route; enforced by the handler middleware, documented in OpenAPI. */
  readonly roles?: readonly Role[];
  readonly summary: string;
  /** What the handler reaches; nothing when absent. */
  readonly uses?: readonly FunctionUse[];
}

export interface HttpApiDeclaration {
  /** Stack and output prefix, e.g. `ReservationApi` gives the output `ReservationApiUrl`. */
  readonly name: string;
  readonly routes: Readonly<Record<string, RouteDeclaration>>;
}

export interface TableDeclaration {
  /** Logical name; the physical name is `<stage>-haul-<name>` in the cloud and locally. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute that DynamoDB expires items by, if any. */
  readonly timeToLiveAttribute?: string;
}

export const reservationApi = {
  name: "ReservationApi",
  routes: {
    "GET /health": {
      handler: "packages/functions/src/health/get-health.handler",
      auth: "none",
      summary: "Liveness of the API and its dependencies",
      uses: ["primary", "replica", "redis"],
    },
    "GET /openapi.json": {
      handler: "packages/functions/src/docs/get-openapi.handler",
      auth: "none",
      summary: "This API's OpenAPI 3.1 description",
    },
    "GET /me": {
      handler: "packages/functions/src/identity/get-me.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "The caller's identity and profile",
      uses: ["primary"],
    },
    "POST /reservations": {
      handler: "packages/functions/src/reservation/reserve-truck.handler",
      auth: "jwt",
      roles: ["customer"],
      summary: "Reserve a truck and its driver; starts the reservation workflow",
      // Redis: a reservation whose workflow cannot be started is marked FAILED and its cache invalidated.
      uses: ["primary", "redis", "reservationWorkflow"],
    },
    "POST /reservations/{id}/cancel": {
      handler: "packages/functions/src/reservation/cancel-reservation.handler",
      auth: "jwt",
      roles: ["customer"],
      summary: "Cancel one of the caller's reservations before its window starts",
      uses: ["primary", "reservationWorkflow"],
    },
  },
} as const satisfies HttpApiDeclaration;

/**
 * The read side, a service of its own: reads reservations from the replica through the Redis cache,
 * as a read-only database user. Its own HTTP API (own stack in the cloud, own port locally).
 */
export const queryApi = {
  name: "QueryApi",
  routes: {
    "GET /health": {
      handler: "packages/functions/src/query/get-query-health.handler",
      auth: "none",
      summary: "Liveness of the query service and its dependencies",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /reservations/{id}": {
      handler: "packages/functions/src/query/get-reservation.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "One reservation with its status and workflow progress",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /reservations": {
      handler: "packages/functions/src/query/list-reservations.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "The caller's reservations, filtered by status and time, sorted by pickup time, paginated",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /drivers/{id}/reservations": {
      handler: "packages/functions/src/query/list-driver-reservations.handler",
      auth: "jwt",
      roles: ["driver", "operator"],
      summary: "A driver's reservations, for that driver or an operator",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
    "GET /drivers/available": {
      handler: "packages/functions/src/query/list-available-drivers.handler",
      auth: "jwt",
      roles: ["customer", "driver", "operator"],
      summary: "Drivers with no overlapping reservation in [from, to)",
      uses: ["primaryReadOnly", "replica", "redis"],
    },
  },
} as const satisfies HttpApiDeclaration;

export const httpApis: readonly HttpApiDeclaration[] = [reservationApi, queryApi];

export const tables = {
  trackingSessions: {
    name: "TrackingSessions",
    partitionKey: "reservationId",
    timeToLiveAttribute: "expiresAt",
  },
} as const satisfies Record<string, TableDeclaration>;

export interface WorkflowTaskDeclaration {
  readonly handler: string;
  /** The ASL placeholder that receives the function's ARN, e.g. `${PersistReservationFunctionArn}`. */
  readonly arnSubstitution: string;
  /** What the handler reaches; nothing when absent. */
  readonly uses?: readonly FunctionUse[];
}

export interface WorkflowDeclaration {
  readonly name: string;
  /** The ASL file, from the repository root: the cloud and the local cloud run this very file. */
  readonly definitionFile: string;
  /** Lambda tasks, keyed by the name used in the ASL's substitutions. */
  readonly tasks: Readonly<Record<string, WorkflowTaskDeclaration>>;
  /** Placeholders for the topic ARN and table name the service integrations use. */
  readonly substitutions: {
    readonly driverNotificationsTopicArn: string;
    readonly trackingSessionsTableName: string;
  };
}

/** One Standard execution per reservation, named by the reservation id. */
export const reservationWorkflow = {
  name: "ReservationWorkflow",
  definitionFile: "packages/functions/src/reservation/workflow/reservation-workflow.asl.json",
  tasks: {
    PersistReservation: {
      handler: "packages/functions/src/reservation/workflow/persist-reservation.handler",
      arnSubstitution: "PersistReservationFunctionArn",
      uses: ["primary"],
    },
    InvalidateReservationCache: {
      handler: "packages/functions/src/reservation/workflow/invalidate-reservation-cache.handler",
      arnSubstitution: "InvalidateReservationCacheFunctionArn",
      uses: ["redis"],
    },
    MarkReservationFailed: {
      handler: "packages/functions/src/reservation/workflow/mark-reservation-failed.handler",
      arnSubstitution: "MarkReservationFailedFunctionArn",
      uses: ["primary"],
    },
  },
  substitutions: {
    driverNotificationsTopicArn: "DriverNotificationsTopicArn",
    trackingSessionsTableName: "TrackingSessionsTableName",
  },
} as const satisfies WorkflowDeclaration;

/** SNS topic for driver messages and the SQS queue (with a DLQ) subscribed to it. */
export const driverNotifications = {
  topicName: "DriverNotifications",
  queueName: "DriverNotificationsQueue",
  deadLetterQueueName: "DriverNotificationsDlq",
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: 5,
  visibilityTimeoutSeconds: 60,
} as const;

/** The variable a function reads a table's physical name from, e.g. `HAUL_TRACKING_SESSIONS_TABLE`. */
export function tableNameVariable(table: Pick<TableDeclaration, "name">): string {
  return `HAUL_${table.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_TABLE`;
}

/** CORS, applied the same way by the HTTP API in the cloud and by the local gateway. */
export const cors = {
  allowOrigins: ["*"],
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["authorization", "cache-control", "content-type", "idempotency-key", "x-correlation-id"],
  exposeHeaders: ["x-correlation-id", "location", "x-cache"],
  maxAgeSeconds: 600,
} as const;

/** The header a correlation id travels in, onward and back. */
export const correlationIdHeader = "x-correlation-id";
