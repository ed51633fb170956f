/**
 * Operators' log search against the real local OpenSearch node: each filter narrows to exactly the
 * events it names, pages follow each other without repeats, and a cursor is bound to its filters.
 * Documents are made the real way: envelopes through the refiner and indexLogEvents.
 */
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors.js";
import { LogSearchQuery, searchLogs, type LogPage } from "../../src/observability/log-search.js";
import { createTestClient } from "../search/support.js";
import { accessEvent, apiGroup, appEvent, functionGroup, ingest, opsLogPrefix, prepareOpsLogIndices, removeOpsLogIndices } from "./ops-log-fixtures.js";

let client: Client;
const at = (time: string) => new Date(`2026-10-14T${time}Z`);
/** Each event's message, so a page reads as the list of what it holds. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  client = createTestClient();
  await prepareOpsLogIndices(client);
  const appLines = [
    appEvent(at("10:00:01.000"), { level: "INFO", service: "reservation", correlation_id: "c-1", message: "reservation accepted", route: "POST /reservations", status: 202 }),
    appEvent(at("10:00:02.000"), { level: "ERROR", service: "reservation", correlation_id: "c-1", message: "store failed", error: { name: "TimeoutError", message: "connect ETIMEDOUT 10.0.0.5:3306", stack: "TimeoutError: connect ETIMEDOUT\n    at connect (db.js:1:1)" } }),
    appEvent(at("10:00:03.000"), { level: "WARN", service: "notification", correlation_id: "c-2", message: "slow consumer" }),
    appEvent(at("10:00:04.000"), { level: "DEBUG", service: "notification", correlation_id: "c-3", message: "poll done" }),
  ];
  const accessLines = [
    accessEvent(at("10:00:05.000"), { route: "POST /reservations", path: "/reservations", status: 202, latencyMs: 40 }),
    accessEvent(at("10:00:06.000"), { route: "POST /reservations", path: "/reservations", status: 503, latencyMs: 900 }),
    accessEvent(at("10:00:07.000"), { route: "GET /reservations/{id}", path: "/reservations/r-1", status: 404, latencyMs: 8 }),
    accessEvent(at("10:00:08.000"), { route: "GET /reservations/{id}", path: "/reservations/r-2", status: 200, latencyMs: 9 }),
  ];
  // The next day's index: a search spans every daily index.
  const nextDay = [appEvent(new Date("2026-10-15T00:00:01.000Z"), { level: "INFO", service: "reservation", message: "next day" })];
  await ingest(client, functionGroup, appLines);
  await ingest(client, apiGroup, accessLines);
  await ingest(client, functionGroup, nextDay);
  [...appLines, ...accessLines, ...nextDay].forEach((event, position) => (ids[event.id] = String(position + 1)));
});

afterAll(async () => {
  await removeOpsLogIndices(client);
  await client.close();
});

const search = (query: Record<string, string> = {}, prefix = opsLogPrefix) =>
  searchLogs({ client: () => client, indexPrefix: prefix }, LogSearchQuery.parse(query));
/** Which events (1..9, in the order ingested) a page holds, in its order. */
const numbers = (page: LogPage) => page.items.map((item) => ids[item.eventId]);

describe("searchLogs", () => {
  it("lists every event, newest first, across daily indices", async () => {
    const page = await search();
    expect(numbers(page)).toEqual(["9", "8", "7", "6", "5", "4", "3", "2", "1"]);
    expect(page.nextCursor).toBeNull();
  });

  it("narrows by time: from inclusive, to exclusive", async () => {
    expect(numbers(await search({ from: "2026-10-14T10:00:03Z", to: "2026-10-14T10:00:06Z" }))).toEqual(["5", "4", "3"]);
    expect(numbers(await search({ from: "2026-10-14T12:00:00+02:00", to: "2026-10-14T10:00:02.001Z" }))).toEqual(["2", "1"]);
  });

  it("narrows by level, one or a list, in any case", async () => {
    expect(numbers(await search({ level: "debug" }))).toEqual(["4"]);
    // Access records are WARN for 4xx and ERROR for 5xx.
    expect(numbers(await search({ level: "ERROR,warn" }))).toEqual(["7", "6", "3", "2"]);
  });

  it("narrows by service, route and correlation id", async () => {
    expect(numbers(await search({ service: "notification" }))).toEqual(["4", "3"]);
    expect(numbers(await search({ route: "GET /reservations/{id}" }))).toEqual(["8", "7"]);
    expect(numbers(await search({ route: "POST /reservations" }))).toEqual(["6", "5", "1"]);
    expect(numbers(await search({ correlationId: "c-1" }))).toEqual(["2", "1"]);
    expect(numbers(await search({ correlationId: "c-404" }))).toEqual([]);
  });

  it("narrows by status code or class", async () => {
    expect(numbers(await search({ status: "5xx" }))).toEqual(["6"]);
    expect(numbers(await search({ status: "404" }))).toEqual(["7"]);
    expect(numbers(await search({ status: "2XX" }))).toEqual(["8", "5", "1"]);
    expect(numbers(await search({ status: "201" }))).toEqual([]);
  });

  it("finds free text in the message and in the error", async () => {
    expect(numbers(await search({ q: "slow" }))).toEqual(["3"]);
    expect(numbers(await search({ q: "etimedout" }))).toEqual(["2"]);
    expect(numbers(await search({ q: "db.js" }))).toEqual(["2"]);
    expect(numbers(await search({ q: "slow nothing" }))).toEqual([]);
  });

  it("applies every filter given at once", async () => {
    expect(numbers(await search({ service: "reservation", level: "ERROR" }))).toEqual(["2"]);
    expect(numbers(await search({ route: "POST /reservations", status: "2xx", from: "2026-10-14T10:00:02Z" }))).toEqual(["5"]);
  });

  it("pages without repeats or gaps, and ends with a null cursor", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await search({ limit: "4", ...(cursor ? { cursor } : {}) });
      seen.push(...numbers(page).map(String));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(["9", "8", "7", "6", "5", "4", "3", "2", "1"]);
  });

  it("refuses a cursor issued for other filters", async () => {
    const first = await search({ limit: "2" });
    expect(first.nextCursor).toEqual(expect.any(String));
    const other = search({ limit: "2", level: "ERROR", cursor: first.nextCursor! });
    await expect(other).rejects.toBeInstanceOf(InvalidInputError);
    await expect(other).rejects.toMatchObject({ fields: [{ name: "cursor" }] });
  });

  it("answers an empty page where no index exists yet", async () => {
    expect(await search({}, "test-opslogs-none-")).toEqual({ items: [], nextCursor: null });
  });
});

// Runs after the suite above, whose listings count exactly its own events: these are another day's.
describe("following one request by correlation id", () => {
  const day = (time: string) => new Date(`2026-10-20T${time}Z`);
  // API Gateway's request ids, as the access lines carry them (ops-log-fixtures.ts).
  const defaultId = `req-${day("09:00:00.500").getTime()}-202`;
  const callersRequest = `req-${day("09:10:00.500").getTime()}-202`;
  const unrelatedRequest = `req-${day("09:20:00.500").getTime()}-202`;
  const messages = (page: LogPage) => page.items.map((item) => `${item.kind} ${item.message}`);

  beforeAll(async () => {
    const summary = (at: Date, correlationId: string, apiRequestId: string) =>
      appEvent(at, { level: "INFO", service: "reservation", correlation_id: correlationId, message: "request completed", route: "POST /reservations", status: 202, latencyMs: 40, apiRequestId });
    await ingest(client, functionGroup, [
      // No header: the handler's correlation id is API Gateway's request id.
      summary(day("09:00:00.400"), defaultId, defaultId),
      appEvent(day("09:00:01.000"), { level: "INFO", service: "notification", correlation_id: defaultId, message: "event delivered" }),
      // The caller sent x-correlation-id: caller-77.
      summary(day("09:10:00.400"), "caller-77", callersRequest),
      appEvent(day("09:10:01.000"), { level: "INFO", service: "notification", correlation_id: "caller-77", message: "event delivered" }),
      summary(day("09:20:00.400"), "someone-else", unrelatedRequest),
    ]);
    await ingest(client, apiGroup, [
      accessEvent(day("09:00:00.500"), { route: "POST /reservations", path: "/reservations", status: 202, latencyMs: 40 }),
      accessEvent(day("09:10:00.500"), { route: "POST /reservations", path: "/reservations", status: 202, latencyMs: 41 }),
      accessEvent(day("09:20:00.500"), { route: "POST /reservations", path: "/reservations", status: 202, latencyMs: 42 }),
    ]);
  });

  it("finds the access record of a request without a caller's id: its request id is the correlation id", async () => {
    // The access record's time has whole seconds (API Gateway's requestTime): it sorts after the summary.
    expect(messages(await search({ correlationId: defaultId }))).toEqual([
      "app event delivered",
      "app request completed",
      "access POST /reservations 202 40 ms",
    ]);
  });

  it("joins the access record of a caller's correlation id through the summary line's apiRequestId", async () => {
    const page = await search({ correlationId: "caller-77" });
    expect(messages(page)).toEqual(["app event delivered", "app request completed", "access POST /reservations 202 41 ms"]);
    expect(page.items.find((item) => item.kind === "access")?.requestId).toBe(callersRequest);
    // Other filters still apply to the joined record.
    expect(messages(await search({ correlationId: "caller-77", service: "notification" }))).toEqual(["app event delivered"]);
  });

  it("pages a joined search with a cursor bound to it", async () => {
    const first = await search({ correlationId: "caller-77", limit: "2" });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await search({ correlationId: "caller-77", limit: "2", cursor: first.nextCursor! });
    expect([...messages(first), ...messages(second)]).toEqual(["app event delivered", "app request completed", "access POST /reservations 202 41 ms"]);
    expect(second.nextCursor).toBeNull();
  });
});

describe("LogSearchQuery", () => {
  it("names each field at fault", () => {
    const result = LogSearchQuery.safeParse({ level: "LOUD", status: "6xx", limit: "201", from: "yesterday", colour: "red" });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join(".") || (issue as { keys?: string[] }).keys?.join(","));
    expect(paths.sort()).toEqual(["colour", "from", "level", "limit", "status"]);
    expect(LogSearchQuery.safeParse({ from: "2026-10-14T11:00:00Z", to: "2026-10-14T10:00:00Z" }).error?.issues[0]?.path).toEqual(["to"]);
  });

  it("reads statuses as ranges and levels as a sorted set", () => {
    expect(LogSearchQuery.parse({ status: "5xx", level: "warn,ERROR,warn" })).toEqual({ status: { gte: 500, lt: 600 }, level: ["ERROR", "WARN"] });
    expect(LogSearchQuery.parse({ status: "404" }).status).toEqual({ gte: 404, lt: 405 });
  });
});
