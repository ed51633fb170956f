/**
 * Micro-benchmark of CloudWatch Logs filter pattern matching (packages/core/src/observability/
 * filter-pattern.ts), the work the local cloud does on every captured log line:
 *
 *   npx tsx scripts/bench/filter-pattern.ts [--lines 100000] [--rounds 5]
 *
 * The workload is FIXED so that runs compare: 100,000 lines from a seeded generator, 60% Powertools
 * Logger JSON lines, 20% Lambda platform records (JSON), 20% text lines (START/END/REPORT). Each
 * pattern is compiled once, then matched against every line, `--rounds` times; the figure is the
 * best round's lines per second (JSON parsing included), with the number of lines it selected.
 */
import { parseArgs } from "node:util";
import { compileFilterPattern } from "@haul/core/observability/filter-pattern";
import { seededRandom } from "./support/random.js";

const { values } = parseArgs({
  options: { lines: { type: "string", default: "100000" }, rounds: { type: "string", default: "5" } },
});
const lineCount = Number(values.lines);
const rounds = Number(values.rounds);

const patterns = [
  "",
  "{ $.level = * }",
  '{ $.type = "platform.report" }',
  '{ ($.level = "ERROR") || ($.level = "WARN") }',
  "{ $.statusCode >= 500 }",
  '{ $.level = * || $.type = "platform.*" }',
  "ERROR",
  '?"Task timed out" ?REPORT',
];

function makeLines(count: number): string[] {
  const random = seededRandom(11);
  const levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"];
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = random();
    const requestId = `req-${i.toString(16).padStart(8, "0")}`;
    if (kind < 0.6) {
      lines.push(
        JSON.stringify({
          level: levels[Math.floor(random() * levels.length)],
          message: "reservation created",
          timestamp: new Date(1_714_557_600_000 + i).toISOString(),
          service: "reservation",
          cold_start: false,
          function_request_id: requestId,
          correlation_id: `corr-${i}`,
          route: "POST /reservations",
          statusCode: random() < 0.05 ? 503 : 201,
          latencyMs: Math.round(random() * 200),
        }),
      );
    } else if (kind < 0.8) {
      lines.push(
        JSON.stringify({
          time: new Date(1_714_557_600_000 + i).toISOString(),
          type: random() < 0.5 ? "platform.report" : "platform.start",
          record: { requestId, metrics: { durationMs: 12.3, billedDurationMs: 13, memorySizeMB: 1024, maxMemoryUsedMB: 80 }, status: "success" },
        }),
      );
    } else {
      lines.push(
        random() < 0.5
          ? `START RequestId: ${requestId} Version: $LATEST`
          : `REPORT RequestId: ${requestId}\tDuration: 12.30 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB`,
      );
    }
  }
  return lines;
}

const lines = makeLines(lineCount);
console.log(`filter-pattern bench: ${lineCount.toLocaleString("en")} lines, best of ${rounds} rounds`);
for (const pattern of patterns) {
  const matches = compileFilterPattern(pattern);
  let bestSeconds = Infinity;
  let selected = 0;
  for (let round = 0; round < rounds; round += 1) {
    selected = 0;
    const started = process.hrtime.bigint();
    for (const line of lines) if (matches(line)) selected += 1;
    bestSeconds = Math.min(bestSeconds, Number(process.hrtime.bigint() - started) / 1e9);
  }
  const perSecond = Math.round(lineCount / bestSeconds).toLocaleString("en");
  console.log(`  ${JSON.stringify(pattern).padEnd(52)} ${perSecond.padStart(12)} lines/s  selected ${selected.toLocaleString("en")}`);
}
