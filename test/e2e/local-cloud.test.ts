/**
 * Starts the local cloud as a user does (the README's `npm start`, i.e. scripts/start-local-cloud.sh)
 * on its own ports and data directory, then calls it from outside over HTTP.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const portBase = 4600;
let dataDir: string;
let cloud: ChildProcess;
let output = "";
let outputs: Record<string, Record<string, string>>;

function environment(): NodeJS.ProcessEnv {
  return { ...process.env, HAUL_DATA_DIR: dataDir, HAUL_LOCAL_PORT_BASE: String(portBase) };
}

async function mintToken(role: string, extra: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)("npx", ["tsx", "scripts/mint-token.ts", "--role", role, ...extra], {
    cwd: repoRoot,
    env: environment(),
  });
  return stdout.trim();
}

function apiUrl(): string {
  const stack = Object.entries(outputs).find(([name]) => name.endsWith("-ReservationApi"));
  return stack![1].ReservationApiUrl!;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "haul-e2e-"));
  cloud = spawn("bash", ["scripts/start-local-cloud.sh"], { cwd: repoRoot, env: environment(), detached: true });
  cloud.stdout!.on("data", (chunk) => (output += chunk));
  cloud.stderr!.on("data", (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local cloud did not start:\n${output}`)), 110_000);
    const poll = setInterval(() => {
      if (output.includes("Ctrl+C stops everything")) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    cloud.on("exit", (code) => reject(new Error(`local cloud exited with ${code}:\n${output}`)));
  });
  outputs = JSON.parse(await readFile(path.join(dataDir, "outputs.json"), "utf8"));
});

afterAll(async () => {
  if (cloud && cloud.exitCode === null) {
    process.kill(-cloud.pid!, "SIGINT");
    await new Promise((resolve) => cloud.once("exit", resolve));
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe("the local cloud, from outside", () => {
  it("writes its endpoints in SST's outputs shape", () => {
    expect(apiUrl()).toBe(`http://127.0.0.1:${portBase}`);
  });

  it("answers the public health check", async () => {
    const response = await fetch(`${apiUrl()}/health`);
    expect(response.status).toBe(200);
    const report = await response.json();
    expect(report.dependencies.replica.status).toBe("up");
  });

  it("serves an authenticated route to a caller with a minted token", async () => {
    const driver = demoPeopleWithRole("driver")[0]!;
    const token = await mintToken("driver");
    const response = await fetch(`${apiUrl()}/me`, {
      headers: { authorization: `Bearer ${token}`, "x-correlation-id": "e2e-me-1" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-correlation-id")).toBe("e2e-me-1");
    const body = await response.json();
    expect(body).toMatchObject({ userId: driver.id, role: "driver", profile: { truck: { plate: driver.truck!.plate } } });
  });

  it("refuses a missing or expired token with 401", async () => {
    expect((await fetch(`${apiUrl()}/me`)).status).toBe(401);
    const expired = await mintToken("customer", ["--expires-in=-1m"]);
    const response = await fetch(`${apiUrl()}/me`, { headers: { authorization: `Bearer ${expired}` } });
    expect(response.status).toBe(401);
  });

  it("stops cleanly on Ctrl-C", async () => {
    process.kill(-cloud.pid!, "SIGINT");
    const code = await new Promise((resolve) => cloud.once("exit", resolve));
    expect(code).toBe(0);
    await expect(fetch(`${apiUrl()}/health`)).rejects.toThrow();
  });
});
