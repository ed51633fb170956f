/**
 * The schema migration runner, the seed loader and the read-only user, for the primary.
 *
 * Migrations are files `NNNN_<name>.sql` (NNNN a version, at least four digits) in one directory,
 * applied in version order, each once. The table `schema_migrations` records version, name,
 * sha256 checksum (of the file with LF line endings), applied_at (UTC) and duration. A file whose
 * content changed after it was applied is refused: fix forward with a new migration instead.
 * Concurrent runners (two deploys, parallel test files) are serialised with GET_LOCK.
 *
 * Each file runs in a transaction together with its schema_migrations row. MySQL commits DDL
 * implicitly, so a file that fails halfway may leave its earlier DDL behind: keep one DDL
 * statement per file. Files may hold several statements; `DELIMITER` (a client command) is not
 * understood.
 *
 * Every function opens its own connection (multipleStatements) to the target, which defaults
 * to the primary from the environment, and closes it when done.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import mysql, { type Connection, type RowDataPacket } from "mysql2/promise";
import { connectionOptions, describeTarget, resolveMysqlTarget, type MysqlTarget } from "./connection-config.js";

export interface RunnerOptions {
  /** The server and database to work on; defaults to the primary from the environment. */
  readonly target?: MysqlTarget;
  /** Receives one line per thing done (the Lambda handler passes its logger). */
  readonly log?: (message: string) => void;
  /** How long to wait for another runner on the same database; default 120 s. */
  readonly lockTimeoutSeconds?: number;
}

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly fileName: string;
  readonly checksum: string;
  readonly sql: string;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly executionMs: number;
}

export interface MigrationReport {
  readonly database: string;
  /** Applied by this run, in order. */
  readonly applied: readonly { readonly version: number; readonly name: string; readonly executionMs: number }[];
  /** How many files were already applied before this run. */
  readonly alreadyApplied: number;
  /** Recorded in the database but absent from the directory (e.g. older code deployed). */
  readonly unknownApplied: readonly AppliedMigration[];
}

export interface SeedReport {
  readonly database: string;
  readonly files: readonly string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** An applied migration's file no longer matches what was applied. */
export class MigrationChecksumError extends MigrationError {
  override name = "MigrationChecksumError";
}

const migrationFilePattern = /^(\d{4,})_([a-z0-9][a-z0-9_]*)\.sql$/;

/** Reads and validates the migration files of `dir`, in version order. */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for (const fileName of await listSqlFiles(dir)) {
    const match = migrationFilePattern.exec(fileName);
    if (!match) {
      throw new MigrationError(
        `${join(dir, fileName)}: a migration file must be named NNNN_lowercase_name.sql (e.g. 0003_create_reservations.sql)`,
      );
    }
    const sql = normaliseLineEndings(await readFile(join(dir, fileName), "utf8"));
    if (!sql.trim()) throw new MigrationError(`${join(dir, fileName)} is empty`);
    files.push({ version: Number(match[1]), name: match[2] as string, fileName, checksum: sha256(sql), sql });
  }
  files.sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i++) {
    const [previous, current] = [files[i - 1] as MigrationFile, files[i] as MigrationFile];
    if (previous.version === current.version) {
      throw new MigrationError(`${previous.fileName} and ${current.fileName} have the same version ${current.version}`);
    }
  }
  return files;
}

/** Applies the pending migrations of `dir`; refuses if an applied file changed. */
export async function applyMigrations(dir: string, options: RunnerOptions = {}): Promise<MigrationReport> {
  const files = await readMigrationFiles(dir);
  return withLockedConnection(options, async (connection, database, log) => {
    await ensureMigrationsTable(connection, database);
    const applied = await readAppliedMigrations(connection);
    const appliedByVersion = new Map(applied.map((row) => [row.version, row]));
    const fileVersions = new Set(files.map((file) => file.version));

    const changed = files.filter((file) => {
      const row = appliedByVersion.get(file.version);
      return row !== undefined && (row.checksum !== file.checksum || row.name !== file.name);
    });
    if (changed.length > 0) {
      const lines = changed.map((file) => {
        const row = appliedByVersion.get(file.version) as AppliedMigration;
        return `  ${file.fileName}: applied as ${pad(row.version)}_${row.name} with sha256 ${row.checksum}, the file now has ${file.checksum}`;
      });
      throw new MigrationChecksumError(
        `Refusing to migrate ${database}: ${changed.length === 1 ? "a migration" : "migrations"} changed after being applied.\n` +
          `${lines.join("\n")}\nRestore the applied content and put the change in a new migration.`,
      );
    }

    const unknownApplied = applied.filter((row) => !fileVersions.has(row.version));
    for (const row of unknownApplied) {
      log(`warning: ${database} has migration ${pad(row.version)}_${row.name} applied, but no file for it in ${dir}`);
    }

    const done: { version: number; name: string; executionMs: number }[] = [];
    for (const file of files.filter((candidate) => !appliedByVersion.has(candidate.version))) {
      const started = performance.now();
      await connection.query("START TRANSACTION");
      try {
        await connection.query(file.sql);
        const executionMs = Math.round(performance.now() - started);
        await connection.query(
          "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms) VALUES (?, ?, ?, UTC_TIMESTAMP(3), ?)",
          [file.version, file.name, file.checksum, executionMs],
        );
        await connection.query("COMMIT");
        done.push({ version: file.version, name: file.name, executionMs });
        log(`applied ${file.fileName} to ${database} in ${executionMs} ms`);
      } catch (error) {
        await connection.query("ROLLBACK").catch(() => undefined);
        throw new MigrationError(
          `Migration ${file.fileName} failed on ${database}: ${errorMessage(error)}\n` +
            "It was not recorded. DDL before the failing statement may have been committed (MySQL cannot roll DDL back); " +
            "check the schema before re-running.",
          { cause: error },
        );
      }
    }
    return { database, applied: done, alreadyApplied: files.length - done.length, unknownApplied };
  });
}

/** Runs every `*.sql` file of `dir` in name order, each in a transaction. Seeds must be idempotent. */
export async function applySeeds(dir: string, options: RunnerOptions = {}): Promise<SeedReport> {
  const fileNames = await listSqlFiles(dir);
  return withLockedConnection(options, async (connection, database, log) => {
    for (const fileName of fileNames) {
      const sql = await readFile(join(dir, fileName), "utf8");
      await connection.query("START TRANSACTION");
      try {
        await connection.query(sql);
        await connection.query("COMMIT");
      } catch (error) {
        await connection.query("ROLLBACK").catch(() => undefined);
        throw new MigrationError(`Seed ${fileName} failed on ${database}: ${errorMessage(error)}`, { cause: error });
      }
      log(`seeded ${fileName} into ${database}`);
    }
    return { database, files: fileNames };
  });
}

export interface ReaderUserOptions extends RunnerOptions {
  /** Host parts of the account; default `%` (any host: the network decides who can reach the server). */
  readonly hosts?: readonly string[];
}

/**
 * Creates the read-only account `name` (or resets its password) with SELECT on the target
 * database, for the query service. Then logs in as it and reads its own grants: refuses if the
 * account holds any other privilege, so a reader that could write is noticed instead of trusted.
 */
export async function ensureReaderUser(name: string, password: string, options: ReaderUserOptions = {}): Promise<void> {
  if (!/^[A-Za-z0-9_]{1,32}$/.test(name)) {
    throw new MigrationError(`Reader user name "${name}" must be 1-32 letters, digits or underscores`);
  }
  if (!password) throw new MigrationError(`No password given for the reader user ${name}`);
  const hosts = options.hosts ?? ["%"];
  const target = options.target ?? (await resolveMysqlTarget("primary"));
  await withLockedConnection({ ...options, target }, async (connection, database, log) => {
    for (const host of hosts) {
      await connection.query("CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?", [name, host, password]);
      await connection.query("ALTER USER ?@? IDENTIFIED BY ?", [name, host, password]);
      // In GRANT, `_` and `%` in a database name are wildcards: escape them to mean this database only.
      await connection.query(`GRANT SELECT ON ${quoteIdentifier(escapeGrantWildcards(database))}.* TO ?@?`, [name, host]);
    }
    const grants = await readOwnGrants({ ...target, user: name, password, database: "" });
    const extra = grants.filter((grant) => !isReadOnlyGrant(grant));
    if (extra.length > 0) {
      throw new MigrationError(
        `The reader user ${name} must only SELECT, but it also holds:\n  ${extra.join("\n  ")}\n` +
          `Revoke those privileges (REVOKE ... FROM ${name}) and run again.`,
      );
    }
    log(`reader user ${name}@${hosts.join(",")} can SELECT on ${database}, nothing more`);
  });
}

// Reading one's own grants needs no privilege (SHOW GRANTS FOR another user needs SELECT on mysql.*).
async function readOwnGrants(login: MysqlTarget): Promise<string[]> {
  let connection: Connection;
  try {
    connection = await mysql.createConnection({ ...connectionOptions(login), database: undefined });
  } catch (error) {
    throw new MigrationError(`The reader user ${login.user} cannot log in to ${login.host}:${login.port}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  try {
    const [rows] = await connection.query<RowDataPacket[]>({ sql: "SHOW GRANTS", rowsAsArray: true });
    return rows.map((row) => String(row[0]));
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

// SHOW GRANTS lines a read-only account may have: the login itself, and SELECT on whole databases.
function isReadOnlyGrant(grant: string): boolean {
  return /^GRANT (USAGE ON \*\.\*|SELECT ON `[^`]+`\.\*) TO /.test(grant);
}

async function withLockedConnection<T>(
  options: RunnerOptions,
  work: (connection: Connection, database: string, log: (message: string) => void) => Promise<T>,
): Promise<T> {
  const target = options.target ?? (await resolveMysqlTarget("primary"));
  const log = options.log ?? (() => undefined);
  const { database } = target;
  let connection: Connection;
  try {
    // No database in the handshake: it may not exist yet.
    connection = await mysql.createConnection({ ...connectionOptions(target), database: undefined, multipleStatements: true });
  } catch (error) {
    throw new MigrationError(`Cannot connect to ${describeTarget(target)}: ${errorMessage(error)}`, { cause: error });
  }
  const lockName = `haul.migrations.${database}`.slice(0, 64);
  let locked = false;
  try {
    await connection.query("SET time_zone = '+00:00'");
    await ensureDatabase(connection, database, log);
    await connection.query(`USE ${quoteIdentifier(database)}`);
    const timeout = options.lockTimeoutSeconds ?? 120;
    const [rows] = await connection.query<RowDataPacket[]>("SELECT GET_LOCK(?, ?) AS acquired", [lockName, timeout]);
    if (rows[0]?.acquired !== 1) {
      throw new MigrationError(
        `Another migration runner has held the lock "${lockName}" on ${describeTarget(target)} for over ${timeout} s; ` +
          "try again when it has finished",
      );
    }
    locked = true;
    return await work(connection, database, log);
  } finally {
    if (locked) await connection.query("SELECT RELEASE_LOCK(?)", [lockName]).catch(() => undefined);
    await connection.end().catch(() => connection.destroy());
  }
}

async function ensureDatabase(connection: Connection, database: string, log: (message: string) => void): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    [database],
  );
  if (rows.length > 0) return;
  await connection.query(
    `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  log(`created database ${database}`);
}

async function ensureMigrationsTable(connection: Connection, database: string): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'schema_migrations'",
    [database],
  );
  if (rows.length > 0) return;
  await connection.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version      INT UNSIGNED NOT NULL,
      name         VARCHAR(200) NOT NULL,
      checksum     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      applied_at   DATETIME(3) NOT NULL,
      execution_ms INT UNSIGNED NOT NULL,
      PRIMARY KEY (version)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci`);
}

/** The rows of schema_migrations, in version order. */
export async function readAppliedMigrations(connection: Connection): Promise<AppliedMigration[]> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SELECT version, name, checksum, applied_at, execution_ms FROM schema_migrations ORDER BY version",
  );
  return rows.map((row) => ({
    version: Number(row.version),
    name: String(row.name),
    checksum: String(row.checksum),
    appliedAt: row.applied_at as Date,
    executionMs: Number(row.execution_ms),
  }));
}

async function listSqlFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new MigrationError(`Cannot read the directory ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sql"))
    .map((entry) => entry.name)
    .sort();
}

function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

function escapeGrantWildcards(database: string): string {
  return database.replace(/[_%]/g, (wildcard) => `\\${wildcard}`);
}

function pad(version: number): string {
  return String(version).padStart(4, "0");
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
