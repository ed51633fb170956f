/**
 * The notification service as declared: what its functions may do in OpenSearch (each the least its
 * handler needs), and the queue and consumer settings the cloud and the local cloud both build from.
 */
import { describe, expect, it } from "vitest";
import { driverNotifications, driverNotificationsConsumer, notificationApi, searchUsers, tables } from "../../src/declarations.js";

describe("the notification service's declaration", () => {
  it("lets the consumer write messages and read none, the search routes read, and mark-read read and write", () => {
    const access = Object.fromEntries(searchUsers().map(({ name, search }) => [name, search]));
    const family = ["reservation-messages"];
    expect(access["DriverNotificationsQueue consumer"]).toEqual({ indices: [{ families: family, actions: ["write"] }] });
    expect(access["NotificationApi GET /drivers/{id}/messages"]).toEqual({ indices: [{ families: family, actions: ["read"] }] });
    expect(access["NotificationApi GET /messages"]).toEqual({ indices: [{ families: family, actions: ["read"] }] });
    expect(access["NotificationApi POST /drivers/{id}/messages/read"]).toEqual({ indices: [{ families: family, actions: ["read", "write"] }] });
  });

  it("admits drivers and operators to a driver's messages, drivers alone to marking them read, operators alone to the search across drivers", () => {
    expect(notificationApi.routes["GET /drivers/{id}/messages"].roles).toEqual(["driver", "operator"]);
    expect(notificationApi.routes["POST /drivers/{id}/messages/read"].roles).toEqual(["driver"]);
    expect(notificationApi.routes["GET /messages"].roles).toEqual(["operator"]);
  });

  it("keeps a message hidden six times longer than the consumer may run (plus its batching window), and gives up after five receives", () => {
    const { timeoutSeconds, maxBatchingWindowSeconds } = driverNotificationsConsumer;
    expect(driverNotifications.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * timeoutSeconds + maxBatchingWindowSeconds);
    expect(driverNotifications.maxReceiveCount).toBe(5);
    expect(driverNotificationsConsumer.batchSize).toBeLessThanOrEqual(10);
  });

  it("keeps the idempotency records where Powertools' DynamoDB layer puts them: key `id`, expiry `expiration`", () => {
    expect(tables.notificationIdempotency).toMatchObject({ partitionKey: "id", timeToLiveAttribute: "expiration" });
    expect(driverNotificationsConsumer.uses).toEqual(expect.arrayContaining(["notificationIdempotencyTable", "liveConnectionsTable", "liveApiConnections", "search"]));
  });
});
