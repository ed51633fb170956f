/**
 * The local Step Functions endpoint through `@aws-sdk/client-sfn`, as the reservation handler
 * and the AWS CLI use it: the JSON protocol, AWS's response shapes, errors and pagination,
 * and StartExecution's idempotency by name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { JsonValue } from "../src/stepfunctions/definition.js";
import { createInput, historyOf, reservationView, startWorkflowFixture, type WorkflowFixture } from "./fixtures/local-workflow.js";

let fixture: WorkflowFixture;
let stateMachineArn: string;
/** PersistReservation waits for the gate of its reservation, so a test can hold an execution open. */
const gates = new Map<string, Promise<void>>();

beforeAll(async () => {
  fixture = await startWorkflowFixture({
    taskOverrides: {
      PersistReservation: async (input) => {
        const { reservationId } = input as { reservationId: string };
        await gates.get(reservationId);
        return reservationView(reservationId, "REJECTED");
      },
      InvalidateReservationCache: () => null,
      MarkReservationFailed: (input: JsonValue) => reservationView((input as { reservationId: string }).reservationId, "FAILED"),
    },
  });
  stateMachineArn = fixture.stepFunctions.stateMachineArn;
});

afterAll(async () => {
  await fixture?.stop();
});

const executionArnOf = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:local-haul-ReservationWorkflow:${name}`;

function hold(name: string): () => void {
  let release!: () => void;
  gates.set(name, new Promise((resolve) => (release = resolve)));
  return release;
}

async function start(name: string, input = createInput(name)) {
  return fixture.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
}

describe("the local Step Functions endpoint", () => {
  it("names the state machine and fills in the ASL's placeholders", async () => {
    expect(stateMachineArn).toBe("arn:aws:states:us-east-1:000000000000:stateMachine:local-haul-ReservationWorkflow");
    const { stateMachines } = await fixture.sfn.send(new ListStateMachinesCommand({}));
    expect(stateMachines).toEqual([{ stateMachineArn, name: "local-haul-ReservationWorkflow", type: "STANDARD", creationDate: expect.any(Date) }]);

    const described = await fixture.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(described).toMatchObject({ name: "local-haul-ReservationWorkflow", status: "ACTIVE", type: "STANDARD" });
    expect(described.definition).not.toContain("${");
    const definition = JSON.parse(described.definition!) as { States: Record<string, { Resource?: string; Parameters?: Record<string, unknown> }> };
    expect(definition.States.PersistReservation?.Resource).toBe("arn:aws:lambda:us-east-1:000000000000:function:local-haul-PersistReservation");
    expect(definition.States.NotifyDriver?.Parameters?.TopicArn).toBe("arn:aws:sns:us-east-1:000000000000:local-haul-DriverNotifications");
    expect(definition.States.OpenTrackingSession?.Parameters?.TableName).toBe("local-haul-TrackingSessions");
  });

  it("starts an execution and describes it in AWS's shape", async () => {
    const started = await start("api-describe");
    expect(started.executionArn).toBe(executionArnOf("api-describe"));
    expect(started.startDate).toBeInstanceOf(Date);
    await fixture.stepFunctions.waitForExecution(started.executionArn!);

    const described = await fixture.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const { $metadata: _metadata, ...execution } = described;
    expect(execution).toEqual({
      executionArn: started.executionArn,
      stateMachineArn,
      name: "api-describe",
      status: "SUCCEEDED",
      startDate: started.startDate,
      stopDate: expect.any(Date),
      input: createInput("api-describe"),
      inputDetails: { included: true },
      output: expect.any(String),
      outputDetails: { included: true },
      redriveCount: 0,
      redriveStatus: "NOT_REDRIVABLE",
      redriveStatusReason: "Execution is SUCCEEDED and cannot be redriven",
    });
    expect(JSON.parse(execution.output!)).toMatchObject({ reservationId: "api-describe", reservation: { status: "REJECTED" } });
  });

  it("treats a second start with the same name and input as the same execution while it runs", async () => {
    const release = hold("api-idempotent");
    const first = await start("api-idempotent");
    const again = await start("api-idempotent");
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    // Identical means the same text: the same document spelled differently is another input.
    await expect(start("api-idempotent", ` ${createInput("api-idempotent")}`)).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    expect((await fixture.sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).status).toBe("RUNNING");
    release();
    await fixture.stepFunctions.waitForExecution(first.executionArn!);

    // Once closed, AWS answers ExecutionAlreadyExists whatever the input.
    const closed = start("api-idempotent");
    await expect(closed).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(closed).rejects.toThrow(`Execution Already Exists: '${first.executionArn}'`);
    const executions = (await fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
    expect(executions.filter((execution) => execution.name === "api-idempotent")).toHaveLength(1);
  });

  it("answers a different input under a running execution's name with ExecutionAlreadyExists", async () => {
    const release = hold("api-conflict");
    await start("api-conflict");
    await expect(start("api-conflict", JSON.stringify({ command: "create", reservationId: "api-conflict", correlationId: "other" }))).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    release();
  });

  it("lists executions newest first, filtered by status, page by page", async () => {
    const release = hold("api-list-running");
    await start("api-list-running");
    for (const name of ["api-list-1", "api-list-2", "api-list-3"]) {
      await fixture.stepFunctions.waitForExecution((await start(name)).executionArn!);
    }

    const running = await fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING" }));
    expect(running.executions?.map((execution) => execution.name)).toContain("api-list-running");
    expect(running.executions?.every((execution) => execution.status === "RUNNING" && execution.stopDate === undefined)).toBe(true);

    const first = await fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "SUCCEEDED", maxResults: 2 }));
    expect(first.executions?.map((execution) => execution.name)).toEqual(["api-list-3", "api-list-2"]);
    expect(first.executions?.[0]).toEqual({
      executionArn: executionArnOf("api-list-3"),
      stateMachineArn,
      name: "api-list-3",
      status: "SUCCEEDED",
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
    });
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "SUCCEEDED", maxResults: 2, nextToken: first.nextToken }));
    expect(second.executions?.[0]?.name).toBe("api-list-1");
    release();
  });

  it("pages through an execution's history, in either order, with or without data", async () => {
    const { executionArn } = await start("api-history");
    await fixture.stepFunctions.waitForExecution(executionArn!);
    const all = await historyOf(fixture, executionArn!);

    expect(all.map((event) => event.id)).toEqual(all.map((_, index) => index + 1));
    expect(all[0]).toEqual({
      timestamp: expect.any(Date),
      type: "ExecutionStarted",
      id: 1,
      previousEventId: 0,
      executionStartedEventDetails: {
        input: createInput("api-history"),
        inputDetails: { truncated: false },
        roleArn: "arn:aws:iam::000000000000:role/local-haul-ReservationWorkflowRole",
      },
    });
    // As in AWS: the first state entered points at 0, every later event at the one before.
    expect(all[1]).toMatchObject({ type: "ChoiceStateEntered", previousEventId: 0, stateEnteredEventDetails: { name: "RouteCommand" } });
    expect(all.slice(2).every((event) => event.previousEventId === event.id! - 1)).toBe(true);
    const scheduled = all.find((event) => event.type === "LambdaFunctionScheduled")!;
    expect(scheduled.lambdaFunctionScheduledEventDetails).toEqual({
      resource: "arn:aws:lambda:us-east-1:000000000000:function:local-haul-PersistReservation",
      input: JSON.stringify({ reservationId: "api-history", correlationId: "corr-api-history" }),
      inputDetails: { truncated: false },
    });
    expect(all.at(-1)?.type).toBe("ExecutionSucceeded");
    expect(all.every((event) => event.timestamp!.getTime() >= all[0]!.timestamp!.getTime())).toBe(true);

    const newest = await fixture.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 3 }));
    expect(newest.events?.map((event) => event.id)).toEqual([all.length, all.length - 1, all.length - 2]);
    const older = await fixture.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 3, nextToken: newest.nextToken }));
    expect(older.events?.map((event) => event.id)).toEqual([all.length - 3, all.length - 4, all.length - 5]);

    const bare = await fixture.sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false, maxResults: 1 }));
    expect(bare.events?.[0]?.executionStartedEventDetails).toEqual({ inputDetails: { truncated: false }, roleArn: expect.any(String) });
  });

  it("answers bad requests with AWS's errors", async () => {
    const unknown = executionArnOf("api-never-started");
    const missing = fixture.sfn.send(new DescribeExecutionCommand({ executionArn: unknown }));
    await expect(missing).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(missing).rejects.toMatchObject({ message: `Execution Does Not Exist: '${unknown}'`, $metadata: { httpStatusCode: 400 } });
    await expect(fixture.sfn.send(new GetExecutionHistoryCommand({ executionArn: unknown }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(fixture.sfn.send(new DescribeExecutionCommand({ executionArn: "not-an-arn" }))).rejects.toBeInstanceOf(InvalidArn);
    await expect(
      fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:Other" })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      fixture.sfn.send(new StartExecutionCommand({ stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:Other", input: "{}" })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(start("api bad name")).rejects.toBeInstanceOf(InvalidName);
    await expect(start("api-bad-input", "{not json")).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: "garbage" }))).rejects.toBeInstanceOf(InvalidToken);
    await expect(fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "succeeded" as never }))).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("Value 'succeeded' at 'statusFilter' failed to satisfy constraint"),
    });
    await expect(fixture.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1001 }))).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("answers operations it does not implement with UnknownOperationException", async () => {
    await expect(fixture.sfn.send(new StopExecutionCommand({ executionArn: executionArnOf("api-describe") }))).rejects.toMatchObject({
      name: "UnknownOperationException",
      $metadata: { httpStatusCode: 400 },
    });

    const response = await fetch(fixture.stepFunctions.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AWSStepFunctions.CreateStateMachine" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/x-amz-json-1.0");
    const body = (await response.json()) as { __type: string; message: string };
    expect(body.__type).toBe("UnknownOperationException");
    expect(body.message).toContain("AWSStepFunctions.CreateStateMachine is not an operation of this local endpoint");
  });
});
