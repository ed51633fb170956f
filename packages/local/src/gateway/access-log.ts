import { createWriteStream } from "node:fs";

/** The fields SST v2's default HTTP and WebSocket API access log formats share. */
interface CommonAccessLogFields {
  requestTime: string;
  requestId: string;
  routeKey: string;
  status: number;
  integrationRequestId: string;
  integrationStatus: string;
  integrationLatency: string;
  integrationServiceStatus: string;
  ip: string;
  userAgent: string;
}

/**
 * One JSON access log line per request, with the fields of SST v2's default HTTP API
 * access log format (sst/constructs/util/apiGatewayV2AccessLog.js), so local and cloud
 * logs read alike. Values API Gateway has not got are "-", as in its own logs.
 */
export interface AccessLogEntry extends CommonAccessLogFields {
  httpMethod: string;
  path: string;
  responseLatency: number;
}

/**
 * The same for a WebSocket API, one line per CONNECT, MESSAGE and DISCONNECT, with SST v2's
 * default WebSocket fields. None of them holds the query string, so the `$connect` token never
 * reaches this log.
 */
export interface WebSocketAccessLogEntry extends CommonAccessLogFields {
  eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
  cognitoIdentityId: string;
  connectedAt: string;
  connectionId: string;
}

export function formatAccessLogLine(entry: AccessLogEntry | WebSocketAccessLogEntry): string {
  return JSON.stringify(entry);
}

/** The terminal gets one short line a request; the file keeps API Gateway's full JSON fields. */
export function compactAccessLine(line: string): string {
  try {
    const entry = JSON.parse(line) as Partial<AccessLogEntry & WebSocketAccessLogEntry>;
    if (entry.eventType) return `  ws ${entry.routeKey} ${entry.connectionId} -> ${entry.status}`;
    return `  ${entry.httpMethod} ${entry.path} -> ${entry.status} (${entry.responseLatency} ms)`;
  } catch {
    return line;
  }
}

export interface TextSink {
  write(text: string): void;
  flush(): void;
}

/**
 * Collects text and writes it at most every 50 ms: stdout to a terminal or file is written
 * synchronously, and one system call per request would sit on the event loop serving requests.
 */
export function batchedWriter(write: (text: string) => void): TextSink {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    write(text);
  };
  return {
    write(text) {
      pending.push(text);
      timer ??= setTimeout(flush, 50);
    },
    flush,
  };
}

export interface AccessLog {
  readonly file: string;
  write(line: string): void;
  close(): Promise<void>;
}

/** API Gateway's JSON lines to `file` (appended), and a short line each to `terminal` when given. */
export function openAccessLog(file: string, terminal?: TextSink): AccessLog {
  const stream = createWriteStream(file, { flags: "a" });
  return {
    file,
    write(line) {
      stream.write(line + "\n");
      terminal?.write(compactAccessLine(line) + "\n");
    },
    close: () => new Promise((resolve) => stream.end(() => resolve())),
  };
}
