import { randomUUID } from "node:crypto";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { createSearchClient, searchConfigFromEnv, searchIndexName } from "@haul/core/search/search-client";
import { createKinesisClient } from "@haul/functions/shared/aws-clients";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { driverNotificationsConsumer, driverPositions, liveApi, notificationApi, observabilityApi, queryApi, reservationApi, trackingApi } from "@haul/functions/declarations";
import { identityDir } from "../src/config.js";
import { mintToken } from "../src/identity/mint-token.js";
import { loadOrCreateSigningKey } from "../src/identity/signing-key.js";
import { startLocalCloud, type LocalCloud } from "../src/main.js";
import { readOutputs } from "../src/outputs.js";
import { send } from "./fixtures/http-client.js";
import { connect, connected, request } from "./fixtures/websocket-client.js";

const freePorts = { reservationApi: 0, queryApi: 0, identity: 0, dynamodb: 0, stepFunctions: 0, liveApi: 0, notificationApi: 0, trackingApi: 0, kinesis: 0, observabilityApi: 0, web: 0 };
let haulDir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  haulDir = await mkdtemp(path.join(tmpdir(), "haul-local-cloud-"));
});

afterAll(async () => {
  process.env = savedEnv;
  await rm(haulDir, { recursive: true, force: true });
});

const start = (fresh = false) =>
  startLocalCloud({ haulDir, ports: freePorts, quiet: true, fresh, firehose: { bufferingIntervalSeconds: 0.2, pollIntervalMs: 100 } });

const local = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };

/** Puts one fix of a new driver on the positions stream, as POST /positions does. */
async function putFix(cloud: LocalCloud): Promise<string> {
  const client = createKinesisClient({ ...local, endpoint: cloud.outputs.KinesisEndpoint! });
  const driverId = randomUUID();
  try {
    const fix = { driverId, recordedAt: "2026-11-20T08:00:00.000Z", lat: 53.8, lon: -1.55 };
    await client.send(new PutRecordCommand({ StreamName: cloud.outputs.DriverPositionsStreamName!, PartitionKey: driverId, Data: Buffer.from(JSON.stringify(fix)) }));
  } finally {
    client.destroy();
  }
  return driverId;
}

/** Records on the positions stream, from each shard's oldest. */
async function recordsOnStream(cloud: LocalCloud): Promise<number> {
  const client = createKinesisClient({ ...local, endpoint: cloud.outputs.KinesisEndpoint! });
  const StreamName = cloud.outputs.DriverPositionsStreamName!;
  try {
    let count = 0;
    for (const shard of (await client.send(new ListShardsCommand({ StreamName }))).Shards ?? []) {
      const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }));
      count += (await client.send(new GetRecordsCommand({ ShardIterator }))).Records?.length ?? 0;
    }
    return count;
  } finally {
    client.destroy();
  }
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

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
          "DriverPositionsBackupBucketName",
          "DriverPositionsDeliveryStreamName",
          "DriverPositionsStreamName",
          "DynamoDbEndpoint",
          "IssuerUrl",
          "JwksUrl",
          "KinesisEndpoint",
          "LiveApiCallbackUrl",
          "LiveApiUrl",
          "LiveConnectionsTableName",
          "LiveSubscriptionsTableName",
          "NotificationApiUrl",
          "NotificationIdempotencyTableName",
          "ObservabilityApiUrl",
          "QueryApiUrl",
          "ReservationApiUrl",
          "ReservationStateMachineArn",
          "SearchUrl",
          "StepFunctionsEndpoint",
          "TrackingApiUrl",
          "TrackingSessionsTableName",
          "UserPoolClientId",
          "WebUrl",
        ].sort(),
      );
      expect(cloud.outputs.UserPoolClientId).toBe("haul-local-client");
      expect(cloud.outputs.TrackingSessionsTableName).toBe("local-haul-TrackingSessions");
      expect(cloud.outputs.SearchUrl).toBe(searchConfigFromEnv().url);
      expect(await readOutputs(path.join(haulDir, "outputs.json"))).toEqual(cloud.outputs);
      expect(cloud.services.map((service) => service.service)).toEqual([
        "web",
        "identity",
        "dynamodb",
        "dynamodb ttl",
        "kinesis",
        "opensearch",
        "cloudwatch logs",
        "firehose",
        "sns/sqs",
        "stepfunctions",
        liveApi.name,
        driverNotificationsConsumer.name,
        "scheduler",
        reservationApi.name,
        queryApi.name,
        notificationApi.name,
        trackingApi.name,
        observabilityApi.name,
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
      expect(process.env.AWS_ENDPOINT_URL_KINESIS).toBe(cloud.outputs.KinesisEndpoint);
      expect(process.env.HAUL_POSITIONS_STREAM_NAME).toBe("local-haul-DriverPositions");
      expect(process.env.HAUL_LIVE_SUBSCRIPTIONS_TABLE).toBe("local-haul-LiveSubscriptions");

      // The web app's site: its config.json names this cloud's APIs, and the APIs allow exactly its origins.
      expect(cloud.stackOutputs["local-haul-Web"]).toEqual({ WebUrl: cloud.outputs.WebUrl });
      const webConfig = (await send(`${cloud.outputs.WebUrl}/config.json`)).json<{ apis: Record<string, string>; auth: unknown }>();
      expect(webConfig.apis.query).toBe(cloud.outputs.QueryApiUrl);
      expect(webConfig.auth).toEqual({ kind: "local", issuer: cloud.outputs.IssuerUrl });
      const webOrigin = cloud.outputs.WebUrl!;
      const fromSite = await send(`${cloud.outputs.QueryApiUrl}/health`, { method: "OPTIONS", headers: { origin: webOrigin, "access-control-request-method": "GET" } });
      expect(fromSite.headers["access-control-allow-origin"]).toBe(webOrigin);
      const fromElsewhere = await send(`${cloud.outputs.ReservationApiUrl}/health`, { headers: { origin: "https://evil.example" } });
      expect(fromElsewhere.headers["access-control-allow-origin"]).toBeUndefined();
      const signIn = await send(`${cloud.outputs.IssuerUrl}/demo/people`, { headers: { origin: webOrigin } });
      expect(signIn.headers["access-control-allow-origin"]).toBe(webOrigin);

      // The tracking service: a stack of its own as in the cloud, with the stream, the delivery
      // stream and its backup "bucket" (a folder here), and its API behind the same token check.
      expect(cloud.stackOutputs["local-haul-Tracking"]).toEqual({
        TrackingApiUrl: cloud.outputs.TrackingApiUrl,
        DriverPositionsStreamName: "local-haul-DriverPositions",
        DriverPositionsDeliveryStreamName: "local-haul-DriverPositionsDelivery",
        DriverPositionsBackupBucketName: path.join(haulDir, "firehose-backup"),
        KinesisEndpoint: cloud.outputs.KinesisEndpoint,
      });
      expect((await send(`${cloud.outputs.TrackingApiUrl}/ops/fleet`)).status).toBe(401);
      // The observability service's API: its own port and output, behind the same token check.
      expect(cloud.stackOutputs["local-haul-ObservabilityApi"]).toEqual({ ObservabilityApiUrl: cloud.outputs.ObservabilityApiUrl });
      expect((await send(`${cloud.outputs.ObservabilityApiUrl}/ops/logs`)).status).toBe(401);
      expect((await send(`${cloud.outputs.ObservabilityApiUrl}/ops/logs/stats`)).status).toBe(401);
      expect(cloud.firehose.stats().shardsReading).toEqual(["shardId-000000000000", "shardId-000000000001"].slice(0, driverPositions.shardCount));
      expect(cloud.scheduler.periodsMs).toEqual({ PushLatestPositions: 60_000, ReconcileWorkflows: 60_000 });

      // A fix on the stream reaches OpenSearch through the delivery stream, into the day's index.
      const driverId = await putFix(cloud);
      await waitFor("the fix delivered", () => cloud.firehose.stats().recordsDelivered === 1);
      const search = createSearchClient({ url: cloud.outputs.SearchUrl! });
      try {
        const alias = searchIndexName(driverPositions.indexFamily);
        await search.indices.refresh({ index: alias });
        const { body } = await search.search({ index: alias, body: { query: { term: { driverId } } } });
        expect(body.hits.hits.map((hit) => hit._index)).toEqual([`${alias}-${new Date().toISOString().slice(0, 10)}`]);
      } finally {
        await search.close();
      }

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
      // Through the gateway: an operator searches the logs; a driver's token is refused by the route's roles.
      const operatorToken = await mintToken({
        role: "operator",
        sub: "o0000000-0000-4000-8000-000000000001",
        issuer: cloud.outputs.IssuerUrl,
        signingKey: await loadOrCreateSigningKey(identityDir(haulDir)),
      });
      const logs = await send(`${cloud.outputs.ObservabilityApiUrl}/ops/logs?limit=1`, { headers: { authorization: `Bearer ${operatorToken}` } });
      expect(logs.status).toBe(200);
      expect(logs.json()).toHaveProperty("items");
      expect((await send(`${cloud.outputs.ObservabilityApiUrl}/ops/logs/stats`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    } finally {
      await cloud.stop();
    }
    await expect(fetch(cloud.outputs.ReservationApiUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.QueryApiUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.ObservabilityApiUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.JwksUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.LiveApiCallbackUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.StepFunctionsEndpoint!, { method: "POST" })).rejects.toThrow();
    await expect(fetch(cloud.outputs.TrackingApiUrl!)).rejects.toThrow();
    await expect(fetch(cloud.outputs.KinesisEndpoint!, { method: "POST" })).rejects.toThrow();
  });

  it("keeps DynamoDB and Kinesis data and the delivery checkpoints across restarts unless started fresh", async () => {
    const first = await start(true);
    try {
      expect(await putAndGet(first, true)).toBe(true);
      await putFix(first);
      await waitFor("the first fix delivered", () => first.firehose.stats().recordsDelivered === 1);
    } finally {
      await first.stop();
    }
    const second = await start(false);
    try {
      expect(await putAndGet(second, false)).toBe(true);
      expect(await recordsOnStream(second)).toBe(1);
      // The first fix was checkpointed: only the new one is read and delivered.
      await putFix(second);
      await waitFor("the second fix delivered", () => second.firehose.stats().recordsDelivered === 1);
      expect(second.firehose.stats().recordsRead).toBe(1);
    } finally {
      await second.stop();
    }
    const fresh = await start(true);
    try {
      expect(await putAndGet(fresh, false)).toBe(false);
      expect(await recordsOnStream(fresh)).toBe(0);
    } finally {
      await fresh.stop();
    }
  });
});
