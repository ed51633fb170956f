/**
 * Throttling in the local cloud: limits made small through HAUL_THROTTLE_BURST/RATE (they replace
 * the declared ones, packages/local/src/gateway/throttle.ts). Each HTTP route has a bucket of its
 * own, refused requests get API Gateway's 429 before the authorizer runs; the LiveApi's stage
 * refuses upgrades and answers messages with 429 alike. The rate is so low that no token comes
 * back during the test: nothing here depends on timing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { httpApis, type RouteDeclaration } from "@haul/functions/declarations";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { closeSearchClient } from "@haul/core/search/search-client";
import { send } from "../../packages/local/test/fixtures/http-client.js";
import { migrateTestDatabase } from "../../packages/core/test/support/database.js";
import { createTestCustomer, removeTestPeople } from "../../packages/core/test/support/reservations.js";
import { startTestCloud, type TestCloud } from "../support/test-cloud.js";

const savedEnv = { ...process.env };
const burstLimit = 3;
let cloud: TestCloud;
let customerId: string;

beforeAll(async () => {
  await migrateTestDatabase();
  customerId = await createTestCustomer();
  process.env.HAUL_THROTTLE_BURST = String(burstLimit);
  process.env.HAUL_THROTTLE_RATE = "0.0001";
  cloud = await startTestCloud("throttling");
});

afterAll(async () => {
  await cloud?.stop();
  process.env = savedEnv;
  await removeTestPeople();
  await closeSearchClient();
  await closePools();
  await closeRedisClient();
});

describe("throttling in the local gateways", () => {
  it.each(httpApis.map((api) => [api.name, api] as const))("%s answers 429 over a route's burst, before the authorizer, and other routes keep their own", async (name, api) => {
    const url = cloud.outputs[`${name}Url`]!;
    const jwtRoutes = Object.entries<RouteDeclaration>(api.routes).filter(([, route]) => route.auth === "jwt").map(([routeKey]) => routeKey);
    const [first, second] = jwtRoutes.map((routeKey) => {
      const [method, template] = routeKey.split(" ") as [string, string];
      return { method, path: template.replace(/\{\w+\}/g, "00000000-0000-4000-8000-000000000000") };
    });
    const statuses: number[] = [];
    // No token: the authorizer's 401 until the bucket is empty, then the throttle's 429.
    for (let attempt = 0; attempt < burstLimit + 2; attempt++) {
      const response = await send(`${url}${first!.path}`, { method: first!.method, body: first!.method === "POST" ? "{}" : undefined });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers["content-type"]).toBe("application/json");
        expect(response.json()).toEqual({ message: "Too Many Requests" });
      }
    }
    expect(statuses).toEqual([...Array<number>(burstLimit).fill(401), 429, 429]);
    // Even a good token waits for the bucket: throttling comes first.
    const token = await cloud.token("customer", customerId);
    expect((await send(`${url}${first!.path}`, { method: first!.method, headers: { authorization: `Bearer ${token}` } })).status).toBe(429);
    if (second) expect((await send(`${url}${second.path}`, { method: second.method, body: second.method === "POST" ? "{}" : undefined })).status).toBe(401);
  });

  it("the LiveApi's stage refuses messages and then upgrades over its burst with 429", async () => {
    const token = await cloud.token("customer", customerId);
    const socket = new WebSocket(`${cloud.outputs.LiveApiUrl}?token=${token}`); // the upgrade takes one token
    const frames: Array<{ type?: string; message?: string }> = [];
    socket.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString("utf8")) as { type?: string; message?: string }));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    try {
      for (let sent = 0; sent < burstLimit + 1; sent++) socket.send(JSON.stringify({ action: "ping" }));
      const deadline = Date.now() + 10_000;
      while (frames.length < burstLimit + 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(frames.filter((frame) => frame.type === "pong")).toHaveLength(burstLimit - 1);
      expect(frames.filter((frame) => frame.message === "Too Many Requests")).toHaveLength(2);
    } finally {
      socket.close(1000);
    }
    const refused = await new Promise<number>((resolve) => {
      const another = new WebSocket(`${cloud.outputs.LiveApiUrl}?token=${token}`);
      another.on("error", () => undefined); // terminate() during the handshake reports itself as one
      another.once("unexpected-response", (_request, response) => (resolve(response.statusCode ?? 0), response.resume(), another.terminate()));
      another.once("open", () => (resolve(101), another.close()));
    });
    expect(refused).toBe(429);
  });
});
