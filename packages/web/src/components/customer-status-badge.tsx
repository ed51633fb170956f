/** A reservation's status as a badge: its words carry the meaning, the colour only repeats it. */
import type { ReservationStatus } from "@haul/core/reservation/status";

export const statusLabels: Readonly<Record<ReservationStatus, string>> = {
  PENDING: "Pending",
  CONFIRMED: "Confirmed",
  IN_TRANSIT: "In transit",
  COMPLETED: "Completed",
  REJECTED: "Rejected",
  CANCELLED: "Cancelled",
  FAILED: "Failed",
};

const tones: Readonly<Record<ReservationStatus, string>> = {
  PENDING: "",
  CONFIRMED: " badge--succeeded",
  IN_TRANSIT: " badge--live",
  COMPLETED: " badge--succeeded",
  REJECTED: " badge--failed",
  CANCELLED: " badge--failed",
  FAILED: " badge--failed",
};

export function StatusBadge({ status, testId }: { status: ReservationStatus; testId?: string }) {
  return (
    <span className={`badge${tones[status]}`} data-status={status} {...(testId ? { "data-testid": testId } : {})}>
      {statusLabels[status]}
    </span>
  );
}
