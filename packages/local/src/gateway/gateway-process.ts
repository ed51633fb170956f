/**
 * A child process that serves one declared HTTP API (see http-api-gateway-process.ts). Services
 * that AWS runs apart run apart here too: a reservation workflow in the parent's event loop then
 * cannot hold up a query. Options come as JSON in argv[2]; once listening it sends
 * `{ url, port, apiId, routes }` over IPC. It stops on "stop", SIGTERM or SIGINT, or when the
 * parent goes away.
 */
import { httpApis } from "@haul/functions/declarations";
import { installLogCapture, type FunctionLogEvent, type TerminalLevel } from "../logs/log-capture.js";
import { batchedWriter, openAccessLog } from "./access-log.js";
import { startHttpApiGateway, type HttpApiGatewayOptions } from "./http-api-gateway.js";

export interface GatewayProcessOptions extends Omit<HttpApiGatewayOptions, "api" | "accessLog" | "errorLog"> {
  readonly apiName: string;
  readonly accessLogFile: string;
  /** Print a short line per request to this process's stdout (the parent's terminal). */
  readonly echoAccessLog: boolean;
  /** The access log's group in the parent's CloudWatch Logs (local-logs.ts). */
  readonly accessLogGroup: string;
  readonly accessLogStream: string;
  /** Handler lines at or above it are echoed to this process's stdout too. */
  readonly terminalLogLevel: TerminalLevel;
}

const options = JSON.parse(process.argv[2] ?? "{}") as GatewayProcessOptions;
const api = httpApis.find((candidate) => candidate.name === options.apiName);

async function main(): Promise<void> {
  if (!api) throw new Error(`No HTTP API named ${options.apiName} is declared`);
  const terminal = options.echoAccessLog ? batchedWriter((text) => process.stdout.write(text)) : undefined;
  const accessLog = openAccessLog(options.accessLogFile, terminal);
  const logEvents = forwardLogEvents();
  const { apiName: _apiName, accessLogFile: _file, echoAccessLog: _echo, accessLogGroup, accessLogStream, terminalLogLevel, ...gatewayOptions } = options;
  installLogCapture({ sink: logEvents.put, terminalLevel: terminalLogLevel });
  const gateway = await startHttpApiGateway({
    ...gatewayOptions,
    api,
    accessLog: (line) => {
      accessLog.write(line);
      logEvents.put({ logGroup: accessLogGroup, logStream: accessLogStream, timestamp: Date.now(), message: line });
    },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await gateway.stop();
    logEvents.flush();
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

/** Log events go to the parent (which holds the log groups) in one message every 100 ms. */
function forwardLogEvents(): { put(event: FunctionLogEvent): void; flush(): void } {
  let pending: FunctionLogEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0 || !process.connected) return;
    process.send?.({ logEvents: pending });
    pending = [];
  };
  return {
    put(event) {
      pending.push(event);
      timer ??= setTimeout(flush, 100);
    },
    flush,
  };
}

main().catch((error: unknown) => {
  const { code, message } = error as NodeJS.ErrnoException;
  process.send?.({ error: { code, message } });
  process.exit(1);
});
