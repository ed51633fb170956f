import { randomUUID } from "node:crypto";
import type { RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveMysqlTarget, type MysqlTarget } from "../src/db/connection-config.js";
import { closePools, getPrimaryPool, getReplicaPool } from "../src/db/pools.js";
import { connect, primary, replica } from "./support/database.js";

// Credentials "from a secret" without AWS: the resolver is replaced, the servers are real.
vi.mock("../src/db/connection-config.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../src/db/connection-config.js")>();
  return { ...original, resolveMysqlTarget: vi.fn(original.resolveMysqlTarget) };
});
const resolveTarget = vi.mocked(resolveMysqlTarget);

afterAll(async () => {
  await closePools();
});

describe("shared pools", () => {
  it("are created once per role and talk to the primary and the replica", async () => {
    const [first, again, reader] = await Promise.all([getPrimaryPool(), getPrimaryPool(), getReplicaPool()]);
    expect(again).toBe(first);
    expect(reader).not.toBe(first);
    const [[primaryRow]] = await first.query<RowDataPacket[]>("SELECT @@port AS port, @@session.time_zone AS tz, DATABASE() AS db");
    const [[replicaRow]] = await reader.query<RowDataPacket[]>("SELECT @@port AS port, @@read_only AS readOnly");
    expect(primaryRow).toEqual({ port: primary.port, tz: "+00:00", db: primary.database });
    expect(replicaRow).toEqual({ port: replica.port, readOnly: 1 });
  });

  it("are created anew after closePools", async () => {
    const before = await getPrimaryPool();
    await closePools();
    const after = await getPrimaryPool();
    expect(after).not.toBe(before);
    await expect(after.query("SELECT 1")).resolves.toBeDefined();
  });

  describe("with rotating credentials", () => {
    const user = `haul_rot_${randomUUID().slice(0, 8)}`;
    let password = "first-password";
    const secretTarget = (): MysqlTarget => ({ ...primary, user, password, credentialsSecretArn: "arn:aws:secretsmanager:local:0:secret:rot" });

    beforeAll(async () => {
      const admin = await connect(primary);
      await admin.query("CREATE USER ?@'%' IDENTIFIED BY ?", [user, password]);
      await admin.query(`GRANT SELECT ON \`${primary.database.replace(/_/g, "\\_")}\`.* TO ?@'%'`, [user]);
      await admin.end();
      await closePools();
      resolveTarget.mockImplementation(async () => secretTarget());
    });

    afterAll(async () => {
      resolveTarget.mockReset();
      vi.useRealTimers();
      const admin = await connect(primary);
      await admin.query("DROP USER IF EXISTS ?@'%'", [user]);
      await admin.end();
    });

    it("move to the new password within a minute of a rotation", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const before = await getPrimaryPool();
      const [[who]] = await before.query<RowDataPacket[]>("SELECT CURRENT_USER() AS user");
      expect(who?.user).toBe(`${user}@%`);

      // Secrets Manager rotates: the database takes the new password, the secret follows.
      const admin = await connect(primary);
      await admin.query("ALTER USER ?@'%' IDENTIFIED BY ?", [user, "second-password"]);
      await admin.end();
      password = "second-password";
      // Connections already open keep working.
      await expect(before.query("SELECT 1")).resolves.toBeDefined();

      // Within the minute the pool is trusted as it is; after it, the credentials are re-read.
      expect(await getPrimaryPool()).toBe(before);
      vi.setSystemTime(Date.now() + 61_000);
      const after = await getPrimaryPool();
      expect(after).not.toBe(before);
      const fresh = await after.getConnection();
      try {
        const [[again]] = await fresh.query<RowDataPacket[]>("SELECT CURRENT_USER() AS user");
        expect(again?.user).toBe(`${user}@%`);
      } finally {
        fresh.release();
      }
      await before.end().catch(() => undefined);
    });
  });
});
