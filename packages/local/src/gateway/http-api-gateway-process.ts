/**
 * Runs a declared HTTP API's gateway in a child process of its own (gateway-process.ts), with this
 * process's environment, so its handlers get an event loop of their own, as separate Lambda
 * functions and services do in AWS.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { GatewayProcessOptions } from "./gateway-process.js";
import type { RunningHttpApiGateway } from "./http-api-gateway.js";

const childScript = fileURLToPath(new URL("./gateway-process.ts", import.meta.url));

export interface RunningGatewayProcess extends RunningHttpApiGateway {
  readonly pid: number;
}

export function startHttpApiGatewayProcess(options: GatewayProcessOptions): Promise<RunningGatewayProcess> {
  const child = fork(childScript, [JSON.stringify(options)], {
    cwd: options.root,
    execArgv: ["--import", "tsx"],
    env: process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`The ${options.apiName} gateway process exited with ${code} before it listened`)));
    child.once("message", (message: { url?: string; port?: number; apiId?: string; routes?: string[]; error?: { code?: string; message: string } }) => {
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
    });
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
