/**
 * The reservation workflow's executions, newest first as Step Functions lists them, filtered by
 * status and read a page at a time; failed ones stand out. A reservation id finds its decide
 * execution, which is named by it.
 */
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useHaul } from "../../app-context.js";
import { ProblemAlert } from "../../components/ProblemAlert.js";
import { formatDuration, formatInstant } from "../../components/time-text.js";
import { useCursorList } from "../../components/use-cursor-list.js";
import { executionStatuses, type ExecutionList, type ExecutionSummary } from "./api-types.js";

const failedStatuses = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);

export default function ExecutionsPage() {
  const { api } = useHaul();
  const navigate = useNavigate();
  const [status, setStatus] = useState("");
  const [reservationId, setReservationId] = useState("");
  const list = useCursorList<ExecutionSummary>(status, async (cursor) => {
    const reply = await api.reservation<ExecutionList>("ops/executions", { query: { status, limit: 50, cursor } });
    return { items: reply.data.executions, nextCursor: reply.data.nextCursor ?? null };
  });
  const find = (event: FormEvent) => {
    event.preventDefault();
    const id = reservationId.trim();
    if (id) navigate(`/ops/executions/${encodeURIComponent(id)}`);
  };
  return (
    <section>
      <h1>Workflow executions</h1>
      <form onSubmit={find} aria-label="Find an execution">
        <label htmlFor="find-reservation">Reservation id</label>
        <input id="find-reservation" value={reservationId} onChange={(event) => setReservationId(event.target.value)} />{" "}
        <button type="submit">Find its execution</button>
      </form>
      <label htmlFor="execution-status">Status</label>
      <select id="execution-status" value={status} onChange={(event) => setStatus(event.target.value)}>
        <option value="">Any</option>
        {executionStatuses.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <ProblemAlert error={list.error} />
      <p aria-live="polite">{list.loading ? "Loading…" : `${list.items.length} execution${list.items.length === 1 ? "" : "s"} shown`}</p>
      <table>
        <caption>Executions</caption>
        <thead>
          <tr>
            <th scope="col">Execution</th>
            <th scope="col">Command</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((execution) => {
            const failed = failedStatuses.has(execution.status);
            return (
              <tr key={execution.executionArn} className={failed ? "failed-row" : undefined} data-testid={`execution-${execution.name}`}>
                <td>
                  <Link to={`/ops/executions/${encodeURIComponent(execution.name)}`}>{execution.name}</Link>
                </td>
                <td>{execution.command ?? "—"}</td>
                <td>
                  <span className={`badge${failed ? " badge--failed" : execution.status === "SUCCEEDED" ? " badge--succeeded" : ""}`}>{execution.status}</span>
                  {failed && <strong> (failed)</strong>}
                </td>
                <td>{formatInstant(execution.startDate)}</td>
                <td>{execution.stopDate ? formatDuration(execution.startDate, execution.stopDate) : "running"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {list.hasMore && (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          More executions
        </button>
      )}
    </section>
  );
}
