/**
 * WebSocket load test of the one-minute push, against a RUNNING local cloud (or a stage's outputs):
 *
 *   npx tsx scripts/load/websocket-load.ts [--connections 1000] [--reservations <n>] [--ticks 2]
 *       [--per-process 4000] [--connect-concurrency 100] [--max-wait 300] [--outputs <file>]
 *
 *   --connections          customer connections to hold (default 1000; 10000 works on one machine)
 *   --reservations         reservations in transit they watch (default connections / 20, at least 1);
 *                          each has its own customer, driver and truck, and connections/reservations viewers
 *   --ticks                full push ticks to measure (default 2): ticks that start after every
 *                          connection has subscribed; the test waits for one more tick to be sure the last
 *                          measured one has finished
 *   --per-process          connections per client process (default 4000; the open-files limit is 20,000 per process)
 *   --connect-concurrency  connections being opened at once per process (default 100)
 *   --max-wait             seconds to wait for the ticks before reporting what arrived (default 300)
 *   --outputs              the outputs file (default HAUL_OUTPUTS_FILE or .haul/outputs.json)
 *   --watch                a JSON file [{"reservationId","customerToken"}, …] of reservations in transit to
 *                          watch instead of creating them: how to run it against a deployed stage, whose
 *                          users and database this script cannot create (keep their trucks posting fixes,
 *                          e.g. with scripts/simulate-trucks.ts --reservations … --tokens …)
 *
 * Start the cloud with a short push period to save time, e.g. `npm start -- --no-demo --push-period 15`.
 *
 * Set-up (local database, idempotent): drivers `Load Driver n` with 3,500 kg trucks and customers
 * `Load Customer n`; each customer reserves driver n's truck for a window starting now and driver n
 * picks it up (a reservation an earlier run left IN_TRANSIT is used again). Every driver posts a fix
 * now and every 20 s, so every connection is entitled to a fresh position each tick.
 *
 * It prints: the connect success rate and rate; per measured tick the deliveries and the delay from
 * the tick's start (`tickAt` in the frame) to each delivery, p50/p99/max; the position frames per
 * connection; the local cloud's memory before and with the connections; the CPU of each process
 * (local cloud, dynalite, OpenSearch, kinesalite, the clients) over the measured ticks, per push.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { RowDataPacket } from "mysql2/promise";
import { closePools, getPrimaryPool } from "@haul/core/db/pools";
import { mintToken } from "@haul/local/identity/mint-token";
import { readOutputs } from "@haul/local/outputs";
import { callApi } from "@haul/local/simulator/api-client";
import { ensureCustomers, ensureDrivers, reserveConfirmed, type SimulatedDriver, type SimulatedPerson } from "@haul/local/simulator/fleet";
import { offset, randomPointNear } from "@haul/local/simulator/route";
import { addListeners, cpuSnapshot, percentile, residentBytes, type WatchedProcess } from "../bench/support/processes.js";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    reservations: { type: "string" },
    ticks: { type: "string", default: "2" },
    "per-process": { type: "string", default: "4000" },
    "connect-concurrency": { type: "string", default: "100" },
    "max-wait": { type: "string", default: "300" },
    outputs: { type: "string" },
    watch: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const connectionCount = Number(args.connections);
const reservationCount = Math.max(1, Number(args.reservations ?? Math.ceil(connectionCount / 20)));
const measuredTicks = Number(args.ticks);
const perProcess = Number(args["per-process"]);
const connectConcurrency = Number(args["connect-concurrency"]);
const maxWaitMs = Number(args["max-wait"]) * 1000;
const print = (line = "") => process.stdout.write(line + "\n");
const mb = (bytes: number | undefined) => (bytes === undefined ? "-" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
const ms = (value: number) => (Number.isNaN(value) ? "-" : `${value.toFixed(0)} ms`);
const berlin = { lat: 52.5163, lon: 13.3777 };

interface Watch {
  readonly reservationId: string;
  readonly customer: SimulatedPerson;
  readonly driver: SimulatedDriver;
}

async function main(): Promise<void> {
  if (args.help) {
    print("Usage: npx tsx scripts/load/websocket-load.ts [--connections 1000] [--reservations n] [--ticks 2] [--per-process 4000] [--connect-concurrency 100] [--max-wait 300] [--outputs file]");
    return;
  }
  const outputs = await readOutputs(args.outputs ?? process.env.HAUL_OUTPUTS_FILE);
  const apis = { reservationApiUrl: outputs.ReservationApiUrl!, queryApiUrl: outputs.QueryApiUrl!, trackingApiUrl: outputs.TrackingApiUrl! };
  const liveApiUrl = outputs.LiveApiUrl!;
  print(`WebSocket load: ${connectionCount} connections watching ${reservationCount} reservations in transit, ${measuredTicks} measured ticks.`);

  let watched: Array<{ reservationId: string; customerToken: string }>;
  let feeder = { stop: () => undefined as void };
  if (args.watch) {
    watched = JSON.parse(await readFile(args.watch, "utf8")) as typeof watched;
    print(`  watching the ${watched.length} reservations of ${args.watch}`);
  } else {
    const setupStarted = Date.now();
    const watches = await reservationsInTransit(apis);
    print(`  set-up: ${watches.length} reservations in transit in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);
    feeder = feedPositions(apis.trackingApiUrl, watches);
    watched = await Promise.all(
      watches.map(async (watch) => ({ reservationId: watch.reservationId, customerToken: await mintToken({ role: "customer", sub: watch.customer.id, expiresIn: "2h" }) })),
    );
  }
  const assignments = Array.from({ length: connectionCount }, (_, index) => {
    const watch = watched[index % watched.length]!;
    return { token: watch.customerToken, reservationId: watch.reservationId };
  });

  const processes: WatchedProcess[] = [];
  await addListeners(processes, [["local cloud", Number(new URL(liveApiUrl).port)], ["dynalite", portOf(outputs.DynamoDbEndpoint)], ["OpenSearch", portOf(outputs.SearchUrl)], ["kinesalite", portOf(outputs.KinesisEndpoint)]]);
  const cloudPid = processes.find((process) => process.label === "local cloud")?.pid;
  const rssBefore = cloudPid ? await residentBytes(cloudPid) : undefined;

  const clients = startClients(assignments, liveApiUrl);
  processes.push({ label: "load clients", pid: process.pid }, ...clients.map((client, index) => ({ label: `clients ${index + 1}`, pid: client.child.pid! })));
  const connected = await Promise.all(clients.map((client) => client.connected));
  const allSubscribedAt = Date.now();
  const failed = connected.reduce((sum, result) => sum + result.failed, 0);
  const connectSeconds = Math.max(...connected.map((result) => result.seconds));
  print(`  connected: ${connectionCount - failed}/${connectionCount} (${(((connectionCount - failed) / connectionCount) * 100).toFixed(2)}%) in ${connectSeconds.toFixed(1)} s, ${((connectionCount - failed) / connectSeconds).toFixed(0)}/s`);
  for (const failure of connected.flatMap((result) => result.firstFailures).slice(0, 3)) print(`    ! ${failure}`);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const rssConnected = cloudPid ? await residentBytes(cloudPid) : undefined;
  const cpuBefore = await cpuSnapshot(processes);
  const cpuStartedAt = Date.now();

  // Ticks that started after every subscription are full; wait for one more than measured.
  const fullTicks = await waitForTicks(clients, allSubscribedAt, measuredTicks + 1, maxWaitMs);
  const cpuAfter = await cpuSnapshot(processes);
  const cpuSeconds = (Date.now() - cpuStartedAt) / 1000;
  const reports = await Promise.all(clients.map((client) => client.report()));
  const rssAfter = cloudPid ? await residentBytes(cloudPid) : undefined;
  feeder.stop();

  const measured = fullTicks.slice(0, measuredTicks);
  print(`  ticks: ${fullTicks.length} full tick(s) seen${fullTicks.length <= measuredTicks ? ` (wanted ${measuredTicks + 1} within ${maxWaitMs / 1000} s)` : ""}`);
  let pushes = 0;
  for (const tickAt of measured) {
    const delays = reports.flatMap((report) => report.delaysByTick[tickAt] ?? []);
    pushes += delays.length;
    print(`    tick ${tickAt}: delivered ${delays.length}/${connectionCount - failed}, from the tick p50 ${ms(percentile(delays, 50))}, p99 ${ms(percentile(delays, 99))}, max ${ms(Math.max(...delays))}`);
  }
  const perConnection = reports.flatMap((report) => report.positionsPerConnection);
  const sorted = [...perConnection].sort((a, b) => a - b);
  print(`  position frames per connection: min ${sorted[0]}, median ${percentile(sorted, 50)}, max ${sorted[sorted.length - 1]} (over the whole hold)`);
  const sum = (key: "subscribedWithPosition" | "wrongReservation" | "staleFrames" | "unexpectedCloses") => reports.reduce((total, report) => total + report[key], 0);
  print(`  subscribe replies with a position: ${sum("subscribedWithPosition")}; frames for another reservation: ${sum("wrongReservation")}; stale frames: ${sum("staleFrames")}; unexpected closes: ${sum("unexpectedCloses")}`);
  print(`  local cloud RSS: ${mb(rssBefore)} before connecting, ${mb(rssConnected)} with ${connectionCount - failed} connections, ${mb(rssAfter)} after the ticks`);
  print(`  CPU over ${cpuSeconds.toFixed(0)} s (${fullTicks.length} ticks, ${pushes} measured pushes):`);
  for (const process of processes) {
    const used = cpuAfter.get(process.pid)! - cpuBefore.get(process.pid)!;
    const perPush = pushes ? (used * 1000) / (pushes * (fullTicks.length / Math.max(1, measured.length))) : NaN;
    print(`    ${process.label.padEnd(14)} ${used.toFixed(2).padStart(7)} s  ${((used / cpuSeconds) * 100).toFixed(0).padStart(4)}%  ${Number.isNaN(perPush) ? "-" : perPush.toFixed(3)} ms per push`);
  }
  for (const client of clients) client.close();
}

/** One reservation in transit per load driver, its own customer's, made or reused. */
async function reservationsInTransit(apis: { reservationApiUrl: string; queryApiUrl: string; trackingApiUrl: string }): Promise<Watch[]> {
  const drivers = await ensureDrivers({ idPrefix: "e4000000", truckIdPrefix: "e5000000", label: "Load Driver", count: reservationCount });
  const customers = await ensureCustomers({ idPrefix: "e6000000", label: "Load Customer", count: reservationCount });
  const pool = await getPrimaryPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT id, driver_id, customer_id, status FROM reservations WHERE driver_id IN (?) AND status IN ('CONFIRMED', 'IN_TRANSIT') AND window_start < ? AND window_end > ?",
    [drivers.map((driver) => driver.id), new Date(Date.now() + 60 * 60_000), new Date()],
  );
  const current = new Map(rows.map((row) => [String(row.driver_id), row]));
  const watches: Watch[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(20, drivers.length) }, async () => {
      while (next < drivers.length) {
        const index = next++;
        const driver = drivers[index]!;
        const customer = customers[index]!;
        const driverToken = await mintToken({ role: "driver", sub: driver.id, expiresIn: "2h" });
        const existing = current.get(driver.id);
        let reservationId: string;
        if (existing && String(existing.customer_id) === customer.id) {
          reservationId = String(existing.id);
        } else {
          if (existing) await endDelivery(apis.reservationApiUrl, String(existing.id), String(existing.status), driverToken);
          const pickup = randomPointNear(berlin, 15_000);
          reservationId = await reserveConfirmed(apis, {
            customerToken: await mintToken({ role: "customer", sub: customer.id, expiresIn: "2h" }),
            driver,
            pickup: { ...pickup, address: `Load test pickup ${index + 1}, Berlin` },
            dropoff: { ...offset(pickup, 90, 8_000), address: `Load test dropoff ${index + 1}, Berlin` },
          });
        }
        if (existing?.status !== "IN_TRANSIT" || String(existing.customer_id) !== customer.id) {
          await callApi("POST", `${apis.reservationApiUrl}/reservations/${reservationId}/pickup`, { token: driverToken });
        }
        watches[index] = { reservationId, customer, driver };
      }
    }),
  );
  return watches;
}

async function endDelivery(reservationApiUrl: string, reservationId: string, status: string, driverToken: string): Promise<void> {
  const path = `${reservationApiUrl}/reservations/${reservationId}`;
  if (status === "CONFIRMED") await callApi("POST", `${path}/pickup`, { token: driverToken });
  await callApi("POST", `${path}/deliver`, { token: driverToken });
}

/** Every driver posts a fix now and every 20 s, moving a little east each time. */
function feedPositions(trackingApiUrl: string, watches: readonly Watch[]): { stop(): void } {
  const tokens = new Map<string, Promise<string>>();
  let round = 0;
  const post = async () => {
    round++;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(20, watches.length) }, async () => {
        while (next < watches.length) {
          const watch = watches[next++]!;
          if (!tokens.has(watch.driver.id)) tokens.set(watch.driver.id, mintToken({ role: "driver", sub: watch.driver.id, expiresIn: "2h" }));
          const place = offset(berlin, 90, round * 300);
          await callApi("POST", `${trackingApiUrl}/positions`, {
            token: await tokens.get(watch.driver.id)!,
            body: { reservationId: watch.reservationId, fixes: [{ lat: place.lat, lon: place.lon, recordedAt: new Date().toISOString(), speed: 15, heading: 90, accuracy: 5 }] },
          }).catch((error: unknown) => print(`    ! POST /positions: ${(error as Error).message}`));
        }
      }),
    );
  };
  void post();
  const timer = setInterval(() => void post(), 20_000);
  return { stop: () => clearInterval(timer) };
}

interface ClientReport {
  readonly positionsPerConnection: number[];
  readonly delaysByTick: Record<string, number[]>;
  readonly subscribedWithPosition: number;
  readonly wrongReservation: number;
  readonly staleFrames: number;
  readonly unexpectedCloses: number;
}

interface Client {
  readonly child: ChildProcess;
  readonly connected: Promise<{ failed: number; seconds: number; firstFailures: string[] }>;
  readonly ticks: Set<string>;
  onTick?: () => void;
  report(): Promise<ClientReport>;
  close(): void;
}

function startClients(assignments: ReadonlyArray<{ token: string; reservationId: string }>, url: string): Client[] {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "websocket-clients.ts");
  const clients: Client[] = [];
  for (let first = 0; first < assignments.length; first += perProcess) {
    const child = fork(script, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let resolveConnected!: Client["connected"] extends Promise<infer T> ? (value: T) => void : never;
    let pendingReport: ((report: ClientReport) => void) | undefined;
    const client: Client = {
      child,
      connected: new Promise((resolve) => (resolveConnected = resolve)),
      ticks: new Set(),
      report: () => new Promise((resolve) => {
        pendingReport = resolve;
        child.send({ kind: "report" });
      }),
      close: () => child.send({ kind: "close" }),
    };
    child.on("message", (message: { kind: string; tickAt?: string } & Record<string, unknown>) => {
      if (message.kind === "connected") resolveConnected(message as never);
      if (message.kind === "progress" && message.tickAt) {
        client.ticks.add(message.tickAt);
        client.onTick?.();
      }
      if (message.kind === "report") pendingReport?.(message as unknown as ClientReport);
    });
    child.send({ kind: "start", url, assignments: assignments.slice(first, first + perProcess), connectConcurrency });
    clients.push(client);
  }
  return clients;
}

/** Resolves with the full ticks (started after `after`), oldest first, once `count` were seen or at the deadline. */
function waitForTicks(clients: readonly Client[], after: number, count: number, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve) => {
    const full = () => [...new Set(clients.flatMap((client) => [...client.ticks]))].filter((tickAt) => Date.parse(tickAt) >= after).sort();
    const finish = () => {
      clearTimeout(timer);
      for (const client of clients) client.onTick = undefined;
      resolve(full());
    };
    const timer = setTimeout(finish, timeoutMs);
    for (const client of clients) client.onTick = () => {
      if (full().length >= count) finish();
    };
  });
}

function portOf(url: string | undefined): number {
  return url ? Number(new URL(url).port) : 0;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`The load test stopped: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await closePools();
    setTimeout(() => process.exit(), 500).unref();
  });
