/**
 * GET /ops/executions and GET /ops/executions/{name} against the real local Step Functions (the
 * reservation workflow's ASL file, its tasks faked): operators list and read executions.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { handler as getExecution } from "../../src/reservation/get-execution.js";
import { handler as listExecutions } from "../../src/reservation/list-executions.js";
import { resetAwsClients } from "../../src/shared/aws-clients.js";
import { httpEvent, lambdaContext, type HttpCall } from "./support.js";
import {
  createInput,
  reservationView,
  runExecution,
  startWorkflowFixture,
  type WorkflowFixture,
} from "../../../local/test/fixtures/local-workflow.js";

const operator = { userId: "a0000000-0000-4000-8000-000000000001", role: "operator" };
const confirmed = "2b000000-0000-4000-8000-000000000001";
const failed = "2b000000-0000-4000-8000-000000000002";

let fixture: WorkflowFixture;

beforeAll(async () => {
  fixture = await startWorkflowFixture({
    taskOverrides: {
      PersistReservation: (input) => {
        const { reservationId } = input as { reservationId: string };
        if (reservationId === failed) throw Object.assign(new Error("the database refused the row"), { name: "ReservationConflict" });
        return reservationView(reservationId, "CONFIRMED");
      },
      InvalidateReservationCache: () => null,
      MarkReservationFailed: (input) => reservationView((input as { reservationId: string }).reservationId, "FAILED"),
    },
  });
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ENDPOINT_URL_SFN", fixture.stepFunctions.endpoint);
  vi.stubEnv("HAUL_RESERVATION_STATE_MACHINE_ARN", fixture.stepFunctions.stateMachineArn);
  resetAwsClients();
  await runExecution(fixture, confirmed, createInput(confirmed));
  await runExecution(fixture, failed, createInput(failed));
});

afterAll(async () => {
  resetAwsClients();
  vi.unstubAllEnvs();
  await fixture?.stop();
});

async function call(
  handler: typeof listExecutions,
  request: Omit<HttpCall, "caller"> & { caller?: HttpCall["caller"]; query?: Record<string, string> },
) {
  const event = { ...httpEvent({ caller: operator, ...request }), queryStringParameters: request.query };
  const result = await handler(event, lambdaContext());
  return { status: result.statusCode, headers: result.headers ?? {}, json: result.body ? JSON.parse(result.body) : undefined };
}

const list = (query: Record<string, string> = {}, caller = operator) =>
  call(listExecutions, { routeKey: "GET /ops/executions", path: "/ops/executions", query, caller });
const get = (name: string, caller = operator) =>
  call(getExecution, { routeKey: "GET /ops/executions/{name}", path: `/ops/executions/${name}`, pathParameters: { name }, caller });

describe("GET /ops/executions", () => {
  it("lists the executions just run, newest first, with their reservation and command", async () => {
    const reply = await list();
    expect(reply.status).toBe(200);
    expect(reply.json.executions.map((execution: { name: string }) => execution.name)).toEqual([failed, confirmed]);
    expect(reply.json.executions[1]).toEqual({
      name: confirmed,
      executionArn: `${fixture.stepFunctions.stateMachineArn.replace(":stateMachine:", ":execution:")}:${confirmed}`,
      status: "SUCCEEDED",
      startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      stopDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      reservationId: confirmed,
      command: "create",
    });
    expect(reply.json).not.toHaveProperty("nextCursor");
  });

  it("filters by status and pages with the cursor", async () => {
    expect((await list({ status: "FAILED" })).json.executions.map((execution: { name: string }) => execution.name)).toEqual([failed]);
    const first = await list({ limit: "1" });
    expect(first.json.executions).toHaveLength(1);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await list({ limit: "1", cursor: first.json.nextCursor });
    expect(second.json.executions.map((execution: { name: string }) => execution.name)).toEqual([confirmed]);
  });

  it("refuses a bad status, limit or cursor, naming the query field", async () => {
    const reasons = async (query: Record<string, string>) => {
      const reply = await list(query);
      expect(reply.status).toBe(400);
      expect(reply.headers["content-type"]).toContain("application/problem+json");
      return reply.json["invalid-params"].map((field: { name: string }) => field.name);
    };
    expect(await reasons({ status: "DONE" })).toEqual(["query.status"]);
    expect(await reasons({ limit: "101" })).toEqual(["query.limit"]);
    expect(await reasons({ cursor: "bm90LWEtdG9rZW4" })).toEqual(["query.cursor"]);
  });

  it("is for operators only", async () => {
    for (const role of ["customer", "driver"]) {
      expect((await list({}, { userId: "c0000000-0000-4000-8000-000000000001", role })).status).toBe(403);
    }
  });
});

describe("GET /ops/executions/{name}", () => {
  it("gives a succeeded execution with its states in order and its history", async () => {
    const reply = await get(confirmed);
    expect(reply.status).toBe(200);
    expect(reply.json.execution).toMatchObject({ name: confirmed, status: "SUCCEEDED", input: JSON.parse(createInput(confirmed)) });
    expect(reply.json.execution.output.reservation.status).toBe("CONFIRMED");
    expect(reply.json.states.map((state: { name: string; status: string }) => `${state.name}:${state.status}`)).toEqual([
      "RouteCommand:succeeded",
      "PersistReservation:succeeded",
      "InvalidateCache:succeeded",
      "IsConfirmed:succeeded",
      "NotifyDriver:succeeded",
      "OpenTrackingSession:succeeded",
      "ReservationDecided:succeeded",
    ]);
    const events = reply.json.events as Array<{ id: number; type: string; stateName?: string }>;
    expect(events[0]).toMatchObject({ id: 1, type: "ExecutionStarted" });
    expect(events.at(-1)).toMatchObject({ type: "ExecutionSucceeded" });
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events.find((event) => event.type === "TaskStateEntered")).toMatchObject({ stateName: "PersistReservation" });
  });

  it("gives a failed execution's error, and which states failed", async () => {
    const reply = await get(failed);
    expect(reply.status).toBe(200);
    expect(reply.json.execution).toMatchObject({ status: "FAILED", error: "ReservationFailed", cause: expect.stringContaining("ReservationConflict") });
    expect(reply.json.execution).not.toHaveProperty("output");
    const failedStates = reply.json.states.filter((state: { status: string }) => state.status === "failed");
    expect(failedStates).toEqual([
      expect.objectContaining({ name: "PersistReservation", attempts: 1, error: "ReservationConflict" }),
      expect.objectContaining({ name: "ReservationFailed", error: "ReservationFailed" }),
    ]);
    expect(reply.json.events).toContainEqual(expect.objectContaining({ type: "LambdaFunctionFailed", error: "ReservationConflict" }));
  });

  it("answers 404 for an execution that does not exist", async () => {
    const reply = await get("2b000000-0000-4000-8000-00000000ffff-cancel");
    expect(reply.status).toBe(404);
    expect(reply.headers["content-type"]).toContain("application/problem+json");
  });

  it("refuses a name Haul does not give, naming path.name", async () => {
    for (const name of ["not-an-execution", `${confirmed}-refund`]) {
      const reply = await get(name);
      expect(reply.status).toBe(400);
      expect(reply.json["invalid-params"]).toEqual([{ name: "path.name", reason: expect.any(String) }]);
    }
  });

  it("is for operators only", async () => {
    expect((await get(confirmed, { userId: "d0000000-0000-4000-8000-000000000001", role: "driver" })).status).toBe(403);
  });
});
