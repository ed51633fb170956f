/**
 * The NotificationApi's handlers as API Gateway invokes them, on the real local OpenSearch node
 * (the `test-` prefix): 400 naming the field at fault, 403 for another driver's messages or a role
 * the route does not admit, and the unread list shrinking as a driver marks messages read.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DriverMessages } from "@haul/core/notification/driver-message";
import { createMessageStore } from "@haul/core/notification/message-store";
import { closeSearchClient } from "@haul/core/search/search-client";
import { createTestClient } from "../../../core/test/search/support.js";
import { deleteMessageIndices, driverNotification, prepareMessageIndices, testPrefix } from "../../../core/test/notification/support.js";
import { handler as listDriverMessages } from "../../src/notification/list-driver-messages.js";
import { handler as markMessagesRead } from "../../src/notification/mark-messages-read.js";
import { handler as searchMessages } from "../../src/notification/search-messages.js";
import { call, type Caller } from "./support.js";

let client: Client;
const driver: Caller = { userId: randomUUID(), role: "driver" };
const otherDriver: Caller = { userId: randomUUID(), role: "driver" };
const operator: Caller = { userId: randomUUID(), role: "operator" };
const customer: Caller = { userId: randomUUID(), role: "customer" };
const reservationId = randomUUID();
const eventIds: string[] = [];

beforeAll(async () => {
  client = createTestClient();
  await prepareMessageIndices(client);
  const store = createMessageStore({ client: () => client, indexPrefix: testPrefix });
  for (const [caller, minute] of [[driver, 1], [driver, 2], [driver, 3], [otherDriver, 4]] as const) {
    const message = DriverMessages.compose(
      driverNotification({ driverId: caller.userId, reservationId: minute === 1 ? reservationId : undefined, occurredAt: `2026-11-20T10:0${minute}:00.000Z` }),
    );
    await store.store(message, { refresh: true });
    eventIds.push(message.eventId);
  }
});

afterAll(async () => {
  await deleteMessageIndices(client);
  await client.close();
  await closeSearchClient();
});

const ownPath = { id: driver.userId };
const otherPath = { id: otherDriver.userId };

describe("GET /drivers/{id}/messages", () => {
  it("lists the driver's own messages, newest first, with a cursor to the next page", async () => {
    const first = await call(listDriverMessages, { caller: driver, path: ownPath, query: { limit: "2" } });
    expect(first.status).toBe(200);
    expect(first.json.items.map((item: { eventId: string }) => item.eventId)).toEqual([eventIds[2], eventIds[1]]);
    const second = await call(listDriverMessages, { caller: driver, path: ownPath, query: { limit: "2", cursor: first.json.nextCursor } });
    expect(second.json).toMatchObject({ items: [{ eventId: eventIds[0], reservationId, read: false }], nextCursor: null });
  });

  it("is 403 for another driver's messages and for customers; operators see any driver's", async () => {
    const other = await call(listDriverMessages, { caller: driver, path: otherPath });
    expect(other.status).toBe(403);
    expect(other.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.stringify(other.json)).not.toContain(eventIds[3]!);
    expect((await call(listDriverMessages, { caller: customer, path: ownPath })).status).toBe(403);
    const byOperator = await call(listDriverMessages, { caller: operator, path: otherPath });
    expect(byOperator.json.items.map((item: { eventId: string }) => item.eventId)).toEqual([eventIds[3]]);
  });

  it("is 400 naming each query field at fault", async () => {
    const reply = await call(listDriverMessages, {
      caller: driver,
      path: ownPath,
      query: { unread: "yes", limit: "0", type: "reservation-confirmed,nonsense", from: "yesterday", reservationId: "r-1", colour: "red" },
    });
    expect(reply.status).toBe(400);
    expect(reply.json["invalid-params"].map((problem: { name: string }) => problem.name).sort()).toEqual(
      ["query.colour", "query.from", "query.limit", "query.reservationId", "query.type", "query.unread"].sort(),
    );
    const range = await call(listDriverMessages, { caller: driver, path: ownPath, query: { from: "2026-11-20T11:00:00Z", to: "2026-11-20T10:00:00Z" } });
    expect(range.json["invalid-params"]).toEqual([{ name: "query.to", reason: "must be after from" }]);
    expect((await call(listDriverMessages, { caller: driver, path: { id: "not-a-uuid" } })).json["invalid-params"][0].name).toBe("path.id");
  });

  it("is 400 on query.cursor for a cursor that is not one, or was made for other filters", async () => {
    const garbage = await call(listDriverMessages, { caller: driver, path: ownPath, query: { cursor: "not a cursor!" } });
    expect(garbage.status).toBe(400);
    expect(garbage.json["invalid-params"][0].name).toBe("query.cursor");
    const page = await call(listDriverMessages, { caller: driver, path: ownPath, query: { limit: "1" } });
    const reused = await call(listDriverMessages, { caller: driver, path: ownPath, query: { limit: "1", unread: "true", cursor: page.json.nextCursor } });
    expect(reused.status).toBe(400);
    expect(reused.json["invalid-params"]).toEqual([{ name: "query.cursor", reason: expect.stringContaining("another search") }]);
  });
});

describe("POST /drivers/{id}/messages/read", () => {
  it("marks the driver's given messages read; the unread list no longer holds them", async () => {
    const marked = await call(markMessagesRead, { caller: driver, path: ownPath, body: { messageIds: [eventIds[2], eventIds[3]] } });
    expect(marked).toMatchObject({ status: 200, json: { read: [eventIds[2]], notFound: [eventIds[3]] } });
    const unread = await call(listDriverMessages, { caller: driver, path: ownPath, query: { unread: "true" } });
    expect(unread.json.items.map((item: { eventId: string }) => item.eventId)).toEqual([eventIds[1], eventIds[0]]);
    // The other driver's message was not touched.
    const theirs = await call(listDriverMessages, { caller: otherDriver, path: otherPath, query: { unread: "true" } });
    expect(theirs.json.items.map((item: { eventId: string }) => item.eventId)).toEqual([eventIds[3]]);
  });

  it("is 403 for another driver's path and for operators, 400 for a bad body", async () => {
    expect((await call(markMessagesRead, { caller: driver, path: otherPath, body: { messageIds: [eventIds[3]] } })).status).toBe(403);
    expect((await call(markMessagesRead, { caller: operator, path: otherPath, body: { messageIds: [eventIds[3]] } })).status).toBe(403);
    const empty = await call(markMessagesRead, { caller: driver, path: ownPath, body: { messageIds: [] } });
    expect(empty.status).toBe(400);
    expect(empty.json["invalid-params"][0].name).toBe("body.messageIds");
    const extra = await call(markMessagesRead, { caller: driver, path: ownPath, body: { messageIds: [eventIds[0]], all: true } });
    expect(extra.json["invalid-params"]).toEqual([{ name: "body.all", reason: "is not a known field" }]);
    const spaced = await call(markMessagesRead, { caller: driver, path: ownPath, body: { messageIds: ["has space"] } });
    expect(spaced.json["invalid-params"][0].name).toBe("body.messageIds.0");
  });
});

describe("GET /messages", () => {
  it("lets operators search across drivers, and nobody else", async () => {
    const all = await call(searchMessages, { caller: operator, query: { q: "tiles", from: "2026-11-20T10:00:00Z", to: "2026-11-20T10:05:00Z", limit: "100" } });
    expect(all.status).toBe(200);
    expect(all.json.items.map((item: { eventId: string }) => item.eventId)).toEqual([...eventIds].reverse());
    const one = await call(searchMessages, { caller: operator, query: { reservationId } });
    expect(one.json.items.map((item: { eventId: string }) => item.eventId)).toEqual([eventIds[0]]);
    expect((await call(searchMessages, { caller: driver, query: {} })).status).toBe(403);
    expect((await call(searchMessages, { caller: customer, query: {} })).status).toBe(403);
    expect((await call(searchMessages, { caller: operator, query: { driverId: "nobody" } })).json["invalid-params"][0].name).toBe("query.driverId");
  });
});
