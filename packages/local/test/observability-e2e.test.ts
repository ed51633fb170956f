/**
 * Observability end to end through the local cloud: handlers' output captured into local log
 * groups, subscription batches refined into the real OpenSearch (`test-api-logs-*`), and the
 * operator's routes (GET /ops/logs, GET /ops/logs/stats) reading them back.
 *
 * The 5xx are real faults: the Kinesis fault proxy of the tracking tests sits between the handlers
 * and kinesalite (AWS_ENDPOINT_URL_KINESIS, read when the shared client is first made), and when it
 * fails every PutRecords request, POST /positions answers 503.
 */
import { randomInt, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { format } from "node:util";
import { GetExecutionHistoryCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { logIndexPattern, type LogPage } from "@haul/core/observability/log-search";
import type { LogStatsReport } from "@haul/core/observability/log-stats";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { closeSearchClient } from "@haul/core/search/search-client";
import {
  correlationIdHeader,
  driverNotificationsConsumer,
  logRefinement,
  observabilityApi,
  reservationApi,
  reservationWorkflow,
  trackingApi,
} from "@haul/functions/declarations";
import { resetAwsClients } from "@haul/functions/shared/aws-clients";
import { migrateTestDatabase, repoRoot } from "../../core/test/support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, requestBody, windowAt } from "../../core/test/support/reservations.js";
import { createTestClient, testConfig } from "../../core/test/search/support.js";
import { startKinesisFaultProxy, type KinesisFaultProxy } from "../../functions/test/tracking/kinesis-fault-proxy.js";
import { appName, identityDir, localStage, logsDir } from "../src/config.js";
import { functionNameFor } from "../src/gateway/lambda-invocation.js";
import { mintToken } from "../src/identity/mint-token.js";
import { loadOrCreateSigningKey } from "../src/identity/signing-key.js";
import { startLocalCloud, type LocalCloud } from "../src/main.js";
import { send, type SentResponse } from "./fixtures/http-client.js";

const freePorts = { reservationApi: 0, queryApi: 0, identity: 0, dynamodb: 0, stepFunctions: 0, liveApi: 0, notificationApi: 0, trackingApi: 0, kinesis: 0, observabilityApi: 0, web: 0 };
const resourcePrefix = `${localStage}-${appName}`;
const reserveTruckFunction = functionNameFor(resourcePrefix, reservationApi.name, reservationApi.routes["POST /reservations"].handler);
const consumerFunction = `${resourcePrefix}-${driverNotificationsConsumer.name}`;
const refinerGroup = `/aws/lambda/${resourcePrefix}-${logRefinement.refiner.name}`;
/** How long a log line may take to become searchable here: CloudWatch Logs' "within seconds". */
const searchableWithinMs = 15_000;

const savedEnv = { ...process.env };
const fileStartedAt = new Date();
let haulDir: string;
let cloud: LocalCloud;
let search: Client;
let proxy: KinesisFaultProxy;
let customerId: string;
let driverId: string;
const tokens = { customer: "", driver: "", operator: "" };
/** Below the log capture: what reaches the terminal (echoed lines), not what handlers write. */
let terminal: MockInstance[] = [];

beforeAll(async () => {
  delete process.env.HAUL_TERMINAL_LOG_LEVEL;
  terminal = [
    vi.spyOn(process.stdout, "write"),
    ...(["log", "info", "debug", "trace", "warn", "error"] as const).map((method) => vi.spyOn(console, method)),
  ];
  await migrateTestDatabase();
  search = createTestClient();
  // The refiner creates the day's index from the family's template: it must be there first.
  await applyIndexFamilies(search, { directory: path.join(repoRoot, "search", "index-families"), prefix: testConfig.indexPrefix, log: () => undefined });
  customerId = await createTestCustomer();
  driverId = await createTestDriver();
  haulDir = await mkdtemp(path.join(tmpdir(), "haul-observability-"));
  cloud = await startLocalCloud({ haulDir, ports: freePorts, quiet: true, fresh: true, stepFunctions: { retryIntervalScale: 0.001 } });
  // After the cloud pointed the SDK at kinesalite, before any handler made its Kinesis client.
  proxy = await startKinesisFaultProxy(cloud.outputs.KinesisEndpoint!);
  process.env.AWS_ENDPOINT_URL_KINESIS = proxy.endpoint;
  resetAwsClients();
  const signingKey = await loadOrCreateSigningKey(identityDir(haulDir));
  const token = (role: "customer" | "driver" | "operator", sub: string) => mintToken({ role, sub, issuer: cloud.outputs.IssuerUrl!, signingKey });
  tokens.customer = await token("customer", customerId);
  tokens.driver = await token("driver", driverId);
  tokens.operator = await token("operator", randomUUID());
});

afterAll(async () => {
  await cloud?.stop();
  await proxy?.stop();
  resetAwsClients();
  for (const spy of terminal) spy.mockRestore();
  process.env = savedEnv;
  await removeTestPeople();
  await search?.close();
  await closeSearchClient();
  await closePools();
  await closeRedisClient();
  if (haulDir) await rm(haulDir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = searchableWithinMs): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last: ${String(last)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function operatorGet<T>(route: string, query: Record<string, string>): Promise<T> {
  const reply = await send(`${cloud.outputs.ObservabilityApiUrl}${route}?${new URLSearchParams(query)}`, { headers: bearer(tokens.operator) });
  if (reply.status !== 200) throw new Error(`${route} answered ${reply.status}: ${reply.body.toString("utf8")}`);
  return reply.json<T>();
}

type LogItem = LogPage["items"][number];

const searchLogs = (query: Record<string, string>) => operatorGet<LogPage>("/ops/logs", { limit: "200", ...query });

/** Reserves a seeded-for-the-test driver in a window of its own; `headers` adds to the customer's. */
async function reserve(headers: Record<string, string> = {}): Promise<{ reply: SentResponse; answeredAt: number; reservationId: string }> {
  const reply = await send(`${cloud.outputs.ReservationApiUrl}/reservations`, {
    method: "POST",
    headers: { ...bearer(tokens.customer), "content-type": "application/json", ...headers },
    // Far out and random, so no other run's reservation of this driver overlaps it.
    body: JSON.stringify(requestBody(driverId, { window: windowAt(24 * randomInt(30, 300) + randomInt(0, 20), 2) })),
  });
  const answeredAt = Date.now();
  expect(reply.status).toBe(202);
  return { reply, answeredAt, reservationId: reply.json<{ reservationId: string }>().reservationId };
}

const executionArnOf = (reservationId: string) => `${cloud.outputs.ReservationStateMachineArn!.replace(":stateMachine:", ":execution:")}:${reservationId}`;

/** The ASL's Lambda task states, by state name: the declared task whose ARN their Resource takes. */
function lambdaTaskStates(): Map<string, string> {
  const definition = JSON.parse(readFileSync(path.join(repoRoot, reservationWorkflow.definitionFile), "utf8")) as { States: Record<string, { Resource?: string }> };
  const taskBySubstitution = new Map(Object.entries(reservationWorkflow.tasks).map(([task, declaration]) => [`\${${declaration.arnSubstitution}}`, task]));
  const states = new Map<string, string>();
  for (const [state, body] of Object.entries(definition.States)) {
    const task = body.Resource === undefined ? undefined : taskBySubstitution.get(body.Resource);
    if (task) states.set(state, task);
  }
  return states;
}

/** The declared Lambda tasks the execution ran (by its history), with its status. */
async function lambdaTasksRun(executionArn: string): Promise<{ status: string; tasks: string[] }> {
  const execution = await cloud.stepFunctions.waitForExecution(executionArn);
  const sfn = new SFNClient({ endpoint: cloud.outputs.StepFunctionsEndpoint!, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const taskStates = lambdaTaskStates();
    const tasks = events.flatMap((event) => {
      const task = event.type === "TaskStateEntered" ? taskStates.get(event.stateEnteredEventDetails?.name ?? "") : undefined;
      return task ? [task] : [];
    });
    const output = JSON.parse(String(execution.output ?? "{}")) as { reservation?: { status?: string } };
    return { status: output.reservation?.status ?? execution.status, tasks: [...new Set(tasks)] };
  } finally {
    sfn.destroy();
  }
}

/** The lines of a function's local log group file. */
async function groupLines(functionName: string): Promise<string[]> {
  const file = path.join(logsDir(haulDir), "groups", "aws", "lambda", `${functionName}.log`);
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line.length > 0);
}

/** A task's application lines (the ones its subscription filter takes) that carry `correlationId`. */
async function taskLinesOf(task: string, correlationId: string): Promise<string[]> {
  return (await groupLines(`${resourcePrefix}-${task}`)).filter((line) => line.includes(`"level"`) && line.includes(correlationId));
}

const groupOf = (functionName: string) => `/aws/lambda/${functionName}`;
const isAccess = (item: LogItem, route: string, status: number) => item.kind === "access" && item.route === route && item.status === status;
/** By log group, where the local cloud put the line; its `functionName` is the line's own claim, checked apart. */
const isSummary = (item: LogItem, functionName: string, status: number) =>
  item.logGroup === groupOf(functionName) && item.message === "request completed" && item.status === status;
/** Each line's own function name (Powertools' Lambda context) matches the group it was written to. */
function expectOwnFunctionNames(items: readonly LogItem[]): void {
  const misattributed = items.filter((item) => item.source === "function" && item.functionName !== item.logGroup.slice("/aws/lambda/".length));
  expect(misattributed.map((item) => `${item.logGroup}: "${item.message}" says ${item.functionName}`)).toEqual([]);
}

describe("observability through the local cloud", () => {
  it("finds a reservation's logs by its correlation id within seconds: gateway, handler, workflow tasks, notification consumer", async () => {
    const correlationId = `e2e-${randomUUID()}`;
    const { reply, answeredAt, reservationId } = await reserve({ [correlationIdHeader]: correlationId });
    expect(reply.headers[correlationIdHeader]).toBe(correlationId);
    const execution = await lambdaTasksRun(executionArnOf(reservationId));
    expect(execution.status).toBe("CONFIRMED");
    expect(execution.tasks).toEqual(expect.arrayContaining(["PersistReservation", "InvalidateReservationCache"]));

    let taskLines: Record<string, string[]> = {};
    const found = await until("the request's logs searchable by correlation id", async () => {
      const { items } = await searchLogs({ correlationId });
      // Every task ends with its `task completed` line; each line a task logged must be found.
      taskLines = Object.fromEntries(await Promise.all(execution.tasks.map(async (task) => [task, await taskLinesOf(task, correlationId)] as const)));
      const missing = [
        ...(items.some((item) => isAccess(item, "POST /reservations", 202) && item.apiName === reservationApi.name) ? [] : ["the access record"]),
        ...(items.some((item) => isSummary(item, reserveTruckFunction, 202)) ? [] : ["the handler's summary line"]),
        ...(items.some((item) => item.logGroup === groupOf(consumerFunction))
          ? []
          : [`the consumer's line (its group holds ${(await groupLines(consumerFunction)).filter((line) => line.includes(correlationId)).length} with this correlation id)`]),
        ...execution.tasks.filter((task) => {
          const found = items.filter((item) => item.logGroup === groupOf(`${resourcePrefix}-${task}`));
          return found.length === 0 || found.length < taskLines[task]!.length;
        }),
      ];
      // Thrown, so a timeout names what never came.
      if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}`);
      return { items, at: Date.now() };
    });
    expect(found.at - answeredAt).toBeLessThan(searchableWithinMs + 1_000);

    const { items } = found;
    expect(items.every((item) => item.correlationId === correlationId || item.kind === "access")).toBe(true);
    const access = items.filter((item) => item.kind === "access");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ source: "api", apiName: reservationApi.name, route: "POST /reservations", method: "POST", status: 202 });
    const handlerLines = items.filter((item) => item.logGroup === groupOf(reserveTruckFunction));
    expect(handlerLines.filter((item) => item.message === "request completed")).toEqual([
      expect.objectContaining({ service: reservationApi.service, route: "POST /reservations", status: 202, level: "INFO", fields: expect.objectContaining({ apiRequestId: access[0]!.requestId }) }),
    ]);
    for (const [task, lines] of Object.entries(taskLines)) {
      expect(items.filter((item) => item.logGroup === groupOf(`${resourcePrefix}-${task}`)), task).toHaveLength(lines.length);
    }
    expect(items.find((item) => item.logGroup === groupOf(consumerFunction))).toMatchObject({ service: driverNotificationsConsumer.service });
    expectOwnFunctionNames(items);
  });

  it("gives the API's request id as the correlation id when the caller sends none, and finds the request by it", async () => {
    const { reply, reservationId } = await reserve();
    const correlationId = reply.headers[correlationIdHeader];
    expect(typeof correlationId).toBe("string");
    expect(correlationId).toBe(reply.headers["apigw-requestid"]);
    await cloud.stepFunctions.waitForExecution(executionArnOf(reservationId));

    const items = await until("the request's logs searchable by the returned correlation id", async () => {
      const page = await searchLogs({ correlationId: String(correlationId) });
      const complete = page.items.some((item) => isAccess(item, "POST /reservations", 202)) && page.items.some((item) => isSummary(item, reserveTruckFunction, 202));
      return complete ? page.items : undefined;
    });
    expect(items.filter((item) => item.kind === "access")).toEqual([expect.objectContaining({ requestId: correlationId, correlationId, apiName: reservationApi.name })]);
    expect(items.filter((item) => item.logGroup === groupOf(reserveTruckFunction)).every((item) => item.correlationId === correlationId)).toBe(true);
    expectOwnFunctionNames(items);
  });

  it("counts injected 4xx and real 5xx in the operator's stats, the gateway's 401 included", async () => {
    const route = "POST /positions";
    // Access records carry API Gateway's requestTime, to the second.
    const window = { route, from: new Date(Math.floor(fileStartedAt.getTime() / 1000) * 1000 - 1000).toISOString(), to: new Date(Date.now() + 10 * 60_000).toISOString() };
    const before = await operatorGet<LogStatsReport>("/ops/logs/stats", window);
    const url = `${cloud.outputs.TrackingApiUrl}/positions`;
    const fixes = () => ({ reservationId: randomUUID(), fixes: [{ lat: 52.52, lon: 13.405, recordedAt: new Date().toISOString() }] });
    const post = (headers: Record<string, string>, body: string) => send(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

    const statuses: number[] = [];
    statuses.push((await post(bearer(tokens.driver), JSON.stringify(fixes()))).status);
    statuses.push((await post({}, JSON.stringify(fixes()))).status); // refused by the gateway: no handler runs
    statuses.push((await post(bearer(tokens.customer), JSON.stringify(fixes()))).status); // a driver's route: the handler refuses
    statuses.push((await post(bearer(tokens.driver), "{not json")).status);
    proxy.setFaults({ request: () => "internal-failure" });
    try {
      statuses.push((await post(bearer(tokens.driver), JSON.stringify(fixes()))).status);
      statuses.push((await post(bearer(tokens.driver), JSON.stringify(fixes()))).status);
    } finally {
      proxy.setFaults({});
    }
    expect(statuses).toEqual([202, 401, 403, 400, 503, 503]);

    const routeOf = (report: LogStatsReport) => report.routes.find((entry) => entry.route === route);
    const base = { requests: before.total.requests, clientErrors: before.total.clientErrors, serverErrors: before.total.serverErrors };
    const after = await until("the injected requests counted", async () => {
      const report = await operatorGet<LogStatsReport>("/ops/logs/stats", window);
      return report.total.requests >= base.requests + statuses.length ? report : undefined;
    });
    expect(after.total).toMatchObject({ requests: base.requests + 6, clientErrors: base.clientErrors + 3, serverErrors: base.serverErrors + 2 });
    expect(after.total.errorRate).toBeCloseTo(after.total.serverErrors / after.total.requests, 10);
    expect(after.total.clientErrorRate).toBeCloseTo(after.total.clientErrors / after.total.requests, 10);
    const stats = routeOf(after)!;
    expect(stats).toMatchObject({ requests: after.total.requests, clientErrors: after.total.clientErrors, serverErrors: after.total.serverErrors });
    expect(stats.latencyMs.p50).toEqual(expect.any(Number));
    expect(stats.latencyMs.p99!).toBeGreaterThanOrEqual(stats.latencyMs.p50!);
    expect(stats.histogram.length).toBeGreaterThan(0);
    expect(stats.histogram.reduce((sum, bucket) => sum + bucket.requests, 0)).toBe(stats.requests);
    expect(stats.histogram.reduce((sum, bucket) => sum + bucket.serverErrors, 0)).toBe(stats.serverErrors);

    // The 401 has an access record and nothing else: no handler ran for it.
    const refused = await searchLogs({ route, status: "401", from: window.from });
    const gatewayOnly = refused.items.filter((item) => item.kind === "access" && item.apiName === trackingApi.name);
    expect(gatewayOnly.length).toBeGreaterThanOrEqual(1);
    const [unauthorized] = gatewayOnly;
    expect((await searchLogs({ correlationId: unauthorized!.requestId! })).items.filter((item) => item.source === "function")).toEqual([]);
  });

  it("refuses the logs and stats to anyone but an operator", async () => {
    for (const route of ["/ops/logs", "/ops/logs/stats"]) {
      for (const token of [tokens.customer, tokens.driver]) {
        const reply = await send(`${cloud.outputs.ObservabilityApiUrl}${route}`, { headers: bearer(token) });
        expect(reply.status, route).toBe(403);
        expect(reply.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(reply.json()).toMatchObject({ status: 403 });
      }
      expect((await send(`${cloud.outputs.ObservabilityApiUrl}${route}`)).status, route).toBe(401);
    }
  });

  it("never refines the refiner's own log lines", async () => {
    await cloud.logs.flush();
    // The refiner did log its batches, to its own group...
    await until("the refiner's own lines in its group", async () => ((await groupLines(`${resourcePrefix}-${logRefinement.refiner.name}`)).some((line) => line.includes("log batch refined")) ? true : undefined));
    expect(cloud.logs.stats().batchesDelivered).toBeGreaterThan(0);
    // ...and none of them became a document.
    const { body } = await search.count({ index: logIndexPattern(testConfig.indexPrefix), body: { query: { term: { logGroup: refinerGroup } } } });
    expect(body.count).toBe(0);
  });

  it("keeps the terminal to WARN and up while the log group keeps the handler's INFO lines", async () => {
    const correlationId = `quiet-${randomUUID()}`;
    for (const spy of terminal) spy.mockClear();
    const reply = await send(`${cloud.outputs.ObservabilityApiUrl}/ops/logs?limit=1`, { headers: { ...bearer(tokens.operator), [correlationIdHeader]: correlationId } });
    expect(reply.status).toBe(200);
    const functionName = functionNameFor(resourcePrefix, observabilityApi.name, observabilityApi.routes["GET /ops/logs"].handler);
    const kept = await until("the handler's INFO line in its log group", async () => {
      const lines = (await groupLines(functionName)).filter((line) => line.includes(correlationId) && /"level":\s*"INFO"/.test(line));
      return lines.length > 0 ? lines : undefined;
    });
    expect(kept.some((line) => line.includes("request completed"))).toBe(true);
    const text = (call: unknown[]) => (call[0] instanceof Uint8Array ? Buffer.from(call[0]).toString("utf8") : format(...call));
    const echoed = terminal.flatMap((spy) => spy.mock.calls.map((call) => text(call as unknown[])));
    expect(echoed.filter((text) => text.includes(correlationId) || /"level"\s*:\s*"INFO"/.test(text))).toEqual([]);
  });
});
