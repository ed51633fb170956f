/**
 * The local CloudWatch Logs (log-groups.ts): group files, the stacks' subscription filter patterns,
 * batches delivered as the real `awslogs.data` envelope (decoded here with the refiner's own
 * decoder), retries and the failed-batch folder; and its wiring (local-logs.ts): access log group
 * names as SST gives them, and no subscription on the refiner's own group.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeLogsEnvelope, type LogEvent, type LogsEnvelope } from "@haul/core/observability/log-envelope";
import { apiNameOfLogGroup } from "@haul/core/observability/refine-log-event";
import { logRefinement } from "@haul/functions/declarations";
import { deriveApiId } from "../src/gateway/lambda-invocation.js";
import { createLocalLogGroups, type LocalLogGroupsOptions, type SubscriptionFilter } from "../src/logs/log-groups.js";
import { accessLogGroupName, startLocalLogs } from "../src/logs/local-logs.js";

const repositoryRoot = path.resolve(import.meta.dirname, "../../..");
const functionGroup = "/aws/lambda/test-haul-ReservationApi-create-reservation";
const otherFunctionGroup = "/aws/lambda/test-haul-QueryApi-list-reservations";
const accessGroup = "/aws/vendedlogs/apis/test-haul-ReservationApi-abcdefghij/default";
const streamA = "2026/11/26/[$LATEST]aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const streamB = "2026/11/26/[$LATEST]bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/** The stacks' filters (stacks/log-subscriptions.ts): functions' two patterns, access logs' one. */
function stackSubscriptions(logGroup: string): SubscriptionFilter[] {
  if (logGroup.startsWith("/aws/vendedlogs/apis/")) return [{ name: "Refinement", pattern: logRefinement.accessLogPattern }];
  return logRefinement.functionLogPatterns.map((pattern, index) => ({ name: `Refinement${index + 1}`, pattern }));
}

let root: string;
let directoryCount = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "haul-log-groups-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Log groups in a directory of their own, recording what they deliver and warn. */
function logGroups(overrides: Partial<LocalLogGroupsOptions> = {}) {
  directoryCount += 1;
  const directory = path.join(root, String(directoryCount));
  const delivered: LogsEnvelope[] = [];
  const warnings: string[] = [];
  const groups = createLocalLogGroups({
    directory: path.join(directory, "groups"),
    failedBatchDirectory: path.join(directory, "failed"),
    accountId: "123456789012",
    subscriptionsOf: stackSubscriptions,
    deliver: async (event) => {
      delivered.push(decodeLogsEnvelope(event.awslogs.data));
    },
    deliveryIntervalMs: 20,
    retryDelaysMs: [5, 10],
    warn: (line) => warnings.push(line),
    ...overrides,
  });
  return { groups, delivered, warnings, directory };
}

const messages = (envelope: LogsEnvelope) => (envelope.logEvents as LogEvent[]).map((event) => event.message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const line = {
  info: JSON.stringify({ level: "INFO", message: "reservation created", service: "reservation" }),
  report: JSON.stringify({ time: "2026-11-26T10:00:00.000Z", type: "platform.report", record: { requestId: "r-1", metrics: { durationMs: 12.5 }, status: "success" } }),
  start: JSON.stringify({ time: "2026-11-26T10:00:00.000Z", type: "platform.start", record: { requestId: "r-1", version: "$LATEST" } }),
  noLevel: JSON.stringify({ message: "a JSON line without a level" }),
  text: "a plain text line",
  timeout: "2026-11-26T10:00:03.000Z r-1 Task timed out after 3.00 seconds",
  // A JSON line with a level that names a crash: both filters take it.
  both: JSON.stringify({ level: "ERROR", message: "Runtime.ExitError" }),
};

describe("subscription filters", () => {
  it("delivers only the events the stacks' patterns match, in one batch per group, stream and filter", async () => {
    const { groups, delivered, warnings } = logGroups();
    const at = Date.parse("2026-11-26T10:00:00.000Z");
    for (const message of Object.values(line)) groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: at, message });
    groups.put({ logGroup: functionGroup, logStream: streamB, timestamp: at, message: line.info });
    groups.put({ logGroup: otherFunctionGroup, logStream: streamA, timestamp: at, message: line.info });
    // The access log's pattern is "": every request.
    groups.put({ logGroup: accessGroup, logStream: "abcdefghij_default", timestamp: at, message: line.text });
    await groups.flush();

    const batches = delivered.map((envelope) => ({ group: envelope.logGroup, stream: envelope.logStream, filters: envelope.subscriptionFilters, messages: messages(envelope) }));
    expect(batches).toHaveLength(5);
    expect(batches).toEqual(
      expect.arrayContaining([
        { group: functionGroup, stream: streamA, filters: ["Refinement1"], messages: [line.info, line.report, line.both] },
        { group: functionGroup, stream: streamA, filters: ["Refinement2"], messages: [line.timeout, line.both] },
        { group: functionGroup, stream: streamB, filters: ["Refinement1"], messages: [line.info] },
        { group: otherFunctionGroup, stream: streamA, filters: ["Refinement1"], messages: [line.info] },
        { group: accessGroup, stream: "abcdefghij_default", filters: ["Refinement"], messages: [line.text] },
      ]),
    );
    for (const envelope of delivered) {
      expect(envelope).toMatchObject({ owner: "123456789012", messageType: "DATA_MESSAGE" });
      for (const event of envelope.logEvents as LogEvent[]) expect(event.timestamp).toBe(at);
    }
    expect(groups.stats()).toEqual({ events: 10, matched: 8, batchesDelivered: 5, eventsDelivered: 8, deliveryRetries: 0, batchesFailed: 0 });
    expect(warnings).toEqual([]);
    await groups.stop();
  });

  it("delivers a batch within the delivery interval, with what arrived meanwhile, without being flushed", async () => {
    const { groups, delivered } = logGroups({ deliveryIntervalMs: 100 });
    const putAt = Date.now();
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: putAt, message: line.info });
    await sleep(30);
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: Date.now(), message: line.report });
    expect(delivered).toEqual([]);

    for (let waited = 0; delivered.length === 0 && waited < 2000; waited += 5) await sleep(5);
    const deliveredAt = Date.now();

    expect(delivered.map(messages)).toEqual([[line.info, line.report]]);
    expect(deliveredAt - putAt).toBeGreaterThanOrEqual(90);
    expect(deliveredAt - putAt).toBeLessThan(1000);
    await groups.stop();
  });

  it("splits a batch at 10,000 events and at 1 MB", async () => {
    const { groups, delivered } = logGroups({ deliveryIntervalMs: 10_000 });
    for (let index = 0; index < 10_001; index += 1) {
      groups.put({ logGroup: accessGroup, logStream: "count", timestamp: Date.now(), message: `GET /health 200 ${index}` });
    }
    const large = "x".repeat(400_000);
    for (let index = 0; index < 3; index += 1) groups.put({ logGroup: accessGroup, logStream: "bytes", timestamp: Date.now(), message: large });
    await groups.flush();

    const sizes = (stream: string) => delivered.filter((envelope) => envelope.logStream === stream).map((envelope) => envelope.logEvents.length);
    expect(sizes("count")).toEqual([10_000, 1]);
    expect(sizes("bytes")).toEqual([2, 1]);
    const counted = delivered.filter((envelope) => envelope.logStream === "count").flatMap(messages);
    expect(counted[0]).toBe("GET /health 200 0");
    expect(counted.at(-1)).toBe("GET /health 200 10000");
    await groups.stop();
  });

  it("gives events unique ids that increase in the order they were put, and differ after a restart", async () => {
    const { groups, delivered } = logGroups();
    const start = Date.now();
    const count = 60;
    for (let index = 0; index < count; index += 1) {
      // Several events share a millisecond, and the streams interleave.
      groups.put({ logGroup: accessGroup, logStream: index % 2 === 0 ? "even" : "odd", timestamp: start + Math.floor(index / 7), message: String(index) });
    }
    await groups.flush();
    await groups.stop();

    const events = delivered.flatMap((envelope) => envelope.logEvents as LogEvent[]).sort((a, b) => Number(a.message) - Number(b.message));
    expect(events).toHaveLength(count);
    const ids = events.map((event) => event.id);
    expect(new Set(ids).size).toBe(count);
    for (const id of ids) expect(id).toMatch(/^\d+$/);
    for (let index = 1; index < count; index += 1) {
      expect(ids[index]!.length).toBe(ids[index - 1]!.length);
      expect(ids[index]! > ids[index - 1]!, `id ${index} after id ${index - 1}`).toBe(true);
    }

    const restarted = logGroups();
    restarted.groups.put({ logGroup: accessGroup, logStream: "even", timestamp: start, message: "0" });
    await restarted.groups.stop();
    expect((restarted.delivered[0]!.logEvents[0] as LogEvent).id).not.toBe(ids[0]);
  });
});

describe("failed deliveries", () => {
  it("retries a delivery that fails, then keeps the batch's envelope in the failed-batch directory and warns", async () => {
    let attempts = 0;
    const { groups, warnings, directory } = logGroups({
      deliver: async () => {
        attempts += 1;
        throw new Error("refiner unavailable");
      },
    });
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: Date.now(), message: line.info });
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: Date.now(), message: line.report });
    await groups.flush();

    expect(attempts).toBe(3);
    expect(groups.stats()).toMatchObject({ matched: 2, batchesDelivered: 0, eventsDelivered: 0, deliveryRetries: 2, batchesFailed: 1 });
    const failedDirectory = path.join(directory, "failed");
    const files = await readdir(failedDirectory);
    expect(files).toHaveLength(1);
    const kept = JSON.parse(await readFile(path.join(failedDirectory, files[0]!), "utf8")) as { reason: string; logGroup: string; events: number; event: { awslogs: { data: string } } };
    expect(kept).toMatchObject({ reason: "refiner unavailable", logGroup: functionGroup, events: 2 });
    const envelope = decodeLogsEnvelope(kept.event.awslogs.data);
    expect(envelope).toMatchObject({ logGroup: functionGroup, logStream: streamA, subscriptionFilters: ["Refinement1"] });
    expect(messages(envelope)).toEqual([line.info, line.report]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(files[0]);
    expect(warnings[0]).toContain("refiner unavailable");
    await groups.stop();
  });

  it("delivers on a retry when the subscriber recovers, keeping nothing", async () => {
    let attempts = 0;
    const received: LogsEnvelope[] = [];
    const { groups, warnings, directory } = logGroups({
      deliver: async (event) => {
        attempts += 1;
        if (attempts === 1) throw new Error("cold refiner");
        received.push(decodeLogsEnvelope(event.awslogs.data));
      },
    });
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: Date.now(), message: line.info });
    await groups.flush();

    expect(received.map(messages)).toEqual([[line.info]]);
    expect(groups.stats()).toMatchObject({ batchesDelivered: 1, eventsDelivered: 1, deliveryRetries: 1, batchesFailed: 0 });
    await expect(readdir(path.join(directory, "failed"))).rejects.toThrow(/ENOENT/);
    expect(warnings).toEqual([]);
    await groups.stop();
  });
});

describe("flush, stop and the group files", () => {
  it("flush() delivers at once and waits until the delivery has settled", async () => {
    let finished = 0;
    const { groups } = logGroups({
      deliveryIntervalMs: 60_000,
      deliver: async () => {
        await sleep(50);
        finished += 1;
      },
    });
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: Date.now(), message: line.info });
    const startedAt = Date.now();
    await groups.flush();

    expect(finished).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    await groups.stop();
  });

  it("stop() also delivers what arrived while it waited for a delivery", async () => {
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const { groups, delivered } = logGroups({
      deliveryIntervalMs: 60_000,
      deliver: async (event) => {
        if (delivered.length === 0) await firstHeld;
        delivered.push(decodeLogsEnvelope(event.awslogs.data));
      },
    });
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: Date.now(), message: line.info });
    const stopped = groups.stop();
    // A function still running while the local cloud stops.
    groups.put({ logGroup: otherFunctionGroup, logStream: streamA, timestamp: Date.now(), message: line.report });
    releaseFirst();
    await stopped;

    expect(delivered.map((envelope) => [envelope.logGroup, messages(envelope)])).toEqual([
      [functionGroup, [line.info]],
      [otherFunctionGroup, [line.report]],
    ]);
  });

  it("writes every event, matched or not, to its group's file, and stop() closes the files and takes no more", async () => {
    const { groups, directory } = logGroups();
    const at = Date.parse("2026-11-26T10:00:00.000Z");
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: at, message: line.text });
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: at + 1, message: "first\nsecond" });
    groups.put({ logGroup: functionGroup, logStream: streamB, timestamp: at + 2, message: line.info });
    groups.put({ logGroup: accessGroup, logStream: "abcdefghij_default", timestamp: at, message: "GET /health 200" });
    await groups.stop();

    const functionFile = path.join(directory, "groups", `${functionGroup.slice(1)}.log`);
    const expected = [
      `2026-11-26T10:00:00.000Z ${streamA} ${line.text}`,
      `2026-11-26T10:00:00.001Z ${streamA} first\\nsecond`,
      `2026-11-26T10:00:00.002Z ${streamB} ${line.info}`,
    ];
    expect((await readFile(functionFile, "utf8")).split("\n")).toEqual([...expected, ""]);
    expect(await readFile(path.join(directory, "groups", `${accessGroup.slice(1)}.log`), "utf8")).toBe(`2026-11-26T10:00:00.000Z abcdefghij_default GET /health 200\n`);

    const stats = groups.stats();
    groups.put({ logGroup: functionGroup, logStream: streamA, timestamp: at + 3, message: line.info });
    await sleep(20);
    expect(groups.stats()).toEqual(stats);
    expect((await readFile(functionFile, "utf8")).split("\n")).toEqual([...expected, ""]);
  });
});

describe("the local cloud's wiring", () => {
  it("names an API's access log group as SST does, and the refiner reads the API's name back from it", () => {
    for (const [prefix, apiName, stage, stageInName] of [
      ["local-haul", "ReservationApi", "$default", "default"],
      ["pr-12-haul", "QueryApi", "$default", "default"],
      ["local-haul", "LiveApi", "local", "local"],
    ] as const) {
      const apiId = deriveApiId(prefix, apiName);
      const logGroup = accessLogGroupName(prefix, apiName, apiId, stage);
      // sst/constructs/util/apiGatewayV2AccessLog.js: /aws/vendedlogs/apis/<stage>-<app>-<Api>-<api id>/<stage name, cleaned>
      expect(logGroup).toBe(`/aws/vendedlogs/apis/${prefix}-${apiName}-${apiId}/${stageInName}`);
      expect(apiNameOfLogGroup(logGroup)).toBe(apiName);
    }
  });

  it("subscribes functions' groups and subscribed access logs to the refiner, which refines them, but never the refiner's own group", async () => {
    const logsDirectory = await mkdtemp(path.join(root, "local-logs-"));
    const warnings: string[] = [];
    const resourcePrefix = "test-haul";
    const logs = startLocalLogs({ logsDirectory, resourcePrefix, root: repositoryRoot, region: "us-east-1", accountId: "123456789012", deliveryIntervalMs: 60_000, warn: (text) => warnings.push(text) });
    try {
      const refinerGroup = `/aws/lambda/${resourcePrefix}-${logRefinement.refiner.name}`;
      const httpAccess = logs.accessLogGroup("ReservationApi", deriveApiId(resourcePrefix, "ReservationApi"), "$default", true);
      const liveAccess = logs.accessLogGroup("LiveApi", deriveApiId(resourcePrefix, "LiveApi"), "local", false);
      expect(httpAccess.logGroup).toBe(accessLogGroupName(resourcePrefix, "ReservationApi", deriveApiId(resourcePrefix, "ReservationApi"), "$default"));

      logs.put({ logGroup: refinerGroup, logStream: streamA, timestamp: Date.now(), message: line.info });
      logs.put({ logGroup: refinerGroup, logStream: streamA, timestamp: Date.now(), message: line.report });
      liveAccess.write(JSON.stringify({ requestId: "live-1", eventType: "CONNECT", status: "200" }));
      expect(logs.stats()).toMatchObject({ events: 3, matched: 0 });

      logs.put({ logGroup: functionGroup, logStream: streamA, timestamp: Date.now(), message: line.info });
      httpAccess.write(JSON.stringify({ requestId: "http-1", httpMethod: "GET", routeKey: "GET /health", path: "/health", status: "200", responseLatency: "3" }));
      await logs.flush();

      // The refiner ran (against the local OpenSearch) and logged into its own group: none of that matched.
      const stats = logs.stats();
      expect(stats).toMatchObject({ matched: 2, batchesDelivered: 2, eventsDelivered: 2, batchesFailed: 0 });
      expect(stats.events).toBeGreaterThan(5);
      expect(warnings).toEqual([]);
    } finally {
      await logs.stop();
    }
    const refinerFile = await readFile(path.join(logsDirectory, "groups", "aws", "lambda", `${resourcePrefix}-${logRefinement.refiner.name}.log`), "utf8");
    expect(refinerFile).toContain('"type":"platform.report"');
    expect(refinerFile).toContain('"status":"success"');
  });
});
