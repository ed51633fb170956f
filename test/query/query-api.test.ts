/**
 * The query service end to end in the local cloud: a token, POST /reservations on the
 * ReservationApi, then the QueryApi on its own port sees it at once (never 404, whatever the
 * replica), and sees the workflow's decision once the execution has invalidated the cache.
 */
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { closeQueryCacheClient } from "@haul/core/query/cache-client";
import { send } from "../../packages/local/test/fixtures/http-client.js";
import { startTestCloud, type TestCloud } from "../support/test-cloud.js";
import { migrateTestDatabase } from "../../packages/core/test/support/database.js";
import { requestBody, windowAt } from "../../packages/core/test/support/reservations.js";

const savedEnv = { ...process.env };
let cloud: TestCloud;
const [customer, otherCustomer] = demoPeopleWithRole("customer");
const [driver] = demoPeopleWithRole("driver");

beforeAll(async () => {
  await migrateTestDatabase();
  cloud = await startTestCloud("query-api");
});

afterAll(async () => {
  await cloud?.stop();
  process.env = savedEnv;
  await closeQueryCacheClient();
  await closePools();
  await closeRedisClient();
});

describe("the QueryApi in the local cloud", () => {
  it("shows a reservation right after POST, then its decision, and hides it from others", async () => {
    const customerToken = await cloud.token("customer", customer!.id);
    // A window of its own, far out, so earlier runs cannot overlap it.
    const body = requestBody(driver!.id, { window: windowAt(24 * randomInt(30, 300), 2), cargo: { weightKg: 100, description: "A crate" } });
    const accepted = await send(`${cloud.outputs.ReservationApiUrl}/reservations`, {
      method: "POST",
      headers: { authorization: `Bearer ${customerToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(accepted.status).toBe(202);
    const { reservationId } = accepted.json<{ reservationId: string }>();
    const url = `${cloud.outputs.QueryApiUrl}/reservations/${reservationId}`;
    const auth = { authorization: `Bearer ${customerToken}` };

    // At once: the replica may not have it yet; the primary fallback answers.
    const early = await send(url, { headers: auth });
    expect(early.status).toBe(200);
    expect(early.headers["x-cache"]).toMatch(/^(hit|miss)$/);

    const executionArn = `${cloud.outputs.ReservationStateMachineArn!.replace(":stateMachine:", ":execution:")}:${reservationId}`;
    await cloud.stepFunctions.waitForExecution(executionArn);
    const decided = await send(url, { headers: auth });
    expect(decided.status).toBe(200);
    expect(decided.json()).toMatchObject({ reservationId, status: "CONFIRMED", workflow: { phase: "confirmed", settled: true } });
    const again = await send(url, { headers: auth });
    expect(again.headers["x-cache"]).toBe("hit");

    const stranger = await send(url, { headers: { authorization: `Bearer ${await cloud.token("customer", otherCustomer!.id)}` } });
    expect(stranger.status).toBe(404);
    expect(stranger.headers["content-type"]).toBe("application/problem+json");
    expect((await send(url)).status).toBe(401);
  });
});
