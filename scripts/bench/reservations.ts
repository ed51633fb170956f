/**
 * Benchmark of the reservation path through a RUNNING local cloud, driven from outside (this
 * process is a separate client; start the cloud first, e.g. `npm start -- --no-demo`):
 *
 *   npx tsx scripts/bench/reservations.ts [--outputs <file>] [--duration 20] [--step 3]
 *       [--concurrency 4,8,16,32,64] [--fraction 0.7] [--rate <per second>] [--solo 2] [--no-solo]
 *
 *   --outputs      the cloud's outputs file (default: HAUL_OUTPUTS_FILE or .haul/outputs.json);
 *                  tokens are signed with the key under `<its directory>/identity`
 *   --duration     seconds at the fixed offered rate (default 20)
 *   --step         seconds per concurrency level of the search (default 3)
 *   --concurrency  closed-loop levels of the search (default 4,8,16,32,64)
 *   --fraction     the fixed rate as a fraction of the best completed/s found (default 0.7)
 *   --rate         skip the search and offer this rate
 *   --solo         seconds per component of the solo measurements (default 2); --no-solo skips them
 *
 * MySQL and Redis are reached through HAUL_MYSQL_URL / HAUL_REDIS_URL as the cloud was given them
 * (the same database: the status counts, the window slots and the solo measurements use it).
 *
 * It prints, in order:
 *  0. the warm-up: closed-loop rounds until the JIT has settled (a round gains < 5%);
 *  1. the search: closed loop, increasing concurrency, accepted/s (HTTP 202) and completed
 *     executions/s (stopDate inside the step), draining between levels;
 *  2. the fixed rate: open loop (arrivals scheduled at 1/rate apart, whatever the replies do) for
 *     --duration seconds: accepted/s, completed/s, p50/p99 of acceptance (the POST's round trip)
 *     and of completion (from sending the POST to the execution's stopDate), the final statuses;
 *  3. the CPU seconds and % of one core of each process over the fixed-rate phase: the local cloud,
 *     dynalite (if it runs as a process of its own), MariaDB primary and replica, Redis, this client
 *     (found by their listening ports through /proc/net/tcp and /proc/<pid>/fd);
 *  4. the solo throughput of each component on the path, each alone for --solo seconds, from
 *     this process while the cloud idles.
 *
 * Completion times come from ListExecutions (stopDate), polled twice a second with a page sized to
 * what is outstanding: the local endpoint keeps only the newest 5,000 closed executions.
 * Every reservation is valid: a seeded customer, the seeded drivers in turn, cargo within the
 * truck, 5-minute windows laid end to end after the latest window already stored for the drivers
 * (so they should all be CONFIRMED; REJECTED ones are counted), and an Idempotency-Key each.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { BatchWriteItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { resolveMysqlTarget } from "@haul/core/db/connection-config";
import { closePools } from "@haul/core/db/pools";
import { demoPeopleWithRole, type DemoPerson } from "@haul/core/identity/demo-people";
import { ReservationCache } from "@haul/core/reservation/query-cache";
import { Reservation, type ReservationRequest } from "@haul/core/reservation/reservation";
import { loadOrCreateSigningKey } from "@haul/local/identity/signing-key";
import { mintToken } from "@haul/local/identity/mint-token";
import { readOutputs } from "@haul/local/outputs";
import { createDriverNotifications } from "@haul/local/sns/driver-notifications";
import { measureRunner } from "@haul/local/stepfunctions/measure-runner";
import { createDynamoDbTaskClient } from "@haul/local/stepfunctions/tasks/dynamodb-task";
import { createHttpClient, now, offerAtFixedRate } from "./support/http.js";
import { addListeners, cpuSnapshot, cpuTable, percentile, pidListeningOn, type WatchedProcess } from "./support/processes.js";
import { describeStatuses, postReservation, reservationRequest as benchReservation, reservationStatuses, type PostedReservation } from "./support/reservations.js";
import { drivers, WindowSlots } from "./support/window-slots.js";

// ---------------------------------------------------------------------------------------------
// Settings

const { values: args } = parseArgs({
  options: {
    outputs: { type: "string" },
    duration: { type: "string", default: "20" },
    step: { type: "string", default: "3" },
    concurrency: { type: "string", default: "4,8,16,32,64" },
    fraction: { type: "string", default: "0.7" },
    rate: { type: "string" },
    solo: { type: "string", default: "2" },
    "no-solo": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const outputsPath = path.resolve(args.outputs ?? process.env.HAUL_OUTPUTS_FILE ?? path.join(process.cwd(), ".haul", "outputs.json"));
const durationSeconds = Number(args.duration);
const stepSeconds = Number(args.step);
const concurrencyLevels = args.concurrency.split(",").map(Number);
const fraction = Number(args.fraction);
const soloSeconds = Number(args.solo);

const print = (line = "") => process.stdout.write(line + "\n");

// ---------------------------------------------------------------------------------------------
// The cloud's endpoints, tokens, and valid reservations

interface Endpoints {
  readonly api: URL;
  readonly sfn: string;
  readonly stateMachineArn: string;
  readonly dynamodb: string;
  readonly trackingTable: string;
}

const customers = demoPeopleWithRole("customer");


function reservationRequest(slots: WindowSlots): ReservationRequest {
  const { driver, start, end } = slots.takeNext();
  return benchReservation(driver.id, { start, end }, driver.truck!.capacityKg);
}

// ---------------------------------------------------------------------------------------------
// HTTP: one keep-alive agent, plain node:http (the client must cost little next to the server)

// Without a second try after ECONNRESET: a request on a reset socket counts as failed (status -1).
const http = createHttpClient({ maxSockets: 512, resendAfterReset: false });

function sfnCall(endpoints: Endpoints, operation: string, input: object): Promise<Record<string, unknown>> {
  return http.send(new URL(endpoints.sfn), "POST", { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AWSStepFunctions.${operation}` }, JSON.stringify(input)).then(
    (reply) => {
      if (reply.status !== 200) throw new Error(`${operation} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
      return JSON.parse(reply.body) as Record<string, unknown>;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// One reservation and its completion

interface Sample extends PostedReservation {
  stopDate?: number;
  executionStatus?: string;
}

class Client {
  constructor(
    private readonly endpoints: Endpoints,
    private readonly tokens: readonly string[],
    private readonly slots: WindowSlots,
  ) {}

  private count = 0;

  async reserve(sample: Sample): Promise<Sample> {
    const token = this.tokens[this.count++ % this.tokens.length]!;
    const body = JSON.stringify(reservationRequest(this.slots));
    await postReservation(http, new URL("/reservations", this.endpoints.api), token, body, sample);
    return sample;
  }
}

/**
 * Follows executions to their stopDate with ListExecutions, newest first, paging only as far
 * back as the oldest execution still outstanding.
 */
class CompletionTracker {
  private readonly outstanding = new Map<string, Sample>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly endpoints: Endpoints) {}

  add(sample: Sample): void {
    if (sample.reservationId) this.outstanding.set(sample.reservationId, sample);
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), 500);
  }

  async stopWhenDrained(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.outstanding.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    clearInterval(this.timer);
    while (this.polling) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.outstanding.size;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.outstanding.size === 0) return;
    this.polling = true;
    try {
      let oldest = Infinity;
      for (const sample of this.outstanding.values()) oldest = Math.min(oldest, sample.sentAt);
      let nextToken: string | undefined;
      do {
        const page = await sfnCall(this.endpoints, "ListExecutions", {
          stateMachineArn: this.endpoints.stateMachineArn,
          maxResults: Math.min(1000, this.outstanding.size * 2 + 100),
          ...(nextToken ? { nextToken } : {}),
        });
        const executions = page.executions as { name: string; status: string; startDate: number; stopDate?: number }[];
        let reachedOldest = false;
        for (const execution of executions) {
          const sample = this.outstanding.get(execution.name);
          if (sample && execution.stopDate !== undefined) {
            sample.stopDate = execution.stopDate * 1000;
            sample.executionStatus = execution.status;
            this.outstanding.delete(execution.name);
          }
          if (execution.startDate * 1000 < oldest - 1000) reachedOldest = true;
        }
        nextToken = reachedOldest ? undefined : (page.nextToken as string | undefined);
      } while (nextToken && this.outstanding.size > 0);
    } catch (error) {
      print(`  ! ListExecutions failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

interface PhaseResult {
  readonly samples: Sample[];
  readonly startedAt: number;
  readonly endedAt: number;
  readonly lostExecutions: number;
}

async function closedLoop(client: Client, endpoints: Endpoints, concurrency: number, seconds: number): Promise<PhaseResult> {
  const tracker = new CompletionTracker(endpoints);
  const samples: Sample[] = [];
  const startedAt = now();
  const endAt = startedAt + seconds * 1000;
  tracker.start();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < endAt) {
        const sample = await client.reserve({ sentAt: now() });
        samples.push(sample);
        tracker.add(sample);
      }
    }),
  );
  const endedAt = now();
  const lostExecutions = await tracker.stopWhenDrained();
  return { samples, startedAt, endedAt, lostExecutions };
}

async function openLoop(client: Client, endpoints: Endpoints, rate: number, seconds: number): Promise<PhaseResult & { maxLagMs: number }> {
  const tracker = new CompletionTracker(endpoints);
  const samples: Sample[] = [];
  tracker.start();
  // Every arrival whose time has come is sent now, however the earlier ones fare.
  const { startedAt, maxLagMs } = await offerAtFixedRate(rate, seconds, () => {
    const sample: Sample = { sentAt: now() };
    samples.push(sample);
    return client.reserve(sample).then((done) => tracker.add(done));
  });
  const endedAt = now();
  const lostExecutions = await tracker.stopWhenDrained();
  return { samples, startedAt, endedAt, lostExecutions, maxLagMs };
}

function summarize(result: PhaseResult, windowMs: number) {
  const accepted = result.samples.filter((sample) => sample.status === 202);
  const completedInWindow = accepted.filter((sample) => sample.stopDate !== undefined && sample.stopDate <= result.startedAt + windowMs);
  const acceptedInWindow = accepted.filter((sample) => sample.acceptedAt! <= result.startedAt + windowMs);
  return {
    sent: result.samples.length,
    accepted: accepted.length,
    refused: result.samples.length - accepted.length,
    acceptedPerSecond: acceptedInWindow.length / (windowMs / 1000),
    completedPerSecond: completedInWindow.length / (windowMs / 1000),
    acceptLatencies: accepted.map((sample) => sample.acceptedAt! - sample.sentAt),
    completionLatencies: accepted.filter((sample) => sample.stopDate !== undefined).map((sample) => sample.stopDate! - sample.sentAt),
    lastStop: Math.max(...accepted.map((sample) => sample.stopDate ?? 0)),
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

// ---------------------------------------------------------------------------------------------
// Processes and their CPU (/proc)

async function findProcesses(endpoints: Endpoints): Promise<WatchedProcess[]> {
  const primary = await resolveMysqlTarget("primary");
  const replica = await resolveMysqlTarget("replica");
  const redisPort = Number(new URL(process.env.HAUL_REDIS_URL || "redis://127.0.0.1:6379").port || 6379);
  const cloud = await pidListeningOn(Number(endpoints.api.port));
  if (!cloud) throw new Error(`Nothing listens on ${endpoints.api.href}: is the local cloud running?`);
  const found: WatchedProcess[] = [{ label: "local cloud (node)", pid: cloud }];
  await addListeners(found, [
    ["dynalite (child)", Number(new URL(endpoints.dynamodb).port)],
    ["mariadbd primary", primary.port],
    ["mariadbd replica", replica.port],
    ["redis-server", redisPort],
  ]);
  found.push({ label: "bench client (this)", pid: process.pid });
  return found;
}

// ---------------------------------------------------------------------------------------------
// Solo throughput of each component

async function forSeconds(seconds: number, concurrency: number, work: (index: number) => Promise<unknown>): Promise<number> {
  const endAt = now() + seconds * 1000;
  let done = 0;
  let counter = 0;
  const startedAt = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < endAt) {
        await work(counter++);
        done++;
      }
    }),
  );
  return done / ((now() - startedAt) / 1000);
}

async function measureSolo(endpoints: Endpoints, tokens: readonly string[], slots: WindowSlots): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const cpuBefore = () => process.cpuUsage();
  const report = (name: string, perSecond: number, cpu: NodeJS.CpuUsage, note: string) => {
    const cpuMs = (cpu.user + cpu.system) / 1000;
    rows.push([name, `${Math.round(perSecond).toLocaleString("en-US").padStart(7)}/s   ${note}${note ? "; " : ""}client CPU ${(cpuMs / 1000).toFixed(2)} s`]);
    print(`  ${name.padEnd(44)} ${rows.at(-1)![1]}`);
  };

  // Gateway + JWT authorizer: POST /reservations with a valid customer token and an empty body:
  // route match, RS256 verification, v2 event, middy + logger, zod rejects it (400) before any I/O.
  {
    const url = new URL("/reservations", endpoints.api);
    const cpu = cpuBefore();
    const rate = await forSeconds(soloSeconds, 16, async (index) => {
      const reply = await http.send(url, "POST", { authorization: `Bearer ${tokens[index % tokens.length]!}`, "content-type": "application/json" }, "{}");
      if (reply.status !== 400) throw new Error(`expected 400, got ${reply.status}`);
    });
    report("gateway + JWT authorizer (POST {} -> 400)", rate, process.cpuUsage(cpu), "16 in flight, HTTP keep-alive");
  }

  // MySQL: the 202's accept (one INSERT ... SELECT) and the workflow's decision (one CALL).
  {
    const customer = customers[0]!;
    const cpu = cpuBefore();
    const rate = await forSeconds(soloSeconds, 16, async () => {
      const reservationId = Reservation.randomReservationId();
      await Reservation.accept(customer.id, reservationRequest(slots), { reservationId, correlationId: `bench-solo-${reservationId}` });
      const view = await Reservation.persist(reservationId);
      if (view.status !== "CONFIRMED" && view.status !== "REJECTED") throw new Error(`persist gave ${view.status}`);
    });
    report("MySQL accept + decide", rate, process.cpuUsage(cpu), "16 in flight, core Reservation functions");
  }

  // Redis: the workflow's invalidation (one MULTI with an EVAL).
  {
    const cpu = cpuBefore();
    const rate = await forSeconds(soloSeconds, 16, (index) =>
      ReservationCache.invalidate({ reservationId: randomUUID(), customerId: customers[0]!.id, driverId: drivers[index % drivers.length]!.id, version: 2 }),
    );
    report("Redis invalidation (ReservationCache.invalidate)", rate, process.cpuUsage(cpu), "16 in flight");
  }

  // DynamoDB: PutItem of a tracking-session-shaped item through the workflow's own integration
  // client (DynamoDB's JSON protocol to the local endpoint), deleted afterwards.
  {
    const integration = createDynamoDbTaskClient({ endpoint: endpoints.dynamodb, region: "us-east-1" });
    const keys: string[] = [];
    const run = randomUUID();
    const cpu = cpuBefore();
    const rate = await forSeconds(soloSeconds, 16, async (index) => {
      const reservationId = `bench-solo-${run}-${index}`;
      keys.push(reservationId);
      await integration.invoke("putItem", {
        TableName: endpoints.trackingTable,
        Item: {
          reservationId: { S: reservationId },
          customerId: { S: customers[0]!.id },
          driverId: { S: drivers[0]!.id },
          sessionStatus: { S: "OPEN" },
          windowStart: { S: "2031-03-04T08:00:00.000Z" },
          windowEnd: { S: "2031-03-04T12:00:00.000Z" },
          expiresAt: { N: "1930982400" },
          correlationId: { S: reservationId },
        },
        ConditionExpression: "attribute_not_exists(reservationId)",
      });
    });
    report("DynamoDB PutItem (workflow integration)", rate, process.cpuUsage(cpu), "16 in flight, conditional, keep-alive");
    integration.destroy();
    const client = new DynamoDBClient({
      endpoint: endpoints.dynamodb,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    for (let offset = 0; offset < keys.length; offset += 25) {
      const batch = keys.slice(offset, offset + 25);
      await client.send(
        new BatchWriteItemCommand({ RequestItems: { [endpoints.trackingTable]: batch.map((key) => ({ DeleteRequest: { Key: { reservationId: { S: key } } } })) } }),
      );
    }
    client.destroy();
  }

  // SNS: the local topic -> queue publish, in this process (in the cloud it has no HTTP endpoint).
  {
    const notifications = createDriverNotifications({ stage: "bench", region: "us-east-1", accountId: "000000000000" });
    const message = JSON.stringify({ eventId: "x:reservation-confirmed", type: "reservation-confirmed", reservationId: randomUUID(), driverId: drivers[0]!.id, customerId: customers[0]!.id });
    const cpu = cpuBefore();
    const rate = await forSeconds(soloSeconds, 1, async (index) => {
      notifications.publish({
        TopicArn: notifications.topic.arn,
        Message: message,
        MessageAttributes: {
          driverId: { DataType: "String", StringValue: drivers[0]!.id },
          eventType: { DataType: "String", StringValue: "reservation-confirmed" },
          correlationId: { DataType: "String", StringValue: `c-${index}` },
        },
      });
      // The queue keeps every message; keep memory flat.
      if (index % 10_000 === 9_999) notifications.queue.purge();
    });
    report("SNS publish (local topic -> queue)", rate, process.cpuUsage(cpu), "in process, synchronous");
    notifications.stop();
  }

  // Step Functions: the runner with instant tasks (aws-local-stepfunctions + history), sized to ~solo seconds.
  {
    const probe = await measureRunner({ executions: 300, concurrency: 64 });
    const measured = await measureRunner({ executions: Math.max(500, Math.round(probe.executionsPerSecond * soloSeconds)), concurrency: 64 });
    rows.push(["", ""]);
    print(
      `  ${"Step Functions runner, instant tasks".padEnd(44)} ${Math.round(measured.executionsPerSecond).toLocaleString("en-US").padStart(7)}/s   ${measured.executions} executions, 64 in flight; ${measured.cpuMsPerExecution} ms CPU per execution`,
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (args.help) {
    const text = await readFile(new URL(import.meta.url), "utf8");
    print(text.slice(0, text.indexOf("*/") + 2));
    return;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const outputs = await readOutputs(outputsPath);
  const need = (name: string) => {
    const value = outputs[name];
    if (!value) throw new Error(`${outputsPath} has no ${name}`);
    return value;
  };
  const endpoints: Endpoints = {
    api: new URL(need("ReservationApiUrl")),
    sfn: need("StepFunctionsEndpoint"),
    stateMachineArn: need("ReservationStateMachineArn"),
    dynamodb: need("DynamoDbEndpoint"),
    trackingTable: need("TrackingSessionsTableName"),
  };
  const signingKey = await loadOrCreateSigningKey(path.join(path.dirname(outputsPath), "identity"));
  const tokens = await Promise.all(
    customers.map((customer) => mintToken({ role: "customer", sub: customer.id, issuer: need("IssuerUrl"), audience: need("UserPoolClientId"), signingKey, expiresIn: "2h" })),
  );
  const slots = await WindowSlots.load();
  const client = new Client(endpoints, tokens, slots);
  const processes = await findProcesses(endpoints);
  const mysql = await resolveMysqlTarget("primary");

  print(`Haul reservation benchmark against ${endpoints.api.origin} (outputs ${outputsPath}, MySQL ${mysql.host}:${mysql.port}/${mysql.database})`);
  print(`Processes: ${processes.map((watched) => `${watched.label} pid ${watched.pid}`).join(", ")}`);
  print(`Each reservation: one of ${customers.length} customers, ${drivers.length} drivers in turn, 5-minute windows end to end, cargo 30-90% of the truck, its own Idempotency-Key.`);
  print();

  // Warm-up: handler modules, pools, and the JIT. A freshly started cloud runs unoptimized code for
  // tens of seconds, at up to twice its warm CPU per reservation: closed-loop rounds until a round
  // gains less than 5% on the one before (at most 60 s).
  const warmUpRounds: number[] = [];
  for (let round = 0; round < 20; round++) {
    const completed = summarize(await closedLoop(client, endpoints, 16, 3), 3000).completedPerSecond;
    warmUpRounds.push(completed);
    if (round > 0 && completed < warmUpRounds[round - 1]! * 1.05) break;
  }
  print(`Warm-up: closed loop, 16 in flight, 3 s rounds until one gains < 5%: ${warmUpRounds.map((value) => value.toFixed(0)).join(" -> ")} completed/s`);
  print();

  let rate = args.rate ? Number(args.rate) : 0;
  if (!rate) {
    print(`1. Search: closed loop, ${stepSeconds} s per level, draining in between`);
    print(`   ${"concurrency".padStart(11)} ${"accepted/s".padStart(11)} ${"completed/s".padStart(12)} ${"p50 accept".padStart(11)} ${"p50 complete".padStart(13)}`);
    let best = 0;
    let bestAccepted = 0;
    for (const concurrency of concurrencyLevels) {
      const result = await closedLoop(client, endpoints, concurrency, stepSeconds);
      const summary = summarize(result, stepSeconds * 1000);
      print(
        `   ${String(concurrency).padStart(11)} ${summary.acceptedPerSecond.toFixed(0).padStart(11)} ${summary.completedPerSecond.toFixed(0).padStart(12)} ${ms(percentile(summary.acceptLatencies, 50)).padStart(11)} ${ms(percentile(summary.completionLatencies, 50)).padStart(13)}${summary.refused ? `   (${summary.refused} not accepted)` : ""}`,
      );
      bestAccepted = Math.max(bestAccepted, summary.acceptedPerSecond);
      if (summary.completedPerSecond < best * 0.8) break; // well past the knee
      best = Math.max(best, summary.completedPerSecond);
    }
    rate = Math.max(1, Math.round(best * fraction));
    print(`   max: ${bestAccepted.toFixed(0)} accepted/s, ${best.toFixed(0)} completed executions/s -> fixed rate ${rate}/s (${Math.round(fraction * 100)}%)`);
    print();
  }

  print(`2. Fixed rate: open loop, ${rate} reservations/s offered for ${durationSeconds} s`);
  const cpuStart = await cpuSnapshot(processes);
  const cpuStartedAt = now();
  const result = await openLoop(client, endpoints, rate, durationSeconds);
  const cpuEnd = await cpuSnapshot(processes);
  const cpuElapsed = (now() - cpuStartedAt) / 1000;
  const summary = summarize(result, durationSeconds * 1000);
  const statuses = await reservationStatuses(result.samples.flatMap((sample) => (sample.reservationId ? [sample.reservationId] : [])));
  const failedExecutions = result.samples.filter((sample) => sample.executionStatus && sample.executionStatus !== "SUCCEEDED").length;
  const completionSpan = (summary.lastStop - result.startedAt) / 1000;
  print(`   sent ${summary.sent}, accepted (202) ${summary.accepted}, not accepted ${summary.refused}; max client lag behind schedule ${ms(result.maxLagMs)}`);
  print(`   accepted/s            ${summary.acceptedPerSecond.toFixed(1)}`);
  print(`   completed/s           ${summary.completedPerSecond.toFixed(1)} within the ${durationSeconds} s (all ${summary.completionLatencies.length} closed ${completionSpan.toFixed(1)} s after the first POST)`);
  print(`   acceptance  p50 ${ms(percentile(summary.acceptLatencies, 50))}   p99 ${ms(percentile(summary.acceptLatencies, 99))}   max ${ms(percentile(summary.acceptLatencies, 100))}`);
  print(`   completion  p50 ${ms(percentile(summary.completionLatencies, 50))}   p99 ${ms(percentile(summary.completionLatencies, 99))}   max ${ms(percentile(summary.completionLatencies, 100))}`);
  print(
    `   reservations: ${describeStatuses(statuses)}; executions not SUCCEEDED ${failedExecutions}${result.lostExecutions ? `, never seen closed ${result.lostExecutions}` : ""}`,
  );
  print();

  print(`3. CPU over the fixed-rate phase (${cpuElapsed.toFixed(1)} s wall, 2 cores = 200%)`);
  for (const line of cpuTable(processes, cpuStart, cpuEnd, cpuElapsed, summary.accepted, "   ").lines) print(line);
  print();

  if (!args["no-solo"]) {
    print(`4. Solo throughput of each component on the path (each alone for ~${soloSeconds} s, from this process)`);
    await measureSolo(endpoints, tokens, slots);
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    http.destroy();
    await closePools().catch(() => undefined);
    await closeRedisClient().catch(() => undefined);
  });
