/**
 * The local stand-in for one API Gateway HTTP API (payload format 2.0) with a JWT
 * authorizer: it answers CORS preflights itself, picks the route, throttles it (429 over the
 * route's declared limits), checks the token,
 * builds the v2 event, invokes the route's handler module in-process with a Lambda
 * context, shapes the result into the HTTP response and writes an access log line.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { routeThrottle, type HttpApiDeclaration, type ThrottleLimits } from "@haul/functions/declarations";
import { closeServer, listen, readRequestBody, RequestTooLarge, urlHost } from "../http-server.js";
import { formatAccessLogLine, type AccessLogEntry } from "./access-log.js";
import { actualRequestHeaders, isPreflightRequest, preflightHeaders, withoutCorsHeaders, type CorsConfiguration } from "./cors.js";
import { buildHttpApiEvent, formatRequestTime, type IncomingRequest } from "./event.js";
import type { GatewayOptions } from "./gateway-options.js";
import { createHandlerLoader, invokeHandler } from "./handler-loader.js";
import { createJwtAuthorizer, type JwtAuthorizerConfig } from "./jwt-authorizer.js";
import { createLambdaContext } from "./lambda-context.js";
import { runWithFunctionLogs } from "../logs/log-capture.js";
import { deriveApiId, describeInvocationError, functionNameFor, newTraceId, withTimeout } from "./lambda-invocation.js";
import { MalformedIntegrationResponse, toGatewayResponse, type GatewayResponse } from "./response.js";
import { createRouteTable } from "./routes.js";
import { createThrottle, throttleOverrideFromEnv, tooManyRequestsMessage } from "./throttle.js";

export interface HttpApiGatewayOptions extends GatewayOptions {
  readonly api: HttpApiDeclaration;
  readonly authorizer: JwtAuthorizerConfig;
  readonly cors?: CorsConfiguration;
  /** Receives one JSON line per request; default: stdout. */
  readonly accessLog?: (line: string) => void;
  /** Limits for every route instead of the declared ones; default HAUL_THROTTLE_BURST/RATE when set (throttle.ts). */
  readonly throttle?: ThrottleLimits;
}

export interface RunningHttpApiGateway {
  readonly url: string;
  readonly port: number;
  readonly apiId: string;
  listRoutes(): string[];
  stop(): Promise<void>;
}

/** API Gateway's payload limit for HTTP APIs. */
const maxRequestBytes = 10 * 1024 * 1024;

const jsonMessage = (message: string) => Buffer.from(JSON.stringify({ message }));

export async function startHttpApiGateway(options: HttpApiGatewayOptions): Promise<RunningHttpApiGateway> {
  const routes = createRouteTable(options.api);
  const authorizer = createJwtAuthorizer(options.authorizer);
  const loadHandler = createHandlerLoader(options.root);
  const apiId = deriveApiId(options.resourcePrefix, options.api.name);
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const accessLog = options.accessLog ?? ((line: string) => process.stdout.write(line + "\n"));
  const errorLog = options.errorLog ?? ((message: string) => process.stderr.write(message + "\n"));
  const throttleOverride = options.throttle ?? throttleOverrideFromEnv();
  const throttle = createThrottle((routeKey) => throttleOverride ?? routeThrottle(options.api.name, routeKey));
  let port = options.port;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAt = new Date();
    const requestId = randomBytes(10).toString("base64");
    const method = request.method ?? "GET";
    const url = request.url ?? "/";
    const rawPath = url.split("?", 1)[0] ?? "/";
    const entry: AccessLogEntry = {
      requestTime: formatRequestTime(receivedAt),
      requestId,
      httpMethod: method,
      path: rawPath,
      routeKey: "-",
      status: 0,
      responseLatency: 0,
      integrationRequestId: "-",
      integrationStatus: "-",
      integrationLatency: "-",
      integrationServiceStatus: "-",
      ip: request.socket.remoteAddress ?? "-",
      userAgent: request.headers["user-agent"] ?? "-",
    };
    const origin = request.headers.origin;

    const reply = (result: GatewayResponse) => {
      response.statusCode = result.statusCode;
      for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
      if (result.cookies.length > 0) response.setHeader("set-cookie", [...result.cookies]);
      response.setHeader("apigw-requestid", requestId);
      response.setHeader("content-length", result.body.length);
      response.end(method === "HEAD" ? undefined : result.body);
      entry.status = result.statusCode;
      entry.responseLatency = Date.now() - receivedAt.getTime();
      accessLog(formatAccessLogLine(entry));
    };
    const gatewayError = (statusCode: number, message: string, headers: Record<string, string> = {}) =>
      reply({ statusCode, headers: { "content-type": "application/json", ...headers }, cookies: [], body: jsonMessage(message) });

    if (options.cors && isPreflightRequest(method, request.headers as Record<string, string | undefined>)) {
      return reply({ statusCode: 204, headers: preflightHeaders(options.cors, origin!), cookies: [], body: Buffer.alloc(0) });
    }

    const match = routes.match(method, rawPath);
    if (!match) return gatewayError(404, "Not Found");
    entry.routeKey = match.routeKey;
    if (!throttle.take(match.routeKey)) return gatewayError(429, tooManyRequestsMessage);

    let body: Buffer;
    try {
      body = await readRequestBody(request, maxRequestBytes);
    } catch (error) {
      if (error instanceof RequestTooLarge) return gatewayError(413, "Request Entity Too Large");
      throw error;
    }

    let jwt: { claims: Record<string, string>; scopes: string[] | null } | undefined;
    if (match.route.auth === "jwt") {
      const result = await authorizer.authorize(request.headers.authorization);
      if (!result.authorized) {
        return gatewayError(401, "Unauthorized", {
          "www-authenticate": `Bearer scope="" error="invalid_token" error_description="${result.reason}"`,
        });
      }
      jwt = { claims: result.claims, scopes: result.scopes };
    }

    const incoming: IncomingRequest = {
      method,
      url,
      rawHeaders: request.rawHeaders,
      body,
      sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
      protocol: `HTTP/${request.httpVersion}`,
      localPort: port,
    };
    const event = buildHttpApiEvent(incoming, {
      routeKey: match.routeKey,
      ...(match.pathParameters ? { pathParameters: match.pathParameters } : {}),
      accountId,
      apiId,
      stage: "$default",
      requestId,
      traceId: newTraceId(receivedAt),
      receivedAt,
      ...(jwt ? { jwt } : {}),
    });

    const functionName = functionNameFor(options.resourcePrefix, options.api.name, match.route.handler);
    const timeoutMs = (options.functionTimeoutSeconds ?? 10) * 1000;
    const context = createLambdaContext({
      functionName,
      region,
      accountId,
      memorySizeMb: options.functionMemorySizeMb ?? 1024,
      timeoutMs,
    });
    entry.integrationRequestId = context.awsRequestId;

    // In the access log, integrationStatus is what the function returned and
    // integrationServiceStatus what the Lambda service answered (200 even for function errors).
    const invokedAt = Date.now();
    entry.integrationServiceStatus = "200";
    let result: GatewayResponse;
    try {
      const handler = await loadHandler(match.route.handler);
      const output = await runWithFunctionLogs(context, options.api.service, () => withTimeout(invokeHandler(handler, event, context), timeoutMs));
      result = toGatewayResponse(output);
      entry.integrationStatus = String(result.statusCode);
    } catch (error) {
      errorLog(describeInvocationError(functionName, context.awsRequestId, error));
      entry.integrationLatency = String(Date.now() - invokedAt);
      return gatewayError(500, "Internal Server Error");
    }
    entry.integrationLatency = String(Date.now() - invokedAt);

    if (options.cors) {
      const headers = withoutCorsHeaders(result.headers);
      result = { ...result, headers: origin ? { ...headers, ...actualRequestHeaders(options.cors, origin) } : headers };
    }
    reply(result);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      errorLog(`[gateway] ${options.api.name}: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(jsonMessage("Internal Server Error"));
      } else response.destroy();
    });
  });
  port = await listen(server, options.port, options.host);

  return {
    url: `http://${urlHost(options.host, port)}`,
    port,
    apiId,
    listRoutes: () => [...routes.routeKeys],
    stop: () => closeServer(server),
  };
}
