/**
 * The local issuer's RS256 key pair. Kept under `.haul/identity` so tokens minted by
 * `scripts/mint-token.ts` stay valid across restarts of the local cloud.
 */
import { mkdir, readFile, writeFile, link, unlink } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

export const signingAlgorithm = "RS256";

/** jose's private key type (a WebCrypto CryptoKey, which Node's globals here do not name). */
export type PrivateSigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export interface SigningKey {
  /** Key id, the RFC 7638 thumbprint of the public key; tokens carry it in their header. */
  readonly kid: string;
  readonly privateKey: PrivateSigningKey;
  /** Public half as published in the JWKS (with kid, alg and use). */
  readonly publicJwk: JWK;
}

const keyFileName = "signing-key.json";

/** A fresh key that lives only in memory (tests use one to forge tokens). */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
  return fromPrivateJwk(await exportJWK(privateKey));
}

/**
 * The key stored in `dir`, created on first use. Creation is race-safe: the key file
 * is linked into place, so two processes starting at once end up with the same key.
 */
export async function loadOrCreateSigningKey(dir: string): Promise<SigningKey> {
  const file = path.join(dir, keyFileName);
  const existing = await readPrivateJwk(file);
  if (existing) return fromPrivateJwk(existing);

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, JSON.stringify({ privateJwk }, null, 2) + "\n", { mode: 0o600 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await unlink(temporary);
  }
  const stored = await readPrivateJwk(file);
  if (!stored) throw new Error(`The signing key at ${file} could not be read back`);
  return fromPrivateJwk(stored);
}

async function readPrivateJwk(file: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as { privateJwk?: JWK };
  if (!parsed.privateJwk || parsed.privateJwk.kty !== "RSA" || !parsed.privateJwk.d) {
    throw new Error(`${file} does not hold an RSA private key; delete it to have a new one made`);
  }
  return parsed.privateJwk;
}

async function fromPrivateJwk(privateJwk: JWK): Promise<SigningKey> {
  const { n, e, kty } = privateJwk;
  if (!n || !e || kty !== "RSA") throw new Error("Not an RSA JWK");
  const kid = await calculateJwkThumbprint({ kty, n, e });
  const privateKey = (await importJWK(privateJwk, signingAlgorithm)) as PrivateSigningKey;
  return { kid, privateKey, publicJwk: { kty, n, e, kid, alg: signingAlgorithm, use: "sig" } };
}
