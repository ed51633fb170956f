/**
 * Benchmark of the log refiner (issue 11): refined log events per second through its pure function
 * alone (packages/core/src/observability/log-refiner.ts: base64 + gunzip + JSON envelope, refine,
 * redact; no indexing), and optionally indexed events per second into the local OpenSearch.
 *
 *   npx tsx scripts/bench/log-refiner.ts [--runs 5] [--events 200000] [--batch 100]
 *       [--index] [--index-events 20000] [--concurrency 2]
 *
 *   --runs          measured runs of the pure function (default 5), after one unmeasured warm-up
 *   --events        log events refined per run (default 200,000)
 *   --batch         log events per envelope, as CloudWatch Logs batches them (default 100)
 *   --index         also index: refined batches bulk-indexed with indexLogEvents, one envelope per
 *                   bulk request as the refiner Lambda does, --concurrency in flight
 *   --index-events  events indexed (default 20,000), all with distinct event ids
 *
 * The workload is FIXED (seeded) so runs compare: per function log group, envelopes of Powertools
 * Logger JSON lines (70%: handler lines with correlation id and extra keys, a request summary with
 * route/status/latency, some carrying an e-mail, a phone number, an address or coordinates to
 * redact, an error with a stack), Lambda JSON platform.start/platform.report records (20%) and text
 * REPORT lines (10%); and envelopes of the API's access log group (access lines only), one in four.
 * Envelopes are encoded before the clock starts; a run decodes and refines them in turn.
 *
 * The OpenSearch node is HAUL_OPENSEARCH_URL; the prefix is always `bench-` (the api-logs family is
 * applied under it), and the bench deletes its bench-api-logs-* indices at the end.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { indexLogEvents } from "@haul/core/observability/log-index";
import { refineLogsEnvelope } from "@haul/core/observability/log-refiner";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { createSearchClient, searchConfigFromEnv } from "@haul/core/search/search-client";
import { seededRandom } from "./support/random.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    events: { type: "string", default: "200000" },
    batch: { type: "string", default: "100" },
    index: { type: "boolean", default: false },
    "index-events": { type: "string", default: "20000" },
    concurrency: { type: "string", default: "2" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  process.stdout.write("Usage: npx tsx scripts/bench/log-refiner.ts [--runs n] [--events n] [--batch n] [--index] [--index-events n] [--concurrency n]\n");
  process.exit(0);
}
const runs = Number(args.runs);
const eventsPerRun = Number(args.events);
const batchSize = Number(args.batch);

// ---------------------------------------------------------------------------------------------
// Fixed workload

const random = seededRandom(20_261_126);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const hex = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

const functions = ["create-reservation", "cancel-reservation", "list-reservations", "notify-driver", "reserve-slot", "push-latest-positions"];
const routes = ["POST /reservations", "GET /reservations", "GET /reservations/{id}", "POST /reservations/{id}/cancel", "GET /trucks/available"];
const startOfDay = Date.parse("2026-11-25T00:00:00.000Z");
let eventCounter = 0;

function handlerLine(at: number, requestId: string, correlationId: string, service: string, name: string): string {
  const base = { level: "INFO", timestamp: new Date(at).toISOString(), service, cold_start: random() < 0.05, function_name: `haul-dev-${name}`, function_memory_size: "1024", function_request_id: requestId, xray_trace_id: `1-${hex(8)}-${hex(24)}`, correlation_id: correlationId, sampling_rate: 0 };
  const roll = random();
  if (roll < 0.35) return JSON.stringify({ ...base, message: "request done", route: pick(routes), status: pick([200, 200, 201, 202, 400, 404, 409, 500]), latencyMs: Math.round(random() * 20_000) / 100 });
  if (roll < 0.55) return JSON.stringify({ ...base, message: "reservation accepted", reservationId: uuid(), truckId: uuid(), windowStart: new Date(at + 3_600_000).toISOString(), cargo: { weightKg: 120.5, items: 3 } });
  if (roll < 0.65) return JSON.stringify({ ...base, message: `notified driver at +49 171 ${1_000_000 + Math.floor(random() * 8_999_999)} and customer jane.${hex(4)}@example.com`, pickupAddress: "Hauptstraße 12, 10115 Berlin", location: { lat: 52.520812, lon: 13.409411 } });
  if (roll < 0.75) return JSON.stringify({ ...base, level: "WARN", message: "slot contention, retrying", attempt: 2, headers: { authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl" } });
  if (roll < 0.8) return JSON.stringify({ ...base, level: "ERROR", message: "could not publish", error: { name: "TimeoutError", location: "/var/task/index.mjs:120", message: "Connection timed out after 3000 ms", stack: "TimeoutError: Connection timed out after 3000 ms\n    at publish (/var/task/index.mjs:120:11)\n    at async handler (/var/task/index.mjs:80:5)" } });
  return JSON.stringify({ ...base, level: "DEBUG", message: "cache hit", key: `reservations:${uuid()}`, ttlSeconds: 30 });
}

function lambdaEvents(count: number): { id: string; timestamp: number; message: string }[] {
  const name = pick(functions);
  const events = [];
  let at = startOfDay + Math.floor(random() * 86_000_000);
  while (events.length < count) {
    const requestId = uuid();
    const correlationId = uuid();
    const roll = random();
    let message: string;
    if (roll < 0.7) message = handlerLine(at, requestId, correlationId, name.split("-").pop() as string, name);
    else if (roll < 0.8) message = JSON.stringify({ time: new Date(at).toISOString(), type: "platform.start", record: { requestId, version: "$LATEST" } });
    else if (roll < 0.9) message = JSON.stringify({ time: new Date(at).toISOString(), type: "platform.report", record: { requestId, metrics: { durationMs: Math.round(random() * 30_000) / 100, billedDurationMs: Math.ceil(random() * 300), memorySizeMB: 1024, maxMemoryUsedMB: 80 + Math.floor(random() * 40), ...(random() < 0.05 ? { initDurationMs: 180.5 } : {}) }, status: "success" } });
    else message = `REPORT RequestId: ${requestId}\tDuration: ${(random() * 300).toFixed(2)} ms\tBilled Duration: ${Math.ceil(random() * 300)} ms\tMemory Size: 1024 MB\tMax Memory Used: ${80 + Math.floor(random() * 40)} MB\t`;
    events.push({ id: String(++eventCounter).padStart(56, "0"), timestamp: at, message });
    at += Math.floor(random() * 50);
  }
  return events;
}

function accessEvents(count: number): { id: string; timestamp: number; message: string }[] {
  return Array.from({ length: count }, () => {
    const at = startOfDay + Math.floor(random() * 86_000_000);
    const route = pick(routes);
    const [method, pattern] = route.split(" ") as [string, string];
    const date = new Date(at);
    const requestTime = `${String(date.getUTCDate()).padStart(2, "0")}/Nov/2026:${date.toISOString().slice(11, 19)} +0000`;
    const message = JSON.stringify({ requestTime, requestId: `${hex(16)}=`, httpMethod: method, path: pattern.replace("{id}", uuid()), routeKey: route, status: pick([200, 201, 202, 401, 403, 404, 429, 500]), responseLatency: Math.floor(random() * 300), integrationRequestId: uuid(), integrationStatus: "200", integrationLatency: String(Math.floor(random() * 250)), integrationServiceStatus: "200", ip: "203.0.113.7", userAgent: "Mozilla/5.0" });
    return { id: String(++eventCounter).padStart(56, "0"), timestamp: at, message };
  });
}

function encodedEnvelope(n: number): string {
  const access = n % 4 === 3;
  const logEvents = access ? accessEvents(batchSize) : lambdaEvents(batchSize);
  const envelope = {
    owner: "123456789012",
    logGroup: access ? "/aws/vendedlogs/apis/dev-haul-ReservationApi-a1b2c3d4e5/default" : `/aws/lambda/haul-dev-${pick(functions)}`,
    logStream: `2026/11/25/[$LATEST]${hex(32)}`,
    subscriptionFilters: ["haul-dev-api-logs"],
    messageType: "DATA_MESSAGE",
    logEvents,
  };
  return gzipSync(Buffer.from(JSON.stringify(envelope))).toString("base64");
}

// ---------------------------------------------------------------------------------------------
// The pure function

const distinctEnvelopes = 200;
const envelopes = Array.from({ length: distinctEnvelopes }, (_, n) => encodedEnvelope(n));
const batchesPerRun = Math.ceil(eventsPerRun / batchSize);
const averageBytes = envelopes.reduce((sum, data) => sum + data.length, 0) / envelopes.length;

function refineRun(): { events: number; documents: number; dropped: number; seconds: number } {
  let events = 0;
  let documents = 0;
  let dropped = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < batchesPerRun; i++) {
    const batch = refineLogsEnvelope(envelopes[i % distinctEnvelopes] as string);
    events += batch.received;
    documents += batch.documents.length;
    dropped += batch.dropped.length;
  }
  return { events, documents, dropped, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

const format = (value: number) => Math.round(value).toLocaleString("en-US");
process.stdout.write(`log refiner, pure function: ${format(batchesPerRun * batchSize)} events per run in envelopes of ${batchSize} (${distinctEnvelopes} distinct, ~${format(averageBytes)} bytes of base64 each); target >= 50,000 events/s\n`);
refineRun(); // warm-up: JIT, regex compilation
const rates: number[] = [];
for (let run = 1; run <= runs; run++) {
  const result = refineRun();
  const rate = result.events / result.seconds;
  rates.push(rate);
  process.stdout.write(`  run ${run}: ${format(rate)} events/s (${result.seconds.toFixed(2)} s, ${format(result.documents)} documents, ${result.dropped} dropped, ${((result.seconds / result.events) * 1e6).toFixed(2)} us/event)\n`);
}
const sorted = [...rates].sort((a, b) => a - b);
process.stdout.write(`  median ${format(sorted[Math.floor(sorted.length / 2)] as number)} events/s, min ${format(sorted[0] as number)}, max ${format(sorted[sorted.length - 1] as number)}\n`);

// ---------------------------------------------------------------------------------------------
// Indexing

if (args.index) {
  const indexEvents = Number(args["index-events"]);
  const concurrency = Math.max(1, Number(args.concurrency));
  const client = createSearchClient({ ...searchConfigFromEnv(), indexPrefix: "bench-", requestTimeoutMs: 30_000 });
  const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
  const removeIndices = () => client.indices.delete({ index: "bench-api-logs-*", expand_wildcards: "all" }, { ignore: [404] });
  try {
    await removeIndices();
    await applyIndexFamilies(client, { directory: path.join(repoRoot, "search", "index-families"), prefix: "bench-", log: () => undefined });
    // Fresh envelopes: every event id distinct, so nothing is a duplicate.
    const batches = Array.from({ length: Math.ceil(indexEvents / batchSize) }, (_, n) => refineLogsEnvelope(encodedEnvelope(n)));
    let next = 0;
    const totals = { indexed: 0, duplicates: 0, failed: 0 };
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches.length) {
          const report = await indexLogEvents(client, batches[next++]!, { indexPrefix: "bench-" });
          totals.indexed += report.indexed;
          totals.duplicates += report.duplicates;
          totals.failed += report.failed;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await client.indices.refresh({ index: "bench-api-logs-*" });
    const { body } = await client.count({ index: "bench-api-logs" });
    process.stdout.write(
      `indexing: ${format(totals.indexed / seconds)} events/s (${format(totals.indexed)} indexed in ${seconds.toFixed(2)} s, one bulk request per envelope of ${batchSize}, ${concurrency} in flight; ` +
        `${totals.duplicates} duplicates, ${totals.failed} failed; ${format(body.count)} documents counted)\n`,
    );
  } finally {
    await removeIndices();
    await client.close();
  }
}
