/**
 * Publishes a batch of driver messages with one poison message (not a notification) among them.
 * Promise: the poison message lands in the DLQ after its receives, every other one is delivered
 * (in the driver's history). The queue's visibility timeout (60 s x 5 receives) is 1 s in this run's local cloud.
 *   npx tsx scripts/faults/poison-message.ts
 */
import { randomUUID } from "node:crypto";
import { runFault, startFaultCloud, waitFor, withIsolatedServers } from "./support/fault-run.js";
import { driverNotification, send } from "./support/load.js";

const tried = "poison message in a batch of 10";
runFault("poison-message", tried, () =>
  withIsolatedServers(async () => {
    const cloud = await startFaultCloud("poison-message", { notificationVisibilityTimeoutSeconds: 1 });
    try {
      // The batch the poison message first came in: its size, and how many of it failed.
      let firstBatch: { size: number; failed: number } | undefined;
      cloud.driverNotificationsConsumer.onBatch((outcome) => (firstBatch ??= { size: outcome.messageIds.length, failed: outcome.failed.length }));
      const driverId = randomUUID();
      const good = Array.from({ length: 9 }, () => driverNotification(driverId));
      const publish = (message: string) => cloud.driverNotifications.publish({ TopicArn: cloud.driverNotifications.topic.arn, Message: message });
      good.slice(0, 4).forEach((notification) => publish(JSON.stringify(notification)));
      publish("this is not a driver message");
      good.slice(4).forEach((notification) => publish(JSON.stringify(notification)));
      const token = await cloud.token("driver", driverId);
      const delivered = async () => {
        const reply = await send(`${cloud.outputs.NotificationApiUrl}/drivers/${driverId}/messages`, { method: "GET", token });
        const body = JSON.parse(reply.body) as { items?: { eventId: string }[]; messages?: { eventId: string }[] };
        const ids = new Set((body.items ?? body.messages ?? []).map((message) => message.eventId));
        return good.filter((notification) => ids.has(notification.eventId)).length;
      };
      const dlq = () => cloud.driverNotifications.deadLetterQueue.counts().ApproximateNumberOfMessages;
      await waitFor(60_000, async () => dlq() === 1 && (await delivered()) === good.length);
      const deliveredCount = await delivered();
      const dead = dlq();
      return {
        fault: "poison-message",
        tried,
        requests: good.length + 1,
        fiveHundreds: 0,
        lost: good.length - deliveredCount,
        pass: dead === 1 && deliveredCount === good.length,
        note: `first batch ${firstBatch?.size ?? 0} messages, ${firstBatch?.failed ?? 0} failed; ${dead} in the DLQ, ${deliveredCount}/${good.length} delivered`,
      };
    } finally {
      await cloud.stop();
    }
  }),
);
