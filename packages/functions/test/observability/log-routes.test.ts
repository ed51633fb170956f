/**
 * The ObservabilityApi's handlers as API Gateway invokes them, on the real local OpenSearch node
 * under the operators' log tests' own prefix: operators only (403 otherwise), 400 naming each
 * query field at fault, and answers that reflect the stored access lines.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSearchClient } from "@haul/core/search/search-client";
import { createTestClient } from "../../../core/test/search/support.js";
import { accessEvent, apiGroup, ingest, opsLogPrefix, prepareOpsLogIndices, removeOpsLogIndices } from "../../../core/test/observability/ops-log-fixtures.js";
import { handler as getLogStats } from "../../src/observability/get-log-stats.js";
import { handler as searchLogs } from "../../src/observability/search-logs.js";
import { call, type Caller } from "../notification/support.js";

let client: Client;
const operator: Caller = { userId: randomUUID(), role: "operator" };
const driver: Caller = { userId: randomUUID(), role: "driver" };
const customer: Caller = { userId: randomUUID(), role: "customer" };
const previousPrefix = process.env.HAUL_OPENSEARCH_INDEX_PREFIX;
const window = { from: "2026-10-14T13:00:00Z", to: "2026-10-14T14:00:00Z" };
const at = (time: string) => new Date(`2026-10-14T${time}Z`);

beforeAll(async () => {
  client = createTestClient();
  await prepareOpsLogIndices(client);
  // The handlers read the prefix from the environment, as in a deployed function.
  process.env.HAUL_OPENSEARCH_INDEX_PREFIX = opsLogPrefix;
  await ingest(client, apiGroup, [
    accessEvent(at("13:00:01"), { route: "POST /reservations", path: "/reservations", status: 202, latencyMs: 30 }),
    accessEvent(at("13:00:02"), { route: "POST /reservations", path: "/reservations", status: 503, latencyMs: 60 }),
    // Refused by the authorizer: no handler ran, the gateway still logged it.
    accessEvent(at("13:00:03"), { route: "POST /reservations", path: "/reservations", status: 401, latencyMs: 2 }),
    accessEvent(at("13:00:04"), { route: "GET /reservations/{id}", path: "/reservations/r-1", status: 200, latencyMs: 7 }),
  ]);
});

afterAll(async () => {
  process.env.HAUL_OPENSEARCH_INDEX_PREFIX = previousPrefix;
  await removeOpsLogIndices(client);
  await client.close();
  await closeSearchClient();
});

const invalidNames = (json: { "invalid-params": { name: string }[] }) => json["invalid-params"].map((problem) => problem.name).sort();

describe("GET /ops/logs", () => {
  it("answers operators a filtered page, newest first, and the next page by cursor", async () => {
    const first = await call(searchLogs, { caller: operator, query: { ...window, route: "POST /reservations", limit: "2" } });
    expect(first.status).toBe(200);
    expect(first.json.items.map((item: { status: number }) => item.status)).toEqual([401, 503]);
    const second = await call(searchLogs, { caller: operator, query: { ...window, route: "POST /reservations", limit: "2", cursor: first.json.nextCursor } });
    expect(second.json).toMatchObject({ items: [{ status: 202, kind: "access", route: "POST /reservations" }], nextCursor: null });
    const errors = await call(searchLogs, { caller: operator, query: { status: "5xx" } });
    expect(errors.json.items.map((item: { status: number }) => item.status)).toEqual([503]);
  });

  it("is 403 for drivers and customers", async () => {
    for (const caller of [driver, customer]) {
      const reply = await call(searchLogs, { caller, query: {} });
      expect(reply.status).toBe(403);
      expect(reply.headers["content-type"]).toBe("application/problem+json");
      expect(reply.json.items).toBeUndefined();
    }
  });

  it("is 400 naming each query field at fault, and a cursor of another search", async () => {
    const reply = await call(searchLogs, { caller: operator, query: { level: "LOUD", status: "6xx", limit: "0", from: "yesterday", colour: "red" } });
    expect(reply.status).toBe(400);
    expect(reply.headers["content-type"]).toBe("application/problem+json");
    expect(invalidNames(reply.json)).toEqual(["query.colour", "query.from", "query.level", "query.limit", "query.status"]);
    const first = await call(searchLogs, { caller: operator, query: { limit: "1" } });
    const moved = await call(searchLogs, { caller: operator, query: { limit: "1", status: "2xx", cursor: first.json.nextCursor } });
    expect(moved.status).toBe(400);
    expect(invalidNames(moved.json)).toEqual(["query.cursor"]);
  });
});

describe("GET /ops/logs/stats", () => {
  it("answers operators per-route counts, error rates and percentiles", async () => {
    const reply = await call(getLogStats, { caller: operator, query: { ...window, interval: "1h" } });
    expect(reply.status).toBe(200);
    expect(reply.json.total).toMatchObject({ requests: 4, serverErrors: 1, clientErrors: 1, errorRate: 0.25, clientErrorRate: 0.25 });
    expect(reply.json.routes[0]).toMatchObject({
      route: "POST /reservations",
      requests: 3,
      serverErrors: 1,
      clientErrors: 1,
      histogram: [{ start: "2026-10-14T13:00:00.000Z", requests: 3, serverErrors: 1, clientErrors: 1 }],
    });
    expect(reply.json.routes[1]).toMatchObject({ route: "GET /reservations/{id}", requests: 1, latencyMs: { p50: 7, p95: 7, p99: 7 } });
  });

  it("is 403 for drivers and customers", async () => {
    for (const caller of [driver, customer]) expect((await call(getLogStats, { caller, query: window })).status).toBe(403);
  });

  it("is 400 naming the field: a bad value, a window over 7 days, too many buckets", async () => {
    const bad = await call(getLogStats, { caller: operator, query: { interval: "2m", from: "soon", extra: "1" } });
    expect(bad.status).toBe(400);
    expect(invalidNames(bad.json)).toEqual(["query.extra", "query.from", "query.interval"]);
    const long = await call(getLogStats, { caller: operator, query: { from: "2026-10-01T00:00:00Z", to: "2026-10-09T00:00:00Z" } });
    expect(long.status).toBe(400);
    expect(invalidNames(long.json)).toEqual(["query.from"]);
    const fine = await call(getLogStats, { caller: operator, query: { from: "2026-10-01T00:00:00Z", to: "2026-10-08T00:00:00Z", interval: "1m" } });
    expect(fine.status).toBe(400);
    expect(invalidNames(fine.json)).toEqual(["query.interval"]);
    const backwards = await call(getLogStats, { caller: operator, query: { from: "2026-10-02T00:00:00Z", to: "2026-10-01T00:00:00Z" } });
    expect(invalidNames(backwards.json)).toEqual(["query.to"]);
  });
});
