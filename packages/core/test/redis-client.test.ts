import { spawn, type ChildProcess } from "node:child_process";
import { createServer, Socket, type AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient, getRedisClient } from "../src/cache/redis-client.js";
import { startFakeSecretsManager, type FakeSecretsManager } from "./support/fake-secrets-manager.js";

const savedEnv = { ...process.env };

afterEach(async () => {
  await closeRedisClient();
  process.env = { ...savedEnv };
});

describe("shared Redis client", () => {
  it("is one client per process until closed", async () => {
    const client = await getRedisClient();
    expect(await getRedisClient()).toBe(client);
    const key = `haul:test:${process.pid}:${Date.now()}`;
    await client.set(key, "value", "EX", 10);
    expect(await client.get(key)).toBe("value");
    await client.del(key);
    await closeRedisClient();
    expect(client.status).toBe("end");
    expect(await getRedisClient()).not.toBe(client);
  });

  // ioredis' default would retry a queued command 20 times (about half a minute) before failing it.
  it("fails a command after one reconnect attempt when the server is unreachable", { timeout: 10_000 }, async () => {
    process.env.HAUL_REDIS_URL = "redis://127.0.0.1:1";
    const client = await getRedisClient();
    await expect(client.get("anything")).rejects.toMatchObject({ name: "MaxRetriesPerRequestError", message: expect.stringContaining("(which is 1)") });
  });

  describe("with an AUTH token from Secrets Manager (as on ElastiCache)", () => {
    const token = "token-from-the-secret";
    const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-auth";
    let server: ChildProcess;
    let port: number;
    let secretsManager: FakeSecretsManager;

    beforeAll(async () => {
      port = await freePort();
      // A second, private redis-server that demands the token.
      server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", token], {
        stdio: "ignore",
      });
      secretsManager = await startFakeSecretsManager({ [secretArn]: token });
      await waitForPort(port);
    });

    afterAll(async () => {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await Promise.all([exited, secretsManager.close()]);
    });

    it("authenticates with the token", async () => {
      Object.assign(process.env, { HAUL_REDIS_URL: `redis://127.0.0.1:${port}`, HAUL_REDIS_AUTH_SECRET_ARN: secretArn });
      const client = await getRedisClient();
      expect(await client.ping()).toBe("PONG");
      expect(secretsManager.requests).toContain(`secretsmanager.GetSecretValue ${secretArn}`);
    });

    it("is refused without it", async () => {
      Object.assign(process.env, { HAUL_REDIS_URL: `redis://127.0.0.1:${port}` });
      delete process.env.HAUL_REDIS_AUTH_SECRET_ARN;
      const client = await getRedisClient();
      await expect(client.ping()).rejects.toThrow(/NOAUTH/);
    });
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const finish = (result: boolean) => {
        socket.destroy();
        resolve(result);
      };
      socket.once("connect", () => finish(true)).once("error", () => finish(false));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not listen on ${port} within 10 s`);
}
