import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { httpApis, type HttpApiDeclaration, type RouteDeclaration } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { problemSchema } from "../shared/problem.js";
import type { RouteContract } from "./route-contract.js";

const problemContent = { "application/problem+json": { schema: problemSchema } };

/** Errors every route of a kind can answer, so each contract lists only its own. */
function commonErrors(route: RouteDeclaration, contract: RouteContract) {
  const errors: Record<number, { description: string; content: typeof problemContent }> = {};
  if (contract.request) errors[400] = { description: "Invalid request; `invalid-params` names each field at fault", content: problemContent };
  if (contract.request?.body) {
    errors[413] = { description: "Body too large", content: problemContent };
    errors[415] = { description: "Body is not application/json", content: problemContent };
  }
  if (route.auth === "jwt") {
    errors[401] = { description: "Missing, forged, expired or wrong-audience token", content: problemContent };
    errors[403] = { description: `Role not allowed (allowed: ${(route.roles ?? []).join(", ")})`, content: problemContent };
  }
  errors[500] = { description: "Unexpected failure; the correlation id finds it in the logs", content: problemContent };
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
      Object.entries(contract.responses).map(([status, response]) => [
        status,
        {
          description: response.description,
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

/** The OpenAPI 3.1 document of every HTTP API, built from the declaration and the route contracts. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Cognito (locally: the local issuer's) id token; `cognito:groups` holds the role.",
  });
  registerRoutes(registry, httpApis);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Haul API",
      version: "0.1.0",
      description: "Freight-truck reservations with live delivery tracking. Errors are application/problem+json (RFC 9457).",
    },
  });
}
