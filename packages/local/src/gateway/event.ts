/**
 * Builds the payload format 2.0 event an HTTP API hands to a Lambda integration.
 * Shape: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * - header names lower-cased, repeated headers joined with commas; the Cookie header moves
 *   to `cookies` (one entry per cookie) and is not repeated in `headers`;
 * - repeated query keys joined with commas in `queryStringParameters`, values decoded;
 * - `body`, `queryStringParameters`, `pathParameters`, `cookies` are left out when empty;
 * - the body is text only for text/*, application/json, application/xml and
 *   application/javascript; anything else (including no Content-Type and form posts) is
 *   base64 with `isBase64Encoded: true` (verified against AWS in ministackorg/ministack PR #766).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";

export interface IncomingRequest {
  readonly method: string;
  /** The request target as received, e.g. "/items/a%20b?x=1&x=2". */
  readonly url: string;
  /** Node's `rawHeaders`: name, value, name, value, ... in arrival order. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly protocol: string;
  readonly localPort: number;
}

export interface EventContext {
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly requestId: string;
  readonly traceId: string;
  readonly receivedAt: Date;
  /** Present only on routes behind the JWT authorizer. */
  readonly jwt?: { readonly claims: Record<string, string>; readonly scopes: string[] | null };
}

export type HttpApiEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer;

/** Connection-level headers that end at the gateway. */
const hopByHopHeaders = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

const textContentTypes = new Set(["application/json", "application/xml", "application/javascript"]);

export function buildHttpApiEvent(request: IncomingRequest, context: EventContext): HttpApiEvent {
  const questionMark = request.url.indexOf("?");
  const rawPath = questionMark === -1 ? request.url : request.url.slice(0, questionMark);
  const rawQueryString = questionMark === -1 ? "" : request.url.slice(questionMark + 1);

  const { headers, cookies } = collectHeaders(request.rawHeaders);
  headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${request.sourceIp}` : request.sourceIp;
  headers["x-forwarded-port"] = String(request.localPort);
  headers["x-forwarded-proto"] = "http";
  headers["x-amzn-trace-id"] = context.traceId;

  const host = (headers.host ?? "localhost").replace(/:\d+$/, "");
  const queryStringParameters = parseQueryString(rawQueryString);

  const requestContext = {
    accountId: context.accountId,
    apiId: context.apiId,
    ...(context.jwt ? { authorizer: { jwt: { claims: context.jwt.claims, scopes: context.jwt.scopes } } } : {}),
    domainName: host,
    domainPrefix: host.split(".")[0] ?? host,
    http: {
      method: request.method,
      path: rawPath,
      protocol: request.protocol,
      sourceIp: request.sourceIp,
      userAgent: headers["user-agent"] ?? "",
    },
    requestId: context.requestId,
    routeKey: context.routeKey,
    stage: context.stage,
    time: formatRequestTime(context.receivedAt),
    timeEpoch: context.receivedAt.getTime(),
  };

  const event: HttpApiEvent = {
    version: "2.0",
    routeKey: context.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: requestContext as APIGatewayProxyEventV2WithJWTAuthorizer["requestContext"],
    ...(context.pathParameters ? { pathParameters: context.pathParameters } : {}),
    isBase64Encoded: false,
  };
  if (request.body.length > 0) {
    const text = isTextContentType(headers["content-type"]);
    event.body = text ? request.body.toString("utf8") : request.body.toString("base64");
    event.isBase64Encoded = !text;
  }
  return event;
}

function collectHeaders(rawHeaders: readonly string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!.toLowerCase();
    const value = rawHeaders[index + 1]!;
    if (hopByHopHeaders.has(name)) continue;
    if (name === "cookie") {
      cookies.push(...value.split(";").map((cookie) => cookie.trim()).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

/** Decoded like a form (`+` is a space); repeated keys joined with commas. */
function parseQueryString(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const parameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    if (!key) continue;
    parameters[key] = key in parameters ? `${parameters[key]},${value}` : value;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

function isTextContentType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  return mediaType.startsWith("text/") || textContentTypes.has(mediaType);
}

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `$context.requestTime` form: 12/Mar/2020:19:03:58 +0000 */
export function formatRequestTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
