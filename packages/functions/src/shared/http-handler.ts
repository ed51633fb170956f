import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { randomUUID } from "node:crypto";
import type { ZodType } from "zod";
import type { Role } from "@haul/core/user";
import { correlationIdHeader } from "../declarations.js";
import { instrument, logger, metrics, MetricUnit } from "./powertools.js";
import { principalFromClaims, type Principal } from "./principal.js";
import {
  HttpProblem,
  fieldProblemsFromZod,
  problemFromError,
  problemResponse,
} from "./problem.js";

/** Largest request body accepted; API Gateway itself allows 10 MB, Haul never needs more than this. */
export const maxBodyBytes = 64 * 1024;

type HttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer;

interface RouteSchemas<Body, Query, Params> {
  readonly body?: ZodType<Body>;
  readonly query?: ZodType<Query>;
  readonly params?: ZodType<Params>;
}

interface HandlerOptions<Body, Query, Params> extends RouteSchemas<Body, Query, Params> {
  /** Roles allowed to call; taken from the route declaration. Omit for public routes. */
  readonly roles?: readonly Role[];
}

export interface HttpRequest<Body, Query, Params, Caller> {
  readonly body: Body;
  readonly query: Query;
  readonly params: Params;
  readonly principal: Caller;
  readonly correlationId: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface HttpReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type Caller<R> = R extends readonly Role[] ? Principal : Principal | undefined;

/**
 * Wraps a route's logic in the middleware every Haul handler shares: Powertools logging with a
 * correlation id, metrics and tracing (powertools.ts), role checks from the declaration, zod
 * validation of body, query and path, problem+json for every error, and one summary line per
 * request. The logic itself only sees typed input and returns a reply.
 */
export function httpHandler<
  Body = undefined,
  Query = undefined,
  Params = undefined,
  R extends readonly Role[] | undefined = undefined,
>(
  options: HandlerOptions<Body, Query, Params> & { readonly roles?: R },
  logic: (request: HttpRequest<Body, Query, Params, Caller<R>>) => Promise<HttpReply>,
) {
  const respond = async (event: HttpEvent, correlationId: string): Promise<APIGatewayProxyStructuredResultV2> => {
    const replyHeaders = { [correlationIdHeader]: correlationId };
    try {
      const principal = authorize(event, options.roles);
      const request = {
        body: parseBody(event, options.body),
        query: parsePart(options.query, event.queryStringParameters ?? {}, "query"),
        params: parsePart(options.params, event.pathParameters ?? {}, "path"),
        principal: principal as Caller<R>,
        correlationId,
        headers: event.headers,
      };
      const reply = await logic(request);
      return {
        statusCode: reply.status,
        headers: {
          ...replyHeaders,
          ...(reply.body === undefined ? {} : { "content-type": "application/json" }),
          ...reply.headers,
        },
        ...(reply.body === undefined ? {} : { body: JSON.stringify(reply.body) }),
      };
    } catch (error) {
      const problem = problemFromError(error);
      if (problem.status >= 500) logger.error("request failed", { error: error as Error });
      else logger.info("request refused", { status: problem.status, title: problem.title });
      return problemResponse(problem, replyHeaders);
    }
  };
  const handle = async (event: HttpEvent, _context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = performance.now();
    const correlationId = correlationIdOf(event);
    logger.setCorrelationId(correlationId);
    // Anything `respond` lets through becomes API Gateway's own 500.
    let status = 500;
    try {
      const result = await respond(event, correlationId);
      status = result.statusCode ?? 200;
      return result;
    } finally {
      completeRequest(event, status, Math.round(performance.now() - started));
    }
  };
  return instrument(handle);
}

/**
 * The one summary line of a request, and its counts. `apiRequestId` ties the line to the API's
 * access record, which carries only API Gateway's request id when the caller sent its own
 * correlation id. Metrics: counts without a route dimension, so a metric per route and status
 * does not multiply the cost; per-route latencies come from the log search's statistics.
 * Zeros are published too, so a metric's average is a rate.
 */
function completeRequest(event: HttpEvent, status: number, latencyMs: number): void {
  const summary = {
    route: event.routeKey,
    method: event.requestContext?.http?.method,
    path: event.rawPath,
    status,
    latencyMs,
    apiRequestId: event.requestContext?.requestId,
  };
  if (status >= 500) logger.error("request completed", summary);
  else logger.info("request completed", summary);
  metrics.addMetric("Requests", MetricUnit.Count, 1);
  metrics.addMetric("Refusals4xx", MetricUnit.Count, status >= 400 && status < 500 ? 1 : 0);
  metrics.addMetric("Errors5xx", MetricUnit.Count, status >= 500 ? 1 : 0);
}

function correlationIdOf(event: HttpEvent): string {
  const given = event.headers?.[correlationIdHeader];
  // Accept a caller's id only if it is a sane token, so logs cannot be polluted.
  if (given && /^[A-Za-z0-9._:-]{1,128}$/.test(given)) return given;
  return event.requestContext?.requestId ?? randomUUID();
}

function authorize(event: HttpEvent, allowed: readonly Role[] | undefined): Principal | undefined {
  const claims = "authorizer" in event.requestContext ? event.requestContext.authorizer?.jwt?.claims : undefined;
  const principal = principalFromClaims(claims);
  if (!allowed) return principal;
  // The gateway has verified the token; a token without a subject or role is still no caller.
  if (!principal) throw new HttpProblem(401, "Unauthorized", "The token names no user or no known role.");
  if (!allowed.includes(principal.role))
    throw new HttpProblem(403, "Forbidden", `This route is for ${allowed.join(", ")}; the caller is a ${principal.role}.`);
  return principal;
}

function parseBody<Body>(event: HttpEvent, schema: ZodType<Body> | undefined): Body {
  if (!schema) return undefined as Body;
  const raw = event.body ?? "";
  const text = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
  if (Buffer.byteLength(text) > maxBodyBytes)
    throw new HttpProblem(413, "Payload too large", `The body must be at most ${maxBodyBytes} bytes.`);
  const contentType = event.headers?.["content-type"] ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(contentType))
    throw new HttpProblem(415, "Unsupported media type", "Send the body as application/json.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, "Malformed JSON", "The body is not valid JSON.", [
      { name: "body", reason: "is not valid JSON" },
    ]);
  }
  return parsePart(schema, value, "body");
}

function parsePart<T>(schema: ZodType<T> | undefined, value: unknown, location: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpProblem(
    400,
    "Invalid request",
    `Some ${location} fields are invalid.`,
    fieldProblemsFromZod(result.error, location),
  );
}
