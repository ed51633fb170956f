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
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import mysql, { type RowDataPacket } from "mysql2/promise";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const portBase = 4600;
let dataDir: string;
let cloud: ChildProcess;
let startOutput = "";
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

/** Every stack's outputs in one map, as scripts read them. */
function output(name: string): string {
  const value = Object.values(outputs).find((stack) => name in stack)?.[name];
  if (!value) throw new Error(`no output ${name} in ${JSON.stringify(outputs)}`);
  return value;
}

const apiUrl = () => output("ReservationApiUrl");
const credentials = { accessKeyId: "e2e", secretAccessKey: "e2e" };

async function waitForExecution(executionArn: string) {
  const sfn = new SFNClient({ endpoint: output("StepFunctionsEndpoint"), region: "us-east-1", credentials });
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== "RUNNING") return execution;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${executionArn} still running`);
  } finally {
    sfn.destroy();
  }
}

/** Reads the reservation's status on the replica once it has caught up with the primary. */
async function statusOnReplica(reservationId: string): Promise<string | undefined> {
  const primary = await mysql.createConnection(process.env.HAUL_MYSQL_URL!);
  const replica = await mysql.createConnection(process.env.HAUL_MYSQL_REPLICA_URL!);
  try {
    const [[position]] = await primary.query<RowDataPacket[]>("SELECT @@gtid_binlog_pos AS gtid");
    await replica.query("SELECT MASTER_GTID_WAIT(?, 10)", [position!.gtid]);
    const [rows] = await replica.query<RowDataPacket[]>("SELECT status FROM reservations WHERE id = ?", [reservationId]);
    return rows[0]?.status;
  } finally {
    await primary.end();
    await replica.end();
  }
}

async function trackingSession(reservationId: string) {
  const dynamodb = new DynamoDBClient({ endpoint: output("DynamoDbEndpoint"), region: "us-east-1", credentials });
  try {
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: output("TrackingSessionsTableName"), Key: { reservationId: { S: reservationId } } }),
    );
    return Item;
  } finally {
    dynamodb.destroy();
  }
}

beforeAll(async () => {
  // The test database keeps earlier runs' reservations (the demo's too): start the seeded drivers' calendars empty.
  const primary = await mysql.createConnection(process.env.HAUL_MYSQL_URL!);
  try {
    await primary.query("DELETE FROM reservations WHERE driver_id IN (?)", [demoPeopleWithRole("driver").map((driver) => driver.id)]);
  } catch (error) {
    if ((error as { code?: string }).code !== "ER_NO_SUCH_TABLE") throw error; // a fresh database: nothing to clear
  } finally {
    await primary.end();
  }
  dataDir = await mkdtemp(path.join(tmpdir(), "haul-e2e-"));
  cloud = spawn("bash", ["scripts/start-local-cloud.sh"], { cwd: repoRoot, env: environment(), detached: true });
  cloud.stdout!.on("data", (chunk) => (startOutput += chunk));
  cloud.stderr!.on("data", (chunk) => (startOutput += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local cloud did not start:\n${startOutput}`)), 110_000);
    const poll = setInterval(() => {
      if (startOutput.includes("Ctrl+C stops everything")) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    cloud.on("exit", (code) => reject(new Error(`local cloud exited with ${code}:\n${startOutput}`)));
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
  it("ran the start-up demo to a confirmed reservation", () => {
    expect(startOutput).toMatch(/✓ PersistReservation/);
    expect(startOutput).toMatch(/Reservation [0-9a-f-]{36} is CONFIRMED\./);
  });

  it("showed the demo's notification arriving on the driver's LiveApi connection", () => {
    expect(startOutput).toMatch(/'s app is connected to the LiveApi \(ws:\/\/127\.0\.0\.1:\d+\/local\) with a driver token/);
    const reservationId = /Reservation ([0-9a-f-]{36}) is CONFIRMED\./.exec(startOutput)?.[1];
    expect(startOutput).toMatch(/'s app got it on the LiveApi, \d+ ms after the 202:/);
    expect(startOutput).toMatch(/reservation-confirmed: New job: /);
    expect(startOutput).toContain(`reservation ${reservationId}, message ${reservationId}:reservation-confirmed`);
  });

  it("writes its endpoints in SST's outputs shape", () => {
    expect(apiUrl()).toBe(`http://127.0.0.1:${portBase}`);
  });

  it("answers the public health check", async () => {
    const response = await fetch(`${apiUrl()}/health`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as { dependencies: Record<string, { status: string }> };
    expect(report.dependencies.replica?.status).toBe("up");
    expect(report.dependencies.opensearch?.status).toBe("up");
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

  it("takes a customer from token to CONFIRMED: row on the replica, tracking session in DynamoDB", async () => {
    const customer = demoPeopleWithRole("customer")[2]!;
    const driver = demoPeopleWithRole("driver")[4]!;
    const token = await mintToken("customer", ["--sub", customer.id]);
    // A random hour within the year ahead (the furthest a reservation may start), so reruns rarely collide.
    const start = new Date((Math.ceil(Date.now() / 3_600_000) + 48 + Math.floor(Math.random() * 8_000)) * 3_600_000);
    const response = await fetch(`${apiUrl()}/reservations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        driverId: driver.id,
        pickup: { lat: 41.39, lon: 2.17, address: "Carrer de Mallorca 401, Barcelona" },
        dropoff: { lat: 41.65, lon: -0.88, address: "Plaza del Pilar, Zaragoza" },
        window: { start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() },
        cargo: { weightKg: 9_000, description: "Steel coils" },
      }),
    });
    expect(response.status).toBe(202);
    const receipt = (await response.json()) as { reservationId: string; status: string };
    expect(receipt.status).toBe("PENDING");

    const stateMachineArn = output("ReservationStateMachineArn");
    const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${receipt.reservationId}`;
    const execution = await waitForExecution(executionArn);
    expect(execution.status).toBe("SUCCEEDED");
    expect(await statusOnReplica(receipt.reservationId)).toBe("CONFIRMED");
    expect(await trackingSession(receipt.reservationId)).toMatchObject({
      sessionStatus: { S: "OPEN" },
      customerId: { S: customer.id },
      driverId: { S: driver.id },
    });

    // Operators inspect executions with the AWS CLI, pointed at the local endpoint.
    const { stdout } = await promisify(execFile)(
      "aws",
      ["stepfunctions", "list-executions", "--state-machine-arn", stateMachineArn, "--endpoint-url", output("StepFunctionsEndpoint"), "--output", "json"],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x", AWS_DEFAULT_REGION: "us-east-1" } },
    );
    const listed = JSON.parse(stdout) as { executions: { name: string; status: string }[] };
    expect(listed.executions).toContainEqual(expect.objectContaining({ name: receipt.reservationId, status: "SUCCEEDED" }));
  });

  it("stops cleanly on Ctrl-C", async () => {
    process.kill(-cloud.pid!, "SIGINT");
    const code = await new Promise((resolve) => cloud.once("exit", resolve));
    expect(code).toBe(0);
    await expect(fetch(`${apiUrl()}/health`)).rejects.toThrow();
  });
});
