/**
 * Live tracking end to end in the local cloud: a customer reserves, the driver picks up and the truck
 * simulator drives, posting real fixes through the TrackingApi into kinesalite; the Firehose stand-in
 * delivers them into the real OpenSearch; the customer's real WebSockets get the latest position at
 * once on subscribe and on the push tick (the scheduler runs the same handler EventBridge would),
 * only between pickup and delivery; another customer is refused; the trail and the fleet are read.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestPositionsPush } from "@haul/functions/declarations";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { closeSearchClient, searchIndexName } from "@haul/core/search/search-client";
import { send } from "../../packages/local/test/fixtures/http-client.js";
import { routeThrough } from "../../packages/local/src/simulator/route.js";
import { driveTruck, type Fix } from "../../packages/local/src/simulator/truck.js";
import { startTestCloud, type TestCloud } from "../support/test-cloud.js";
import { migrateTestDatabase } from "../../packages/core/test/support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, requestBody } from "../../packages/core/test/support/reservations.js";
import { createTestClient } from "../../packages/core/test/search/support.js";

const savedEnv = { ...process.env };
let cloud: TestCloud;
let search: Client;
let customerId: string;
let otherCustomerId: string;
let driverId: string;
let operatorId: string;

interface Frame {
  readonly type: string;
  readonly status?: string;
  readonly reservationId?: string;
  readonly position?: { lat: number; lon: number; recordedAt: string } | null;
  readonly stale?: boolean;
  readonly tickAt?: string;
}

class App {
  readonly frames: Frame[] = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => this.frames.push(JSON.parse(data.toString("utf8")) as Frame));
  }

  static async connect(token: string): Promise<App> {
    const socket = new WebSocket(`${cloud.outputs.LiveApiUrl}?token=${token}`);
    const app = new App(socket);
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    return app;
  }

  /** Sends `message` and resolves with the first new frame that `match` accepts. */
  async request(message: object, match: (frame: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.length;
    this.socket.send(JSON.stringify(message));
    return until(async () => this.frames.slice(seen).find(match));
  }

  positions(reservationId: string): Frame[] {
    return this.frames.filter((frame) => frame.type === "position" && frame.reservationId === reservationId);
  }

  close(): void {
    this.socket.close(1000);
  }
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("not within the time allowed");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once the fix is searchable in OpenSearch (through Kinesis and the Firehose stand-in). */
async function indexed(fix: Fix): Promise<void> {
  const id = `${driverId}:${fix.recordedAt}`;
  await until(async () => {
    // The alias exists once the first fix was delivered.
    const response = await search.search({ index: searchIndexName("driver-positions"), body: { query: { ids: { values: [id] } } } }, { ignore: [404] });
    return (response.body.hits?.hits.length ?? 0) > 0 ? true : undefined;
  });
}

async function tick(): Promise<void> {
  const run = await cloud.scheduler.runNow(latestPositionsPush.name);
  expect(run).toMatchObject({ name: latestPositionsPush.name });
}

async function api(method: "GET" | "POST", url: string, token: string, body?: unknown) {
  return send(url, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
}

beforeAll(async () => {
  await migrateTestDatabase();
  search = createTestClient();
  customerId = await createTestCustomer();
  otherCustomerId = await createTestCustomer();
  driverId = await createTestDriver();
  operatorId = randomUUID();
  cloud = await startTestCloud("tracking");
});

afterAll(async () => {
  await cloud?.stop();
  process.env = savedEnv;
  await removeTestPeople();
  await search.close();
  await closeSearchClient();
  await closePools();
  await closeRedisClient();
});

describe("live tracking in the local cloud", () => {
  it("shows the customer their truck between pickup and delivery, at once on subscribe and on each push", async () => {
    const customerToken = await cloud.token("customer", customerId);
    const driverToken = await cloud.token("driver", driverId);
    const start = new Date(Date.now() + 60_000);
    const accepted = await api("POST", `${cloud.outputs.ReservationApiUrl}/reservations`, customerToken, requestBody(driverId, {
      window: { start: start.toISOString(), end: new Date(start.getTime() + 2 * 3_600_000).toISOString() },
    }));
    expect(accepted.status).toBe(202);
    const { reservationId } = accepted.json<{ reservationId: string }>();
    await cloud.stepFunctions.waitForExecution(`${cloud.outputs.ReservationStateMachineArn!.replace(":stateMachine:", ":execution:")}:${reservationId}`);

    const phone = await App.connect(customerToken);
    try {
      // Subscribed while CONFIRMED: no position yet, and none on a tick, even though the driver is
      // already sending fixes on the way to the pickup.
      expect(await phone.request({ action: "subscribe", reservationId }, (frame) => frame.type === "subscribed" || frame.type === "error")).toMatchObject({
        type: "subscribed",
        reservationId,
        position: null,
      });
      const beforePickup = { lat: 52.5, lon: 13.4, recordedAt: new Date().toISOString(), speed: 10, heading: 90, accuracy: 5 };
      expect((await api("POST", `${cloud.outputs.TrackingApiUrl}/positions`, driverToken, { fixes: [beforePickup] })).status).toBe(202);
      await indexed(beforePickup);
      await tick();
      expect(phone.positions(reservationId)).toEqual([]);

      expect((await api("POST", `${cloud.outputs.ReservationApiUrl}/reservations/${reservationId}/pickup`, driverToken)).status).toBe(202);
      await until(async () => phone.frames.find((frame) => frame.type === "reservation-status" && frame.status === "IN_TRANSIT"));

      // The simulator drives 300 m through the real ingest API.
      const route = routeThrough([{ lat: 52.5208, lon: 13.4094 }, { lat: 52.5208, lon: 13.4194 }]);
      const drive = await driveTruck({
        apis: { reservationApiUrl: cloud.outputs.ReservationApiUrl!, trackingApiUrl: cloud.outputs.TrackingApiUrl! },
        driverToken,
        reservationId,
        route,
        speedup: 50,
        fixEveryMs: 50,
        fixesPerPost: 4,
        stopAfterMeters: 300,
        markPickup: false,
        markDelivery: false,
      });
      expect(drive.fixesPosted).toBeGreaterThan(3);
      const last = drive.lastFix!;
      await indexed(last);

      // A second device subscribes: the latest position at once.
      const laptop = await App.connect(customerToken);
      try {
        const subscribed = await laptop.request({ action: "subscribe", reservationId }, (frame) => frame.type === "subscribed");
        expect(subscribed.position).toMatchObject({ recordedAt: last.recordedAt, lat: last.lat, lon: last.lon });

        await tick();
        for (const app of [phone, laptop]) {
          const [pushed] = await until(async () => (app.positions(reservationId).length > 0 ? app.positions(reservationId) : undefined));
          expect(pushed).toMatchObject({ reservationId, position: { recordedAt: last.recordedAt }, stale: false });
          // EventBridge's event time, which the push takes as the tick's, is to the second.
          expect(Date.parse(pushed!.tickAt!)).toBeGreaterThanOrEqual(Math.floor(Date.parse(last.recordedAt) / 1000) * 1000);
        }
      } finally {
        laptop.close();
      }

      // The trail, to its customer; an operator sees the truck in the fleet.
      const trail = await api("GET", `${cloud.outputs.TrackingApiUrl}/reservations/${reservationId}/positions`, customerToken);
      expect(trail.status).toBe(200);
      const recorded = trail.json<{ positions: Array<{ recordedAt: string }> }>().positions.map((item) => item.recordedAt);
      expect(recorded).toHaveLength(drive.fixesPosted);
      expect(recorded).not.toContain(beforePickup.recordedAt);
      expect(recorded[recorded.length - 1]).toBe(last.recordedAt);
      const fleet = await api("GET", `${cloud.outputs.TrackingApiUrl}/ops/fleet`, await cloud.token("operator", operatorId));
      expect(fleet.status).toBe(200);
      expect(JSON.stringify(fleet.json())).toContain(reservationId);

      // Delivered: the status reaches the customer and pushes stop, whatever the driver still sends.
      expect((await api("POST", `${cloud.outputs.ReservationApiUrl}/reservations/${reservationId}/deliver`, driverToken)).status).toBe(202);
      await until(async () => phone.frames.find((frame) => frame.type === "reservation-status" && frame.status === "COMPLETED"));
      const afterDelivery = { lat: 52.51, lon: 13.42, recordedAt: new Date().toISOString() };
      expect((await api("POST", `${cloud.outputs.TrackingApiUrl}/positions`, driverToken, { fixes: [afterDelivery] })).status).toBe(202);
      await indexed(afterDelivery as Fix);
      const pushedBefore = phone.positions(reservationId).length;
      await tick();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(phone.positions(reservationId)).toHaveLength(pushedBefore);
    } finally {
      phone.close();
    }
  });

  it("refuses another customer's reservation, on the socket and on the trail", async () => {
    const customerToken = await cloud.token("customer", customerId);
    const accepted = await api("POST", `${cloud.outputs.ReservationApiUrl}/reservations`, customerToken, requestBody(driverId));
    const { reservationId } = accepted.json<{ reservationId: string }>();
    await cloud.stepFunctions.waitForExecution(`${cloud.outputs.ReservationStateMachineArn!.replace(":stateMachine:", ":execution:")}:${reservationId}`);

    const otherToken = await cloud.token("customer", otherCustomerId);
    const stranger = await App.connect(otherToken);
    try {
      const refused = await stranger.request({ action: "subscribe", reservationId }, (frame) => frame.type === "subscribed" || frame.type === "error");
      expect(refused.type).toBe("error");
      // The same answer as for a reservation that does not exist: nothing leaks.
      const unknownId = randomUUID();
      const unknown = await stranger.request({ action: "subscribe", reservationId: unknownId }, (frame) => frame.type === "subscribed" || frame.type === "error");
      expect(JSON.stringify(unknown).replace(unknownId, "<id>")).toBe(JSON.stringify(refused).replace(reservationId, "<id>"));
    } finally {
      stranger.close();
    }
    const trail = await api("GET", `${cloud.outputs.TrackingApiUrl}/reservations/${reservationId}/positions`, otherToken);
    expect(trail.status).toBe(404);
  });
});
