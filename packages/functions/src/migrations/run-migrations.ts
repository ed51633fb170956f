/**
 * Runs on deploy (SST `Script` onCreate/onUpdate), inside the VPC: applies the schema migrations
 * to the primary, makes sure the query service's read-only user exists with the password from
 * HAUL_MYSQL_READER_SECRET_ARN, and loads the demo seeds when HAUL_APPLY_SEEDS is "true".
 * The function's `copyFiles: [{ from: "sql", to: "sql" }]` puts the SQL beside the bundle.
 * Throwing fails the deploy, which is what a failed migration must do.
 */
import { join } from "node:path";
import { readCredentialsSecret } from "@haul/core/db/connection-config";
import { applyMigrations, applySeeds, ensureReaderUser } from "@haul/core/db/migrations";
import { logger } from "../shared/logger.js";

const readerUserName = "haul_reader";

export async function handler(): Promise<{ applied: string[]; alreadyApplied: number; seeded: string[] }> {
  const sqlDir = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), "sql");
  const log = (message: string) => logger.info(message);

  const report = await applyMigrations(join(sqlDir, "migrations"), { log });
  logger.info("migrations done", {
    database: report.database,
    applied: report.applied,
    alreadyApplied: report.alreadyApplied,
    unknownApplied: report.unknownApplied.map((row) => migrationId(row)),
  });

  const readerSecretArn = process.env.HAUL_MYSQL_READER_SECRET_ARN;
  if (!readerSecretArn) throw new Error("HAUL_MYSQL_READER_SECRET_ARN is not set: the read-only user's password comes from it");
  const reader = await readCredentialsSecret(readerSecretArn);
  await ensureReaderUser(reader.username ?? readerUserName, reader.password, { log });

  const seeded = process.env.HAUL_APPLY_SEEDS === "true" ? (await applySeeds(join(sqlDir, "seed"), { log })).files : [];
  return {
    applied: report.applied.map((migration) => migrationId(migration)),
    alreadyApplied: report.alreadyApplied,
    seeded: [...seeded],
  };
}

function migrationId(migration: { version: number; name: string }): string {
  return `${String(migration.version).padStart(4, "0")}_${migration.name}`;
}
