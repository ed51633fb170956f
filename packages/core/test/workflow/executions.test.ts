/**
 * The state-by-state view of real histories: executions run on the local Step Functions (the
 * reservation workflow's ASL file) with faked tasks, read back through GetExecutionHistory.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { parseExecutionName, statesFromHistory, type HistoryEvent } from "../../src/workflow/executions.js";
import {
  createInput,
  historyOf,
  reservationView,
  runExecution,
  startWorkflowFixture,
  transientError,
  type WorkflowFixture,
} from "../../../local/test/fixtures/local-workflow.js";

const retried = "1a000000-0000-4000-8000-000000000001";
const conflicting = "1a000000-0000-4000-8000-000000000002";
const held = "1a000000-0000-4000-8000-000000000003";

let fixture: WorkflowFixture;
let releaseHeld!: () => void;
const heldGate = new Promise<void>((resolve) => (releaseHeld = resolve));
let persistCalls = 0;

beforeAll(async () => {
  fixture = await startWorkflowFixture({
    taskOverrides: {
      PersistReservation: async (input) => {
        const { reservationId } = input as { reservationId: string };
        if (reservationId === conflicting) throw Object.assign(new Error("the driver is taken"), { name: "ReservationConflict" });
        if (reservationId === held) await heldGate;
        // Two transient failures, retried by the ASL, before the decision.
        if (reservationId === retried && ++persistCalls <= 2) throw transientError();
        return reservationView(reservationId, "REJECTED");
      },
      InvalidateReservationCache: () => null,
      MarkReservationFailed: (input) => reservationView((input as { reservationId: string }).reservationId, "FAILED"),
    },
  });
});

afterAll(async () => {
  releaseHeld();
  await fixture?.stop();
});

const summary = (events: readonly HistoryEvent[]) => statesFromHistory(events).map(({ name, status, attempts }) => `${name}:${status}:${attempts}`);

describe("statesFromHistory", () => {
  it("lists the states in order, counting a task's retries as attempts", async () => {
    const { history, description } = await runExecution(fixture, retried, createInput(retried));
    expect(description.status).toBe("SUCCEEDED");
    expect(summary(history)).toEqual([
      "RouteCommand:succeeded:0",
      "PersistReservation:succeeded:3",
      "InvalidateCache:succeeded:1",
      "IsConfirmed:succeeded:0",
      "PublishRejection:succeeded:1",
      "ReservationDecided:succeeded:0",
    ]);
    const states = statesFromHistory(history);
    for (const state of states) expect(Date.parse(state.exitedAt!)).toBeGreaterThanOrEqual(Date.parse(state.enteredAt));
    expect(states.find((state) => state.name === "PersistReservation")).not.toHaveProperty("error");
  });

  it("marks a task that failed after its retries failed, even when a Catch moved on, and the state the execution failed in", async () => {
    const { history, description } = await runExecution(fixture, conflicting, createInput(conflicting));
    expect(description.status).toBe("FAILED");
    const states = statesFromHistory(history);
    expect(summary(history)).toEqual([
      "RouteCommand:succeeded:0",
      "PersistReservation:failed:1",
      "MarkReservationFailed:succeeded:1",
      "InvalidateCacheAfterFailure:succeeded:1",
      "IsReservationFailed:succeeded:0",
      "WasDriverNotified:succeeded:0",
      "CloseTrackingSessionAfterFailure:succeeded:1",
      "ReservationFailed:failed:0",
    ]);
    const persist = states[1]!;
    expect(persist).toMatchObject({ error: "ReservationConflict", cause: expect.stringContaining("the driver is taken") });
    expect(persist.exitedAt).toBeDefined();
    const last = states.at(-1)!;
    expect(last).toMatchObject({ error: "ReservationFailed", cause: expect.stringContaining("ReservationConflict") });
    expect(last.exitedAt).toBeUndefined();
  });

  it("shows the state an execution is in as running", async () => {
    const { executionArn } = await fixture.sfn.send(
      new StartExecutionCommand({ stateMachineArn: fixture.stepFunctions.stateMachineArn, name: held, input: createInput(held) }),
    );
    let history = await historyOf(fixture, executionArn!);
    const running = (events: readonly HistoryEvent[]) => statesFromHistory(events).map(({ name, status }) => `${name}:${status}`);
    for (let tries = 0; tries < 50 && !running(history).includes("PersistReservation:running"); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      history = await historyOf(fixture, executionArn!);
    }
    // (The local endpoint records a task's attempt once it ends, so attempts are not asserted here.)
    expect(running(history)).toEqual(["RouteCommand:succeeded", "PersistReservation:running"]);
    expect(statesFromHistory(history)[1]!.exitedAt).toBeUndefined();
    releaseHeld();
    await fixture.stepFunctions.waitForExecution(executionArn!);
  });
});

describe("parseExecutionName", () => {
  it("reads the reservation and the command from the names start-workflow.ts gives", () => {
    expect(parseExecutionName(retried)).toEqual({ reservationId: retried, command: "create" });
    expect(parseExecutionName(`${retried}-cancel`)).toEqual({ reservationId: retried, command: "cancel" });
    expect(parseExecutionName(`${retried}-complete`)).toEqual({ reservationId: retried, command: "complete" });
    expect(parseExecutionName(`${retried}-refund`)).toEqual({ reservationId: null, command: null });
    expect(parseExecutionName("api-describe")).toEqual({ reservationId: null, command: null });
  });
});
