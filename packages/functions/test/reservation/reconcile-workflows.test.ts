/**
 * The reconciler against a real local cloud (its Step Functions endpoint runs the ASL with the real
 * task handlers) and a scratch MariaDB database of its own, so its page holds only this file's
 * reservations. Each run goes through the local scheduler (`runNow`), as EventBridge would invoke
 * the handler. Reservations are made stale by moving their last status change back in time, not
 * by waiting: the handler's own threshold (a minute) applies.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { applyMigrations } from "@haul/core/db/migrations";
import { closePools, getPrimaryPool } from "@haul/core/db/pools";
import { reconcile, type ReconcileResult } from "@haul/core/reservation/reconciler";
import { Reservation } from "@haul/core/reservation/reservation";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { closeSearchClient } from "@haul/core/search/search-client";
import { mintToken } from "@haul/local/identity/mint-token";
import { loadOrCreateSigningKey } from "@haul/local/identity/signing-key";
import { startLocalCloud, type LocalCloud } from "@haul/local/main";
import type { TaskOverride } from "@haul/local/stepfunctions/workflow-runner";
import { createTestClient, testConfig } from "../../../core/test/search/support.js";
import { createScratchDatabase, migrationsDir, repoRoot, type ScratchDatabase } from "../../../core/test/support/database.js";
import { createTestCustomer, createTestDriver, requestBody, validRequest, windowAt } from "../../../core/test/support/reservations.js";
import { workflowReconciler } from "../../src/declarations.js";
import { stepFunctionsExecutions } from "../../src/reservation/reconcile-workflows.js";
import { startCancelExecution } from "../../src/reservation/start-workflow.js";
import { resetAwsClients } from "../../src/shared/aws-clients.js";

const services = ["reservationApi", "queryApi", "identity", "dynamodb", "stepFunctions", "liveApi", "notificationApi", "trackingApi", "kinesis", "observabilityApi", "web"] as const;
/** Free ports, picked once: a restarted cloud is where the last one was, as `npm start` is. */
let ports: Record<(typeof services)[number], number>;
const savedEnv = { ...process.env };

let scratch: ScratchDatabase;
let haulDir: string;
let cloud: LocalCloud | undefined;
let customerId: string;
let driverId: string;
let window = 0;

/** PersistReservation waits while its reservation is held, or while every decision is: its execution stays RUNNING. */
const held = new Map<string, Promise<boolean>>();
let allHeld: Promise<boolean> | undefined;
const releases: Array<(proceed: boolean) => void> = [];
/** `release(true)` lets the decision go on; `release(false)` fails it (its cloud has stopped: it must write nothing). */
function gate(): { wait: Promise<boolean>; release: (proceed: boolean) => void } {
  let release!: (proceed: boolean) => void;
  const wait = new Promise<boolean>((resolve) => (release = resolve));
  releases.push(release);
  return { wait, release };
}
const holdPersist: TaskOverride = async (input, invocation) => {
  const proceed = (await (held.get((input as { reservationId: string }).reservationId) ?? allHeld)) ?? true;
  if (!proceed) throw new Error("the local cloud of this execution has stopped");
  return invocation.next(input);
};

/** The first cancel execution of these reservations fails at the driver's notice (no Catch there): it ends FAILED. */
const failingCancels = new Set<string>();
const failFirstCancelNotice: TaskOverride = (input, invocation) => {
  if (failingCancels.has(invocation.executionName)) throw Object.assign(new Error("SNS is down"), { name: "SNS.NotFoundException" });
  return invocation.next(input);
};

async function startCloud(fresh: boolean): Promise<LocalCloud> {
  const started = await startLocalCloud({
    haulDir,
    ports,
    quiet: true,
    fresh,
    // Runs come from runNow only: a timer's tick cannot run between a test's steps.
    schedulePeriodSeconds: 3600,
    stepFunctions: { retryIntervalScale: 0.001, taskOverrides: { PersistReservation: holdPersist, NotifyDriverOfCancellation: failFirstCancelNotice } },
  });
  // The test's own clients must not keep the last cloud's connections.
  resetAwsClients();
  return started;
}

beforeAll(async () => {
  scratch = await createScratchDatabase("reconciler");
  await applyMigrations(migrationsDir, { target: scratch.target, log: () => undefined });
  const url = new URL(process.env.HAUL_MYSQL_URL!);
  url.pathname = `/${scratch.name}`;
  await closePools();
  process.env.HAUL_MYSQL_URL = url.toString();
  process.env.HAUL_MYSQL_REPLICA_URL = url.toString();
  // The notification consumer indexes the drivers' messages: their index family must be there.
  const search = createTestClient();
  try {
    await applyIndexFamilies(search, { directory: path.join(repoRoot, "search", "index-families"), prefix: testConfig.indexPrefix, log: () => undefined });
  } finally {
    await search.close();
  }
  customerId = await createTestCustomer();
  driverId = await createTestDriver();
  ports = Object.fromEntries(await Promise.all(services.map(async (service) => [service, await freePort()]))) as typeof ports;
  haulDir = await mkdtemp(path.join(tmpdir(), "haul-reconciler-"));
  cloud = await startCloud(true);
});

afterAll(async () => {
  for (const release of releases) release(false);
  await cloud?.stop();
  resetAwsClients();
  await closePools();
  await closeRedisClient();
  await closeSearchClient();
  process.env = savedEnv;
  await scratch?.drop();
  if (haulDir) await rm(haulDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A window of its own for each reservation, so none overlaps another and all are CONFIRMED. */
const nextWindow = () => windowAt(3 * window++, 2);

/** Accepted as POST /reservations accepts, but its execution is never started. */
async function acceptWithoutExecution(): Promise<string> {
  const accepted = await Reservation.accept(customerId, validRequest(driverId, { window: nextWindow() }), {
    reservationId: Reservation.randomReservationId(),
    correlationId: randomUUID(),
  });
  return accepted.id;
}

/** Through the reservation API, which starts the execution. */
async function reserve(current: LocalCloud): Promise<string> {
  const token = await mintToken({
    role: "customer",
    sub: customerId,
    issuer: current.outputs.IssuerUrl!,
    signingKey: await loadOrCreateSigningKey(path.join(haulDir, "identity")),
  });
  const response = await fetch(`${current.outputs.ReservationApiUrl}/reservations`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(requestBody(driverId, { window: nextWindow() })),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { reservationId: string }).reservationId;
}

/** Moves the last status change of `ids` five minutes back: older than the reconciler's threshold. */
async function makeStale(...ids: string[]): Promise<void> {
  const pool = await getPrimaryPool();
  await pool.query("UPDATE reservations SET status_changed_at = status_changed_at - INTERVAL 5 MINUTE WHERE id IN (?)", [ids]);
}

async function runReconciler(current: LocalCloud): Promise<ReconcileResult> {
  const run = await current.scheduler.runNow(workflowReconciler.name);
  if (run.status !== "succeeded") throw new Error(`the reconciler's run ${run.status}: ${String(run.error)}`);
  return run.result as ReconcileResult;
}

async function executionStatus(current: LocalCloud, name: string): Promise<string | undefined> {
  const client = new SFNClient({ endpoint: current.outputs.StepFunctionsEndpoint, region: process.env.AWS_REGION });
  const executionArn = `${current.stepFunctions.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  try {
    return (await client.send(new DescribeExecutionCommand({ executionArn }))).status;
  } catch (error) {
    if ((error as Error).name === "ExecutionDoesNotExist") return undefined;
    throw error;
  } finally {
    client.destroy();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const statusOf = async (id: string) => (await Reservation.get(id))?.status;
const settledStatus = (id: string) => until(`${id} settled`, async () => {
  const status = await statusOf(id);
  return status === "PENDING" ? undefined : status;
});
const succeeded = (current: LocalCloud, name: string) =>
  until(`${name} succeeded`, async () => ((await executionStatus(current, name)) === "SUCCEEDED" ? true : undefined));

describe("the workflow reconciler", () => {
  it("leaves a reservation PENDING for less than its threshold alone", async () => {
    const id = await acceptWithoutExecution();
    const result = await runReconciler(cloud!);
    expect(result.started).not.toContain(id);
    expect(await executionStatus(cloud!, id)).toBeUndefined();
    expect(await statusOf(id)).toBe("PENDING");
  });

  it("starts the decision of a reservation whose execution never started: it ends CONFIRMED", async () => {
    const id = await acceptWithoutExecution();
    await makeStale(id);
    const result = await runReconciler(cloud!);
    expect(result.started).toContain(id);
    expect(await settledStatus(id)).toBe("CONFIRMED");
    await succeeded(cloud!, id);
    // Seen settled: the next run does not look at it again.
    const next = await runReconciler(cloud!);
    expect(next.started).not.toContain(id);
  });

  it("completes a cancellation whose execution never ran", async () => {
    const id = await reserve(cloud!);
    expect(await settledStatus(id)).toBe("CONFIRMED");
    await succeeded(cloud!, id);
    await Reservation.cancel(id, customerId, new Date());
    await makeStale(id);
    const result = await runReconciler(cloud!);
    expect(result.started).toContain(`${id}-cancel`);
    await succeeded(cloud!, `${id}-cancel`);
    expect(await statusOf(id)).toBe("CANCELLED");
  });

  it("starts a new attempt, `<name>-retry-1`, when the execution ended but the command's work is not done", async () => {
    const id = await reserve(cloud!);
    expect(await settledStatus(id)).toBe("CONFIRMED");
    await succeeded(cloud!, id);
    failingCancels.add(`${id}-cancel`);
    const cancelled = await Reservation.cancel(id, customerId, new Date());
    await startCancelExecution(cancelled, randomUUID());
    await until(`${id}-cancel failed`, async () => ((await executionStatus(cloud!, `${id}-cancel`)) === "FAILED" ? true : undefined));
    await makeStale(id);

    const result = await runReconciler(cloud!);
    expect(result.started).toContain(`${id}-cancel-retry-1`);
    await succeeded(cloud!, `${id}-cancel-retry-1`);
    // Settled by the new attempt: the next run leaves it.
    const next = await runReconciler(cloud!);
    expect(next.started.filter((name) => name.startsWith(id))).toEqual([]);
  });

  it("works through a backlog longer than a page in one run, oldest first", async () => {
    const backlog: string[] = [];
    for (let index = 0; index < 5; index++) backlog.push(await acceptWithoutExecution());
    await makeStale(...backlog);
    // Earlier tests' reservations are settled or not stale: the backlog is what this run finds.
    const result = await reconcile(stepFunctionsExecutions(), { pageSize: 2 });
    expect(result.pages).toBeGreaterThanOrEqual(3);
    expect(result.started).toEqual(expect.arrayContaining(backlog));
    expect(result.started.filter((name) => backlog.includes(name))).toEqual(backlog);
    for (const id of backlog) expect(await settledStatus(id)).toBe("CONFIRMED");
    for (const id of backlog) await succeeded(cloud!, id);
  });

  it("leaves an execution that is still running alone", async () => {
    const id = await acceptWithoutExecution();
    const { wait, release } = gate();
    held.set(id, wait);
    await makeStale(id);
    const first = await runReconciler(cloud!);
    expect(first.started).toContain(id);
    expect(await executionStatus(cloud!, id)).toBe("RUNNING");

    const second = await runReconciler(cloud!);
    expect(second.started).not.toContain(id);
    expect(second.started).not.toContain(`${id}-retry-1`);
    expect(second.outcomes.running).toBeGreaterThanOrEqual(1);
    expect(await executionStatus(cloud!, id)).toBe("RUNNING");
    expect(await executionStatus(cloud!, `${id}-retry-1`)).toBeUndefined();
    expect(await statusOf(id)).toBe("PENDING");

    release(true);
    expect(await settledStatus(id)).toBe("CONFIRMED");
    await succeeded(cloud!, id);
  });

  it("after the local cloud stops mid-workflow and starts again, every accepted reservation ends in a final status", async () => {
    const { wait, release } = gate();
    allHeld = wait;
    const accepted = [await reserve(cloud!), await reserve(cloud!), await reserve(cloud!)];
    for (const id of accepted) await until(`${id} running`, async () => ((await executionStatus(cloud!, id)) === "RUNNING" ? true : undefined));

    await cloud!.stop();
    cloud = undefined;
    allHeld = undefined;
    release(false);
    for (const id of accepted) expect(await statusOf(id)).toBe("PENDING");

    cloud = await startCloud(false);
    // The new cloud has no memory of the old one's executions.
    for (const id of accepted) expect(await executionStatus(cloud, id)).toBeUndefined();
    await makeStale(...accepted);
    const result = await runReconciler(cloud);
    expect(result.started).toEqual(expect.arrayContaining(accepted));
    for (const id of accepted) expect(await settledStatus(id)).toBe("CONFIRMED");
    for (const id of accepted) await succeeded(cloud, id);
  });
});
