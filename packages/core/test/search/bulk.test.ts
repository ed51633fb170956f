import type { Client } from "@opensearch-project/opensearch";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bulk, type BulkOperation } from "../../src/search/bulk.js";
import { createSearchClient } from "../../src/search/search-client.js";
import { bulkActions, createTestClient, removeSearchObjects, startStandIn, testConfig, uniqueName, type StandIn } from "./support.js";

const fast = { baseDelayMs: 5, maxDelayMs: 20 };

describe("bulk against the node", () => {
  const index = `${testConfig.indexPrefix}${uniqueName("bulk")}`;
  let client: Client;

  beforeAll(async () => {
    client = createTestClient();
    await client.indices.create({
      index,
      body: {
        settings: { index: { number_of_shards: 1, number_of_replicas: 0 } },
        mappings: { dynamic: "strict", properties: { driverId: { type: "keyword" }, at: { type: "date" }, text: { type: "text" } } },
      },
    });
  });

  afterAll(async () => {
    await removeSearchObjects(client, index);
    await client.close();
  });

  const message = (n: number, at = `2026-03-01T10:0${n}:00Z`) => ({ driverId: "driver-1", at, text: `message ${n}` });

  it("reports exactly the bad document, with its input position and reason, and indexes the others", async () => {
    const operations: BulkOperation[] = [0, 1, 2, 3, 4, 5].map((n) => ({
      action: "index",
      index,
      id: `m-${n}`,
      document: n === 4 ? message(n, "not-a-date") : message(n),
    }));
    // Two requests: the bad document is the first of the second one, position 4 of the input.
    const report = await bulk(client, operations, { maxOperationsPerRequest: 4, refresh: true });
    expect(report).toMatchObject({ total: 6, succeeded: 5, requests: 2, retried: 0 });
    expect(report.failed).toEqual([
      { position: 4, action: "index", index, id: "m-4", status: 400, type: "mapper_parsing_exception", reason: expect.stringMatching(/\[at\].*not-a-date/), attempts: 1 },
    ]);
    const { body } = await client.search({ index, body: { query: { match_all: {} }, size: 20 } });
    expect(body.hits.hits.map((hit) => hit._id).sort()).toEqual(["m-0", "m-1", "m-2", "m-3", "m-5"]);
  });

  it("reports a create of an existing id as a 409 at once, and a delete of a missing one as done", async () => {
    const report = await bulk(
      client,
      [
        { action: "create", index, id: "m-0", document: message(0) },
        { action: "create", index, id: "m-9", document: message(9) },
        { action: "delete", index, id: "m-1" },
        { action: "delete", index, id: "never-there" },
      ],
      { ...fast, refresh: "wait_for" },
    );
    expect(report).toMatchObject({ total: 4, succeeded: 3, requests: 1, retried: 0 });
    expect(report.failed).toEqual([
      { position: 0, action: "create", index, id: "m-0", status: 409, type: "version_conflict_engine_exception", reason: expect.stringContaining("document already exists"), attempts: 1 },
    ]);
    const ids = await client.search({ index, body: { query: { match_all: {} }, size: 20 } });
    expect(ids.body.hits.hits.map((hit) => hit._id).sort()).toEqual(["m-0", "m-2", "m-3", "m-5", "m-9"]);
  });

  it("cuts requests by size in bytes", async () => {
    const operations: BulkOperation[] = Array.from({ length: 10 }, (_, n) => ({
      action: "index",
      index,
      id: `sized-${n}`,
      document: { ...message(n % 10), text: "x".repeat(200) },
    }));
    const lineBytes = Buffer.byteLength(`${JSON.stringify({ index: { _index: index, _id: "sized-0" } })}\n${JSON.stringify(operations[0]!.action === "delete" ? {} : operations[0]!.document)}\n`);
    const report = await bulk(client, operations, { maxBytesPerRequest: 2 * lineBytes + 10 });
    expect(report).toMatchObject({ total: 10, succeeded: 10, failed: [], requests: 5 });
  });
});

describe("bulk retries (a stand-in answering as an overloaded node would)", () => {
  let standIn: StandIn | undefined;
  let client: Client | undefined;

  afterEach(async () => {
    await client?.close();
    await standIn?.close();
    client = undefined;
    standIn = undefined;
  });

  type ItemAnswer = { status: number; error?: { type: string; reason: string } };
  const ok: ItemAnswer = { status: 201 };
  const rejected: ItemAnswer = { status: 429, error: { type: "es_rejected_execution_exception", reason: "rejected execution of coordinating operation" } };
  const unavailable: ItemAnswer = { status: 503, error: { type: "unavailable_shards_exception", reason: "primary shard is not active" } };
  const badDocument: ItemAnswer = { status: 400, error: { type: "mapper_parsing_exception", reason: "failed to parse field [at] of type [date]" } };

  /** A _bulk endpoint answering each item by `answer(id, request number)`. */
  async function bulkStandIn(answer: (id: string, request: number) => ItemAnswer): Promise<Client> {
    standIn = await startStandIn((request, n) => {
      const items = bulkActions(request.body).map((action) => {
        const [kind, target] = Object.entries(action)[0]!;
        const { status, error } = answer(target._id!, n);
        return { [kind]: { _index: target._index, _id: target._id, status, ...(error ? { error } : {}) } };
      });
      return { status: 200, body: { took: 1, errors: items.some((item) => "error" in Object.values(item)[0]!), items } };
    });
    client = createSearchClient({ url: standIn.url });
    return client;
  }

  const operations = (count: number): BulkOperation[] =>
    Array.from({ length: count }, (_, n) => ({ action: "index", index: "test-messages", id: `m-${n}`, document: { n } }));

  const idsSent = () => standIn!.requests.map((request) => bulkActions(request.body).map((action) => Object.values(action)[0]!._id));

  it("resends only the items answered 429 or 503 and maps their results back to input positions", async () => {
    const client = await bulkStandIn((id, request) => {
      if (request > 0) return ok;
      return { "m-1": rejected, "m-2": unavailable, "m-3": rejected, "m-4": badDocument }[id] ?? ok;
    });
    const report = await bulk(client, operations(6), fast);
    expect(idsSent()).toEqual([["m-0", "m-1", "m-2", "m-3", "m-4", "m-5"], ["m-1", "m-2", "m-3"]]);
    expect(report).toMatchObject({ total: 6, succeeded: 5, requests: 2, retried: 3 });
    expect(report.failed).toEqual([
      { position: 4, action: "index", index: "test-messages", id: "m-4", status: 400, type: "mapper_parsing_exception", reason: "failed to parse field [at] of type [date]", attempts: 1 },
    ]);
  });

  it("gives up on an item still refused after maxAttempts, and reports it with its attempts", async () => {
    const client = await bulkStandIn((id) => (id === "m-1" ? rejected : ok));
    const report = await bulk(client, operations(3), { ...fast, maxAttempts: 3 });
    expect(idsSent()).toEqual([["m-0", "m-1", "m-2"], ["m-1"], ["m-1"]]);
    expect(report).toMatchObject({ total: 3, succeeded: 2, requests: 3, retried: 2 });
    expect(report.failed).toEqual([
      { position: 1, action: "index", index: "test-messages", id: "m-1", status: 429, type: "es_rejected_execution_exception", reason: expect.any(String), attempts: 3 },
    ]);
  });

  it("resends the whole request when the node answers it 429 or 5xx", async () => {
    standIn = await startStandIn((request, n) => {
      if (n === 0) return { status: 429, body: { error: { type: "es_rejected_execution_exception", reason: "queue full" }, status: 429 } };
      if (n === 1) return { status: 503, body: { error: { type: "cluster_block_exception", reason: "blocked" }, status: 503 } };
      const items = bulkActions(request.body).map((action) => ({ index: { ...action.index, status: 201 } }));
      return { status: 200, body: { took: 1, errors: false, items } };
    });
    client = createSearchClient({ url: standIn.url });
    const report = await bulk(client, operations(4), fast);
    expect(report).toMatchObject({ total: 4, succeeded: 4, failed: [], requests: 3, retried: 8 });
    expect(idsSent()).toEqual(Array.from({ length: 3 }, () => ["m-0", "m-1", "m-2", "m-3"]));
  });

  it("reports every item of a request refused as a whole (400) at once", async () => {
    standIn = await startStandIn(() => ({ status: 400, body: { error: { type: "illegal_argument_exception", reason: "malformed action/metadata line" }, status: 400 } }));
    client = createSearchClient({ url: standIn.url });
    const report = await bulk(client, operations(2), fast);
    expect(report).toMatchObject({ succeeded: 0, requests: 1, retried: 0 });
    expect(report.failed.map(({ position, status, type, attempts }) => ({ position, status, type, attempts }))).toEqual([
      { position: 0, status: 400, type: "illegal_argument_exception", attempts: 1 },
      { position: 1, status: 400, type: "illegal_argument_exception", attempts: 1 },
    ]);
  });

  it("reports every item, never a success, when the node does not answer", async () => {
    // Port 1 on loopback: nothing listens there.
    client = createSearchClient({ url: "http://127.0.0.1:1" });
    const report = await bulk(client, operations(2), { ...fast, maxAttempts: 3 });
    expect(report).toMatchObject({ total: 2, succeeded: 0, requests: 3, retried: 4 });
    expect(report.failed).toEqual([0, 1].map((position) => ({
      position,
      action: "index",
      index: "test-messages",
      id: `m-${position}`,
      status: 0,
      type: "ConnectionError",
      reason: expect.stringContaining("ECONNREFUSED"),
      attempts: 3,
    })));
  });
});
