// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import LogsPage from "../src/pages/operator/LogsPage.js";
import StatsPage from "../src/pages/operator/StatsPage.js";
import { renderAs, stubFetch } from "./role-page-harness.js";

const operatorId = "o0000000-0000-4000-8000-000000000001";
const reservationId = "33333333-3333-4333-8333-333333333333";

afterEach(cleanup);

describe("the log search", () => {
  it("sends the correlation id from the URL, and clicking another event's id filters by it", async () => {
    const event = {
      eventId: "e1",
      timestamp: "2027-01-01T08:00:00.000Z",
      logGroup: "/aws/lambda/pickup",
      logStream: "s",
      source: "function",
      kind: "app",
      level: "ERROR",
      message: "pickup refused",
      service: "reservation",
      functionName: "pick-up-reservation",
      route: "POST /reservations/{id}/pickup",
      status: 409,
      latencyMs: 12,
      correlationId: "corr-other",
      fields: { reservationId },
    };
    const { fetchImpl, calls } = stubFetch([{ path: "observability.test/ops/logs", body: { items: [event], nextCursor: null } }]);
    renderAs("operator", operatorId, <LogsPage />, { fetchImpl, path: "/ops/logs?correlationId=corr-42" });

    await screen.findByText("pickup refused");
    expect(calls[0]!.url.searchParams.get("correlationId")).toBe("corr-42");
    expect((screen.getByLabelText("Correlation id") as HTMLInputElement).value).toBe("corr-42");
    expect(screen.getByRole("link", { name: reservationId }).getAttribute("href")).toBe(`/ops/executions/${reservationId}`);
    expect(screen.getByText(/→ 409/).textContent).toContain("in 12 ms");

    fireEvent.click(screen.getByRole("button", { name: "Show only correlation id corr-other" }));
    await waitFor(() => expect(calls.at(-1)?.url.searchParams.get("correlationId")).toBe("corr-other"));
    expect((screen.getByLabelText("Correlation id") as HTMLInputElement).value).toBe("corr-other");
  });
});

describe("the request statistics", () => {
  const bucket = (start: string, requests: number, serverErrors: number, clientErrors: number) => ({ start, requests, serverErrors, clientErrors });
  const report = {
    from: "2027-01-01T07:00:00.000Z",
    to: "2027-01-01T08:00:00.000Z",
    interval: "1m",
    total: { requests: 30, serverErrors: 3, clientErrors: 6, errorRate: 0.1, clientErrorRate: 0.2, latencyMs: { p50: 8, p95: 40, p99: 90 } },
    routes: [
      {
        route: "POST /reservations",
        requests: 30,
        serverErrors: 3,
        clientErrors: 6,
        errorRate: 0.1,
        clientErrorRate: 0.2,
        latencyMs: { p50: 8, p95: 40, p99: 90 },
        histogram: [bucket("2027-01-01T07:58:00.000Z", 10, 0, 2), bucket("2027-01-01T07:59:00.000Z", 20, 3, 4)],
      },
    ],
    otherRequests: 0,
  };

  it("draws the charts with their summaries and puts the numbers in a table, for the chosen window", async () => {
    const { fetchImpl, calls } = stubFetch([{ path: "observability.test/ops/logs/stats", body: report }]);
    renderAs("operator", operatorId, <StatsPage />, { fetchImpl });

    const totals = await screen.findByRole("table", { name: "Totals per route" });
    const row = within(totals).getByRole("row", { name: /POST \/reservations/ });
    expect(within(row).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["30", "6", "3", "20.0 %", "10.0 %", "8 ms", "40 ms", "90 ms"]);
    const charts = screen.getAllByRole("img");
    expect(charts.map((chart) => chart.getAttribute("aria-label"))).toEqual([
      "Latency per route: POST /reservations p50 8 ms, p95 40 ms, p99 90 ms",
      "POST /reservations: request rate, 30 requests in 2 buckets, peak 20 per minute",
      "POST /reservations: error rate, 5xx 10.0 % and 4xx 20.0 % over the window",
    ]);
    expect(charts[1]!.querySelector("polyline")!.getAttribute("points")!.split(" ")).toHaveLength(2);
    const first = calls[0]!.url.searchParams;
    expect(Date.parse(first.get("to")!) - Date.parse(first.get("from")!)).toBe(3_600_000);

    fireEvent.click(screen.getByLabelText(/Last 15 minutes/));
    await waitFor(() => expect(calls).toHaveLength(2));
    const second = calls[1]!.url.searchParams;
    expect(Date.parse(second.get("to")!) - Date.parse(second.get("from")!)).toBe(15 * 60_000);
  });
});
