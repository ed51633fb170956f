import type { Context } from "aws-lambda";
import { z } from "zod";
import { Role } from "@haul/core/user";
import { instrument, logger, metrics, MetricUnit } from "./powertools.js";
import type { Principal } from "./principal.js";

/**
 * What the LiveApi's authorizer hands on (packages/functions/src/live/authorize-connection.ts):
 * API Gateway puts it in `requestContext.authorizer` of every event of the connection.
 */
export const ConnectionAuthorizerContext = z.object({ sub: z.string().min(1), role: Role });
export type ConnectionAuthorizerContext = z.infer<typeof ConnectionAuthorizerContext>;

/**
 * The event a WebSocket API's Lambda proxy integration receives, as far as Haul reads it.
 * `$connect` events also carry the upgrade request's headers and query string (the token among
 * them), which is why these events are never logged.
 */
export interface WebSocketEvent {
  readonly requestContext: {
    readonly routeKey: string;
    readonly eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
    readonly connectionId: string;
    /** Epoch milliseconds. */
    readonly connectedAt: number;
    readonly requestId: string;
    readonly domainName: string;
    readonly stage: string;
    readonly apiId: string;
    readonly messageId?: string;
    readonly disconnectStatusCode?: number;
    readonly disconnectReason?: string;
    readonly authorizer?: Readonly<Record<string, unknown>>;
  };
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export interface WebSocketRequest {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly principal: Principal;
  /** The message as text; absent on `$connect` and `$disconnect`. */
  readonly body: string | undefined;
}

export interface WebSocketReply {
  /** Sent back to the sender on a two-way route (JSON, unless already a string); ignored otherwise. */
  readonly body?: unknown;
}

export interface WebSocketResult {
  readonly statusCode: number;
  readonly body?: string;
}

/**
 * Wraps a WebSocket route's logic in what every LiveApi handler shares: Powertools logging with
 * the request id as correlation id, the caller as the authorizer established it at `$connect`,
 * and a 200 result whose body is the route response. A failure is logged with its connection and
 * rethrown: API Gateway then tells the sender "Internal server error". Metrics: `RouteFailures`,
 * 0 or 1 per invocation (its average is a rate).
 */
export function webSocketHandler(logic: (request: WebSocketRequest) => Promise<WebSocketReply | void>) {
  const handle = async (event: WebSocketEvent, _context: Context): Promise<WebSocketResult> => {
    const { requestContext } = event;
    logger.setCorrelationId(requestContext.requestId);
    try {
      const reply = await logic({
        connectionId: requestContext.connectionId,
        connectedAt: requestContext.connectedAt,
        principal: principalOf(requestContext.authorizer),
        body: messageText(event),
      });
      const body = reply?.body;
      metrics.addMetric("RouteFailures", MetricUnit.Count, 0);
      return { statusCode: 200, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) };
    } catch (error) {
      metrics.addMetric("RouteFailures", MetricUnit.Count, 1);
      // Named on the line rather than appended as keys: locally many handlers share one logger at once.
      logger.error("route failed", { connectionId: requestContext.connectionId, routeKey: requestContext.routeKey, error: error as Error });
      throw error;
    }
  };
  // The event is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says: a $connect event holds the token.
  return instrument(handle, { logEvent: false });
}

function principalOf(authorizer: Readonly<Record<string, unknown>> | undefined): Principal {
  const parsed = ConnectionAuthorizerContext.safeParse(authorizer);
  // Only a route outside the authorizer's reach could get here: a deployment mistake, not a caller's.
  if (!parsed.success) throw new Error("The event carries no authorizer context with sub and role");
  return { userId: parsed.data.sub, role: parsed.data.role };
}

function messageText(event: WebSocketEvent): string | undefined {
  if (event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
}
