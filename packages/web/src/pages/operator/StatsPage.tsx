/**
 * Request statistics per route from the refined access logs: over a preset window, each route's
 * request rate and error rates over time and its latency percentiles, as small charts with the same
 * numbers in tables beside them.
 */
import { useCallback, useEffect, useState } from "react";
import { useHaul } from "../../app-context.js";
import { ProblemAlert } from "../../components/ProblemAlert.js";
import { formatNumber, SvgBarChart, SvgLineChart } from "../../components/SvgLineChart.js";
import { formatInstant } from "../../components/time-text.js";
import type { LogStatsReport } from "./api-types.js";

const presets = [
  { id: "15m", label: "Last 15 minutes", spanMs: 15 * 60_000 },
  { id: "1h", label: "Last hour", spanMs: 3_600_000 },
  { id: "24h", label: "Last 24 hours", spanMs: 24 * 3_600_000 },
] as const;
const intervalMinutes: Record<string, number> = { "1m": 1, "5m": 5, "15m": 15, "1h": 60, "6h": 360, "1d": 1440 };

const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;
const ms = (value: number | null) => (value === null ? "—" : `${Math.round(value)} ms`);

export default function StatsPage() {
  const { api } = useHaul();
  const [preset, setPreset] = useState<(typeof presets)[number]["id"]>("1h");
  const [route, setRoute] = useState("");
  const [report, setReport] = useState<LogStatsReport | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);

  const load = useCallback(
    (signal?: AbortSignal) => {
      const span = presets.find((candidate) => candidate.id === preset)!.spanMs;
      const to = new Date();
      setLoading(true);
      setError(undefined);
      api
        .observability<LogStatsReport>("ops/logs/stats", { query: { from: new Date(to.getTime() - span).toISOString(), to: to.toISOString(), route: route.trim() }, ...(signal ? { signal } : {}) })
        .then((reply) => setReport(reply.data))
        .catch((failure: unknown) => {
          if (!signal?.aborted) setError(failure);
        })
        .finally(() => setLoading(false));
    },
    [api, preset, route],
  );
  useEffect(() => {
    const abort = new AbortController();
    load(abort.signal);
    return () => abort.abort();
    // The route filter applies on submit, not on each keystroke.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, preset]);

  const perMinute = intervalMinutes[report?.interval ?? "1m"] ?? 1;
  return (
    <section>
      <h1>Request statistics</h1>
      <fieldset>
        <legend>Window</legend>
        {presets.map((candidate) => (
          <label key={candidate.id} className="inline">
            <input type="radio" name="window" value={candidate.id} checked={preset === candidate.id} onChange={() => setPreset(candidate.id)} /> {candidate.label}
          </label>
        ))}
      </fieldset>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          load();
        }}
      >
        <label htmlFor="stats-route">Route (empty: every route)</label>
        <input id="stats-route" value={route} onChange={(event) => setRoute(event.target.value)} placeholder="POST /reservations" />{" "}
        <button type="submit">Show</button>
      </form>
      <ProblemAlert error={error} />
      <p aria-live="polite">{loading ? "Loading…" : report ? `${formatInstant(report.from)} to ${formatInstant(report.to)}, buckets of ${report.interval}` : ""}</p>
      {report && (
        <>
          <h2>All routes</h2>
          <table>
            <caption>Totals per route</caption>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Requests</th>
                <th scope="col">4xx</th>
                <th scope="col">5xx</th>
                <th scope="col">Client error rate</th>
                <th scope="col">Server error rate</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
                <th scope="col">p99</th>
              </tr>
            </thead>
            <tbody>
              {[...report.routes, { route: "All", ...report.total }].map((row) => (
                <tr key={row.route} className={row.errorRate > 0 ? "failed-row" : undefined}>
                  <th scope="row">{row.route}</th>
                  <td>{row.requests}</td>
                  <td>{row.clientErrors}</td>
                  <td>{row.serverErrors}</td>
                  <td>{percent(row.clientErrorRate)}</td>
                  <td>{percent(row.errorRate)}</td>
                  <td>{ms(row.latencyMs.p50)}</td>
                  <td>{ms(row.latencyMs.p95)}</td>
                  <td>{ms(row.latencyMs.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.otherRequests > 0 && <p>{report.otherRequests} requests of less busy routes are not itemised.</p>}
          {report.routes.length > 0 && (
            <SvgBarChart
              summary={`Latency per route: ${report.routes.map((row) => `${row.route} p50 ${ms(row.latencyMs.p50)}, p95 ${ms(row.latencyMs.p95)}, p99 ${ms(row.latencyMs.p99)}`).join("; ")}`}
              labels={report.routes.map((row) => row.route)}
              series={(["p50", "p95", "p99"] as const).map((name) => ({ name, values: report.routes.map((row) => row.latencyMs[name]) }))}
              unit=" ms"
            />
          )}
          {report.routes.length === 0 && <p>No requests in this window.</p>}
          {report.routes.map((row) => {
            const rates = row.histogram.map((bucket) => bucket.requests / perMinute);
            const serverRates = row.histogram.map((bucket) => (bucket.requests === 0 ? null : bucket.serverErrors / bucket.requests));
            const clientRates = row.histogram.map((bucket) => (bucket.requests === 0 ? null : bucket.clientErrors / bucket.requests));
            return (
              <section key={row.route} aria-labelledby={`route-${row.route}`}>
                <h2 id={`route-${row.route}`}>{row.route}</h2>
                <div className="charts">
                  <SvgLineChart
                    summary={`${row.route}: request rate, ${row.requests} requests in ${row.histogram.length} buckets, peak ${formatNumber(Math.max(0, ...rates))} per minute`}
                    series={[{ name: "requests/min", values: rates }]}
                    unit="/min"
                  />
                  <SvgLineChart
                    summary={`${row.route}: error rate, 5xx ${percent(row.errorRate)} and 4xx ${percent(row.clientErrorRate)} over the window`}
                    series={[
                      { name: "5xx rate", values: serverRates },
                      { name: "4xx rate", values: clientRates },
                    ]}
                  />
                </div>
                <details>
                  <summary>Numbers per bucket</summary>
                  <table>
                    <caption>{row.route} per bucket</caption>
                    <thead>
                      <tr>
                        <th scope="col">Bucket start</th>
                        <th scope="col">Requests</th>
                        <th scope="col">4xx</th>
                        <th scope="col">5xx</th>
                      </tr>
                    </thead>
                    <tbody>
                      {row.histogram.map((bucket) => (
                        <tr key={bucket.start}>
                          <td>{formatInstant(bucket.start)}</td>
                          <td>{bucket.requests}</td>
                          <td>{bucket.clientErrors}</td>
                          <td>{bucket.serverErrors}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              </section>
            );
          })}
        </>
      )}
    </section>
  );
}
