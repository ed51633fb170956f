/**
 * Pushing to apps (packages/functions/src/live/push-to-connections.ts) through the local
 * @connections API with the real SDK client: live connections get the message, a connection
 * whose `$disconnect` never ran answers 410 and its item is deleted, other failures are reported.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Connection } from "@haul/core/live/connection";
import { callbackUrlVariable, pushToConnections, pushToUser } from "@haul/functions/live/push-to-connections";
import { startLiveEnvironment, type LiveEnvironment, type TestGateway } from "./fixtures/live-environment.js";
import { connected, nextMessage } from "./fixtures/websocket-client.js";

let env: LiveEnvironment;
let gateway: TestGateway;

beforeAll(async () => {
  env = await startLiveEnvironment();
  gateway = await env.startGateway();
  process.env[callbackUrlVariable] = gateway.callbackUrl;
});

afterAll(async () => {
  await env?.stop();
});

/** A driver connected on two devices, and an item left by a connection whose `$disconnect` never ran. */
async function driverWithStaleConnection() {
  const userId = randomUUID();
  const devices = [];
  for (let device = 0; device < 2; device++) devices.push(await connected(`${gateway.url}?token=${await env.token("driver", userId)}`));
  const live = (await Connection.listByUser(userId)).map((connection) => connection.connectionId).sort();
  const stale = "U3RhbGVDb25uZWN0aW9u";
  await Connection.save({ connectionId: stale, userId, role: "driver", connectedAt: Date.now() - 60_000 });
  return { userId, devices, live, stale };
}

describe("pushToUser", () => {
  it("delivers to each open connection of the user and deletes the one that is gone", async () => {
    const { userId, devices, live, stale } = await driverWithStaleConnection();
    const received = devices.map((socket) => nextMessage(socket));

    const outcome = await pushToUser(userId, { type: "message", text: "Load at dock 4" }, { concurrency: 2 });

    expect(outcome.delivered.sort()).toEqual(live);
    expect(outcome.gone).toEqual([stale]);
    expect(outcome.failed).toEqual([]);
    for (const message of await Promise.all(received)) expect(JSON.parse(message)).toEqual({ type: "message", text: "Load at dock 4" });
    // The stale item is gone; the live ones stay.
    expect((await Connection.listByUser(userId)).map((connection) => connection.connectionId).sort()).toEqual(live);
    for (const socket of devices) socket.close();
  });

  it("pushes nothing, and fails nothing, for a user with no connection", async () => {
    expect(await pushToUser(randomUUID(), { type: "message" })).toEqual({ delivered: [], gone: [], failed: [] });
  });
});

describe("pushToConnections", () => {
  it("reports failures other than Gone and keeps those connections", async () => {
    const { userId, devices, live } = await driverWithStaleConnection();
    // Another stage of the same API: API Gateway answers 403 there, for every connection.
    const elsewhere = gateway.callbackUrl.replace(/\/[^/]+$/, "/elsewhere");
    const outcome = await pushToConnections(live, "hello", { callbackUrl: elsewhere });
    expect(outcome.delivered).toEqual([]);
    expect(outcome.gone).toEqual([]);
    expect(outcome.failed.map(({ connectionId, error }) => [connectionId, error.name]).sort()).toEqual(live.map((id) => [id, "ForbiddenException"]));
    expect(await Connection.listByUser(userId)).toHaveLength(3);
    for (const socket of devices) socket.close();
  });

  it("refuses a message over 128 KB before posting anything", async () => {
    await expect(pushToConnections(["any"], "z".repeat(128 * 1024 + 1))).rejects.toThrow(RangeError);
  });

  it("sends a string as it is and anything else as JSON, once per connection", async () => {
    const userId = randomUUID();
    const socket = await connected(`${gateway.url}?token=${await env.token("customer", userId)}`);
    const [connection] = await Connection.listByUser(userId);
    let received = nextMessage(socket);
    expect((await pushToConnections([connection!.connectionId, connection!.connectionId], "plain text")).delivered).toEqual([connection!.connectionId]);
    expect(await received).toBe("plain text");
    received = nextMessage(socket);
    await pushToConnections([connection!.connectionId], { type: "position", lat: 52.52 });
    expect(JSON.parse(await received)).toEqual({ type: "position", lat: 52.52 });
    socket.close();
  });
});
