/**
 * Measures the local Step Functions runner alone: the reservation workflow's ASL through
 * aws-local-stepfunctions, history included, with every task answering at once (no
 * handlers, no I/O, no HTTP). That is what one execution costs the local cloud's process on
 * top of its tasks; benchmarks report it as the component's solo throughput.
 *   npx tsx packages/local/src/stepfunctions/measure-runner.ts [executions] [concurrency]
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { reservationWorkflow } from "@haul/functions/declarations";
import { repoRoot } from "../config.js";
import { loadWorkflow, type JsonValue } from "./definition.js";
import { ExecutionStore } from "./executions.js";
import { WorkflowRunner } from "./workflow-runner.js";

export interface RunnerMeasurement {
  readonly executions: number;
  readonly concurrency: number;
  readonly executionsPerSecond: number;
  /** This process's CPU time (user + system) per execution. */
  readonly cpuMsPerExecution: number;
}

export async function measureRunner(options: { readonly executions?: number; readonly concurrency?: number } = {}): Promise<RunnerMeasurement> {
  const executions = options.executions ?? 5_000;
  const concurrency = options.concurrency ?? 64;
  const workflow = loadWorkflow({
    root: repoRoot,
    workflow: reservationWorkflow,
    resourcePrefix: "measure-haul",
    region: "us-east-1",
    accountId: "000000000000",
    driverNotificationsTopicArn: "arn:aws:sns:us-east-1:000000000000:measure-haul-DriverNotifications",
    trackingSessionsTableName: "measure-haul-TrackingSessions",
  });
  const runner = new WorkflowRunner({
    workflow,
    region: "us-east-1",
    store: new ExecutionStore({ maxClosedExecutions: 5_000, maxRetiredNames: 200_000 }),
    // The confirmed path, the longest a reservation normally takes: every task succeeds at once.
    invokeLambda: async (target, input) => (target.taskName === "PersistReservation" ? confirmedView(input) : null),
    invokeDynamoDb: async () => ({}),
    publish: () => ({ MessageId: "00000000-0000-4000-8000-000000000000" }),
    retryIntervalScale: 1,
    errorLog: (message) => process.stderr.write(message + "\n"),
  });

  let started = 0;
  const runOne = async () => {
    const reservationId = `measure-${process.pid}-${started++}`;
    const input = { command: "create", reservationId, correlationId: reservationId };
    const execution = runner.start(`arn:aws:states:us-east-1:000000000000:execution:${workflow.name}:${reservationId}`, reservationId, JSON.stringify(input), input);
    await execution.closed;
    if (execution.outcome?.status !== "SUCCEEDED") throw new Error(`${reservationId}: ${JSON.stringify(execution.outcome)}`);
  };

  // Warm-up: let the JIT compile the hot paths before measuring.
  for (let index = 0; index < 200; index++) await runOne();
  started = 0;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  let remaining = executions;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (remaining > 0) {
        remaining--;
        await runOne();
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    executions,
    concurrency,
    executionsPerSecond: Math.round(executions / seconds),
    cpuMsPerExecution: Number(((cpu.user + cpu.system) / 1000 / executions).toFixed(3)),
  };
}

function confirmedView(input: JsonValue): JsonValue {
  const { reservationId } = input as { reservationId: string };
  const window = { start: "2031-03-04T08:00:00.000Z", end: "2031-03-04T12:00:00.000Z" };
  return {
    reservationId,
    customerId: "0b6f4f2e-6a47-4c59-9d0e-3f1b1c7a2d11",
    driverId: "5d1a3a8e-2f0e-4f43-9a39-1f2b8c7d6e55",
    status: "CONFIRMED",
    version: 2,
    window,
    trackingExpiresAt: "1930982400",
    notification: {
      eventId: `${reservationId}:reservation-confirmed`,
      type: "reservation-confirmed",
      reservationId,
      driverId: "5d1a3a8e-2f0e-4f43-9a39-1f2b8c7d6e55",
      customerId: "0b6f4f2e-6a47-4c59-9d0e-3f1b1c7a2d11",
      pickup: { lat: 52.52, lon: 13.405, address: "Dock B, Berlin" },
      dropoff: { lat: 48.137, lon: 11.575, address: "Lager 7, München" },
      window,
      cargo: { weightKg: 1200, description: "Pallets" },
      occurredAt: "2031-03-01T10:00:00.000Z",
    },
  };
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const [executions, concurrency] = process.argv.slice(2).map(Number);
  measureRunner({ ...(executions ? { executions } : {}), ...(concurrency ? { concurrency } : {}) }).then(
    (measurement) => process.stdout.write(JSON.stringify(measurement) + "\n"),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
