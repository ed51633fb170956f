/**
 * A reservation's status timeline, from what the query API says of it (its status, its workflow's
 * phase and since when, pickup and delivery times) and the status changes heard live meanwhile.
 */
import type { ReservationStatus, ReservationView, WorkflowProgress } from "./api-types.js";

export interface TimelineStep {
  readonly key: string;
  readonly label: string;
  /** What the workflow does at this step. */
  readonly detail: string;
  readonly at: string | undefined;
  readonly state: "done" | "current" | "upcoming";
}

export type SeenChanges = Partial<Record<ReservationStatus, string>>;

export type TimelineSource = Pick<ReservationView, "status" | "createdAt" | "pickedUpAt" | "deliveredAt" | "workflow">;

const steps = {
  requested: { label: "Requested", detail: "the workflow decides whether the driver is free" },
  CONFIRMED: { label: "Confirmed", detail: "the driver is notified and live tracking is opened" },
  IN_TRANSIT: { label: "Picked up", detail: "the cargo is on the truck; its position is tracked" },
  COMPLETED: { label: "Delivered", detail: "tracking has ended" },
  REJECTED: { label: "Rejected", detail: "the driver already has a reservation in this window" },
  CANCELLED: { label: "Cancelled", detail: "the driver is told and tracking is closed" },
  FAILED: { label: "Failed", detail: "the workflow gave up and undid what it had done" },
} as const;

/** The statuses a reservation passes through to reach its current one, after "requested". */
function pathTo(status: ReservationStatus, seen: SeenChanges): readonly (keyof typeof steps)[] {
  switch (status) {
    case "PENDING":
    case "CONFIRMED":
    case "IN_TRANSIT":
    case "COMPLETED":
      return ["CONFIRMED", "IN_TRANSIT", "COMPLETED"];
    case "REJECTED":
      return ["REJECTED"];
    case "CANCELLED":
      return ["CONFIRMED", "CANCELLED"];
    case "FAILED":
      return seen.CONFIRMED ? ["CONFIRMED", "FAILED"] : ["FAILED"];
  }
}

export function timelineOf(view: TimelineSource, seen: SeenChanges = {}): TimelineStep[] {
  const path = pathTo(view.status, seen);
  const currentIndex = view.status === "PENDING" ? -1 : path.indexOf(view.status as keyof typeof steps);
  const timeOf = (status: keyof typeof steps): string | undefined => {
    if (status === "IN_TRANSIT" && view.pickedUpAt) return view.pickedUpAt;
    if (status === "COMPLETED" && view.deliveredAt) return view.deliveredAt;
    if (status === view.status) return view.workflow.since;
    return status === "requested" ? undefined : seen[status];
  };
  return [
    { key: "requested", ...steps.requested, at: view.createdAt, state: currentIndex === -1 ? "current" : "done" },
    ...path.map((status, index): TimelineStep => ({
      key: status,
      ...steps[status],
      at: index <= currentIndex ? timeOf(status) : undefined,
      state: index < currentIndex ? "done" : index === currentIndex ? "current" : "upcoming",
    })),
  ];
}

export const phaseOf: Readonly<Record<ReservationStatus, WorkflowProgress["phase"]>> = {
  PENDING: "deciding",
  CONFIRMED: "confirmed",
  IN_TRANSIT: "in-transit",
  REJECTED: "rejected",
  CANCELLED: "cancelled",
  FAILED: "failed",
  COMPLETED: "completed",
};

export const finalStatuses: readonly ReservationStatus[] = ["REJECTED", "CANCELLED", "FAILED", "COMPLETED"];
