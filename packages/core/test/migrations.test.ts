import { cp, mkdtemp, readdir, rm, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RowDataPacket } from "mysql2/promise";
import { afterEach, describe, expect, it } from "vitest";
import {
  applyMigrations,
  MigrationChecksumError,
  MigrationError,
  readMigrationFiles,
} from "../src/db/migrations.js";
import { connect, createScratchDatabase, migrationsDir, snapshotSchema, type ScratchDatabase } from "./support/database.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function scratch(label: string): Promise<ScratchDatabase> {
  const database = await createScratchDatabase(label);
  cleanups.push(() => database.drop());
  return database;
}

/** A copy of sql/migrations the test may change. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "haul-migrations-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(migrationsDir, dir, { recursive: true });
  return dir;
}

async function tableNames(database: ScratchDatabase): Promise<string[]> {
  const connection = await connect(database.target);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
      [database.name],
    );
    return rows.map((row) => String(row.name));
  } finally {
    await connection.end();
  }
}

describe("migration runner", () => {
  it("applies every migration once, in order, and a second run changes nothing", async () => {
    const database = await scratch("twice");
    const files = await readMigrationFiles(migrationsDir);
    expect(files.map((file) => file.fileName)).toEqual((await readdir(migrationsDir)).filter((name) => name.endsWith(".sql")).sort());

    const first = await applyMigrations(migrationsDir, { target: database.target });
    expect(first.applied.map((migration) => migration.version)).toEqual(files.map((file) => file.version));
    expect(first.alreadyApplied).toBe(0);
    const afterFirst = await snapshotSchema(database.target);
    expect(Object.keys(afterFirst.tables)).toEqual(expect.arrayContaining(["schema_migrations", "users", "trucks"]));
    expect(afterFirst.migrations).toEqual(
      files.map((file) => expect.objectContaining({ version: file.version, name: file.name, checksum: file.checksum })),
    );

    const second = await applyMigrations(migrationsDir, { target: database.target });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(files.length);
    expect(await snapshotSchema(database.target)).toEqual(afterFirst);
  });

  it("refuses to run when an applied migration's file changed, and applies nothing else", async () => {
    const database = await scratch("checksum");
    const dir = await copyOfMigrations();
    await applyMigrations(dir, { target: database.target });
    const before = await snapshotSchema(database.target);

    const [first] = await readMigrationFiles(dir);
    await appendFile(join(dir, first!.fileName), "\n-- edited after it was applied\n");
    await writeFile(join(dir, "9999_create_later_table.sql"), "CREATE TABLE later_table (id INT PRIMARY KEY);\n");

    const run = applyMigrations(dir, { target: database.target });
    await expect(run).rejects.toBeInstanceOf(MigrationChecksumError);
    await expect(run).rejects.toThrow(first!.fileName);
    expect(await tableNames(database)).not.toContain("later_table");
    expect(await snapshotSchema(database.target)).toEqual(before);
  });

  it("treats CRLF line endings as the same file", async () => {
    const database = await scratch("crlf");
    const dir = await copyOfMigrations();
    await applyMigrations(dir, { target: database.target });
    const [first] = await readMigrationFiles(dir);
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(join(dir, first!.fileName), "utf8");
    await writeFile(join(dir, first!.fileName), text.replace(/\n/g, "\r\n"));

    const again = await applyMigrations(dir, { target: database.target });
    expect(again.applied).toEqual([]);
  });

  it("serialises concurrent runners: each migration is applied exactly once", async () => {
    const database = await scratch("concurrent");
    const files = await readMigrationFiles(migrationsDir);
    const reports = await Promise.all(
      Array.from({ length: 5 }, () => applyMigrations(migrationsDir, { target: database.target })),
    );

    const appliedVersions = reports.flatMap((report) => report.applied.map((migration) => migration.version));
    expect(appliedVersions.sort((a, b) => a - b)).toEqual(files.map((file) => file.version));
    // The lock makes one runner apply everything; the others find nothing left to do.
    expect(reports.filter((report) => report.applied.length > 0)).toHaveLength(1);
    const snapshot = await snapshotSchema(database.target);
    expect(snapshot.migrations).toHaveLength(files.length);
  });

  it("does not record a migration that fails, and says which file failed", async () => {
    const database = await scratch("failing");
    const dir = await copyOfMigrations();
    await writeFile(join(dir, "9000_broken.sql"), "CREATE TABLE broken (id INT PRIMARY KEY, id INT);\n");

    const run = applyMigrations(dir, { target: database.target });
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    await expect(run).rejects.toThrow(/9000_broken\.sql failed/);
    const { migrations } = await snapshotSchema(database.target);
    const files = await readMigrationFiles(migrationsDir);
    expect(migrations.map((row) => (row as { version: number }).version)).toEqual(files.map((file) => file.version));
  });

  it("rejects a misnamed migration file and duplicate versions before touching the database", async () => {
    const misnamed = await copyOfMigrations();
    await writeFile(join(misnamed, "3_no_padding.sql"), "SELECT 1;\n");
    await expect(readMigrationFiles(misnamed)).rejects.toThrow(/must be named NNNN_lowercase_name\.sql/);

    const duplicated = await copyOfMigrations();
    const [first] = await readMigrationFiles(duplicated);
    await writeFile(join(duplicated, `${String(first!.version).padStart(4, "0")}_another.sql`), "SELECT 1;\n");
    await expect(readMigrationFiles(duplicated)).rejects.toThrow(/have the same version/);
  });
});
