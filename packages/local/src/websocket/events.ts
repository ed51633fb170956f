/**
 * The events a WebSocket API hands to Lambda, in API Gateway's shapes:
 * - the REQUEST authorizer event of `$connect` (`methodArn` ends in `/<stage>/$connect`);
 * - CONNECT, with the upgrade request's headers (as sent, plus API Gateway's X-Forwarded-* and
 *   X-Amzn-Trace-Id) and query string, single- and multi-valued;
 * - MESSAGE, with `body` and a `messageId` (MESSAGE events only);
 * - DISCONNECT, with `disconnectStatusCode` and `disconnectReason`.
 * Every event of a connection carries the authorizer's context in `requestContext.authorizer`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html
 *
 * One deliberate difference: `domainName` keeps the port (`127.0.0.1:4005`), so that
 * `http://<domainName>/<stage>` reaches the local @connections API as `https://<domainName>/<stage>`
 * reaches API Gateway's.
 */
import { randomBytes } from "node:crypto";
import { formatRequestTime } from "../gateway/event.js";

/** What a connection's events share; fixed at `$connect`. */
export interface ConnectionFacts {
  readonly connectionId: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  readonly apiId: string;
  readonly stage: string;
  readonly domainName: string;
  readonly sourceIp: string;
  readonly userAgent: string;
}

export interface UpgradeRequest {
  /** Node's `rawHeaders`: name, value, name, value, ... as sent. */
  readonly rawHeaders: readonly string[];
  /** The raw query string, without `?`. */
  readonly rawQueryString: string;
  readonly localPort: number;
}

/** The authorizer's verdict as later events carry it: principalId, integrationLatency and the context. */
export type AuthorizerFields = Readonly<Record<string, string | number | boolean>>;

export type RouteEventType = "CONNECT" | "MESSAGE" | "DISCONNECT";

/** API Gateway's request, message and connection ids look like `L0SM9cOFvHcCIhw=`. */
export function newGatewayId(): string {
  // Without `/` and `+`, so an id can go into a URL path as it is.
  for (;;) {
    const id = randomBytes(10).toString("base64");
    if (!/[/+]/.test(id)) return id;
  }
}

interface RequestContextInput {
  readonly facts: ConnectionFacts;
  readonly routeKey: string;
  readonly eventType: RouteEventType;
  readonly requestId: string;
  readonly receivedAt: Date;
}

function requestContext(input: RequestContextInput) {
  return {
    routeKey: input.routeKey,
    eventType: input.eventType,
    extendedRequestId: input.requestId,
    requestTime: formatRequestTime(input.receivedAt),
    messageDirection: "IN" as const,
    stage: input.facts.stage,
    connectedAt: input.facts.connectedAt,
    requestTimeEpoch: input.receivedAt.getTime(),
    identity: { sourceIp: input.facts.sourceIp, userAgent: input.facts.userAgent },
    requestId: input.requestId,
    domainName: input.facts.domainName,
    connectionId: input.facts.connectionId,
    apiId: input.facts.apiId,
  };
}

/** The REQUEST authorizer's input; `methodArn` is `arn:aws:execute-api:<region>:<account>:<api>/<stage>/$connect`. */
export function buildAuthorizerEvent(
  request: UpgradeRequest,
  facts: ConnectionFacts,
  settings: { readonly region: string; readonly accountId: string; readonly requestId: string; readonly receivedAt: Date; readonly traceId: string },
) {
  return {
    type: "REQUEST" as const,
    methodArn: `arn:aws:execute-api:${settings.region}:${settings.accountId}:${facts.apiId}/${facts.stage}/$connect`,
    ...upgradeRequestFields(request, facts, settings.traceId),
    stageVariables: {},
    requestContext: requestContext({ facts, routeKey: "$connect", eventType: "CONNECT", requestId: settings.requestId, receivedAt: settings.receivedAt }),
  };
}

export function buildConnectEvent(
  request: UpgradeRequest,
  facts: ConnectionFacts,
  settings: { readonly requestId: string; readonly receivedAt: Date; readonly traceId: string; readonly authorizer: AuthorizerFields },
) {
  return {
    ...upgradeRequestFields(request, facts, settings.traceId),
    requestContext: {
      ...requestContext({ facts, routeKey: "$connect", eventType: "CONNECT", requestId: settings.requestId, receivedAt: settings.receivedAt }),
      authorizer: settings.authorizer,
    },
    isBase64Encoded: false,
  };
}

export function buildMessageEvent(
  facts: ConnectionFacts,
  settings: { readonly routeKey: string; readonly body: string; readonly requestId: string; readonly receivedAt: Date; readonly authorizer: AuthorizerFields },
) {
  return {
    requestContext: {
      ...requestContext({ facts, routeKey: settings.routeKey, eventType: "MESSAGE", requestId: settings.requestId, receivedAt: settings.receivedAt }),
      messageId: newGatewayId(),
      authorizer: settings.authorizer,
    },
    body: settings.body,
    isBase64Encoded: false,
  };
}

export function buildDisconnectEvent(
  facts: ConnectionFacts,
  settings: {
    readonly statusCode: number;
    readonly reason: string;
    readonly requestId: string;
    readonly receivedAt: Date;
    readonly authorizer: AuthorizerFields;
  },
) {
  // API Gateway's DISCONNECT events carry these few headers, not the upgrade request's.
  const headers = { Host: facts.domainName, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    requestContext: {
      ...requestContext({ facts, routeKey: "$disconnect", eventType: "DISCONNECT", requestId: settings.requestId, receivedAt: settings.receivedAt }),
      disconnectStatusCode: settings.statusCode,
      disconnectReason: settings.reason,
      authorizer: settings.authorizer,
    },
    isBase64Encoded: false,
  };
}

/** Headers and query string of the upgrade request, as the CONNECT and authorizer events carry them. */
function upgradeRequestFields(request: UpgradeRequest, facts: ConnectionFacts, traceId: string) {
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!;
    (multiValueHeaders[name] ??= []).push(request.rawHeaders[index + 1]!);
  }
  const forwardedFor = multiValueHeaders["X-Forwarded-For"]?.join(", ");
  multiValueHeaders["X-Forwarded-For"] = [forwardedFor ? `${forwardedFor}, ${facts.sourceIp}` : facts.sourceIp];
  multiValueHeaders["X-Forwarded-Port"] = [String(request.localPort)];
  multiValueHeaders["X-Forwarded-Proto"] = ["http"];
  multiValueHeaders["X-Amzn-Trace-Id"] = [traceId];
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values.join(",")]));

  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(request.rawQueryString)) {
    if (key) (multiValueQueryStringParameters[key] ??= []).push(value);
  }
  const hasQuery = Object.keys(multiValueQueryStringParameters).length > 0;
  // As in API Gateway's REST-style events, the single-valued map keeps a repeated key's last value.
  const queryStringParameters = Object.fromEntries(Object.entries(multiValueQueryStringParameters).map(([key, values]) => [key, values.at(-1)!]));
  return {
    headers,
    multiValueHeaders,
    ...(hasQuery ? { queryStringParameters, multiValueQueryStringParameters } : {}),
  };
}
