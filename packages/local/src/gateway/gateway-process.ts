/**
 * A child process that serves one declared HTTP API (see http-api-gateway-process.ts). Services
 * that AWS runs apart run apart here too: a reservation workflow in the parent's event loop then
 * cannot hold up a query. Options come as JSON in argv[2]; once listening it sends
 * `{ url, port, apiId, routes }` over IPC. It stops on "stop", SIGTERM or SIGINT, or when the
 * parent goes away.
 */
import { httpApis } from "@haul/functions/declarations";
import { batchedWriter, openAccessLog } from "./access-log.js";
import { startHttpApiGateway, type HttpApiGatewayOptions } from "./http-api-gateway.js";

export interface GatewayProcessOptions extends Omit<HttpApiGatewayOptions, "api" | "accessLog" | "errorLog"> {
  readonly apiName: string;
  readonly accessLogFile: string;
  /** Print a short line per request to this process's stdout (the parent's terminal). */
  readonly echoAccessLog: boolean;
}

const options = JSON.parse(process.argv[2] ?? "{}") as GatewayProcessOptions;
const api = httpApis.find((candidate) => candidate.name === options.apiName);

async function main(): Promise<void> {
  if (!api) throw new Error(`No HTTP API named ${options.apiName} is declared`);
  const terminal = options.echoAccessLog ? batchedWriter((text) => process.stdout.write(text)) : undefined;
  const accessLog = openAccessLog(options.accessLogFile, terminal);
  const { apiName: _apiName, accessLogFile: _file, echoAccessLog: _echo, ...gatewayOptions } = options;
  const gateway = await startHttpApiGateway({ ...gatewayOptions, api, accessLog: (line) => accessLog.write(line) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await gateway.stop();
    terminal?.flush();
    await accessLog.close();
    process.exit(0);
  };
  process.on("message", (message) => message === "stop" && void stop());
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
  // Ctrl-C reaches the whole process group: the parent decides when this one stops.
  process.on("SIGINT", () => undefined);
  process.send?.({ url: gateway.url, port: gateway.port, apiId: gateway.apiId, routes: gateway.listRoutes() });
}

main().catch((error: unknown) => {
  const { code, message } = error as NodeJS.ErrnoException;
  process.send?.({ error: { code, message } });
  process.exit(1);
});
