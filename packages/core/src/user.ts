/**
 * Users: who someone is in Haul (customer, driver or operator) and, for a driver, their truck.
 * `id` is the identity provider's subject (`sub`), the same UUID in MySQL and in tokens.
 */
import type { RowDataPacket } from "mysql2/promise";
import { z } from "zod";
import { getPrimaryPool } from "./db/pools.js";

export * as User from "./user.js";

export const roles = ["customer", "driver", "operator"] as const;
export const Role = z.enum(roles);
export type Role = z.infer<typeof Role>;

export const truckClasses = ["van", "box", "flatbed", "refrigerated", "semi"] as const;
export const TruckClass = z.enum(truckClasses);
export type TruckClass = z.infer<typeof TruckClass>;

export const Truck = z.object({
  id: z.uuid(),
  plate: z.string().min(1),
  class: TruckClass,
  capacityKg: z.number().int().positive(),
});
export type Truck = z.infer<typeof Truck>;

const person = {
  id: z.uuid(),
  name: z.string().min(1),
  email: z.email(),
  /** E.164, or null when unknown. */
  phone: z.string().nullable(),
};

/** A user's profile; a driver's carries their truck (null until one is assigned). */
export const Profile = z.discriminatedUnion("role", [
  z.object({ ...person, role: z.literal("customer") }),
  z.object({ ...person, role: z.literal("driver"), truck: Truck.nullable() }),
  z.object({ ...person, role: z.literal("operator") }),
]);
export type Profile = z.infer<typeof Profile>;

/**
 * The profile of user `id`, or undefined when there is none (an id that is not a UUID included).
 * Reads the primary: a profile is read right after sign-up and must not lag.
 */
export async function get(id: string): Promise<Profile | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined;
  const pool = await getPrimaryPool();
  const [rows] = await pool.execute<RowDataPacket[]>(
    `SELECT u.id, u.role, u.name, u.email, u.phone,
            t.id AS truck_id, t.plate, t.class, t.capacity_kg
       FROM users u
       LEFT JOIN trucks t ON t.driver_id = u.id
      WHERE u.id = ?`,
    [id.toLowerCase()],
  );
  const row = rows[0];
  if (!row) return undefined;
  const base = { id: row.id, name: row.name, email: row.email, phone: row.phone ?? null };
  if (row.role === "driver") {
    const truck = row.truck_id
      ? { id: row.truck_id, plate: row.plate, class: row.class, capacityKg: Number(row.capacity_kg) }
      : null;
    return Profile.parse({ ...base, role: "driver", truck });
  }
  return Profile.parse({ ...base, role: row.role });
}
