/**
 * Fuzzes every HTTP API from its own OpenAPI document with schemathesis (.haul/venv, installed by
 * scripts/ensure-fuzzer.sh), against a local cloud of its own, once per role with a valid token.
 * Checks: no 5xx, status codes, content types and bodies as documented, every refusal problem+json,
 * and a refused request writes nothing (scripts/fuzz/hooks.py; the fingerprint it compares is served here).
 * The run's own customer, driver (with a truck), operator and reservation are named as examples in the
 * documents, so ids reach the routes' logic and not only 404.
 * Used by `npm run fuzz` (scripts/fuzz/run.ts) and the short pass of `npm test` (test/fuzz/short-pass.test.ts).
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "../../packages/core/src/db/pools.js";
import { httpApis, reservationApi, type HttpApiDeclaration } from "../../packages/functions/src/declarations.js";
import { buildOpenApiDocument } from "../../packages/functions/src/openapi/document.js";
import { startTestCloud, type TestCloud } from "../../test/support/test-cloud.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const schemathesis = path.join(repoRoot, ".haul/venv/bin/schemathesis");
const roles = ["customer", "driver", "operator"] as const;
type FuzzRole = (typeof roles)[number];

export const checks = [
  "not_a_server_error",
  "status_code_conformance",
  "content_type_conformance",
  "response_schema_conformance",
  "refusal_is_problem_json",
  "refused_request_writes_nothing",
] as const;

export interface FuzzOptions {
  /** Cases per operation and role (schemathesis' --max-examples). */
  readonly maxExamples: number;
  readonly seed?: number;
  /** Where documents and schemathesis' reports go. */
  readonly outDir: string;
  /** Receives each schemathesis run's console output. */
  readonly onOutput?: (text: string) => void;
}

export interface RouteResult {
  readonly api: string;
  readonly route: string;
  cases: number;
  /** Failures by check name. */
  readonly failures: Record<string, number>;
}

export interface FuzzResult {
  readonly routes: RouteResult[];
  /** Each schemathesis run's console output, by `<api> as <role>`. */
  readonly outputs: Record<string, string>;
  /** Runs that ended with an error of their own (not a check failure), with their exit code. */
  readonly errors: string[];
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  await mkdir(options.outDir, { recursive: true });
  const cloud = await startTestCloud("fuzz");
  const people = await createFuzzPeople();
  const writes = await serveWritesFingerprint(cloud, people);
  const result: FuzzResult = { routes: [], outputs: {}, errors: [] };
  try {
    const reservationId = await reserve(cloud, people, 0);
    const fuzzApi = async (api: HttpApiDeclaration) => {
      const baseUrl = cloud.outputs[`${api.name}Url`];
      if (!baseUrl) throw new Error(`the local cloud has no ${api.name}Url output`);
      const documentPath = path.join(options.outDir, `${api.name}.openapi.json`);
      const document = withExamples(buildOpenApiDocument([api], baseUrl), { people, reservationId });
      await writeFile(documentPath, JSON.stringify(document, null, 2));
      for (const role of roles) {
        const token = await cloud.token(role, people[role]);
        const reportPath = path.join(options.outDir, `${api.name}-${role}.ndjson`);
        const run = await runSchemathesis({ ...options, documentPath, baseUrl, token, reportPath, writesUrl: writes.url });
        const label = `${api.name} as ${role}`;
        result.outputs[label] = run.output;
        options.onOutput?.(`== ${label}\n${run.output}`);
        const counted = await countReport(reportPath, api);
        // 1 is "some check failed", which the counts show; anything else is a run that broke.
        if (run.exitCode !== 0 && !(run.exitCode === 1 && counted.some((route) => Object.keys(route.failures).length > 0)))
          result.errors.push(`${label}: schemathesis exited with ${run.exitCode}`);
        merge(result.routes, counted);
      }
    };
    // Only the ReservationApi changes what the write fingerprint covers: it runs alone, the others side by side after it.
    await fuzzApi(reservationApi);
    await Promise.all(httpApis.filter((api) => api !== reservationApi).map(fuzzApi));
    result.routes.sort((a, b) => order(a) - order(b));
  } finally {
    await writes.stop();
    await removeFuzzPeople(people);
    await cloud.stop();
  }
  return result;
}

const dayMs = 24 * 60 * 60 * 1000;

function reservationBody(driverId: string, daysAhead: number) {
  const start = Math.ceil(Date.now() / dayMs) * dayMs + daysAhead * dayMs;
  return {
    driverId,
    pickup: { lat: 52.52, lon: 13.405, address: "Alexanderplatz 1, 10178 Berlin" },
    dropoff: { lat: 48.1372, lon: 11.5756, address: "Marienplatz 8, 80331 München" },
    window: { start: new Date(start).toISOString(), end: new Date(start + 2 * 60 * 60 * 1000).toISOString() },
    cargo: { weightKg: 800, description: "Two pallets of books" },
  };
}

/** A reservation of the fuzz people, so the id routes reach their logic (cancel, pickup, trail) and not only 404. */
async function reserve(cloud: TestCloud, people: FuzzPeople, daysAhead: number): Promise<string> {
  const response = await fetch(`${cloud.outputs.ReservationApiUrl}/reservations`, {
    method: "POST",
    headers: { authorization: `Bearer ${await cloud.token("customer", people.customer)}`, "content-type": "application/json" },
    body: JSON.stringify(reservationBody(people.driver, daysAhead + 1)),
  });
  if (response.status !== 202) throw new Error(`the fuzz's reservation was refused: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { reservationId: string }).reservationId;
}

type Operation = {
  parameters?: { name: string; in: string; example?: unknown }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
};

/**
 * The fuzz's own document: the API's, plus examples naming the fuzz people and their reservation,
 * which schemathesis' example and coverage phases send, so ids are not only ever unknown.
 */
function withExamples<D extends { paths?: unknown }>(document: D, known: { people: FuzzPeople; reservationId: string }): D {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  for (const [route, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === "path" && parameter.name === "id")
          parameter.example = route.startsWith("/drivers/") ? known.people.driver : known.reservationId;
        if (parameter.in === "query" && parameter.name === "driverId") parameter.example = known.people.driver;
      }
      const json = operation.requestBody?.content["application/json"];
      if (json && method === "post" && route === "/reservations") json.example = reservationBody(known.people.driver, 3);
    }
  }
  return document;
}

const declaredOrder = httpApis.flatMap((api) => Object.keys(api.routes).map((route) => `${api.name} ${route}`));
const order = (route: RouteResult) => declaredOrder.indexOf(`${route.api} ${route.route}`);

function merge(into: RouteResult[], more: RouteResult[]): void {
  for (const route of more) {
    const seen = into.find((r) => r.api === route.api && r.route === route.route);
    if (!seen) into.push(route);
    else {
      seen.cases += route.cases;
      for (const [check, n] of Object.entries(route.failures)) seen.failures[check] = (seen.failures[check] ?? 0) + n;
    }
  }
}

export interface SchemathesisRun {
  readonly maxExamples: number;
  readonly seed?: number;
  readonly documentPath: string;
  readonly baseUrl: string;
  readonly token: string;
  readonly reportPath: string;
  readonly writesUrl: string;
}

export function runSchemathesis(run: SchemathesisRun): Promise<{ exitCode: number; output: string }> {
  const args = [
    "run",
    run.documentPath,
    "--url",
    run.baseUrl,
    "--header",
    `Authorization: Bearer ${run.token}`,
    "--checks",
    checks.join(","),
    "--max-examples",
    String(run.maxExamples),
    // One worker: the write check compares a fingerprint before and after each call.
    "--workers",
    "1",
    "--request-timeout",
    "30",
    "--suppress-health-check",
    "all",
    "--report",
    "ndjson",
    "--report-ndjson-path",
    run.reportPath,
    ...(run.seed === undefined ? [] : ["--seed", String(run.seed)]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(schemathesis, args, {
      // It keeps a .schemathesis/ folder (for `st replay`) where it runs: next to the reports, not in the checkout.
      cwd: path.dirname(run.reportPath),
      env: {
        ...process.env,
        SCHEMATHESIS_HOOKS: "scripts.fuzz.hooks",
        PYTHONPATH: repoRoot,
        HAUL_FUZZ_WRITES_URL: run.writesUrl,
        NO_COLOR: "1",
        COLUMNS: "160",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ exitCode: code ?? -1, output }));
  });
}

/** Cases and failures per operation from schemathesis' NDJSON events. */
export async function countReport(reportPath: string, api: HttpApiDeclaration): Promise<RouteResult[]> {
  const routes = new Map<string, RouteResult>(
    Object.keys(api.routes).map((route) => [route, { api: api.name, route, cases: 0, failures: {} }]),
  );
  const text = await readFile(reportPath, "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    const finished = event.ScenarioFinished as ScenarioFinished | undefined;
    if (!finished?.recorder) continue;
    const route = routes.get(finished.recorder.label);
    if (!route) continue;
    route.cases += Object.keys(finished.recorder.cases ?? {}).length;
    for (const results of Object.values(finished.recorder.checks ?? {})) {
      for (const check of results) {
        if (check.status === "FAILURE" || check.status === "failure")
          route.failures[check.name] = (route.failures[check.name] ?? 0) + 1;
      }
    }
  }
  return [...routes.values()];
}

interface ScenarioFinished {
  readonly recorder?: {
    readonly label: string;
    readonly cases?: Record<string, unknown>;
    readonly checks?: Record<string, { readonly name: string; readonly status: string }[]>;
  };
}

type FuzzPeople = Record<FuzzRole, string>;

/** People of the fuzz's own, so the write fingerprint sees nothing of other tests running alongside. */
async function createFuzzPeople(): Promise<FuzzPeople> {
  const pool = await getPrimaryPool();
  const people = { customer: randomUUID(), driver: randomUUID(), operator: randomUUID() };
  for (const role of roles) {
    await pool.execute("INSERT INTO users (id, role, name, email) VALUES (?, ?, ?, ?)", [
      people[role],
      role,
      `Fuzz ${role}`,
      `${people[role]}@fuzz.haul.example`,
    ]);
  }
  await pool.execute("INSERT INTO trucks (id, driver_id, plate, class, capacity_kg) VALUES (?, ?, ?, 'box', 5000)", [
    randomUUID(),
    people.driver,
    `F-${randomBytes(5).toString("hex").toUpperCase()}`,
  ]);
  return people;
}

async function removeFuzzPeople(people: FuzzPeople): Promise<void> {
  const pool = await getPrimaryPool();
  const ids = Object.values(people);
  await pool.query("DELETE FROM reservations WHERE customer_id IN (?) OR driver_id IN (?)", [ids, ids]);
  await pool.query("DELETE FROM trucks WHERE driver_id IN (?)", [ids]);
  await pool.query("DELETE FROM users WHERE id IN (?)", [ids]);
}

/**
 * What a write route can change, as one string: every reservation row of the fuzz people (any
 * column), and which workflow executions of those reservations exist (`<reservation id>[-command]`,
 * each asked for by name: a listing of every execution pages through other tests' too). It is taken
 * once the executions already started have ended, so an earlier accepted request's decision, which
 * lands asynchronously, is not taken for a refused request's write.
 */
async function serveWritesFingerprint(cloud: TestCloud, people: FuzzPeople) {
  const ids = Object.values(people);
  const readRows = async () => {
    const pool = await getPrimaryPool();
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT id, status, status_changed_at, updated_at FROM reservations WHERE customer_id IN (?) OR driver_id IN (?) ORDER BY id",
      [ids, ids],
    );
    return rows;
  };
  const fingerprint = async () => {
    let executions = await executionsOf(cloud, (await readRows()).map((row) => String(row.id)));
    for (const deadline = Date.now() + 20_000; executions.some((execution) => execution.status === "RUNNING") && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      executions = await executionsOf(cloud, (await readRows()).map((row) => String(row.id)));
    }
    const rows = await readRows();
    const rowSum = rows.map((row) => `${row.id}:${row.status}:${new Date(row.status_changed_at).getTime()}:${new Date(row.updated_at).getTime()}`).join(",");
    const running = executions.filter((execution) => execution.status === "RUNNING").length;
    return `reservations=${rows.length}/${createHash("sha1").update(rowSum).digest("hex").slice(0, 12)} executions=${executions.length}${running ? ` (${running} still running)` : ""}`;
  };
  const server = createServer((_request, response) => {
    fingerprint().then(
      (value) => response.end(value),
      (error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The commands' execution names start-workflow.ts gives a reservation: `<id>`, `<id>-cancel`, ... */
const executionSuffixes = ["", "-cancel", "-pickup", "-complete"];

/** The executions of these reservations that exist, with their status. */
async function executionsOf(cloud: TestCloud, reservationIds: readonly string[]): Promise<{ name: string; status: string }[]> {
  const prefix = `${cloud.stepFunctions.stateMachineArn.replace(":stateMachine:", ":execution:")}:`;
  const names = reservationIds.flatMap((id) => executionSuffixes.map((suffix) => id + suffix));
  const described = await Promise.all(
    names.map(async (name) => {
      const response = await fetch(cloud.stepFunctions.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AWSStepFunctions.DescribeExecution" },
        body: JSON.stringify({ executionArn: prefix + name }),
      });
      const body = (await response.json()) as { status?: string; __type?: string };
      if (response.ok) return { name, status: body.status ?? "UNKNOWN" };
      if (String(body.__type).endsWith("ExecutionDoesNotExist")) return undefined;
      throw new Error(`DescribeExecution answered ${response.status}: ${JSON.stringify(body)}`);
    }),
  );
  return described.filter((execution) => execution !== undefined);
}

/** One table: route, cases, failures by check. */
export function formatTable(routes: readonly RouteResult[]): string {
  const header = ["api", "route", "cases", ...checks];
  const rows = routes.map((r) => [r.api, r.route, String(r.cases), ...checks.map((check) => String(r.failures[check] ?? 0))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

export function failureCount(routes: readonly RouteResult[]): number {
  return routes.reduce((sum, r) => sum + Object.values(r.failures).reduce((a, b) => a + b, 0), 0);
}
