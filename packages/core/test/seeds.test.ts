import type { RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, applySeeds } from "../src/db/migrations.js";
import { demoPeople, demoPeopleWithRole, type DemoPerson } from "../src/identity/demo-people.js";
import { connect, createScratchDatabase, migrationsDir, seedDir, type ScratchDatabase } from "./support/database.js";

let database: ScratchDatabase;

beforeAll(async () => {
  database = await createScratchDatabase("seeds");
  await applyMigrations(migrationsDir, { target: database.target });
  await applySeeds(seedDir, { target: database.target });
});

afterAll(async () => {
  await database.drop();
});

async function allRows(): Promise<{ users: unknown[]; trucks: unknown[] }> {
  const connection = await connect(database.target);
  try {
    const [users] = await connection.query<RowDataPacket[]>("SELECT * FROM users ORDER BY id");
    const [trucks] = await connection.query<RowDataPacket[]>("SELECT * FROM trucks ORDER BY id");
    return { users: users.map((row) => ({ ...row })), trucks: trucks.map((row) => ({ ...row })) };
  } finally {
    await connection.end();
  }
}

/** The seeded database read back in demo-people's shape. */
async function seededPeople(): Promise<DemoPerson[]> {
  const connection = await connect(database.target);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT u.id, u.role, u.name, u.email, u.phone, t.id AS truck_id, t.plate, t.class, t.capacity_kg
         FROM users u LEFT JOIN trucks t ON t.driver_id = u.id ORDER BY u.id`,
    );
    return rows.map((row) => ({
      id: row.id,
      role: row.role,
      name: row.name,
      email: row.email,
      phone: row.phone,
      ...(row.truck_id
        ? { truck: { id: row.truck_id, plate: row.plate, class: row.class, capacityKg: row.capacity_kg } }
        : {}),
    }));
  } finally {
    await connection.end();
  }
}

describe("demo seeds", () => {
  it("create exactly the people demo-people.ts lists, field by field", async () => {
    const byId = (a: DemoPerson, b: DemoPerson) => a.id.localeCompare(b.id);
    expect(await seededPeople()).toEqual([...demoPeople].sort(byId));
  });

  it("hold three customers, five drivers each with a truck, and one operator", () => {
    expect(demoPeopleWithRole("customer")).toHaveLength(3);
    expect(demoPeopleWithRole("driver")).toHaveLength(5);
    expect(demoPeopleWithRole("driver").every((driver) => driver.truck !== undefined)).toBe(true);
    expect(demoPeopleWithRole("operator")).toHaveLength(1);
    expect(new Set(demoPeopleWithRole("driver").map((driver) => driver.truck?.class)).size).toBe(5);
  });

  it("are idempotent: a second run changes no row", async () => {
    const before = await allRows();
    await applySeeds(seedDir, { target: database.target });
    expect(await allRows()).toEqual(before);
  });

  it("restore demo values that were changed, and leave other rows alone", async () => {
    const connection = await connect(database.target);
    const driver = demoPeopleWithRole("driver")[0]!;
    const otherId = "e0000000-0000-4000-8000-0000000000ee";
    try {
      await connection.query("UPDATE users SET name = 'Renamed' WHERE id = ?", [driver.id]);
      await connection.query("UPDATE trucks SET capacity_kg = 1 WHERE id = ?", [driver.truck!.id]);
      await connection.query(
        "INSERT INTO users (id, role, name, email) VALUES (?, 'customer', 'Not A Demo', 'not.a.demo@haul.example')",
        [otherId],
      );
      await applySeeds(seedDir, { target: database.target });

      const [[user]] = await connection.query<RowDataPacket[]>("SELECT name FROM users WHERE id = ?", [driver.id]);
      const [[truck]] = await connection.query<RowDataPacket[]>("SELECT capacity_kg FROM trucks WHERE id = ?", [driver.truck!.id]);
      const [[other]] = await connection.query<RowDataPacket[]>("SELECT name FROM users WHERE id = ?", [otherId]);
      expect(user?.name).toBe(driver.name);
      expect(truck?.capacity_kg).toBe(driver.truck!.capacityKg);
      expect(other?.name).toBe("Not A Demo");
    } finally {
      await connection.query("DELETE FROM users WHERE id = ?", [otherId]);
      await connection.end();
    }
  });
});

describe("schema rules", () => {
  it("refuse a truck for a user who is not a driver, and a role change for a driver with a truck", async () => {
    const connection = await connect(database.target);
    const customer = demoPeopleWithRole("customer")[0]!;
    const driver = demoPeopleWithRole("driver")[0]!;
    try {
      await expect(
        connection.query(
          "INSERT INTO trucks (id, driver_id, plate, class, capacity_kg) VALUES ('f0000000-0000-4000-8000-0000000000ff', ?, 'NOPE-1', 'van', 100)",
          [customer.id],
        ),
      ).rejects.toMatchObject({ errno: 1452 }); // ER_NO_REFERENCED_ROW_2
      await expect(connection.query("UPDATE users SET role = 'customer' WHERE id = ?", [driver.id])).rejects.toMatchObject({
        errno: 1451, // ER_ROW_IS_REFERENCED_2
      });
    } finally {
      await connection.end();
    }
  });

  it("refuse a non-positive capacity, a malformed id and a duplicate email (case-insensitively)", async () => {
    const connection = await connect(database.target);
    const driver = demoPeopleWithRole("driver")[1]!;
    const customer = demoPeopleWithRole("customer")[0]!;
    try {
      // MariaDB reports a failed CHECK as 4025, MySQL as 3819.
      await expect(connection.query("UPDATE trucks SET capacity_kg = 0 WHERE id = ?", [driver.truck!.id])).rejects.toMatchObject({
        errno: expect.toSatisfy((errno: number) => errno === 4025 || errno === 3819),
      });
      await expect(
        connection.query("INSERT INTO users (id, role, name, email) VALUES ('NOT-A-UUID', 'customer', 'X', 'x@haul.example')"),
      ).rejects.toMatchObject({ errno: expect.toSatisfy((errno: number) => errno === 4025 || errno === 3819) });
      await expect(
        connection.query(
          "INSERT INTO users (id, role, name, email) VALUES ('e0000000-0000-4000-8000-0000000000ef', 'customer', 'X', ?)",
          [customer.email.toUpperCase()],
        ),
      ).rejects.toMatchObject({ errno: 1062 }); // ER_DUP_ENTRY
    } finally {
      await connection.end();
    }
  });
});
