import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { reservationApi } from "@haul/functions/declarations";
import { repoRoot, localAudience } from "../src/config.js";
import { startHttpApiGateway, type RunningHttpApiGateway } from "../src/gateway/http-api-gateway.js";
import { listRoutes } from "../src/gateway/routes.js";
import { locateHandler } from "../src/gateway/handler-loader.js";
import { startIdentityServer, type RunningIdentityServer } from "../src/identity/server.js";
import { createSigningKey, type SigningKey } from "../src/identity/signing-key.js";
import { mintToken } from "../src/identity/mint-token.js";
import { binaryBytes, invocationCount } from "./fixtures/handlers.js";
import { catchAllApi, testApi } from "./fixtures/test-apis.js";
import { send } from "./fixtures/http-client.js";
import { siteOrigins } from "../src/web/static-site.js";

/** The local cloud's CORS: exactly the web app's two local origins (packages/local/src/main.ts). */
const [webByName, webByAddress] = siteOrigins(4010) as [string, string];
const foreignOrigin = "https://evil.example";
const corsConfig = {
  allowOrigins: [webByName, webByAddress],
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["authorization", "content-type"],
  exposeHeaders: ["x-correlation-id", "location"],
  maxAgeSeconds: 600,
};
const userId = "0b6f4f2e-6a47-4c59-9d0e-3f1b1c7a2d11";

interface Echo {
  event: APIGatewayProxyEventV2WithJWTAuthorizer;
  context: Record<string, unknown>;
}

let signingKey: SigningKey;
let identity: RunningIdentityServer;
let gateway: RunningHttpApiGateway;
const accessLines: string[] = [];
const errorLines: string[] = [];

beforeAll(async () => {
  signingKey = await createSigningKey();
  identity = await startIdentityServer({ signingKey, host: "127.0.0.1", port: 0 });
  gateway = await startHttpApiGateway({
    api: testApi,
    cors: corsConfig,
    authorizer: { issuer: identity.issuer, audience: [localAudience] },
    host: "127.0.0.1",
    port: 0,
    root: repoRoot,
    resourcePrefix: "test-haul",
    accessLog: (line) => accessLines.push(line),
    errorLog: (line) => errorLines.push(line),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await identity?.stop();
});

beforeEach(() => {
  accessLines.length = 0;
  errorLines.length = 0;
});

const customerToken = (overrides: Partial<Parameters<typeof mintToken>[0]> = {}) =>
  mintToken({ role: "customer", sub: userId, issuer: identity.issuer, signingKey, email: "cara@example.com", ...overrides });

const bearer = async () => ({ authorization: `Bearer ${await customerToken()}` });

describe("the v2 event", () => {
  it("carries path, query, headers, cookies, request context and claims as API Gateway does", async () => {
    const before = Date.now();
    const response = await send(`${gateway.url}/items/a%20b?x=1&x=2&y=hello%20world&empty=`, {
      headers: {
        ...(await bearer()),
        "X-Custom": ["one", "two"],
        Cookie: "session=abc; theme=dark",
        "User-Agent": "haul-test/1.0",
      },
    });
    expect(response.status).toBe(200);
    const { event, context } = response.json<Echo>();

    expect(event.version).toBe("2.0");
    expect(event.routeKey).toBe("GET /items/{id}");
    expect(event.rawPath).toBe("/items/a%20b");
    expect(event.rawQueryString).toBe("x=1&x=2&y=hello%20world&empty=");
    expect(event.queryStringParameters).toEqual({ x: "1,2", y: "hello world", empty: "" });
    expect(event.pathParameters).toEqual({ id: "a b" });
    expect(event.cookies).toEqual(["session=abc", "theme=dark"]);
    expect(event.headers["x-custom"]).toBe("one,two");
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers["user-agent"]).toBe("haul-test/1.0");
    expect(event.headers.host).toBe(new URL(gateway.url).host);
    expect(event.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(event.headers["x-forwarded-proto"]).toBe("http");
    expect(event.headers["x-amzn-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.isBase64Encoded).toBe(false);
    expect("body" in event).toBe(false);

    const rc = event.requestContext;
    expect(rc.accountId).toMatch(/^\d{12}$/);
    expect(rc.apiId).toBe(gateway.apiId);
    expect(rc.apiId).toMatch(/^[a-z0-9]{10}$/);
    expect(rc.domainName).toBe("127.0.0.1");
    expect(rc.domainPrefix).toBe("127");
    expect(rc.http).toEqual({
      method: "GET",
      path: "/items/a%20b",
      protocol: "HTTP/1.1",
      sourceIp: "127.0.0.1",
      userAgent: "haul-test/1.0",
    });
    expect(rc.requestId).toBe(response.headers["apigw-requestid"]);
    expect(rc.routeKey).toBe("GET /items/{id}");
    expect(rc.stage).toBe("$default");
    expect(rc.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(rc.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(rc.timeEpoch).toBeLessThanOrEqual(Date.now());

    const { claims, scopes } = rc.authorizer.jwt;
    expect(scopes).toBeNull();
    expect(claims.sub).toBe(userId);
    expect(claims["cognito:groups"]).toBe("[customer]");
    expect(claims.token_use).toBe("id");
    expect(claims.aud).toBe(localAudience);
    expect(claims.iss).toBe(identity.issuer);
    expect(claims.email).toBe("cara@example.com");
    expect(claims.iat).toMatch(/^\d+$/);
    expect(claims.exp).toMatch(/^\d+$/);
    expect(Object.values(claims).every((value) => typeof value === "string")).toBe(true);

    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.functionName).toBe("test-haul-TestApi-packages-local-test-fixtures-handlers");
    expect(context.functionVersion).toBe("$LATEST");
    expect(context.invokedFunctionArn).toBe(`arn:aws:lambda:us-east-1:${rc.accountId}:function:${context.functionName}`);
    expect(context.memoryLimitInMB).toBe("1024");
    expect(context.logGroupName).toBe(`/aws/lambda/${context.functionName}`);
    expect(context.remainingTimeInMillis).toBeGreaterThan(0);
    expect(context.remainingTimeInMillis).toBeLessThanOrEqual(10_000);
  });

  it("renders array, boolean, number and null claims the way the JWT authorizer does", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      "cognito:groups": ["customer", "driver"],
      email_verified: true,
      "custom:rating": 4.5,
      nothing: null,
      token_use: "id",
    })
      .setProtectedHeader({ alg: "RS256", kid: signingKey.kid })
      .setSubject(userId)
      .setIssuer(identity.issuer)
      .setAudience(localAudience)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(signingKey.privateKey);
    const response = await send(`${gateway.url}/items/1`, { headers: { authorization: `Bearer ${token}` } });
    const { claims } = response.json<Echo>().event.requestContext.authorizer.jwt;
    expect(claims["cognito:groups"]).toBe("[customer driver]");
    expect(claims.email_verified).toBe("true");
    expect(claims["custom:rating"]).toBe("4.5");
    expect(claims.exp).toBe(String(now + 300));
    expect("nothing" in claims).toBe(false);
  });

  it("passes text bodies as text and everything else as base64", async () => {
    const token = await bearer();
    const post = async (body: Buffer | string, contentType?: string) => {
      const headers = { ...token, ...(contentType ? { "content-type": contentType } : {}) };
      return (await send(`${gateway.url}/items/7`, { method: "POST", headers, body })).json<Echo>().event;
    };

    const json = await post('{"pickup":"Lyon"}', "application/json");
    expect(json.body).toBe('{"pickup":"Lyon"}');
    expect(json.isBase64Encoded).toBe(false);

    const text = await post("héllo", "text/plain; charset=utf-8");
    expect(text.body).toBe("héllo");
    expect(text.isBase64Encoded).toBe(false);

    const bytes = Buffer.from([0, 1, 2, 255]);
    const octets = await post(bytes, "application/octet-stream");
    expect(octets.isBase64Encoded).toBe(true);
    expect(octets.body).toBe(bytes.toString("base64"));

    const form = await post("a=1&b=2", "application/x-www-form-urlencoded");
    expect(form.isBase64Encoded).toBe(true);
    expect(Buffer.from(form.body!, "base64").toString()).toBe("a=1&b=2");

    const untyped = await post("no content type");
    expect(untyped.isBase64Encoded).toBe(true);
  });

  it("leaves out optional fields that have no value and the authorizer on public routes", async () => {
    const { event } = (await send(`${gateway.url}/public`)).json<Echo>();
    expect(event.routeKey).toBe("GET /public");
    for (const field of ["queryStringParameters", "pathParameters", "cookies", "body"]) expect(field in event).toBe(false);
    expect(event.rawQueryString).toBe("");
    expect("authorizer" in event.requestContext).toBe(false);
  });
});

describe("route selection", () => {
  it("matches greedy path variables", async () => {
    const { event } = (await send(`${gateway.url}/files/docs/2026/report%201.pdf`)).json<Echo>();
    expect(event.routeKey).toBe("GET /files/{proxy+}");
    expect(event.pathParameters).toEqual({ proxy: "docs/2026/report 1.pdf" });
  });

  it("prefers a literal segment over a path variable", async () => {
    const { event } = (await send(`${gateway.url}/items/special`)).json<Echo>();
    expect(event.routeKey).toBe("GET /items/special");
  });

  it("answers 404 Not Found for an unknown path or method, without invoking anything", async () => {
    const invoked = invocationCount();
    for (const [method, path] of [
      ["GET", "/nope"],
      ["DELETE", "/items/1"],
      ["GET", "/files"],
      ["GET", "/items/1/extra"],
    ] as const) {
      const response = await send(`${gateway.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.json()).toEqual({ message: "Not Found" });
    }
    expect(invocationCount()).toBe(invoked);
  });

  it("sends unmatched requests to $default when the API declares it", async () => {
    const catchAll = await startHttpApiGateway({
      api: catchAllApi,
      authorizer: { issuer: identity.issuer, audience: [localAudience] },
      host: "127.0.0.1",
      port: 0,
      root: repoRoot,
      resourcePrefix: "test-haul",
      accessLog: () => {},
    });
    try {
      const unmatched = (await send(`${catchAll.url}/anything/at/all?q=1`, { method: "PUT" })).json<Echo>().event;
      expect(unmatched.routeKey).toBe("$default");
      expect(unmatched.requestContext.routeKey).toBe("$default");
      expect(unmatched.rawPath).toBe("/anything/at/all");
      expect("pathParameters" in unmatched).toBe(false);
      const known = (await send(`${catchAll.url}/known`)).json<Echo>().event;
      expect(known.routeKey).toBe("GET /known");
    } finally {
      await catchAll.stop();
    }
  });

  it("lists the declared route keys, for the parity test against the cloud template", () => {
    expect(gateway.listRoutes()).toEqual(Object.keys(testApi.routes));
    expect(listRoutes(reservationApi)).toEqual(Object.keys(reservationApi.routes));
    expect(listRoutes(catchAllApi)).toContain("$default");
  });
});

describe("response shaping (payload format 2.0)", () => {
  it("passes a structured result's status, headers and body through", async () => {
    const response = await send(`${gateway.url}/public`);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers["x-from"]).toBe("handler");
    expect(response.headers["apigw-requestid"]).toBeTruthy();
  });

  it("infers 200 application/json around a result without statusCode", async () => {
    const object = await send(`${gateway.url}/inferred-object`);
    expect(object.status).toBe(200);
    expect(object.headers["content-type"]).toBe("application/json");
    expect(object.json()).toEqual({ hello: "world", n: 1 });

    const text = await send(`${gateway.url}/inferred-string`);
    expect(text.status).toBe(200);
    expect(text.headers["content-type"]).toBe("application/json");
    expect(text.body.toString()).toBe("plain text");
  });

  it("decodes a base64 body", async () => {
    const response = await send(`${gateway.url}/binary`);
    expect(response.headers["content-type"]).toBe("image/png");
    expect(response.body.equals(binaryBytes)).toBe(true);
  });

  it("turns cookies into set-cookie headers and stringifies header values", async () => {
    const response = await send(`${gateway.url}/cookies`);
    expect(response.status).toBe(201);
    expect(response.headers["set-cookie"]).toEqual(["session=abc; Path=/; HttpOnly", "theme=dark", "late=1"]);
    expect(response.headers["x-number"]).toBe("42");
    expect(response.headers["x-flag"]).toBe("true");
    expect(response.headers["x-multi"]).toBe("a,b");
    expect(response.body.length).toBe(0);
  });

  it("supports callback-style handlers", async () => {
    const response = await send(`${gateway.url}/callback`);
    expect(response.status).toBe(202);
    expect(response.body.toString()).toBe("accepted");
  });

  it("answers 500 Internal Server Error when the handler throws, returns nonsense or is missing", async () => {
    for (const path of ["/throws", "/malformed", "/missing-export"]) {
      const response = await send(`${gateway.url}${path}`);
      expect(response.status, path).toBe(500);
      expect(response.json()).toEqual({ message: "Internal Server Error" });
    }
    expect(errorLines.join("\n")).toContain("boom from the fixture");
    expect(errorLines.join("\n")).toContain('no exported function "doesNotExist"');
  });

  it("writes one JSON access log line per request", async () => {
    await send(`${gateway.url}/items/special?x=1`, { headers: { "user-agent": "log-test" } });
    await send(`${gateway.url}/nope`);
    const [matched, unmatched] = accessLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(matched).toMatchObject({
      httpMethod: "GET",
      path: "/items/special",
      routeKey: "GET /items/special",
      status: 200,
      integrationStatus: "200",
      integrationServiceStatus: "200",
      ip: "127.0.0.1",
      userAgent: "log-test",
    });
    expect(matched!.integrationRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(unmatched).toMatchObject({ path: "/nope", routeKey: "-", status: 404, integrationRequestId: "-" });
  });
});

describe("the JWT authorizer", () => {
  const expectRejected = async (headers: Record<string, string>, why: string) => {
    const invoked = invocationCount();
    const response = await send(`${gateway.url}/items/1`, { headers });
    expect(response.status, why).toBe(401);
    expect(response.json(), why).toEqual({ message: "Unauthorized" });
    expect(response.headers["www-authenticate"], why).toMatch(/^Bearer scope="" error="invalid_token"/);
    expect(invocationCount(), `${why}: the handler must not run`).toBe(invoked);
  };

  it("lets a valid token through, with or without the Bearer prefix", async () => {
    const token = await customerToken();
    expect((await send(`${gateway.url}/items/1`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await send(`${gateway.url}/items/1`, { headers: { authorization: token } })).status).toBe(200);
  });

  it("refuses a request without a token", async () => {
    await expectRejected({}, "no header");
    await expectRejected({ authorization: "Bearer " }, "empty bearer");
    await expectRejected({ authorization: "Bearer not.a.jwt" }, "garbage");
  });

  it("refuses a token signed by another key", async () => {
    const otherKey = await createSigningKey();
    await expectRejected({ authorization: `Bearer ${await customerToken({ signingKey: otherKey })}` }, "unknown kid");
    // Same kid as the real key, forged signature.
    const forged = await customerToken({ signingKey: { ...otherKey, kid: signingKey.kid } });
    await expectRejected({ authorization: `Bearer ${forged}` }, "forged signature");
  });

  it("refuses an expired token", async () => {
    const twoHoursAgo = Math.floor(Date.now() / 1000) - 7200;
    await expectRejected({ authorization: `Bearer ${await customerToken({ issuedAt: twoHoursAgo, expiresIn: "1h" })}` }, "expired");
  });

  it("refuses a token for another audience or from another issuer", async () => {
    await expectRejected({ authorization: `Bearer ${await customerToken({ audience: "someone-else" })}` }, "audience");
    await expectRejected({ authorization: `Bearer ${await customerToken({ issuer: "http://127.0.0.1:1" })}` }, "issuer");
  });

  it("refuses a token that is not valid yet, or has no kid", async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (header: { alg: string; kid?: string }, notBefore?: number) => {
      const jwt = new SignJWT({ "cognito:groups": ["customer"] })
        .setProtectedHeader(header)
        .setSubject(userId)
        .setIssuer(identity.issuer)
        .setAudience(localAudience)
        .setIssuedAt(now)
        .setExpirationTime(now + 600);
      if (notBefore !== undefined) jwt.setNotBefore(notBefore);
      return jwt.sign(signingKey.privateKey);
    };
    await expectRejected({ authorization: `Bearer ${await sign({ alg: "RS256", kid: signingKey.kid }, now + 300)}` }, "nbf");
    await expectRejected({ authorization: `Bearer ${await sign({ alg: "RS256" })}` }, "no kid");
  });

  it("accepts an access token by client_id when it has no aud", async () => {
    const now = Math.floor(Date.now() / 1000);
    const accessToken = (clientId: string) =>
      new SignJWT({ client_id: clientId, token_use: "access", scope: "aws.cognito.signin.user.admin" })
        .setProtectedHeader({ alg: "RS256", kid: signingKey.kid })
        .setSubject(userId)
        .setIssuer(identity.issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(signingKey.privateKey);
    const response = await send(`${gateway.url}/items/1`, { headers: { authorization: `Bearer ${await accessToken(localAudience)}` } });
    expect(response.status).toBe(200);
    expect(response.json<Echo>().event.requestContext.authorizer.jwt.claims.client_id).toBe(localAudience);
    await expectRejected({ authorization: `Bearer ${await accessToken("another-client")}` }, "client_id");
  });
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    send(`${gateway.url}/items/1`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });

  it.each([webByName, webByAddress])("answers a preflight from %s itself, before routing and authorization", async (origin) => {
    const invoked = invocationCount();
    const response = await preflight(origin);
    expect(response.status).toBe(204);
    expect(response.headers["access-control-allow-origin"]).toBe(origin);
    expect(response.headers["access-control-allow-methods"]).toBe("GET,POST,OPTIONS");
    expect(response.headers["access-control-allow-headers"]).toBe("authorization,content-type");
    expect(response.headers["access-control-max-age"]).toBe("600");
    expect(invocationCount()).toBe(invoked);
  });

  it("allows no other origin, not even the web app's on another port", async () => {
    for (const origin of [foreignOrigin, siteOrigins(4011)[1]!, "null"]) {
      const refused = await preflight(origin);
      expect(refused.status).toBe(204);
      expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
      expect(refused.headers["access-control-allow-methods"]).toBeUndefined();
      const actual = await send(`${gateway.url}/public`, { headers: { origin } });
      expect(actual.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("treats OPTIONS without access-control-request-method as an ordinary request", async () => {
    const response = await send(`${gateway.url}/items/1`, { method: "OPTIONS", headers: { origin: webByAddress } });
    expect(response.status).toBe(404);
  });

  it.each([webByName, webByAddress])("adds its headers to responses for requests from %s, replacing the handler's", async (origin) => {
    const withOrigin = await send(`${gateway.url}/public`, { headers: { origin } });
    expect(withOrigin.headers["access-control-allow-origin"]).toBe(origin);
    expect(withOrigin.headers["access-control-expose-headers"]).toBe("x-correlation-id,location");
    const withoutOrigin = await send(`${gateway.url}/public`);
    expect(withoutOrigin.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("only echoes allowed origins when origins are listed", async () => {
    const strict = await startHttpApiGateway({
      api: testApi,
      cors: { ...corsConfig, allowOrigins: ["https://app.example"], allowCredentials: true },
      authorizer: { issuer: identity.issuer, audience: [localAudience] },
      host: "127.0.0.1",
      port: 0,
      root: repoRoot,
      resourcePrefix: "test-haul",
      accessLog: () => {},
    });
    try {
      const preflight = (origin: string) =>
        send(`${strict.url}/public`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } });
      const allowed = await preflight("https://app.example");
      expect(allowed.headers["access-control-allow-origin"]).toBe("https://app.example");
      expect(allowed.headers["access-control-allow-credentials"]).toBe("true");
      const refused = await preflight("https://evil.example");
      expect(refused.status).toBe(204);
      expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
      const actual = await send(`${strict.url}/public`, { headers: { origin: "https://evil.example" } });
      expect(actual.headers["access-control-allow-origin"]).toBeUndefined();
    } finally {
      await strict.stop();
    }
  });
});

describe("handler modules", () => {
  it("maps SST's handler string to the module file and export", () => {
    const location = locateHandler("packages/local/test/fixtures/handlers.echo", repoRoot);
    expect(location.file).toBe(`${repoRoot}packages/local/test/fixtures/handlers.ts`);
    expect(location.exportName).toBe("echo");
    expect(() => locateHandler("packages/local/test/fixtures/nothing-here.handler", repoRoot)).toThrow(/no .*nothing-here/);
  });
});
