import { searchConfigFromEnv } from "@haul/core/search/search-client";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { driverNotificationsConsumer, liveApi, notificationApi, queryApi, reservationApi } from "@haul/functions/declarations";
import { identityDir } from "../src/config.js";
import { mintToken } from "../src/identity/mint-token.js";
import { loadOrCreateSigningKey } from "../src/identity/signing-key.js";
import { startLocalCloud, type LocalCloud } from "../src/main.js";
import { readOutputs } from "../src/outputs.js";
import { send } from "./fixtures/http-client.js";
import { connect, connected, request } from "./fixtures/websocket-client.js";

const freePorts = { reservationApi: 0, queryApi: 0, identity: 0, dynamodb: 0, stepFunctions: 0, liveApi: 0, notificationApi: 0 };
let haulDir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  haulDir = await mkdtemp(path.join(tmpdir(), "haul-local-cloud-"));
});

afterAll(async () => {
  process.env = savedEnv;
  await rm(haulDir, { recursive: true, force: true });
});

const start = (fresh = false) => startLocalCloud({ haulDir, ports: freePorts, quiet: true, fresh });

async function putAndGet(cloud: LocalCloud, write: boolean): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint: cloud.outputs.DynamoDbEndpoint!,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const TableName = cloud.outputs.TrackingSessionsTableName!;
    if (write) await client.send(new PutItemCommand({ TableName, Item: { reservationId: { S: "r-42" } } }));
    const { Item } = await client.send(new GetItemCommand({ TableName, Key: { reservationId: { S: "r-42" } } }));
    return Item !== undefined;
  } finally {
    client.destroy();
  }
}

describe("startLocalCloud", () => {
  it("starts identity, DynamoDB and the ReservationApi, writes outputs and stops cleanly", async () => {
    const cloud = await start(true);
    try {
      expect(Object.keys(cloud.outputs).sort()).toEqual(
        [
          "DriverNotificationsDlqArn",
          "DriverNotificationsDlqUrl",
          "DriverNotificationsQueueArn",
          "DriverNotificationsQueueUrl",
          "DriverNotificationsTopicArn",
          "DynamoDbEndpoint",
          "IssuerUrl",
          "JwksUrl",
          "LiveApiCallbackUrl",
          "LiveApiUrl",
          "LiveConnectionsTableName",
          "NotificationApiUrl",
          "NotificationIdempotencyTableName",
          "QueryApiUrl",
          "ReservationApiUrl",
          "ReservationStateMachineArn",
          "SearchUrl",
          "StepFunctionsEndpoint",
          "TrackingSessionsTableName",
          "UserPoolClientId",
        ].sort(),
      );
      expect(cloud.outputs.UserPoolClientId).toBe("haul-local-client");
      expect(cloud.outputs.TrackingSessionsTableName).toBe("local-haul-TrackingSessions");
      expect(cloud.outputs.SearchUrl).toBe(searchConfigFromEnv().url);
      expect(await readOutputs(path.join(haulDir, "outputs.json"))).toEqual(cloud.outputs);
      expect(cloud.services.map((service) => service.service)).toEqual([
        "identity",
        "dynamodb",
        "dynamodb ttl",
        "opensearch",
        "sns/sqs",
        "stepfunctions",
        liveApi.name,
        driverNotificationsConsumer.name,
        reservationApi.name,
        queryApi.name,
        notificationApi.name,
      ]);
      expect(cloud.outputs.ReservationStateMachineArn).toBe("arn:aws:states:us-east-1:000000000000:stateMachine:local-haul-ReservationWorkflow");
      expect(cloud.outputs.DriverNotificationsTopicArn).toBe("arn:aws:sns:us-east-1:000000000000:local-haul-DriverNotifications");

      expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(cloud.outputs.DynamoDbEndpoint);
      expect(process.env.AWS_ENDPOINT_URL_SFN).toBe(cloud.outputs.StepFunctionsEndpoint);
      expect(process.env.HAUL_RESERVATION_STATE_MACHINE_ARN).toBe(cloud.outputs.ReservationStateMachineArn);
      expect(process.env.HAUL_DRIVER_NOTIFICATIONS_TOPIC_ARN).toBe(cloud.outputs.DriverNotificationsTopicArn);
      expect(process.env.HAUL_TRACKING_SESSIONS_TABLE).toBe("local-haul-TrackingSessions");
      expect(process.env.HAUL_LIVE_CONNECTIONS_TABLE).toBe("local-haul-LiveConnections");
      expect(process.env.HAUL_LIVE_API_CALLBACK_URL).toBe(cloud.outputs.LiveApiCallbackUrl);
      expect(process.env.HAUL_TOKEN_ISSUER).toBe(cloud.outputs.IssuerUrl);
      expect(process.env.HAUL_TOKEN_AUDIENCE).toBe(cloud.outputs.UserPoolClientId);
      expect(process.env.AWS_ACCESS_KEY_ID).toBe("local");

      const jwks = await fetch(cloud.outputs.JwksUrl!);
      expect(jwks.status).toBe(200);
      const notFound = await send(`${cloud.outputs.ReservationApiUrl}/no-such-route`);
      expect(notFound.status).toBe(404);
      const unauthorized = await send(`${cloud.outputs.ReservationApiUrl}/me`);
      expect(unauthorized.status).toBe(401);
      // The query service: its own port, the same token check.
      expect(cloud.outputs.QueryApiUrl).not.toBe(cloud.outputs.ReservationApiUrl);
      expect((await send(`${cloud.outputs.QueryApiUrl}/reservations`)).status).toBe(401);
      expect(cloud.stackOutputs["local-haul-QueryApi"]).toEqual({ QueryApiUrl: cloud.outputs.QueryApiUrl });

      // The LiveApi: a stack of its own, a ws:// URL with the stage, and the @connections endpoint beside it.
      expect(cloud.stackOutputs["local-haul-LiveApi"]).toEqual({ LiveApiUrl: cloud.outputs.LiveApiUrl, LiveApiCallbackUrl: cloud.outputs.LiveApiCallbackUrl });
      expect(cloud.outputs.LiveApiUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/local$/);
      expect(cloud.outputs.LiveApiCallbackUrl).toBe(cloud.outputs.LiveApiUrl!.replace("ws://", "http://"));
      expect(await connect(cloud.outputs.LiveApiUrl!)).toMatchObject({ status: 401 });
      const token = await mintToken({
        role: "driver",
        sub: "d0000000-0000-4000-8000-000000000001",
        issuer: cloud.outputs.IssuerUrl,
        signingKey: await loadOrCreateSigningKey(identityDir(haulDir)),
      });
      const socket = await connected(`${cloud.outputs.LiveApiUrl}?token=${token}`);
      expect(await request(socket, { action: "ping" })).toEqual({ type: "pong" });
    } finally {
      await cloud.stop();
    }
    await expect(fetch(cloud.outputs.ReservationApiUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.QueryApiUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.JwksUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.LiveApiCallbackUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.StepFunctionsEndpoint!, { method: "POST" })).rejects.toThrow();
  });

  it("keeps DynamoDB data across restarts unless started fresh", async () => {
    const first = await start(true);
    try {
      expect(await putAndGet(first, true)).toBe(true);
    } finally {
      await first.stop();
    }
    const second = await start(false);
    try {
      expect(await putAndGet(second, false)).toBe(true);
    } finally {
      await second.stop();
    }
    const fresh = await start(true);
    try {
      expect(await putAndGet(fresh, false)).toBe(false);
    } finally {
      await fresh.stop();
    }
  });
});
