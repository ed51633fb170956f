/**
 * Route selection as API Gateway HTTP APIs do it: an exact route (method + path, path
 * variables allowed) first, then a route with a greedy `{name+}` variable, then `$default`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 */
import type { HttpApiDeclaration, RouteDeclaration } from "@haul/functions/declarations";

export interface RouteMatch {
  readonly routeKey: string;
  readonly route: RouteDeclaration;
  /** Decoded values of the path variables; absent when the route has none. */
  readonly pathParameters?: Record<string, string>;
}

export interface RouteTable {
  match(method: string, rawPath: string): RouteMatch | undefined;
  readonly routeKeys: readonly string[];
}

type Segment = { kind: "literal"; value: string } | { kind: "variable"; name: string } | { kind: "greedy"; name: string };

interface CompiledRoute {
  readonly routeKey: string;
  readonly route: RouteDeclaration;
  readonly method: string;
  readonly segments: readonly Segment[];
  readonly greedy: boolean;
  readonly literalCount: number;
}

/** The route keys an HTTP API declares, for comparing with what the cloud template exposes. */
export function listRoutes(api: HttpApiDeclaration): string[] {
  return Object.keys(api.routes);
}

export function createRouteTable(api: HttpApiDeclaration): RouteTable {
  const compiled: CompiledRoute[] = [];
  let defaultRoute: RouteDeclaration | undefined;
  for (const [routeKey, route] of Object.entries(api.routes)) {
    if (routeKey === "$default") defaultRoute = route;
    else compiled.push(compileRoute(routeKey, route));
  }

  return {
    routeKeys: listRoutes(api),
    match(method, rawPath) {
      const requestSegments = splitPath(rawPath);
      let best: { route: CompiledRoute; pathParameters: Record<string, string> } | undefined;
      for (const candidate of compiled) {
        if (candidate.method !== "ANY" && candidate.method !== method) continue;
        const pathParameters = matchSegments(candidate.segments, requestSegments);
        if (pathParameters && (!best || moreSpecific(candidate, best.route))) best = { route: candidate, pathParameters };
      }
      if (best) {
        const hasParameters = Object.keys(best.pathParameters).length > 0;
        return {
          routeKey: best.route.routeKey,
          route: best.route.route,
          ...(hasParameters ? { pathParameters: best.pathParameters } : {}),
        };
      }
      return defaultRoute ? { routeKey: "$default", route: defaultRoute } : undefined;
    },
  };
}

function compileRoute(routeKey: string, route: RouteDeclaration): CompiledRoute {
  const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
  if (!match) throw new Error(`Route key "${routeKey}" is not "<METHOD> /path" or "$default"`);
  const [, method, path] = match as unknown as [string, string, string];
  const segments = splitPath(path).map((text, index, all): Segment => {
    const variable = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(text);
    if (!variable) return { kind: "literal", value: text };
    if (variable[2] === "+") {
      if (index !== all.length - 1) throw new Error(`Greedy variable must end the path in "${routeKey}"`);
      return { kind: "greedy", name: variable[1]! };
    }
    return { kind: "variable", name: variable[1]! };
  });
  return {
    routeKey,
    route,
    method: method,
    segments,
    greedy: segments.some((segment) => segment.kind === "greedy"),
    literalCount: segments.filter((segment) => segment.kind === "literal").length,
  };
}

/** "/a/b" -> ["a", "b"]; "/" -> [""]; segments stay percent-encoded. */
function splitPath(path: string): string[] {
  return path.replace(/^\//, "").split("/");
}

function matchSegments(route: readonly Segment[], request: readonly string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let index = 0; index < route.length; index++) {
    const segment = route[index]!;
    if (segment.kind === "greedy") {
      const rest = request.slice(index);
      if (rest.length === 0 || rest.join("") === "") return undefined;
      parameters[segment.name] = rest.map(decodeSegment).join("/");
      return parameters;
    }
    const text = request[index];
    if (text === undefined) return undefined;
    if (segment.kind === "literal") {
      if (decodeSegment(text) !== segment.value) return undefined;
    } else {
      if (text === "") return undefined;
      parameters[segment.name] = decodeSegment(text);
    }
  }
  return request.length === route.length ? parameters : undefined;
}

/** API Gateway decodes URL-encoded request parameters before passing them on. */
function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Exact beats greedy; then more literal segments; then an explicit method beats ANY. */
function moreSpecific(candidate: CompiledRoute, current: CompiledRoute): boolean {
  if (candidate.greedy !== current.greedy) return !candidate.greedy;
  if (candidate.literalCount !== current.literalCount) return candidate.literalCount > current.literalCount;
  return current.method === "ANY" && candidate.method !== "ANY";
}
