/**
 * Reservation windows for benchmarks that must not collide: 5-minute windows laid end to end per
 * seeded driver, starting after everything already stored for that driver.
 */
import type { RowDataPacket } from "mysql2/promise";
import { getPrimaryPool } from "@haul/core/db/pools";
import { demoPeopleWithRole, type DemoPerson } from "@haul/core/identity/demo-people";

export const slotMs = 5 * 60_000;
export const drivers = demoPeopleWithRole("driver");

export class WindowSlots {
  private readonly next = new Map<string, number>();
  private turn = 0;

  static async load(): Promise<WindowSlots> {
    const pool = await getPrimaryPool();
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT driver_id, MAX(window_end) AS last_end FROM reservations WHERE driver_id IN (?) GROUP BY driver_id",
      [drivers.map((driver) => driver.id)],
    );
    const slots = new WindowSlots();
    const earliest = Math.ceil((Date.now() + 2 * 3_600_000) / slotMs) * slotMs;
    const horizon = Date.now() + 300 * 24 * 3_600_000;
    for (const driver of drivers) {
      const row = rows.find((candidate) => String(candidate.driver_id) === driver.id);
      const last = row?.last_end ? new Date(row.last_end as Date).getTime() : 0;
      // Near the one-year lead limit: start over (some may then be REJECTED; they are counted).
      const start = last + slotMs > horizon ? earliest : Math.max(earliest, Math.ceil(last / slotMs) * slotMs);
      slots.next.set(driver.id, start);
    }
    return slots;
  }

  /** The next window of `driver`. */
  take(driver: DemoPerson): { start: Date; end: Date } {
    const start = this.next.get(driver.id)!;
    this.next.set(driver.id, start + slotMs);
    return { start: new Date(start), end: new Date(start + slotMs) };
  }

  /** The next window of the next driver in turn. */
  takeNext(): { driver: DemoPerson; start: Date; end: Date } {
    const driver = drivers[this.turn++ % drivers.length]!;
    return { driver, ...this.take(driver) };
  }
}
