/**
 * One reservation: its status and timeline, and while the delivery is on (or about to be) the truck
 * live on the map over the LiveApi: status changes as they come, pushed positions extending the
 * trail read from the tracking API, how old the last position is, and a "stale" badge. Cancel while
 * allowed. Another customer's reservation reads as not found, as the API answers.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiProblem } from "../../api/client.js";
import { useHaul, useSession } from "../../app-context.js";
import { StatusBadge, statusLabels } from "../../components/customer-status-badge.js";
import { LiveSocket, type LiveFrame, type LiveState } from "../../live/live-socket.js";
import { HaulMap, type LatLon, type MapMarker, type MapTrail } from "../../map/HaulMap.js";
import type { Position, ReservationReceipt, ReservationStatus, ReservationView, TrailPage } from "./api-types.js";
import { formatInstant, relativeAge } from "../../components/time-text.js";
import { finalStatuses, phaseOf, timelineOf, type SeenChanges } from "./timeline.js";
import "./customer.css";

/** As the tracking service decides `stale` (packages/core/src/tracking/position.ts). */
const staleAfterSeconds = 120;
/** A trail page holds 500 fixes; this bounds the reading of a very long delivery. */
const maxTrailPages = 40;

type TrackedPoint = Pick<Position, "lat" | "lon" | "recordedAt">;

/** The truck's last position and its age as last measured (the push's `ageSeconds`, or from the fix's time). */
interface Truck {
  readonly position: TrackedPoint;
  readonly ageSeconds: number;
  readonly measuredAt: number;
  readonly stale: boolean;
}

type Load = { readonly state: "loading" } | { readonly state: "missing" } | { readonly state: "failed"; readonly message: string } | { readonly state: "loaded" };

const secondsSince = (iso: string, now: number) => Math.max(0, (now - Date.parse(iso)) / 1000);

function isPosition(value: unknown): value is TrackedPoint {
  const point = value as Partial<TrackedPoint> | null;
  return Boolean(point) && typeof point!.lat === "number" && typeof point!.lon === "number" && typeof point!.recordedAt === "string";
}

/** Adds fixes to a trail, oldest first, each instant once. */
function extendTrail(trail: readonly TrackedPoint[], added: readonly TrackedPoint[]): readonly TrackedPoint[] {
  const byTime = new Map(trail.map((point) => [point.recordedAt, point]));
  for (const point of added) byTime.set(point.recordedAt, { lat: point.lat, lon: point.lon, recordedAt: point.recordedAt });
  return [...byTime.values()].sort((a, b) => Date.parse(a.recordedAt) - Date.parse(b.recordedAt));
}

export default function ReservationPage() {
  const { id = "" } = useParams();
  const { api, config } = useHaul();
  const session = useSession();
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [view, setView] = useState<ReservationView | undefined>();
  const [seen, setSeen] = useState<SeenChanges>({});
  const [announcement, setAnnouncement] = useState("");
  const [trail, setTrail] = useState<readonly TrackedPoint[]>([]);
  const [truck, setTruck] = useState<Truck | undefined>();
  const [now, setNow] = useState(() => Date.now());
  const [correlationId, setCorrelationId] = useState<string | undefined>();
  const [cancel, setCancel] = useState<{ readonly busy: boolean; readonly refusal?: string }>({ busy: false });
  const [socket, setSocket] = useState<LiveSocket | undefined>();
  const [liveState, setLiveState] = useState<LiveState | undefined>();
  const eventsSeen = useRef(new Set<string>());

  const noteCorrelation = useCallback((value: string | undefined) => {
    if (value) setCorrelationId(value);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    setLoad({ state: "loading" });
    api
      .query<ReservationView>(`reservations/${encodeURIComponent(id)}`, { signal: abort.signal })
      .then((reply) => {
        setView(reply.data);
        noteCorrelation(reply.correlationId);
        setLoad({ state: "loaded" });
      })
      .catch((failure: unknown) => {
        if (abort.signal.aborted) return;
        if (failure instanceof ApiProblem) {
          noteCorrelation(failure.correlationId);
          // 403 and 404 alike: whether it exists is none of another customer's business.
          setLoad(failure.status === 404 || failure.status === 403 || failure.status === 400 ? { state: "missing" } : { state: "failed", message: failure.message });
        } else setLoad({ state: "failed", message: `The request did not reach Haul (${(failure as Error).message})` });
      });
    return () => abort.abort();
  }, [api, id, noteCorrelation]);

  const statusNow = useRef<ReservationStatus | undefined>(undefined);
  statusNow.current = view?.status;

  const applyStatus = useCallback((status: ReservationStatus, occurredAt: string | undefined) => {
    if (statusNow.current === undefined || statusNow.current === status) return;
    statusNow.current = status;
    setView((current) => {
      if (!current || current.status === status) return current;
      const at = occurredAt ?? new Date().toISOString();
      return {
        ...current,
        status,
        statusChangedAt: at,
        pickedUpAt: status === "IN_TRANSIT" ? current.pickedUpAt ?? at : current.pickedUpAt,
        deliveredAt: status === "COMPLETED" ? current.deliveredAt ?? at : current.deliveredAt,
        workflow: { ...current.workflow, phase: phaseOf[status], settled: status !== "PENDING", since: at },
      };
    });
    if (occurredAt) setSeen((current) => ({ ...current, [status]: occurredAt }));
    setAnnouncement(`Status now ${statusLabels[status]}${occurredAt ? `, since ${formatInstant(occurredAt)}` : ""}.`);
  }, []);

  // A status frame can be missed (the connection dropped meanwhile) or come late (its queue message
  // retried): the page then asks the query service, once at a time.
  const resyncing = useRef(false);
  const resync = useCallback(() => {
    if (resyncing.current) return;
    resyncing.current = true;
    api
      .query<ReservationView>(`reservations/${encodeURIComponent(id)}`, { headers: { "cache-control": "no-cache" } })
      .then((reply) => applyStatus(reply.data.status, reply.data.statusChangedAt))
      .catch(() => undefined) // The next frame or reconnection tries again.
      .finally(() => (resyncing.current = false));
  }, [api, id, applyStatus]);

  const showPosition = useCallback((position: TrackedPoint, ageSeconds: number | undefined, stale: boolean) => {
    const measuredAt = Date.now();
    setTruck((current) =>
      current && Date.parse(current.position.recordedAt) > Date.parse(position.recordedAt)
        ? current
        : { position, ageSeconds: ageSeconds ?? secondsSince(position.recordedAt, measuredAt), measuredAt, stale },
    );
    setTrail((current) => extendTrail(current, [position]));
  }, []);

  const onFrame = useCallback(
    (frame: LiveFrame) => {
      if (frame.reservationId !== id) return;
      if (frame.type === "reservation-status" && typeof frame.status === "string") {
        const eventId = typeof frame.eventId === "string" ? frame.eventId : `${frame.status}`;
        if (eventsSeen.current.has(eventId)) return;
        eventsSeen.current.add(eventId);
        applyStatus(frame.status as ReservationStatus, typeof frame.occurredAt === "string" ? frame.occurredAt : undefined);
      } else if (frame.type === "subscribed") {
        if (typeof frame.status === "string") applyStatus(frame.status as ReservationStatus, undefined);
        if (isPosition(frame.position)) showPosition(frame.position, undefined, false);
      } else if (frame.type === "position" && isPosition(frame.position)) {
        showPosition(frame.position, typeof frame.ageSeconds === "number" ? frame.ageSeconds : undefined, frame.stale === true);
        // Positions are pushed after the pickup only: a page still showing CONFIRMED missed a status frame.
        if (statusNow.current === "CONFIRMED") resync();
      }
    },
    [id, applyStatus, showPosition, resync],
  );
  const frameHandler = useRef(onFrame);
  frameHandler.current = onFrame;

  const status = view?.status;
  // Status frames reach every connection of the customer; positions need the subscription.
  const listening = status !== undefined && !finalStatuses.includes(status);
  const following = status === "CONFIRMED" || status === "IN_TRANSIT";

  const wasClosed = useRef(false);
  useEffect(() => {
    if (!listening) return;
    const created = new LiveSocket({
      url: config.apis.live,
      token: () => session.token,
      onFrame: (frame) => frameHandler.current(frame),
      onState: (state) => {
        // Reconnected: frames sent while the connection was down are gone.
        if (state === "open" && wasClosed.current) resync();
        if (state === "closed") wasClosed.current = true;
        setLiveState(state);
      },
    });
    created.open();
    setSocket(created);
    return () => {
      created.close();
      setSocket(undefined);
      setLiveState(undefined);
    };
  }, [listening, config.apis.live, session.token]);

  useEffect(() => {
    if (!socket || !following) return;
    socket.subscribe(id);
    return () => socket.unsubscribe(id);
  }, [socket, following, id]);

  const pickedUp = Boolean(view?.pickedUpAt);
  useEffect(() => {
    if (!pickedUp) return;
    const abort = new AbortController();
    (async () => {
      let cursor: string | undefined;
      for (let page = 0; page < maxTrailPages; page++) {
        const reply = await api.tracking<TrailPage>(`reservations/${encodeURIComponent(id)}/positions`, { query: { cursor }, signal: abort.signal });
        noteCorrelation(reply.correlationId);
        setTrail((current) => extendTrail(current, reply.data.positions));
        const last = reply.data.positions.at(-1);
        if (last) setTruck((current) => current ?? { position: last, ageSeconds: secondsSince(last.recordedAt, Date.now()), measuredAt: Date.now(), stale: false });
        if (!reply.data.nextCursor) break;
        cursor = reply.data.nextCursor;
      }
    })().catch((failure: unknown) => {
      if (!abort.signal.aborted && failure instanceof ApiProblem) noteCorrelation(failure.correlationId);
    });
    return () => abort.abort();
  }, [api, id, pickedUp, noteCorrelation]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const age = truck ? truck.ageSeconds + Math.max(0, now - truck.measuredAt) / 1000 : undefined;
  // Only a delivery under way can fall silent; after it the last position is simply where it ended.
  const stale = view?.status === "IN_TRANSIT" && truck !== undefined && (truck.stale || (age ?? 0) > staleAfterSeconds);

  const markers = useMemo<MapMarker[]>(() => {
    if (!view) return [];
    const list: MapMarker[] = [
      { id: "pickup", kind: "pickup", position: [view.pickup.lat, view.pickup.lon], label: `Pickup: ${view.pickup.address}` },
      { id: "dropoff", kind: "dropoff", position: [view.dropoff.lat, view.dropoff.lon], label: `Dropoff: ${view.dropoff.address}` },
    ];
    if (truck) list.push({ id: "truck", kind: "truck", position: [truck.position.lat, truck.position.lon], label: stale ? "The truck (last position is stale)" : "The truck", stale });
    return list;
  }, [view, truck, stale]);
  const trails = useMemo<MapTrail[]>(() => [{ id: "trail", points: trail.map((point): LatLon => [point.lat, point.lon]) }], [trail]);
  // The route's two ends: the view fits them once, and a growing trail never undoes the customer's pan and zoom.
  const fitTo = useMemo<LatLon[]>(
    () => (view ? [[view.pickup.lat, view.pickup.lon], [view.dropoff.lat, view.dropoff.lon]] : []),
    [view],
  );

  const doCancel = async () => {
    setCancel({ busy: true });
    try {
      const reply = await api.reservation<ReservationReceipt>(`reservations/${encodeURIComponent(id)}/cancel`, { method: "POST" });
      noteCorrelation(reply.correlationId);
      applyStatus(reply.data.status, new Date().toISOString());
      setCancel({ busy: false });
    } catch (failure) {
      if (failure instanceof ApiProblem) noteCorrelation(failure.correlationId);
      setCancel({ busy: false, refusal: failure instanceof ApiProblem ? failure.message : `The request did not reach Haul (${(failure as Error).message})` });
    }
  };

  if (load.state === "loading") return <p aria-live="polite">Loading the reservation…</p>;
  if (load.state === "missing" || !view) {
    return (
      <section>
        <h1>Reservation not found</h1>
        {load.state === "failed" ? (
          <p role="alert">Could not load the reservation: {load.message}</p>
        ) : (
          <p>There is no such reservation, or it is not yours.</p>
        )}
        <p>
          <Link to="/customer/reservations">Back to my reservations</Link>
        </p>
        {correlationId ? <p className="muted">Correlation id of the last request: {correlationId}</p> : null}
      </section>
    );
  }

  const cancellable = view.status === "CONFIRMED" && now < Date.parse(view.window.start);
  const timeline = timelineOf(view, seen);
  return (
    <section>
      <h1>
        Reservation {view.pickup.address} → {view.dropoff.address}
      </h1>
      <p>
        Status: <StatusBadge status={view.status} testId="reservation-status" />
        {view.statusReason ? <span> ({view.statusReason})</span> : null}
        {liveState ? (
          <span className={`badge${liveState === "open" ? " badge--live" : ""}`} style={{ marginLeft: 8 }}>
            {liveState === "open" ? "Live" : liveState === "connecting" ? "Connecting…" : "Reconnecting…"}
          </span>
        ) : null}
      </p>
      <p aria-live="polite" role="status">
        {announcement}
      </p>

      <dl className="form-grid">
        <div>
          <dt>Window</dt>
          <dd>
            {formatInstant(view.window.start)} to {formatInstant(view.window.end)}
          </dd>
        </div>
        <div>
          <dt>Cargo</dt>
          <dd>
            {view.cargo.weightKg.toLocaleString()} kg, {view.cargo.description}
          </dd>
        </div>
      </dl>

      {view.status === "CONFIRMED" ? (
        <div>
          {cancellable ? (
            <button type="button" onClick={doCancel} disabled={cancel.busy}>
              {cancel.busy ? "Cancelling…" : "Cancel reservation"}
            </button>
          ) : (
            <p>The window has started: it can no longer be cancelled.</p>
          )}
          {cancel.refusal ? <p role="alert" className="field-error">Not cancelled: {cancel.refusal}</p> : null}
        </div>
      ) : null}

      <h2>Timeline</h2>
      <ol className="timeline">
        {timeline.map((step) => (
          <li key={step.key} className={step.state} {...(step.state === "current" ? { "aria-current": "step" as const } : {})}>
            <strong>{step.label}</strong> ({step.state === "done" ? "done" : step.state === "current" ? "now" : "to come"})
            {step.at ? <span>: {formatInstant(step.at)}</span> : null}
            <br />
            <span className="muted">{step.detail}</span>
          </li>
        ))}
      </ol>
      <p className="muted">Workflow execution: {view.workflow.executionName}</p>

      <h2>Where the truck is</h2>
      <div className="live-facts">
        {truck ? (
          <>
            <span data-testid="truck-position" data-truck-position={`${truck.position.lat},${truck.position.lon}`}>
              Last position {truck.position.lat.toFixed(5)}, {truck.position.lon.toFixed(5)}
            </span>
            <span>
              taken <span data-testid="position-age">{relativeAge(age ?? 0)}</span> ({formatInstant(truck.position.recordedAt)})
            </span>
            {stale ? (
              <span className="badge badge--stale" data-testid="position-stale">
                Stale: no recent position
              </span>
            ) : null}
          </>
        ) : (
          <span data-testid="truck-position">{view.status === "IN_TRANSIT" ? "Waiting for the truck's first position…" : "The truck is shown here once the cargo is picked up."}</span>
        )}
      </div>
      <HaulMap label="Map of the route: pickup, dropoff, the truck and its trail" markers={markers} trails={trails} fitTo={fitTo} {...config.map} />

      {correlationId ? <p className="muted">Correlation id of the last request: {correlationId}</p> : null}
    </section>
  );
}
