/**
 * Tests run against the real local servers (scripts/local-services.sh start), in database
 * `haul_test` on the server of HAUL_MYSQL_URL / HAUL_MYSQL_REPLICA_URL (vitest.config.ts points
 * them at haul_test). Importing this module makes sure the env names a test database before any
 * pool is created, so a test can never write to the demo's `haul`.
 */
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import mysql, { type Connection, type RowDataPacket } from "mysql2/promise";
import { connectionOptions, parseMysqlUrl, type MysqlTarget } from "../../src/db/connection-config.js";
import { applyMigrations, applySeeds, ensureReaderUser } from "../../src/db/migrations.js";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
export const migrationsDir = join(repoRoot, "sql", "migrations");
export const seedDir = join(repoRoot, "sql", "seed");

export const readerUser = { name: "haul_reader", password: process.env.HAUL_MYSQL_READER_PASSWORD || "haul_reader" };

process.env.HAUL_MYSQL_URL = testUrl(process.env.HAUL_MYSQL_URL, "mysql://haul:haul@127.0.0.1:3306/haul_test");
process.env.HAUL_MYSQL_REPLICA_URL = testUrl(
  process.env.HAUL_MYSQL_REPLICA_URL,
  "mysql://haul:haul@127.0.0.1:3307/haul_test",
);

function testUrl(url: string | undefined, fallback: string): string {
  const chosen = url || fallback;
  const { database } = parseMysqlUrl(chosen);
  if (!database.startsWith("haul_test")) {
    throw new Error(`Refusing to run tests against database "${database}": use a database named haul_test*`);
  }
  return chosen;
}

export const primary: MysqlTarget = parseMysqlUrl(process.env.HAUL_MYSQL_URL);
export const replica: MysqlTarget = parseMysqlUrl(process.env.HAUL_MYSQL_REPLICA_URL);

/** Brings haul_test up to date: migrations, seeds and the reader user (idempotent, lock-serialised). */
export async function migrateTestDatabase(): Promise<void> {
  await applyMigrations(migrationsDir, { target: primary });
  await applySeeds(seedDir, { target: primary });
  await ensureReaderUser(readerUser.name, readerUser.password, { target: primary });
}

/** A connection of its own (not the shared pools), to `target` or with other credentials. */
export async function connect(target: MysqlTarget, overrides: Partial<MysqlTarget> = {}): Promise<Connection> {
  const connection = await mysql.createConnection({ ...connectionOptions({ ...target, ...overrides }), multipleStatements: true });
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

export interface ScratchDatabase {
  readonly name: string;
  readonly target: MysqlTarget;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database next to haul_test (`haul_test_<label>_<random>`), for tests that need
 * to start from nothing or break things. Drop it in afterAll/afterEach.
 */
export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  const name = `${primary.database}_${label}_${randomBytes(4).toString("hex")}`;
  const admin = await connect(primary);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return {
    name,
    target: { ...primary, database: name },
    async drop() {
      const connection = await connect(primary);
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await connection.end();
      }
    },
  };
}

/**
 * Everything that defines a database's schema and migration history, comparable with toEqual:
 * each table's SHOW CREATE TABLE (without the AUTO_INCREMENT counter) and schema_migrations' rows.
 */
export async function snapshotSchema(target: MysqlTarget): Promise<{ tables: Record<string, string>; migrations: unknown[] }> {
  const connection = await connect(target);
  try {
    const [tableRows] = await connection.query<RowDataPacket[]>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
      [target.database],
    );
    const tables: Record<string, string> = {};
    for (const { name } of tableRows) {
      const [rows] = await connection.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${name}\``);
      tables[String(name)] = String(rows[0]?.["Create Table"]).replace(/ AUTO_INCREMENT=\d+/, "");
    }
    const [migrations] = await connection.query<RowDataPacket[]>("SELECT * FROM schema_migrations ORDER BY version");
    return { tables, migrations: migrations.map((row) => ({ ...row })) };
  } finally {
    await connection.end();
  }
}

/** Waits until the replica has applied everything the primary has written so far. */
export async function waitForReplica(timeoutSeconds = 10): Promise<void> {
  const source = await connect(primary);
  const copy = await connect(replica);
  try {
    const [[position]] = await source.query<RowDataPacket[]>("SELECT @@gtid_binlog_pos AS pos");
    const [[waited]] = await copy.query<RowDataPacket[]>("SELECT MASTER_GTID_WAIT(?, ?) AS result", [
      position?.pos,
      timeoutSeconds,
    ]);
    if (waited?.result !== 0) {
      throw new Error(`The replica did not reach GTID ${String(position?.pos)} within ${timeoutSeconds} s`);
    }
  } finally {
    await Promise.all([source.end(), copy.end()]);
  }
}
