/**
 * What every fault script shares: an isolated set of servers (MariaDB primary + replica, Redis,
 * OpenSearch on ports of their own under .haul/reliability/services, started by
 * scripts/local-services.sh), a local cloud against them, tokens, and the one line a script prints.
 * The shared servers (3306/3307/6379/9200) are never touched: `kill` refuses anything but this set.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@haul/local/config";
import { mintToken } from "@haul/local/identity/mint-token";
import { loadOrCreateSigningKey } from "@haul/local/identity/signing-key";
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from "@haul/local/main";

const run = promisify(execFile);

export const reliabilityDir = path.join(repoRoot, ".haul", "reliability");

/** The isolated servers: the shared ones plus 10000 (OpenSearch's runner takes no HTTP port above 9299). */
export const isolatedServers = {
  dir: path.join(reliabilityDir, "services"),
  primaryPort: 13306,
  replicaPort: 13307,
  redisPort: 16379,
  openSearchPort: 9250,
} as const;

export type ServerName = "primary" | "replica" | "redis" | "opensearch";

/** What scripts/local-services.sh needs to manage the isolated set (and not the user's servers). */
export function servicesEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HAUL_SERVICES_DIR: isolatedServers.dir,
    HAUL_MYSQL_PRIMARY_PORT: String(isolatedServers.primaryPort),
    HAUL_MYSQL_REPLICA_PORT: String(isolatedServers.replicaPort),
    HAUL_REDIS_PORT: String(isolatedServers.redisPort),
    HAUL_OPENSEARCH_PORT: String(isolatedServers.openSearchPort),
  };
  // Set, these would tell the script the servers are the user's own and not to be managed.
  for (const name of ["HAUL_MYSQL_URL", "HAUL_MYSQL_REPLICA_URL", "HAUL_REDIS_URL", "HAUL_OPENSEARCH_URL"]) delete env[name];
  return env;
}

/** Where handlers, migrations and checks find the isolated servers. */
export const serverUrls = {
  HAUL_MYSQL_URL: `mysql://haul:haul@127.0.0.1:${isolatedServers.primaryPort}/haul`,
  HAUL_MYSQL_REPLICA_URL: `mysql://haul:haul@127.0.0.1:${isolatedServers.replicaPort}/haul`,
  HAUL_REDIS_URL: `redis://127.0.0.1:${isolatedServers.redisPort}`,
  HAUL_OPENSEARCH_URL: `http://127.0.0.1:${isolatedServers.openSearchPort}`,
  HAUL_OPENSEARCH_AUTH: "none",
} as const;

async function localServices(...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [path.join(repoRoot, "scripts", "local-services.sh"), ...args], {
    env: servicesEnv(),
    cwd: repoRoot,
    maxBuffer: 1 << 24,
  });
  return stdout;
}

export async function isolatedServersUp(): Promise<boolean> {
  return localServices("status", "--quiet").then(() => true, () => false);
}

/** Starts what is down of the isolated set (and repairs its replica); a server just killed may still hold its port or lock a moment. */
export async function startServers(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await localServices("start");
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(3000);
    }
  }
}
export const stopServers = () => localServices("stop");
/** SIGKILL, no clean shutdown; `startServers` brings it back. */
export const killServer = (name: ServerName) => localServices("kill", name);

/** Migrations, seeds, the reader user and the index families on the isolated set. */
export async function migrate(): Promise<void> {
  await run("npx", ["tsx", "scripts/migrate.ts"], { env: { ...servicesEnv(), ...serverUrls }, cwd: repoRoot, maxBuffer: 1 << 24 });
}

/**
 * Runs `work` with the isolated servers up and migrated; stops them afterwards when it started them.
 * `process.env` points at them from here on (handlers of an in-process cloud read it).
 */
export async function withIsolatedServers<T>(work: () => Promise<T>): Promise<T> {
  const wereUp = await isolatedServersUp();
  Object.assign(process.env, serverUrls);
  try {
    await startServers();
    // A migration in progress elsewhere must not stop the run: the schema that exists is used.
    await migrate().catch((error: Error) => process.stderr.write(`migrations on the isolated servers failed, running on the schema there: ${error.message.split("\n").slice(-3).join(" ")}\n`));
    return await work();
  } finally {
    // Leave them as found: a killed server comes back, servers this run started stop.
    if (wereUp) await startServers().catch(() => undefined);
    else await stopServers().catch(() => undefined);
  }
}

export interface FaultCloud extends LocalCloud {
  readonly haulDir: string;
  token(role: "customer" | "driver" | "operator", sub: string): Promise<string>;
}

/** A local cloud in this process, every port free, state fresh under .haul/reliability/<name>. */
export async function startFaultCloud(name: string, options: Partial<LocalCloudOptions> = {}): Promise<FaultCloud> {
  const haulDir = path.join(reliabilityDir, name);
  await rm(haulDir, { recursive: true, force: true });
  await mkdir(haulDir, { recursive: true });
  process.env.POWERTOOLS_LOG_LEVEL ??= "INFO";
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const cloud = await startLocalCloud({
    haulDir,
    quiet: true,
    fresh: true,
    ports: { reservationApi: 0, queryApi: 0, identity: 0, dynamodb: 0, stepFunctions: 0, liveApi: 0, notificationApi: 0, trackingApi: 0, kinesis: 0, observabilityApi: 0, web: 0 },
    stepFunctions: { retryIntervalScale: 0.05 },
    firehose: { bufferingIntervalSeconds: 1, pollIntervalMs: 200 },
    terminalLogLevel: "OFF",
    ...options,
  });
  const signingKey = await loadOrCreateSigningKey(path.join(haulDir, "identity"));
  return {
    ...cloud,
    haulDir,
    token: (role, sub) => mintToken({ role, sub, issuer: cloud.outputs.IssuerUrl!, signingKey, expiresIn: "2h" }),
  };
}

export interface FaultRow {
  /** Short name: the table's first column. */
  readonly fault: string;
  /** What was tried, in a few words. */
  readonly tried: string;
  /** Requests or records sent. */
  readonly requests: number;
  readonly fiveHundreds: number;
  readonly lost: number;
  readonly pass: boolean;
  /** Why it failed, or a figure worth knowing. */
  readonly note?: string;
}

/** The one line a fault script prints; scripts/reliability.ts reads it back with `parseRow`. */
export function formatRow(row: FaultRow): string {
  return ["FAULT", row.fault, row.tried, `${row.requests} requests/records`, `${row.fiveHundreds} x 5xx`, `${row.lost} lost`, row.pass ? "PASS" : "FAIL", row.note ?? ""]
    .join(" | ")
    .replace(/ \| $/, "");
}

export function parseRow(line: string): FaultRow | undefined {
  const cells = line.split(" | ");
  if (cells[0] !== "FAULT" || cells.length < 7) return undefined;
  return {
    fault: cells[1]!,
    tried: cells[2]!,
    requests: parseInt(cells[3]!, 10),
    fiveHundreds: parseInt(cells[4]!, 10),
    lost: parseInt(cells[5]!, 10),
    pass: cells[6] === "PASS",
    ...(cells[7] ? { note: cells.slice(7).join(" | ") } : {}),
  };
}

/**
 * Runs a fault script's body, prints its one line (a crash is a FAIL row saying why) and exits
 * (open handles of a killed server must not keep the process alive).
 */
export function runFault(fault: string, tried: string, body: () => Promise<FaultRow>): void {
  body().then(
    (row) => {
      process.stdout.write(formatRow(row) + "\n");
      process.exit(row.pass ? 0 : 1);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stdout.write(formatRow({ fault, tried, requests: 0, fiveHundreds: 0, lost: 0, pass: false, note: `crashed: ${message.split("\n")[0]}` }) + "\n");
      process.exit(1);
    },
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 250 ms until it answers true or `ms` pass; answers the last result. */
export async function waitFor(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + ms; ; await sleep(250)) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
  }
}

/** Runs `step` over and over until `stop()` is true, `concurrency` at a time. */
export async function loadUntil(concurrency: number, stop: () => boolean, step: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stop()) await step(next++);
    }),
  );
}

/** Failed invocations ("Invoke Error" lines) in a function's log group of `cloud` (logs/groups/aws/lambda/<function>.log). */
export async function invokeErrors(cloud: FaultCloud, functionName: string): Promise<number> {
  const file = path.join(cloud.haulDir, "logs", "groups", "aws", "lambda", `local-haul-${functionName}.log`);
  await cloud.logs.flush();
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line.includes('"message":"Invoke Error"')).length;
}
