import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors.js";
import { bulk, type BulkOperation } from "../../src/search/bulk.js";
import { decodeSearchCursor, encodeSearchCursor, searchPage, type SearchList, type TotalOrder } from "../../src/search/search-cursor.js";
import { createTestClient, removeSearchObjects, testConfig, uniqueName } from "./support.js";

interface Message {
  readonly messageId: string;
  readonly driverId: string;
  readonly at: string;
  readonly text: string;
}

const index = `${testConfig.indexPrefix}${uniqueName("cursor")}`;
const base = Date.parse("2026-03-01T08:00:00Z");
const minutes = (n: number) => new Date(base + n * 60_000).toISOString();
const sort: TotalOrder = [
  { field: "at", order: "asc" },
  { field: "messageId", order: "asc", unique: true },
];
const ofDriver = (driverId: string) => ({ bool: { filter: [{ term: { driverId } }, { range: { at: { gte: minutes(-60), lt: minutes(600) } } }] } });
const listA: SearchList = { index, query: ofDriver("driver-a"), sort };
const listB: SearchList = { index, query: ofDriver("driver-b"), sort };

let client: Client;

async function put(messages: readonly Message[]): Promise<void> {
  const operations: BulkOperation[] = messages.map((document) => ({ action: "index", index, id: document.messageId, document }));
  const report = await bulk(client, operations, { refresh: "wait_for" });
  expect(report.failed).toEqual([]);
}

// Pairs share a time, so the tiebreaker decides their order: a-00 and a-01 at minute 0, a-02 and a-03 at minute 4...
const existing: Message[] = Array.from({ length: 25 }, (_, i) => ({
  messageId: `a-${String(i).padStart(2, "0")}`,
  driverId: "driver-a",
  at: minutes(Math.floor(i / 2) * 4),
  text: `message ${i}`,
}));

beforeAll(async () => {
  client = createTestClient();
  await client.indices.create({
    index,
    body: {
      settings: { index: { number_of_shards: 2, number_of_replicas: 0 } },
      mappings: {
        dynamic: "strict",
        properties: { messageId: { type: "keyword" }, driverId: { type: "keyword" }, at: { type: "date" }, text: { type: "text" } },
      },
    },
  });
  await put([
    ...existing,
    ...Array.from({ length: 5 }, (_, i) => ({ messageId: `b-${i}`, driverId: "driver-b", at: minutes(i), text: "other driver" })),
  ]);
});

afterAll(async () => {
  await removeSearchObjects(client, index);
  await client.close();
});

const order = (message: Message) => `${message.at}|${message.messageId}`;

describe("searchPage", () => {
  it("pages in sort order with no repeats and no gaps while documents are added between pages", async () => {
    const first = await searchPage<Message>(client, { ...listA, size: 10 });
    expect(first.items.map((item) => item._id)).toEqual(existing.slice(0, 10).map((message) => message.messageId));
    expect(first.items[0]!._source).toEqual(existing[0]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const lastShown = existing[9]!; // a-09, at minute 16, sharing it with a-08

    const before = [
      { messageId: "new-early", driverId: "driver-a", at: minutes(-5), text: "before everything" },
      { messageId: "a-08a", driverId: "driver-a", at: lastShown.at, text: "same time, sorts before a-09" },
      { messageId: "new-between", driverId: "driver-a", at: minutes(5), text: "between two shown" },
    ];
    const after = [
      { messageId: "a-09a", driverId: "driver-a", at: lastShown.at, text: "same time, sorts after a-09" },
      { messageId: "new-middle", driverId: "driver-a", at: minutes(30), text: "among those not shown yet" },
      { messageId: "new-last", driverId: "driver-a", at: minutes(500), text: "after everything" },
    ];
    await put([...before, ...after]);

    const rest: Message[] = [];
    let cursor = first.nextCursor;
    let pages = 1;
    while (cursor) {
      const page = await searchPage<Message>(client, { ...listA, size: 10, cursor });
      rest.push(...page.items.map((item) => item._source));
      cursor = page.nextCursor;
      if (++pages > 10) throw new Error("the pages do not end");
      if (pages === 2) {
        // Added during paging, again: this one sorts after the second page and must show on the third.
        await put([{ messageId: "new-during", driverId: "driver-a", at: minutes(47), text: "added on page 2" }]);
      }
    }

    const seen = [...first.items.map((item) => item._source), ...rest];
    const ids = seen.map((message) => message.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen.map(order)).toEqual([...seen.map(order)].sort());
    for (const message of existing) expect(ids).toContain(message.messageId);
    for (const message of [...after, { messageId: "new-during" }]) expect(ids).toContain(message.messageId);
    for (const message of before) expect(ids).not.toContain(message.messageId);
    expect(ids.filter((id) => id.startsWith("b-"))).toEqual([]);
    expect(ids).toHaveLength(existing.length + after.length + 1);
  });

  it("has no next cursor on a page that ends the list", async () => {
    const page = await searchPage<Message>(client, { ...listB, size: 5 });
    expect(page.items.map((item) => item._id)).toEqual(["b-0", "b-1", "b-2", "b-3", "b-4"]);
    expect(page.nextCursor).toBeUndefined();
  });

  it("refuses a cursor of another list, and garbage, as invalid input naming the cursor", async () => {
    const { nextCursor } = await searchPage<Message>(client, { ...listA, size: 3 });
    for (const cursor of [nextCursor!, "garbage", ""]) {
      const refused = searchPage(client, { ...listB, size: 3, cursor });
      await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
      await expect(refused).rejects.toMatchObject({ fields: [{ name: "cursor" }] });
    }
  });

  it("requires a total order: the sort must end with a unique tiebreaker", async () => {
    const partial = [{ field: "at", order: "asc" }] as unknown as TotalOrder;
    await expect(searchPage(client, { index, query: ofDriver("driver-a"), sort: partial, size: 3 })).rejects.toThrow(/unique tiebreaker/);
    await expect(searchPage(client, { ...listA, size: 0 })).rejects.toThrow(RangeError);
  });
});

describe("search cursors", () => {
  const after = [Date.parse(minutes(16)), "a-09"];

  it("decode to the sort values they were made with, for the same list", () => {
    const cursor = encodeSearchCursor(after, listA);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSearchCursor(cursor, { ...listA })).toEqual(after);
  });

  it("are refused under another query, sort or index", () => {
    const cursor = encodeSearchCursor(after, listA);
    expect(decodeSearchCursor(cursor, listB)).toBeUndefined();
    expect(decodeSearchCursor(cursor, { ...listA, sort: [{ field: "at", order: "desc" }, { field: "messageId", order: "asc", unique: true }] })).toBeUndefined();
    expect(decodeSearchCursor(cursor, { ...listA, index: `${index}-other` })).toBeUndefined();
  });

  it("are refused when malformed", () => {
    const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString("base64url");
    const fingerprint = JSON.parse(Buffer.from(encodeSearchCursor(after, listA), "base64url").toString())[2];
    for (const text of [
      "",
      "not a cursor!",
      "x".repeat(7_000),
      Buffer.from("not json").toString("base64url"),
      encode({}),
      encode([1, [], fingerprint]),
      encode([2, after, fingerprint]),
      encode([1, [{ nested: true }, "a-09"], fingerprint]),
      encode([1, after, "bad fingerprint!"]),
      encode([1, [after[0]], fingerprint]),
    ]) {
      expect(decodeSearchCursor(text, listA), text.slice(0, 40)).toBeUndefined();
    }
  });
});
