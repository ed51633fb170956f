/**
 * The one reliability report: runs every fault script of scripts/faults against an isolated set of
 * servers (started here, stopped at the end if it was not running), and beside them the full fuzz
 * pass (`npm run fuzz`, on the standard servers), and prints one table: what was tried, requests or records, 5xx, lost, PASS/FAIL.
 *   npm run reliability [-- --fuzz-max-examples <n>]   (n cases per route and role instead of the fuzzer's default)
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "@haul/local/config";
import { isolatedServersUp, parseRow, startServers, stopServers, type FaultRow } from "./faults/support/fault-run.js";

const faults = ["mariadb-primary", "mariadb-replica", "redis", "opensearch", "kinesis", "local-cloud", "websocket", "poison-message"];

/** Runs a command, its output kept (the fault scripts print one line; the fuzzer a table per route). */
function runCommand(command: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function faultRow(fault: string): Promise<FaultRow> {
  process.stderr.write(`reliability: ${fault} ...\n`);
  const { stdout } = await runCommand(process.execPath, ["--import", "tsx", path.join("scripts", "faults", `${fault}.ts`)]);
  const row = stdout.split("\n").map(parseRow).find((parsed) => parsed !== undefined);
  return row ?? { fault, tried: "-", requests: 0, fiveHundreds: 0, lost: 0, pass: false, note: `no result line: ${stdout.trim().split("\n").pop() ?? ""}` };
}

async function fuzzRow(maxExamples: string | undefined): Promise<FaultRow> {
  const packageJson = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const tried = `schemathesis on every route (npm run fuzz${maxExamples ? `, ${maxExamples} cases per route and role` : ""})`;
  if (!packageJson.scripts?.fuzz) return { fault: "fuzz", tried, requests: 0, fiveHundreds: 0, lost: 0, pass: false, note: "no fuzzer: package.json has no fuzz script" };
  process.stderr.write("reliability: fuzz ...\n");
  const { code, stdout } = await runCommand("npm", ["run", "-s", "fuzz", ...(maxExamples ? ["--", "--max-examples", maxExamples] : [])]);
  const { cases, serverErrors, failures } = readFuzzTable(stdout);
  const last = stdout.trim().split("\n").pop() ?? "";
  return { fault: "fuzz", tried, requests: cases, fiveHundreds: serverErrors, lost: 0, pass: code === 0, note: code === 0 ? `${failures} failed checks` : `npm run fuzz exited ${code}: ${failures} failed checks; ${last}` };
}

/**
 * Totals of the fuzzer's table (scripts/fuzz/fuzz.ts formatTable: api, route, cases, then failures
 * per check, cells two or more spaces apart); server errors are the not_a_server_error column.
 */
function readFuzzTable(stdout: string): { cases: number; serverErrors: number; failures: number } {
  const lines = stdout.split("\n");
  const headerAt = lines.findIndex((line) => /^api\s{2,}route\s{2,}cases\b/.test(line));
  if (headerAt < 0) return { cases: 0, serverErrors: 0, failures: 0 };
  const header = lines[headerAt]!.trim().split(/\s{2,}/);
  const serverErrorColumn = header.indexOf("not_a_server_error");
  const totals = { cases: 0, serverErrors: 0, failures: 0 };
  for (const line of lines.slice(headerAt + 1)) {
    const cells = line.trim().split(/\s{2,}/);
    if (cells.length !== header.length || !/^\d+$/.test(cells[2]!)) break;
    totals.cases += Number(cells[2]);
    totals.failures += cells.slice(3).reduce((sum, cell) => sum + Number(cell), 0);
    if (serverErrorColumn >= 0) totals.serverErrors += Number(cells[serverErrorColumn]);
  }
  return totals;
}

function table(rows: readonly FaultRow[]): string {
  const cells = [
    ["fault", "tried", "requests/records", "5xx", "lost", "result", "note"],
    ...rows.map((row) => [row.fault, row.tried, String(row.requests), String(row.fiveHundreds), String(row.lost), row.pass ? "PASS" : "FAIL", row.note ?? ""]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  return [line(cells[0]!), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "fuzz-max-examples": { type: "string" } } });
  const wereUp = await isolatedServersUp();
  const rows: FaultRow[] = [];
  // The fuzz pass uses the standard servers and a local cloud of its own, the faults the isolated
  // servers: the two run side by side (the fuzz is the longer).
  const fuzz = fuzzRow(values["fuzz-max-examples"]);
  try {
    await startServers();
    for (const fault of faults) rows.push(await faultRow(fault));
  } finally {
    if (!wereUp) await stopServers().catch(() => undefined);
  }
  rows.push(await fuzz);
  const passed = rows.filter((row) => row.pass).length;
  process.stdout.write(`\nReliability report, ${new Date().toISOString().slice(0, 16)}Z: ${passed}/${rows.length} PASS\n\n${table(rows)}\n`);
  process.exitCode = passed === rows.length ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`reliability: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
