/**
 * Live tracking through a real local WebSocket gateway (the LiveApi's own handlers, in-process),
 * dynalite for sessions, subscriptions and connections, and the real OpenSearch node behind a
 * proxy that counts searches:
 *  - `subscribe`: customers only, their own reservations that are not CLOSED, the same error
 *    frame for anyone else's and for an unknown one; the latest position at once in transit;
 *  - `unsubscribe` and `$disconnect` remove subscriptions; several viewers per reservation;
 *  - the push tick: frames to each subscribed connection, stale marking, nothing before pickup,
 *    Gone cleanup of the connection and its subscriptions, exactly ONE search per tick whatever
 *    the number of connections, and the same frames for the same event;
 *  - GET /ops/fleet for operators.
 */
import { randomUUID } from "node:crypto";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Client } from "@opensearch-project/opensearch";
import type { ScheduledEvent } from "aws-lambda";
import type WebSocket from "ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDocumentClient } from "@haul/core/dynamodb/document-client";
import { Connection } from "@haul/core/live/connection";
import { Subscription } from "@haul/core/live/subscription";
import { closeSearchClient } from "@haul/core/search/search-client";
import { tableNameVariable as sessionsTableVariable } from "@haul/core/tracking/tracking-session";
import { staleAfterSeconds } from "@haul/core/tracking/position";
import { createTestClient, testConfig } from "../../../core/test/search/support.js";
import { indexFixes, preparePositionFamily, removePositionFamily, uniquePrefix } from "../../../core/test/tracking/support.js";
import { eventually, startLiveEnvironment, type LiveEnvironment, type TestGateway } from "../../../local/test/fixtures/live-environment.js";
import { connected, request } from "../../../local/test/fixtures/websocket-client.js";
import { callbackUrlVariable } from "../../src/live/push-to-connections.js";
import { handler as getFleet } from "../../src/tracking/get-fleet.js";
import { handler as pushLatestPositions, type TickSummary } from "../../src/tracking/push-latest-positions.js";
import { call, lambdaContext } from "../notification/support.js";
import { startSearchFaultProxy, type SearchFaultProxy } from "../../../local/test/fixtures/search-fault-proxy.js";

const prefix = uniquePrefix();
let env: LiveEnvironment;
let gateway: TestGateway;
let counter: SearchFaultProxy;
let search: Client;
const sockets: WebSocket[] = [];
/** Every message each socket received, in order. */
const inbox = new Map<WebSocket, any[]>();

beforeAll(async () => {
  env = await startLiveEnvironment();
  gateway = await env.startGateway();
  counter = await startSearchFaultProxy(testConfig.url);
  Object.assign(process.env, { [callbackUrlVariable]: gateway.callbackUrl, HAUL_OPENSEARCH_URL: counter.url, HAUL_OPENSEARCH_INDEX_PREFIX: prefix });
  await closeSearchClient();
  search = createTestClient();
  await preparePositionFamily(search, prefix);
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await closeSearchClient();
  await removePositionFamily(search, prefix);
  await search.close();
  await counter?.stop();
  // Restores the environment this file changed.
  await env?.stop();
});

const iso = (ms: number) => new Date(ms).toISOString();

async function putSession(session: { reservationId: string; customerId: string; driverId: string; sessionStatus: string; pickedUpAt?: string; deliveredAt?: string }) {
  const now = Date.now();
  await getDocumentClient().send(
    new PutCommand({
      TableName: process.env[sessionsTableVariable],
      Item: { windowStart: iso(now - 3_600_000), windowEnd: iso(now + 3_600_000), expiresAt: Math.floor(now / 1000) + 86_400, correlationId: "test", ...session },
    }),
  );
}

/** A customer's connection whose every message is kept in `inbox`. */
async function connect(role: "customer" | "driver", userId: string): Promise<WebSocket> {
  const socket = await connected(`${gateway.url}?token=${await env.token(role, userId)}`);
  sockets.push(socket);
  const received: any[] = [];
  inbox.set(socket, received);
  socket.on("message", (data: Buffer) => received.push(JSON.parse(data.toString("utf8"))));
  return socket;
}

/** Sends and returns the reply (the route response), which `inbox` also gets. */
async function send(socket: WebSocket, message: unknown): Promise<any> {
  const before = inbox.get(socket)!.length;
  const reply = await request(socket, message);
  inbox.get(socket)!.splice(before, 1);
  return reply;
}

/** What the socket received before now: a ping's pong comes after anything pushed earlier. */
async function drained(socket: WebSocket): Promise<any[]> {
  const received = inbox.get(socket)!;
  expect(await request(socket, { action: "ping" })).toEqual({ type: "pong" });
  const pushed = received.splice(0).filter((message) => message.type !== "pong");
  return pushed;
}

function scheduled(time: Date): ScheduledEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "000000000000",
    time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "us-east-1",
    resources: ["arn:aws:events:us-east-1:000000000000:rule/test-haul-PushLatestPositions"],
    detail: {},
  };
}

async function tick(time: Date): Promise<TickSummary> {
  return (await pushLatestPositions(scheduled(time), lambdaContext("test-haul-PushLatestPositions", 50_000))) as TickSummary;
}

describe("subscribe and unsubscribe", () => {
  const customerId = randomUUID();
  const driverId = randomUUID();
  const open = randomUUID();
  const inTransit = randomUUID();
  const closed = randomUUID();
  const othersReservation = randomUUID();
  const pickedUpAt = iso(Date.now() - 10 * 60_000);

  beforeAll(async () => {
    await putSession({ reservationId: open, customerId, driverId, sessionStatus: "OPEN" });
    await putSession({ reservationId: inTransit, customerId, driverId, sessionStatus: "IN_TRANSIT", pickedUpAt });
    await putSession({ reservationId: closed, customerId, driverId, sessionStatus: "CLOSED", pickedUpAt, deliveredAt: iso(Date.now() - 60_000) });
    await putSession({ reservationId: othersReservation, customerId: randomUUID(), driverId, sessionStatus: "OPEN" });
    await indexFixes(search, prefix, [
      { driverId, recordedAt: iso(Date.parse(pickedUpAt) - 60_000), lat: 1, lon: 1 },
      { driverId, recordedAt: iso(Date.now() - 30_000), lat: 52.1, lon: 4.3, speed: 20 },
    ]);
  });

  it("answers the latest position at once while in transit, none before pickup", async () => {
    const socket = await connect("customer", customerId);
    expect(await send(socket, { action: "subscribe", reservationId: inTransit })).toEqual({
      type: "subscribed",
      reservationId: inTransit,
      status: "IN_TRANSIT",
      position: expect.objectContaining({ lat: 52.1, lon: 4.3, speed: 20 }),
    });
    // The driver's positions exist, but the delivery has not begun: nothing to show.
    expect(await send(socket, { action: "subscribe", reservationId: open.toUpperCase() })).toEqual({ type: "subscribed", reservationId: open, status: "CONFIRMED", position: null });
    expect((await Subscription.listByReservation(open)).map((subscription) => subscription.customerId)).toEqual([customerId]);
  });

  it("refuses anyone else's, an unknown and a finished reservation with the same error frame, and records nothing", async () => {
    const socket = await connect("customer", customerId);
    const refusals = [];
    for (const reservationId of [othersReservation, randomUUID(), closed]) {
      const reply = await send(socket, { action: "subscribe", reservationId });
      expect(reply.type).toBe("error");
      refusals.push(reply.message.replace(reservationId, "<id>"));
    }
    expect(new Set(refusals).size).toBe(1);
    expect(await Subscription.listByReservation(othersReservation)).toEqual([]);
    expect(await Subscription.listByReservation(closed)).toEqual([]);
    expect((await send(socket, { action: "subscribe" })).type).toBe("error");
    expect((await send(socket, { action: "subscribe", reservationId: "r-1" })).type).toBe("error");
  });

  it("refuses drivers", async () => {
    const socket = await connect("driver", driverId);
    expect(await send(socket, { action: "subscribe", reservationId: inTransit })).toMatchObject({ type: "error", message: "only customers follow reservations" });
  });

  it("lets several connections follow one reservation; unsubscribe and $disconnect remove only their own", async () => {
    const phone = await connect("customer", customerId);
    const laptop = await connect("customer", customerId);
    const reservationId = randomUUID();
    await putSession({ reservationId, customerId, driverId, sessionStatus: "OPEN" });
    for (const socket of [phone, laptop]) expect((await send(socket, { action: "subscribe", reservationId })).type).toBe("subscribed");
    expect(await Subscription.listByReservation(reservationId)).toHaveLength(2);

    expect(await send(phone, { action: "unsubscribe", reservationId })).toEqual({ type: "unsubscribed", reservationId });
    expect(await Subscription.listByReservation(reservationId)).toHaveLength(1);

    const [laptopConnection] = await Subscription.listByReservation(reservationId);
    laptop.close();
    await eventually(async () => (await Subscription.listByReservation(reservationId)).length === 0);
    expect((await Connection.listByUser(customerId)).map((connection) => connection.connectionId)).not.toContain(laptopConnection!.connectionId);
  });
});

describe("the one-minute push", () => {
  const tickAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const at = (secondsBeforeTick: number) => iso(tickAt.getTime() - secondsBeforeTick * 1000);
  const customer = randomUUID();
  const drivers = { fresh: randomUUID(), old: randomUUID(), notPickedUp: randomUUID(), nothingSincePickup: randomUUID() };
  const reservations = { fresh: randomUUID(), old: randomUUID(), notPickedUp: randomUUID(), nothingSincePickup: randomUUID() };
  let phone: WebSocket;
  let laptop: WebSocket;
  let old: WebSocket;
  let waiting: WebSocket;
  let early: WebSocket;
  const staleConnectionId = "U3RhbGVDb25uZWN0aW9uMQ=";

  beforeAll(async () => {
    await putSession({ reservationId: reservations.fresh, customerId: customer, driverId: drivers.fresh, sessionStatus: "IN_TRANSIT", pickedUpAt: at(600) });
    await putSession({ reservationId: reservations.old, customerId: customer, driverId: drivers.old, sessionStatus: "IN_TRANSIT", pickedUpAt: at(900) });
    await putSession({ reservationId: reservations.notPickedUp, customerId: customer, driverId: drivers.notPickedUp, sessionStatus: "OPEN" });
    await putSession({ reservationId: reservations.nothingSincePickup, customerId: customer, driverId: drivers.nothingSincePickup, sessionStatus: "IN_TRANSIT", pickedUpAt: at(60) });
    await indexFixes(search, prefix, [
      { driverId: drivers.fresh, recordedAt: at(90), lat: 50.0, lon: 8.0 },
      { driverId: drivers.fresh, recordedAt: at(30), lat: 50.1, lon: 8.1, speed: 14 },
      { driverId: drivers.old, recordedAt: at(300), lat: 45.4, lon: 9.2 },
      { driverId: drivers.notPickedUp, recordedAt: at(20), lat: 41.9, lon: 12.5 },
      { driverId: drivers.nothingSincePickup, recordedAt: at(120), lat: 38.7, lon: -9.1 },
    ]);
    phone = await connect("customer", customer);
    laptop = await connect("customer", customer);
    old = await connect("customer", customer);
    waiting = await connect("customer", customer);
    early = await connect("customer", customer);
    for (const socket of [phone, laptop]) await send(socket, { action: "subscribe", reservationId: reservations.fresh });
    await send(old, { action: "subscribe", reservationId: reservations.old });
    await send(waiting, { action: "subscribe", reservationId: reservations.notPickedUp });
    await send(early, { action: "subscribe", reservationId: reservations.nothingSincePickup });
    // A connection whose $disconnect never ran: its items are still there.
    await Connection.save({ connectionId: staleConnectionId, userId: customer, role: "customer", connectedAt: Date.now() - 60_000 });
    await Subscription.save({ connectionId: staleConnectionId, reservationId: reservations.fresh, customerId: customer, connectedAt: Date.now() - 60_000 });
    // Subscriptions of the first describe block are there too: their connections are open or gone.
  });

  beforeEach(() => counter.reset());

  it("pushes each subscribed connection its truck's latest position since pickup, with ONE search", async () => {
    const summary = await tick(tickAt);

    expect(counter.searches()).toHaveLength(1);
    const [phoneFrames, laptopFrames] = [await drained(phone), await drained(laptop)];
    const freshFrame = {
      type: "position",
      reservationId: reservations.fresh,
      driverId: drivers.fresh,
      position: expect.objectContaining({ lat: 50.1, lon: 8.1, speed: 14, recordedAt: at(30) }),
      ageSeconds: 30,
      stale: false,
      tickAt: tickAt.toISOString(),
    };
    expect(phoneFrames).toEqual([freshFrame]);
    expect(laptopFrames).toEqual([freshFrame]);
    expect(await drained(old)).toEqual([expect.objectContaining({ reservationId: reservations.old, ageSeconds: 300, stale: 300 > staleAfterSeconds })]);
    expect(staleAfterSeconds).toBeLessThan(300);
    // Not picked up yet, and picked up after the driver's last fix: no position reaches the customer.
    expect(await drained(waiting)).toEqual([]);
    expect(await drained(early)).toEqual([]);

    expect(summary).toMatchObject({ gone: 1, failed: 0, delivered: summary.targets - 1 });
    expect(summary.delivered).toBeGreaterThanOrEqual(3);
  });

  it("deleted the gone connection's item and its subscriptions", async () => {
    expect((await Connection.listByUser(customer)).map((connection) => connection.connectionId)).not.toContain(staleConnectionId);
    expect((await Subscription.listByReservation(reservations.fresh)).map((subscription) => subscription.connectionId)).not.toContain(staleConnectionId);
  });

  it("still makes one search with many more connections, and the same event pushes the same frames", async () => {
    const more: WebSocket[] = [];
    for (let i = 0; i < 12; i++) {
      const socket = await connect("customer", customer);
      await send(socket, { action: "subscribe", reservationId: i % 2 ? reservations.fresh : reservations.old });
      more.push(socket);
    }
    counter.reset();

    const first = await tick(tickAt);
    const firstFrames = await Promise.all([phone, ...more].map(drained));
    const second = await tick(tickAt);
    const secondFrames = await Promise.all([phone, ...more].map(drained));

    expect(counter.searches()).toHaveLength(2);
    expect(first.connections).toBeGreaterThan(12);
    // The three drivers in transit here, and the one the first block's customer follows in transit.
    expect(first).toMatchObject({ gone: 0, failed: 0, drivers: 4 });
    expect(first.delivered).toBe(first.targets);
    expect(second.delivered).toBe(first.delivered);
    expect(secondFrames).toEqual(firstFrames);
    for (const frames of firstFrames) expect(frames).toHaveLength(1);
  });
});

describe("GET /ops/fleet", () => {
  it("lists every truck in transit with its latest position since pickup, for operators", async () => {
    const reply = await call(getFleet, { caller: { userId: randomUUID(), role: "operator" } });
    expect(reply.status).toBe(200);
    const trucks: any[] = reply.json.trucks;
    // Every session put IN_TRANSIT in this file, none of the OPEN or CLOSED ones.
    expect(trucks).toHaveLength(4);
    expect(trucks.every((truck) => typeof truck.pickedUpAt === "string")).toBe(true);
    const withoutPosition = trucks.filter((truck) => truck.position === null);
    expect(withoutPosition).toHaveLength(1);
    expect(withoutPosition[0]).toMatchObject({ ageSeconds: null, stale: true });
    expect(trucks.filter((truck) => truck.position && truck.stale === false).length).toBeGreaterThanOrEqual(1);
  });

  it("is for operators only", async () => {
    expect((await call(getFleet, { caller: { userId: randomUUID(), role: "customer" } })).status).toBe(403);
  });
});
