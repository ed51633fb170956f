/**
 * Security checks against a real local cloud (issue 13, item 5): forged and misdirected tokens on
 * every HTTP API and on the LiveApi's `$connect`; roles only from a verified token; no one reaches
 * another customer's or driver's data through any route that takes an id (enumerated from the
 * declarations) or any WebSocket subscription; request-size limits; and, last, no token,
 * authorization header or database password in any log line the run caused.
 */
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import WebSocket from "ws";
import { exportSPKI, importJWK, SignJWT, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpApis, type HttpApiDeclaration, type RouteDeclaration } from "@haul/functions/declarations";
import type { Role } from "@haul/core/user";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { closeSearchClient, searchIndexName } from "@haul/core/search/search-client";
import { send, type SentResponse } from "../../packages/local/test/fixtures/http-client.js";
import { localAudience } from "../../packages/local/src/config.js";
import { createSigningKey, loadOrCreateSigningKey, signingAlgorithm, type SigningKey } from "../../packages/local/src/identity/signing-key.js";
import { migrateTestDatabase } from "../../packages/core/test/support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, requestBody } from "../../packages/core/test/support/reservations.js";
import { createTestClient } from "../../packages/core/test/search/support.js";
import { startTestCloud, type TestCloud } from "../support/test-cloud.js";

const savedEnv = { ...process.env };
const runStartedAt = new Date();
let cloud: TestCloud;
let issuerKey: SigningKey;
let attackerKey: SigningKey;
let customerA: string;
let customerB: string;
let driverA: string;
let driverB: string;
let operatorId: string;
let reservationId: string;
/** Every token this run minted or forged: none may reach a log. */
const tokens: string[] = [];

const base64url = (value: object | string) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** Claims of a good id token of the local issuer for `sub` in `role`. */
function idClaims(role: Role, sub: string): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { sub, "cognito:groups": [role], token_use: "id", iss: cloud.outputs.IssuerUrl!, aud: localAudience, iat: now, exp: now + 3600 };
}

async function sign(claims: JWTPayload, key: SigningKey = issuerKey, kid: string = key.kid): Promise<string> {
  const token = await new SignJWT(claims).setProtectedHeader({ alg: signingAlgorithm, kid, typ: "JWT" }).sign(key.privateKey);
  tokens.push(token);
  return token;
}

async function tokenOf(role: Role, sub: string): Promise<string> {
  return sign(idClaims(role, sub));
}

const apiUrl = (api: HttpApiDeclaration) => cloud.outputs[`${api.name}Url`]!;
const api = (name: string) => httpApis.find((candidate) => candidate.name === name)!;

/** `routeKey`'s method and path with every `{param}` filled from `params` (default: a fresh UUID). */
function requestOf(routeKey: string, params: Record<string, string> = {}): { method: string; path: string } {
  const [method, template] = routeKey.split(" ") as [string, string];
  return { method, path: template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? randomUUID()) };
}

function call(apiName: string, routeKey: string, token: string | undefined, options: { params?: Record<string, string>; body?: unknown } = {}): Promise<SentResponse> {
  const { method, path: target } = requestOf(routeKey, options.params);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return send(`${apiUrl(api(apiName))}${target}`, { method, headers, body: options.body === undefined ? (method === "POST" ? "{}" : undefined) : JSON.stringify(options.body) });
}

/** The HTTP status that refused a WebSocket upgrade, or "open" if the connection opened. */
function connectOutcome(token: string): Promise<number | "open"> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${cloud.outputs.LiveApiUrl}?token=${encodeURIComponent(token)}`);
    socket.once("open", () => {
      socket.close(1000);
      resolve("open");
    });
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once("error", reject);
  });
}

interface Frame {
  readonly type: string;
  readonly [key: string]: unknown;
}

async function openSocket(token: string): Promise<{ socket: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const socket = new WebSocket(`${cloud.outputs.LiveApiUrl}?token=${encodeURIComponent(token)}`);
  const frames: Frame[] = [];
  socket.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString("utf8")) as Frame));
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  return { socket, frames, closed };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("not within the time allowed");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every declared JWT route of every HTTP API, as [api name, route key, declaration]. */
const jwtRoutes = httpApis.flatMap((declared) =>
  Object.entries<RouteDeclaration>(declared.routes)
    .filter(([, route]) => route.auth === "jwt")
    .map(([routeKey, route]) => [declared.name, routeKey, route] as const),
);

beforeAll(async () => {
  await migrateTestDatabase();
  customerA = await createTestCustomer();
  customerB = await createTestCustomer();
  driverA = await createTestDriver();
  driverB = await createTestDriver();
  operatorId = randomUUID();
  cloud = await startTestCloud("security");
  issuerKey = await loadOrCreateSigningKey(path.join(path.dirname(cloud.outputsFile), "identity"));
  attackerKey = await createSigningKey();

  const start = new Date(Date.now() + 60_000);
  const accepted = await call("ReservationApi", "POST /reservations", await tokenOf("customer", customerA), {
    body: requestBody(driverA, { window: { start: start.toISOString(), end: new Date(start.getTime() + 2 * 3_600_000).toISOString() } }),
  });
  expect(accepted.status).toBe(202);
  reservationId = accepted.json<{ reservationId: string }>().reservationId;
  await cloud.stepFunctions.waitForExecution(`${cloud.outputs.ReservationStateMachineArn!.replace(":stateMachine:", ":execution:")}:${reservationId}`);
});

afterAll(async () => {
  await cloud?.stop();
  process.env = savedEnv;
  await removeTestPeople();
  await closeSearchClient();
  await closePools();
  await closeRedisClient();
});

describe("tokens that must not be accepted", () => {
  /** Each forged or misdirected token, built when the cloud runs. */
  const badTokens: Array<[string, () => Promise<string>]> = [
    ["alg none, unsigned", async () => {
      const token = `${base64url({ alg: "none", kid: issuerKey.kid, typ: "JWT" })}.${base64url(idClaims("operator", operatorId))}.`;
      tokens.push(token);
      return token;
    }],
    ["HS256 signed with the issuer's public key as the secret", async () => {
      // The classic confusion: a verifier that took the key's PEM text as an HMAC secret would accept this.
      const publicKey = await importJWK(issuerKey.publicJwk, signingAlgorithm);
      const secret = new TextEncoder().encode(await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0]));
      const token = await new SignJWT(idClaims("operator", operatorId)).setProtectedHeader({ alg: "HS256", kid: issuerKey.kid, typ: "JWT" }).sign(secret);
      tokens.push(token);
      return token;
    }],
    ["an unknown kid (an attacker's key)", () => sign(idClaims("customer", customerA), attackerKey)],
    ["the issuer's kid, signed by an attacker's key", () => sign(idClaims("customer", customerA), attackerKey, issuerKey.kid)],
    ["no kid", async () => {
      const token = await new SignJWT(idClaims("customer", customerA)).setProtectedHeader({ alg: signingAlgorithm, typ: "JWT" }).sign(issuerKey.privateKey);
      tokens.push(token);
      return token;
    }],
    ["a wrong issuer", () => sign({ ...idClaims("customer", customerA), iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_attacker" })],
    ["a wrong audience", () => sign({ ...idClaims("customer", customerA), aud: "another-app-client" })],
    ["an access token of another app client (client_id, no aud)", () => {
      const { aud: _aud, ...claims } = idClaims("customer", customerA);
      return sign({ ...claims, token_use: "access", client_id: "another-app-client" });
    }],
    ["an expired token", () => {
      const now = Math.floor(Date.now() / 1000);
      return sign({ ...idClaims("customer", customerA), iat: now - 7200, exp: now - 3600 });
    }],
    ["no exp", () => {
      const { exp: _exp, ...claims } = idClaims("customer", customerA);
      return sign(claims);
    }],
    ["issued in the future", () => sign({ ...idClaims("customer", customerA), iat: Math.floor(Date.now() / 1000) + 3600 })],
  ];

  it.each(badTokens)("refuses %s on every HTTP API (401) and on $connect", async (_name, forge) => {
    const token = await forge();
    for (const declared of httpApis) {
      const [routeKey] = Object.entries<RouteDeclaration>(declared.routes).find(([, route]) => route.auth === "jwt")!;
      const response = await call(declared.name, routeKey, token);
      expect(response.status, `${declared.name} ${routeKey}`).toBe(401);
      expect(response.json(), `${declared.name} ${routeKey}`).toEqual({ message: "Unauthorized" });
    }
    expect(await connectOutcome(token)).toBe(401);
  });

  it("accepts what API Gateway's JWT authorizer accepts, alike on HTTP and $connect: an access token of the app client", async () => {
    // Neither the JWT authorizer nor $connect's checks token_use: a Cognito access token of this
    // app client names the same user and groups as its id token, so it is accepted on both.
    const { aud: _aud, ...claims } = idClaims("customer", customerA);
    const token = await sign({ ...claims, token_use: "access", client_id: localAudience });
    expect((await call("ReservationApi", "GET /me", token)).status).toBe(200);
    expect(await connectOutcome(token)).toBe("open");
  });

  it("refuses a request without a token (401) and a $connect without one", async () => {
    for (const [apiName, routeKey] of jwtRoutes) expect((await call(apiName, routeKey, undefined)).status, `${apiName} ${routeKey}`).toBe(401);
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(cloud.outputs.LiveApiUrl!);
      // terminate() during the handshake reports itself as an error: expected here.
      socket.on("error", () => undefined);
      socket.once("unexpected-response", (_request, response) => (resolve(response.statusCode ?? 0), response.resume(), socket.terminate()));
      socket.once("open", () => (resolve(200), socket.close()));
    });
    expect(refused).toBe(401);
  });
});

describe("roles come only from a verified token", () => {
  it("refuses an operator token signed by an attacker's key on every operator route (401)", async () => {
    const forged = await sign(idClaims("operator", operatorId), attackerKey, issuerKey.kid);
    const operatorOnly = jwtRoutes.filter(([, , route]) => route.roles?.length === 1 && route.roles[0] === "operator");
    expect(operatorOnly.length).toBeGreaterThan(0);
    for (const [apiName, routeKey] of operatorOnly) expect((await call(apiName, routeKey, forged)).status, `${apiName} ${routeKey}`).toBe(401);
  });

  it("gives every role 403 problem+json on every route that does not admit it, whatever else the request says", async () => {
    const people: Record<Role, string> = { customer: customerA, driver: driverA, operator: operatorId };
    for (const role of ["customer", "driver", "operator"] as const) {
      // Claims and headers beside the group claim grant nothing.
      const token = await sign({ ...idClaims(role, people[role]), "custom:role": "operator", role: "operator", scope: "operator" });
      for (const [apiName, routeKey, route] of jwtRoutes) {
        if (route.roles?.includes(role)) continue;
        const { method, path: target } = requestOf(routeKey);
        const response = await send(`${apiUrl(api(apiName))}${target}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-haul-role": "operator", "x-amzn-oidc-data": "operator" },
          body: method === "POST" ? "{}" : undefined,
        });
        expect(response.status, `${role} on ${apiName} ${routeKey}`).toBe(403);
        expect(response.headers["content-type"], `${role} on ${apiName} ${routeKey}`).toContain("application/problem+json");
      }
    }
  });

  it("admits to $connect only the roles the LiveApi declares (an operator is forbidden, 403)", async () => {
    expect(await connectOutcome(await tokenOf("operator", operatorId))).toBe(403);
    expect(await connectOutcome(await tokenOf("customer", customerB))).toBe("open");
  });
});

describe("no one reaches another's data by id", () => {
  /** One check per route that takes an id: the other customer's or driver's request is refused and shows nothing. */
  const crossTenantChecks: Record<string, () => Promise<void>> = {
    "ReservationApi POST /reservations/{id}/cancel": async () => {
      await refusedWithoutData("ReservationApi", "POST /reservations/{id}/cancel", await tokenOf("customer", customerB), { id: reservationId });
      // Still the owner's, still confirmed.
      const own = await call("QueryApi", "GET /reservations/{id}", await tokenOf("customer", customerA), { params: { id: reservationId } });
      expect(own.status).toBe(200);
      expect(own.json()).toMatchObject({ status: "CONFIRMED" });
    },
    "ReservationApi POST /reservations/{id}/pickup": () =>
      tokenOf("driver", driverB).then((token) => refusedWithoutData("ReservationApi", "POST /reservations/{id}/pickup", token, { id: reservationId })),
    "ReservationApi POST /reservations/{id}/deliver": () =>
      tokenOf("driver", driverB).then((token) => refusedWithoutData("ReservationApi", "POST /reservations/{id}/deliver", token, { id: reservationId })),
    "ReservationApi GET /ops/executions/{name}": async () => {
      for (const token of [await tokenOf("customer", customerB), await tokenOf("driver", driverB)]) {
        await refusedWithoutData("ReservationApi", "GET /ops/executions/{name}", token, { name: reservationId });
      }
    },
    "QueryApi GET /reservations/{id}": async () => {
      for (const token of [await tokenOf("customer", customerB), await tokenOf("driver", driverB)]) {
        await refusedWithoutData("QueryApi", "GET /reservations/{id}", token, { id: reservationId });
      }
    },
    "QueryApi GET /drivers/{id}/reservations": async () => {
      await refusedWithoutData("QueryApi", "GET /drivers/{id}/reservations", await tokenOf("driver", driverB), { id: driverA });
      await refusedWithoutData("QueryApi", "GET /drivers/{id}/reservations", await tokenOf("customer", customerB), { id: driverA });
    },
    "NotificationApi GET /drivers/{id}/messages": async () => {
      await refusedWithoutData("NotificationApi", "GET /drivers/{id}/messages", await tokenOf("driver", driverB), { id: driverA });
      await refusedWithoutData("NotificationApi", "GET /drivers/{id}/messages", await tokenOf("customer", customerA), { id: driverA });
    },
    "NotificationApi POST /drivers/{id}/messages/read": async () => {
      const body = { messageIds: [`${reservationId}:reservation-confirmed`] };
      await refusedWithoutData("NotificationApi", "POST /drivers/{id}/messages/read", await tokenOf("driver", driverB), { id: driverA }, body);
    },
    "TrackingApi GET /reservations/{id}/positions": async () => {
      for (const token of [await tokenOf("customer", customerB), await tokenOf("driver", driverB)]) {
        await refusedWithoutData("TrackingApi", "GET /reservations/{id}/positions", token, { id: reservationId });
      }
    },
  };

  async function refusedWithoutData(apiName: string, routeKey: string, token: string, params: Record<string, string>, body?: unknown): Promise<void> {
    const response = await call(apiName, routeKey, token, { params, ...(body === undefined ? {} : { body }) });
    const label = `${apiName} ${routeKey}`;
    expect([403, 404], `${label} answered ${response.status}: ${response.body.toString("utf8")}`).toContain(response.status);
    expect(response.headers["content-type"], label).toContain("application/problem+json");
    const text = response.body.toString("utf8");
    // Nothing of the other party's: not the owner, not the assigned driver, not the cargo.
    for (const secret of [customerA, ...(params.id === driverA ? [] : [driverA]), requestBody(driverA).cargo.description]) {
      expect(text, label).not.toContain(secret);
    }
  }

  it("covers every declared route whose path takes an id", () => {
    const routesWithIds = httpApis.flatMap((declared) => Object.keys(declared.routes).filter((routeKey) => routeKey.includes("{")).map((routeKey) => `${declared.name} ${routeKey}`));
    expect(Object.keys(crossTenantChecks).sort()).toEqual(routesWithIds.sort());
  });

  it.each(Object.keys(crossTenantChecks))("%s", async (route) => {
    await crossTenantChecks[route]!();
  });

  it("refuses a subscription to someone else's reservation, for another customer and for another driver, alike", async () => {
    const answers: Frame[] = [];
    for (const token of [await tokenOf("customer", customerB), await tokenOf("driver", driverB)]) {
      const app = await openSocket(token);
      try {
        app.socket.send(JSON.stringify({ action: "subscribe", reservationId }));
        answers.push(await until(() => app.frames.find((frame) => frame.type === "subscribed" || frame.type === "error")));
      } finally {
        app.socket.close(1000);
      }
    }
    for (const answer of answers) {
      expect(answer.type).toBe("error");
      expect(JSON.stringify(answer)).not.toContain(customerA);
    }
    // The same words as for a reservation that does not exist: nothing tells the two apart.
    const stranger = await openSocket(await tokenOf("customer", customerB));
    try {
      const unknownId = randomUUID();
      stranger.socket.send(JSON.stringify({ action: "subscribe", reservationId: unknownId }));
      const unknown = await until(() => stranger.frames.find((frame) => frame.type === "error"));
      const withoutId = (frame: Frame, id: string) => JSON.parse(JSON.stringify(frame).replaceAll(id, "<id>")) as unknown;
      expect(withoutId(unknown, unknownId)).toEqual(withoutId(answers[0]!, reservationId));
    } finally {
      stranger.socket.close(1000);
    }
  });
});

describe("request-size limits", () => {
  it("answers a body over the handlers' limit with 413 problem+json", async () => {
    const token = await tokenOf("customer", customerA);
    const response = await send(`${cloud.outputs.ReservationApiUrl}/reservations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ ...requestBody(driverA), padding: "x".repeat(65 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(response.json()).toMatchObject({ status: 413 });
  });

  it("answers a body over API Gateway's 10 MB payload limit with the gateway's own 413", async () => {
    const response = await send(`${cloud.outputs.ReservationApiUrl}/reservations`, {
      method: "POST",
      headers: { authorization: `Bearer ${await tokenOf("customer", customerA)}`, "content-type": "application/json" },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, "x"),
    });
    expect(response.status).toBe(413);
    expect(response.json()).toEqual({ message: "Request Entity Too Large" });
  });

  it("refuses headers too large before any handler runs (431)", async () => {
    const response = await send(`${cloud.outputs.QueryApiUrl}/reservations`, {
      headers: { authorization: `Bearer ${await tokenOf("customer", customerA)}`, // Over the gateway's 16 KB of headers, yet small enough to be sent whole before the server answers and
      // closes: a far larger header can meet the closed socket (ECONNRESET) instead of the 431.
      "x-padding": "x".repeat(20 * 1024) },
    });
    expect(response.status).toBe(431);
  });

  it("closes a WebSocket that sends a message over 128 KB (1009)", async () => {
    const app = await openSocket(await tokenOf("customer", customerA));
    app.socket.send(JSON.stringify({ action: "ping", padding: "x".repeat(128 * 1024) }));
    expect(await app.closed).toBe(1009);
  });
});

describe("logs", () => {
  it("hold no token, authorization header or database password of this run", async () => {
    await cloud.logs.flush();
    const passwords = databasePasswordPatterns();
    const needles = [...new Set(tokens)].map((token) => ({ text: token, what: "a token of this run" }));
    needles.push({ text: "bearer ", what: "a Bearer authorization" }, { text: "authorization", what: "an authorization header" });
    needles.push(...passwords.map((text) => ({ text, what: "the MySQL password" })));
    const findings: string[] = [];
    const check = (where: string, line: string) => {
      const lower = line.toLowerCase();
      for (const needle of needles) if (lower.includes(needle.text.toLowerCase())) findings.push(`${where}: ${needle.what}`);
    };

    const logsDir = path.join(path.dirname(cloud.outputsFile), "logs");
    const files = await filesUnder(logsDir);
    expect(files.length).toBeGreaterThan(0);
    let ownLogs = "";
    for (const file of files) {
      const text = await readFile(file, "utf8");
      ownLogs += text;
      text.split("\n").forEach((line, index) => check(`${path.relative(logsDir, file)}:${index + 1}`, line));
    }

    // What the refiner wrote into OpenSearch for this run.
    const search = createTestClient();
    try {
      await search.indices.refresh({ index: `${searchIndexName("api-logs")}*` }, { ignore: [404] });
      const found = await search.search(
        { index: `${searchIndexName("api-logs")}*`, body: { size: 10_000, query: { range: { timestamp: { gte: runStartedAt.toISOString() } } } } },
        { ignore: [404] },
      );
      const hits = (found.body.hits?.hits ?? []) as Array<{ _index: string; _id: string; _source: { requestId?: string; correlationId?: string } }>;
      // Other test runs share the index: this run's documents are those whose request is in this cloud's logs.
      const ownHits = hits.filter(({ _source: { requestId, correlationId } }) => [requestId, correlationId].some((id) => id && ownLogs.includes(id)));
      expect(ownHits.length).toBeGreaterThan(0);
      for (const hit of ownHits) check(`OpenSearch ${hit._index}/${hit._id}`, JSON.stringify(hit._source));
      // A token of this run is this run's wherever it is.
      for (const hit of hits) for (const token of tokens) if (JSON.stringify(hit._source).includes(token)) findings.push(`OpenSearch ${hit._index}/${hit._id}: a token of this run`);
    } finally {
      await search.close();
    }
    expect(findings).toEqual([]);
  });
});

/** The MySQL passwords as they would appear in a log: in a URL, a JSON field or a key=value pair. */
function databasePasswordPatterns(): string[] {
  const patterns: string[] = [];
  for (const variable of ["HAUL_MYSQL_URL", "HAUL_MYSQL_REPLICA_URL"]) {
    const value = process.env[variable];
    if (!value) continue;
    const url = new URL(value);
    const password = decodeURIComponent(url.password);
    if (!password) continue;
    patterns.push(`${decodeURIComponent(url.username)}:${password}@`, `"password":"${password}"`, `password=${password}`);
    // A password too short or too common to scan for alone is found in those forms only.
    if (password.length >= 8 && !url.username.includes(password)) patterns.push(password);
  }
  return [...new Set(patterns)];
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}
