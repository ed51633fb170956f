/**
 * The api-logs family and indexLogEvents against the real local OpenSearch node, under the tests'
 * prefix (`test-api-logs-YYYY.MM.DD`). Indices, templates and this family's record are removed after.
 */
import path from "node:path";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { indexLogEvents, logIndexName } from "../../src/observability/log-index.js";
import { refineLogsEnvelope } from "../../src/observability/log-refiner.js";
import { applyIndexFamilies, familyRecordIndex } from "../../src/search/index-families.js";
import { repoRoot } from "../support/database.js";
import { createTestClient, removeSearchObjects, testConfig } from "../search/support.js";
import { envelope, logEvent } from "./envelopes.js";

const prefix = testConfig.indexPrefix;
const alias = `${prefix}api-logs`;
let client: Client;

async function removeLogIndices(): Promise<void> {
  await client.indices.delete({ index: `${alias}-*`, expand_wildcards: "all" }, { ignore: [404] });
}

beforeAll(async () => {
  client = createTestClient();
  await removeLogIndices();
  await applyIndexFamilies(client, { directory: path.join(repoRoot, "search", "index-families"), prefix, log: () => undefined });
});

beforeEach(removeLogIndices);

afterAll(async () => {
  await removeSearchObjects(client, alias);
  // This family's record only: the next run applies the file as it is then.
  await client.delete({ index: `${prefix}${familyRecordIndex}`, id: "api-logs", refresh: true }, { ignore: [404] });
  await client.close();
});

const beforeMidnight = Date.parse("2026-11-25T23:59:59.500Z");
const afterMidnight = Date.parse("2026-11-26T00:00:00.250Z");

function mixedBatch() {
  return [
    logEvent(JSON.stringify({ level: "INFO", message: "request done", service: "reservation", correlation_id: "corr-1", route: "POST /reservations", status: 202, latencyMs: 41.5, reservation: { id: "r-1", stops: 2, fragile: true, tags: ["a", "b"] }, pickupAddress: "Hauptstraße 12" }), beforeMidnight),
    logEvent("REPORT RequestId: 8f5a-11\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 77 MB\tInit Duration: 180.50 ms", beforeMidnight),
    logEvent('{"time":"2026-11-26T00:00:00.200Z","type":"platform.start","record":{"requestId":"8f5a-12","version":"$LATEST"}}', afterMidnight),
    logEvent("2026-11-26T00:00:00.250Z 8f5a-12 Task timed out after 3.00 seconds", afterMidnight),
  ];
}

const search = async (query: object = { match_all: {} }) => {
  const { body } = await client.search({ index: alias, body: { query, size: 100, sort: [{ timestamp: "asc" }] } });
  return body.hits.hits as unknown as { _index: string; _id: string; _source: Record<string, unknown> }[];
};

describe("the api-logs family", () => {
  it("gives a daily index the strict mapping and the read alias", async () => {
    const events = [logEvent('{"level":"INFO","message":"hi"}', beforeMidnight)];
    await indexLogEvents(client, refineLogsEnvelope(envelope(events)), { refresh: true });
    const index = `${prefix}api-logs-2026.11.25`;
    const mapping = (await client.indices.getMapping({ index })).body[index]!.mappings as { dynamic: string; properties: Record<string, { type?: string }> };
    expect(mapping.dynamic).toBe("strict");
    expect(mapping.properties).toMatchObject({
      eventId: { type: "keyword" },
      timestamp: { type: "date" },
      level: { type: "keyword" },
      message: { type: "text" },
      correlationId: { type: "keyword" },
      status: { type: "integer" },
      latencyMs: { type: "float" },
      billedDurationMs: { type: "long" },
      fields: { type: "flat_object" },
    });
    const aliases = (await client.indices.getAlias({ index })).body[index]!.aliases;
    expect(Object.keys(aliases ?? {})).toEqual([alias]);
  });
});

describe("indexLogEvents", () => {
  it("stores each event under its event id in the daily index of its own time (UTC)", async () => {
    const events = mixedBatch();
    const report = await indexLogEvents(client, refineLogsEnvelope(envelope(events)), { refresh: true });
    expect(report).toMatchObject({ received: 4, indexed: 4, duplicates: 0, dropped: 0, failed: 0, controlSkipped: 0, failures: [] });

    const hits = await search();
    expect(hits.map((hit) => [hit._id, hit._index])).toEqual([
      [events[0]!.id, `${prefix}api-logs-2026.11.25`],
      [events[1]!.id, `${prefix}api-logs-2026.11.25`],
      [events[2]!.id, `${prefix}api-logs-2026.11.26`],
      [events[3]!.id, `${prefix}api-logs-2026.11.26`],
    ]);
    expect(hits[0]!._source).toMatchObject({ kind: "app", correlationId: "corr-1", status: 202, fields: { reservation: { id: "r-1", stops: 2, fragile: true }, pickupAddress: "[REDACTED:address]" } });
    expect(hits[1]!._source).toMatchObject({ kind: "platform.report", durationMs: 102.25, initDurationMs: 180.5 });
    expect(hits[3]!._source).toMatchObject({ kind: "timeout", level: "ERROR", timeoutSeconds: 3 });
    // Searchable by the normalised fields and the text.
    expect((await search({ term: { correlationId: "corr-1" } })).map((hit) => hit._id)).toEqual([events[0]!.id]);
    expect((await search({ match: { message: "timed out" } })).map((hit) => hit._id)).toEqual([events[3]!.id]);
  });

  it("stores nothing twice when the same batch is indexed again, and counts the duplicates", async () => {
    const data = envelope(mixedBatch());
    await indexLogEvents(client, refineLogsEnvelope(data), { refresh: true });
    const again = await indexLogEvents(client, refineLogsEnvelope(data), { refresh: true });
    expect(again).toMatchObject({ received: 4, indexed: 0, duplicates: 4, failed: 0 });
    const { body } = await client.count({ index: alias });
    expect(body.count).toBe(4);
  });

  it("drops malformed events with a count and indexes the rest", async () => {
    const good = logEvent('{"level":"INFO","message":"kept"}', beforeMidnight);
    const report = await indexLogEvents(client, refineLogsEnvelope(envelope([good, { id: 7 }, logEvent("")])), { refresh: true });
    expect(report).toMatchObject({ received: 3, indexed: 1, dropped: 2, failed: 0 });
    expect(report.droppedEvents.map((event) => event.position)).toEqual([1, 2]);
    expect((await search()).map((hit) => hit._id)).toEqual([good.id]);
  });

  it("reports a document the node refuses as failed, never as indexed", async () => {
    const batch = refineLogsEnvelope(envelope([logEvent('{"message":"a"}', beforeMidnight), logEvent('{"message":"b"}', beforeMidnight)]));
    const [first, second] = batch.documents;
    const broken = { ...batch, documents: [first!, { ...second!, status: "not a number" as unknown as number }] };
    const report = await indexLogEvents(client, broken, { refresh: true, baseDelayMs: 1, maxDelayMs: 5 });
    expect(report).toMatchObject({ received: 2, indexed: 1, duplicates: 0, failed: 1 });
    expect(report.failures).toEqual([expect.objectContaining({ position: 1, id: second!.eventId, status: 400, type: "mapper_parsing_exception", attempts: 1 })]);
  });

  it("names daily indices by the UTC day", () => {
    expect(logIndexName({ timestamp: "2026-01-02T23:59:59.999Z" }, "p-")).toBe("p-api-logs-2026.01.02");
  });
});
