/**
 * Runs a declared HTTP API's gateway in a child process of its own (gateway-process.ts), with this
 * process's environment, so its handlers get an event loop of their own, as separate Lambda
 * functions and services do in AWS.
 */
import { fork } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FunctionLogEvent } from "../logs/log-capture.js";
import type { GatewayProcessOptions } from "./gateway-process.js";
import type { RunningHttpApiGateway } from "./http-api-gateway.js";

const childScript = fileURLToPath(new URL("./gateway-process.ts", import.meta.url));

export interface RunningGatewayProcess extends RunningHttpApiGateway {
  readonly pid: number;
}

export interface GatewayProcessOutput {
  /** Where the process's own output (its handlers' logs) goes instead of this terminal; quiet runs and tests. */
  readonly functionLogFile?: string;
  /** The process's log events (its functions' and its access log's), for this process's log groups. */
  readonly onLogEvents: (events: readonly FunctionLogEvent[]) => void;
}

export function startHttpApiGatewayProcess(options: GatewayProcessOptions & GatewayProcessOutput): Promise<RunningGatewayProcess> {
  const { functionLogFile, onLogEvents, ...processOptions } = options;
  const output = functionLogFile === undefined ? "inherit" : openSync(functionLogFile, "a");
  const child = fork(childScript, [JSON.stringify(processOptions)], {
    cwd: options.root,
    execArgv: ["--import", "tsx"],
    env: process.env,
    stdio: ["ignore", output, output, "ipc"],
  });
  // The child holds its own copy of the descriptor.
  if (typeof output === "number") closeSync(output);
  child.on("message", (message: { logEvents?: FunctionLogEvent[] }) => {
    if (message.logEvents) onLogEvents(message.logEvents);
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`The ${options.apiName} gateway process exited with ${code} before it listened`)));
    const started = (message: { url?: string; port?: number; apiId?: string; routes?: string[]; error?: { code?: string; message: string }; logEvents?: unknown }) => {
      if (message.logEvents) return;
      child.off("message", started);
      child.removeAllListeners("exit");
      if (message.error || !message.url) {
        const error = new Error(message.error?.message ?? "no address") as NodeJS.ErrnoException;
        if (message.error?.code) error.code = message.error.code;
        return reject(error);
      }
      const routes = message.routes ?? [];
      resolve({
        url: message.url,
        port: message.port!,
        apiId: message.apiId!,
        pid: child.pid!,
        listRoutes: () => [...routes],
        stop: () => stopChild(child),
      });
    };
    child.on("message", started);
  });
}

function stopChild(child: ReturnType<typeof fork>): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.send("stop");
  });
}
