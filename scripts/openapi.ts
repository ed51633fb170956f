/**
 * Writes openapi.json at the repository root from the zod schemas that validate requests.
 *   npx tsx scripts/openapi.ts            regenerate
 * packages/functions/test/openapi.test.ts fails when the committed file is out of date.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { buildOpenApiDocument } from "@haul/functions/openapi/document";

const target = fileURLToPath(new URL("../openapi.json", import.meta.url));
await writeFile(target, JSON.stringify(buildOpenApiDocument(), null, 2) + "\n");
process.stdout.write(`wrote ${target}\n`);
