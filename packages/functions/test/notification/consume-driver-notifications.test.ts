/**
 * The driver-notification consumer invoked as Lambda's SQS event source invokes it (SQS events
 * whose bodies are SNS envelopes), against real local servers: dynalite for the idempotency records
 * and connections, the local WebSocket gateway for pushes that real clients receive, and OpenSearch
 * for the history. A poison message fails alone; a redelivery is neither pushed nor stored again.
 */
import { randomUUID } from "node:crypto";
import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createMessageHistory } from "@haul/core/notification/message-history";
import { closeSearchClient, getSearchClient } from "@haul/core/search/search-client";
import { tableNameVariable, tables } from "../../src/declarations.js";
import { handler } from "../../src/notification/consume-driver-notifications.js";
import { driverNotification, testPrefix } from "../../../core/test/notification/support.js";
import { startConsumerEnvironment, eventually, settle, type ConsumerEnvironment } from "./consumer-environment.js";
import { lambdaContext, snsEnvelope, sqsEvent, sqsRecord } from "./support.js";

let environment: ConsumerEnvironment;

beforeAll(async () => {
  environment = await startConsumerEnvironment();
});

afterAll(async () => {
  await environment?.stop();
  await closeSearchClient();
});

const consume = (records: Parameters<typeof sqsEvent>[0]) =>
  handler(sqsEvent(records), lambdaContext("test-haul-DriverNotificationsConsumer")) as Promise<SQSBatchResponse>;
const eventIdsOf = (frames: any[]) => frames.map((frame) => (frame as { message: { eventId: string } }).message.eventId);

describe("the driver-notification consumer", () => {
  it("pushes a message to every live connection of the driver, once, and stores it in the history", async () => {
    const driverId = randomUUID();
    const [phone, tablet] = [await environment.connect(driverId), await environment.connect(driverId)];
    const bystander = await environment.connect(randomUUID());
    const notification = driverNotification({ driverId });

    expect(await consume([sqsRecord(snsEnvelope(notification))])).toEqual({ batchItemFailures: [] });

    await eventually(() => phone.frames.length === 1 && tablet.frames.length === 1);
    expect(phone.frames[0]).toMatchObject({
      type: "driver-message",
      message: {
        eventId: notification.eventId,
        reservationId: notification.reservationId,
        title: "New job: Tue, 1 Dec 2026, 08:00 UTC",
        pickup: { address: "12 Dock Road, Leeds" },
        dropoff: { address: "3 Mill Lane, York" },
        window: notification.window,
        cargo: notification.cargo,
        read: false,
      },
    });
    expect(bystander.frames).toEqual([]);
    expect(await environment.storedCopies(notification.eventId)).toBe(1);
  });

  it("fails a poison message alone: only it is reported, the rest of its batch succeeds", async () => {
    const driverId = randomUUID();
    const app = await environment.connect(driverId);
    const [first, second] = [driverNotification({ driverId }), driverNotification({ driverId, type: "reservation-cancelled" })];
    const notJson = sqsRecord("this is not JSON");
    const notANotification = sqsRecord(snsEnvelope(JSON.stringify({ eventId: "x:reservation-confirmed", type: "reservation-confirmed" })));
    const rawNotification = sqsRecord(JSON.stringify(first)); // raw delivery is off: a bare message is no envelope
    const good = [sqsRecord(snsEnvelope(first)), sqsRecord(snsEnvelope(second))];

    const response = await consume([good[0]!, notJson, notANotification, rawNotification, good[1]!]);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      [notJson.messageId, notANotification.messageId, rawNotification.messageId].sort(),
    );
    await eventually(() => app.frames.length === 2);
    expect(eventIdsOf(app.frames).sort()).toEqual([first.eventId, second.eventId].sort());
    expect(await environment.storedCopies(first.eventId)).toBe(1);
    expect(await environment.storedCopies(second.eventId)).toBe(1);
  });

  it("neither pushes nor stores a redelivered message again, even after the driver read it", async () => {
    const driverId = randomUUID();
    const app = await environment.connect(driverId);
    const notification = driverNotification({ driverId });
    expect(await consume([sqsRecord(snsEnvelope(notification))])).toEqual({ batchItemFailures: [] });
    await eventually(() => app.frames.length === 1);
    expect(await environment.storedCopies(notification.eventId)).toBe(1);
    const history = createMessageHistory({ client: getSearchClient, indexPrefix: testPrefix });
    expect(await history.markRead({ userId: driverId, role: "driver" }, driverId, [notification.eventId])).toEqual({ read: [notification.eventId], notFound: [] });

    // The same event again: a visibility timeout ran out, or SNS delivered twice (a new SQS message id, a new envelope).
    expect(await consume([sqsRecord(snsEnvelope(notification), 2)])).toEqual({ batchItemFailures: [] });
    expect(await consume([sqsRecord(snsEnvelope(notification))])).toEqual({ batchItemFailures: [] });

    await settle();
    expect(app.frames).toHaveLength(1);
    expect(await environment.storedCopies(notification.eventId)).toBe(1);
    const page = await history.listDriverMessages({ userId: driverId, role: "driver" }, driverId, { reservationId: notification.reservationId });
    expect(page.items.map((item) => item.read)).toEqual([true]);
  });

  it("processes two copies in one batch once: the copy that finds the first in progress fails, and its retry does nothing", async () => {
    const driverId = randomUUID();
    const app = await environment.connect(driverId);
    const notification = driverNotification({ driverId });
    const copies = [sqsRecord(snsEnvelope(notification)), sqsRecord(snsEnvelope(notification))];

    const response = await consume(copies);
    const failed = response.batchItemFailures.map((failure) => failure.itemIdentifier);
    // Records are processed one after another (so each logs under its own correlation id): the second meets
    // the first's COMPLETED record. Were they parallel, it could meet INPROGRESS and fail, to be retried.
    expect(failed.length).toBeLessThanOrEqual(1);
    for (const id of failed) {
      const copy = copies.find((record) => record.messageId === id)!;
      expect(await consume([sqsRecord(copy.body, 2)])).toEqual({ batchItemFailures: [] });
    }
    await settle();
    expect(eventIdsOf(app.frames)).toEqual([notification.eventId]);
    expect(await environment.storedCopies(notification.eventId)).toBe(1);
  });

  it("lets the retry do the work when the first attempt failed midway, and pushes it once", async () => {
    const driverId = randomUUID();
    const app = await environment.connect(driverId);
    const notification = driverNotification({ driverId });
    const record = sqsRecord(snsEnvelope(notification));

    // Stored, then the connections cannot be listed: the record fails and its idempotency record is let go.
    // Alone in its batch, its failure fails the batch: the invocation throws, and Lambda retries all of it.
    const connectionsTable = tableNameVariable(tables.liveConnections);
    const table = process.env[connectionsTable];
    process.env[connectionsTable] = "test-haul-NoSuchTable";
    try {
      await expect(consume([record])).rejects.toThrow(FullBatchFailureError);
    } finally {
      process.env[connectionsTable] = table;
    }
    expect(await environment.storedCopies(notification.eventId)).toBe(1);
    expect(app.frames).toEqual([]);

    expect(await consume([sqsRecord(record.body, 2)])).toEqual({ batchItemFailures: [] });
    await eventually(() => app.frames.length === 1);
    await settle();
    expect(eventIdsOf(app.frames)).toEqual([notification.eventId]);
    expect(await environment.storedCopies(notification.eventId)).toBe(1);
  });

  it("keeps the message of a driver who is offline in the history, unread", async () => {
    const driverId = randomUUID();
    const notification = driverNotification({ driverId, type: "reservation-withdrawn" });
    expect(await consume([sqsRecord(snsEnvelope(notification))])).toEqual({ batchItemFailures: [] });
    await environment.storedCopies(notification.eventId); // refreshes
    const history = createMessageHistory({ client: getSearchClient, indexPrefix: testPrefix });
    const unread = await history.listDriverMessages({ userId: driverId, role: "driver" }, driverId, { unread: true });
    expect(unread.items.map((item) => [item.eventId, item.type])).toEqual([[notification.eventId, "reservation-withdrawn"]]);
    expect(environment.errorLines).toEqual([]);
  });
});

describe("customer status frames", () => {
  it("pushes a reservation-status frame to every live connection of the customer, for each event they hear", async () => {
    const [driverId, customerId] = [randomUUID(), randomUUID()];
    const [phone, laptop] = [await environment.connect(customerId, "customer"), await environment.connect(customerId, "customer")];
    const driverApp = await environment.connect(driverId);
    const otherCustomer = await environment.connect(randomUUID(), "customer");
    const reservationId = randomUUID();
    const events = [
      driverNotification({ driverId, customerId, reservationId, type: "reservation-confirmed", occurredAt: "2026-11-20T10:00:00.000Z" }),
      driverNotification({ driverId, customerId, reservationId, type: "reservation-picked-up", occurredAt: "2026-12-01T07:40:00.000Z" }),
      driverNotification({ driverId, customerId, reservationId, type: "reservation-delivered", occurredAt: "2026-12-01T11:05:00.000Z" }),
    ];

    for (const event of events) expect(await consume([sqsRecord(snsEnvelope(event))])).toEqual({ batchItemFailures: [] });

    await eventually(() => phone.frames.length === 3 && laptop.frames.length === 3);
    const expected = [
      ["reservation-confirmed", "CONFIRMED", "2026-11-20T10:00:00.000Z"],
      ["reservation-picked-up", "IN_TRANSIT", "2026-12-01T07:40:00.000Z"],
      ["reservation-delivered", "COMPLETED", "2026-12-01T11:05:00.000Z"],
    ].map(([type, status, occurredAt]) => ({ type: "reservation-status", eventId: `${reservationId}:${type}`, reservationId, status, occurredAt, correlationId: "test-correlation" }));
    expect(phone.frames).toEqual(expected);
    expect(laptop.frames).toEqual(expected);
    // The driver hears only of the job (not of their own pickup and delivery); nobody else hears anything.
    await settle();
    expect(driverApp.frames.map((frame) => frame.type)).toEqual(["driver-message"]);
    expect(otherCustomer.frames).toEqual([]);
    expect(await environment.storedCopies(events[1]!.eventId)).toBe(0);
    expect(await environment.storedCopies(events[2]!.eventId)).toBe(0);
  });

  it("tells the customer of a rejection and of a withdrawal (as FAILED); a rejection never reaches the driver", async () => {
    const [driverId, customerId] = [randomUUID(), randomUUID()];
    const customer = await environment.connect(customerId, "customer");
    const driverApp = await environment.connect(driverId);
    const rejected = driverNotification({ driverId, customerId, type: "reservation-rejected" });
    const withdrawn = driverNotification({ driverId, customerId, type: "reservation-withdrawn" });

    expect(await consume([sqsRecord(snsEnvelope(rejected)), sqsRecord(snsEnvelope(withdrawn))])).toEqual({ batchItemFailures: [] });

    await eventually(() => customer.frames.length === 2 && driverApp.frames.length === 1);
    expect(customer.frames.map((frame) => [frame.eventId, frame.status]).sort()).toEqual(
      [
        [rejected.eventId, "REJECTED"],
        [withdrawn.eventId, "FAILED"],
      ].sort(),
    );
    await settle();
    expect(eventIdsOf(driverApp.frames)).toEqual([withdrawn.eventId]);
    expect(await environment.storedCopies(rejected.eventId)).toBe(0);
  });

  it("pushes a customer's frame once per event id, however often the event is redelivered", async () => {
    const customerId = randomUUID();
    const customer = await environment.connect(customerId, "customer");
    const pickedUp = driverNotification({ driverId: randomUUID(), customerId, type: "reservation-picked-up" });
    expect(await consume([sqsRecord(snsEnvelope(pickedUp))])).toEqual({ batchItemFailures: [] });
    await eventually(() => customer.frames.length === 1);
    expect(await consume([sqsRecord(snsEnvelope(pickedUp), 2)])).toEqual({ batchItemFailures: [] });
    expect(await consume([sqsRecord(snsEnvelope(pickedUp))])).toEqual({ batchItemFailures: [] });
    await settle();
    expect(customer.frames.map((frame) => frame.eventId)).toEqual([pickedUp.eventId]);
  });
});

type Line = Record<string, unknown> & { message: string };

/** The lines `work` logs: with POWERTOOLS_DEV, Powertools writes JSON through the global console. */
async function captureLines(work: () => Promise<unknown>): Promise<{ lines: Line[]; other: string[] }> {
  const lines: Line[] = [];
  const other: string[] = [];
  const record = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      other.push(text);
    }
  };
  const spies = (["debug", "info", "warn", "error", "log"] as const).map((method) => vi.spyOn(console, method).mockImplementation(record));
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return { lines, other };
}

describe("correlation", () => {
  it("logs each record under its own correlation id, and a poison message under none", async () => {
    const driverId = randomUUID();
    const app = await environment.connect(driverId);
    const [first, second] = [driverNotification({ driverId }), driverNotification({ driverId, type: "reservation-cancelled" })];
    const records = [sqsRecord(snsEnvelope(first, "corr-first")), sqsRecord("not JSON"), sqsRecord(snsEnvelope(second, "corr-second"))];

    const { lines, other } = await captureLines(async () => {
      const response = await consume(records);
      expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([records[1]!.messageId]);
    });

    const about = (messageId: string) => lines.filter((line) => line.messageId === messageId);
    expect(about(records[0]!.messageId).map((line) => line.correlation_id)).toEqual(["corr-first"]);
    expect(about(records[2]!.messageId).map((line) => line.correlation_id)).toEqual(["corr-second"]);
    expect(about(records[1]!.messageId)).toEqual([expect.not.objectContaining({ correlation_id: expect.anything() })]);
    // Every line names the service and request; the metrics publish without a warning.
    for (const line of lines) expect(line).toMatchObject({ service: expect.any(String), function_request_id: expect.any(String) });
    expect(other).toEqual([]);

    await eventually(() => app.frames.length === 2);
    const correlationOf = new Map(app.frames.map((frame) => [frame.message.eventId, frame.correlationId]));
    expect(correlationOf).toEqual(new Map([[first.eventId, "corr-first"], [second.eventId, "corr-second"]]));
  });

  it("puts the causing request's correlation id on the customer's status frame", async () => {
    const customerId = randomUUID();
    const customer = await environment.connect(customerId, "customer");
    const delivered = driverNotification({ driverId: randomUUID(), customerId, type: "reservation-delivered" });
    expect(await consume([sqsRecord(snsEnvelope(delivered, "corr-delivery"))])).toEqual({ batchItemFailures: [] });
    await eventually(() => customer.frames.length === 1);
    expect(customer.frames[0]).toMatchObject({ type: "reservation-status", eventId: delivered.eventId, correlationId: "corr-delivery" });
    await settle();
  });
});
