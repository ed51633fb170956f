import { randomUUID } from "node:crypto";
import type { RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureReaderUser, MigrationError } from "../src/db/migrations.js";
import { connect, createScratchDatabase, migrateTestDatabase, primary, readerUser, replica, waitForReplica, type ScratchDatabase } from "./support/database.js";

const asReader = { user: readerUser.name, password: readerUser.password };

beforeAll(async () => {
  await migrateTestDatabase();
  await waitForReplica();
});

describe("read-only user", () => {
  it.each([
    ["primary", primary],
    ["replica", replica],
  ])("can SELECT on the %s", async (_, target) => {
    const connection = await connect(target, asReader);
    try {
      const [rows] = await connection.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM users WHERE role = 'driver'");
      expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(5);
    } finally {
      await connection.end();
    }
  });

  it("cannot INSERT, UPDATE or DELETE on the primary", async () => {
    const connection = await connect(primary, asReader);
    try {
      // ER_TABLEACCESS_DENIED_ERROR
      await expect(
        connection.query("INSERT INTO users (id, role, name, email) VALUES (?, 'customer', 'X', ?)", [
          randomUUID(),
          `x-${randomUUID()}@haul.example`,
        ]),
      ).rejects.toMatchObject({ errno: 1142 });
      await expect(connection.query("UPDATE users SET name = 'X'")).rejects.toMatchObject({ errno: 1142 });
      await expect(connection.query("DELETE FROM users")).rejects.toMatchObject({ errno: 1142 });
    } finally {
      await connection.end();
    }
  });

  describe("ensureReaderUser", () => {
    const name = `haul_rt_${randomUUID().slice(0, 8)}`;
    let database: ScratchDatabase;

    beforeAll(async () => {
      database = await createScratchDatabase("reader");
    });

    afterAll(async () => {
      const admin = await connect(primary);
      await admin.query("DROP USER IF EXISTS ?@'%'", [name]);
      await admin.end();
      await database.drop();
    });

    it("creates a login that holds SELECT on the database and nothing more", async () => {
      await ensureReaderUser(name, "first-password", { target: database.target });
      const connection = await connect(database.target, { user: name, password: "first-password" });
      try {
        const [rows] = await connection.query<RowDataPacket[]>({ sql: "SHOW GRANTS", rowsAsArray: true });
        const grants = rows.map((row) => String(row[0]));
        expect(grants).toHaveLength(2);
        expect(grants).toContainEqual(expect.stringMatching(/^GRANT USAGE ON \*\.\* TO /));
        // Underscores escaped: this database only, not a wildcard pattern.
        expect(grants).toContainEqual(`GRANT SELECT ON \`${database.name.replace(/_/g, "\\_")}\`.* TO \`${name}\`@\`%\``);
      } finally {
        await connection.end();
      }
    });

    it("resets the password on a second run", async () => {
      await ensureReaderUser(name, "second-password", { target: database.target });
      await expect(connect(database.target, { user: name, password: "first-password" })).rejects.toMatchObject({
        errno: 1045,
      });
      const connection = await connect(database.target, { user: name, password: "second-password" });
      await connection.end();
    });

    it("refuses an account that was given more than SELECT", async () => {
      const admin = await connect(primary);
      await admin.query(`GRANT INSERT ON \`${database.name.replace(/_/g, "\\_")}\`.* TO ?@'%'`, [name]);
      await admin.end();
      const run = ensureReaderUser(name, "second-password", { target: database.target });
      await expect(run).rejects.toBeInstanceOf(MigrationError);
      await expect(run).rejects.toThrow(/must only SELECT, but it also holds:\n {2}GRANT SELECT, INSERT ON/);
    });
  });
});
