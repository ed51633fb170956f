import { z } from "zod";
import { Profile, Role } from "@haul/core/user";
import type { HttpApiDeclaration } from "./declarations.js";
import { reservationApi } from "./declarations.js";
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
    dependencies: z.object({ primary: dependencyStatus, replica: dependencyStatus, redis: dependencyStatus }),
  })
  .meta({ id: "HealthReport" });

export const me = z
  .object({ userId: z.string(), role: Role, profile: Profile.meta({ id: "UserProfile" }) })
  .meta({ id: "Me" });

type RouteKeys<Api extends HttpApiDeclaration> = keyof Api["routes"] & string;

/** One contract per declared route; the type makes a missing or extra route a compile error. */
export const routeContracts = {
  "GET /health": {
    responses: {
      200: { description: "Every dependency answers", schema: healthReport },
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
} as const satisfies Record<RouteKeys<typeof reservationApi>, RouteContract>;
