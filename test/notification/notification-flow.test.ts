/**
 * The notification path end to end in the local cloud: a customer reserves and cancels on the
 * ReservationApi; the workflow publishes to the local topic; the same consumer handler Lambda runs
 * takes the messages from the local queue, pushes each to the driver's WebSocket and stores it in
 * OpenSearch; the driver reads and marks them on the NotificationApi, on its own port.
 */
import { randomInt, randomUUID } from "node:crypto";
import WebSocket from "ws";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { closeSearchClient } from "@haul/core/search/search-client";
import { send } from "../../packages/local/test/fixtures/http-client.js";
import { startTestCloud, type TestCloud } from "../support/test-cloud.js";
import { migrateTestDatabase } from "../../packages/core/test/support/database.js";
import { createTestCustomer, createTestDriver, removeTestPeople, requestBody, windowAt } from "../../packages/core/test/support/reservations.js";
import { createTestClient } from "../../packages/core/test/search/support.js";
import { deleteMessageIndices, prepareMessageIndices } from "../../packages/core/test/notification/support.js";

const savedEnv = { ...process.env };
let cloud: TestCloud;
let search: Client;
let customerId: string;
let driverId: string;

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("not within the time allowed");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await migrateTestDatabase();
  search = createTestClient();
  await prepareMessageIndices(search);
  customerId = await createTestCustomer();
  driverId = await createTestDriver();
  cloud = await startTestCloud("notification");
});

afterAll(async () => {
  await cloud?.stop();
  process.env = savedEnv;
  await removeTestPeople();
  await deleteMessageIndices(search);
  await search.close();
  await closeSearchClient();
  await closePools();
  await closeRedisClient();
});

describe("driver notifications in the local cloud", () => {
  it("pushes the confirmation and the cancellation to the driver's app and keeps both in the history", async () => {
    const app = new WebSocket(`${cloud.outputs.LiveApiUrl}?token=${await cloud.token("driver", driverId)}`);
    const frames: any[] = [];
    app.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString("utf8"))));
    await new Promise((resolve, reject) => app.once("open", resolve).once("error", reject));

    try {
      const customer = { authorization: `Bearer ${await cloud.token("customer", customerId)}`, "content-type": "application/json" };
      const accepted = await send(`${cloud.outputs.ReservationApiUrl}/reservations`, {
        method: "POST",
        headers: customer,
        // A window of its own, far out, so that it never overlaps another run's.
        body: JSON.stringify(requestBody(driverId, { window: windowAt(24 * randomInt(30, 300), 2) })),
      });
      expect(accepted.status).toBe(202);
      const { reservationId } = accepted.json<{ reservationId: string }>();
      const executionArn = `${cloud.outputs.ReservationStateMachineArn!.replace(":stateMachine:", ":execution:")}:${reservationId}`;
      await cloud.stepFunctions.waitForExecution(executionArn);

      const confirmed = await until(async () => frames.find((frame) => frame.message?.eventId === `${reservationId}:reservation-confirmed`));
      expect(confirmed).toMatchObject({
        type: "driver-message",
        message: { type: "reservation-confirmed", reservationId, driverId, pickup: { address: "Alexanderplatz 1, 10178 Berlin" }, cargo: { description: "Two pallets of books" } },
      });

      const driver = { authorization: `Bearer ${await cloud.token("driver", driverId)}` };
      const messagesUrl = `${cloud.outputs.NotificationApiUrl}/drivers/${driverId}/messages`;
      const unread = await until(async () => {
        const page = (await send(`${messagesUrl}?unread=true&reservationId=${reservationId}`, { headers: driver })).json<{ items: Array<{ eventId: string }> }>();
        return page.items.length > 0 ? page.items : undefined;
      });
      expect(unread.map((item) => item.eventId)).toEqual([`${reservationId}:reservation-confirmed`]);

      const marked = await send(`${messagesUrl}/read`, {
        method: "POST",
        headers: { ...driver, "content-type": "application/json" },
        body: JSON.stringify({ messageIds: [`${reservationId}:reservation-confirmed`] }),
      });
      expect(marked.json()).toEqual({ read: [`${reservationId}:reservation-confirmed`], notFound: [] });
      expect((await send(`${messagesUrl}?unread=true&reservationId=${reservationId}`, { headers: driver })).json()).toEqual({ items: [], nextCursor: null });

      const cancelled = await send(`${cloud.outputs.ReservationApiUrl}/reservations/${reservationId}/cancel`, { method: "POST", headers: customer });
      expect(cancelled.status).toBe(202);
      await cloud.stepFunctions.waitForExecution(`${executionArn}-cancel`);
      await until(async () => frames.find((frame) => frame.message?.eventId === `${reservationId}:reservation-cancelled`));
      expect(frames.map((frame) => frame.message.eventId)).toEqual([`${reservationId}:reservation-confirmed`, `${reservationId}:reservation-cancelled`]);

      // Another driver sees none of it; an operator sees both.
      const stranger = await send(messagesUrl, { headers: { authorization: `Bearer ${await cloud.token("driver", randomUUID())}` } });
      expect(stranger.status).toBe(403);
      const operator = { authorization: `Bearer ${await cloud.token("operator", randomUUID())}` };
      const all = await until(async () => {
        const page = (await send(`${cloud.outputs.NotificationApiUrl}/messages?reservationId=${reservationId}`, { headers: operator })).json<{ items: Array<{ type: string }> }>();
        return page.items.length === 2 ? page.items : undefined;
      });
      expect(all.map((item) => item.type)).toEqual(["reservation-cancelled", "reservation-confirmed"]);
      expect(cloud.driverNotifications.deadLetterQueue.counts().ApproximateNumberOfMessages).toBe(0);
    } finally {
      app.terminate();
    }
  });
});
