/**
 * The short fuzz pass of `npm test`: schemathesis (.haul/venv, from scripts/ensure-fuzzer.sh) on every
 * operation of every HTTP API, as each role, against a local cloud of its own, a few cases each
 * (`npm run fuzz` runs the long pass). First, Haul's own checks (scripts/fuzz/hooks.py) are shown
 * to fail on an API that breaks them, so that the pass finding nothing means something.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePools } from "@haul/core/db/pools";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closeQueryCacheClient } from "@haul/core/query/cache-client";
import { httpApis, type HttpApiDeclaration } from "../../packages/functions/src/declarations.js";
import { migrateTestDatabase } from "../../packages/core/test/support/database.js";
import { countReport, failureCount, formatTable, runFuzz, runSchemathesis } from "../../scripts/fuzz/fuzz.js";

const savedEnv = { ...process.env };
let outDir: string;

beforeAll(async () => {
  await migrateTestDatabase();
  outDir = await mkdtemp(path.join(tmpdir(), "haul-fuzz-"));
});

afterAll(async () => {
  process.env = savedEnv;
  await rm(outDir, { recursive: true, force: true });
  await closeQueryCacheClient();
  await closePools();
  await closeRedisClient();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("Haul's fuzz checks", () => {
  it("fail a refusal that is not problem+json, and a refusal that wrote something", async () => {
    // An API whose one route refuses everything as plain JSON, while its stored state changes on every call.
    const api = { name: "BrokenApi", service: "broken", routes: { "POST /things": { handler: "-", auth: "none", summary: "-" } } } satisfies HttpApiDeclaration;
    const broken = createServer((_request, response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: "no" }));
    });
    let writes = 0;
    const fingerprint = createServer((_request, response) => response.end(String(writes++)));
    const [baseUrl, writesUrl] = [await listen(broken), await listen(fingerprint)];
    try {
      const documentPath = path.join(outDir, "broken.json");
      const requestBody = { required: true, content: { "application/json": { schema: { type: "object" } } } };
      await writeFile(
        documentPath,
        JSON.stringify({
          openapi: "3.1.0",
          info: { title: "Broken", version: "1" },
          paths: { "/things": { post: { requestBody, responses: { 400: { description: "refused", content: { "application/json": { schema: {} } } } } } } },
        }),
      );
      const reportPath = path.join(outDir, "broken.ndjson");
      const run = await runSchemathesis({ maxExamples: 3, documentPath, baseUrl, token: "-", reportPath, writesUrl });
      const [route] = await countReport(reportPath, api);
      expect(run.exitCode, run.output).toBe(1);
      expect(Object.keys(route!.failures).sort(), run.output).toEqual(["refusal_is_problem_json", "refused_request_writes_nothing"]);
    } finally {
      broken.close();
      fingerprint.close();
    }
  }, 60_000);
});

describe("the short fuzz pass", () => {
  it("finds nothing on any route of any API, as customer, driver or operator", async () => {
    const result = await runFuzz({ maxExamples: 5, seed: 13, outDir });
    const report = () => `${formatTable(result.routes)}\n${result.errors.join("\n")}\n${Object.entries(result.outputs).map(([label, output]) => `== ${label}\n${output}`).join("\n")}`;
    expect(result.errors, report()).toEqual([]);
    // Every declared route was fuzzed.
    const declared = httpApis.flatMap((api) => Object.keys(api.routes).map((route) => `${api.name} ${route}`));
    expect(result.routes.filter((r) => r.cases > 0).map((r) => `${r.api} ${r.route}`).sort()).toEqual(declared.sort());
    expect(failureCount(result.routes), report()).toBe(0);
  }, 300_000);
});
