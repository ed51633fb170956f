/**
 * The message history against the real local OpenSearch node, through the real index family
 * (search/index-families/reservation-messages.json) under the `test-` prefix: stored once by event
 * id, searched with filters, full text and cursors, newest first, and seen only by whom it concerns.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForbiddenError, InvalidInputError } from "../../src/errors.js";
import { DriverMessages, type DriverMessage, type DriverMessageType } from "../../src/notification/driver-message.js";
import { createMessageHistory, type MessageHistory, type Viewer } from "../../src/notification/message-history.js";
import { DriverMessagesQuery, AllMessagesQuery } from "../../src/notification/schema.js";
import { createTestClient } from "../search/support.js";
import { deleteMessageIndices, driverNotification, prepareMessageIndices, testPrefix, type NotificationOptions } from "./support.js";

let client: Client;
let history: MessageHistory;

const driverA = randomUUID();
const driverB = randomUUID();
const asDriver = (userId: string): Viewer => ({ userId, role: "driver" });
const operator: Viewer = { userId: randomUUID(), role: "operator" };
const customer: Viewer = { userId: randomUUID(), role: "customer" };

/** Parsed as the route parses its query string. */
const driverQuery = (query: Record<string, string> = {}) => DriverMessagesQuery.parse(query);
const allQuery = (query: Record<string, string> = {}) => AllMessagesQuery.parse(query);
const minute = (n: number) => new Date(Date.parse("2026-11-20T10:00:00.000Z") + n * 60_000).toISOString();

async function put(options: NotificationOptions<DriverMessageType>): Promise<DriverMessage> {
  const message = DriverMessages.compose(driverNotification(options));
  expect(await history.store.store(message, { refresh: true })).toBe("created");
  return message;
}

beforeAll(async () => {
  client = createTestClient();
  await prepareMessageIndices(client);
  history = createMessageHistory({ client: () => client, indexPrefix: testPrefix });
});

afterAll(async () => {
  await deleteMessageIndices(client);
  await client.close();
});

describe("storing a message", () => {
  it("stores it once under its event id, in the month's index made from the family's template", async () => {
    const message = DriverMessages.compose(driverNotification({ driverId: driverA, occurredAt: "2026-10-31T23:59:59.000Z" }));
    const index = history.store.indexOf(message);
    expect(index).toBe(`${testPrefix}reservation-messages-2026-10`);

    expect(await history.store.store(message, { refresh: true })).toBe("created");
    // A redelivery composes the same message: it is there already, and stays as it was.
    expect(await history.store.store(DriverMessages.compose(driverNotification({ driverId: driverA, occurredAt: "2026-10-31T23:59:59.000Z", reservationId: message.reservationId })), { refresh: true })).toBe("existing");

    const { body } = await client.search({ index: `${testPrefix}reservation-messages-*`, body: { query: { term: { eventId: message.eventId } } } });
    expect(body.hits.hits.map((hit) => [hit._index, hit._id])).toEqual([[index, message.eventId]]);
    const stored = body.hits.hits[0]!._source as Record<string, unknown>;
    expect(stored).toMatchObject({ ...message, receivedAt: expect.any(String) });

    const mapping = (await client.indices.getMapping({ index })).body[index]!.mappings as { dynamic: string; properties: Record<string, any> };
    expect(mapping.dynamic).toBe("strict");
    expect(mapping.properties.pickup.properties.location.type).toBe("geo_point");
    expect(mapping.properties.text).toMatchObject({ type: "text", analyzer: "standard" });
    expect(mapping.properties.eventId.type).toBe("keyword");
    const aliases = (await client.indices.getAlias({ index })).body[index]!.aliases;
    expect(Object.keys(aliases ?? {})).toEqual([`${testPrefix}reservation-messages`]);
  });

  it("refuses a document the mapping does not know (strict), so nothing unplanned creeps in", async () => {
    const message = DriverMessages.compose(driverNotification({ driverId: driverA }));
    await expect(history.store.store({ ...message, surprise: 1 } as DriverMessage)).rejects.toThrow(/strict_dynamic_mapping_exception|mapping set to strict/);
  });

  it("says what the driver needs: the job, both places, the window and the cargo", () => {
    const confirmed = DriverMessages.compose(driverNotification({ driverId: driverA }));
    expect(confirmed.title).toBe("New job: Tue, 1 Dec 2026, 08:00 UTC");
    expect(confirmed.text).toBe(
      "Pick up 1,250.5 kg of pallets of floor tiles at 12 Dock Road, Leeds from Tue, 1 Dec 2026, 08:00 UTC and deliver it to 3 Mill Lane, York by Tue, 1 Dec 2026, 12:00 UTC.",
    );
    expect(confirmed).toMatchObject({
      pickup: { address: "12 Dock Road, Leeds", location: { lat: 53.8008, lon: -1.5491 } },
      window: { start: "2026-12-01T08:00:00.000Z", end: "2026-12-01T12:00:00.000Z" },
      cargo: { weightKg: 1250.5, description: "pallets of floor tiles" },
      read: false,
      readAt: null,
    });
    expect(confirmed).not.toHaveProperty("customerId");
    expect(DriverMessages.compose(driverNotification({ driverId: driverA, type: "reservation-cancelled" })).text).toMatch(/^The customer cancelled the job from 12 Dock Road, Leeds to 3 Mill Lane, York/);
    expect(DriverMessages.compose(driverNotification({ driverId: driverA, type: "reservation-withdrawn" })).text).toMatch(/Do not go to the pickup\.$/);
  });
});

describe("searching messages", () => {
  const reservation = randomUUID();
  let messages: DriverMessage[];

  beforeAll(async () => {
    // Driver B: eight messages a minute apart, about two reservations and three kinds.
    messages = [];
    for (let i = 0; i < 8; i++) {
      messages.push(
        await put({
          driverId: driverB,
          reservationId: i < 3 ? undefined : i === 3 ? reservation : undefined,
          type: i === 3 ? "reservation-cancelled" : i === 5 ? "reservation-withdrawn" : "reservation-confirmed",
          occurredAt: minute(i),
          pickup: i === 6 ? "Harbour Crane 7, Hull" : undefined,
          cargo: i === 7 ? "frozen peas" : undefined,
        }),
      );
    }
    // The confirmation of the cancelled reservation, earlier.
    messages.push(await put({ driverId: driverB, reservationId: reservation, occurredAt: minute(-30) }));
  });

  it("pages a driver's messages newest first with cursors, no repeats, no gaps", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ limit: "4", ...(cursor ? { cursor } : {}) }));
      seen.push(...page.items.map((item) => item.eventId));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    const newestFirst = [...messages].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((message) => message.eventId);
    expect(seen).toEqual(newestFirst);
  });

  it("filters by reservation, type and time range", async () => {
    const aboutReservation = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ reservationId: reservation.toUpperCase() }));
    expect(aboutReservation.items.map((item) => item.type)).toEqual(["reservation-cancelled", "reservation-confirmed"]);

    const withdrawn = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ type: "reservation-withdrawn,reservation-cancelled" }));
    expect(withdrawn.items.map((item) => item.createdAt)).toEqual([minute(5), minute(3)]);

    const window = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ from: minute(2), to: minute(5) }));
    expect(window.items.map((item) => item.createdAt)).toEqual([minute(4), minute(3), minute(2)]);
  });

  it("finds words anywhere in the message: title, text, addresses, cargo", async () => {
    const hull = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ q: "hull" }));
    expect(hull.items.map((item) => item.createdAt)).toEqual([minute(6)]);
    const peas = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ q: "Frozen PEAS" }));
    expect(peas.items.map((item) => item.createdAt)).toEqual([minute(7)]);
    // Every word must match.
    expect((await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ q: "frozen hull" }))).items).toEqual([]);
    expect((await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ q: "withdrew" }))).items.map((item) => item.createdAt)).toEqual([minute(5)]);
  });

  it("lists the unread ones, and marks read only the driver's own, stamping readAt once", async () => {
    const [first, second] = [messages[7]!, messages[6]!];
    const marked = await history.markRead(asDriver(driverB), driverB, [first.eventId, second.eventId, "no-such:message"], new Date("2026-11-21T09:00:00.000Z"));
    expect(marked).toEqual({ read: [first.eventId, second.eventId], notFound: ["no-such:message"] });

    const unread = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ unread: "true" }));
    expect(unread.items.map((item) => item.eventId)).not.toContain(first.eventId);
    expect(unread.items).toHaveLength(messages.length - 2);
    const read = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ unread: "false" }));
    expect(read.items.map((item) => [item.eventId, item.read, item.readAt])).toEqual([
      [first.eventId, true, "2026-11-21T09:00:00.000Z"],
      [second.eventId, true, "2026-11-21T09:00:00.000Z"],
    ]);

    // Again, later: read already; the first readAt stays.
    expect(await history.markRead(asDriver(driverB), driverB, [first.eventId], new Date("2026-11-22T09:00:00.000Z"))).toEqual({ read: [first.eventId], notFound: [] });
    const again = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ unread: "false" }));
    expect(again.items[0]!.readAt).toBe("2026-11-21T09:00:00.000Z");
  });

  it("refuses a cursor made for other filters", async () => {
    const page = await history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ limit: "2" }));
    await expect(history.listDriverMessages(asDriver(driverB), driverB, driverQuery({ limit: "2", type: "reservation-confirmed", cursor: page.nextCursor! }))).rejects.toThrow(InvalidInputError);
  });

  it("answers an empty page where there are no messages at all", async () => {
    const nobody = randomUUID();
    expect(await history.listDriverMessages(asDriver(nobody), nobody, driverQuery())).toEqual({ items: [], nextCursor: null });
  });
});

describe("who sees what", () => {
  let messageOfA: DriverMessage;
  let messageOfB: DriverMessage;
  const reservation = randomUUID();

  beforeAll(async () => {
    messageOfA = await put({ driverId: driverA, reservationId: reservation, occurredAt: minute(100) });
    messageOfB = await put({ driverId: driverB, reservationId: reservation, type: "reservation-withdrawn", occurredAt: minute(101) });
  });

  it("never shows a driver another driver's messages, whatever the filters", async () => {
    await expect(history.listDriverMessages(asDriver(driverA), driverB, driverQuery())).rejects.toThrow(ForbiddenError);
    await expect(history.listDriverMessages(asDriver(driverA), randomUUID(), driverQuery())).rejects.toThrow(ForbiddenError);
    const own = await history.listDriverMessages(asDriver(driverA), driverA, driverQuery({ reservationId: reservation }));
    expect(own.items.map((item) => item.eventId)).toEqual([messageOfA.eventId]);
    // The search across drivers is for operators.
    await expect(history.searchMessages(asDriver(driverA), allQuery({ reservationId: reservation }))).rejects.toThrow(ForbiddenError);
    await expect(history.listDriverMessages(customer, driverA, driverQuery())).rejects.toThrow(ForbiddenError);
  });

  it("never lets a driver mark another driver's messages read: they are not found", async () => {
    expect(await history.markRead(asDriver(driverA), driverA, [messageOfB.eventId])).toEqual({ read: [], notFound: [messageOfB.eventId] });
    await expect(history.markRead(asDriver(driverA), driverB, [messageOfB.eventId])).rejects.toThrow(ForbiddenError);
    await expect(history.markRead(operator, driverB, [messageOfB.eventId])).rejects.toThrow(ForbiddenError);
    const stillUnread = await history.listDriverMessages(operator, driverB, driverQuery({ reservationId: reservation, unread: "true" }));
    expect(stillUnread.items.map((item) => item.eventId)).toEqual([messageOfB.eventId]);
  });

  it("lets an operator search every driver's messages, or one driver's", async () => {
    const all = await history.searchMessages(operator, allQuery({ reservationId: reservation }));
    expect(all.items.map((item) => item.eventId)).toEqual([messageOfB.eventId, messageOfA.eventId]);
    const ofA = await history.searchMessages(operator, allQuery({ reservationId: reservation, driverId: driverA }));
    expect(ofA.items.map((item) => item.eventId)).toEqual([messageOfA.eventId]);
    const ofB = await history.listDriverMessages(operator, driverB, driverQuery({ reservationId: reservation }));
    expect(ofB.items.map((item) => item.eventId)).toEqual([messageOfB.eventId]);
  });
});
