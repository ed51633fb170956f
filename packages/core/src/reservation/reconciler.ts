/**
 * The reconciler: nothing accepted is stranded. Every reservation's current status was brought by
 * one workflow execution (see query/reservation-query.ts, progressOf): `<id>` decides it (PENDING,
 * and the CONFIRMED or REJECTED it leads to), `<id>-cancel`, `<id>-pickup` and `<id>-complete` carry
 * out the commands. A run looks at the reservations whose status changed more than `staleAfterMs`
 * ago and whose current version it has not yet seen settled, oldest first, page after page until
 * none is left or its time budget is spent (a backlog after an outage must not wait a page a minute):
 *
 *   - the execution is RUNNING: left alone;
 *   - it SUCCEEDED (and the reservation is no longer PENDING): settled, recorded, not looked at again;
 *   - it does not exist (its start failed, or the local cloud, which keeps executions in memory,
 *     restarted): started again with the same name and input; a start of a name that is taken is
 *     the same execution while it runs (Step Functions' idempotency);
 *   - it ended otherwise (FAILED, TIMED_OUT, ABORTED) while the reservation is unsettled, or its name
 *     is taken by a closed execution: a new attempt `<name>-retry-<n>` (n = 1..maxRetries) with the
 *     same input. The ASL routes on the input's `command`, not on the name, and every notification's
 *     eventId comes from the reservation, so consumers drop what an earlier attempt already sent.
 *
 * FAILED reservations are not looked at: the compensation that fails them ends its execution failed
 * on purpose. Only reservations changed within `horizonMs` are looked at (executions are kept
 * 90 days in AWS; an old one missing is not a stranded one), except PENDING, which is always stranded.
 * Internal state (what was seen settled, the attempt) is kept in `workflow_reconciliations`.
 */
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "../db/pools.js";
import type { NotificationType } from "./schema.js";
import type { ReservationStatus } from "./status.js";
import { toReservationRecord, type ReservationRecord } from "./store.js";
import { toWorkflowView } from "./reservation.js";

/** How long a status may stay without its execution settled before a run looks at it. */
export const defaultStaleAfterMs = 60_000;
/** How far back a run looks for statuses other than PENDING. */
export const defaultHorizonMs = 24 * 60 * 60_000;
/** Reservations read per page. */
export const defaultPageSize = 100;
/** A run starts no new page after this long (the function's timeout is 50 s). */
export const defaultBudgetMs = 30_000;
/** New attempts after the first execution ended unsettled; then the reconciler gives up and says so. */
export const maxRetries = 3;

export type ExecutionState = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED" | "PENDING_REDRIVE";

/** The Step Functions calls the reconciler needs, adapted by the caller. */
export interface WorkflowExecutions {
  /** The named execution's status; undefined when it does not exist. */
  describe(name: string): Promise<ExecutionState | undefined>;
  /** Starts `name`; "taken" when a closed execution (or one with another input) has that name. */
  start(name: string, input: object): Promise<"started" | "taken">;
}

export type ReconcileOutcome = "running" | "settled" | "restarted" | "retried" | "gave-up";

export interface ReconcileResult {
  readonly looked: number;
  /** Pages read; the last one was short unless the budget ran out. */
  readonly pages: number;
  readonly outcomes: Readonly<Record<ReconcileOutcome, number>>;
  /** The executions started, by name. */
  readonly started: readonly string[];
  /** Reservations given up on (their executions kept failing): operators look at them. */
  readonly gaveUp: readonly string[];
}

export interface ReconcileOptions {
  readonly now?: Date;
  readonly staleAfterMs?: number;
  readonly horizonMs?: number;
  readonly pageSize?: number;
  readonly budgetMs?: number;
}

type Command = "create" | "cancel" | "pickup" | "complete";

/** The execution behind each status, and the notification its command view carries; FAILED has none. */
const commandOf: Readonly<Record<ReservationStatus, { command: Command; notification: NotificationType | null } | null>> = {
  PENDING: { command: "create", notification: null },
  CONFIRMED: { command: "create", notification: null },
  REJECTED: { command: "create", notification: null },
  CANCELLED: { command: "cancel", notification: "reservation-cancelled" },
  IN_TRANSIT: { command: "pickup", notification: "reservation-picked-up" },
  COMPLETED: { command: "complete", notification: "reservation-delivered" },
  FAILED: null,
};

const lookedAt = (Object.keys(commandOf) as ReservationStatus[]).filter((status) => commandOf[status] !== null);

/** One run: looks at the candidates, page by page, and settles or restarts each. */
export async function reconcile(executions: WorkflowExecutions, options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const now = options.now ?? new Date();
  const staleBefore = new Date(now.getTime() - (options.staleAfterMs ?? defaultStaleAfterMs));
  const horizon = new Date(now.getTime() - (options.horizonMs ?? defaultHorizonMs));
  const pageSize = options.pageSize ?? defaultPageSize;
  const budgetEnds = Date.now() + (options.budgetMs ?? defaultBudgetMs);
  const outcomes: Record<ReconcileOutcome, number> = { running: 0, settled: 0, restarted: 0, retried: 0, "gave-up": 0 };
  const started: string[] = [];
  const gaveUp: string[] = [];
  let looked = 0;
  let pages = 0;
  let after: PageCursor | undefined;
  do {
    const candidates = await readCandidates(staleBefore, horizon, pageSize, after);
    pages += 1;
    for (const candidate of candidates) {
      const { outcome, startedName } = await reconcileOne(executions, candidate);
      outcomes[outcome] += 1;
      if (startedName) started.push(startedName);
      if (outcome === "gave-up") gaveUp.push(candidate.reservation.id);
    }
    looked += candidates.length;
    const last = candidates.at(-1)?.reservation;
    after = candidates.length === pageSize && last ? { statusChangedAt: new Date(last.statusChangedAt), id: last.id } : undefined;
  } while (after && Date.now() < budgetEnds);
  return { looked, pages, outcomes, started, gaveUp };
}

/** Where the next page starts: after this reservation in (status_changed_at, id) order. */
interface PageCursor {
  readonly statusChangedAt: Date;
  readonly id: string;
}

/** The base execution name of a command: start-workflow.ts names them so. */
export function executionNameOf(reservationId: string, command: Command): string {
  return command === "create" ? reservationId : `${reservationId}-${command}`;
}

/** The attempt after `name`: `<base>-retry-1`, `-retry-2`, ...; undefined after maxRetries. */
export function nextAttemptName(base: string, name: string): string | undefined {
  const retry = name === base ? 0 : Number(/-retry-(\d+)$/.exec(name)?.[1] ?? 0);
  return retry < maxRetries ? `${base}-retry-${retry + 1}` : undefined;
}

interface Candidate {
  readonly reservation: ReservationRecord;
  /** The execution the reconciler last checked or started for it; null the first time. */
  readonly lastExecutionName: string | null;
}

async function reconcileOne(
  executions: WorkflowExecutions,
  { reservation, lastExecutionName }: Candidate,
): Promise<{ outcome: ReconcileOutcome; startedName?: string }> {
  const { command, notification } = commandOf[reservation.status]!;
  const base = executionNameOf(reservation.id, command);
  // A retry of this command keeps its attempt; another command starts from its base name.
  const name = lastExecutionName === base || lastExecutionName?.startsWith(`${base}-retry-`) ? lastExecutionName : base;
  const input =
    command === "create"
      ? { command, reservationId: reservation.id, correlationId: reservation.correlationId ?? reservation.id }
      : { command, reservationId: reservation.id, correlationId: reservation.correlationId ?? reservation.id, reservation: toWorkflowView(reservation, notification) };

  const state = await executions.describe(name);
  if (state === "RUNNING" || state === "PENDING_REDRIVE") {
    await remember(reservation, name, false);
    return { outcome: "running" };
  }
  if (state === "SUCCEEDED" && reservation.status !== "PENDING") {
    await remember(reservation, name, true);
    return { outcome: "settled" };
  }
  if (state === undefined && (await executions.start(name, input)) === "started") {
    await remember(reservation, name, false);
    return { outcome: "restarted", startedName: name };
  }
  // Ended unsettled, or its name is taken by a closed execution: the next attempt.
  for (let attempt = nextAttemptName(base, name); attempt; attempt = nextAttemptName(base, attempt)) {
    if ((await executions.start(attempt, input)) === "started") {
      await remember(reservation, attempt, false);
      return { outcome: "retried", startedName: attempt };
    }
  }
  // Recorded as seen, so the page moves on; a later change of the reservation is looked at afresh.
  await remember(reservation, name, true);
  return { outcome: "gave-up" };
}

async function readCandidates(staleBefore: Date, horizon: Date, pageSize: number, after: PageCursor | undefined): Promise<Candidate[]> {
  const pool = await getPrimaryPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT r.id, r.customer_id, r.driver_id, r.status, r.status_reason, r.status_changed_at, r.picked_up_at, r.delivered_at,
            r.pickup_lat, r.pickup_lon, r.pickup_address, r.dropoff_lat, r.dropoff_lon, r.dropoff_address,
            r.window_start, r.window_end, r.cargo_weight_kg, r.cargo_description, r.version,
            r.correlation_id, r.created_at, r.updated_at, w.execution_name AS last_execution_name
       FROM reservations r
       LEFT JOIN workflow_reconciliations w ON w.reservation_id = r.id
      WHERE r.status IN (?) AND r.status_changed_at < ?
        AND (r.status = 'PENDING' OR r.status_changed_at >= ?)
        AND (w.settled_version IS NULL OR w.settled_version < r.version)
        AND (? IS NULL OR (r.status_changed_at, r.id) > (?, ?))
      ORDER BY r.status_changed_at, r.id
      LIMIT ?`,
    [lookedAt, staleBefore, horizon, after?.id ?? null, after?.statusChangedAt ?? null, after?.id ?? null, pageSize],
  );
  return rows.map((row) => ({
    reservation: toReservationRecord(row),
    lastExecutionName: row.last_execution_name == null ? null : String(row.last_execution_name),
  }));
}

/** Records the execution looked at; `settled` marks the reservation's current version done. */
async function remember(reservation: ReservationRecord, executionName: string, settled: boolean): Promise<void> {
  const pool = await getPrimaryPool();
  await pool.execute(
    `INSERT INTO workflow_reconciliations (reservation_id, settled_version, execution_name) VALUES (?, ?, ?)
     ON DUPLICATE KEY UPDATE settled_version = COALESCE(VALUES(settled_version), settled_version), execution_name = VALUES(execution_name)`,
    [reservation.id, settled ? reservation.version : null, executionName],
  );
}
