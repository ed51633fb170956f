/**
 * Searching drivers' messages (the NotificationApi's filters: q, reservation, type, unread, from/to,
 * and for operators the driver), a page at a time with the API's cursor. The driver's search and
 * the operators' differ only in the path and the driver field.
 */
import "./console.css";
import type { DriverMessageView } from "@haul/core/notification/driver-message";
import { useState, type FormEvent } from "react";
import { useHaul } from "../app-context.js";
import { ProblemAlert } from "./ProblemAlert.js";
import { formatInstant, localInputToIso } from "./time-text.js";
import { useCursorList, type CursorPage } from "./use-cursor-list.js";

const messageTypes = ["reservation-confirmed", "reservation-cancelled", "reservation-withdrawn"] as const;

interface Filters {
  q: string;
  reservationId: string;
  driverId: string;
  type: string;
  unread: string;
  from: string;
  to: string;
}

const empty: Filters = { q: "", reservationId: "", driverId: "", type: "", unread: "", from: "", to: "" };

export function MessageSearch({ path, withDriver }: { path: string; withDriver: boolean }) {
  const { api } = useHaul();
  const [draft, setDraft] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  const list = useCursorList<DriverMessageView>(JSON.stringify(filters), async (cursor) => {
    const reply = await api.notification<CursorPage<DriverMessageView>>(path, {
      query: {
        q: filters.q.trim(),
        reservationId: filters.reservationId.trim(),
        driverId: withDriver ? filters.driverId.trim() : undefined,
        type: filters.type,
        unread: filters.unread,
        from: localInputToIso(filters.from),
        to: localInputToIso(filters.to),
        cursor,
      },
    });
    return reply.data;
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const field = (name: keyof Filters) => ({
    id: `message-${name}`,
    value: draft[name],
    onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }),
  });
  return (
    <>
      <form onSubmit={submit} className="filters" aria-label="Message filters">
        <label htmlFor="message-q">Words</label>
        <input type="search" {...field("q")} />
        <label htmlFor="message-reservationId">Reservation id</label>
        <input {...field("reservationId")} />
        {withDriver && (
          <>
            <label htmlFor="message-driverId">Driver id</label>
            <input {...field("driverId")} />
          </>
        )}
        <label htmlFor="message-type">Type</label>
        <select {...field("type")}>
          <option value="">Any</option>
          {messageTypes.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
        <label htmlFor="message-unread">Read or not</label>
        <select {...field("unread")}>
          <option value="">Both</option>
          <option value="true">Unread only</option>
          <option value="false">Read only</option>
        </select>
        <label htmlFor="message-from">From</label>
        <input type="datetime-local" {...field("from")} />
        <label htmlFor="message-to">To</label>
        <input type="datetime-local" {...field("to")} />
        <p>
          <button type="submit" className="primary">
            Search
          </button>
        </p>
      </form>
      <ProblemAlert error={list.error} />
      <h2>Results</h2>
      <p aria-live="polite">{list.loading ? "Searching…" : `${list.items.length} message${list.items.length === 1 ? "" : "s"} shown`}</p>
      <ul className="messages">
        {list.items.map((message) => (
          <li key={message.eventId}>
            <MessageSummary message={message} showDriver={withDriver} />
          </li>
        ))}
      </ul>
      {list.hasMore && (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          More messages
        </button>
      )}
    </>
  );
}

/** One message: read state in words, title, text, and when. */
export function MessageSummary({ message, showDriver = false }: { message: DriverMessageView; showDriver?: boolean }) {
  return (
    <article aria-label={message.title}>
      <h3>
        {message.read ? <span className="badge">Read</span> : <span className="badge badge--live">Unread</span>} {message.title}
      </h3>
      <p>{message.text}</p>
      <p>
        <small>
          {message.type} · {formatInstant(message.createdAt)} · reservation {message.reservationId}
          {showDriver ? ` · driver ${message.driverId}` : ""}
        </small>
      </p>
    </article>
  );
}
