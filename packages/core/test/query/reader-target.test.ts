import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveReaderTarget } from "../../src/db/connection-config.js";
import { startFakeSecretsManager, type FakeSecretsManager } from "../support/fake-secrets-manager.js";

describe("resolveReaderTarget", () => {
  it("locally: the URLs' servers as haul_reader with HAUL_MYSQL_READER_PASSWORD (default haul_reader)", async () => {
    const env = { HAUL_MYSQL_URL: "mysql://haul:haul@127.0.0.1:3306/haul_x", HAUL_MYSQL_REPLICA_URL: "mysql://haul:haul@127.0.0.1:3307/haul_x" };
    expect(await resolveReaderTarget("replica", env)).toMatchObject({ port: 3307, user: "haul_reader", password: "haul_reader", database: "haul_x" });
    expect(await resolveReaderTarget("primary", { ...env, HAUL_MYSQL_READER_PASSWORD: "s3cret" })).toMatchObject({
      port: 3306,
      user: "haul_reader",
      password: "s3cret",
    });
  });

  describe("in the cloud", () => {
    let secretsManager: FakeSecretsManager;
    const readerArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:haul-reader";
    const cloudEnv = {
      HAUL_MYSQL_HOST: "primary.rds.example",
      HAUL_MYSQL_REPLICA_HOST: "replica.rds.example",
      HAUL_MYSQL_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:haul-admin",
    };

    beforeAll(async () => {
      secretsManager = await startFakeSecretsManager({
        [cloudEnv.HAUL_MYSQL_SECRET_ARN]: JSON.stringify({ username: "haul_admin", password: "admin-pw" }),
        [readerArn]: JSON.stringify({ username: "haul_reader", password: "reader-pw" }),
      });
    });

    afterAll(async () => {
      await secretsManager.close();
    });

    it("uses the reader secret on both hosts", async () => {
      const env = { ...cloudEnv, HAUL_MYSQL_READER_SECRET_ARN: readerArn };
      expect(await resolveReaderTarget("replica", env)).toMatchObject({ host: "replica.rds.example", user: "haul_reader", password: "reader-pw" });
      expect(await resolveReaderTarget("primary", env)).toMatchObject({ host: "primary.rds.example", user: "haul_reader", password: "reader-pw" });
    });

    it("never falls back to the admin secret", async () => {
      await expect(resolveReaderTarget("replica", cloudEnv)).rejects.toThrow(/HAUL_MYSQL_READER_SECRET_ARN is not/);
      expect(secretsManager.requests.filter((request) => request.includes("haul-admin"))).toEqual([]);
    });
  });
});
