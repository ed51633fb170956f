/**
 * The customer's reservations, by pickup time, a page at a time (the query API's opaque cursors;
 * the cursors already walked are kept so "Previous" goes back), filtered by status.
 */
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { ApiProblem } from "../../api/client.js";
import { useHaul } from "../../app-context.js";
import { StatusBadge, statusLabels } from "../../components/customer-status-badge.js";
import type { ReservationPage, ReservationStatus, ReservationView } from "./api-types.js";
import { formatInstant } from "../../components/time-text.js";
import "./customer.css";

const pageSize = 20;
const statuses = Object.keys(statusLabels) as ReservationStatus[];

type Load =
  | { readonly state: "loading" }
  | { readonly state: "failed"; readonly message: string }
  | { readonly state: "loaded"; readonly items: readonly ReservationView[]; readonly nextCursor: string | null };

export default function ReservationsPage() {
  const { api } = useHaul();
  const [status, setStatus] = useState<ReservationStatus | "">("");
  // The cursors of the pages before this one and of this one (undefined: the first page).
  const [cursors, setCursors] = useState<ReadonlyArray<string | undefined>>([undefined]);
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const abort = new AbortController();
    setLoad({ state: "loading" });
    api
      .query<ReservationPage>("reservations", { query: { status, limit: pageSize, cursor }, signal: abort.signal })
      .then((reply) => setLoad({ state: "loaded", items: reply.data.items, nextCursor: reply.data.nextCursor }))
      .catch((failure: unknown) => {
        if (abort.signal.aborted) return;
        setLoad({ state: "failed", message: failure instanceof ApiProblem ? failure.message : `The request did not reach Haul (${(failure as Error).message})` });
      });
    return () => abort.abort();
  }, [api, status, cursor]);

  const pageNumber = cursors.length;
  return (
    <section>
      <h1>My reservations</h1>
      <p>
        <Link to="/customer/reserve">Reserve a truck</Link>
      </p>
      <label htmlFor="status-filter">Status</label>
      <select
        id="status-filter"
        value={status}
        onChange={(event) => {
          setStatus(event.target.value as ReservationStatus | "");
          setCursors([undefined]);
        }}
      >
        <option value="">All</option>
        {statuses.map((value) => (
          <option key={value} value={value}>
            {statusLabels[value]}
          </option>
        ))}
      </select>

      <div aria-live="polite">
        {load.state === "loading" ? <p>Loading…</p> : null}
        {load.state === "failed" ? <p role="alert">Could not load your reservations: {load.message}</p> : null}
      </div>
      {load.state === "loaded" ? (
        load.items.length === 0 ? (
          <p>{status ? `No ${statusLabels[status].toLowerCase()} reservations.` : "You have no reservations yet."}</p>
        ) : (
          <table>
            <caption className="muted">
              Page {pageNumber}, by pickup time
            </caption>
            <thead>
              <tr>
                <th scope="col">Pickup time</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Cargo</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {load.items.map((reservation) => (
                <tr key={reservation.reservationId}>
                  <td>
                    <Link to={`/customer/reservations/${reservation.reservationId}`}>{formatInstant(reservation.window.start)}</Link>
                  </td>
                  <td>{reservation.pickup.address}</td>
                  <td>{reservation.dropoff.address}</td>
                  <td>
                    {reservation.cargo.weightKg.toLocaleString()} kg, {reservation.cargo.description}
                  </td>
                  <td>
                    <StatusBadge status={reservation.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}

      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={load.state !== "loaded" || !load.nextCursor}
          onClick={() => load.state === "loaded" && load.nextCursor && setCursors([...cursors, load.nextCursor])}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}
