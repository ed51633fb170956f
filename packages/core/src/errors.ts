/**
 * Errors the domain raises. Each names what went wrong in domain terms; the API layer maps
 * them to HTTP status codes in one place (packages/functions/src/shared/problem.ts).
 */

/** One input field at fault, named by its dotted path (e.g. `pickup.lat`). */
export interface FieldProblem {
  readonly name: string;
  readonly reason: string;
}

export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist, or the caller may not know it exists. */
export class NotFoundError extends DomainError {}

/** The caller is known but not allowed to do this. */
export class ForbiddenError extends DomainError {}

/** The request is well-formed but conflicts with the current state. */
export class ConflictError extends DomainError {}

/** The input breaks a domain rule; `fields` say which parts. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly fields: readonly FieldProblem[],
  ) {
    super(message);
  }
}

/**
 * A failure worth retrying as is: the connection to MySQL or Redis dropped or was refused, a lock
 * wait timed out or deadlocked, a command timed out. Not a DomainError: the request was fine.
 * The reservation workflow retries errors with exactly this name (the ASL's `TransientError`).
 */
export class TransientError extends Error {
  override readonly name = "TransientError";
}

// Connection-level codes from Node's sockets and mysql2, and MySQL errors a retry can clear.
const transientCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_LOCK_DEADLOCK",
  "ER_LOCK_WAIT_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_TOO_MANY_USER_CONNECTIONS",
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
  "ER_CLIENT_INTERACTION_TIMEOUT",
  // A primary that just failed over is read-only for a moment.
  "ER_OPTION_PREVENTS_STATEMENT",
]);

// ioredis reports lost connections and timeouts by name or message, Redis itself by reply prefix.
const transientNames = new Set(["MaxRetriesPerRequestError", "TimeoutError"]);
const transientMessages = [
  /^Connection is closed\.?$/,
  /^Command timed out$/,
  /^Stream isn't writeable/,
  /^connect ETIMEDOUT/,
  /^(LOADING|READONLY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|BUSY) /,
];

/** True when `error` (or anything in its cause chain) is a failure that a retry may clear. */
export function isTransientError(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (error instanceof TransientError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && transientCodes.has(code)) return true;
  if (transientNames.has(error.name)) return true;
  // The AWS SDK marks throttling and transient service errors it would retry itself.
  if ((error as { $retryable?: unknown }).$retryable) return true;
  if (transientMessages.some((pattern) => pattern.test(error.message))) return true;
  // Node's dual-stack connect gathers its attempts in an AggregateError.
  if (error instanceof AggregateError && error.errors.some((inner) => isTransientError(inner, depth + 1))) return true;
  return isTransientError(error.cause, depth + 1);
}

/** `error` as a TransientError (keeping it as the cause) when a retry may clear it; otherwise unchanged. */
export function asTransientError(error: unknown): unknown {
  if (error instanceof TransientError || !isTransientError(error)) return error;
  const message = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
  return new TransientError(message, { cause: error });
}
