/**
 * 1,000 LiveApi clients (the first seeded driver's app, many times) drop their TCP connections
 * without a close frame; then a driver message and a position push go out to whatever is left.
 * Promise: the LiveConnections table empties, and no push error escapes (no failed invocation of the
 * consumer or the position push, DLQ empty). Failed $disconnect invocations are counted in the note.
 *   npx tsx scripts/faults/websocket.ts
 */
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import WebSocket from "ws";
import { latestPositionsPush } from "@haul/functions/declarations";
import { invokeErrors, runFault, startFaultCloud, waitFor, withIsolatedServers } from "./support/fault-run.js";
import { driverNotification, drivers } from "./support/load.js";

const tried = "1,000 WebSocket clients dropped abruptly";
const clients = 1000;
runFault("websocket", tried, () =>
  withIsolatedServers(async () => {
    const cloud = await startFaultCloud("websocket");
    const dynamodb = new DynamoDBClient({ endpoint: cloud.outputs.DynamoDbEndpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    try {
      const driver = drivers[0]!;
      const url = `${cloud.outputs.LiveApiUrl}?token=${await cloud.token("driver", driver.id)}`;
      const sockets: WebSocket[] = [];
      let refused = 0;
      for (let start = 0; start < clients; start += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, clients - start) }, () =>
            new Promise<void>((resolve) => {
              const socket = new WebSocket(url);
              socket.once("open", () => (sockets.push(socket), resolve()));
              socket.once("error", () => (refused++, resolve()));
            }),
          ),
        );
      }
      const table = cloud.outputs.LiveConnectionsTableName!;
      const stored = async () => (await dynamodb.send(new ScanCommand({ TableName: table, Select: "COUNT" }))).Count ?? 0;
      await waitFor(30_000, async () => (await stored()) >= sockets.length);
      const connected = await stored();
      for (const socket of sockets) socket.terminate(); // no close frame: the TCP connection just goes
      // Pushes to what is left: a driver message (through SNS -> SQS -> consumer) and a position tick.
      cloud.driverNotifications.publish({ TopicArn: cloud.driverNotifications.topic.arn, Message: JSON.stringify(driverNotification(driver.id)) });
      const push = await cloud.scheduler.runNow(latestPositionsPush.name);
      await cloud.driverNotificationsConsumer.idle();
      await waitFor(60_000, async () => (await stored()) === 0);
      const left = await stored();
      const dead = cloud.driverNotifications.deadLetterQueue.counts().ApproximateNumberOfMessages;
      // Push errors that escaped: failed invocations of the functions that push (their batches retry).
      const pushErrors = (await invokeErrors(cloud, "DriverNotificationsConsumer")) + (await invokeErrors(cloud, latestPositionsPush.name)) + (push.status === "failed" ? 1 : 0);
      const disconnectErrors = await invokeErrors(cloud, "LiveApi-live-close-connection");
      return {
        fault: "websocket",
        tried,
        requests: clients,
        fiveHundreds: refused,
        lost: dead,
        pass: connected === clients && left === 0 && dead === 0 && pushErrors === 0,
        note:
          `${connected} connections stored, ${left} left after the drop; ${pushErrors} push invocations failed; ` +
          `${disconnectErrors} $disconnect invocations failed; ${dead} in the DLQ`,
      };
    } finally {
      dynamodb.destroy();
      await cloud.stop();
    }
  }),
);
