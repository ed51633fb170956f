import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { localAudience } from "../src/config.js";
import { mintToken } from "../src/identity/mint-token.js";
import { startIdentityServer, type RunningIdentityServer } from "../src/identity/server.js";
import { loadOrCreateSigningKey, type SigningKey } from "../src/identity/signing-key.js";

let dir: string;
let key: SigningKey;
let server: RunningIdentityServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "haul-identity-"));
  key = await loadOrCreateSigningKey(path.join(dir, "identity"));
  server = await startIdentityServer({ signingKey: key, host: "127.0.0.1", port: 0 });
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
