import { afterEach, describe, expect, it } from "vitest";
import { closeRedisClient } from "../src/cache/redis-client.js";
import { closePools } from "../src/db/pools.js";
import { Health } from "../src/health.js";
import "./support/database.js";

const savedEnv = { ...process.env };

afterEach(async () => {
  process.env = { ...savedEnv };
  await Promise.all([closePools(), closeRedisClient()]);
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
