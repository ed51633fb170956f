/**
 * One workflow execution: its states in order (durations, attempts, the failed one with its error
 * and cause), its input (its correlation id links to that request's logs), and the raw history.
 */
import "../../components/console.css";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiProblem } from "../../api/client.js";
import { useHaul } from "../../app-context.js";
import { ProblemAlert } from "../../components/ProblemAlert.js";
import { formatDuration, formatInstant } from "../../components/time-text.js";
import type { ExecutionDetail } from "./api-types.js";

export default function ExecutionPage() {
  const { name = "" } = useParams();
  const { api } = useHaul();
  const [detail, setDetail] = useState<ExecutionDetail | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let current = true;
    setDetail(undefined);
    setError(undefined);
    api
      .reservation<ExecutionDetail>(`ops/executions/${encodeURIComponent(name)}`)
      .then((reply) => current && setDetail(reply.data))
      .catch((failure: unknown) => current && setError(failure));
    return () => {
      current = false;
    };
  }, [api, name]);

  if (error instanceof ApiProblem && error.status === 404) {
    return (
      <section>
        <h1>Execution {name}</h1>
        <p role="alert">There is no such execution.</p>
        <Link to="/ops/executions">All executions</Link>
      </section>
    );
  }
  const execution = detail?.execution;
  const input = parseJson(execution?.input);
  const correlationId = typeof (input as { correlationId?: unknown } | undefined)?.correlationId === "string" ? (input as { correlationId: string }).correlationId : undefined;
  const failed = execution && execution.status !== "SUCCEEDED" && execution.status !== "RUNNING";
  return (
    <section>
      <h1>Execution {name}</h1>
      <ProblemAlert error={error} />
      {!detail && !error && <p aria-live="polite">Loading…</p>}
      {execution && detail && (
        <>
          <p>
            <span className={`badge${failed ? " badge--failed" : execution.status === "SUCCEEDED" ? " badge--succeeded" : ""}`}>{execution.status}</span> · started{" "}
            {formatInstant(execution.startDate)}
            {execution.stopDate ? ` · took ${formatDuration(execution.startDate, execution.stopDate)}` : " · running"}
          </p>
          {execution.error && (
            <p role="alert" className="field-error">
              Failed with {execution.error}
              {execution.cause ? `: ${execution.cause}` : ""}
            </p>
          )}
          <h2>States</h2>
          <table>
            <caption>States in the order they ran</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">State</th>
                <th scope="col">Outcome</th>
                <th scope="col">Entered</th>
                <th scope="col">Duration</th>
                <th scope="col">Attempts</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {detail.states.map((state, index) => (
                <tr key={`${state.name}-${index}`} className={state.status === "failed" ? "failed-row" : undefined} data-testid={`state-${state.name}`}>
                  <td>{index + 1}</td>
                  <th scope="row">{state.name}</th>
                  <td>
                    <span className={`badge${state.status === "failed" ? " badge--failed" : state.status === "succeeded" ? " badge--succeeded" : ""}`}>{state.status}</span>
                  </td>
                  <td>{formatInstant(state.enteredAt)}</td>
                  <td>{state.exitedAt ? formatDuration(state.enteredAt, state.exitedAt) : "—"}</td>
                  <td>{state.attempts}</td>
                  <td>
                    {state.error ? (
                      <>
                        <strong>{state.error}</strong>
                        {state.cause ? <pre className="cause">{state.cause}</pre> : null}
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Input</h2>
          {correlationId && (
            <p>
              Correlation id: <Link to={`/ops/logs?correlationId=${encodeURIComponent(correlationId)}`}>{correlationId}</Link> (its logs)
            </p>
          )}
          <pre tabIndex={0} role="region" aria-label="Execution input">{pretty(input)}</pre>
          {execution.output !== undefined && (
            <>
              <h2>Output</h2>
              <pre tabIndex={0} role="region" aria-label="Execution output">{pretty(parseJson(execution.output))}</pre>
            </>
          )}
          <details>
            <summary>Raw history ({detail.events.length} events)</summary>
            <table>
              <caption>History events</caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Type</th>
                  <th scope="col">Time</th>
                  <th scope="col">State</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {detail.events.map((event) => (
                  <tr key={event.id} className={event.error ? "failed-row" : undefined}>
                    <td>{event.id}</td>
                    <td>{event.type}</td>
                    <td>{formatInstant(event.timestamp)}</td>
                    <td>{event.stateName ?? "—"}</td>
                    <td>{event.error ? `${event.error}${event.cause ? `: ${event.cause}` : ""}` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

/** Step Functions hands input and output as JSON text; the route may pass them parsed. */
function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function pretty(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
