/**
 * npm run fuzz [-- --max-examples <n>] [--seed <n>] [--verbose] [--out <dir>]: the long fuzz pass. Every operation of every
 * HTTP API, once per role, at least 1,000 cases per route in all (default 400 generated per role,
 * besides the example and coverage phases' own); prints one row per route (cases, failures by check)
 * and exits 1 if any check failed. A route that takes no input at all has fewer distinct requests
 * than that; the run names those routes, and fails one that takes input but got fewer.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { closeRedisClient } from "../../packages/core/src/cache/redis-client.js";
import { closePools } from "../../packages/core/src/db/pools.js";
import { closeQueryCacheClient } from "../../packages/core/src/query/cache-client.js";
import { closeSearchClient } from "../../packages/core/src/search/search-client.js";
import type { RouteContract } from "../../packages/functions/src/openapi/route-contract.js";
import { routeContracts } from "../../packages/functions/src/route-contracts.js";
import { failureCount, formatTable, runFuzz } from "./fuzz.js";

/** The long pass's promise per route, over all roles. */
const minimumCases = 1_000;

const { values } = parseArgs({
  options: {
    "max-examples": { type: "string", default: "400" },
    seed: { type: "string" },
    verbose: { type: "boolean", default: false },
    out: { type: "string", default: ".haul/fuzz" },
  },
});
const outDir = path.resolve(values.out);
const result = await runFuzz({
  maxExamples: Number(values["max-examples"]),
  ...(values.seed ? { seed: Number(values.seed) } : {}),
  outDir,
  onOutput: (text) => {
    if (values.verbose) process.stdout.write(text + "\n");
  },
});
// The handlers ran in this process: their shared clients hold connections open until closed.
await Promise.all([closePools(), closeRedisClient(), closeQueryCacheClient(), closeSearchClient()]);
process.stdout.write(formatTable(result.routes) + "\n");
for (const error of result.errors) process.stdout.write(`error: ${error}\n`);
const failures = failureCount(result.routes);
const short = result.routes.filter((route) => route.cases < minimumCases);
const takesInput = (route: string) => (routeContracts as Record<string, RouteContract>)[route]?.request !== undefined;
const noInput = short.filter((route) => !takesInput(route.route));
const underTarget = short.filter((route) => takesInput(route.route));
if (noInput.length > 0)
  process.stdout.write(`take no input, so every distinct request was sent: ${noInput.map((route) => `${route.api} ${route.route} (${route.cases})`).join(", ")}\n`);
if (underTarget.length > 0)
  process.stdout.write(`UNDER ${minimumCases} cases: ${underTarget.map((route) => `${route.api} ${route.route} (${route.cases})`).join(", ")}\n`);
if (failures > 0 || result.errors.length > 0 || underTarget.length > 0) {
  for (const [label, output] of Object.entries(result.outputs)) if (/FAILURES|Failures:|Errors:/.test(output)) process.stdout.write(`\n== ${label}\n${output}\n`);
  process.stdout.write(`${failures} failures; schemathesis' reports are in ${outDir}\n`);
  process.exit(1);
}
process.stdout.write(`no failures; reports in ${outDir}\n`);
// Whatever a handler left scheduled (a retry timer, a keep-alive socket) must not hold the report back.
process.exit(0);
