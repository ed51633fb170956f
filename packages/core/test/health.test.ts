import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closeRedisClient } from "../src/cache/redis-client.js";
import { closePools } from "../src/db/pools.js";
import { Health } from "../src/health.js";
import { closeSearchClient } from "../src/search/search-client.js";
import "./support/database.js";
import { createTestClient, removeSearchObjects, testConfig, uniqueName } from "./search/support.js";

const savedEnv = { ...process.env };

afterEach(async () => {
  process.env = { ...savedEnv };
  await Promise.all([closePools(), closeRedisClient(), closeSearchClient()]);
});

describe("Health.check", () => {
  it("reports each dependency up when the servers answer", async () => {
    const report = await Health.check();
    expect(report.dependencies).toEqual({
      primary: { status: "up", latencyMs: expect.any(Number) },
      replica: { status: "up", latencyMs: expect.any(Number) },
      redis: { status: "up", latencyMs: expect.any(Number) },
    });
    expect(report.healthy).toBe(true);
    expect(Number.isNaN(Date.parse(report.checkedAt))).toBe(false);
  });

  it("reports each unreachable dependency down, with a reason, instead of throwing", async () => {
    // Port 1 on loopback: nothing listens there, connections are refused at once.
    process.env.HAUL_MYSQL_REPLICA_URL = "mysql://haul:haul@127.0.0.1:1/haul_test";
    process.env.HAUL_REDIS_URL = "redis://127.0.0.1:1";
    const report = await Health.check({ timeoutMs: 3_000 });
    expect(report.healthy).toBe(false);
    expect(report.dependencies.primary.status).toBe("up");
    expect(report.dependencies.replica).toMatchObject({ status: "down", reason: "ECONNREFUSED" });
    expect(report.dependencies.redis).toMatchObject({ status: "down" });
    expect(report.dependencies.redis.reason).toMatch(/ECONNREFUSED|MaxRetriesPerRequestError|timeout/);
  });

  it("reports a wrong password as such", async () => {
    process.env.HAUL_MYSQL_URL = "mysql://haul:wrong-password@127.0.0.1:3306/haul_test";
    const report = await Health.check();
    expect(report.dependencies.primary).toMatchObject({ status: "down", reason: "ER_ACCESS_DENIED_ERROR" });
  });

  it("times out a dependency that does not answer", async () => {
    const report = await Health.check({ timeoutMs: 0 });
    expect(report.healthy).toBe(false);
    expect(Object.values(report.dependencies).map((dependency) => dependency.reason)).toContain("timeout");
  });
});

describe("Health.check with OpenSearch", () => {
  it("includes OpenSearch only when asked, up when the cluster is green or yellow", async () => {
    expect((await Health.check()).dependencies).not.toHaveProperty("opensearch");
    const report = await Health.check({ opensearch: true });
    expect(report.dependencies.opensearch).toEqual({ status: "up", latencyMs: expect.any(Number) });
    expect(report.healthy).toBe(true);
  });

  it("reports OpenSearch down with the socket's code when nothing listens", async () => {
    process.env.HAUL_OPENSEARCH_URL = "http://127.0.0.1:1";
    const report = await Health.check({ opensearch: true });
    expect(report.dependencies.opensearch).toMatchObject({ status: "down", reason: "ECONNREFUSED" });
    expect(report.dependencies.primary.status).toBe("up");
    expect(report.healthy).toBe(false);
  });

  it("reports OpenSearch down when the cluster is red (a primary shard has no node)", async () => {
    const client = createTestClient();
    const index = `${testConfig.indexPrefix}${uniqueName("health-red")}`;
    try {
      // Allocation limited to a node that does not exist: the primary stays unassigned.
      await client.indices.create({
        index,
        wait_for_active_shards: 0,
        body: { settings: { index: { number_of_shards: 1, number_of_replicas: 0, "routing.allocation.require._name": "no-such-node" } } },
      });
      const report = await Health.check({ opensearch: true, timeoutMs: 3_000 });
      expect(report.dependencies.opensearch).toMatchObject({ status: "down", reason: "cluster_red" });
      expect(report.healthy).toBe(false);
    } finally {
      await removeSearchObjects(client, index);
      await client.close();
    }
    expect((await Health.check({ opensearch: true })).dependencies.opensearch?.status).toBe("up");
  });

  it("times OpenSearch out like the others when it accepts but does not answer", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      process.env.HAUL_OPENSEARCH_URL = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const report = await Health.check({ opensearch: true, timeoutMs: 300 });
      expect(report.dependencies.opensearch).toMatchObject({ status: "down", reason: "timeout" });
      expect(report.dependencies.opensearch!.latencyMs).toBeLessThan(1_500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("reports a bad OpenSearch configuration as the reason", async () => {
    process.env.HAUL_OPENSEARCH_AUTH = "password";
    const report = await Health.check({ opensearch: true });
    expect(report.dependencies.opensearch).toMatchObject({ status: "down", reason: "SearchConfigError" });
  });
});
