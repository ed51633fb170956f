/**
 * Benchmark of log delivery (issue 11): how fast refined log events are indexed into the local
 * OpenSearch, and how long a handler's log line takes to become searchable in a RUNNING local cloud.
 *
 *   npx tsx scripts/bench/log-delivery.ts [--runs 3] [--events 100000] [--batch 5000]
 *       [--concurrency 2] [--requests 20] [--spacing 250] [--outputs <file>] [--skip-delay]
 *
 *   --runs         runs of each part (default 3)
 *   --events       log events indexed per run (default 100,000)
 *   --batch        log events per subscription envelope, as CloudWatch Logs batches them
 *                  (default 5,000; it sends at most 10,000 or 1 MB)
 *   --concurrency  envelopes indexed at once, as concurrent refiner invocations (default 2)
 *   --requests     requests per delay run (default 20)
 *   --spacing      ms between those requests (default 250)
 *   --outputs      the running cloud's outputs file (default HAUL_OUTPUTS_FILE or .haul/outputs.json)
 *   --skip-delay   only the indexing part (no local cloud needed)
 *
 * Indexing: envelopes of realistic events (Powertools Logger JSON lines with correlation ids, some
 * with data to redact; Lambda's platform.start/report records; API access lines), encoded before the
 * clock starts, refined with refineLogsEnvelope and stored with indexLogEvents, as the refiner does,
 * into the api-logs family under the prefix `bench-` (applied first, removed at the end). The solo
 * figure is refineLogsEnvelope alone over the same envelopes; CPU is that of this process (the
 * refiner's work) and of OpenSearch.
 *
 * Delay: GET /health of the ReservationApi (it ends with the handler's `request completed` line),
 * each request with a correlation id of its own; from the reply, OpenSearch's api-logs indices
 * (the cloud's prefix, HAUL_OPENSEARCH_INDEX_PREFIX) are searched every 50 ms for that summary line.
 * Reported: the delay from the reply to searchable (p50/p95/max; target <= 5 s), and from the line's
 * own timestamp to searchable. A line never found within 15 s is
 * counted as lost (seen when a concurrent invocation in the local cloud's one process changed the
 * shared logger's correlation id); GET /ops/logs answers the operator (its status is printed).
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import type { Client } from "@opensearch-project/opensearch";
import { indexLogEvents } from "@haul/core/observability/log-index";
import { refineLogsEnvelope, type RefinedLogBatch } from "@haul/core/observability/log-refiner";
import { logIndexPattern } from "@haul/core/observability/log-search";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { createSearchClient, searchConfigFromEnv } from "@haul/core/search/search-client";
import { correlationIdHeader } from "@haul/functions/declarations";
import { mintToken } from "@haul/local/identity/mint-token";
import { readOutputs } from "@haul/local/outputs";
import { createHttpClient } from "./support/http.js";
import { addListeners, cpuSnapshot, percentile, type WatchedProcess } from "./support/processes.js";
import { seededRandom } from "./support/random.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    events: { type: "string", default: "100000" },
    batch: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "2" },
    requests: { type: "string", default: "20" },
    spacing: { type: "string", default: "250" },
    outputs: { type: "string" },
    "skip-delay": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  process.stdout.write("Usage: npx tsx scripts/bench/log-delivery.ts [--runs n] [--events n] [--batch n] [--concurrency n] [--requests n] [--spacing ms] [--outputs file] [--skip-delay]\n");
  process.exit(0);
}
const runs = positive("--runs", args.runs);
const eventsPerRun = positive("--events", args.events);
const batchSize = Math.min(10_000, positive("--batch", args.batch));
const concurrency = positive("--concurrency", args.concurrency);
const requestsPerRun = positive("--requests", args.requests);
const spacingMs = Number(args.spacing);

const benchPrefix = "bench-";
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const print = (line = "") => process.stdout.write(line + "\n");
const count = (value: number) => Math.round(value).toLocaleString("en-US");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} takes a positive whole number, got "${text}"`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Workload: seeded, so runs compare; event ids distinct per run, so no run meets another's documents.

const random = seededRandom(20_261_126);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const hex = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

const functions = ["ReservationApi-reservation-reserve-truck", "PersistReservation", "InvalidateReservationCache", "DriverNotificationsConsumer", "TrackingApi-tracking-post-positions"];
const routes = ["POST /reservations", "GET /reservations/{id}", "POST /positions", "GET /drivers/{id}/messages", "GET /health"];

function appLine(at: number, functionName: string, requestId: string, correlationId: string): string {
  const base = { level: "INFO", message: "", timestamp: new Date(at).toISOString(), service: "reservation", cold_start: false, function_name: `local-haul-${functionName}`, function_request_id: requestId, correlation_id: correlationId };
  const roll = random();
  if (roll < 0.5) return JSON.stringify({ ...base, message: "request completed", route: pick(routes), method: "POST", path: "/reservations", status: pick([200, 202, 202, 400, 403, 503]), latencyMs: Math.floor(random() * 200), apiRequestId: `${hex(14)}==` });
  if (roll < 0.75) return JSON.stringify({ ...base, message: "event delivered", messageId: uuid(), eventId: `${uuid()}:reservation-confirmed`, driver: { delivered: 1, failed: 0 } });
  if (roll < 0.9) return JSON.stringify({ ...base, level: "WARN", message: `driver +49 171 ${1_000_000 + Math.floor(random() * 8_999_999)} unreachable, customer jane.${hex(4)}@example.com told`, pickupAddress: "Alexanderplatz 1, 10178 Berlin", location: { lat: 52.520812, lon: 13.409411 } });
  return JSON.stringify({ ...base, level: "ERROR", message: "task failed", error: { name: "TimeoutError", message: "Connection timed out after 3000 ms", stack: "TimeoutError: Connection timed out\n    at persist (/var/task/index.mjs:120:11)" } });
}

interface LogEvent {
  id: string;
  timestamp: number;
  message: string;
}

function envelope(run: number, n: number, ids: { next: number }): string {
  const access = n % 4 === 3;
  const at = Date.now();
  const functionName = pick(functions);
  const logEvents: LogEvent[] = Array.from({ length: batchSize }, (_, i) => {
    const timestamp = at + i;
    const id = `${String(timestamp).padStart(16, "0")}${String(run).padStart(8, "0")}${String(process.pid).padStart(16, "0")}${String(++ids.next).padStart(16, "0")}`;
    if (access) {
      const route = pick(routes);
      const date = new Date(timestamp);
      const requestTime = `${String(date.getUTCDate()).padStart(2, "0")}/${date.toLocaleString("en-US", { month: "short", timeZone: "UTC" })}/${date.getUTCFullYear()}:${date.toISOString().slice(11, 19)} +0000`;
      const message = JSON.stringify({ requestTime, requestId: `${hex(14)}==`, httpMethod: route.split(" ")[0], path: route.split(" ")[1]!.replace("{id}", uuid()), routeKey: route, status: pick([200, 202, 401, 403, 503]), responseLatency: Math.floor(random() * 300), integrationRequestId: uuid(), integrationStatus: "200", integrationLatency: String(Math.floor(random() * 250)), integrationServiceStatus: "200", ip: "203.0.113.7", userAgent: "Mozilla/5.0" });
      return { id, timestamp, message };
    }
    const requestId = uuid();
    const roll = random();
    const message =
      roll < 0.7
        ? appLine(timestamp, functionName, requestId, uuid())
        : roll < 0.85
          ? JSON.stringify({ time: new Date(timestamp).toISOString(), type: "platform.start", record: { requestId, version: "$LATEST" } })
          : JSON.stringify({ time: new Date(timestamp).toISOString(), type: "platform.report", record: { requestId, metrics: { durationMs: Math.round(random() * 30_000) / 100, billedDurationMs: Math.ceil(random() * 300), memorySizeMB: 1024, maxMemoryUsedMB: 90 }, status: "success" } });
    return { id, timestamp, message };
  });
  const payload = {
    messageType: "DATA_MESSAGE",
    owner: "000000000000",
    logGroup: access ? "/aws/vendedlogs/apis/local-haul-ReservationApi-a1b2c3d4e5/$default" : `/aws/lambda/local-haul-${functionName}`,
    logStream: access ? "a1b2c3d4e5_default" : `2026/11/26/[$LATEST]${hex(32)}`,
    subscriptionFilters: ["Refinement1"],
    logEvents,
  };
  return gzipSync(JSON.stringify(payload)).toString("base64");
}

// ---------------------------------------------------------------------------------------------
// Indexing

async function indexingRuns(): Promise<void> {
  const client = createSearchClient({ ...searchConfigFromEnv(), indexPrefix: benchPrefix, requestTimeoutMs: 60_000 });
  const removeIndices = () => client.indices.delete({ index: `${benchPrefix}api-logs-*`, expand_wildcards: "all" }, { ignore: [404] });
  const watched: WatchedProcess[] = [{ label: "bench (refiner)", pid: process.pid }];
  await addListeners(watched, [["OpenSearch", Number(new URL(searchConfigFromEnv().url).port || 9200)]]);
  const envelopesPerRun = Math.ceil(eventsPerRun / batchSize);
  print(`Indexing: ${count(envelopesPerRun * batchSize)} events per run in envelopes of ${count(batchSize)}, ${concurrency} refined and indexed at once, into ${benchPrefix}api-logs-*`);
  try {
    await removeIndices();
    await applyIndexFamilies(client, { directory: path.join(repoRoot, "search", "index-families"), prefix: benchPrefix, log: () => undefined });
    const ids = { next: 0 };
    // Unmeasured warm-up of the pure function (JIT, regular expressions), on envelopes of its own.
    for (let n = 0; n < Math.max(2, Math.ceil(20_000 / batchSize)); n++) refineLogsEnvelope(envelope(0, n, ids));
    for (let run = 1; run <= runs; run++) {
      const envelopes = Array.from({ length: envelopesPerRun }, (_, n) => envelope(run, n, ids));

      // Solo: the pure function alone over the same envelopes.
      const soloStart = process.hrtime.bigint();
      let soloEvents = 0;
      for (const data of envelopes) soloEvents += refineLogsEnvelope(data).received;
      const soloSeconds = Number(process.hrtime.bigint() - soloStart) / 1e9;

      const cpuBefore = await cpuSnapshot(watched);
      const totals = { received: 0, indexed: 0, duplicates: 0, dropped: 0, failed: 0 };
      let next = 0;
      const start = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < envelopes.length) {
            const batch: RefinedLogBatch = refineLogsEnvelope(envelopes[next++]!);
            const report = await indexLogEvents(client, batch, { indexPrefix: benchPrefix });
            totals.received += report.received;
            totals.indexed += report.indexed;
            totals.duplicates += report.duplicates;
            totals.dropped += report.dropped;
            totals.failed += report.failed;
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const cpuAfter = await cpuSnapshot(watched);
      const cpu = watched.map((entry) => `${entry.label} ${(cpuAfter.get(entry.pid)! - cpuBefore.get(entry.pid)!).toFixed(2)} s`).join(", ");
      print(
        `  run ${run}: ${count(totals.indexed / seconds)} events/s indexed (${count(totals.indexed)} in ${seconds.toFixed(2)} s; ${totals.duplicates} duplicates, ${totals.dropped} dropped, ${totals.failed} failed); ` +
          `solo refineLogsEnvelope ${count(soloEvents / soloSeconds)} events/s; CPU ${cpu}`,
      );
    }
    await client.indices.refresh({ index: `${benchPrefix}api-logs-*` });
    const { body } = await client.count({ index: `${benchPrefix}api-logs-*` });
    print(`  ${count(body.count)} documents stored in all (${count(runs * envelopesPerRun * batchSize)} sent, every id distinct)`);
  } finally {
    await removeIndices();
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Delay from a handler's line to a searchable document

interface Sample {
  readonly delayMs: number;
  readonly sinceLineMs: number;
}

async function delayRuns(): Promise<void> {
  const outputsFile = path.resolve(args.outputs ?? process.env.HAUL_OUTPUTS_FILE ?? ".haul/outputs.json");
  const outputs = await readOutputs(outputsFile);
  const healthUrl = new URL(`${outputs.ReservationApiUrl}/health`);
  const search = createSearchClient({ ...searchConfigFromEnv(), url: outputs.SearchUrl ?? searchConfigFromEnv().url });
  const http = createHttpClient({ maxSockets: 8 });
  const operator = await mintToken({ role: "operator", sub: randomUUID(), issuer: outputs.IssuerUrl });
  const index = logIndexPattern();
  print(`\nDelay: ${requestsPerRun} GET /health per run, ${spacingMs} ms apart, each line searched in ${index} every 50 ms; target <= 5 s`);
  try {
    for (let run = 1; run <= runs; run++) {
      const pending: Array<Promise<Sample | undefined>> = [];
      for (let n = 0; n < requestsPerRun; n++) {
        const correlationId = `bench-delivery-${randomUUID()}`;
        const reply = await http.send(healthUrl, "GET", { [correlationIdHeader]: correlationId });
        const answeredAt = Date.now();
        if (reply.status >= 500) throw new Error(`GET /health answered ${reply.status}: ${reply.body}`);
        pending.push(searchable(search, index, correlationId, answeredAt));
        await sleep(spacingMs);
      }
      const outcomes = await Promise.all(pending);
      const samples = outcomes.filter((sample): sample is Sample => sample !== undefined);
      const lost = outcomes.length - samples.length;
      if (samples.length === 0) throw new Error("no summary line became searchable: is the local cloud refining logs?");
      const delays = samples.map((sample) => sample.delayMs);
      const sinceLine = samples.map((sample) => sample.sinceLineMs);
      // The operator's route sees them too (one check per run: it reads the same indices).
      const last = await http.send(new URL(`${outputs.ObservabilityApiUrl}/ops/logs?limit=1&q=${encodeURIComponent("request completed")}`), "GET", { authorization: `Bearer ${operator}` });
      const within = delays.filter((delay) => delay <= 5_000).length;
      print(
        `  run ${run}: reply -> searchable p50 ${percentile(delays, 50)} ms, p95 ${percentile(delays, 95)} ms, max ${Math.max(...delays)} ms (${within}/${delays.length} within 5 s); ` +
          `line's timestamp -> searchable p50 ${percentile(sinceLine, 50)} ms, max ${Math.max(...sinceLine)} ms; GET /ops/logs ${last.status}` +
          (lost > 0 ? `; ${lost} never found by their correlation id within ${lostAfterMs / 1000} s` : ""),
      );
    }
  } finally {
    http.destroy();
    await search.close();
  }
}

/** A line not searchable by then is counted as lost, not as a delay. */
const lostAfterMs = 15_000;

/** Polls until the handler's summary line of `correlationId` is searchable (refresh included); undefined when it never is. */
async function searchable(client: Client, index: string, correlationId: string, answeredAt: number): Promise<Sample | undefined> {
  const deadline = answeredAt + lostAfterMs;
  for (;;) {
    const response = await client.search({
      index,
      ignore_unavailable: true,
      allow_no_indices: true,
      body: { size: 1, _source: ["timestamp"], query: { bool: { filter: [{ term: { correlationId } }, { term: { kind: "app" } }, { exists: { field: "fields.apiRequestId" } }] } } },
    });
    const hit = (response.body.hits.hits as Array<{ _source?: { timestamp?: string } }>)[0];
    const now = Date.now();
    if (hit?._source?.timestamp) return { delayMs: now - answeredAt, sinceLineMs: now - Date.parse(hit._source.timestamp) };
    if (now > deadline) return undefined;
    await sleep(50);
  }
}

await indexingRuns();
if (!args["skip-delay"]) await delayRuns();
