/**
 * Mints id tokens shaped like Cognito's (`sub`, `cognito:groups`, `token_use: "id"`, `aud`)
 * and signed by the local issuer's key.
 */
import { SignJWT } from "jose";
import type { Role } from "@haul/core/user";
import { defaultIssuerUrl, identityDir, localAudience } from "../config.js";
import { loadOrCreateSigningKey, signingAlgorithm, type SigningKey } from "./signing-key.js";

export interface MintTokenOptions {
  readonly role: Role;
  /** User id (UUID, equals users.id in MySQL). */
  readonly sub: string;
  /** A jose time span ("1h", "15m", "2 days") or seconds; default one hour, as Cognito. */
  readonly expiresIn?: string | number;
  readonly audience?: string;
  readonly email?: string;
  /** The person's name, as Cognito's `name` attribute. */
  readonly name?: string;
  /** Default: the local issuer at its fixed address. */
  readonly issuer?: string;
  /** Default: the key under `.haul/identity` (created if missing). */
  readonly signingKey?: SigningKey;
  /** Seconds since the epoch to stamp as `iat`; tests use it to mint expired tokens. */
  readonly issuedAt?: number;
}

let defaultKey: Promise<SigningKey> | undefined;

/** The key under `.haul/identity`, loaded once per process. */
export function defaultSigningKey(): Promise<SigningKey> {
  defaultKey ??= loadOrCreateSigningKey(identityDir());
  return defaultKey;
}

export async function mintToken(options: MintTokenOptions): Promise<string> {
  const key = options.signingKey ?? (await defaultSigningKey());
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const expiresIn = options.expiresIn ?? "1h";
  const claims: Record<string, unknown> = {
    "cognito:groups": [options.role],
    token_use: "id",
  };
  if (options.email !== undefined) claims.email = options.email;
  if (options.name !== undefined) claims.name = options.name;

  return new SignJWT(claims)
    .setProtectedHeader({ alg: signingAlgorithm, kid: key.kid, typ: "JWT" })
    .setSubject(options.sub)
    .setIssuer(options.issuer ?? defaultIssuerUrl())
    .setAudience(options.audience ?? localAudience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(typeof expiresIn === "number" ? issuedAt + expiresIn : expiresAt(issuedAt, expiresIn))
    .sign(key.privateKey);
}

/** jose resolves a span string against "now"; resolve it against `issuedAt` instead. */
function expiresAt(issuedAt: number, span: string): number {
  const match = /^(-?\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?)$/i.exec(
    span.trim(),
  );
  if (!match) throw new Error(`Cannot read the time span "${span}" (try 30s, 15m, 1h, 2d)`);
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  const secondsPerUnit = unit.startsWith("s")
    ? 1
    : unit.startsWith("m")
      ? 60
      : unit.startsWith("h")
        ? 3600
        : unit.startsWith("d")
          ? 86400
          : 604800;
  return Math.round(issuedAt + amount * secondsPerUnit);
}
