/**
 * The local SQS event source (Lambda's event source mapping with ReportBatchItemFailures) on the
 * local queue, with a short visibility timeout: successes are deleted, a failed record comes back
 * and moves to the DLQ after its fifth receive while the rest of its batch succeeded, and the
 * function's answer is read as Lambda reads it. Then the real driver-notification consumer on the
 * real topic and queue, against dynalite and OpenSearch.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@opensearch-project/opensearch";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resetDocumentClient } from "@haul/core/dynamodb/document-client";
import { messageFamily } from "@haul/core/notification/message-store";
import { closeSearchClient } from "@haul/core/search/search-client";
import { driverNotifications, driverNotificationsConsumer } from "@haul/functions/declarations";
import { callbackUrlVariable } from "@haul/functions/live/push-to-connections";
import { createTestClient } from "../../core/test/search/support.js";
import { driverNotification, prepareMessageIndices, testPrefix } from "../../core/test/notification/support.js";
import { repoRoot } from "../src/config.js";
import type { RunningDynalite } from "../src/dynamodb/dynalite-server.js";
import { createDriverNotifications, type LocalDriverNotifications } from "../src/sns/driver-notifications.js";
import { startSqsEventSource, type BatchOutcome, type RunningSqsEventSource, type SqsEventSourceOptions } from "../src/sqs/event-source-mapping.js";
import type { ReceivedMessage } from "../src/sqs/queue.js";
import { startConsumerTables } from "./fixtures/consumer-tables.js";
import { receivedBatches } from "./fixtures/sqs-handlers.js";

const fixture = (name: string) => `packages/local/test/fixtures/sqs-handlers.${name}`;
/** Short, so a message's five receives take seconds. */
const visibilityTimeoutSeconds = 1;

let notifications: LocalDriverNotifications;
let source: RunningSqsEventSource | undefined;
const errors: string[] = [];

function start(handler: string, overrides: Partial<SqsEventSourceOptions> = {}): RunningSqsEventSource {
  source = startSqsEventSource({
    queue: notifications.queue,
    handler,
    root: repoRoot,
    functionName: "test-haul-DriverNotificationsConsumer",
    service: "notification",
    region: "us-east-1",
    accountId: "000000000000",
    timeoutSeconds: 5,
    batchSize: 10,
    pollers: 1,
    errorLog: (line) => errors.push(line),
    ...overrides,
  });
  return source;
}

function freshQueues(): void {
  notifications = createDriverNotifications({
    stage: "test",
    region: "us-east-1",
    accountId: "000000000000",
    declaration: { ...driverNotifications, visibilityTimeoutSeconds },
  });
}

/** Waits (real time: visibility timeouts run on the clock) until the DLQ holds `count` messages. */
async function deadLetters(count: number, timeoutMs = 15_000): Promise<ReceivedMessage[]> {
  const deadline = Date.now() + timeoutMs;
  while (notifications.deadLetterQueue.counts().ApproximateNumberOfMessages < count) {
    if (Date.now() > deadline) throw new Error(`the DLQ did not get ${count} message(s) in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return notifications.deadLetterQueue.receive({ MaxNumberOfMessages: 10 });
}

function nextBatch(running: RunningSqsEventSource): Promise<BatchOutcome> {
  return new Promise((resolve) => running.onBatch(resolve));
}

afterEach(async () => {
  await source?.stop();
  source = undefined;
  notifications?.stop();
  receivedBatches().splice(0);
  errors.splice(0);
});

describe("the local SQS event source", () => {
  it("deletes the successes, and moves a poison record to the DLQ after its fifth receive while its batch succeeded", async () => {
    freshQueues();
    for (const body of ["ok-1", "poison-1", "ok-2"]) notifications.queue.send({ MessageBody: body });
    start(fixture("reportPoison"));

    const [dead, ...more] = await deadLetters(1);
    expect(more).toEqual([]);
    expect(dead!.Body).toBe("poison-1");
    expect(dead!.Attributes.DeadLetterQueueSourceArn).toBe(notifications.queue.arn);

    const batches = receivedBatches();
    expect(batches[0]!.bodies).toEqual(["ok-1", "poison-1", "ok-2"]);
    // The successes went at once; the poison came back alone, one more receive each time.
    expect(batches.slice(1).map((batch) => batch.bodies)).toEqual([["poison-1"], ["poison-1"], ["poison-1"], ["poison-1"]]);
    expect(batches.map((batch) => batch.receiveCounts[batch.bodies.indexOf("poison-1")])).toEqual([1, 2, 3, 4, 5]);
    expect(notifications.queue.counts()).toMatchObject({ ApproximateNumberOfMessages: 0, ApproximateNumberOfMessagesNotVisible: 0 });
    expect(errors).toEqual([]);
  });

  it("invokes with Lambda's SQS event: records of aws:sqs with the queue's ARN, attributes in the event's case", async () => {
    freshQueues();
    notifications.queue.send({ MessageBody: "ok", MessageAttributes: { correlationId: { DataType: "String", StringValue: "c-1" } } });
    const running = start(fixture("reportPoison"));
    expect(await nextBatch(running)).toMatchObject({ failed: [] });
    const [record] = receivedBatches()[0]!.event.Records;
    expect(record).toMatchObject({
      body: "ok",
      eventSource: "aws:sqs",
      eventSourceARN: notifications.queue.arn,
      awsRegion: "us-east-1",
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: expect.stringMatching(/^\d+$/), SenderId: expect.any(String) },
      messageAttributes: { correlationId: { dataType: "String", stringValue: "c-1", stringListValues: [], binaryListValues: [] } },
    });
  });

  it.each([
    ["throws", "throwOnPoison"],
    ["names an id that is not in the batch", "answerUnknownId"],
  ])("fails the whole batch when the function %s: nothing is deleted", async (_how, handler) => {
    freshQueues();
    for (const body of ["ok-1", "poison-1"]) notifications.queue.send({ MessageBody: body });
    const running = start(fixture(handler));
    const outcome = await nextBatch(running);
    expect(outcome.succeeded).toEqual([]);
    expect(outcome.failed).toHaveLength(2);
    await running.stop();
    expect(notifications.queue.counts()).toMatchObject({ ApproximateNumberOfMessages: 0, ApproximateNumberOfMessagesNotVisible: 2 });
    if (handler === "throwOnPoison") expect(errors.join("\n")).toMatch(/ERROR Invoke Error .*fixture: a poison record/s);
  });
});

describe("the driver-notification consumer on the local topic and queue", () => {
  let dynamodb: RunningDynalite;
  let search: Client;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    dynamodb = await startConsumerTables();
    // No LiveApi here: the consumer stores and pushes nothing.
    delete process.env[callbackUrlVariable];
    resetDocumentClient();
    search = createTestClient();
    await prepareMessageIndices(search);
  });

  afterAll(async () => {
    await search.close();
    await closeSearchClient();
    await dynamodb.stop();
    process.env = savedEnv;
    resetDocumentClient();
  });

  it("stores what the workflow publishes, and sends a poison message to the DLQ after five receives", async () => {
    freshQueues();
    const notification = driverNotification({ driverId: randomUUID() });
    notifications.publish({ TopicArn: notifications.topic.arn, Message: JSON.stringify(notification) });
    notifications.publish({ TopicArn: notifications.topic.arn, Message: JSON.stringify({ eventId: "x", type: "not-a-notification" }) });
    start(driverNotificationsConsumer.handler, { timeoutSeconds: driverNotificationsConsumer.timeoutSeconds });

    const [dead] = await deadLetters(1);
    expect(JSON.parse(JSON.parse(dead!.Body).Message)).toEqual({ eventId: "x", type: "not-a-notification" });
    const index = `${testPrefix}${messageFamily}-*`;
    await search.indices.refresh({ index });
    const { body } = await search.count({ index, body: { query: { term: { eventId: notification.eventId } } } });
    expect(body.count).toBe(1);
    expect(notifications.queue.counts()).toMatchObject({ ApproximateNumberOfMessages: 0, ApproximateNumberOfMessagesNotVisible: 0 });
  });
});
