import { randomUUID } from "node:crypto";
import type { RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, migrateTestDatabase, primary, replica, waitForReplica } from "./support/database.js";

const probeId = randomUUID();

beforeAll(async () => {
  await migrateTestDatabase();
});

afterAll(async () => {
  const connection = await connect(primary);
  await connection.query("DELETE FROM users WHERE id = ?", [probeId]);
  await connection.end();
});

describe("read replica", () => {
  it("is a different server from the primary, and read-only", async () => {
    const [source, copy] = await Promise.all([connect(primary), connect(replica)]);
    try {
      const [[primaryVars]] = await source.query<RowDataPacket[]>("SELECT @@server_id AS serverId, @@read_only AS readOnly");
      const [[replicaVars]] = await copy.query<RowDataPacket[]>("SELECT @@server_id AS serverId, @@read_only AS readOnly");
      expect(replicaVars?.serverId).not.toBe(primaryVars?.serverId);
      expect(primaryVars?.readOnly).toBe(0);
      expect(replicaVars?.readOnly).toBe(1);
    } finally {
      await Promise.all([source.end(), copy.end()]);
    }
  });

  it("shows a write on the primary once it has caught up (MASTER_GTID_WAIT)", async () => {
    const source = await connect(primary);
    const copy = await connect(replica);
    try {
      await source.query(
        "INSERT INTO users (id, role, name, email) VALUES (?, 'customer', 'Replication Probe', ?)",
        [probeId, `probe-${probeId}@haul.example`],
      );
      await waitForReplica();
      const [rows] = await copy.query<RowDataPacket[]>("SELECT name, email FROM users WHERE id = ?", [probeId]);
      expect(rows).toEqual([{ name: "Replication Probe", email: `probe-${probeId}@haul.example` }]);

      await source.query("DELETE FROM users WHERE id = ?", [probeId]);
      await waitForReplica();
      const [gone] = await copy.query<RowDataPacket[]>("SELECT id FROM users WHERE id = ?", [probeId]);
      expect(gone).toEqual([]);
    } finally {
      await Promise.all([source.end(), copy.end()]);
    }
  });

  it("refuses writes by the application user", async () => {
    const copy = await connect(replica);
    try {
      const write = copy.query("INSERT INTO users (id, role, name, email) VALUES (?, 'customer', 'Nope', ?)", [
        randomUUID(),
        `nope-${randomUUID()}@haul.example`,
      ]);
      // ER_OPTION_PREVENTS_STATEMENT: running with --read-only.
      await expect(write).rejects.toMatchObject({ errno: 1290 });
    } finally {
      await copy.end();
    }
  });
});
