import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatabaseConfigError,
  defaultPrimaryUrl,
  defaultReplicaUrl,
  parseMysqlUrl,
  resolveMysqlTarget,
  toPoolOptions,
} from "../src/db/connection-config.js";
import { startFakeSecretsManager, type FakeSecretsManager } from "./support/fake-secrets-manager.js";

describe("parseMysqlUrl", () => {
  it("reads user, password, host, port and database, decoding escapes", () => {
    expect(parseMysqlUrl("mysql://app%40x:p%3Ass@db.internal:3310/haul_test")).toEqual({
      host: "db.internal",
      port: 3310,
      user: "app@x",
      password: "p:ss",
      database: "haul_test",
    });
    expect(parseMysqlUrl("mysql://u:p@h/db").port).toBe(3306);
  });

  it("rejects what is not a usable mysql URL, without echoing the password", () => {
    expect(() => parseMysqlUrl("postgres://u:secret@h/db")).toThrow(DatabaseConfigError);
    expect(() => parseMysqlUrl("mysql://u:secret@h")).toThrow(/lacks a user, host or database/);
    expect(() => parseMysqlUrl("mysql://u:secret@h")).not.toThrow(/secret/);
    expect(() => parseMysqlUrl("not a url")).toThrow(/expected mysql:\/\/user:password@host:port\/database/);
  });
});

describe("resolveMysqlTarget from URLs", () => {
  it("defaults to the local primary and replica", async () => {
    expect(await resolveMysqlTarget("primary", {})).toEqual(parseMysqlUrl(defaultPrimaryUrl));
    expect(await resolveMysqlTarget("replica", {})).toEqual(parseMysqlUrl(defaultReplicaUrl));
  });

  it("uses the user's primary for reads too when they set no replica", async () => {
    const env = { HAUL_MYSQL_URL: "mysql://me:pw@mine.example:3306/haul" };
    expect(await resolveMysqlTarget("replica", env)).toEqual(await resolveMysqlTarget("primary", env));
  });

  it("prefers HAUL_MYSQL_URL over the cloud variables", async () => {
    const env = { HAUL_MYSQL_URL: "mysql://me:pw@mine.example:3306/haul", HAUL_MYSQL_HOST: "rds.example" };
    expect((await resolveMysqlTarget("primary", env)).host).toBe("mine.example");
  });
});

describe("resolveMysqlTarget in the cloud (Secrets Manager)", () => {
  let secretsManager: FakeSecretsManager;
  const requests = () => secretsManager.requests;

  beforeAll(async () => {
    secretsManager = await startFakeSecretsManager({
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:haul-admin": JSON.stringify({ username: "haul_admin", password: "admin-pw" }),
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:haul-reader": JSON.stringify({ username: "haul_reader", password: "reader-pw" }),
    });
  });

  afterAll(async () => {
    await secretsManager.close();
  });

  const cloudEnv = {
    HAUL_MYSQL_HOST: "haul-primary.abc.us-east-1.rds.amazonaws.com",
    HAUL_MYSQL_REPLICA_HOST: "haul-replica.abc.us-east-1.rds.amazonaws.com",
    HAUL_MYSQL_PORT: "3306",
    HAUL_MYSQL_DATABASE: "haul",
    HAUL_MYSQL_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:haul-admin",
  };

  it("reads the credentials from the secret and verifies TLS against the RDS CA bundle", async () => {
    const target = await resolveMysqlTarget("primary", cloudEnv);
    expect(target).toMatchObject({
      host: cloudEnv.HAUL_MYSQL_HOST,
      port: 3306,
      user: "haul_admin",
      password: "admin-pw",
      database: "haul",
    });
    expect(target.ssl?.ca?.length).toBeGreaterThan(0);
    expect(requests()).toContain(`secretsmanager.GetSecretValue ${cloudEnv.HAUL_MYSQL_SECRET_ARN}`);
  });

  it("caches the secret instead of reading it for every connection", async () => {
    const before = requests().length;
    await resolveMysqlTarget("primary", cloudEnv);
    await resolveMysqlTarget("primary", cloudEnv);
    expect(requests().length).toBe(before);
  });

  it("connects to the replica host, as the reader when its secret is given", async () => {
    expect(await resolveMysqlTarget("replica", cloudEnv)).toMatchObject({
      host: cloudEnv.HAUL_MYSQL_REPLICA_HOST,
      user: "haul_admin",
    });
    const withReader = {
      ...cloudEnv,
      HAUL_MYSQL_READER_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:haul-reader",
    };
    expect(await resolveMysqlTarget("replica", withReader)).toMatchObject({ user: "haul_reader", password: "reader-pw" });
  });

  it("says what is missing or wrong", async () => {
    const { HAUL_MYSQL_SECRET_ARN: _, ...withoutSecret } = cloudEnv;
    await expect(resolveMysqlTarget("primary", withoutSecret)).rejects.toThrow(/HAUL_MYSQL_SECRET_ARN is not/);
    await expect(resolveMysqlTarget("primary", { ...cloudEnv, HAUL_MYSQL_PORT: "http" })).rejects.toThrow(/HAUL_MYSQL_PORT/);
    const missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:absent";
    await expect(resolveMysqlTarget("primary", { ...cloudEnv, HAUL_MYSQL_SECRET_ARN: missing })).rejects.toThrow(
      `Could not read the secret ${missing}`,
    );
  });
});

describe("toPoolOptions", () => {
  const target = parseMysqlUrl(defaultPrimaryUrl);

  it("keeps UTC and sizes the pool for where it runs", () => {
    expect(toPoolOptions(target, {})).toMatchObject({ timezone: "Z", connectionLimit: 10 });
    expect(toPoolOptions(target, { AWS_LAMBDA_FUNCTION_NAME: "f" }).connectionLimit).toBe(2);
    expect(toPoolOptions(target, { HAUL_MYSQL_POOL_SIZE: "32" }).connectionLimit).toBe(32);
    expect(() => toPoolOptions(target, { HAUL_MYSQL_POOL_SIZE: "many" })).toThrow(/HAUL_MYSQL_POOL_SIZE/);
  });
});
