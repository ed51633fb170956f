/**
 * Benchmark of OpenSearch as Haul uses it, from this Node.js process through packages/core's
 * client and helpers (start OpenSearch first; the local cloud is not needed):
 *
 *   npx tsx scripts/bench/opensearch.ts [--runs 3] [--docs 100000] [--searches 2000]
 *       [--batch 1000] [--concurrency 2]
 *
 *   --runs         independent runs, each on a fresh index (default 3)
 *   --docs         documents bulk-indexed per run (default 100,000)
 *   --searches     measured searches per run, after 100 unmeasured ones (default 2,000)
 *   --batch        operations per bulk request (default 1,000)
 *   --concurrency  bulk requests in flight (default 2)
 *
 * The node is HAUL_OPENSEARCH_URL (default http://127.0.0.1:9200) with HAUL_OPENSEARCH_AUTH; the
 * index prefix is always `bench-` (HAUL_OPENSEARCH_INDEX_PREFIX is ignored), and the bench deletes
 * its index at the end of each run.
 *
 * The workload is FIXED so that runs compare: driver messages (messageId, driverId, reservationId
 * and type keywords, `at` date, a short text), 200 drivers with 5 reservations each, times spread
 * over 30 days, generated from a fixed seed before the clock starts; the index has an explicit
 * mapping, 1 shard, no replica and the default 1 s refresh interval, as an application index would.
 * The search is a driver's messages in a 2-day window, newest first, 20 per page, by the search_after
 * helper (term filter on driverId + range on `at`, sort `at` desc then messageId), one at a time.
 *
 * Before each phase it waits for OpenSearch to idle (the merges indexing leaves running would be
 * charged to the searches otherwise). It prints per run: indexing docs/s (and failed items, which must be 0), the search p50/p99 (round
 * trip from here, and OpenSearch's own `took`), searches/s; the CPU seconds and % of one core of
 * OpenSearch's process and of this one in each phase; OpenSearch's JVM heap (used/max) and RSS,
 * and this process's RSS. OpenSearch's process is found by its listening port (/proc), or is
 * reported n/a when it is not on this machine.
 */
import { parseArgs } from "node:util";
import type { Client } from "@opensearch-project/opensearch";
import { bulk, type BulkOperation } from "@haul/core/search/bulk";
import { createSearchClient, searchConfigFromEnv, searchIndexName } from "@haul/core/search/search-client";
import { searchPage, type TotalOrder } from "@haul/core/search/search-cursor";
import { cpuSeconds, percentile, pidListeningOn, residentBytes } from "./support/processes.js";
import { seededRandom } from "./support/random.js";

// ---------------------------------------------------------------------------------------------
// Fixed workload (change these and runs no longer compare)

const seed = 20_261_125;
const driverCount = 200;
const reservationsPerDriver = 5;
const spanDays = 30;
const windowDays = 2;
const pageSize = 20;
const warmupSearches = 100;
const messageTypes = ["status", "eta", "chat", "chat", "chat", "delay", "arrival"] as const;
const words = "truck dock pallet gate arrived running late traffic loading unloading ramp signed delivered customer driver minutes ahead route".split(" ");

// ---------------------------------------------------------------------------------------------
// Settings

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    docs: { type: "string", default: "100000" },
    searches: { type: "string", default: "2000" },
    batch: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "2" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  process.stdout.write("Usage: npx tsx scripts/bench/opensearch.ts [--runs n] [--docs n] [--searches n] [--batch n] [--concurrency n]\n");
  process.exit(0);
}
const runs = Number(args.runs);
const docCount = Number(args.docs);
const searchCount = Number(args.searches);
const batch = Number(args.batch);
const concurrency = Number(args.concurrency);
for (const [name, value] of Object.entries({ runs, docCount, searchCount, batch, concurrency })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
}

const print = (line = "") => process.stdout.write(line + "\n");
const ms = (value: number) => `${value.toFixed(1)} ms`;
const mib = (bytes: number | undefined) => (bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(0)} MiB`);

// ---------------------------------------------------------------------------------------------
// The documents

const spanStart = Date.parse("2026-01-01T00:00:00Z");
const spanMs = spanDays * 86_400_000;
const driverId = (n: number) => `d0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function messages(index: string, count: number): BulkOperation[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: count }, (_, n) => {
    const driver = Math.floor(random() * driverCount);
    const messageId = `m-${String(n).padStart(9, "0")}`;
    const text = Array.from({ length: 4 + Math.floor(random() * 8) }, () => pick(words)).join(" ");
    return {
      action: "index",
      index,
      id: messageId,
      document: {
        messageId,
        driverId: driverId(driver),
        reservationId: `r0000000-0000-4000-8000-${String(driver * reservationsPerDriver + Math.floor(random() * reservationsPerDriver)).padStart(12, "0")}`,
        type: pick(messageTypes),
        at: new Date(spanStart + Math.floor(random() * spanMs)).toISOString(),
        text,
      },
    };
  });
}

const mappings = {
  dynamic: "strict",
  properties: {
    messageId: { type: "keyword" },
    driverId: { type: "keyword" },
    reservationId: { type: "keyword" },
    type: { type: "keyword" },
    at: { type: "date" },
    text: { type: "text" },
  },
} as const;

const newestFirst: TotalOrder = [
  { field: "at", order: "desc" },
  { field: "messageId", order: "asc", unique: true },
];

// ---------------------------------------------------------------------------------------------
// Measuring

interface Usage {
  readonly at: number;
  readonly searchCpu?: number;
  readonly selfCpu: number;
}

async function usage(searchPid: number | undefined): Promise<Usage> {
  return {
    at: performance.now(),
    ...(searchPid === undefined ? {} : { searchCpu: await cpuSeconds(searchPid) }),
    selfCpu: await cpuSeconds(process.pid),
  };
}

function cpuLine(before: Usage, after: Usage): string {
  const seconds = (after.at - before.at) / 1000;
  const share = (cpu: number) => `${cpu.toFixed(2)} s (${((cpu / seconds) * 100).toFixed(0)}% of a core)`;
  const search = before.searchCpu === undefined || after.searchCpu === undefined ? "n/a" : share(after.searchCpu - before.searchCpu);
  return `CPU: OpenSearch ${search}, this process ${share(after.selfCpu - before.selfCpu)}`;
}

/**
 * Waits until OpenSearch idles (under 20% of a core over half a second; at most 30 s), so that a
 * phase is not charged for the merges and refreshes the previous one left running. Returns seconds waited.
 */
async function settle(searchPid: number | undefined): Promise<number> {
  if (searchPid === undefined) return 0;
  const started = performance.now();
  while (performance.now() - started < 30_000) {
    const before = await cpuSeconds(searchPid);
    await new Promise((resolve) => setTimeout(resolve, 500));
    if ((await cpuSeconds(searchPid)) - before < 0.1) break;
  }
  return (performance.now() - started) / 1000;
}

async function jvmHeap(client: Client): Promise<{ used: number; max: number }> {
  const { body } = await client.nodes.stats({ node_id: "_all", metric: ["jvm"] });
  const nodes = Object.values(body.nodes) as { jvm?: { mem?: { heap_used_in_bytes?: number; heap_max_in_bytes?: number } } }[];
  return {
    used: nodes.reduce((sum, node) => sum + (node.jvm?.mem?.heap_used_in_bytes ?? 0), 0),
    max: nodes.reduce((sum, node) => sum + (node.jvm?.mem?.heap_max_in_bytes ?? 0), 0),
  };
}

async function memoryLine(client: Client, searchPid: number | undefined): Promise<string> {
  const heap = await jvmHeap(client);
  const rss = searchPid === undefined ? undefined : await residentBytes(searchPid);
  return `memory: OpenSearch heap ${mib(heap.used)} of ${mib(heap.max)}, RSS ${mib(rss)}; this process RSS ${mib(process.memoryUsage().rss)}`;
}

// ---------------------------------------------------------------------------------------------
// One run

interface RunFigures {
  readonly docsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function run(client: Client, number: number, searchPid: number | undefined): Promise<RunFigures> {
  const index = searchIndexName("driver-messages", { indexPrefix: "bench-" });
  await client.indices.delete({ index }, { ignore: [404] });
  await client.indices.create({ index, body: { settings: { index: { number_of_shards: 1, number_of_replicas: 0 } }, mappings } });
  try {
    print(`run ${number}/${runs}`);
    const operations = messages(index, docCount);
    await settle(searchPid);

    const bulkStart = await usage(searchPid);
    const report = await bulk(client, operations, { maxOperationsPerRequest: batch, concurrency });
    const bulkEnd = await usage(searchPid);
    const bulkSeconds = (bulkEnd.at - bulkStart.at) / 1000;
    const docsPerSecond = report.succeeded / bulkSeconds;
    print(
      `  bulk     ${report.succeeded.toLocaleString("en")} docs in ${bulkSeconds.toFixed(2)} s = ${docsPerSecond.toFixed(0)} docs/s ` +
        `(${report.requests} requests of up to ${batch}, ${concurrency} in flight; ${report.failed.length} failed, ${report.retried} retried)`,
    );
    for (const failure of report.failed.slice(0, 3)) print(`    ! #${failure.position} ${failure.status} ${failure.type}: ${failure.reason}`);
    print(`           ${cpuLine(bulkStart, bulkEnd)}`);
    print(`           ${await memoryLine(client, searchPid)}`);

    await client.indices.refresh({ index });
    print(`  (waited ${(await settle(searchPid)).toFixed(1)} s for OpenSearch to finish the merges and refreshes indexing left running)`);
    const random = seededRandom(seed + number);
    const search = async () => {
      const from = spanStart + Math.floor(random() * (spanMs - windowDays * 86_400_000));
      const query = {
        bool: {
          filter: [
            { term: { driverId: driverId(Math.floor(random() * driverCount)) } },
            { range: { at: { gte: new Date(from).toISOString(), lt: new Date(from + windowDays * 86_400_000).toISOString() } } },
          ],
        },
      };
      const started = performance.now();
      const page = await searchPage(client, { index, query, sort: newestFirst, size: pageSize });
      return { ms: performance.now() - started, items: page.items.length };
    };
    for (let i = 0; i < warmupSearches; i++) await search();

    const tookBefore = await searchStats(client, index);
    const searchStart = await usage(searchPid);
    const latencies: number[] = [];
    let hits = 0;
    for (let i = 0; i < searchCount; i++) {
      const result = await search();
      latencies.push(result.ms);
      hits += result.items;
    }
    const searchEnd = await usage(searchPid);
    const tookAfter = await searchStats(client, index);
    const searchSeconds = (searchEnd.at - searchStart.at) / 1000;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const serverMean = (tookAfter.millis - tookBefore.millis) / Math.max(1, tookAfter.count - tookBefore.count);
    print(
      `  search   ${searchCount} in ${searchSeconds.toFixed(2)} s = ${(searchCount / searchSeconds).toFixed(0)}/s, one at a time; ` +
        `p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(percentile(latencies, 100))} (round trip); ` +
        `server query time mean ${ms(serverMean)}; ${(hits / searchCount).toFixed(1)} hits/page`,
    );
    print(`           ${cpuLine(searchStart, searchEnd)}`);
    print(`           ${await memoryLine(client, searchPid)}`);
    return { docsPerSecond, p50, p99 };
  } finally {
    await client.indices.delete({ index }, { ignore: [404] });
  }
}

/** The index's query count and total query time, as OpenSearch counts them. */
async function searchStats(client: Client, index: string): Promise<{ count: number; millis: number }> {
  const { body } = await client.indices.stats({ index, metric: "search" });
  const total = (body.indices?.[index] as { total?: { search?: { query_total?: number; query_time_in_millis?: number } } } | undefined)?.total?.search;
  return { count: total?.query_total ?? 0, millis: total?.query_time_in_millis ?? 0 };
}

// ---------------------------------------------------------------------------------------------

const config = searchConfigFromEnv();
// Bulk requests of 1,000 documents on a busy node may take longer than the client's default.
const client = createSearchClient({ ...config, indexPrefix: "bench-", requestTimeoutMs: 30_000 });
try {
  const info = (await client.info()).body;
  const searchPid = await pidListeningOn(Number(new URL(config.url).port || (config.url.startsWith("https") ? 443 : 80)));
  print(`OpenSearch ${info.version.number} at ${config.url} (${config.auth}); process ${searchPid ?? "not on this machine"}; Node.js ${process.version}`);
  print(`workload: ${docCount.toLocaleString("en")} driver messages, ${driverCount} drivers, ${spanDays} days; search ${pageSize}/page over ${windowDays}-day windows`);
  print(await memoryLine(client, searchPid));
  print();
  const figures: RunFigures[] = [];
  for (let number = 1; number <= runs; number++) {
    figures.push(await run(client, number, searchPid));
    print();
  }
  print("summary   run   docs/s   search p50   search p99");
  figures.forEach((figure, i) => print(`          ${String(i + 1).padStart(3)} ${figure.docsPerSecond.toFixed(0).padStart(8)} ${ms(figure.p50).padStart(12)} ${ms(figure.p99).padStart(12)}`));
} finally {
  await client.close();
}
