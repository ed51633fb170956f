/**
 * Benchmark of driver notifications end to end through a RUNNING local cloud, driven from this
 * separate process (start the cloud first, e.g. `npm start -- --no-demo`):
 *
 *   npx tsx scripts/bench/notifications.ts [--outputs <file>] [--drivers 1000] [--rate 100]
 *       [--duration 20] [--runs 1] [--warmup 5] [--grace 10] [--settle 5] [--connect-concurrency 50]
 *
 *   --outputs             the cloud's outputs file (default: HAUL_OUTPUTS_FILE or .haul/outputs.json);
 *                         tokens are signed with the key under `<its directory>/identity`
 *   --drivers             drivers, each with a truck and one WebSocket connection (default 1000)
 *   --rate                reservations offered per second, open loop (default 100)
 *   --duration            seconds of each measured run (default 20)
 *   --runs                measured runs over the same connections (default 1)
 *   --warmup              seconds of unmeasured load at --rate before the first run (default 5; 0: none)
 *   --grace               seconds after the last POST a message may still arrive before it counts as lost (default 10)
 *   --settle              seconds the connections stay idle before the cloud's memory is read (default 5)
 *   --connect-concurrency connections being opened at once (default 50)
 *
 * MySQL is reached through HAUL_MYSQL_URL as the cloud was given it (the same database `haul`).
 *
 * The path measured: a customer's POST /reservations (202) -> the reservation workflow (Step
 * Functions) -> SNS -> SQS -> the notification consumer (idempotency record in DynamoDB, the
 * message stored in OpenSearch) -> PostToConnection on the LiveApi -> the driver's socket.
 *
 * Workload. The bench's own drivers, created idempotently in the database (an upsert; nothing is
 * deleted): ids `b0000000-0000-4000-8000-<n as 12 hex digits>`, trucks `b1000000-…` with plates
 * `BENCH-<n>` (box, 3,500 kg), email `bench-driver-<n>@bench.haul.example`. Each driver opens one
 * LiveApi connection from this process with a driver token minted with the local signing key (the
 * connections are then pinged every 4 minutes, against the 10-minute idle close). Reservations come
 * from the 3 seeded customers, go to the drivers in turn (consecutive reservations to distinct
 * drivers; a driver's next one is --drivers reservations later), with 5-minute windows laid end to
 * end after the driver's latest (so all are CONFIRMED), cargo within the truck and an
 * Idempotency-Key each. Each `driver-message` frame of type `reservation-confirmed` is matched to its
 * reservation by `message.reservationId` and checked to have arrived on its driver's socket.
 *
 * It prints:
 *  - connecting: connections/s, the local cloud's RSS (and dynalite's) before connecting and with
 *    every connection open and idle for --settle seconds;
 *  - per run: offered / accepted / delivered, lost (accepted, no message within --grace s of the
 *    last POST), duplicates, misrouted; delivered/s (from the first POST to the last message);
 *    latency p50/p99/max from the 202 (acceptance -> message on the socket) and from sending the
 *    POST; the reservations' statuses and the messages stored in OpenSearch; CPU seconds, % of one
 *    core and ms per reservation of each process (local cloud, dynalite, MariaDB primary and
 *    replica, Redis, OpenSearch, this bench) from /proc; the cloud's RSS after the run;
 *  - a summary line per run, and the RSS after the connections are closed.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { resolveMysqlTarget } from "@haul/core/db/connection-config";
import { closePools, getPrimaryPool } from "@haul/core/db/pools";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import type { ReservationRequest } from "@haul/core/reservation/reservation";
import { mintToken } from "@haul/local/identity/mint-token";
import { loadOrCreateSigningKey } from "@haul/local/identity/signing-key";
import { readOutputs } from "@haul/local/outputs";
import { createHttpClient, now, offerAtFixedRate, type HttpClient } from "./support/http.js";
import { addListeners, cpuSnapshot, cpuTable, percentile, pidListeningOn, residentBytes, type WatchedProcess } from "./support/processes.js";
import { describeStatuses, postReservation, reservationRequest as benchReservation, reservationStatuses, type PostedReservation } from "./support/reservations.js";
import { WindowSlots } from "./support/window-slots.js";

// ---------------------------------------------------------------------------------------------
// Settings

const { values: args } = parseArgs({
  options: {
    outputs: { type: "string" },
    drivers: { type: "string", default: "1000" },
    rate: { type: "string", default: "100" },
    duration: { type: "string", default: "20" },
    runs: { type: "string", default: "1" },
    warmup: { type: "string", default: "5" },
    grace: { type: "string", default: "10" },
    settle: { type: "string", default: "5" },
    "connect-concurrency": { type: "string", default: "50" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const outputsPath = path.resolve(args.outputs ?? process.env.HAUL_OUTPUTS_FILE ?? path.join(process.cwd(), ".haul", "outputs.json"));
const driverCount = Number(args.drivers);
const rate = Number(args.rate);
const durationSeconds = Number(args.duration);
const runCount = Number(args.runs);
const warmupSeconds = Number(args.warmup);
const graceMs = Number(args.grace) * 1000;
const settleMs = Number(args.settle) * 1000;
const connectConcurrency = Number(args["connect-concurrency"]);

const print = (line = "") => process.stdout.write(line + "\n");
const ms = (value: number) => (Number.isNaN(value) ? "-" : `${value.toFixed(1)} ms`);
const mb = (bytes: number | undefined) => (bytes === undefined ? "-" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

// ---------------------------------------------------------------------------------------------
// The bench's drivers and trucks (idempotent)

interface BenchDriver {
  readonly id: string;
  readonly capacityKg: number;
}

const benchId = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const capacityKg = 3500;

async function ensureBenchDrivers(count: number): Promise<BenchDriver[]> {
  const pool = await getPrimaryPool();
  const list: BenchDriver[] = [];
  for (let first = 1; first <= count; first += 500) {
    const numbers = Array.from({ length: Math.min(500, count - first + 1) }, (_, index) => first + index);
    const label = (n: number) => String(n).padStart(4, "0");
    await pool.query(
      "INSERT INTO users (id, role, name, email) VALUES ? ON DUPLICATE KEY UPDATE role = VALUES(role), name = VALUES(name), email = VALUES(email)",
      [numbers.map((n) => [benchId("b0000000", n), "driver", `Bench Driver ${label(n)}`, `bench-driver-${label(n)}@bench.haul.example`])],
    );
    await pool.query(
      "INSERT INTO trucks (id, driver_id, plate, class, capacity_kg) VALUES ? ON DUPLICATE KEY UPDATE driver_id = VALUES(driver_id), plate = VALUES(plate), class = VALUES(class), capacity_kg = VALUES(capacity_kg)",
      [numbers.map((n) => [benchId("b1000000", n), benchId("b0000000", n), `BENCH-${label(n)}`, "box", capacityKg])],
    );
    for (const n of numbers) list.push({ id: benchId("b0000000", n), capacityKg });
  }
  return list;
}

function reservationRequest(slots: WindowSlots<BenchDriver>): ReservationRequest {
  const { driver, start, end } = slots.takeNext();
  return benchReservation(driver.id, { start, end }, driver.capacityKg);
}

// ---------------------------------------------------------------------------------------------
// The drivers' connections, and what arrives on them

interface Arrival {
  readonly at: number;
  readonly onItsDriversSocket: boolean;
}

class Receiver {
  /** reservation id -> the first `reservation-confirmed` frame for it. */
  readonly arrivals = new Map<string, Arrival>();
  duplicates = 0;
  otherFrames = 0;
  unexpectedCloses = 0;
  private readonly sockets: WebSocket[] = [];
  private closing = false;
  private keepAlive: NodeJS.Timeout | undefined;

  async connectAll(url: string, drivers: readonly BenchDriver[], tokens: readonly string[]): Promise<number> {
    let next = 0;
    const startedAt = now();
    await Promise.all(
      Array.from({ length: Math.min(connectConcurrency, drivers.length) }, async () => {
        while (next < drivers.length) {
          const index = next++;
          this.sockets[index] = await this.connect(url, drivers[index]!.id, tokens[index]!);
        }
      }),
    );
    // API Gateway closes a connection after 10 idle minutes: ping well within that.
    this.keepAlive = setInterval(() => this.pingAll(), 4 * 60_000);
    this.keepAlive.unref();
    return drivers.length / ((now() - startedAt) / 1000);
  }

  private connect(url: string, driverId: string, token: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${url}?token=${token}`);
      socket.on("message", (data: Buffer) => this.receive(driverId, data));
      socket.once("unexpected-response", (_request, response) => reject(new Error(`$connect answered ${response.statusCode} for driver ${driverId}`)));
      socket.once("error", reject);
      socket.once("open", () => {
        socket.off("error", reject);
        socket.on("error", () => undefined);
        socket.on("close", () => {
          if (!this.closing) this.unexpectedCloses++;
        });
        resolve(socket);
      });
    });
  }

  private receive(driverId: string, data: Buffer): void {
    const at = now();
    let frame: { type?: string; message?: { type?: string; reservationId?: string; driverId?: string } };
    try {
      frame = JSON.parse(data.toString("utf8"));
    } catch {
      this.otherFrames++;
      return;
    }
    const reservationId = frame.message?.reservationId;
    if (frame.type !== "driver-message" || frame.message?.type !== "reservation-confirmed" || !reservationId) {
      if (frame.type !== "pong") this.otherFrames++;
      return;
    }
    if (this.arrivals.has(reservationId)) this.duplicates++;
    else this.arrivals.set(reservationId, { at, onItsDriversSocket: frame.message.driverId === driverId });
  }

  pingAll(): void {
    for (const socket of this.sockets) if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ action: "ping" }));
  }

  get open(): number {
    return this.sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length;
  }

  async closeAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.keepAlive);
    await Promise.all(
      this.sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            const timer = setTimeout(() => {
              socket.terminate();
              resolve();
            }, 2000);
            socket.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            socket.close(1000);
          }),
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Processes: CPU and memory from /proc

async function findProcesses(outputs: Record<string, string>): Promise<WatchedProcess[]> {
  const port = (url: string) => Number(new URL(url).port || (url.startsWith("https") ? 443 : 80));
  const cloud = await pidListeningOn(port(outputs.LiveApiCallbackUrl!));
  if (!cloud) throw new Error(`Nothing listens on ${outputs.LiveApiUrl}: is the local cloud running?`);
  const apiPid = await pidListeningOn(port(outputs.ReservationApiUrl!));
  if (apiPid !== cloud) throw new Error(`The ReservationApi (pid ${apiPid}) and the LiveApi (pid ${cloud}) are not one process: is this the local cloud?`);
  const found: WatchedProcess[] = [{ label: "local cloud (node)", pid: cloud }];
  const primary = await resolveMysqlTarget("primary");
  const replica = await resolveMysqlTarget("replica");
  await addListeners(found, [
    ["dynalite (child)", port(outputs.DynamoDbEndpoint!)],
    ["mariadbd primary", primary.port],
    ["mariadbd replica", replica.port],
    ["redis-server", Number(new URL(process.env.HAUL_REDIS_URL || "redis://127.0.0.1:6379").port || 6379)],
    ["opensearch (java)", port(outputs.SearchUrl!)],
  ]);
  found.push({ label: "bench (this process)", pid: process.pid });
  return found;
}

async function memoryLine(processes: readonly WatchedProcess[]): Promise<string> {
  const labels = ["local cloud (node)", "dynalite (child)"];
  const parts = await Promise.all(
    processes.filter((watched) => labels.includes(watched.label)).map(async (watched) => `${watched.label.split(" ")[0]} ${mb(await residentBytes(watched.pid))}`),
  );
  return parts.join(", ");
}

// ---------------------------------------------------------------------------------------------
// One run

type Sample = PostedReservation;

interface RunFigures {
  readonly offered: number;
  readonly accepted: number;
  readonly delivered: number;
  readonly lost: number;
  readonly deliveredPerSecond: number;
  readonly fromAccept: { p50: number; p99: number; max: number };
  readonly fromSend: { p50: number; p99: number; max: number };
  readonly cpu: Array<{ label: string; percent: number; msPerReservation: number }>;
  readonly cloudRss?: number;
}

async function offer(
  seconds: number,
  context: { api: URL; customerTokens: readonly string[]; slots: WindowSlots<BenchDriver>; http: HttpClient },
): Promise<{ samples: Sample[]; startedAt: number; maxLagMs: number; lastSentDone: number }> {
  const samples: Sample[] = [];
  const url = new URL("/reservations", context.api);
  const { startedAt, maxLagMs } = await offerAtFixedRate(rate, seconds, async (index) => {
    const body = JSON.stringify(reservationRequest(context.slots));
    const sample: Sample = { sentAt: now() };
    samples.push(sample);
    await postReservation(context.http, url, context.customerTokens[index % context.customerTokens.length]!, body, sample);
  });
  return { samples, startedAt, maxLagMs, lastSentDone: now() };
}

/** Waits until every accepted reservation's message has arrived, or `graceMs` after the last reply. */
async function awaitDeliveries(samples: readonly Sample[], receiver: Receiver, lastSentDone: number): Promise<void> {
  const pending = new Set(samples.flatMap((sample) => (sample.reservationId ? [sample.reservationId] : [])));
  while (pending.size > 0 && now() < lastSentDone + graceMs) {
    for (const id of pending) if (receiver.arrivals.has(id)) pending.delete(id);
    if (pending.size > 0) await sleep(20);
  }
}

/** How many of these reservations' confirmations the history (OpenSearch) holds. */
async function storedMessages(searchUrl: string, ids: readonly string[]): Promise<number | string> {
  try {
    await fetch(new URL("/reservation-messages-*/_refresh", searchUrl), { method: "POST" });
    let count = 0;
    for (let offset = 0; offset < ids.length; offset += 1000) {
      const reply = await fetch(new URL("/reservation-messages-*/_count", searchUrl), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: { bool: { filter: [{ terms: { reservationId: ids.slice(offset, offset + 1000) } }, { term: { type: "reservation-confirmed" } }] } } }),
      });
      count += ((await reply.json()) as { count: number }).count;
    }
    return count;
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

const latencies = (values: readonly number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) });

async function measuredRun(
  run: number,
  context: Parameters<typeof offer>[1] & { receiver: Receiver; processes: readonly WatchedProcess[]; searchUrl: string },
): Promise<RunFigures> {
  const { receiver, processes } = context;
  print(`Run ${run}: ${rate} reservations/s offered for ${durationSeconds} s, open loop, to ${driverCount} connected drivers in turn`);
  const cpuStart = await cpuSnapshot(processes);
  const cpuStartedAt = now();
  const { samples, startedAt, maxLagMs, lastSentDone } = await offer(durationSeconds, context);
  await awaitDeliveries(samples, receiver, lastSentDone);
  const cpuEnd = await cpuSnapshot(processes);
  const cpuElapsed = (now() - cpuStartedAt) / 1000;

  const accepted = samples.filter((sample) => sample.status === 202);
  const ids = accepted.map((sample) => sample.reservationId!);
  const arrived = accepted.flatMap((sample) => {
    const arrival = receiver.arrivals.get(sample.reservationId!);
    return arrival ? [{ sample, arrival }] : [];
  });
  const lastArrival = Math.max(...arrived.map(({ arrival }) => arrival.at));
  const deliveredPerSecond = arrived.length / ((lastArrival - startedAt) / 1000);
  const fromAccept = latencies(arrived.map(({ sample, arrival }) => arrival.at - sample.acceptedAt!));
  const fromSend = latencies(arrived.map(({ sample, arrival }) => arrival.at - sample.sentAt));
  const acceptance = latencies(accepted.map((sample) => sample.acceptedAt! - sample.sentAt));
  const beforeTheReply = arrived.filter(({ sample, arrival }) => arrival.at < sample.acceptedAt!).length;
  const misrouted = arrived.filter(({ arrival }) => !arrival.onItsDriversSocket).length;
  const lost = accepted.length - arrived.length;
  const statuses = await reservationStatuses(ids);
  const stored = await storedMessages(context.searchUrl, ids);
  const cloudRss = await residentBytes(processes[0]!.pid);

  print(`   offered ${samples.length}, accepted (202) ${accepted.length}, not accepted ${samples.length - accepted.length}; max client lag behind schedule ${ms(maxLagMs)}`);
  print(`   delivered ${arrived.length}, lost ${lost} (no message within ${graceMs / 1000} s of the last POST), duplicates ${receiver.duplicates}, misrouted ${misrouted}${beforeTheReply ? `, ${beforeTheReply} arrived before their 202 was read` : ""}`);
  print(`   delivered/s          ${deliveredPerSecond.toFixed(1)} (from the first POST to the last message, ${((lastArrival - startedAt) / 1000).toFixed(1)} s)`);
  print(`   202 -> on socket     p50 ${ms(fromAccept.p50)}   p99 ${ms(fromAccept.p99)}   max ${ms(fromAccept.max)}`);
  print(`   POST sent -> socket  p50 ${ms(fromSend.p50)}   p99 ${ms(fromSend.p99)}   max ${ms(fromSend.max)}`);
  print(`   acceptance (POST)    p50 ${ms(acceptance.p50)}   p99 ${ms(acceptance.p99)}   max ${ms(acceptance.max)}`);
  print(`   reservations: ${describeStatuses(statuses)}; confirmations stored in OpenSearch ${stored}`);
  print(`   CPU (${cpuElapsed.toFixed(1)} s wall, until the last message; 2 cores = 200%)`);
  const { rows: cpu, lines: cpuLines } = cpuTable(processes, cpuStart, cpuEnd, cpuElapsed, accepted.length, "     ");
  for (const line of cpuLines) print(line);
  print(`   memory after the run: ${await memoryLine(processes)}; connections open ${receiver.open}/${driverCount}, closed unexpectedly ${receiver.unexpectedCloses}`);
  print();
  receiver.duplicates = 0;
  return { offered: samples.length, accepted: accepted.length, delivered: arrived.length, lost, deliveredPerSecond, fromAccept, fromSend, cpu, cloudRss };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (args.help) {
    const text = await readFile(new URL(import.meta.url), "utf8");
    print(text.slice(0, text.indexOf("*/") + 2));
    return;
  }
  const outputs = await readOutputs(outputsPath);
  for (const name of ["ReservationApiUrl", "LiveApiUrl", "LiveApiCallbackUrl", "IssuerUrl", "UserPoolClientId", "DynamoDbEndpoint", "SearchUrl"]) {
    if (!outputs[name]) throw new Error(`${outputsPath} has no ${name}`);
  }
  const processes = await findProcesses(outputs);
  const mysql = await resolveMysqlTarget("primary");
  print(`Haul notification benchmark against ${outputs.ReservationApiUrl} and ${outputs.LiveApiUrl} (outputs ${outputsPath}, MySQL ${mysql.host}:${mysql.port}/${mysql.database})`);
  print(`Processes: ${processes.map((watched) => `${watched.label} pid ${watched.pid}`).join(", ")}`);

  const drivers = await ensureBenchDrivers(driverCount);
  const slots = await WindowSlots.loadFor(drivers);
  print(`Drivers: ${drivers.length} bench drivers with trucks (ids ${drivers[0]!.id} …, plates BENCH-0001 …), upserted`);

  const signingKey = await loadOrCreateSigningKey(path.join(path.dirname(outputsPath), "identity"));
  const mint = (role: "customer" | "driver", sub: string) =>
    mintToken({ role, sub, issuer: outputs.IssuerUrl!, audience: outputs.UserPoolClientId!, signingKey, expiresIn: "2h" });
  const customerTokens = await Promise.all(demoPeopleWithRole("customer").map((customer) => mint("customer", customer.id)));
  const driverTokens = await Promise.all(drivers.map((driver) => mint("driver", driver.id)));

  const receiver = new Receiver();
  const http = createHttpClient({ maxSockets: 512 });
  try {
    print();
    print(`Memory before connecting: ${await memoryLine(processes)}`);
    const perSecond = await receiver.connectAll(outputs.LiveApiUrl!, drivers, driverTokens);
    print(`Connected ${receiver.open} drivers to the LiveApi (${connectConcurrency} at a time): ${perSecond.toFixed(0)} connections/s`);
    await sleep(settleMs);
    print(`Memory with ${receiver.open} connections, idle ${settleMs / 1000} s: ${await memoryLine(processes)}`);
    print();

    const context = { api: new URL(outputs.ReservationApiUrl!), customerTokens, slots, http, receiver, processes, searchUrl: outputs.SearchUrl! };
    if (warmupSeconds > 0) {
      // Handler modules, pools and the JIT: a freshly started cloud runs unoptimized code at first.
      const { samples, lastSentDone } = await offer(warmupSeconds, context);
      await awaitDeliveries(samples, receiver, lastSentDone);
      print(`Warm-up: ${samples.length} reservations at ${rate}/s, not measured`);
      print();
    }

    const figures: RunFigures[] = [];
    for (let run = 1; run <= runCount; run++) {
      receiver.pingAll();
      figures.push(await measuredRun(run, context));
    }

    print(`Summary (${driverCount} connections, ${rate}/s for ${durationSeconds} s per run)`);
    print(`   run  offered  accepted  delivered  lost  delivered/s   p50 (202->socket)  p99        max        cloud RSS`);
    figures.forEach((f, index) =>
      print(
        `   ${String(index + 1).padStart(3)}  ${String(f.offered).padStart(7)}  ${String(f.accepted).padStart(8)}  ${String(f.delivered).padStart(9)}  ${String(f.lost).padStart(4)}  ${f.deliveredPerSecond.toFixed(1).padStart(11)}   ${ms(f.fromAccept.p50).padStart(17)}  ${ms(f.fromAccept.p99).padStart(9)}  ${ms(f.fromAccept.max).padStart(9)}  ${mb(f.cloudRss).padStart(9)}`,
      ),
    );
  } finally {
    await receiver.closeAll();
    http.destroy();
    await sleep(1000);
    print(`Memory after the connections closed: ${await memoryLine(processes)}`);
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await closePools().catch(() => undefined);
  });
