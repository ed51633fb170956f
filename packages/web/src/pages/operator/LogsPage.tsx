/**
 * Log search over the refined API logs, newest first, a page at a time. The filters live in the URL
 * (`?correlationId=…` and the rest), so other pages link here; clicking an event's correlation id
 * filters by it, and a reservation id in its fields links to that reservation's execution.
 */
import "../../components/console.css";
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useHaul } from "../../app-context.js";
import { ProblemAlert } from "../../components/ProblemAlert.js";
import { formatInstant, localInputToIso } from "../../components/time-text.js";
import { useCursorList, type CursorPage } from "../../components/use-cursor-list.js";
import type { LogDocument } from "./api-types.js";

const filterNames = ["from", "to", "level", "service", "route", "status", "correlationId", "q"] as const;
type FilterName = (typeof filterNames)[number];
const labels: Record<FilterName, string> = {
  from: "From",
  to: "To",
  level: "Level",
  service: "Service",
  route: "Route (e.g. POST /reservations)",
  status: "Status (code or class, e.g. 5xx)",
  correlationId: "Correlation id",
  q: "Words in the message or error",
};
const levels = ["DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"];
const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

export default function LogsPage() {
  const { api } = useHaul();
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(filterNames.map((name) => [name, params.get(name) ?? ""])) as Record<FilterName, string>;
  const [draft, setDraft] = useState(applied);
  const appliedKey = JSON.stringify(applied);
  const [draftKey, setDraftKey] = useState(appliedKey);
  if (draftKey !== appliedKey) {
    // The URL changed (a link or a click on a correlation id): the form follows it.
    setDraftKey(appliedKey);
    setDraft(applied);
  }
  const list = useCursorList<LogDocument>(appliedKey, async (cursor) => {
    const query: Record<string, string | undefined> = { ...applied, from: localInputToIso(applied.from), to: localInputToIso(applied.to), cursor };
    return (await api.observability<CursorPage<LogDocument>>("ops/logs", { query })).data;
  });
  const apply = (next: Record<FilterName, string>) => setParams(Object.fromEntries(Object.entries(next).filter(([, value]) => value.trim() !== "").map(([key, value]) => [key, value.trim()])));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(draft);
  };
  return (
    <section>
      <h1>Logs</h1>
      <form onSubmit={submit} aria-label="Log filters">
        {filterNames.map((name) => (
          <div key={name}>
            <label htmlFor={`log-${name}`}>{labels[name]}</label>
            {name === "level" ? (
              <select id="log-level" value={draft.level} onChange={(event) => setDraft({ ...draft, level: event.target.value })}>
                <option value="">Any</option>
                {levels.map((level) => (
                  <option key={level}>{level}</option>
                ))}
              </select>
            ) : (
              <input
                id={`log-${name}`}
                type={name === "from" || name === "to" ? "datetime-local" : name === "q" ? "search" : "text"}
                value={draft[name]}
                onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
              />
            )}
          </div>
        ))}
        <p>
          <button type="submit" className="primary">
            Search
          </button>{" "}
          <button type="button" onClick={() => setParams({})}>
            Clear
          </button>
        </p>
      </form>
      <ProblemAlert error={list.error} />
      <p aria-live="polite">{list.loading ? "Searching…" : `${list.items.length} event${list.items.length === 1 ? "" : "s"} shown`}</p>
      <ol className="log-events">
        {list.items.map((event) => (
          <li key={event.eventId} className={event.level === "ERROR" || event.level === "CRITICAL" ? "failed-row" : undefined}>
            <LogEvent event={event} onCorrelation={(id) => apply({ ...applied, correlationId: id })} />
          </li>
        ))}
      </ol>
      {list.hasMore && (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Older events
        </button>
      )}
    </section>
  );
}

function LogEvent({ event, onCorrelation }: { event: LogDocument; onCorrelation: (id: string) => void }) {
  const reservationId = reservationIdOf(event);
  return (
    <article aria-label={`${event.level} ${event.message}`}>
      <p>
        <time dateTime={event.timestamp}>{formatInstant(event.timestamp)}</time>{" "}
        <span className={`badge${event.level === "ERROR" || event.level === "CRITICAL" ? " badge--failed" : ""}`}>{event.level}</span>{" "}
        {event.service ?? "—"} · {event.functionName ?? event.apiName ?? event.source}
      </p>
      <p>{event.message}</p>
      {event.error?.message && <p className="field-error">{event.error.type ? `${event.error.type}: ` : ""}{event.error.message}</p>}
      <p>
        <small>
          {event.route ? `${event.route} ` : ""}
          {event.status !== undefined ? `→ ${event.status} ` : ""}
          {event.latencyMs !== undefined ? `in ${event.latencyMs} ms ` : ""}
          {event.correlationId && (
            <>
              · correlation id{" "}
              <button type="button" className="link" onClick={() => onCorrelation(event.correlationId!)} aria-label={`Show only correlation id ${event.correlationId}`}>
                {event.correlationId}
              </button>
            </>
          )}
          {reservationId && (
            <>
              {" "}
              · reservation <Link to={`/ops/executions/${reservationId}`}>{reservationId}</Link> (its execution)
            </>
          )}
        </small>
      </p>
    </article>
  );
}

/** A reservation id the event names in its fields (or in its path, e.g. /reservations/<id>/pickup). */
function reservationIdOf(event: LogDocument): string | undefined {
  const fromFields = event.fields?.reservationId;
  if (typeof fromFields === "string" && uuidPattern.test(fromFields)) return fromFields;
  if (event.path?.startsWith("/reservations/")) return uuidPattern.exec(event.path)?.[0];
  return undefined;
}
