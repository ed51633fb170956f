/**
 * The local stand-in for DynamoDB: dynalite (DynamoDB's JSON API over LevelDB), persisting under
 * `.haul/dynamodb`. Not supported by dynalite: transactions, TTL, streams.
 *
 * By default dynalite runs in a child process of its own: its request validation, expression
 * parsing and LevelDB work (about a millisecond per write) then use another core instead of the
 * local cloud's one event loop, which also runs the gateway, the handlers and Step Functions.
 * `inProcess: true` keeps it in this process.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import dynalite from "dynalite";
import { closeServer, keepAliveMs, listen, urlHost } from "../http-server.js";

export interface DynaliteOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** LevelDB directory; omit for an in-memory store. */
  readonly dataDir?: string;
  /** Delete everything stored before starting. */
  readonly fresh?: boolean;
  /** Run dynalite in this process instead of a child process (default false). */
  readonly inProcess?: boolean;
}

export interface RunningDynalite {
  /** For AWS_ENDPOINT_URL_DYNAMODB, e.g. http://127.0.0.1:4003 */
  readonly endpoint: string;
  readonly port: number;
  /** The process dynalite runs in (this one when in process). */
  readonly pid: number;
  stop(): Promise<void>;
}

// Tables become ACTIVE at once instead of after dynalite's default 500 ms.
const tableTimings = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };

const childScript = fileURLToPath(new URL("./dynalite-process.mjs", import.meta.url));

export async function startDynalite(options: DynaliteOptions): Promise<RunningDynalite> {
  if (options.dataDir) {
    if (options.fresh) await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });
  }
  return options.inProcess ? startInProcess(options) : startChildProcess(options);
}

async function startInProcess(options: DynaliteOptions): Promise<RunningDynalite> {
  const server = dynalite({ ...(options.dataDir ? { path: options.dataDir } : {}), ...tableTimings });
  const port = await listen(server, options.port, options.host);
  return {
    endpoint: `http://${urlHost(options.host, port)}`,
    port,
    pid: process.pid,
    // dynalite's close() also closes the LevelDB store, releasing its lock for the next start.
    stop: () => closeServer(server),
  };
}

async function startChildProcess(options: DynaliteOptions): Promise<RunningDynalite> {
  const settings = { host: options.host, port: options.port, keepAliveMs, ...(options.dataDir ? { path: options.dataDir } : {}), ...tableTimings };
  // Bare node: no loader hooks, no inspector flags inherited from the parent.
  const child = fork(childScript, [JSON.stringify(settings)], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port?: number; error?: { code?: string; message: string } }) => {
      if (message.port !== undefined) return resolve(message.port);
      reject(Object.assign(new Error(`dynalite: ${message.error?.message ?? "could not start"}`), { code: message.error?.code }));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`dynalite exited with code ${code} before listening`)));
  });
  return {
    endpoint: `http://${urlHost(options.host, port)}`,
    port,
    pid: child.pid!,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send("stop");
  else child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}
