/**
 * The local stand-in for a Cognito user pool's public endpoints: the JWKS and the OpenID
 * discovery document, which is all the gateway's JWT authorizer needs. Locally only, it also
 * lets the web app sign in as a seeded person (`/demo/people`, `/demo/tokens`): Cognito has no
 * such endpoints, and a deployed stage signs in through its hosted UI instead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { demoPeople } from "@haul/core/identity/demo-people";
import { localAudience } from "../config.js";
import { closeServer, listen, readRequestBody, RequestTooLarge, urlHost } from "../http-server.js";
import { mintToken } from "./mint-token.js";
import type { SigningKey } from "./signing-key.js";

export interface IdentityServerOptions {
  readonly signingKey: SigningKey;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * Origins (exact, e.g. `http://127.0.0.1:5173`) whose pages may call the demo sign-in endpoints
   * from a browser; default none.
   */
  readonly allowOrigins?: readonly string[];
}

export interface RunningIdentityServer {
  /** Issuer URL (`iss` of every token), e.g. http://127.0.0.1:4002 */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Seconds a demo token lives: an hour, as Cognito's id tokens. */
export const demoTokenSeconds = 3600;
const maxBodyBytes = 4 * 1024;


export async function startIdentityServer(options: IdentityServerOptions): Promise<RunningIdentityServer> {
  let issuer = "";
  const jwks = JSON.stringify({ keys: [options.signingKey.publicJwk] });
  const allowOrigins = new Set(options.allowOrigins ?? []);

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const corsHeaders = corsHeadersFor(request.headers.origin, allowOrigins);
    const send = (status: number, body: string, contentType = "application/json") => {
      response.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...corsHeaders });
      response.end(body);
    };
    if (path === "/demo/people" || path === "/demo/tokens") {
      if (request.method === "OPTIONS") return answerPreflight(request, response, corsHeaders);
      if (path === "/demo/people" && request.method === "GET") {
        return send(200, JSON.stringify({ people: demoPeople.map(({ id, role, name, email }) => ({ id, role, name, email })) }));
      }
      if (path === "/demo/tokens" && request.method === "POST") {
        return void issueDemoToken(request, issuer, options.signingKey).then(
          ({ status, body }) => send(status, JSON.stringify(body), status === 200 ? "application/json" : "application/problem+json"),
          () => send(500, JSON.stringify(problem(500, "Internal error", "The token could not be minted.")), "application/problem+json"),
        );
      }
      return send(405, '{"message":"Method Not Allowed"}');
    }
    if (request.method !== "GET" && request.method !== "HEAD") return send(405, '{"message":"Method Not Allowed"}');
    if (path === "/.well-known/jwks.json") return send(200, jwks);
    if (path === "/.well-known/openid-configuration") return send(200, JSON.stringify(discoveryDocument(issuer)));
    return send(404, '{"message":"Not Found"}');
  });

  const port = await listen(server, options.port, options.host);
  issuer = `http://${urlHost(options.host, port)}`;
  return {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    port,
    stop: () => closeServer(server),
  };
}

/** POST /demo/tokens: an id token for one seeded person, as Cognito would issue at sign-in. */
async function issueDemoToken(request: IncomingMessage, issuer: string, signingKey: SigningKey): Promise<{ status: number; body: unknown }> {
  let text: string;
  try {
    text = (await readRequestBody(request, maxBodyBytes)).toString("utf8");
  } catch (error) {
    if (error instanceof RequestTooLarge) return { status: 413, body: problem(413, "Payload too large", error.message) };
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status: 400, body: problem(400, "Invalid request", "The body is not JSON.", [{ name: "body", reason: "must be a JSON object" }]) };
  }
  const fields = demoTokenRequestProblems(json);
  if (fields.length > 0) return { status: 400, body: problem(400, "Invalid request", "Some body fields are invalid.", fields) };
  const userId = (json as { userId: string }).userId;
  const person = demoPeople.find((candidate) => candidate.id === userId);
  if (!person) {
    return {
      status: 404,
      body: problem(404, "Not found", "No seeded person has this id.", [{ name: "body.userId", reason: "is not a seeded person's id (GET /demo/people lists them)" }]),
    };
  }
  const token = await mintToken({
    role: person.role,
    sub: person.id,
    email: person.email,
    name: person.name,
    issuer,
    audience: localAudience,
    signingKey,
    expiresIn: demoTokenSeconds,
  });
  return { status: 200, body: { token, expiresIn: demoTokenSeconds } };
}

/** What is wrong with a `{"userId":"…"}` body, by field. */
function demoTokenRequestProblems(json: unknown): Array<{ name: string; reason: string }> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return [{ name: "body", reason: "must be a JSON object" }];
  const problems = Object.keys(json)
    .filter((key) => key !== "userId")
    .map((key) => ({ name: `body.${key}`, reason: "is not a known field" }));
  const { userId } = json as { userId?: unknown };
  if (typeof userId !== "string" || userId.length === 0) problems.unshift({ name: "body.userId", reason: "is required: a seeded person's id" });
  return problems;
}

/** `access-control-allow-origin` echoes an allowed origin, and only one. */
function corsHeadersFor(origin: string | undefined, allowOrigins: ReadonlySet<string>): Record<string, string> {
  if (origin === undefined || !allowOrigins.has(origin)) return {};
  return { "access-control-allow-origin": origin, vary: "origin" };
}

function answerPreflight(request: IncomingMessage, response: ServerResponse, corsHeaders: Record<string, string>): void {
  const allowed = "access-control-allow-origin" in corsHeaders;
  response.writeHead(
    204,
    allowed
      ? {
          ...corsHeaders,
          "access-control-allow-methods": "GET, POST, OPTIONS",
          "access-control-allow-headers": "content-type",
          "access-control-max-age": "600",
        }
      : {},
  );
  response.end();
  request.resume();
}

/** RFC 9457 problem details, in the shape the APIs answer (packages/functions/src/shared/problem.ts). */
function problem(status: number, title: string, detail: string, fields?: ReadonlyArray<{ name: string; reason: string }>) {
  return {
    type: `https://haul.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
    title,
    status,
    detail,
    ...(fields ? { "invalid-params": fields } : {}),
  };
}

/** The fields of Cognito's discovery document that describe what this issuer does. */
function discoveryDocument(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ["code", "token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    token_endpoint_auth_methods_supported: ["none"],
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "token_use", "cognito:groups", "email", "name"],
  };
}
