import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { demoPeople } from "@haul/core/identity/demo-people";
import { localAudience, repoRoot } from "../src/config.js";
import { startHttpApiGateway, type RunningHttpApiGateway } from "../src/gateway/http-api-gateway.js";
import { mintToken } from "../src/identity/mint-token.js";
import { startIdentityServer, type RunningIdentityServer } from "../src/identity/server.js";
import { loadOrCreateSigningKey, type SigningKey } from "../src/identity/signing-key.js";
import { testApi } from "./fixtures/test-apis.js";

let dir: string;
let key: SigningKey;
let server: RunningIdentityServer;
const webOrigin = "http://127.0.0.1:5173";

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "haul-identity-"));
  key = await loadOrCreateSigningKey(path.join(dir, "identity"));
  server = await startIdentityServer({ signingKey: key, host: "127.0.0.1", port: 0, allowOrigins: [webOrigin] });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("the signing key", () => {
  it("is created once, kept private and reused", async () => {
    const again = await loadOrCreateSigningKey(path.join(dir, "identity"));
    expect(again.kid).toBe(key.kid);
    const file = await stat(path.join(dir, "identity", "signing-key.json"));
    expect(file.mode & 0o777).toBe(0o600);
    expect(key.publicJwk).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: key.kid });
    expect("d" in key.publicJwk).toBe(false);
  });

  it("ends up the same for processes that create it at the same time", async () => {
    const fresh = path.join(dir, "race");
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateSigningKey(fresh)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
  });
});

describe("the identity server", () => {
  it("publishes the discovery document and the JWKS", async () => {
    const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(server.issuer);
    expect(discovery.jwks_uri).toBe(server.jwksUrl);
    const jwks = (await (await fetch(server.jwksUrl)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([key.publicJwk]);
    expect((await fetch(`${server.issuer}/other`)).status).toBe(404);
  });
});

describe("mintToken", () => {
  it("mints a Cognito-like id token that verifies against the JWKS", async () => {
    const sub = "9d1c8f8e-1f7e-4f0e-8a5c-4b8f0b2b7d10";
    const token = await mintToken({ role: "driver", sub, issuer: server.issuer, signingKey: key, email: "dan@example.com" });
    const jwks = createLocalJWKSet((await (await fetch(server.jwksUrl)).json()) as { keys: [] });
    const { payload } = await jwtVerify(token, jwks, { issuer: server.issuer, audience: localAudience });
    expect(payload).toMatchObject({ sub, "cognito:groups": ["driver"], token_use: "id", email: "dan@example.com" });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "RS256", kid: key.kid });
  });

  it("honours expiresIn, audience and issuedAt", async () => {
    const token = await mintToken({
      role: "operator",
      sub: "00000000-0000-4000-8000-000000000001",
      signingKey: key,
      expiresIn: "15m",
      audience: "other-client",
      issuedAt: 1_000_000,
    });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ aud: "other-client", iat: 1_000_000, exp: 1_000_900, iss: "http://127.0.0.1:4002" });
    expect("email" in payload).toBe(false);
  });
});

describe("the demo sign-in (local only)", () => {
  const operator = demoPeople.find((person) => person.role === "operator")!;
  const requestToken = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.issuer}/demo/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("lists the seeded people", async () => {
    const response = await fetch(`${server.issuer}/demo/people`);
    expect(response.status).toBe(200);
    const { people } = (await response.json()) as { people: Array<Record<string, string>> };
    expect(people).toEqual(demoPeople.map(({ id, role, name, email }) => ({ id, role, name, email })));
    expect(new Set(people.map((person) => person.role))).toEqual(new Set(["customer", "driver", "operator"]));
  });

  it("mints a seeded person's id token that verifies against the JWKS and passes a local gateway", async () => {
    const response = await requestToken({ userId: operator.id });
    expect(response.status).toBe(200);
    const { token, expiresIn } = (await response.json()) as { token: string; expiresIn: number };
    expect(expiresIn).toBe(3600);
    const jwks = createLocalJWKSet((await (await fetch(server.jwksUrl)).json()) as { keys: [] });
    const { payload } = await jwtVerify(token, jwks, { issuer: server.issuer, audience: localAudience });
    expect(payload).toMatchObject({
      sub: operator.id,
      "cognito:groups": ["operator"],
      token_use: "id",
      email: operator.email,
      name: operator.name,
    });
    expect(payload.exp! - payload.iat!).toBe(3600);

    const gateway: RunningHttpApiGateway = await startHttpApiGateway({
      api: testApi,
      cors: { allowOrigins: [], allowMethods: ["GET"], allowHeaders: ["authorization"], exposeHeaders: [], maxAgeSeconds: 0 },
      authorizer: { issuer: server.issuer, audience: [localAudience] },
      host: "127.0.0.1",
      port: 0,
      root: repoRoot,
      resourcePrefix: "test-haul",
      accessLog: () => {},
      errorLog: () => {},
    });
    try {
      expect((await fetch(`${gateway.url}/items/1`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${gateway.url}/items/1`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
    } finally {
      await gateway.stop();
    }
  });

  it("refuses an unknown id or a bad body with problem+json naming the field", async () => {
    const refusal = async (body: unknown) => {
      const response = await requestToken(body);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as { status: number; "invalid-params": Array<{ name: string }> };
      expect(problem.status).toBe(response.status);
      return { status: response.status, fields: problem["invalid-params"].map((field) => field.name) };
    };
    expect(await refusal({ userId: "c0000000-0000-4000-8000-0000000000ff" })).toEqual({ status: 404, fields: ["body.userId"] });
    expect(await refusal({})).toEqual({ status: 400, fields: ["body.userId"] });
    expect(await refusal({ userId: 7 })).toEqual({ status: 400, fields: ["body.userId"] });
    expect(await refusal({ userId: operator.id, role: "operator" })).toEqual({ status: 400, fields: ["body.role"] });
    expect(await refusal("not json")).toEqual({ status: 400, fields: ["body"] });
  });

  it("answers CORS preflights and echoes the origin for allowed origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`${server.issuer}/demo/tokens`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const allowed = await preflight(webOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(webOrigin);
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("content-type");

    const foreign = await preflight("https://evil.example");
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect(foreign.headers.get("access-control-allow-methods")).toBeNull();

    const fromWeb = await fetch(`${server.issuer}/demo/people`, { headers: { origin: webOrigin } });
    expect(fromWeb.headers.get("access-control-allow-origin")).toBe(webOrigin);
    const fromElsewhere = await requestToken({ userId: operator.id }, { origin: "https://evil.example" });
    expect(fromElsewhere.headers.get("access-control-allow-origin")).toBeNull();
  });
});
