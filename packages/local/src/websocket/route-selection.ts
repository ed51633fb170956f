/**
 * Route selection as a WebSocket API does it with a `$request.body.<path>` expression: a message
 * that is a JSON object whose value at `<path>` names a route goes to that route; anything else
 * (not JSON, not an object, no such value, no such route) goes to `$default`. `$connect` and
 * `$disconnect` are never selected by a message.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
 */

export interface RouteSelector {
  /** The route key for `body`, or undefined when no route takes it and there is no `$default`. */
  select(body: string): string | undefined;
}

export function createRouteSelector(expression: string, routeKeys: Iterable<string>): RouteSelector {
  const match = /^\$request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)$/.exec(expression);
  if (!match) throw new Error(`Route selection expression "${expression}" is not "$request.body.<path>"`);
  const path = match[1]!.split(".");
  const keys = new Set(routeKeys);
  const selectable = new Set([...keys].filter((key) => !key.startsWith("$")));
  const fallback = keys.has("$default") ? "$default" : undefined;

  return {
    select(body) {
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch {
        return fallback;
      }
      for (const name of path) {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return fallback;
        value = (value as Record<string, unknown>)[name];
      }
      return typeof value === "string" && selectable.has(value) ? value : fallback;
    },
  };
}
