/**
 * Runs a LevelDB-backed AWS stand-in from npm (dynalite, kinesalite) on a port, in this process or,
 * by default, in a child process of its own: their request validation and LevelDB work then use
 * another core than the local cloud's one event loop.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { drainAndCloseServer, keepAliveMs, listen, urlHost } from "./http-server.js";

export interface LevelDbServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** LevelDB directory; omit for an in-memory store. */
  readonly dataDir?: string;
  /** Delete everything stored before starting. */
  readonly fresh?: boolean;
  /** Run the server in this process instead of a child process (default false). */
  readonly inProcess?: boolean;
}

export interface RunningLevelDbServer {
  /** e.g. http://127.0.0.1:4003 */
  readonly endpoint: string;
  readonly port: number;
  /** The process the server runs in (this one when in process). */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface LevelDbServerPackage {
  /** The npm package, imported by the child process. */
  readonly name: "dynalite" | "kinesalite";
  /** Its factory, for the in-process case. */
  readonly create: (settings: Record<string, unknown>) => Server;
}

/** How long stopping waits for requests in flight (a write's remaining steps) before cutting them. */
const drainMs = 2_000;

const childScript = fileURLToPath(new URL("./leveldb-server-process.mjs", import.meta.url));

export async function startLevelDbServer(
  serverPackage: LevelDbServerPackage,
  options: LevelDbServerOptions,
  settings: Record<string, unknown>,
): Promise<RunningLevelDbServer> {
  if (options.dataDir) {
    if (options.fresh) await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });
  }
  const allSettings = { ...(options.dataDir ? { path: options.dataDir } : {}), ...settings };
  return options.inProcess ? startInProcess(serverPackage, options, allSettings) : startChildProcess(serverPackage.name, options, allSettings);
}

async function startInProcess(serverPackage: LevelDbServerPackage, options: LevelDbServerOptions, settings: Record<string, unknown>): Promise<RunningLevelDbServer> {
  const server = serverPackage.create(settings);
  const port = await listen(server, options.port, options.host);
  return {
    endpoint: `http://${urlHost(options.host, port)}`,
    port,
    pid: process.pid,
    // The server's close() also closes its LevelDB store, releasing the lock for the next start.
    stop: () => drainAndCloseServer(server, drainMs),
  };
}

async function startChildProcess(name: string, options: LevelDbServerOptions, settings: Record<string, unknown>): Promise<RunningLevelDbServer> {
  const childSettings = { server: name, host: options.host, port: options.port, keepAliveMs, drainMs, ...settings };
  // Bare node: no loader hooks, no inspector flags inherited from the parent.
  const child = fork(childScript, [JSON.stringify(childSettings)], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port?: number; error?: { code?: string; message: string } }) => {
      if (message.port !== undefined) return resolve(message.port);
      reject(Object.assign(new Error(`${name}: ${message.error?.message ?? "could not start"}`), { code: message.error?.code }));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${name} exited with code ${code} before listening`)));
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
  const timer = setTimeout(() => child.kill("SIGKILL"), drainMs + 3_000);
  await exited;
  clearTimeout(timer);
}
