/**
 * The driver-notification topic and its queue, in process: SNS's envelope, SQS's visibility
 * timeout, redelivery, dead-letter queue, batches, long polling and approximate counts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDriverNotifications, type LocalDriverNotifications } from "../src/sns/driver-notifications.js";
import { LocalTopic, SnsError } from "../src/sns/topic.js";
import { LocalQueue, SqsError } from "../src/sqs/queue.js";

let notifications: LocalDriverNotifications;

beforeEach(() => {
  notifications = createDriverNotifications({ stage: "local", region: "us-east-1", accountId: "000000000000" });
});

afterEach(() => {
  notifications.stop();
  vi.useRealTimers();
});

const publish = (message: string, attributes = {}) =>
  notifications.publish({ TopicArn: notifications.topic.arn, Message: message, MessageAttributes: attributes });

/** Moves the clock on by `seconds` (visibility timeouts are read from Date.now()). */
function advance(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe("the driver-notification topic and queue", () => {
  it("are named from the declaration as in the cloud", () => {
    expect(notifications.topic.arn).toBe("arn:aws:sns:us-east-1:000000000000:local-haul-DriverNotifications");
    expect(notifications.queue.arn).toBe("arn:aws:sqs:us-east-1:000000000000:local-haul-DriverNotificationsQueue");
    expect(notifications.deadLetterQueue.arn).toBe("arn:aws:sqs:us-east-1:000000000000:local-haul-DriverNotificationsDlq");
  });

  it("delivers a publish to the queue in SNS's notification envelope", async () => {
    const { MessageId } = publish('{"eventId":"r-1:reservation-confirmed"}', {
      driverId: { DataType: "String", StringValue: "driver-1" },
      seats: { DataType: "Number", StringValue: "2" },
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
    });
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const [message, ...rest] = await notifications.queue.receive();
    expect(rest).toEqual([]);
    expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: "1", SenderId: expect.any(String), SentTimestamp: expect.stringMatching(/^\d+$/) });
    const envelope = JSON.parse(message!.Body) as Record<string, unknown>;
    expect(Object.keys(envelope)).toEqual([
      "Type",
      "MessageId",
      "TopicArn",
      "Message",
      "Timestamp",
      "SignatureVersion",
      "Signature",
      "SigningCertURL",
      "UnsubscribeURL",
      "MessageAttributes",
    ]);
    expect(envelope).toMatchObject({
      Type: "Notification",
      MessageId,
      TopicArn: notifications.topic.arn,
      Message: '{"eventId":"r-1:reservation-confirmed"}',
      Timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      MessageAttributes: {
        driverId: { Type: "String", Value: "driver-1" },
        seats: { Type: "Number", Value: "2" },
        blob: { Type: "Binary", Value: "AQID" },
      },
    });
  });

  it("delivers the bare message and SQS attributes to a raw subscription", async () => {
    const topic = new LocalTopic({ name: "raw", region: "us-east-1", accountId: "000000000000" });
    const queue = new LocalQueue({ name: "raw-queue", region: "us-east-1", accountId: "000000000000" });
    topic.subscribe(queue, { rawMessageDelivery: true });
    topic.publish({ Message: "hello", MessageAttributes: { kind: { DataType: "String", StringValue: "greeting" } } });
    const [message] = await queue.receive();
    expect(message?.Body).toBe("hello");
    expect(message?.MessageAttributes).toEqual({ kind: { DataType: "String", StringValue: "greeting" } });
  });

  it("rejects what SNS rejects", () => {
    expect(() => notifications.publish({ TopicArn: "arn:aws:sns:us-east-1:000000000000:Other", Message: "x" })).toThrow(
      expect.objectContaining({ name: "NotFoundException", code: "NotFound", statusCode: 404 }),
    );
    expect(() => publish("")).toThrow(SnsError);
    expect(() => publish("x", { driverId: { DataType: "String" } })).toThrow(/must contain non-empty message attribute value/);
    expect(() => publish("x".repeat(256 * 1024 + 1))).toThrow(/Message too long/);
  });

  it("keeps a received message invisible until the timeout, then delivers it again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    publish("once");
    const [first] = await notifications.queue.receive();
    expect(await notifications.queue.receive()).toEqual([]);
    expect(notifications.queue.counts()).toEqual({ ApproximateNumberOfMessages: 0, ApproximateNumberOfMessagesNotVisible: 1, ApproximateNumberOfMessagesDelayed: 0 });

    advance(61); // the declaration's visibility timeout is 60 s
    const [again] = await notifications.queue.receive();
    expect(again?.MessageId).toBe(first?.MessageId);
    expect(again?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(again?.Attributes.ApproximateReceiveCount).toBe("2");
    expect(again?.Attributes.ApproximateFirstReceiveTimestamp).toBe(first?.Attributes.ApproximateFirstReceiveTimestamp);

    // An older receipt handle succeeds without deleting, as in SQS; the latest one deletes.
    notifications.queue.delete(first!.ReceiptHandle);
    expect(notifications.queue.counts().ApproximateNumberOfMessagesNotVisible).toBe(1);
    notifications.queue.delete(again!.ReceiptHandle);
    advance(61);
    expect(notifications.queue.counts()).toMatchObject({ ApproximateNumberOfMessages: 0, ApproximateNumberOfMessagesNotVisible: 0 });
    expect(await notifications.queue.receive()).toEqual([]);
    expect(() => notifications.queue.delete("not-a-handle")).toThrow(SqsError);
  });

  it("moves a message to the dead-letter queue after maxReceiveCount receives", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { MessageId } = publish("poison");
    for (let receive = 1; receive <= 5; receive++) {
      const [message] = await notifications.queue.receive();
      expect(message?.Attributes.ApproximateReceiveCount).toBe(String(receive));
      advance(61);
    }
    expect(await notifications.queue.receive()).toEqual([]);
    expect(notifications.queue.counts()).toMatchObject({ ApproximateNumberOfMessages: 0, ApproximateNumberOfMessagesNotVisible: 0 });
    expect(notifications.deadLetterQueue.counts().ApproximateNumberOfMessages).toBe(1);

    const [dead] = await notifications.deadLetterQueue.receive();
    expect(JSON.parse(dead!.Body)).toMatchObject({ MessageId, Message: "poison" });
    expect(dead?.Attributes.DeadLetterQueueSourceArn).toBe(notifications.queue.arn);
  });

  it("receives in batches of up to 10, oldest first", async () => {
    for (let index = 0; index < 12; index++) publish(`m${index}`);
    expect(notifications.queue.counts().ApproximateNumberOfMessages).toBe(12);

    const batch = await notifications.queue.receive({ MaxNumberOfMessages: 10 });
    expect(batch.map((message) => (JSON.parse(message.Body) as { Message: string }).Message)).toEqual(Array.from({ length: 10 }, (_, index) => `m${index}`));
    expect(notifications.queue.counts()).toMatchObject({ ApproximateNumberOfMessages: 2, ApproximateNumberOfMessagesNotVisible: 10 });
    for (const message of batch) notifications.queue.delete(message.ReceiptHandle);
    expect((await notifications.queue.receive({ MaxNumberOfMessages: 10 })).length).toBe(2);
    await expect(notifications.queue.receive({ MaxNumberOfMessages: 11 })).rejects.toMatchObject({ code: "InvalidParameterValue" });
  });

  it("makes a message visible again at once with a visibility change to 0", async () => {
    publish("retry me");
    const [message] = await notifications.queue.receive();
    notifications.queue.changeVisibility(message!.ReceiptHandle, 0);
    const [again] = await notifications.queue.receive();
    expect(again?.MessageId).toBe(message?.MessageId);
  });

  it("long-polls until a message arrives", async () => {
    const started = Date.now();
    const waiting = notifications.queue.receive({ WaitTimeSeconds: 5 });
    setTimeout(() => publish("late"), 50);
    const [message] = await waiting;
    expect(JSON.parse(message!.Body)).toMatchObject({ Message: "late" });
    expect(Date.now() - started).toBeLessThan(2_000);

    const empty = Date.now();
    expect(await notifications.queue.receive({ WaitTimeSeconds: 1 })).toEqual([]);
    expect(Date.now() - empty).toBeGreaterThanOrEqual(900);
  });
});
