/**
 * The local stand-in for a Cognito user pool's public endpoints: the JWKS and the
 * OpenID discovery document, which is all the gateway's JWT authorizer needs.
 */
import { createServer } from "node:http";
import { closeServer, listen, urlHost } from "../http-server.js";
import type { SigningKey } from "./signing-key.js";

export interface IdentityServerOptions {
  readonly signingKey: SigningKey;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface RunningIdentityServer {
  /** Issuer URL (`iss` of every token), e.g. http://127.0.0.1:4002 */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startIdentityServer(options: IdentityServerOptions): Promise<RunningIdentityServer> {
  let issuer = "";
  const jwks = JSON.stringify({ keys: [options.signingKey.publicJwk] });

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const send = (status: number, body: string) => {
      response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      response.end(body);
    };
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

/** The fields of Cognito's discovery document that describe what this issuer does. */
function discoveryDocument(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ["code", "token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    token_endpoint_auth_methods_supported: ["none"],
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "token_use", "cognito:groups", "email"],
  };
}
