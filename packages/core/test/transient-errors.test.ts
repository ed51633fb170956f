import mysql from "mysql2/promise";
import { beforeAll, describe, expect, it } from "vitest";
import { createRedisClient } from "../src/cache/redis-client.js";
import { connectionOptions } from "../src/db/connection-config.js";
import { asTransientError, isTransientError, NotFoundError, TransientError } from "../src/errors.js";
import { demoPeopleWithRole } from "../src/identity/demo-people.js";
import { connect, migrateTestDatabase, primary } from "./support/database.js";

const operatorId = demoPeopleWithRole("operator")[0]!.id;

/** A port nothing listens on. */
const closedPort = 1;

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

beforeAll(async () => {
  await migrateTestDatabase();
});

describe("transient error classification", () => {
  it("recognises a refused MySQL connection", async () => {
    const error = await mysql.createConnection({ ...connectionOptions(primary), port: closedPort }).catch((e) => e);
    expect(isTransientError(error)).toBe(true);
    const transient = asTransientError(error) as Error;
    expect(transient).toBeInstanceOf(TransientError);
    expect(transient.name).toBe("TransientError");
    expect(transient.cause).toBe(error);
  });

  it("recognises a MySQL lock wait timeout", async () => {
    const [holder, waiter] = [await connect(primary), await connect(primary)];
    try {
      // Any row will do: the seeded operator's, held by one session and wanted by another.
      await holder.beginTransaction();
      await holder.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [operatorId]);
      await waiter.query("SET SESSION innodb_lock_wait_timeout = 1");
      await waiter.beginTransaction();
      const error = await waiter.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [operatorId]).catch((e) => e);
      expect(error.code).toBe("ER_LOCK_WAIT_TIMEOUT");
      expect(isTransientError(error)).toBe(true);
    } finally {
      await holder.rollback().catch(() => undefined);
      await waiter.rollback().catch(() => undefined);
      await Promise.all([holder.end(), waiter.end()]);
    }
  });

  it("recognises a Redis that does not answer", async () => {
    const redis = createRedisClient(`redis://127.0.0.1:${closedPort}`);
    try {
      const error = await redis.get("anything").catch((e) => e);
      expect(isTransientError(error)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it.each([
    ["a deadlock", withCode("Deadlock found", "ER_LOCK_DEADLOCK")],
    ["a lost connection", withCode("Connection lost: The server closed the connection.", "PROTOCOL_CONNECTION_LOST")],
    ["a reset socket", withCode("read ECONNRESET", "ECONNRESET")],
    ["an ioredis command timeout", new Error("Command timed out")],
    ["a closed ioredis connection", new Error("Connection is closed.")],
    ["a Redis replica promoted mid-command", new Error("READONLY You can't write against a read only replica.")],
    ["a cause chain", new Error("query failed", { cause: withCode("connect ETIMEDOUT", "ETIMEDOUT") })],
    ["a dual-stack connect failure", new AggregateError([withCode("connect ECONNREFUSED ::1:3306", "ECONNREFUSED")])],
    ["an AWS SDK throttling error", Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $retryable: { throttling: true } })],
  ])("treats %s as transient", (_case, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ["a domain error", new NotFoundError("no such reservation")],
    ["a duplicate key", withCode("Duplicate entry", "ER_DUP_ENTRY")],
    ["a syntax error", withCode("You have an error in your SQL syntax", "ER_PARSE_ERROR")],
    ["wrong credentials", withCode("Access denied", "ER_ACCESS_DENIED_ERROR")],
    ["a plain error", new Error("boom")],
    ["a string", "boom"],
  ])("leaves %s as it is", (_case, error) => {
    expect(isTransientError(error)).toBe(false);
    expect(asTransientError(error)).toBe(error);
  });
});
