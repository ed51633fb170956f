/**
 * Benchmark of the query service (QueryApi) through a RUNNING local cloud, driven from this
 * separate process (start the cloud first, e.g. `npm start -- --no-demo`):
 *
 *   npx tsx scripts/bench/query.ts [--outputs <file>] [--duration 10] [--warmup 3]
 *       [--concurrency 8] [--rate 300] [--no-breakdown]
 *
 *   --outputs      the cloud's outputs file (default: HAUL_OUTPUTS_FILE or .haul/outputs.json); tokens
 *                  are signed with the key under `<its directory>/identity`, as the cloud's issuer signs
 *   --duration     seconds of each measured phase (default 10)
 *   --warmup       seconds of the unmeasured warm-up with the cache (default 3)
 *   --concurrency  requests in flight in the closed-loop phases (default 8)
 *   --rate         requests/s offered in the open-loop phases, the same for both modes (default 300)
 *   --no-breakdown skip the where-the-time-goes measurements
 *
 * MySQL and Redis are reached through HAUL_MYSQL_URL / HAUL_MYSQL_REPLICA_URL / HAUL_REDIS_URL (and
 * HAUL_MYSQL_READER_PASSWORD) as the cloud was given them: the bench reads the primary once to place
 * its windows after those already stored, and the breakdown times the replica and Redis directly.
 *
 * The workload is FIXED so that runs compare: a keyspace of 2,000 reservations created by this run
 * through the public API (POST /reservations on the ReservationApi, as 3 seeded customers with the
 * 5 seeded drivers in turn, 5-minute windows laid end to end after the drivers' latest, so they are
 * CONFIRMED), waited for until every execution has closed. Reads: 93% GET /reservations/{id} with
 * the id drawn from a Zipf distribution (exponent 1.1 over the 2,000 ranks, ranks shuffled over the
 * keyspace with a fixed seed), as the owning customer (90%) or the operator (10%) — a customer sees
 * only their own, so reads go as the owner or an operator; 5% GET /reservations (a customer's first
 * page, all statuses or CONFIRMED only). Writes: 2% of requests, half a cancellation of a CONFIRMED
 * reservation of the keyspace drawn from the same Zipf distribution (so hot entries get invalidated),
 * half a new reservation (which invalidates its customer's lists); both go through the ReservationApi
 * and the workflow, which invalidates the cache. Every random choice comes from a seeded generator.
 *
 * Modes, in the same run:
 *   cache   plain requests;
 *   bypass  `Cache-Control: no-cache` on every read: the query service reads through to the database
 *           without using or filling the cache (x-cache: bypass). If the service does not honour it
 *           (x-cache still hit/miss), the bench says so and measures a forced miss instead: it
 *           deletes the entry in Redis right before each read (replica read + cache fill per read).
 *
 * It prints, per mode: requests/s, p50/p99 in a closed loop (--concurrency in flight) and in an open
 * loop at the same fixed rate (arrivals on schedule whatever the replies do); the ratio between the
 * modes; the hit ratio (x-cache of the reads); the stale reads; the CPU of the cloud, the databases,
 * Redis and this client. Stale read: a read, sent after the bench saw the execution of its own write
 * of that reservation close (DescribeExecution: the version the workflow wrote), that shows an older
 * version. Must be 0 with the cache (in bypass mode the replica's lag is allowed, as documented).
 * Last, where the time of one request goes, one request at a time: the gateway alone (unknown route),
 * + JWT check and handler (invalid id, answered before any cache or database), a cache hit, the
 * bypass; and from this process, a JWT verification, a Redis GET and a replica SELECT by id.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { defaultRedisUrl } from "@haul/core/cache/redis-client";
import { closePools, getReaderPool } from "@haul/core/db/pools";
import { demoPeopleWithRole, type DemoPerson } from "@haul/core/identity/demo-people";
import { findReservation } from "@haul/core/query/reader-store";
import { keys } from "@haul/core/reservation/query-cache";
import { mintToken } from "@haul/local/identity/mint-token";
import { loadOrCreateSigningKey } from "@haul/local/identity/signing-key";
import { readOutputs } from "@haul/local/outputs";
import { createHttpClient, now, offerAtFixedRate, type HttpReply } from "./support/http.js";
import { cpuSeconds, percentile, pidListeningOn } from "./support/processes.js";
import { seededRandom } from "./support/random.js";
import { reservationRequest } from "./support/reservations.js";
import { drivers, WindowSlots } from "./support/window-slots.js";

// ---------------------------------------------------------------------------------------------
// Fixed workload (change these and runs no longer compare)

const keyspaceSize = 2_000;
const zipfExponent = 1.1;
const seed = 20_261_122;
const writeFraction = 0.02;
const listFraction = 0.05;
const operatorReadFraction = 0.1;

// ---------------------------------------------------------------------------------------------
// Settings

const { values: args } = parseArgs({
  options: {
    outputs: { type: "string" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8" },
    rate: { type: "string", default: "300" },
    "no-breakdown": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  process.stdout.write("Usage: npx tsx scripts/bench/query.ts [--outputs file] [--duration s] [--warmup s] [--concurrency n] [--rate r] [--no-breakdown]\n");
  process.exit(0);
}
const outputsPath = path.resolve(args.outputs ?? process.env.HAUL_OUTPUTS_FILE ?? path.join(process.cwd(), ".haul", "outputs.json"));
const durationSeconds = Number(args.duration);
const warmupSeconds = Number(args.warmup);
const concurrency = Number(args.concurrency);
const offeredRate = Number(args.rate);
for (const [name, value] of Object.entries({ durationSeconds, warmupSeconds, concurrency, offeredRate })) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
}

const print = (line = "") => process.stdout.write(line + "\n");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Seeded randomness and the Zipf sampler

/** Rank 0..n-1 with P(rank k) proportional to 1/(k+1)^s, by binary search over the CDF. */
function zipfSampler(n: number, s: number): (random: () => number) => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, s);
  for (let k = 0; k < n; k++) cdf[k]! /= total;
  return (random) => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// HTTP: one keep-alive agent, plain node:http (the client must cost little next to the server)

const http = createHttpClient({ maxSockets: 256 });

let errorsShown = 0;
function showError(message: string): void {
  if (errorsShown++ < 5) print(`  ! ${message}`);
}

// ---------------------------------------------------------------------------------------------
// The cloud

interface Cloud {
  readonly queryApi: URL;
  readonly reservationApi: URL;
  readonly stepFunctions: URL;
  readonly stateMachineArn: string;
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly dynamodb: URL;
}

interface Tokens {
  readonly byCustomer: ReadonlyMap<string, string>;
  readonly operator: string;
}

const customers = demoPeopleWithRole("customer");
const operator = demoPeopleWithRole("operator")[0]!;

async function loadCloud(): Promise<Cloud> {
  const outputs = await readOutputs(outputsPath);
  const need = (name: string) => {
    const value = outputs[name];
    if (!value) throw new Error(`${outputsPath} has no ${name}: is the local cloud (with its QueryApi) running?`);
    return value;
  };
  return {
    queryApi: new URL(need("QueryApiUrl")),
    reservationApi: new URL(need("ReservationApiUrl")),
    stepFunctions: new URL(need("StepFunctionsEndpoint")),
    stateMachineArn: need("ReservationStateMachineArn"),
    issuer: need("IssuerUrl"),
    audience: need("UserPoolClientId"),
    jwksUrl: need("JwksUrl"),
    dynamodb: new URL(need("DynamoDbEndpoint")),
  };
}

async function mintTokens(cloud: Cloud): Promise<Tokens> {
  const signingKey = await loadOrCreateSigningKey(path.join(path.dirname(outputsPath), "identity"));
  const mint = (person: DemoPerson) =>
    mintToken({ role: person.role, sub: person.id, signingKey, issuer: cloud.issuer, audience: cloud.audience, expiresIn: "2h" });
  const byCustomer = new Map<string, string>();
  for (const customer of customers) byCustomer.set(customer.id, await mint(customer));
  return { byCustomer, operator: await mint(operator) };
}

async function stepFunctions(cloud: Cloud, operation: string, input: object): Promise<Record<string, unknown>> {
  const reply = await http.send(
    cloud.stepFunctions,
    "POST",
    { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AWSStepFunctions.${operation}` },
    JSON.stringify(input),
  );
  if (reply.status !== 200) throw new Error(`${operation} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
  return JSON.parse(reply.body) as Record<string, unknown>;
}

function executionArn(cloud: Cloud, name: string): string {
  return cloud.stateMachineArn.replace(":stateMachine:", ":execution:") + `:${name}`;
}

/** The reservation as the workflow left it, once the execution has closed; undefined while it runs. */
async function closedExecution(cloud: Cloud, name: string): Promise<{ status: string; version: number } | null | undefined> {
  const execution = await stepFunctions(cloud, "DescribeExecution", { executionArn: executionArn(cloud, name) });
  if (execution.status === "RUNNING") return undefined;
  if (execution.status !== "SUCCEEDED") return null;
  const output = JSON.parse(String(execution.output ?? "{}")) as { reservation?: { status: string; version: number } };
  return output.reservation ?? null;
}

// ---------------------------------------------------------------------------------------------
// The keyspace and the writes

interface KeyEntry {
  readonly id: string;
  readonly customerId: string;
  status: string;
  /** The version the workflow wrote last, and when the bench saw that execution close. */
  floorVersion: number;
  floorSeenAt: number;
  writing: boolean;
}


class Workload {
  readonly entries: KeyEntry[] = [];
  /** Zipf rank -> entry. */
  private byRank: KeyEntry[] = [];
  private readonly byId = new Map<string, KeyEntry>();
  private readonly zipf = zipfSampler(keyspaceSize, zipfExponent);
  private created = 0;
  writesStarted = 0;
  writesRefused = 0;
  writesClosed = 0;
  private readonly pendingWrites = new Set<Promise<void>>();

  constructor(
    private readonly cloud: Cloud,
    private readonly tokens: Tokens,
    private readonly slots: WindowSlots,
    private readonly runTag: string,
  ) {}

  entry(id: string): KeyEntry | undefined {
    return this.byId.get(id);
  }

  pick(random: () => number): KeyEntry {
    return this.byRank[this.zipf(random)]!;
  }

  /** POSTs one valid reservation as `customer`; its id, or undefined when refused. */
  async reserve(customer: DemoPerson, random: () => number): Promise<string | undefined> {
    const index = this.created++;
    const driver = drivers[index % drivers.length]!;
    const { start, end } = this.slots.take(driver);
    const body = JSON.stringify(reservationRequest(driver.id, { start, end }, driver.truck!.capacityKg, random));
    const reply = await http.send(new URL("/reservations", this.cloud.reservationApi), "POST", {
      authorization: `Bearer ${this.tokens.byCustomer.get(customer.id)}`,
      "content-type": "application/json",
      "idempotency-key": `qbench-${this.runTag}-${index}`,
    }, body);
    if (reply.status !== 202) {
      showError(`POST /reservations -> ${reply.status} ${reply.body.slice(0, 200)}`);
      return undefined;
    }
    return (JSON.parse(reply.body) as { reservationId: string }).reservationId;
  }

  /** Creates the keyspace through the public API and waits for every execution to close. */
  async seedKeyspace(): Promise<{ seconds: number; statuses: Record<string, number> }> {
    const started = now();
    const random = seededRandom(seed);
    const ids: Array<{ id: string; customerId: string }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < keyspaceSize) {
          const customer = customers[next++ % customers.length]!;
          const id = await this.reserve(customer, random);
          if (id) ids.push({ id, customerId: customer.id });
        }
      }),
    );
    if (ids.length < keyspaceSize) throw new Error(`Only ${ids.length} of ${keyspaceSize} reservations were accepted`);
    // Ids come back in completion order: sort them so that the rank shuffle below is what the seed says.
    ids.sort((a, b) => a.id.localeCompare(b.id));
    for (const { id, customerId } of ids) {
      const entry: KeyEntry = { id, customerId, status: "PENDING", floorVersion: 0, floorSeenAt: 0, writing: false };
      this.entries.push(entry);
      this.byId.set(id, entry);
    }
    let open = [...this.entries];
    while (open.length > 0) {
      const stillOpen: KeyEntry[] = [];
      for (let i = 0; i < open.length; i += 32) {
        await Promise.all(
          open.slice(i, i + 32).map(async (entry) => {
            const closed = await closedExecution(this.cloud, entry.id);
            if (closed === undefined) stillOpen.push(entry);
            else this.settle(entry, closed);
          }),
        );
      }
      open = stillOpen;
      if (open.length > 0) await sleep(200);
    }
    // Sorted by id (random UUIDs), then shuffled by the seed: rank -> reservation.
    this.byRank = shuffled(this.entries, seededRandom(seed + 1));
    const statuses: Record<string, number> = {};
    for (const entry of this.entries) statuses[entry.status] = (statuses[entry.status] ?? 0) + 1;
    return { seconds: (now() - started) / 1000, statuses };
  }

  private settle(entry: KeyEntry, closed: { status: string; version: number } | null): void {
    if (closed) {
      entry.status = closed.status;
      entry.floorVersion = Math.max(entry.floorVersion, closed.version);
    }
    entry.floorSeenAt = now();
  }

  /** Reads every entry of the keyspace once (as its owner), so the measured phases start from a warm cache. */
  async prime(reader: (entry: KeyEntry) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < this.entries.length) await reader(this.entries[next++]!);
      }),
    );
  }

  /** One write: cancel a CONFIRMED entry drawn by Zipf, or create a new reservation. Not awaited by the caller. */
  write(random: () => number): void {
    this.writesStarted++;
    const task = random() < 0.5 ? this.cancelOne(random) : this.createOne(random);
    const tracked = task.catch((error: unknown) => showError(`write failed: ${(error as Error).message}`)).finally(() => this.pendingWrites.delete(tracked));
    this.pendingWrites.add(tracked);
  }

  private async cancelOne(random: () => number): Promise<void> {
    let entry: KeyEntry | undefined;
    for (let attempt = 0; attempt < 20 && !entry; attempt++) {
      const candidate = this.pick(random);
      if (candidate.status === "CONFIRMED" && !candidate.writing) entry = candidate;
    }
    if (!entry) return this.createOne(random);
    entry.writing = true;
    const reply = await http.send(new URL(`/reservations/${entry.id}/cancel`, this.cloud.reservationApi), "POST", {
      authorization: `Bearer ${this.tokens.byCustomer.get(entry.customerId)}`,
    });
    if (reply.status !== 202) {
      this.writesRefused++;
      entry.writing = false;
      showError(`POST /reservations/{id}/cancel -> ${reply.status} ${reply.body.slice(0, 200)}`);
      return;
    }
    entry.status = "CANCELLED";
    await this.followExecution(`${entry.id}-cancel`, entry);
    entry.writing = false;
  }

  private async createOne(random: () => number): Promise<void> {
    const customer = customers[Math.floor(random() * customers.length)]!;
    const id = await this.reserve(customer, random);
    if (!id) {
      this.writesRefused++;
      return;
    }
    await this.followExecution(id, undefined);
  }

  private async followExecution(name: string, entry: KeyEntry | undefined): Promise<void> {
    const deadline = now() + 60_000;
    while (now() < deadline) {
      const closed = await closedExecution(this.cloud, name);
      if (closed !== undefined) {
        if (entry) this.settle(entry, closed);
        this.writesClosed++;
        return;
      }
      await sleep(25);
    }
    showError(`execution ${name} still running after 60 s`);
  }

  async drain(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }
}

// ---------------------------------------------------------------------------------------------
// Reads and what they show

type Mode = "cache" | "bypass";

interface ReadSample {
  readonly kind: "get" | "list";
  readonly latencyMs: number;
  readonly status: number;
  readonly cache: string;
}

class Recorder {
  readonly samples: ReadSample[] = [];
  writes = 0;
  staleReads = 0;
  staleListItems = 0;
  checkedReads = 0;
  readonly staleExamples: string[] = [];
  startedAt = now();
  endedAt = now();

  stale(message: string, list: boolean): void {
    if (list) this.staleListItems++;
    else this.staleReads++;
    if (this.staleExamples.length < 3) this.staleExamples.push(message);
  }
}

interface ReservationBody {
  readonly reservationId: string;
  readonly status: string;
  readonly version: number;
}

class Reader {
  /** Whether the service honours Cache-Control: no-cache; when not, bypass reads force a miss. */
  bypassHonoured = true;

  constructor(
    private readonly cloud: Cloud,
    private readonly tokens: Tokens,
    private readonly workload: Workload,
    private readonly redis: Redis,
  ) {}

  async read(mode: Mode, random: () => number, recorder: Recorder): Promise<void> {
    if (random() < listFraction) return this.readList(mode, random, recorder);
    const entry = this.workload.pick(random);
    const token = random() < operatorReadFraction ? this.tokens.operator : this.tokens.byCustomer.get(entry.customerId)!;
    // Floors known when the request leaves: only writes already seen closed count.
    const floorVersion = entry.floorVersion;
    const floorSeenAt = entry.floorSeenAt;
    if (mode === "bypass" && !this.bypassHonoured) await this.redis.del(keys.reservation(entry.id));
    const sentAt = now();
    let reply: HttpReply;
    try {
      reply = await http.send(new URL(`/reservations/${entry.id}`, this.cloud.queryApi), "GET", this.headers(token, mode));
    } catch (error) {
      recorder.samples.push({ kind: "get", latencyMs: now() - sentAt, status: -1, cache: "-" });
      showError(`GET /reservations/{id} failed: ${(error as Error).message}`);
      return;
    }
    recorder.samples.push({ kind: "get", latencyMs: now() - sentAt, status: reply.status, cache: String(reply.headers["x-cache"] ?? "-") });
    if (reply.status !== 200) {
      showError(`GET /reservations/${entry.id} -> ${reply.status} ${reply.body.slice(0, 200)}`);
      return;
    }
    if (floorSeenAt > 0 && sentAt > floorSeenAt) {
      recorder.checkedReads++;
      const body = JSON.parse(reply.body) as ReservationBody;
      if (body.version < floorVersion) recorder.stale(`${entry.id}: v${body.version} ${body.status} after v${floorVersion} closed (x-cache ${reply.headers["x-cache"]})`, false);
    }
  }

  private async readList(mode: Mode, random: () => number, recorder: Recorder): Promise<void> {
    const customer = customers[Math.floor(random() * customers.length)]!;
    const query = random() < 0.5 ? "" : "?status=CONFIRMED";
    const sentAt = now();
    let reply: HttpReply;
    try {
      reply = await http.send(new URL(`/reservations${query}`, this.cloud.queryApi), "GET", this.headers(this.tokens.byCustomer.get(customer.id)!, mode));
    } catch (error) {
      recorder.samples.push({ kind: "list", latencyMs: now() - sentAt, status: -1, cache: "-" });
      showError(`GET /reservations failed: ${(error as Error).message}`);
      return;
    }
    recorder.samples.push({ kind: "list", latencyMs: now() - sentAt, status: reply.status, cache: String(reply.headers["x-cache"] ?? "-") });
    if (reply.status !== 200) {
      showError(`GET /reservations${query} -> ${reply.status} ${reply.body.slice(0, 200)}`);
      return;
    }
    for (const item of (JSON.parse(reply.body) as { items: ReservationBody[] }).items) {
      const entry = this.workload.entry(item.reservationId);
      if (!entry || entry.floorSeenAt === 0 || entry.floorSeenAt >= sentAt) continue;
      if (item.version < entry.floorVersion) recorder.stale(`list item ${item.reservationId}: v${item.version} after v${entry.floorVersion} closed`, true);
    }
  }

  private headers(token: string, mode: Mode): Record<string, string> {
    return mode === "bypass" && this.bypassHonoured ? { authorization: `Bearer ${token}`, "cache-control": "no-cache" } : { authorization: `Bearer ${token}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Load shapes

async function closedLoop(reader: Reader, workload: Workload, mode: Mode, seconds: number, workerSeed: number): Promise<Recorder> {
  const recorder = new Recorder();
  const endAt = now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const random = seededRandom(workerSeed * 1000 + worker);
      while (now() < endAt) {
        if (random() < writeFraction) {
          recorder.writes++;
          workload.write(random);
          continue;
        }
        await reader.read(mode, random, recorder);
      }
    }),
  );
  recorder.endedAt = now();
  return recorder;
}

async function openLoop(reader: Reader, workload: Workload, mode: Mode, rate: number, seconds: number, loopSeed: number): Promise<Recorder & { maxLagMs: number }> {
  const recorder = Object.assign(new Recorder(), { maxLagMs: 0 });
  const random = seededRandom(loopSeed);
  const inFlight: Promise<void>[] = [];
  // Every arrival whose time has come leaves now, however the earlier ones fare.
  const { startedAt, maxLagMs } = await offerAtFixedRate(rate, seconds, () => {
    if (random() < writeFraction) {
      recorder.writes++;
      workload.write(random);
      return Promise.resolve();
    }
    const read = reader.read(mode, random, recorder);
    inFlight.push(read);
    return read;
  });
  recorder.startedAt = startedAt;
  recorder.maxLagMs = maxLagMs;
  await Promise.all(inFlight);
  recorder.endedAt = now();
  return recorder;
}

// ---------------------------------------------------------------------------------------------
// Figures

const ms = (value: number) => `${value.toFixed(2)} ms`;

interface Summary {
  readonly reads: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly getP50: number;
  readonly getP99: number;
  readonly errors: number;
  readonly outcomes: Record<string, number>;
  readonly hitRatio: number;
}

function summarize(recorder: Recorder): Summary {
  const seconds = (recorder.endedAt - recorder.startedAt) / 1000;
  const ok = recorder.samples.filter((sample) => sample.status === 200);
  const gets = ok.filter((sample) => sample.kind === "get");
  const outcomes: Record<string, number> = {};
  for (const sample of ok) outcomes[sample.cache] = (outcomes[sample.cache] ?? 0) + 1;
  return {
    reads: recorder.samples.length,
    // Requests: the reads and the writes sent in the phase.
    requestsPerSecond: (recorder.samples.length + recorder.writes) / seconds,
    p50: percentile(ok.map((sample) => sample.latencyMs), 50),
    p99: percentile(ok.map((sample) => sample.latencyMs), 99),
    getP50: percentile(gets.map((sample) => sample.latencyMs), 50),
    getP99: percentile(gets.map((sample) => sample.latencyMs), 99),
    errors: recorder.samples.length - ok.length,
    outcomes,
    hitRatio: (outcomes.hit ?? 0) / Math.max(1, ok.length),
  };
}

function describeOutcomes(outcomes: Record<string, number>): string {
  return Object.entries(outcomes)
    .sort()
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(", ");
}

// ---------------------------------------------------------------------------------------------
// CPU of the processes on the path (/proc)

interface WatchedProcess {
  readonly label: string;
  readonly pid: number;
}

async function watchedProcesses(cloud: Cloud): Promise<WatchedProcess[]> {
  const portOf = (url: string | undefined, fallback: number) => {
    try {
      return url ? Number(new URL(url).port) || fallback : fallback;
    } catch {
      return fallback;
    }
  };
  const candidates: Array<[string, number]> = [
    ["local cloud", Number(cloud.queryApi.port)],
    ["dynalite", Number(cloud.dynamodb.port)],
    ["mariadb primary", portOf(process.env.HAUL_MYSQL_URL, 3306)],
    ["mariadb replica", portOf(process.env.HAUL_MYSQL_REPLICA_URL, 3307)],
    ["redis", portOf(process.env.HAUL_REDIS_URL, 6379)],
  ];
  const found: WatchedProcess[] = [];
  for (const [label, port] of candidates) {
    const pid = await pidListeningOn(port);
    // dynalite may run inside the cloud's process: count that process once.
    if (pid !== undefined && !found.some((entry) => entry.pid === pid)) found.push({ label: `${label} (:${port}, pid ${pid})`, pid });
  }
  found.push({ label: `this client (pid ${process.pid})`, pid: process.pid });
  return found;
}

async function measureCpu<T>(processes: readonly WatchedProcess[], run: () => Promise<T>): Promise<{ result: T; cpu: string }> {
  const before = await Promise.all(processes.map((entry) => cpuSeconds(entry.pid)));
  const started = now();
  const result = await run();
  const seconds = (now() - started) / 1000;
  const after = await Promise.all(processes.map((entry) => cpuSeconds(entry.pid)));
  // Linux reports in USER_HZ, 100 per second.
  const cpu = processes.map((entry, i) => `${entry.label} ${((after[i]! - before[i]!) / seconds * 100).toFixed(0)}%`).join(", ");
  return { result, cpu };
}

// ---------------------------------------------------------------------------------------------
// Where the time goes: one request at a time

async function timeSequential(count: number, once: () => Promise<void>): Promise<{ p50: number; mean: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = now();
    await once();
    latencies.push(now() - started);
  }
  return { p50: percentile(latencies, 50), mean: latencies.reduce((sum, value) => sum + value, 0) / latencies.length };
}

async function breakdown(cloud: Cloud, tokens: Tokens, workload: Workload, reader: Reader, redis: Redis): Promise<void> {
  const count = 1_000;
  const hot = workload.pick(() => 0);
  const ownerToken = tokens.byCustomer.get(hot.customerId)!;
  const expect = (wanted: number, what: string) => (reply: HttpReply) => {
    if (reply.status !== wanted) throw new Error(`${what} answered ${reply.status}, expected ${wanted}: ${reply.body.slice(0, 200)}`);
  };
  const hotUrl = new URL(`/reservations/${hot.id}`, cloud.queryApi);
  const outcomes: Record<string, Record<string, number>> = { hit: {}, bypass: {} };
  const timed = {
    gateway: await timeSequential(count, () => http.send(new URL("/bench-no-such-route", cloud.queryApi), "GET", {}).then(expect(404, "an unknown route"))),
    authorized: await timeSequential(count, () =>
      http.send(new URL("/reservations/not-a-uuid", cloud.queryApi), "GET", { authorization: `Bearer ${ownerToken}` }).then(expect(400, "an invalid id")),
    ),
    hit: await timeSequential(count, async () => {
      const reply = await http.send(hotUrl, "GET", { authorization: `Bearer ${ownerToken}` });
      expect(200, "a cached read")(reply);
      const outcome = String(reply.headers["x-cache"]);
      outcomes.hit![outcome] = (outcomes.hit![outcome] ?? 0) + 1;
    }),
    bypass: await timeSequential(count, async () => {
      if (!reader.bypassHonoured) await redis.del(keys.reservation(hot.id));
      const reply = await http.send(hotUrl, "GET", reader.bypassHonoured ? { authorization: `Bearer ${ownerToken}`, "cache-control": "no-cache" } : { authorization: `Bearer ${ownerToken}` });
      expect(200, "a bypassing read")(reply);
      const outcome = String(reply.headers["x-cache"]);
      outcomes.bypass![outcome] = (outcomes.bypass![outcome] ?? 0) + 1;
    }),
  };
  const jwks = createLocalJWKSet((await (await fetch(cloud.jwksUrl)).json()) as JSONWebKeySet);
  const raw = {
    jwt: await timeSequential(count, async () => {
      await jwtVerify(ownerToken, jwks, { issuer: cloud.issuer, audience: cloud.audience });
    }),
    redis: await timeSequential(count, async () => {
      await redis.get(keys.reservation(hot.id));
    }),
    replica: await timeSequential(count, async () => {
      await findReservation(await getReaderPool("replica"), hot.id);
    }),
  };
  const bypassLabel = reader.bypassHonoured ? "bypass (Cache-Control: no-cache)" : "forced miss (entry deleted first)";
  print(`\nWhere the time goes: one request at a time, ${count} each (p50 / mean), the reservation of Zipf rank 1`);
  print(`  a  gateway alone: unknown route, 404 before any auth       ${ms(timed.gateway.p50)} / ${ms(timed.gateway.mean)}`);
  print(`  b  + JWT check + handler: invalid id, 400 before any data   ${ms(timed.authorized.p50)} / ${ms(timed.authorized.mean)}`);
  print(`  c  cache hit                                                ${ms(timed.hit.p50)} / ${ms(timed.hit.mean)}   x-cache: ${describeOutcomes(outcomes.hit!)}`);
  print(`  d  ${bypassLabel.padEnd(57)}${ms(timed.bypass.p50)} / ${ms(timed.bypass.mean)}   x-cache: ${describeOutcomes(outcomes.bypass!)}`);
  print(`  so, by p50: HTTP + gateway ${ms(timed.gateway.p50)}; JWT + handler ${ms(timed.authorized.p50 - timed.gateway.p50)}; ` +
    `cache lookup ${ms(timed.hit.p50 - timed.authorized.p50)}; database instead ${ms(timed.bypass.p50 - timed.authorized.p50)}`);
  print(`  from this process: RS256 JWT verify ${ms(raw.jwt.p50)}, Redis GET of the entry ${ms(raw.redis.p50)}, ` +
    `replica SELECT by id as haul_reader ${ms(raw.replica.p50)} (p50)`);
  const overhead = timed.authorized.p50;
  print(`  a cache hit spends ${((overhead / timed.hit.p50) * 100).toFixed(0)}% of its time before the cache is asked ` +
    `(gateway, JWT, handler middleware: of which the RS256 verify itself is about ${ms(raw.jwt.p50)}), ` +
    `${(((timed.hit.p50 - overhead) / timed.hit.p50) * 100).toFixed(0)}% on the cache`);
}

// ---------------------------------------------------------------------------------------------
// Main

async function detectBypassSupport(cloud: Cloud, tokens: Tokens, workload: Workload): Promise<boolean> {
  const entry = workload.pick(() => 0);
  const url = new URL(`/reservations/${entry.id}`, cloud.queryApi);
  const token = tokens.byCustomer.get(entry.customerId)!;
  // Twice without the header (the second must be a hit), then with it.
  await http.send(url, "GET", { authorization: `Bearer ${token}` });
  const cached = await http.send(url, "GET", { authorization: `Bearer ${token}` });
  const bypassed = await http.send(url, "GET", { authorization: `Bearer ${token}`, "cache-control": "no-cache" });
  return cached.headers["x-cache"] === "hit" && bypassed.headers["x-cache"] === "bypass";
}

function printPhase(label: string, summary: Summary, cpu: string, recorder: Recorder & { maxLagMs?: number }): void {
  print(`  ${label}${recorder.maxLagMs === undefined ? "" : ` (this client sent its arrivals at most ${ms(recorder.maxLagMs)} late)`}`);
  print(`    ${summary.requestsPerSecond.toFixed(0)} requests/s (${summary.reads} reads + ${recorder.writes} writes), ` +
    `p50 ${ms(summary.p50)}, p99 ${ms(summary.p99)} (GET by id: p50 ${ms(summary.getP50)}, p99 ${ms(summary.getP99)}), errors ${summary.errors}`);
  print(`    x-cache: ${describeOutcomes(summary.outcomes)}; hit ratio ${summary.hitRatio.toFixed(3)}; ` +
    `stale reads ${recorder.staleReads} (of ${recorder.checkedReads} checked), stale list items ${recorder.staleListItems}`);
  for (const example of recorder.staleExamples) print(`    stale: ${example}`);
  print(`    CPU (% of one core): ${cpu}`);
}

async function main(): Promise<void> {
  const cloud = await loadCloud();
  const tokens = await mintTokens(cloud);
  const redis = new Redis(process.env.HAUL_REDIS_URL || defaultRedisUrl, { maxRetriesPerRequest: 1 });
  const processes = await watchedProcesses(cloud);
  const runTag = randomUUID().slice(0, 8);

  print(`Query benchmark against ${cloud.queryApi.origin} (writes through ${cloud.reservationApi.origin}), run ${runTag}`);
  print(`Workload (fixed): ${keyspaceSize} reservations, Zipf s=${zipfExponent}, seed ${seed}; ${(1 - writeFraction) * 100}% reads ` +
    `(${listFraction * 100}% of them list pages, ${operatorReadFraction * 100}% of the rest as the operator), ${writeFraction * 100}% writes (cancel or create)`);
  print(`Phases: warm-up (each reservation read once, then ${warmupSeconds} s of the mix); per mode a closed loop (${concurrency} in flight, ${durationSeconds} s) and an open loop (${offeredRate}/s, ${durationSeconds} s)`);
  print(`Watching: ${processes.map((entry) => entry.label).join("; ")}`);
  print(`Load average before: ${(await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ")} (${(await readFile("/proc/cpuinfo", "utf8")).match(/^processor/gm)?.length ?? "?"} cores)`);

  const workload = new Workload(cloud, tokens, await WindowSlots.load(), runTag);
  print(`\nCreating the keyspace through POST /reservations (16 in flight) and waiting for every execution to close...`);
  const seeded = await workload.seedKeyspace();
  print(`  ${keyspaceSize} reservations in ${seeded.seconds.toFixed(1)} s: ${describeOutcomes(seeded.statuses)}`);

  const reader = new Reader(cloud, tokens, workload, redis);
  reader.bypassHonoured = await detectBypassSupport(cloud, tokens, workload);
  if (!reader.bypassHonoured) {
    print(`\n  ! The query service does not honour Cache-Control: no-cache (x-cache is not "bypass"): the bypass mode`);
    print(`    measures a FORCED MISS instead (this client deletes the entry before each read: replica read + cache fill).`);
  }

  // Warm: every entry once (a long run reaches the same state; a 10 s one would spend itself on cold misses), then the mix.
  await workload.prime(async (entry) => {
    await http.send(new URL(`/reservations/${entry.id}`, cloud.queryApi), "GET", { authorization: `Bearer ${tokens.byCustomer.get(entry.customerId)}` });
  });
  await closedLoop(reader, workload, "cache", warmupSeconds, 1);

  const results: Record<string, { summary: Summary; cpu: string; recorder: Recorder }> = {};
  const run = async (label: string, phase: () => Promise<Recorder>) => {
    const { result, cpu } = await measureCpu(processes, phase);
    results[label] = { summary: summarize(result), cpu, recorder: result };
  };
  await run("cache closed", () => closedLoop(reader, workload, "cache", durationSeconds, 2));
  await run("bypass closed", () => closedLoop(reader, workload, "bypass", durationSeconds, 3));
  await run("cache open", () => openLoop(reader, workload, "cache", offeredRate, durationSeconds, 4));
  await run("bypass open", () => openLoop(reader, workload, "bypass", offeredRate, durationSeconds, 5));
  await workload.drain();

  const bypassName = reader.bypassHonoured ? "bypass" : "forced miss";
  print(`\nClosed loop, ${concurrency} in flight, ${durationSeconds} s each`);
  printPhase("with the cache", results["cache closed"]!.summary, results["cache closed"]!.cpu, results["cache closed"]!.recorder);
  printPhase(`cache ${bypassName}`, results["bypass closed"]!.summary, results["bypass closed"]!.cpu, results["bypass closed"]!.recorder);
  print(`\nOpen loop, ${offeredRate} requests/s offered, ${durationSeconds} s each`);
  printPhase("with the cache", results["cache open"]!.summary, results["cache open"]!.cpu, results["cache open"]!.recorder);
  printPhase(`cache ${bypassName}`, results["bypass open"]!.summary, results["bypass open"]!.cpu, results["bypass open"]!.recorder);

  const cacheClosed = results["cache closed"]!.summary;
  const bypassClosed = results["bypass closed"]!.summary;
  const cacheOpen = results["cache open"]!.summary;
  const bypassOpen = results["bypass open"]!.summary;
  const staleWithCache = results["cache closed"]!.recorder.staleReads + results["cache open"]!.recorder.staleReads +
    results["cache closed"]!.recorder.staleListItems + results["cache open"]!.recorder.staleListItems;
  const checkedWithCache = results["cache closed"]!.recorder.checkedReads + results["cache open"]!.recorder.checkedReads;
  const hitRatio = (cacheClosed.outcomes.hit ?? 0) + (cacheOpen.outcomes.hit ?? 0);
  const cachedReads = Object.values(cacheClosed.outcomes).concat(Object.values(cacheOpen.outcomes)).reduce((sum, count) => sum + count, 0);

  print(`\nCache vs ${bypassName}`);
  print(`  requests/s (closed loop): ${cacheClosed.requestsPerSecond.toFixed(0)} vs ${bypassClosed.requestsPerSecond.toFixed(0)}: ` +
    `cache/${bypassName} x${(cacheClosed.requestsPerSecond / bypassClosed.requestsPerSecond).toFixed(2)}`);
  print(`  p50 / p99 (closed loop):  ${ms(cacheClosed.p50)} / ${ms(cacheClosed.p99)} vs ${ms(bypassClosed.p50)} / ${ms(bypassClosed.p99)}: ` +
    `${bypassName}/cache p50 x${(bypassClosed.p50 / cacheClosed.p50).toFixed(2)}, p99 x${(bypassClosed.p99 / cacheClosed.p99).toFixed(2)}`);
  print(`  p50 / p99 (open loop):    ${ms(cacheOpen.p50)} / ${ms(cacheOpen.p99)} vs ${ms(bypassOpen.p50)} / ${ms(bypassOpen.p99)}: ` +
    `${bypassName}/cache p50 x${(bypassOpen.p50 / cacheOpen.p50).toFixed(2)}, p99 x${(bypassOpen.p99 / cacheOpen.p99).toFixed(2)}`);
  print(`  hit ratio with the cache (measured phases): ${(hitRatio / Math.max(1, cachedReads)).toFixed(3)}`);
  print(`  requests sent again after a reset keep-alive socket: ${http.resentAfterReset}`);
  print(`  writes: ${workload.writesStarted} started, ${workload.writesClosed} executions seen closed, ${workload.writesRefused} refused`);
  print(`  stale reads after invalidation, with the cache: ${staleWithCache} (of ${checkedWithCache} reads of entries written before them)`);

  if (!args["no-breakdown"]) await breakdown(cloud, tokens, workload, reader, redis);

  const targets = [
    [`p99 with the cache < 10 ms (open loop at ${offeredRate}/s: ${ms(cacheOpen.p99)}; the closed loop's p99 is queueing at saturation)`, cacheOpen.p99 < 10],
    [`hit ratio >= 0.9 (${(hitRatio / Math.max(1, cachedReads)).toFixed(3)})`, hitRatio / Math.max(1, cachedReads) >= 0.9],
    [`cache path faster than ${bypassName} (p50 ${ms(cacheOpen.p50)} vs ${ms(bypassOpen.p50)}, open loop)`, cacheOpen.p50 < bypassOpen.p50],
    [`stale reads with the cache = 0 (${staleWithCache})`, staleWithCache === 0],
  ] as const;
  print(`\nLoad average after: ${(await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ")}`);
  print(`Targets`);
  for (const [label, met] of targets) print(`  ${met ? "met   " : "MISSED"} ${label}`);

  redis.disconnect();
  http.destroy();
  await closePools();
}

main().catch(async (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await closePools().catch(() => undefined);
  process.exit(1);
});
