/**
 * The one declaration of what Haul runs: HTTP APIs with their routes and handlers,
 * and the DynamoDB tables. Plain data on purpose: `stacks/` builds AWS resources from it
 * and `packages/local` builds the local cloud from it, so the two cannot drift apart.
 * Handler strings are SST's form: `<path from repo root without extension>.<export>`.
 */

import type { Role } from "@haul/core/user";

/** `none` routes skip the JWT authorizer (health checks only). */
export type RouteAuth = "jwt" | "none";

export interface RouteDeclaration {
  readonly handler: string;
  readonly auth: RouteAuth;
  /** Roles allowed to call the route; enforced by the handler middleware, documented in OpenAPI. */
  readonly roles?: readonly Role[];
  readonly summary: string;
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
    },
  },
} as const satisfies HttpApiDeclaration;

export const httpApis: readonly HttpApiDeclaration[] = [reservationApi];

export const tables = {
  trackingSessions: {
    name: "TrackingSessions",
    partitionKey: "reservationId",
    timeToLiveAttribute: "expiresAt",
  },
  idempotency: {
    name: "Idempotency",
    partitionKey: "id",
    timeToLiveAttribute: "expiration",
  },
} as const satisfies Record<string, TableDeclaration>;

/** CORS, applied the same way by the HTTP API in the cloud and by the local gateway. */
export const cors = {
  allowOrigins: ["*"],
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["authorization", "content-type", "idempotency-key", "x-correlation-id"],
  exposeHeaders: ["x-correlation-id", "location"],
  maxAgeSeconds: 600,
} as const;

/** The header a correlation id travels in, onward and back. */
export const correlationIdHeader = "x-correlation-id";
