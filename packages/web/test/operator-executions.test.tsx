// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import ExecutionPage from "../src/pages/operator/ExecutionPage.js";
import ExecutionsPage from "../src/pages/operator/ExecutionsPage.js";
import { renderAs, stubFetch } from "./role-page-harness.js";

const operatorId = "o0000000-0000-4000-8000-000000000001";
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:local-haul-ReservationWorkflow:${name}`;
const ok = "11111111-1111-4111-8111-111111111111";
const bad = "22222222-2222-4222-8222-222222222222";

afterEach(cleanup);

describe("the executions list", () => {
  it("highlights a failed execution in words and colour, filters by status, and links each to its page", async () => {
    const { fetchImpl, calls } = stubFetch([
      {
        path: "reservation.test/ops/executions",
        body: {
          executions: [
            { name: ok, executionArn: arn(ok), status: "SUCCEEDED", startDate: "2027-01-01T08:00:00.000Z", stopDate: "2027-01-01T08:00:00.120Z", reservationId: ok, command: "create" },
            { name: bad, executionArn: arn(bad), status: "FAILED", startDate: "2027-01-01T08:01:00.000Z", stopDate: "2027-01-01T08:01:05.000Z", reservationId: bad, command: "create" },
          ],
          nextCursor: "next-page",
        },
      },
    ]);
    renderAs("operator", operatorId, <ExecutionsPage />, { fetchImpl });

    const failed = await screen.findByTestId(`execution-${bad}`);
    expect(failed.className).toBe("failed-row");
    expect(within(failed).getByText("(failed)")).toBeTruthy();
    expect(screen.getByTestId(`execution-${ok}`).className).toBe("");
    expect(within(failed).getByRole("link", { name: bad }).getAttribute("href")).toBe(`/ops/executions/${bad}`);

    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "FAILED" } });
    await waitFor(() => expect(calls.at(-1)?.url.searchParams.get("status")).toBe("FAILED"));

    fireEvent.click(await screen.findByRole("button", { name: "More executions" }));
    await waitFor(() => expect(calls.at(-1)?.url.searchParams.get("cursor")).toBe("next-page"));
  });
});

describe("one execution", () => {
  const detail = {
    execution: {
      name: bad,
      executionArn: arn(bad),
      status: "FAILED",
      startDate: "2027-01-01T08:01:00.000Z",
      stopDate: "2027-01-01T08:01:05.000Z",
      input: JSON.stringify({ command: "create", reservationId: bad, correlationId: "corr-42" }),
      error: "ReservationFailed",
      cause: "PersistReservation kept failing",
    },
    states: [
      { name: "PersistReservation", enteredAt: "2027-01-01T08:01:00.000Z", exitedAt: "2027-01-01T08:01:04.000Z", status: "failed", attempts: 3, error: "Lambda.ServiceException", cause: "database unreachable" },
      { name: "MarkFailed", enteredAt: "2027-01-01T08:01:04.000Z", exitedAt: "2027-01-01T08:01:04.200Z", status: "succeeded", attempts: 1 },
    ],
    events: [
      { id: 1, type: "ExecutionStarted", timestamp: "2027-01-01T08:01:00.000Z" },
      { id: 2, previousEventId: 1, type: "TaskStateEntered", timestamp: "2027-01-01T08:01:00.010Z", stateName: "PersistReservation" },
    ],
  };

  it("marks the failed state with its error and cause, links the input's correlation id to its logs, and keeps the raw events", async () => {
    const { fetchImpl } = stubFetch([{ path: `reservation.test/ops/executions/${bad}`, body: detail }]);
    renderAs("operator", operatorId, <ExecutionPage />, { fetchImpl, path: `/ops/executions/${bad}`, route: "/ops/executions/:name" });

    const failedState = await screen.findByTestId("state-PersistReservation");
    expect(failedState.className).toBe("failed-row");
    expect(within(failedState).getByText("failed")).toBeTruthy();
    expect(within(failedState).getByText("Lambda.ServiceException")).toBeTruthy();
    expect(within(failedState).getByText("database unreachable")).toBeTruthy();
    expect(within(failedState).getByText("3")).toBeTruthy();
    expect(screen.getByTestId("state-MarkFailed").className).toBe("");
    expect(screen.getByRole("link", { name: "corr-42" }).getAttribute("href")).toBe("/ops/logs?correlationId=corr-42");
    expect(screen.getByText(/Raw history \(2 events\)/)).toBeTruthy();
  });

  it("says when there is no such execution", async () => {
    const { fetchImpl } = stubFetch([]);
    renderAs("operator", operatorId, <ExecutionPage />, { fetchImpl, path: "/ops/executions/nope", route: "/ops/executions/:name" });
    expect((await screen.findByRole("alert")).textContent).toBe("There is no such execution.");
  });
});
