/**
 * What the local gateways share in invoking a function as API Gateway's Lambda integration does:
 * stable API ids, SST-like function names, the function timeout, X-Ray trace ids, and the
 * CloudWatch-style line a failed invocation leaves.
 */
import { createHash, randomBytes } from "node:crypto";

export function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** API ids are 10 lower-case alphanumerics; derive a stable one from the API's name. */
export function deriveApiId(resourcePrefix: string, apiName: string): string {
  const digest = createHash("sha256").update(`${resourcePrefix}-${apiName}`).digest();
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(digest.subarray(0, 10), (byte) => alphabet[byte % alphabet.length]).join("");
}

/** e.g. local-haul-ReservationApi-health-get-health (Lambda names are at most 64 characters). */
export function functionNameFor(resourcePrefix: string, apiName: string, handler: string): string {
  const modulePath = handler.slice(0, handler.lastIndexOf(".")).replace(/^packages\/functions\/src\//, "");
  return `${resourcePrefix}-${apiName}-${modulePath.replace(/[^A-Za-z0-9-]+/g, "-")}`.slice(0, 64);
}

/** X-Ray's form: Root=1-<epoch seconds, hex>-<96 random bits, hex>. */
export function newTraceId(at: Date): string {
  return `Root=1-${Math.floor(at.getTime() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

export function describeInvocationError(functionName: string, awsRequestId: string, error: unknown): string {
  const detail = error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error);
  return `[${functionName}] ${awsRequestId} ERROR Invoke Error ${detail}`;
}
