/**
 * Verifies user pool tokens where API Gateway has no JWT authorizer to do it (the WebSocket API's
 * `$connect`), with the checks the HTTP APIs' JWT authorizer makes, so a token good for one is good
 * for the other: RSA signature by a key of the issuer's JWKS (matched by `kid`), `iss`, `exp`
 * (required), `nbf`, `iat` not in the future, and `aud` — or `client_id` when a Cognito access token
 * has no `aud`. Configured by the environment:
 *
 *   HAUL_TOKEN_ISSUER    the issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`; locally
 *                        the local identity service)
 *   HAUL_TOKEN_AUDIENCE  accepted audiences, comma-separated (the user pool client id)
 *   HAUL_TOKEN_JWKS_URL  where the keys are; default `<issuer>/.well-known/jwks.json`, where both
 *                        Cognito and the local issuer publish them
 */
import { JwtVerifier } from "aws-jwt-verify";
import { FetchError, JwksValidationError, JwtBaseError, NotSupportedError, ParameterValidationError } from "aws-jwt-verify/error";
import type { Fetcher } from "aws-jwt-verify/https";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";

export type TokenVerdict =
  | { readonly valid: true; readonly claims: JwtPayload }
  | { readonly valid: false; readonly reason: string };

export interface TokenVerifierConfig {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly jwksUrl: string;
}

/** API Gateway's JWT authorizer accepts only RSA signatures; so does this. */
const rsaAlgorithms = new Set(["RS256", "RS384", "RS512"]);

/**
 * aws-jwt-verify's own fetcher speaks HTTPS only, and the local issuer is plain HTTP: one fetcher
 * for both keeps a single code path. A short timeout, so an unreachable issuer fails the call
 * rather than the function's whole time budget.
 */
const jwksFetcher: Fetcher = {
  async fetch(uri) {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) throw new Error(`the JWKS at ${uri} answered ${response.status}`);
    return response.arrayBuffer();
  },
};

export function tokenVerifierConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TokenVerifierConfig {
  const issuer = env.HAUL_TOKEN_ISSUER?.replace(/\/$/, "");
  const audience = (env.HAUL_TOKEN_AUDIENCE ?? "").split(",").map((value) => value.trim()).filter(Boolean);
  if (!issuer) throw new Error("HAUL_TOKEN_ISSUER is not set: tokens cannot be verified");
  if (audience.length === 0) throw new Error("HAUL_TOKEN_AUDIENCE is not set: tokens cannot be verified");
  return { issuer, audience, jwksUrl: env.HAUL_TOKEN_JWKS_URL || `${issuer}/.well-known/jwks.json` };
}

export interface TokenVerifier {
  /** A verdict for a bad token; throws only when the verifier itself cannot work (keys out of reach). */
  verify(token: string): Promise<TokenVerdict>;
}

export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const verifier = JwtVerifier.create(
    {
      issuer: config.issuer,
      jwksUri: config.jwksUrl,
      // Checked below, as API Gateway does: `aud`, or `client_id` when there is no `aud`.
      audience: null,
      customJwtCheck: ({ header, payload }) => {
        if (!header.alg || !rsaAlgorithms.has(header.alg)) throw new InvalidToken("the token's algorithm is not allowed");
        if (payload.exp === undefined) throw new InvalidToken("the token has no exp claim");
        if (payload.iat !== undefined && payload.iat > Math.floor(Date.now() / 1000)) throw new InvalidToken("the token was issued in the future");
        if (!hasAcceptedAudience(payload, config.audience)) throw new InvalidToken("the token does not have a valid audience");
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: jwksFetcher }) },
  );

  return {
    async verify(token) {
      try {
        return { valid: true, claims: await verifier.verify(token) };
      } catch (error) {
        if (isVerifierFailure(error)) throw error;
        if (error instanceof JwtBaseError || error instanceof InvalidToken) {
          // The library's messages name claims and values, never the token itself; make sure of it.
          // Its errors keep the name "Error": the class says what failed.
          return { valid: false, reason: `${error.constructor.name}: ${error.message.replaceAll(token, "[token]")}` };
        }
        throw error;
      }
    },
  };
}

let shared: { readonly key: string; readonly verifier: TokenVerifier } | undefined;

/** One verifier per execution environment (it caches the JWKS), rebuilt if the configuration changes. */
export function getTokenVerifier(): TokenVerifier {
  const config = tokenVerifierConfigFromEnv();
  const key = JSON.stringify(config);
  if (shared?.key !== key) shared = { key, verifier: createTokenVerifier(config) };
  return shared.verifier;
}

class InvalidToken extends Error {
  override readonly name = "InvalidToken";
}

/** Failures of the verifier or its key source, not of the token: the caller must not take them for a bad token. */
function isVerifierFailure(error: unknown): boolean {
  return (
    error instanceof FetchError ||
    error instanceof JwksValidationError ||
    error instanceof NotSupportedError ||
    error instanceof ParameterValidationError
  );
}

function hasAcceptedAudience(payload: JwtPayload, accepted: readonly string[]): boolean {
  if (payload.aud !== undefined) {
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return audiences.some((aud) => accepted.includes(aud));
  }
  return typeof payload.client_id === "string" && accepted.includes(payload.client_id);
}
