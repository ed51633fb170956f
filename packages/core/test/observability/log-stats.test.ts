/**
 * Request statistics against the real local OpenSearch node, from access lines refined and indexed
 * the real way: injected 4xx and 5xx show as counts and rates, latencies as percentiles, requests
 * as histogram buckets; application lines and requests outside the window do not count.
 */
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors.js";
import { LogStatsQuery, maxStatsBuckets, requestStats, statsWindow } from "../../src/observability/log-stats.js";
import { createTestClient } from "../search/support.js";
import { accessEvent, apiGroup, appEvent, functionGroup, ingest, opsLogPrefix, prepareOpsLogIndices, removeOpsLogIndices } from "./ops-log-fixtures.js";

let client: Client;
const window = { from: "2026-10-14T11:00:00Z", to: "2026-10-14T12:00:00Z" };
const at = (time: string) => new Date(`2026-10-14T${time}Z`);
const post = { route: "POST /reservations", path: "/reservations" };
const get = { route: "GET /reservations/{id}", path: "/reservations/r-1" };

beforeAll(async () => {
  client = createTestClient();
  await prepareOpsLogIndices(client);
  // POST: 20 requests, latencies 10..200 ms; 10 at 11:00 (one 401, two 422), 10 at 11:31 (two 503).
  const posts = Array.from({ length: 20 }, (_, i) => {
    const second = String(i % 10).padStart(2, "0");
    const time = i < 10 ? `11:00:${second}` : `11:31:${second}`;
    const status = i === 12 || i === 15 ? 503 : i === 1 ? 401 : i === 2 || i === 3 ? 422 : 202;
    return accessEvent(at(time), { ...post, status, latencyMs: (i + 1) * 10 });
  });
  // GET: 5 requests of 5 ms at 11:50, all 200.
  const gets = Array.from({ length: 5 }, (_, i) => accessEvent(at(`11:50:0${i}`), { ...get, status: 200, latencyMs: 5 }));
  const outside = [
    accessEvent(at("10:59:59"), { ...post, status: 500, latencyMs: 5000 }),
    accessEvent(at("12:00:00"), { ...post, status: 500, latencyMs: 5000 }),
  ];
  await ingest(client, apiGroup, [...posts, ...gets, ...outside]);
  // A handler's own summary line carries a route and a status, but is not a request of its own.
  await ingest(client, functionGroup, [appEvent(at("11:10:00"), { level: "ERROR", service: "reservation", message: "failed", route: post.route, status: 500, latencyMs: 9000 })]);
});

afterAll(async () => {
  await removeOpsLogIndices(client);
  await client.close();
});

const stats = (query: Record<string, string>, prefix = opsLogPrefix) =>
  requestStats({ client: () => client, indexPrefix: prefix }, LogStatsQuery.parse(query));

describe("requestStats", () => {
  it("counts requests, 5xx and 4xx per route with their rates, from access records in the window only", async () => {
    const report = await stats({ ...window, interval: "15m" });
    expect(report).toMatchObject({ from: "2026-10-14T11:00:00.000Z", to: "2026-10-14T12:00:00.000Z", interval: "15m", otherRequests: 0 });
    expect(report.total).toMatchObject({ requests: 25, serverErrors: 2, clientErrors: 3, errorRate: 2 / 25, clientErrorRate: 3 / 25 });
    expect(report.routes.map((route) => route.route)).toEqual([post.route, get.route]);
    expect(report.routes[0]).toMatchObject({ requests: 20, serverErrors: 2, clientErrors: 3, errorRate: 0.1, clientErrorRate: 0.15 });
    expect(report.routes[1]).toMatchObject({ requests: 5, serverErrors: 0, clientErrors: 0, errorRate: 0, clientErrorRate: 0 });
  });

  it("gives p50, p95 and p99 latency", async () => {
    const report = await stats({ ...window, interval: "15m" });
    const { p50, p95, p99 } = report.routes[0]!.latencyMs;
    // 10, 20 .. 200 ms: the median lies between the 10th and 11th, p95 and p99 near the top.
    expect(p50).toBeGreaterThanOrEqual(100);
    expect(p50).toBeLessThanOrEqual(110);
    expect(p95).toBeGreaterThanOrEqual(180);
    expect(p99!).toBeGreaterThanOrEqual(p95!);
    expect(p99).toBeLessThanOrEqual(200);
    expect(report.routes[1]!.latencyMs).toEqual({ p50: 5, p95: 5, p99: 5 });
    // The 5000 ms requests outside the window and the 9000 ms app line are not among them.
    expect(report.total.latencyMs.p99).toBeLessThanOrEqual(200);
  });

  it("buckets requests and errors over the whole window, empty buckets included", async () => {
    const report = await stats({ ...window, interval: "15m" });
    const histogram = (position: number) => report.routes[position]!.histogram.map(({ start, requests, serverErrors, clientErrors }) => [start.slice(11, 16), requests, serverErrors, clientErrors]);
    expect(histogram(0)).toEqual([["11:00", 10, 0, 3], ["11:15", 0, 0, 0], ["11:30", 10, 2, 0], ["11:45", 0, 0, 0]]);
    expect(histogram(1)).toEqual([["11:00", 0, 0, 0], ["11:15", 0, 0, 0], ["11:30", 0, 0, 0], ["11:45", 5, 0, 0]]);
  });

  it("keeps to one route when asked", async () => {
    const report = await stats({ ...window, route: get.route });
    expect(report.total).toMatchObject({ requests: 5, serverErrors: 0 });
    expect(report.routes.map((route) => route.route)).toEqual([get.route]);
    // One hour: the finest interval with at most 60 buckets.
    expect(report.interval).toBe("5m");
    expect(report.routes[0]!.histogram).toHaveLength(12);
  });

  it("answers zeros and no percentiles where no index exists", async () => {
    const report = await stats(window, "test-opslogs-none-");
    expect(report.total).toEqual({ requests: 0, serverErrors: 0, clientErrors: 0, errorRate: 0, clientErrorRate: 0, latencyMs: { p50: null, p95: null, p99: null } });
    expect(report.routes).toEqual([]);
  });
});

describe("statsWindow", () => {
  const now = new Date("2026-10-14T12:34:56.789Z");

  it("defaults to the hour before now, or before `to`", () => {
    expect(statsWindow(LogStatsQuery.parse({}), now)).toEqual({ from: "2026-10-14T11:34:56.789Z", to: "2026-10-14T12:34:56.789Z", interval: "5m" });
    expect(statsWindow(LogStatsQuery.parse({ to: "2026-10-14T10:00:00Z" }), now).from).toBe("2026-10-14T09:00:00.000Z");
    expect(statsWindow(LogStatsQuery.parse({ from: "2026-10-10T00:00:00Z" }), now).interval).toBe("6h");
  });

  it("refuses a window over 7 days (naming from) and an interval over the bucket limit (naming interval)", () => {
    const tooLong = () => statsWindow(LogStatsQuery.parse({ from: "2026-10-01T00:00:00Z", to: "2026-10-08T00:00:01Z" }), now);
    expect(tooLong).toThrow(InvalidInputError);
    expect(() => tooLong()).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ name: "from" })] }));
    const tooFine = () => statsWindow(LogStatsQuery.parse({ from: "2026-10-01T00:00:00Z", to: "2026-10-08T00:00:00Z", interval: "1m" }), now);
    expect(tooFine).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ name: "interval", reason: expect.stringContaining(String(maxStatsBuckets)) })] }));
    expect(statsWindow(LogStatsQuery.parse({ from: "2026-10-01T00:00:00Z", to: "2026-10-08T00:00:00Z", interval: "1h" }), now).interval).toBe("1h");
    // A `from` after the default `to` (now) leaves nothing to count.
    expect(() => statsWindow(LogStatsQuery.parse({ from: "2026-10-15T00:00:00Z" }), now)).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ name: "to" })] }));
  });

  it("knows only the documented intervals", () => {
    expect(LogStatsQuery.safeParse({ interval: "2m" }).error?.issues[0]?.path).toEqual(["interval"]);
  });
});
