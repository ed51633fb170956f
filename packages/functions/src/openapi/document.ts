import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { httpApis, type HttpApiDeclaration, type RouteDeclaration } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { problemSchema } from "../shared/problem.js";
import type { RouteContract } from "./route-contract.js";

const problemContent = { "application/problem+json": { schema: problemSchema } };

/** What API Gateway itself answers (authorizer, throttling, payload limit, a failed integration): not problem+json, and not configurable on HTTP APIs. */
const gatewayMessage = z
  .object({ message: z.string() })
  .meta({ id: "GatewayMessage", description: "API Gateway's own answer, e.g. {\"message\":\"Unauthorized\"}" });
const gatewayContent = { "application/json": { schema: gatewayMessage } };

/** Every problem+json 503 carries it (shared/problem.ts, tracking/post-positions.ts). */
const retryAfterHeader = { "retry-after": { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } } };

type ErrorResponse = { description: string; content: Record<string, { schema: z.ZodType }>; headers?: typeof retryAfterHeader };

/** Errors every route of a kind can answer, so each contract lists only its own. */
function commonErrors(route: RouteDeclaration, contract: RouteContract) {
  const errors: Record<number, ErrorResponse> = {};
  if (contract.request) errors[400] = { description: "Invalid request; `invalid-params` names each field at fault", content: problemContent };
  if (contract.request?.body) {
    errors[413] = {
      description: "Body too large: over 64 KiB (problem+json), or over API Gateway's 10 MB (the gateway's message)",
      content: { ...problemContent, ...gatewayContent },
    };
    errors[415] = { description: "Body is not application/json", content: problemContent };
  }
  if (route.auth === "jwt") {
    errors[401] = {
      description:
        "Missing, forged, expired or wrong-audience token: the gateway's JWT authorizer answers `{\"message\":\"Unauthorized\"}` " +
        "(application/json, with `www-authenticate`); a valid token naming no user or role is refused by the handler (problem+json)",
      content: { ...problemContent, ...gatewayContent },
    };
    errors[403] = { description: `Role not allowed (allowed: ${(route.roles ?? []).join(", ")})`, content: problemContent };
  }
  // A route that reaches a dependency answers 503 when it does not answer in time (problemFromError).
  if ((route.uses ?? []).length > 0)
    errors[503] = { description: "A dependency did not answer in time; retry after `Retry-After` seconds", content: problemContent, headers: retryAfterHeader };
  errors[429] = { description: "Over the stage's or route's throttling limits; answered by the gateway", content: gatewayContent };
  errors[500] = {
    description: "Unexpected failure; the correlation id finds it in the logs (the gateway's message if the function itself failed)",
    content: { ...problemContent, ...gatewayContent },
  };
  return errors;
}

/**
 * Every declared route once, tagged with each API that serves it: a route two APIs share (each
 * service's GET /health) is one operation in this document.
 */
function routesOf(apis: readonly HttpApiDeclaration[]): Map<string, { route: RouteDeclaration; tags: string[] }> {
  const routes = new Map<string, { route: RouteDeclaration; tags: string[] }>();
  for (const api of apis) {
    for (const [routeKey, route] of Object.entries(api.routes)) {
      const seen = routes.get(routeKey);
      if (seen) seen.tags.push(api.name);
      else routes.set(routeKey, { route, tags: [api.name] });
    }
  }
  return routes;
}

function registerRoutes(registry: OpenAPIRegistry, apis: readonly HttpApiDeclaration[]): void {
  for (const [routeKey, { route, tags }] of routesOf(apis)) {
    const [method, path] = routeKey.split(" ") as [string, string];
    const contract = routeContracts[routeKey as keyof typeof routeContracts] as RouteContract | undefined;
    if (!contract) throw new Error(`Route ${routeKey} has no contract in route-contracts.ts`);
    const responses = Object.fromEntries(
      Object.entries(contract.responses).map(([status, response]: [string, RouteContract["responses"][number]]) => [
        status,
        {
          description: response.description,
          ...(status === "503" && !response.schema ? { headers: retryAfterHeader } : {}),
          ...(response.schema
            ? { content: { "application/json": { schema: response.schema } } }
            : Number(status) >= 400
              ? { content: problemContent }
              : {}),
        },
      ]),
    );
    registry.registerPath({
      method: method.toLowerCase() as "get" | "post",
      path,
      summary: route.summary,
      tags,
      ...(route.auth === "jwt" ? { security: [{ bearerAuth: [] }] } : {}),
      request: {
        ...(contract.request?.params ? { params: contract.request.params as z.ZodObject } : {}),
        ...(contract.request?.query ? { query: contract.request.query as z.ZodObject } : {}),
        ...(contract.request?.headers ? { headers: contract.request.headers as z.ZodObject } : {}),
        ...(contract.request?.body
          ? { body: { required: true, content: { "application/json": { schema: contract.request.body } } } }
          : {}),
      },
      responses: { ...commonErrors(route, contract), ...responses },
    });
  }
}

/**
 * The OpenAPI 3.1 document of the given HTTP APIs (default: every one), built from the declaration and
 * the route contracts. One API with its `serverUrl` gives that API's own document (the fuzzer's input).
 */
export function buildOpenApiDocument(apis: readonly HttpApiDeclaration[] = httpApis, serverUrl?: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Cognito (locally: the local issuer's) id token; `cognito:groups` holds the role.",
  });
  registerRoutes(registry, apis);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    info: {
      title: apis.length === 1 ? `Haul ${apis[0]!.name}` : "Haul API",
      version: "0.1.0",
      description: "Freight-truck reservations with live delivery tracking. Errors are application/problem+json (RFC 9457).",
    },
  });
}
