/**
 * The driver's jobs: what is on the road and coming up first (in transit, then by pickup time), then
 * the finished ones a page at a time. Pick up opens 60 minutes before the window starts while the
 * job is CONFIRMED; Deliver while IN_TRANSIT. A refusal is shown as the API words it.
 */
import "../../components/console.css";
import type { ReservationPage, ReservationView } from "@haul/core/query/schema";
import type { ReservationStatus } from "@haul/core/reservation/status";
import type { ReservationReceipt } from "@haul/functions/reservation/receipt";
import { useEffect, useState } from "react";
import { useHaul, useSession } from "../../app-context.js";
import { ProblemAlert } from "../../components/ProblemAlert.js";
import { formatInstant } from "../../components/time-text.js";
import { useCursorList } from "../../components/use-cursor-list.js";

/** As the reservation service decides (core reservation/status.ts `pickupLeadMinutes`). */
export const pickupLeadMs = 60 * 60_000;
const activeStatuses = "PENDING,CONFIRMED,IN_TRANSIT";
const finishedStatuses = "COMPLETED,CANCELLED,REJECTED,FAILED";

export function pickupOpensAt(reservation: Pick<ReservationView, "window">): number {
  return Date.parse(reservation.window.start) - pickupLeadMs;
}

export function canPickUp(reservation: Pick<ReservationView, "status" | "window">, now: number): boolean {
  return reservation.status === "CONFIRMED" && now >= pickupOpensAt(reservation);
}

export default function AssignmentsPage() {
  const { api } = useHaul();
  const session = useSession();
  const now = useNow(30_000);
  const listOf = (status: string) => async (cursor: string | undefined) =>
    (await api.query<ReservationPage>(`drivers/${session.userId}/reservations`, { query: { status, limit: 100, cursor } })).data;
  const active = useCursorList<ReservationView>(`${session.userId}:active`, listOf(activeStatuses));
  const finished = useCursorList<ReservationView>(`${session.userId}:finished`, listOf(finishedStatuses));
  const upcoming = [...active.items].sort((a, b) => Number(b.status === "IN_TRANSIT") - Number(a.status === "IN_TRANSIT"));

  const updated = (reservationId: string, status: ReservationStatus) =>
    active.setItems((items) => items.map((item) => (item.reservationId === reservationId ? { ...item, status } : item)));

  return (
    <section>
      <h1>My assignments</h1>
      <h2>On the road and upcoming</h2>
      <ProblemAlert error={active.error} />
      {active.loading && <p aria-live="polite">Loading…</p>}
      {!active.loading && upcoming.length === 0 && <p>No upcoming jobs.</p>}
      <ul className="assignments">
        {upcoming.map((reservation) => (
          <li key={reservation.reservationId}>
            <Assignment reservation={reservation} now={now} onStatus={(status) => updated(reservation.reservationId, status)} />
          </li>
        ))}
      </ul>
      {active.hasMore && (
        <button type="button" onClick={active.loadMore}>
          More upcoming jobs
        </button>
      )}
      <h2>Finished</h2>
      <ProblemAlert error={finished.error} />
      {!finished.loading && finished.items.length === 0 && <p>None yet.</p>}
      <ul className="assignments">
        {finished.items.map((reservation) => (
          <li key={reservation.reservationId}>
            <Assignment reservation={reservation} now={now} onStatus={() => undefined} />
          </li>
        ))}
      </ul>
      {finished.hasMore && (
        <button type="button" onClick={finished.loadMore}>
          More finished jobs
        </button>
      )}
    </section>
  );
}

function Assignment({ reservation, now, onStatus }: { reservation: ReservationView; now: number; onStatus: (status: ReservationStatus) => void }) {
  const { api } = useHaul();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const act = async (step: "pickup" | "deliver") => {
    setBusy(true);
    setError(undefined);
    try {
      const reply = await api.reservation<ReservationReceipt>(`reservations/${reservation.reservationId}/${step}`, { method: "POST" });
      onStatus(reply.data.status);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const { reservationId, status, cargo, window, pickup, dropoff } = reservation;
  return (
    <article aria-labelledby={`job-${reservationId}`}>
      <h3 id={`job-${reservationId}`}>
        {cargo.description} ({cargo.weightKg} kg) <span className={`badge${status === "FAILED" ? " badge--failed" : status === "IN_TRANSIT" ? " badge--live" : ""}`}>{status}</span>
      </h3>
      <dl>
        <dt>Window</dt>
        <dd>
          {formatInstant(window.start)} to {formatInstant(window.end)}
        </dd>
        <dt>Pickup</dt>
        <dd>{pickup.address}</dd>
        <dt>Dropoff</dt>
        <dd>{dropoff.address}</dd>
      </dl>
      {canPickUp(reservation, now) && (
        <button type="button" className="primary" data-testid={`pickup-${reservationId}`} disabled={busy} onClick={() => void act("pickup")}>
          Pick up
        </button>
      )}
      {status === "CONFIRMED" && !canPickUp(reservation, now) && <p>Pick up opens at {formatInstant(new Date(pickupOpensAt(reservation)).toISOString())}.</p>}
      {status === "IN_TRANSIT" && (
        <button type="button" className="primary" data-testid={`deliver-${reservationId}`} disabled={busy} onClick={() => void act("deliver")}>
          Deliver
        </button>
      )}
      <ProblemAlert error={error} prefix="Refused:" />
    </article>
  );
}

/** The current time, ticking, so a Pick up button appears when its hour comes. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
