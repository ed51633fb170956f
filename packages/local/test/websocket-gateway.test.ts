/**
 * The local WebSocket gateway running the LiveApi's own handlers against dynalite, driven by a
 * real `ws` client and the real @connections SDK client: `$connect` authorization, routing,
 * API Gateway's size and time limits, the management API and the event shapes.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { Role } from "@haul/core/user";
import { Connection } from "@haul/core/live/connection";
import { createSigningKey } from "../src/identity/signing-key.js";
import { eventually, startLiveEnvironment, testStage, type LiveEnvironment, type TestGateway } from "./fixtures/live-environment.js";
import { webSocketAccessLogFields } from "./fixtures/websocket-access-log.js";
import { earlyPostApi, eventsApi } from "./fixtures/websocket-apis.js";
import { connect, connected, nextMessage, request, sendInFrames, whenClosed } from "./fixtures/websocket-client.js";
import { postsDuringConnect, recordedEvents } from "./fixtures/websocket-handlers.js";

// Refusals are logged by design; silence the handlers here (read when the logger is made).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

const kilobytes = (count: number) => count * 1024;

let env: LiveEnvironment;
let gateway: TestGateway;
let management: ApiGatewayManagementApiClient;

beforeAll(async () => {
  env = await startLiveEnvironment();
  gateway = await env.startGateway();
  management = new ApiGatewayManagementApiClient({
    endpoint: gateway.callbackUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
});

afterAll(async () => {
  management?.destroy();
  await env?.stop();
});

const withToken = (url: string, token: string) => `${url}?token=${encodeURIComponent(token)}`;

async function connectAs(role: Role, userId: string = randomUUID(), target: TestGateway = gateway) {
  const socket = await connected(withToken(target.url, await env.token(role, userId)));
  return { socket, userId };
}

describe("$connect", () => {
  const refusals: Array<[string, () => Promise<string>, number]> = [
    ["no token", async () => gateway.url, 401],
    ["an empty token", async () => `${gateway.url}?token=`, 401],
    ["a token that is not a JWT", async () => withToken(gateway.url, "not-a-jwt"), 401],
    ["a token signed by another key", async () => withToken(gateway.url, await env.token("driver", randomUUID(), { signingKey: await createSigningKey() })), 401],
    [
      "a token signed by another key under the issuer's kid",
      async () => withToken(gateway.url, await env.token("driver", randomUUID(), { signingKey: { ...(await createSigningKey()), kid: env.signingKey.kid } })),
      401,
    ],
    [
      "an expired token",
      async () => withToken(gateway.url, await env.token("driver", randomUUID(), { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: "1h" })),
      401,
    ],
    ["a token for another audience", async () => withToken(gateway.url, await env.token("driver", randomUUID(), { audience: "someone-else" })), 401],
    ["a token of another issuer", async () => withToken(gateway.url, await env.token("driver", randomUUID(), { issuer: "http://127.0.0.1:1" })), 401],
    ["an operator's token (a role the LiveApi does not admit)", async () => withToken(gateway.url, await env.token("operator", randomUUID())), 403],
    ["a token with no known role", async () => withToken(gateway.url, await env.token("admin" as Role, randomUUID())), 403],
  ];

  it.each(refusals)("refuses %s before upgrading", async (_case, url, status) => {
    const stored = await storedConnectionCount();
    const result = await connect(await url());
    expect(result).toMatchObject({ status });
    expect(JSON.parse((result as { body: string }).body)).toEqual({ message: status === 401 ? "Unauthorized" : "Forbidden" });
    expect(await storedConnectionCount()).toBe(stored);
    expect(gateway.errorLines).toEqual([]);
  });

  it("answers 500 when the issuer's keys are out of reach: a fault of the service, not of the caller", async () => {
    const issuer = process.env.HAUL_TOKEN_ISSUER;
    process.env.HAUL_TOKEN_ISSUER = "http://127.0.0.1:1";
    try {
      const token = await env.token("driver", randomUUID(), { issuer: "http://127.0.0.1:1" });
      expect(await connect(withToken(gateway.url, token))).toMatchObject({ status: 500 });
      const errors = gateway.errorLines.join("\n");
      expect(errors).toContain("the authorizer failed");
      expect(errors).toContain("token=[redacted]");
      expect(errors).not.toContain(token);
    } finally {
      process.env.HAUL_TOKEN_ISSUER = issuer;
      gateway.errorLines.length = 0;
    }
  });

  it("refuses a path other than the stage", async () => {
    const url = new URL(withToken(gateway.url, await env.token("driver", randomUUID())));
    url.pathname = "/elsewhere";
    expect(await connect(url.toString())).toMatchObject({ status: 403 });
  });

  it("admits a driver and records the connection under the driver, until it closes", async () => {
    const before = Date.now();
    const { socket, userId } = await connectAs("driver");
    const [stored, ...others] = await Connection.listByUser(userId);
    expect(others).toEqual([]);
    expect(stored).toMatchObject({ userId, role: "driver" });
    expect(gateway.openConnectionIds()).toContain(stored!.connectionId);
    expect(stored!.connectionId).toMatch(/^[A-Za-z0-9=]{16}$/);
    expect(stored!.connectedAt).toBeGreaterThanOrEqual(before);
    // A little over API Gateway's 2 hours, in epoch seconds (DynamoDB's TTL unit).
    expect(stored!.expiresAt).toBe(Math.ceil(stored!.connectedAt / 1000) + 2 * 3600 + 600);

    socket.close(1000);
    await eventually(async () => (await Connection.listByUser(userId)).length === 0);
  });

  it("admits customers too (they connect to follow their truck)", async () => {
    const { socket, userId } = await connectAs("customer");
    expect(await Connection.listByUser(userId)).toMatchObject([{ userId, role: "customer" }]);
    socket.close();
  });

  it("keeps each device's connection: a user may hold several", async () => {
    const userId = randomUUID();
    const first = await connectAs("driver", userId);
    const second = await connectAs("driver", userId);
    expect(await Connection.listByUser(userId)).toHaveLength(2);
    first.socket.close();
    second.socket.close();
  });
});

describe("messages", () => {
  it('answers {"action":"ping"} with {"type":"pong"}', async () => {
    const { socket } = await connectAs("driver");
    expect(await request(socket, { action: "ping" })).toEqual({ type: "pong" });
    socket.close();
  });

  it.each([
    ["an unknown action", { action: "fly" }, 'unknown action "fly"'],
    ["a message without an action", { hello: "there" }, 'the message has no "action" (a string)'],
    ["a message that is not JSON", "ping", 'messages must be JSON objects with an "action", e.g. {"action":"ping"}'],
    ["a JSON array", "[1,2]", 'the message has no "action" (a string)'],
  ])("sends %s to $default, which answers an error frame naming the known actions", async (_case, message, text) => {
    const { socket } = await connectAs("driver");
    expect(await request(socket, message)).toEqual({ type: "error", message: text, knownActions: ["subscribe", "unsubscribe", "ping"] });
    socket.close();
  });

  it("takes a message of up to 128 KB in frames of up to 32 KB", async () => {
    const { socket } = await connectAs("driver");
    const message = JSON.stringify({ action: "ping", padding: "x".repeat(kilobytes(100)) });
    const reply = nextMessage(socket);
    sendInFrames(socket, message, kilobytes(32));
    expect(JSON.parse(await reply)).toEqual({ type: "pong" });
    socket.close();
  });

  it("closes with 1009 on a message over 128 KB", async () => {
    const { socket, userId } = await connectAs("driver");
    const closed = whenClosed(socket);
    sendInFrames(socket, JSON.stringify({ action: "ping", padding: "x".repeat(kilobytes(128)) }), kilobytes(32));
    expect((await closed).code).toBe(1009);
    await eventually(async () => (await Connection.listByUser(userId)).length === 0);
  });

  it("closes with 1009 on a frame over 32 KB, although the message is within 128 KB", async () => {
    const { socket } = await connectAs("driver");
    const closed = whenClosed(socket);
    socket.send(JSON.stringify({ action: "ping", padding: "x".repeat(kilobytes(40)) }));
    expect(await closed).toEqual({ code: 1009, reason: "Message too big" });
  });

  it("closes with 1003 on a binary frame, as API Gateway takes text only", async () => {
    const { socket } = await connectAs("driver");
    const closed = whenClosed(socket);
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await closed).code).toBe(1003);
  });
});

describe("connection clocks (made short here)", () => {
  it("closes a connection after the idle time with 1001, and runs $disconnect", async () => {
    const short = await env.startGateway({ idleTimeoutMs: 200 });
    const { socket, userId } = await connectAs("driver", randomUUID(), short);
    expect(await whenClosed(socket)).toEqual({ code: 1001, reason: "Going away" });
    await eventually(async () => (await Connection.listByUser(userId)).length === 0);
  });

  it("keeps a connection that pings open past the idle time, but not past the maximum age", async () => {
    const short = await env.startGateway({ idleTimeoutMs: 300, maxConnectionMs: 1_200 });
    const { socket } = await connectAs("driver", randomUUID(), short);
    const openedAt = Date.now();
    const pings = setInterval(() => socket.send(JSON.stringify({ action: "ping" })), 100);
    try {
      expect(await whenClosed(socket)).toEqual({ code: 1001, reason: "Going away" });
    } finally {
      clearInterval(pings);
    }
    // Several idle periods went by: only the pings kept it open until its age ran out.
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(900);
  });
});

describe("@connections", () => {
  async function openConnection() {
    const { socket, userId } = await connectAs("driver");
    const [stored] = await Connection.listByUser(userId);
    return { socket, connectionId: stored!.connectionId };
  }

  it("delivers a POST to the client, whole even above 32 KB", async () => {
    const { socket, connectionId } = await openConnection();
    let received = nextMessage(socket);
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"message"}') }));
    expect(await received).toBe('{"type":"message"}');

    const large = "y".repeat(kilobytes(100));
    received = nextMessage(socket);
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(large) }));
    expect(await received).toBe(large);
    socket.close();
  });

  it("refuses a POST over 128 KB with 413", async () => {
    const { socket, connectionId } = await openConnection();
    const posting = management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(kilobytes(128) + 1, 97) }));
    await expect(posting).rejects.toMatchObject({ name: "PayloadTooLargeException", $metadata: { httpStatusCode: 413 } });
    socket.close();
  });

  it("describes a connection on GET", async () => {
    const before = new Date(Date.now() - 1000);
    const { socket, connectionId } = await openConnection();
    const described = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(described.ConnectedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(described.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(described.ConnectedAt!.getTime());
    expect(described.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: "" });
    socket.close();
  });

  it("closes a connection on DELETE; it is gone (410) from then on", async () => {
    const { socket, connectionId } = await openConnection();
    const closed = whenClosed(socket);
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    expect((await closed).code).toBe(1000);
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from("late") }),
      new GetConnectionCommand({ ConnectionId: connectionId }),
      new DeleteConnectionCommand({ ConnectionId: connectionId }),
    ]) {
      await expect(management.send(command as PostToConnectionCommand)).rejects.toMatchObject({ name: "GoneException", $metadata: { httpStatusCode: 410 } });
    }
  });

  it("answers 410 for a connection it never had", async () => {
    const posting = management.send(new PostToConnectionCommand({ ConnectionId: "Tm9Db25uZWN0aW9u", Data: Buffer.from("x") }));
    await expect(posting).rejects.toMatchObject({ name: "GoneException", $metadata: { httpStatusCode: 410 } });
  });

  it("answers 410 to a post made while $connect still runs, through the endpoint the event names", async () => {
    const early = await env.startGateway({ api: earlyPostApi });
    const { socket } = await connectAs("driver", randomUUID(), early);
    expect(postsDuringConnect()).toEqual([{ name: "GoneException", status: 410 }]);
    socket.close();
  });
});

describe("events, as API Gateway hands them to functions", () => {
  let events: TestGateway;

  beforeAll(async () => {
    events = await env.startGateway({ api: eventsApi });
  });

  it("CONNECT: the upgrade's headers and query string, and the authorizer's context", async () => {
    recordedEvents().length = 0;
    const userId = randomUUID();
    const token = await env.token("driver", userId);
    const socket = await connected(`${withToken(events.url, token)}&lang=de&lang=en`, { "User-Agent": "haul-test/1.0" });
    const [event] = recordedEvents();
    const context = event!.requestContext;
    expect(context).toMatchObject({
      routeKey: "$connect",
      eventType: "CONNECT",
      messageDirection: "IN",
      stage: testStage,
      domainName: new URL(events.url).host,
      apiId: events.apiId,
      identity: { sourceIp: "127.0.0.1", userAgent: "haul-test/1.0" },
      authorizer: { principalId: userId, sub: userId, role: "driver" },
    });
    expect(context.connectionId).toMatch(/^[A-Za-z0-9=]{16}$/);
    expect(context.requestId).toMatch(/^[A-Za-z0-9=]{16}$/);
    expect(typeof context.authorizer.integrationLatency).toBe("number");
    expect(context.connectedAt).toBe(context.requestTimeEpoch);
    expect(context.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect("messageId" in context).toBe(false);
    expect(event!.queryStringParameters).toEqual({ token, lang: "en" });
    expect(event!.multiValueQueryStringParameters).toEqual({ token: [token], lang: ["de", "en"] });
    expect(event!.headers).toMatchObject({ "User-Agent": "haul-test/1.0", "X-Forwarded-Proto": "http", Upgrade: "websocket" });
    expect(event!.headers["X-Amzn-Trace-Id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event!.multiValueHeaders["User-Agent"]).toEqual(["haul-test/1.0"]);
    socket.close();
  });

  it("MESSAGE: the body, a messageId, the route; a two-way route's body comes back", async () => {
    const socket = await connected(withToken(events.url, await env.token("customer", randomUUID())));
    const message = { action: "echo", note: "hello" };
    const event = await request(socket, message);
    expect(event.body).toBe(JSON.stringify(message));
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext).toMatchObject({ routeKey: "echo", eventType: "MESSAGE", authorizer: { role: "customer" } });
    expect(event.requestContext.messageId).toMatch(/^[A-Za-z0-9=]{16}$/);
    expect(event).not.toHaveProperty("queryStringParameters");
    socket.close();
  });

  it("a one-way route answers nothing; a failing route answers API Gateway's error frame", async () => {
    const socket = await connected(withToken(events.url, await env.token("driver", randomUUID())));
    socket.send(JSON.stringify({ action: "oneWay" }));
    // The first message back is the echo's: the one-way route sent none.
    expect((await request(socket, { action: "echo" })).requestContext.routeKey).toBe("echo");
    const failure = await request(socket, { action: "fails" });
    expect(failure).toMatchObject({ message: "Internal server error" });
    expect(Object.keys(failure).sort()).toEqual(["connectionId", "message", "requestId"]);
    expect(events.errorLines.join("\n")).toContain("fixture failure");
    events.errorLines.length = 0;
    socket.close();
  });

  it("without $default, an unroutable message gets API Gateway's Forbidden frame", async () => {
    const early = await env.startGateway({ api: earlyPostApi });
    const socket = await connected(withToken(early.url, await env.token("driver", randomUUID())));
    expect(await request(socket, { action: "nothing" })).toMatchObject({ message: "Forbidden" });
    socket.close();
  });

  it("DISCONNECT: how the connection ended, and the same authorizer context", async () => {
    const userId = randomUUID();
    const socket = await connected(withToken(events.url, await env.token("driver", userId)));
    recordedEvents().length = 0;
    socket.close(4000, "bye");
    await eventually(() => recordedEvents().some((event) => event.requestContext.eventType === "DISCONNECT"));
    const [event] = recordedEvents();
    expect(event!.requestContext).toMatchObject({
      routeKey: "$disconnect",
      eventType: "DISCONNECT",
      disconnectStatusCode: 4000,
      disconnectReason: "bye",
      authorizer: { sub: userId, role: "driver" },
    });
    expect("messageId" in event!.requestContext).toBe(false);
    expect(event!.headers).toEqual({ Host: new URL(events.url).host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" });
  });

  it("a $connect that answers a status outside 2xx refuses the connection with it", async () => {
    const result = await connect(`${withToken(events.url, await env.token("driver", randomUUID()))}&refuse=429`);
    expect(result).toMatchObject({ status: 429 });
    expect(JSON.parse((result as { body: string }).body)).toEqual({ refusedBy: "$connect" });
  });

  it("logs one access line per event with API Gateway's WebSocket fields", () => {
    const lines = events.accessLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(new Set(lines.map((line) => line.eventType))).toEqual(new Set(["CONNECT", "MESSAGE", "DISCONNECT"]));
    expect(Object.keys(lines[0]!).sort()).toEqual([...webSocketAccessLogFields].sort());
  });
});

async function storedConnectionCount(): Promise<number> {
  const { DynamoDBClient, ScanCommand } = await import("@aws-sdk/client-dynamodb");
  const client = new DynamoDBClient({ endpoint: env.dynamodb.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    return (await client.send(new ScanCommand({ TableName: env.tableName, Select: "COUNT" }))).Count ?? 0;
  } finally {
    client.destroy();
  }
}
