/**
 * The reservation workflow's ASL, run by the local Step Functions on every path. The Lambda
 * tasks are fakes (taskOverrides); the DynamoDB tasks make real calls against dynalite and
 * the SNS tasks publish to the local topic, whose queue keeps the messages.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { reservationWorkflow } from "@haul/functions/declarations";
import type { JsonValue } from "../src/stepfunctions/definition.js";
import type { TaskOverrides } from "../src/stepfunctions/step-functions.js";
import {
  createInput,
  reservationView,
  runExecution,
  startWorkflowFixture,
  trace,
  transientError,
  type WorkflowFixture,
} from "./fixtures/local-workflow.js";
import { seen } from "./fixtures/workflow-handlers.js";

const table = "local-haul-TrackingSessions";
let fixture: WorkflowFixture;
/** What each test's fake tasks do; the fixture's overrides delegate here. */
let fakes: TaskOverrides = {};
let counter = 0;

/** Service-integration states run for real unless a test fakes them. */
const serviceStates = [
  "NotifyDriver",
  "OpenTrackingSession",
  "PublishRejection",
  "WithdrawDriverNotification",
  "CloseTrackingSessionAfterFailure",
  "NotifyDriverOfCancellation",
  "CloseTrackingSession",
  "PublishPickup",
  "StartTrackingDelivery",
  "PublishDelivery",
  "CloseTrackingSessionAfterDelivery",
];

const delegate = (key: string) => (input: JsonValue, invocation: Parameters<TaskOverrides[string]>[1]) => {
  const fake = fakes[invocation.stateName] ?? fakes[key];
  return fake ? fake(input, invocation) : invocation.next(input);
};

beforeAll(async () => {
  fixture = await startWorkflowFixture({
    taskOverrides: Object.fromEntries([...Object.keys(reservationWorkflow.tasks), ...serviceStates].map((task) => [task, delegate(task)])),
  });
});

afterAll(async () => {
  await fixture?.stop();
});

afterEach(() => {
  fakes = {};
  fixture.notifications.queue.purge();
});

const newReservationId = () => `7f3c2a10-0000-4000-8000-${String(++counter).padStart(12, "0")}`;

/** The happy fakes: persisted as `status`, cache invalidated, failures marked. */
function fakeTasks(status: string, overrides: TaskOverrides = {}): TaskOverrides {
  return {
    PersistReservation: (input) => reservationView((input as { reservationId: string }).reservationId, status),
    InvalidateReservationCache: () => null,
    MarkReservationFailed: (input) => reservationView((input as { reservationId: string }).reservationId, "FAILED", "reservation-withdrawn"),
    ...overrides,
  };
}

async function trackingSession(reservationId: string) {
  const { Item } = await fixture.dynamodb.send(new GetItemCommand({ TableName: table, Key: { reservationId: { S: reservationId } } }));
  return Item;
}

async function notificationsSent() {
  const messages = await fixture.notifications.queue.receive({ MaxNumberOfMessages: 10 });
  return messages.map((message) => {
    const envelope = JSON.parse(message.Body) as { Message: string; MessageAttributes: Record<string, { Type: string; Value: string }> };
    return { notification: JSON.parse(envelope.Message) as { eventId: string; type: string; cargo: { description: string } }, attributes: envelope.MessageAttributes };
  });
}

describe("the reservation workflow on the local Step Functions", () => {
  it("confirms: persists, invalidates, notifies the driver and opens the tracking session", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED");
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(description.status).toBe("SUCCEEDED");
    expect(trace(history)).toEqual([
      "ExecutionStarted",
      "ChoiceStateEntered:RouteCommand",
      "ChoiceStateExited:RouteCommand",
      "TaskStateEntered:PersistReservation",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionSucceeded",
      "TaskStateExited:PersistReservation",
      "TaskStateEntered:InvalidateCache",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionSucceeded",
      "TaskStateExited:InvalidateCache",
      "ChoiceStateEntered:IsConfirmed",
      "ChoiceStateExited:IsConfirmed",
      "TaskStateEntered:NotifyDriver",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited:NotifyDriver",
      "TaskStateEntered:OpenTrackingSession",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited:OpenTrackingSession",
      "SucceedStateEntered:ReservationDecided",
      "SucceedStateExited:ReservationDecided",
      "ExecutionSucceeded",
    ]);

    const session = await trackingSession(reservationId);
    expect(session).toMatchObject({
      reservationId: { S: reservationId },
      customerId: { S: "0b6f4f2e-6a47-4c59-9d0e-3f1b1c7a2d11" },
      driverId: { S: "5d1a3a8e-2f0e-4f43-9a39-1f2b8c7d6e55" },
      sessionStatus: { S: "OPEN" },
      correlationId: { S: `corr-${reservationId}` },
    });
    expect(Number(session?.expiresAt?.N)).toBe(Date.parse("2031-03-04T12:00:00.000Z") / 1000 + 86_400);

    const [sent, ...more] = await notificationsSent();
    expect(more).toEqual([]);
    // Quotes, backslashes and newlines survive States.JsonToString (see local-adaptations.ts).
    expect(sent?.notification).toEqual(reservationView(reservationId, "CONFIRMED").notification);
    expect(sent?.attributes).toEqual({
      driverId: { Type: "String", Value: "5d1a3a8e-2f0e-4f43-9a39-1f2b8c7d6e55" },
      customerId: { Type: "String", Value: "0b6f4f2e-6a47-4c59-9d0e-3f1b1c7a2d11" },
      eventType: { Type: "String", Value: "reservation-confirmed" },
      correlationId: { Type: "String", Value: `corr-${reservationId}` },
    });

    const notified = JSON.parse(history.at(-1)!.executionSucceededEventDetails!.output!) as { notified: { messageId: string } };
    expect(notified.notified.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects a conflicting window as an outcome: the rejection is published, no tracking session", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("REJECTED");
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(description.status).toBe("SUCCEEDED");
    expect(JSON.parse(description.output!)).toMatchObject({ reservation: { status: "REJECTED" } });
    expect(trace(history).filter((step) => step.includes(":"))).toEqual([
      "ChoiceStateEntered:RouteCommand",
      "ChoiceStateExited:RouteCommand",
      "TaskStateEntered:PersistReservation",
      "TaskStateExited:PersistReservation",
      "TaskStateEntered:InvalidateCache",
      "TaskStateExited:InvalidateCache",
      "ChoiceStateEntered:IsConfirmed",
      "ChoiceStateExited:IsConfirmed",
      "TaskStateEntered:PublishRejection",
      "TaskStateExited:PublishRejection",
      "SucceedStateEntered:ReservationDecided",
      "SucceedStateExited:ReservationDecided",
    ]);
    expect(await trackingSession(reservationId)).toBeUndefined();
    const sent = await notificationsSent();
    expect(sent.map((message) => [message.notification.eventId, message.attributes.eventType?.Value])).toEqual([
      [`${reservationId}:reservation-rejected`, "reservation-rejected"],
    ]);
  });

  it("retries a transient fault with backoff, then succeeds", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED", {
      PersistReservation: (input, { attempt }) => {
        if (attempt <= 2) throw transientError();
        return reservationView((input as { reservationId: string }).reservationId, "CONFIRMED");
      },
    });
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(description.status).toBe("SUCCEEDED");
    const persist = history.slice(
      history.findIndex((event) => event.stateEnteredEventDetails?.name === "PersistReservation"),
      history.findIndex((event) => event.stateExitedEventDetails?.name === "PersistReservation") + 1,
    );
    expect(persist.map((event) => event.type)).toEqual([
      "TaskStateEntered",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionFailed",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionFailed",
      "LambdaFunctionScheduled",
      "LambdaFunctionStarted",
      "LambdaFunctionSucceeded",
      "TaskStateExited",
    ]);
    const failed = persist[3]!.lambdaFunctionFailedEventDetails!;
    expect(failed.error).toBe("TransientError");
    // The cause is the Node.js runtime's error payload, as Step Functions reports a function error.
    expect(JSON.parse(failed.cause!)).toMatchObject({ errorType: "TransientError", errorMessage: "the database is restarting" });
    expect(await trackingSession(reservationId)).toBeDefined();
  });

  it("compensates when retries run out and fails visibly with ReservationFailed", async () => {
    const reservationId = newReservationId();
    let invalidations = 0;
    fakes = fakeTasks("CONFIRMED", {
      InvalidateCache: () => {
        invalidations++;
        throw transientError("redis is unreachable");
      },
    });
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(invalidations).toBe(5); // the first attempt and MaxAttempts 4 retries
    expect(description.status).toBe("FAILED");
    expect(description.error).toBe("ReservationFailed");
    const cause = JSON.parse(description.cause!) as { Error: string; Cause: string };
    expect(cause.Error).toBe("TransientError");
    expect(JSON.parse(cause.Cause)).toMatchObject({ errorType: "TransientError", errorMessage: "redis is unreachable" });

    expect(trace(history).filter((step) => step.includes(":")).slice(4)).toEqual([
      "TaskStateEntered:InvalidateCache",
      "TaskStateExited:InvalidateCache",
      "TaskStateEntered:MarkReservationFailed",
      "TaskStateExited:MarkReservationFailed",
      "TaskStateEntered:InvalidateCacheAfterFailure",
      "TaskStateExited:InvalidateCacheAfterFailure",
      "ChoiceStateEntered:IsReservationFailed",
      "ChoiceStateExited:IsReservationFailed",
      "ChoiceStateEntered:WasDriverNotified",
      "ChoiceStateExited:WasDriverNotified",
      "TaskStateEntered:CloseTrackingSessionAfterFailure",
      "TaskStateExited:CloseTrackingSessionAfterFailure",
      "FailStateEntered:ReservationFailed",
    ]);
    expect(history.at(-1)).toMatchObject({
      type: "ExecutionFailed",
      executionFailedEventDetails: { error: "ReservationFailed", cause: description.cause },
    });
    expect(history.filter((event) => event.type === "LambdaFunctionFailed")).toHaveLength(5);
    // The delete is a real call: its integration result is in the history.
    const deleted = history.find((event) => event.taskSucceededEventDetails?.resource === "deleteItem");
    expect(deleted?.taskSucceededEventDetails?.resourceType).toBe("dynamodb");
    expect(await notificationsSent()).toEqual([]);
  });

  it("withdraws the driver's notification when the failure comes after it", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED", {
      OpenTrackingSession: () => {
        const error = new Error("We currently do not have sufficient capacity");
        error.name = "DynamoDB.InternalServerErrorException";
        throw error;
      },
    });
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(description.status).toBe("FAILED");
    expect(description.error).toBe("ReservationFailed");
    expect(history.filter((event) => event.type === "TaskFailed").map((event) => event.taskFailedEventDetails)).toEqual(
      Array(5).fill({ resourceType: "dynamodb", resource: "putItem", error: "DynamoDB.InternalServerErrorException", cause: "We currently do not have sufficient capacity" }),
    );
    expect(trace(history)).toContain("TaskStateEntered:WithdrawDriverNotification");
    const sent = await notificationsSent();
    expect(sent.map((message) => message.notification.type)).toEqual(["reservation-confirmed", "reservation-withdrawn"]);
    expect(await trackingSession(reservationId)).toBeUndefined();
  });

  it("fails with States.Runtime, past every Catch, when a Parameters path matches nothing", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED", {
      PersistReservation: (input) => {
        const { notification: _notification, ...view } = reservationView((input as { reservationId: string }).reservationId, "CONFIRMED");
        return view;
      },
    });
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(description.status).toBe("FAILED");
    expect(description.error).toBe("States.Runtime");
    expect(description.cause).toContain("The JSONPath '$.reservation.notification' specified for the field 'Message.$' could not be found in the input");
    expect(trace(history).slice(-2)).toEqual(["TaskStateEntered:NotifyDriver", "ExecutionFailed"]);
    expect(await notificationsSent()).toEqual([]);
  });

  it("leaves an existing tracking session alone: the conditional put's failure is caught", async () => {
    const reservationId = newReservationId();
    await fixture.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { reservationId: { S: reservationId }, sessionStatus: { S: "CLOSED" } } }),
    );
    fakes = fakeTasks("CONFIRMED");
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(description.status).toBe("SUCCEEDED");
    const failed = history.find((event) => event.type === "TaskFailed")?.taskFailedEventDetails;
    expect(failed).toMatchObject({ resourceType: "dynamodb", resource: "putItem", error: "DynamoDB.ConditionalCheckFailedException" });
    expect(failed?.cause).toMatch(/^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: .*; Proxy: null\)$/);
    expect((await trackingSession(reservationId))?.sessionStatus).toEqual({ S: "CLOSED" });
  });

  it("cancels: invalidates, notifies the driver and closes the tracking session", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED");
    await runExecution(fixture, reservationId, createInput(reservationId));
    await notificationsSent();

    const cancelled = reservationView(reservationId, "CANCELLED");
    const input = JSON.stringify({ command: "cancel", reservationId, correlationId: "corr-cancel", reservation: cancelled });
    const { description, history } = await runExecution(fixture, `${reservationId}-cancel`, input);

    expect(description.status).toBe("SUCCEEDED");
    expect(trace(history).filter((step) => step.includes(":"))).toEqual([
      "ChoiceStateEntered:RouteCommand",
      "ChoiceStateExited:RouteCommand",
      "TaskStateEntered:InvalidateCacheAfterCancel",
      "TaskStateExited:InvalidateCacheAfterCancel",
      "TaskStateEntered:NotifyDriverOfCancellation",
      "TaskStateExited:NotifyDriverOfCancellation",
      "TaskStateEntered:CloseTrackingSession",
      "TaskStateExited:CloseTrackingSession",
      "SucceedStateEntered:ReservationCancelled",
      "SucceedStateExited:ReservationCancelled",
    ]);
    expect((await notificationsSent()).map((message) => message.notification.type)).toEqual(["reservation-cancelled"]);
    expect((await trackingSession(reservationId))?.sessionStatus).toEqual({ S: "CLOSED" });
  });

  /** The input the pickup and deliver handlers start `<id>-<command>` with. */
  const commandInput = (command: "pickup" | "complete", reservationId: string) =>
    JSON.stringify({
      command,
      reservationId,
      correlationId: `corr-${command}`,
      reservation: reservationView(reservationId, command === "pickup" ? "IN_TRANSIT" : "COMPLETED"),
    });

  it("picks up: invalidates, publishes the pickup and moves the session to IN_TRANSIT", async () => {
    const reservationId = newReservationId();
    const invalidated: unknown[] = [];
    fakes = fakeTasks("CONFIRMED", { InvalidateReservationCache: (input) => (invalidated.push(input), null) });
    await runExecution(fixture, reservationId, createInput(reservationId));
    await notificationsSent();
    invalidated.length = 0;

    const { description, history } = await runExecution(fixture, `${reservationId}-pickup`, commandInput("pickup", reservationId));
    expect(description.status).toBe("SUCCEEDED");
    expect(trace(history).filter((step) => step.includes(":"))).toEqual([
      "ChoiceStateEntered:RouteCommand",
      "ChoiceStateExited:RouteCommand",
      "TaskStateEntered:InvalidateCacheAfterPickup",
      "TaskStateExited:InvalidateCacheAfterPickup",
      "TaskStateEntered:PublishPickup",
      "TaskStateExited:PublishPickup",
      "TaskStateEntered:StartTrackingDelivery",
      "TaskStateExited:StartTrackingDelivery",
      "SucceedStateEntered:ReservationPickedUp",
      "SucceedStateExited:ReservationPickedUp",
    ]);
    expect(invalidated).toEqual([{ reservation: reservationView(reservationId, "IN_TRANSIT"), correlationId: "corr-pickup" }]);
    const sent = await notificationsSent();
    expect(sent.map((message) => [message.notification.eventId, message.attributes.customerId?.Value])).toEqual([
      [`${reservationId}:reservation-picked-up`, "0b6f4f2e-6a47-4c59-9d0e-3f1b1c7a2d11"],
    ]);
    // The session the create execution opened, now in transit; its correlation id stays the create's.
    expect(await trackingSession(reservationId)).toMatchObject({
      sessionStatus: { S: "IN_TRANSIT" },
      pickedUpAt: { S: "2031-03-04T07:30:00.000Z" },
      customerId: { S: "0b6f4f2e-6a47-4c59-9d0e-3f1b1c7a2d11" },
      driverId: { S: "5d1a3a8e-2f0e-4f43-9a39-1f2b8c7d6e55" },
      windowStart: { S: "2031-03-04T08:00:00.000Z" },
      windowEnd: { S: "2031-03-04T12:00:00.000Z" },
      correlationId: { S: `corr-${reservationId}` },
    });
  });

  it("completes: invalidates, publishes the delivery and closes the session with deliveredAt", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED");
    await runExecution(fixture, reservationId, createInput(reservationId));
    await runExecution(fixture, `${reservationId}-pickup`, commandInput("pickup", reservationId));
    await notificationsSent();

    const { description, history } = await runExecution(fixture, `${reservationId}-complete`, commandInput("complete", reservationId));
    expect(description.status).toBe("SUCCEEDED");
    expect(trace(history).filter((step) => step.includes(":"))).toEqual([
      "ChoiceStateEntered:RouteCommand",
      "ChoiceStateExited:RouteCommand",
      "TaskStateEntered:InvalidateCacheAfterDelivery",
      "TaskStateExited:InvalidateCacheAfterDelivery",
      "TaskStateEntered:PublishDelivery",
      "TaskStateExited:PublishDelivery",
      "TaskStateEntered:CloseTrackingSessionAfterDelivery",
      "TaskStateExited:CloseTrackingSessionAfterDelivery",
      "SucceedStateEntered:ReservationDelivered",
      "SucceedStateExited:ReservationDelivered",
    ]);
    expect((await notificationsSent()).map((message) => message.notification.type)).toEqual(["reservation-delivered"]);
    expect(await trackingSession(reservationId)).toMatchObject({
      sessionStatus: { S: "CLOSED" },
      pickedUpAt: { S: "2031-03-04T07:30:00.000Z" },
      deliveredAt: { S: "2031-03-04T11:15:00.000Z" },
    });
  });

  it("never reopens a closed session: a late pickup execution's conditional update is caught", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED");
    await runExecution(fixture, `${reservationId}-complete`, commandInput("complete", reservationId));
    const { description, history } = await runExecution(fixture, `${reservationId}-pickup`, commandInput("pickup", reservationId));

    expect(description.status).toBe("SUCCEEDED");
    expect(history.find((event) => event.type === "TaskFailed")?.taskFailedEventDetails).toMatchObject({
      resource: "updateItem",
      error: "DynamoDB.ConditionalCheckFailedException",
    });
    expect((await trackingSession(reservationId))?.sessionStatus).toEqual({ S: "CLOSED" });
    // A pickup before the create execution opened the session opens it in transit; the late open is then skipped.
    const early = newReservationId();
    await runExecution(fixture, `${early}-pickup`, commandInput("pickup", early));
    await runExecution(fixture, early, createInput(early));
    expect(await trackingSession(early)).toMatchObject({ sessionStatus: { S: "IN_TRANSIT" }, correlationId: { S: "corr-pickup" } });
  });

  it("leaves a reservation that did not fail uncompensated: no withdrawal, the session stays", async () => {
    const reservationId = newReservationId();
    fakes = fakeTasks("CONFIRMED", {
      OpenTrackingSession: () => {
        const error = new Error("We currently do not have sufficient capacity");
        error.name = "DynamoDB.InternalServerErrorException";
        throw error;
      },
      // The driver picked the cargo up meanwhile: IN_TRANSIT cannot fail.
      MarkReservationFailed: (input) => reservationView((input as { reservationId: string }).reservationId, "IN_TRANSIT"),
    });
    const { description, history } = await runExecution(fixture, reservationId, createInput(reservationId));

    expect(description.status).toBe("FAILED");
    expect(description.error).toBe("ReservationFailed");
    expect(trace(history).filter((step) => step.includes(":")).slice(-5)).toEqual([
      "TaskStateEntered:InvalidateCacheAfterFailure",
      "TaskStateExited:InvalidateCacheAfterFailure",
      "ChoiceStateEntered:IsReservationFailed",
      "ChoiceStateExited:IsReservationFailed",
      "FailStateEntered:ReservationFailed",
    ]);
    expect((await notificationsSent()).map((message) => message.notification.type)).toEqual(["reservation-confirmed"]);
  });
});

describe("Lambda tasks without overrides", () => {
  const fixtureHandler = (name: string) => `packages/local/test/fixtures/workflow-handlers.${name}`;
  const workflow = {
    ...reservationWorkflow,
    tasks: {
      PersistReservation: { ...reservationWorkflow.tasks.PersistReservation, handler: fixtureHandler("persistReservation") },
      InvalidateReservationCache: { ...reservationWorkflow.tasks.InvalidateReservationCache, handler: fixtureHandler("invalidateCache") },
      MarkReservationFailed: { ...reservationWorkflow.tasks.MarkReservationFailed, handler: fixtureHandler("markReservationFailed") },
    },
  };

  it("run the declared handler module with a Lambda context", async () => {
    const local = await startWorkflowFixture({ workflow });
    try {
      seen.contexts.length = 0;
      const reservationId = newReservationId();
      const { description, history } = await runExecution(local, reservationId, createInput(reservationId));

      expect(description.status).toBe("SUCCEEDED");
      expect(JSON.parse(description.output!)).toMatchObject({ reservation: { status: "REJECTED" } });
      expect(seen.contexts).toEqual([
        {
          functionName: "local-haul-PersistReservation",
          invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:local-haul-PersistReservation",
          awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          remainingTimeInMillis: expect.any(Number),
        },
      ]);
      expect(seen.contexts[0]!.remainingTimeInMillis).toBeGreaterThan(9_000);
      // A handler returning nothing gives the task a null result, as Lambda does.
      const entered = history.findIndex((event) => event.stateEnteredEventDetails?.name === "InvalidateCache");
      const invalidated = history.slice(entered).find((event) => event.type === "LambdaFunctionSucceeded");
      expect(invalidated?.lambdaFunctionSucceededEventDetails?.output).toBe("null");
    } finally {
      await local.stop();
    }
  });

  it("turn a thrown error's name into the ASL error, so TransientError retries", async () => {
    const local = await startWorkflowFixture({
      workflow: { ...workflow, tasks: { ...workflow.tasks, PersistReservation: { ...workflow.tasks.PersistReservation, handler: fixtureHandler("failTransiently") } } },
    });
    try {
      const reservationId = newReservationId();
      const { description, history } = await runExecution(local, reservationId, createInput(reservationId));

      expect(description.error).toBe("ReservationFailed");
      const failures = history.filter((event) => event.type === "LambdaFunctionFailed").map((event) => event.lambdaFunctionFailedEventDetails!);
      expect(failures).toHaveLength(5);
      expect(failures.every((failure) => failure.error === "TransientError")).toBe(true);
      expect(JSON.parse(failures[0]!.cause!)).toMatchObject({ errorType: "TransientError", errorMessage: "connection reset by peer", trace: expect.any(Array) });
    } finally {
      await local.stop();
    }
  });

  it("fail with Runtime.ImportModuleError when the module is missing", async () => {
    const local = await startWorkflowFixture({
      workflow: { ...workflow, tasks: { ...workflow.tasks, PersistReservation: { ...workflow.tasks.PersistReservation, handler: fixtureHandler("doesNotExist") } } },
    });
    try {
      const reservationId = newReservationId();
      const { history } = await runExecution(local, reservationId, createInput(reservationId));
      const failure = history.find((event) => event.type === "LambdaFunctionFailed")?.lambdaFunctionFailedEventDetails;
      expect(failure?.error).toBe("Runtime.ImportModuleError");
      expect(failure?.cause).toContain('has no exported function \\"doesNotExist\\"');
    } finally {
      await local.stop();
    }
  });
});

describe("measureRunner", () => {
  it("runs the workflow with instant tasks and reports throughput and CPU per execution", async () => {
    const { measureRunner } = await import("../src/stepfunctions/measure-runner.js");
    const measurement = await measureRunner({ executions: 50, concurrency: 4 });
    expect(measurement).toEqual({ executions: 50, concurrency: 4, executionsPerSecond: expect.any(Number), cpuMsPerExecution: expect.any(Number) });
    expect(measurement.executionsPerSecond).toBeGreaterThan(0);
  });
});
