/**
 * CORS the way an HTTP API applies its CORS configuration: the gateway itself answers
 * preflight OPTIONS requests (origin + access-control-request-method), even with no OPTIONS
 * route, before routing and authorization; on other requests that carry an Origin it adds
 * the configured headers to the integration's response and drops any CORS headers the
 * integration set. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
 */

/**
 * `cors` of packages/functions/src/declarations.ts with the origins added: the local cloud passes
 * the web app's two exact origins (packages/local/src/main.ts).
 */
export interface CorsConfiguration {
  readonly allowOrigins: readonly string[];
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAgeSeconds?: number;
  readonly allowCredentials?: boolean;
}

export function isPreflightRequest(method: string, headers: Record<string, string | undefined>): boolean {
  return method === "OPTIONS" && !!headers.origin && !!headers["access-control-request-method"];
}

/** Headers of the gateway's own 204 answer to a preflight; none when the origin is not allowed. */
export function preflightHeaders(cors: CorsConfiguration, origin: string): Record<string, string> {
  const allowOrigin = allowedOriginValue(cors, origin);
  if (!allowOrigin) return {};
  const headers: Record<string, string> = { "access-control-allow-origin": allowOrigin };
  if (cors.allowCredentials) headers["access-control-allow-credentials"] = "true";
  if (cors.allowMethods?.length) headers["access-control-allow-methods"] = cors.allowMethods.join(",");
  if (cors.allowHeaders?.length) headers["access-control-allow-headers"] = cors.allowHeaders.join(",");
  if (cors.maxAgeSeconds !== undefined) headers["access-control-max-age"] = String(cors.maxAgeSeconds);
  return headers;
}

/** Headers added to an integration response for a request that came with an Origin. */
export function actualRequestHeaders(cors: CorsConfiguration, origin: string): Record<string, string> {
  const allowOrigin = allowedOriginValue(cors, origin);
  if (!allowOrigin) return {};
  const headers: Record<string, string> = { "access-control-allow-origin": allowOrigin };
  if (cors.allowCredentials) headers["access-control-allow-credentials"] = "true";
  if (cors.exposeHeaders?.length) headers["access-control-expose-headers"] = cors.exposeHeaders.join(",");
  return headers;
}

/** With CORS configured, the gateway ignores CORS headers returned by the integration. */
export function withoutCorsHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith("access-control-")));
}

/** "*" allows any origin; "https://*" any origin with that scheme; otherwise exact match. */
function allowedOriginValue(cors: CorsConfiguration, origin: string): string | undefined {
  for (const allowed of cors.allowOrigins) {
    if (allowed === "*") return cors.allowCredentials ? origin : "*";
    if (allowed.endsWith("://*") && origin.startsWith(allowed.slice(0, -1))) return origin;
    if (allowed === origin) return origin;
  }
  return undefined;
}
