/**
 * The local stand-in for one API Gateway WebSocket API, built from its declaration. On one port:
 *
 * - `ws://<host>:<port>/<stage>` takes connections. The upgrade waits while the `$connect` REQUEST
 *   authorizer and then the `$connect` route run, and is refused with their status (401, 403,
 *   500, or what `$connect` returned) as API Gateway refuses it.
 * - Messages are routed by the route selection expression (`$request.body.action`), unmatched or
 *   non-JSON ones to `$default`. A two-way route's returned `body` is sent back (the route
 *   response); a failing route answers API Gateway's "Internal server error" frame.
 * - `POST|GET|DELETE /<stage>/@connections/<id>` is the management API, answering as API
 *   Gateway's does (410 GoneException for a connection that is closed, unknown, or still in
 *   `$connect`; 413 over 128 KB), so `ApiGatewayManagementApiClient({ endpoint: callbackUrl })` works.
 * - The stage's declared throttle (connections and messages share it): an upgrade over it is
 *   refused with 429, a message answered `{"message":"Too Many Requests",…}` (gateway/throttle.ts).
 * - API Gateway's limits: 128 KB per message and 32 KB per frame (1009), text frames only (binary:
 *   1003), 10 idle minutes and 2 hours per connection (1001). Idle time and age are options.
 *
 * Each connection ends with `$disconnect`, carrying how it ended. Nothing logged here holds the
 * query string (the token): the access log has API Gateway's WebSocket fields, and request
 * targets in error lines are redacted.
 */
import { createServer, STATUS_CODES, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { throttle as declaredThrottle, type WebSocketApiDeclaration } from "@haul/functions/declarations";
import { closeServer, listen, urlHost } from "../http-server.js";
import { formatAccessLogLine, type WebSocketAccessLogEntry } from "../gateway/access-log.js";
import { formatRequestTime } from "../gateway/event.js";
import type { GatewayOptions } from "../gateway/gateway-options.js";
import { createHandlerLoader, invokeHandler } from "../gateway/handler-loader.js";
import { createLambdaContext } from "../gateway/lambda-context.js";
import { runWithFunctionLogs } from "../logs/log-capture.js";
import { createThrottle, throttleOverrideFromEnv, tooManyRequestsMessage } from "../gateway/throttle.js";
import { deriveApiId, describeInvocationError, functionNameFor, newTraceId, withTimeout } from "../gateway/lambda-invocation.js";
import { decideAuthorization, type AuthorizerOutcome } from "./authorizer-decision.js";
import {
  buildAuthorizerEvent,
  buildConnectEvent,
  buildDisconnectEvent,
  buildMessageEvent,
  newGatewayId,
  type ConnectionFacts,
  type RouteEventType,
  type UpgradeRequest,
} from "./events.js";
import { createFrameSizeGuard } from "./frame-size-guard.js";
import { LocalConnection, type DisconnectStatus } from "./local-connection.js";
import { createManagementApi } from "./management-api.js";
import { redactedTarget } from "./redaction.js";
import { createRouteSelector } from "./route-selection.js";

/** API Gateway's WebSocket limits. */
export const webSocketLimits = {
  maxMessageBytes: 128 * 1024,
  maxFrameBytes: 32 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  /** The integration timeout of WebSocket APIs. */
  maxIntegrationMs: 29_000,
} as const;

export interface WebSocketGatewayOptions extends GatewayOptions {
  readonly api: WebSocketApiDeclaration;
  /** The stage in the URL path, as SST names it after the app's stage: `ws://host:port/<stage>`. */
  readonly stage: string;
  /** Default 10 minutes, as API Gateway. */
  readonly idleTimeoutMs?: number;
  /** Default 2 hours, as API Gateway. */
  readonly maxConnectionMs?: number;
  /** Receives one JSON line per CONNECT, MESSAGE and DISCONNECT; default: stdout. */
  readonly accessLog?: (line: string) => void;
}

export interface RunningWebSocketGateway {
  /** What clients connect to, e.g. ws://127.0.0.1:4005/local (SST's `url`, with wss:// in AWS). */
  readonly url: string;
  /** The @connections endpoint, e.g. http://127.0.0.1:4005/local (the stage's callback URL). */
  readonly callbackUrl: string;
  readonly port: number;
  readonly apiId: string;
  listRoutes(): string[];
  /** Ids of the connections that are open now. */
  openConnectionIds(): string[];
  stop(): Promise<void>;
}

type Invocation = { readonly ok: true; readonly result: unknown; readonly requestId: string } | { readonly ok: false; readonly error: unknown; readonly requestId: string };

const gatewayJson = (body: unknown) => Buffer.from(JSON.stringify(body));

export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<RunningWebSocketGateway> {
  const { api, stage } = options;
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const apiId = deriveApiId(options.resourcePrefix, api.name);
  const limits = {
    idleTimeoutMs: options.idleTimeoutMs ?? webSocketLimits.idleTimeoutMs,
    maxConnectionMs: options.maxConnectionMs ?? webSocketLimits.maxConnectionMs,
    maxFrameBytes: webSocketLimits.maxFrameBytes,
  };
  const timeoutMs = Math.min((options.functionTimeoutSeconds ?? 10) * 1000, webSocketLimits.maxIntegrationMs);
  const accessLog = options.accessLog ?? ((line: string) => process.stdout.write(line + "\n"));
  const errorLog = options.errorLog ?? ((message: string) => process.stderr.write(message + "\n"));
  const secretParameters = api.authorizer.identitySource
    .filter((source) => source.startsWith("route.request.querystring."))
    .map((source) => source.slice("route.request.querystring.".length));

  const routeSelector = createRouteSelector(api.routeSelectionExpression, Object.keys(api.routes));
  const loadHandler = createHandlerLoader(options.root);
  const connections = new Map<string, LocalConnection>();
  /** Upgrades still in the authorizer or `$connect`: dropped if the gateway stops meanwhile. */
  const pendingUpgrades = new Set<Socket>();
  /** `$disconnect` invocations still running: stop() lets them finish. */
  const pendingDisconnects = new Set<Promise<void>>();
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: webSocketLimits.maxMessageBytes, perMessageDeflate: false });
  const stageThrottleOverride = throttleOverrideFromEnv();
  const throttle = createThrottle(() => stageThrottleOverride ?? declaredThrottle.webSocketStage);
  let port = options.port;

  async function invoke(handler: string, event: unknown, quietError?: (error: unknown) => boolean): Promise<Invocation> {
    const functionName = functionNameFor(options.resourcePrefix, api.name, handler);
    const context = createLambdaContext({ functionName, region, accountId, memorySizeMb: options.functionMemorySizeMb ?? 1024, timeoutMs });
    try {
      const loaded = await loadHandler(handler);
      const result = await runWithFunctionLogs(context, api.service, () => withTimeout(invokeHandler(loaded, event, context), timeoutMs));
      return { ok: true, result, requestId: context.awsRequestId };
    } catch (error) {
      if (!quietError?.(error)) errorLog(describeInvocationError(functionName, context.awsRequestId, error));
      return { ok: false, error, requestId: context.awsRequestId };
    }
  }

  /** Writes the access-log line of one event once its status is known. */
  function accessLogFor(facts: ConnectionFacts, eventType: RouteEventType, routeKey: string, requestId: string, receivedAt: Date) {
    return (status: number, invocation?: Invocation, integrationLatencyMs?: number) => {
      const entry: WebSocketAccessLogEntry = {
        requestTime: formatRequestTime(receivedAt),
        requestId,
        eventType,
        routeKey,
        status,
        integrationRequestId: invocation?.requestId ?? "-",
        integrationStatus: invocation ? (invocation.ok ? "200" : "500") : "-",
        integrationLatency: integrationLatencyMs === undefined ? "-" : String(integrationLatencyMs),
        integrationServiceStatus: invocation ? "200" : "-",
        ip: facts.sourceIp,
        userAgent: facts.userAgent || "-",
        cognitoIdentityId: "-",
        connectedAt: String(facts.connectedAt),
        connectionId: facts.connectionId,
      };
      accessLog(formatAccessLogLine(entry));
    };
  }

  async function connect(request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const receivedAt = new Date();
    const requestId = newGatewayId();
    const target = request.url ?? "/";
    const questionMark = target.indexOf("?");
    const path = questionMark === -1 ? target : target.slice(0, questionMark);
    const rawQueryString = questionMark === -1 ? "" : target.slice(questionMark + 1);
    if (path !== `/${stage}` && path !== `/${stage}/`) return refuseUpgrade(socket, 403, "Forbidden");
    if (!isWebSocketHandshake(request)) return refuseUpgrade(socket, 400, "Bad Request");

    const facts: ConnectionFacts = {
      connectionId: newGatewayId(),
      connectedAt: receivedAt.getTime(),
      apiId,
      stage,
      domainName: request.headers.host ?? urlHost(options.host, port),
      sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
      userAgent: request.headers["user-agent"] ?? "",
    };
    const upgrade: UpgradeRequest = { rawHeaders: request.rawHeaders, rawQueryString, localPort: port };
    const traceId = newTraceId(receivedAt);
    const logConnect = accessLogFor(facts, "CONNECT", "$connect", requestId, receivedAt);
    const refuse = (status: number, message: string) => {
      logConnect(status);
      refuseUpgrade(socket, status, message);
    };
    if (!throttle.take(stage)) return refuse(429, tooManyRequestsMessage);

    // A missing identity source is refused before the authorizer runs, as API Gateway does.
    if (!hasIdentitySources(api.authorizer.identitySource, request, rawQueryString)) return refuse(401, "Unauthorized");
    const authorizerEvent = buildAuthorizerEvent(upgrade, facts, { region, accountId, requestId, receivedAt, traceId });
    const authorizingSince = Date.now();
    const authorized = await invoke(api.authorizer.handler, authorizerEvent, isUnauthorizedRefusal);
    const decision = decideAuthorization(
      authorized.ok ? { result: authorized.result } : ({ error: authorized.error } satisfies AuthorizerOutcome),
      authorizerEvent.methodArn,
      Date.now() - authorizingSince,
    );
    if (!decision.allowed) {
      if (decision.statusCode === 500) errorLog(`[${api.name}] $connect ${redactedTarget(target, secretParameters)}: ${decision.reason}`);
      return refuse(decision.statusCode, statusMessage(decision.statusCode));
    }

    const connection = new LocalConnection(facts, decision.authorizer, limits);
    connections.set(connection.id, connection);
    const connectRoute = api.routes.$connect;
    if (connectRoute) {
      const connectingSince = Date.now();
      const invocation = await invoke(connectRoute.handler, buildConnectEvent(upgrade, facts, { requestId, receivedAt, traceId, authorizer: decision.authorizer }));
      const refusal = connectRefusal(invocation);
      logConnect(refusal?.status ?? 200, invocation, Date.now() - connectingSince);
      if (refusal) {
        connections.delete(connection.id);
        return refuseUpgrade(socket, refusal.status, statusMessage(refusal.status), refusal.body);
      }
    } else logConnect(200);

    if (connection.state !== "connecting" || socket.destroyed || !socket.writable) {
      // The client left (or the gateway stopped) while `$connect` ran: the connection opened and ended.
      connections.delete(connection.id);
      return disconnect(connection, 1006, "");
    }
    // The guard must see the socket's bytes before ws does, so it is attached first.
    socket.on("data", createFrameSizeGuard(limits.maxFrameBytes, () => connection.close(1009, "Message too big")));
    webSockets.handleUpgrade(request, socket, head, (webSocket) => attach(connection, webSocket));
    if (!connection.isOpen) {
      connections.delete(connection.id);
      return disconnect(connection, 1006, "");
    }
  }

  function attach(connection: LocalConnection, webSocket: WebSocket): void {
    connection.open(webSocket);
    webSocket.on("message", (data: Buffer, isBinary: boolean) => {
      if (!connection.isOpen) return;
      if (isBinary) return connection.close(1003, "Binary frames are not supported");
      connection.markActive();
      void routeMessage(connection, data.toString("utf8"));
    });
    // ws ends the connection itself on a protocol error (a message over 128 KB: 1009).
    webSocket.on("error", (error: NodeJS.ErrnoException) => connection.noteGatewayClose(closeStatusOf(error)));
    webSocket.on("close", (code: number, reason: Buffer) => {
      connections.delete(connection.id);
      void disconnect(connection, code, reason.toString("utf8"));
    });
  }

  async function routeMessage(connection: LocalConnection, body: string): Promise<void> {
    const receivedAt = new Date();
    const requestId = newGatewayId();
    const routeKey = routeSelector.select(body);
    const logMessage = accessLogFor(connection.facts, "MESSAGE", routeKey ?? "-", requestId, receivedAt);
    if (!throttle.take(stage)) {
      connection.send(JSON.stringify({ message: tooManyRequestsMessage, connectionId: connection.id, requestId }));
      return logMessage(429);
    }
    if (!routeKey) {
      connection.send(JSON.stringify({ message: "Forbidden", connectionId: connection.id, requestId }));
      return logMessage(403);
    }
    const route = api.routes[routeKey]!;
    const since = Date.now();
    const event = buildMessageEvent(connection.facts, { routeKey, body, requestId, receivedAt, authorizer: connection.authorizer });
    const invocation = await invoke(route.handler, event);
    const integrationLatencyMs = Date.now() - since;
    if (!invocation.ok) {
      connection.send(JSON.stringify({ message: "Internal server error", connectionId: connection.id, requestId }));
      return logMessage(500, invocation, integrationLatencyMs);
    }
    const response = route.returnResponse ? routeResponseBody(invocation.result) : undefined;
    if (response !== undefined) connection.send(response);
    logMessage(200, invocation, integrationLatencyMs);
  }

  function disconnect(connection: LocalConnection, clientCode: number, clientReason: string): Promise<void> {
    const status: DisconnectStatus = connection.closed(clientCode, clientReason);
    const route = api.routes.$disconnect;
    const receivedAt = new Date();
    const requestId = newGatewayId();
    const logDisconnect = accessLogFor(connection.facts, "DISCONNECT", "$disconnect", requestId, receivedAt);
    if (!route) {
      logDisconnect(200);
      return Promise.resolve();
    }
    const event = buildDisconnectEvent(connection.facts, { statusCode: status.statusCode, reason: status.reason, requestId, receivedAt, authorizer: connection.authorizer });
    const since = Date.now();
    // `$disconnect` is best effort: whatever its function does, the connection is gone (status 200).
    const running = invoke(route.handler, event).then((invocation) => logDisconnect(200, invocation, Date.now() - since));
    pendingDisconnects.add(running);
    return running.finally(() => pendingDisconnects.delete(running));
  }

  const manage = createManagementApi({ stage, maxMessageBytes: webSocketLimits.maxMessageBytes, connections });
  const server = createServer((request, response) => {
    manage(request, response).catch((error: unknown) => {
      errorLog(`[${api.name}] @connections: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" }).end(gatewayJson({ message: "Internal server error" }));
      else response.destroy();
    });
  });
  server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
    // A client that vanishes mid-handshake is its own business, not a gateway failure.
    socket.on("error", () => undefined);
    pendingUpgrades.add(socket);
    connect(request, socket, head)
      .catch((error: unknown) => {
        errorLog(`[${api.name}] upgrade ${redactedTarget(request.url ?? "/", secretParameters)}: ${error instanceof Error ? error.stack : String(error)}`);
        refuseUpgrade(socket, 500, "Internal server error");
      })
      .finally(() => pendingUpgrades.delete(socket));
  });
  port = await listen(server, options.port, options.host);

  return {
    url: `ws://${urlHost(options.host, port)}/${stage}`,
    callbackUrl: `http://${urlHost(options.host, port)}/${stage}`,
    port,
    apiId,
    listRoutes: () => Object.keys(api.routes),
    openConnectionIds: () => [...connections.values()].filter((connection) => connection.isOpen).map((connection) => connection.id),
    async stop() {
      for (const socket of pendingUpgrades) socket.destroy();
      for (const connection of connections.values()) connection.close(1001, "Going away");
      // `$disconnect` is best effort; it gets a moment, not a veto over stopping.
      await Promise.race([settleDisconnects(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      for (const client of webSockets.clients) client.terminate();
      webSockets.close();
      await closeServer(server);
    },
  };

  async function settleDisconnects(): Promise<void> {
    // Closing handshakes end (or time out) first; each then starts its `$disconnect`.
    while (connections.size > 0 || pendingDisconnects.size > 0) {
      await Promise.allSettled([...pendingDisconnects]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

function isWebSocketHandshake(request: IncomingMessage): boolean {
  return (
    request.method === "GET" &&
    request.headers.upgrade?.toLowerCase() === "websocket" &&
    !!request.headers["sec-websocket-key"] &&
    request.headers["sec-websocket-version"] === "13"
  );
}

/** Whether every `route.request.querystring.X` / `route.request.header.X` source is present and non-empty. */
function hasIdentitySources(sources: readonly string[], request: IncomingMessage, rawQueryString: string): boolean {
  const query = new URLSearchParams(rawQueryString);
  return sources.every((source) => {
    if (source.startsWith("route.request.querystring.")) return !!query.get(source.slice("route.request.querystring.".length));
    if (source.startsWith("route.request.header.")) return !!request.headers[source.slice("route.request.header.".length).toLowerCase()];
    return true;
  });
}

/** An authorizer's "Unauthorized" is its answer, not a failure worth an error line. */
function isUnauthorizedRefusal(error: unknown): boolean {
  return error instanceof Error && error.message === "Unauthorized";
}

/**
 * `$connect` refuses the connection by failing (500) or by returning a status outside 2xx (that
 * status, with its body); a result without a status code lets it through.
 */
function connectRefusal(invocation: Invocation): { status: number; body?: Buffer } | undefined {
  if (!invocation.ok) return { status: 500 };
  const result = invocation.result as { statusCode?: unknown; body?: unknown } | null | undefined;
  const status = typeof result === "object" && result !== null ? result.statusCode : undefined;
  if (typeof status !== "number" || (status >= 200 && status < 300)) return undefined;
  return { status, ...(typeof result?.body === "string" ? { body: Buffer.from(result.body) } : {}) };
}

/** A route response is the `body` of the function's result (or the result, when it is a string). */
function routeResponseBody(result: unknown): string | undefined {
  if (typeof result === "string") return result;
  if (typeof result === "object" && result !== null && typeof (result as { body?: unknown }).body === "string") {
    return (result as { body: string }).body;
  }
  return undefined;
}

/** How ws ended a connection on a protocol error, as `$disconnect` reports it. */
function closeStatusOf(error: NodeJS.ErrnoException): DisconnectStatus {
  if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") return { statusCode: 1009, reason: "Message too big" };
  if (error.code === "WS_ERR_INVALID_UTF8") return { statusCode: 1007, reason: "Invalid frame payload data" };
  return { statusCode: 1002, reason: "Protocol error" };
}

/** API Gateway's own wording for its 500; the HTTP reason phrase otherwise. */
function statusMessage(status: number): string {
  return status === 500 ? "Internal server error" : (STATUS_CODES[status] ?? "Error");
}

/** Answers an upgrade request with an HTTP error, as API Gateway does before a connection exists. */
function refuseUpgrade(socket: Socket, status: number, message: string, body?: Buffer): void {
  if (socket.destroyed) return;
  const payload = body ?? gatewayJson({ message });
  const errorType = status === 401 ? "UnauthorizedException" : status === 403 ? "AccessDeniedException" : undefined;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Content-Type: application/json",
    `Content-Length: ${payload.length}`,
    ...(errorType ? [`x-amzn-ErrorType: ${errorType}`] : []),
    "Connection: close",
  ];
  socket.end(Buffer.concat([Buffer.from(head.join("\r\n") + "\r\n\r\n"), payload]));
}
