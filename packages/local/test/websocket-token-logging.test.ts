/**
 * The `$connect` token is a secret: it must not reach any log, locally or in AWS. Here every log
 * is as talkative as it gets (handlers at DEBUG, Powertools told to log every event) while tokens
 * are accepted and refused; then no line of the handlers, the access log or the error log holds
 * a token or its signature.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { createSigningKey } from "../src/identity/signing-key.js";
import { startLiveEnvironment, type LiveEnvironment, type TestGateway } from "./fixtures/live-environment.js";
import { connect, connected, request, whenClosed } from "./fixtures/websocket-client.js";

// Read when the shared logger is made: everything at DEBUG, and the event logging switch on.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = "true";
});

let env: LiveEnvironment;
let gateway: TestGateway;
const consoleLines: string[] = [];

beforeAll(async () => {
  env = await startLiveEnvironment();
  gateway = await env.startGateway();
  // Powertools writes through the console in dev mode (POWERTOOLS_DEV, set for tests).
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(" ")));
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await env?.stop();
});

it("never logs a token, accepted or refused", async () => {
  const url = (token: string) => `${gateway.url}?token=${encodeURIComponent(token)}`;
  const tokens = {
    driver: await env.token("driver", randomUUID()),
    expired: await env.token("driver", randomUUID(), { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: "1h" }),
    forged: await env.token("driver", randomUUID(), { signingKey: await createSigningKey() }),
    wrongAudience: await env.token("customer", randomUUID(), { audience: "someone-else" }),
    operator: await env.token("operator", randomUUID()),
  };

  const socket = await connected(url(tokens.driver));
  expect(await request(socket, { action: "ping" })).toEqual({ type: "pong" });
  expect(await request(socket, { action: "unknown", token: "not-this-one" })).toMatchObject({ type: "error" });
  const closed = whenClosed(socket);
  socket.close();
  await closed;
  for (const token of [tokens.expired, tokens.forged, tokens.wrongAudience]) expect(await connect(url(token))).toMatchObject({ status: 401 });
  expect(await connect(url(tokens.operator))).toMatchObject({ status: 403 });
  await gateway.stop();

  const logged = [...consoleLines, ...gateway.accessLines, ...gateway.errorLines].join("\n");
  // The logs did speak: refusals are logged, with their reason.
  expect(logged).toContain("connection refused: unauthorized");
  expect(logged).toContain("JwtExpiredError");
  expect(logged).toContain("connection refused: forbidden");
  for (const token of Object.values(tokens)) {
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.split(".")[2]);
  }
});
