/**
 * Reservation windows for benchmarks that must not collide: 5-minute windows laid end to end per
 * driver, starting after everything already stored for that driver. The seeded drivers by default
 * (`load`); a benchmark's own drivers with `loadFor`.
 */
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "@haul/core/db/pools";
import { demoPeopleWithRole, type DemoPerson } from "@haul/core/identity/demo-people";

export const slotMs = 5 * 60_000;
export const drivers = demoPeopleWithRole("driver");

export class WindowSlots<D extends { readonly id: string } = DemoPerson> {
  private readonly next = new Map<string, number>();
  private turn = 0;

  private constructor(private readonly inTurn: readonly D[]) {}

  /** Windows of the seeded drivers. */
  static load(): Promise<WindowSlots<DemoPerson>> {
    return WindowSlots.loadFor(drivers);
  }

  /** Windows of `forDrivers` (users with a truck), taken in that order by `takeNext`. */
  static async loadFor<D extends { readonly id: string }>(forDrivers: readonly D[]): Promise<WindowSlots<D>> {
    const pool = await getPrimaryPool();
    const lastEnd = new Map<string, number>();
    for (let offset = 0; offset < forDrivers.length; offset += 1000) {
      const [rows] = await pool.query<RowDataPacket[]>(
        "SELECT driver_id, MAX(window_end) AS last_end FROM reservations WHERE driver_id IN (?) GROUP BY driver_id",
        [forDrivers.slice(offset, offset + 1000).map((driver) => driver.id)],
      );
      for (const row of rows) if (row.last_end) lastEnd.set(String(row.driver_id), new Date(row.last_end as Date).getTime());
    }
    const slots = new WindowSlots(forDrivers);
    const earliest = Math.ceil((Date.now() + 2 * 3_600_000) / slotMs) * slotMs;
    const horizon = Date.now() + 300 * 24 * 3_600_000;
    for (const driver of forDrivers) {
      const last = lastEnd.get(driver.id) ?? 0;
      // Near the one-year lead limit: start over (some may then be REJECTED; they are counted).
      const start = last + slotMs > horizon ? earliest : Math.max(earliest, Math.ceil(last / slotMs) * slotMs);
      slots.next.set(driver.id, start);
    }
    return slots;
  }

  /** The next window of `driver`. */
  take(driver: D): { start: Date; end: Date } {
    const start = this.next.get(driver.id)!;
    this.next.set(driver.id, start + slotMs);
    return { start: new Date(start), end: new Date(start + slotMs) };
  }

  /** The next window of the next driver in turn. */
  takeNext(): { driver: D; start: Date; end: Date } {
    const driver = this.inTurn[this.turn++ % this.inTurn.length]!;
    return { driver, ...this.take(driver) };
  }
}
