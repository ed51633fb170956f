/**
 * Migrates a database on the primary from HAUL_MYSQL_URL (default: the local primary's `haul`),
 * then loads the demo seeds and makes sure the read-only user `haul_reader` exists; then applies
 * the OpenSearch index families (search/index-families) to HAUL_OPENSEARCH_URL.
 *   npx tsx scripts/migrate.ts [--database haul_test] [--no-seed]
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  defaultPrimaryUrl,
  describeTarget,
  parseMysqlUrl,
  redactUrl,
} from "@haul/core/db/connection-config";
import { applyMigrations, applySeeds, ensureReaderUser } from "@haul/core/db/migrations";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { closeSearchClient, getSearchClient, searchConfigFromEnv } from "@haul/core/search/search-client";

const usage = `Usage: npx tsx scripts/migrate.ts [--database <name>] [--no-seed]

Applies sql/migrations, then sql/seed (unless --no-seed), then creates or updates the read-only
user haul_reader (password HAUL_MYSQL_READER_PASSWORD, default haul_reader) with SELECT on the database.
Server and credentials: HAUL_MYSQL_URL (default ${redactUrl(defaultPrimaryUrl)}).
--database overrides the URL's database (e.g. haul_test).
Then applies search/index-families to HAUL_OPENSEARCH_URL (default http://127.0.0.1:9200).`;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const sqlDir = join(repoRoot, "sql");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      database: { type: "string" },
      "no-seed": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${usage}\n`);

  const url = process.env.HAUL_MYSQL_URL || defaultPrimaryUrl;
  const target = { ...parseMysqlUrl(url), ...(values.database ? { database: values.database } : {}) };
  const log = (message: string) => process.stdout.write(`  ${message}\n`);
  process.stdout.write(`migrate ${describeTarget(target)}\n`);

  const report = await applyMigrations(join(sqlDir, "migrations"), { target, log });
  process.stdout.write(
    `  ${report.applied.length} applied, ${report.alreadyApplied} already applied` +
      (report.unknownApplied.length ? `, ${report.unknownApplied.length} applied without a file here` : "") +
      "\n",
  );
  if (!values["no-seed"]) await applySeeds(join(sqlDir, "seed"), { target, log });
  const readerPassword = process.env.HAUL_MYSQL_READER_PASSWORD || "haul_reader";
  await ensureReaderUser("haul_reader", readerPassword, { target, log });

  process.stdout.write(`index families on ${searchConfigFromEnv().url}\n`);
  try {
    const families = await applyIndexFamilies(getSearchClient(), { directory: join(repoRoot, "search", "index-families"), log });
    process.stdout.write(`  ${families.applied.length} applied, ${families.unchanged.length} unchanged\n`);
  } finally {
    await closeSearchClient();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migrate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
