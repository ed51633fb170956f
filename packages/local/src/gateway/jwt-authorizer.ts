/**
 * The HTTP API JWT authorizer: reads the token from the Authorization header (bare or
 * prefixed with "Bearer "), verifies its RSA signature with a key from the issuer's
 * `jwks_uri` matched by `kid`, then checks `iss`, `aud` (or `client_id` when `aud` is
 * absent), `exp`, `nbf` and `iat`. Any failure is a 401 before the integration runs.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { toGatewayClaims } from "./claims.js";

export interface JwtAuthorizerConfig {
  /** Must equal the token's `iss`; the JWKS is found through `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** The token's `aud` (or `client_id`) must be one of these. */
  readonly audience: readonly string[];
}

export type AuthorizationResult =
  | { readonly authorized: true; readonly claims: Record<string, string>; readonly scopes: string[] | null }
  | { readonly authorized: false; readonly reason: string };

export interface JwtAuthorizer {
  authorize(authorizationHeader: string | undefined): Promise<AuthorizationResult>;
}

/** API Gateway accepts only RSA-based signatures. */
const rsaAlgorithms = ["RS256", "RS384", "RS512"];

export function createJwtAuthorizer(config: JwtAuthorizerConfig): JwtAuthorizer {
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const getKey: JWTVerifyGetKey = async (header, token) => {
    keySet ??= discoverKeySet(config.issuer).catch((error: unknown) => {
      keySet = undefined; // the issuer may come up later; try again on the next request
      throw error;
    });
    return (await keySet)(header, token);
  };

  return {
    async authorize(authorizationHeader) {
      const token = readToken(authorizationHeader);
      if (!token) return deny("no token in the Authorization header");
      try {
        if (!decodeProtectedHeader(token).kid) return deny("the token has no kid header");
        const { payload } = await jwtVerify(token, getKey, {
          issuer: config.issuer,
          algorithms: rsaAlgorithms,
          requiredClaims: ["exp"],
        });
        const audienceProblem = checkAudience(payload, config.audience);
        if (audienceProblem) return deny(audienceProblem);
        if (payload.iat !== undefined && payload.iat > Math.floor(Date.now() / 1000)) {
          return deny("the token was issued in the future");
        }
        // Routes without authorization scopes get `scopes: null` (as measured on AWS, and
        // as in the event of awsdocs/amazon-api-gateway-developer-guide issue #113).
        return { authorized: true, claims: toGatewayClaims(payload), scopes: null };
      } catch (error) {
        return deny(describeFailure(error));
      }
    },
  };
}

function readToken(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const token = /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, "") : value;
  return token || undefined;
}

/** `aud` decides when present; `client_id` (Cognito access tokens) only when `aud` is absent. */
function checkAudience(payload: JWTPayload, accepted: readonly string[]): string | undefined {
  if (payload.aud !== undefined) {
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return audiences.some((aud) => accepted.includes(aud)) ? undefined : "the token does not have a valid audience";
  }
  const clientId = payload.client_id;
  if (typeof clientId === "string" && accepted.includes(clientId)) return undefined;
  return "the token does not have a valid audience";
}

async function discoverKeySet(issuer: string): Promise<JWTVerifyGetKey> {
  const discoveryUrl = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const response = await fetch(discoveryUrl);
  if (!response.ok) throw new Error(`issuer discovery failed: ${discoveryUrl} answered ${response.status}`);
  const { jwks_uri: jwksUri } = (await response.json()) as { jwks_uri?: string };
  if (!jwksUri) throw new Error(`issuer discovery failed: ${discoveryUrl} has no jwks_uri`);
  return createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 0 });
}

function describeFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "the token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not valid`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "signature verification failed";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "no key in the issuer's JWKS matches the token's kid";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed";
  if (error instanceof joseErrors.JOSEError) return `the token is not valid (${error.code})`;
  return `the token could not be verified: ${error instanceof Error ? error.message : String(error)}`;
}

function deny(reason: string): AuthorizationResult {
  return { authorized: false, reason };
}
