/**
 * One CloudWatch Logs event into one clean LogDocument. The line forms understood:
 *   - Powertools Logger JSON (level, message, timestamp, service, cold_start, function_name,
 *     function_request_id, xray_trace_id, correlation_id, error, and any other keys -> `fields`);
 *   - Lambda's JSON log format records `{"time","type":"platform.*","record":{…}}` and its runtime
 *     errors (`errorType`, `errorMessage`, `stackTrace`);
 *   - Lambda's text lines: START, END, REPORT (duration, billed, memory, max memory, init),
 *     `Task timed out after N seconds`, and Node's `<time>\t<requestId>\t<LEVEL>\t<message>` lines,
 *     whose `Uncaught Exception` / `Runtime.*` JSON errors become crash records;
 *   - API Gateway access lines in SST's JSON format (packages/local/src/gateway/access-log.ts):
 *     route, method, path, status, latency; the client's ip and user agent are not kept.
 * Anything else stays a `text` document. Every string that may hold data goes through redaction.
 */
import type { LogEvent } from "./log-envelope.js";
import { normaliseLevel, normaliseTimestamp, type LogDocument, type LogError, type LogKind, type LogLevel } from "./log-document.js";
import { redactField, redactText, redactValue } from "./redaction.js";

export interface LogGroupContext {
  readonly logGroup: string;
  readonly logStream: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<Omit<LogDocument, "eventId" | "logGroup" | "logStream" | "source" | "timestamp">> & { timestamp?: string };

const lambdaGroupPrefix = "/aws/lambda/";

/** The refined document of `event`, or why it cannot be one. */
export function refineLogEvent(event: LogEvent, context: LogGroupContext): LogDocument | { readonly dropped: string } {
  const line = event.message.trim();
  if (line.length === 0) return { dropped: "empty log line" };
  const draft = (line.startsWith("{") && parseJsonLine(line)) || parseTextLine(line);
  const isFunction = context.logGroup.startsWith(lambdaGroupPrefix);
  const { timestamp, ...rest } = draft;
  return {
    eventId: event.id,
    timestamp: timestamp ?? new Date(event.timestamp).toISOString(),
    logGroup: context.logGroup,
    logStream: context.logStream,
    source: isFunction ? "function" : "api",
    ...rest,
    ...(isFunction && rest.functionName === undefined ? { functionName: context.logGroup.slice(lambdaGroupPrefix.length) } : {}),
    ...(!isFunction ? { apiName: apiNameOfLogGroup(context.logGroup) } : {}),
  };
}

const accessGroupPattern = /^\/aws\/vendedlogs\/apis\/([^/]+)-[a-z0-9]{10}\/[^/]+$/;

/**
 * The API an access log group belongs to. SST names it `/aws/vendedlogs/apis/<stage>-<app>-<Api>-<api id>/<stage>`
 * (sst/constructs/util/apiGatewayV2AccessLog.js), and the local cloud does the same: `<Api>` is the
 * declared name (ReservationApi). Any other group is named by its last segment.
 */
export function apiNameOfLogGroup(logGroup: string): string {
  const sst = accessGroupPattern.exec(logGroup);
  if (sst) return sst[1]!.split("-").pop()!;
  return logGroup.split("/").filter(Boolean).pop() ?? logGroup;
}

// ---------------------------------------------------------------------------------------------
// JSON lines

function parseJsonLine(line: string): Draft | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  if (typeof value.type === "string" && value.type.startsWith("platform.") && isObject(value.record)) return platformRecord(value.type, value.record, value.time);
  if (typeof value.routeKey === "string" && "status" in value && ("httpMethod" in value || "eventType" in value)) return accessRecord(value);
  return applicationLine(value);
}

function platformRecord(type: string, record: Record<string, unknown>, time: unknown): Draft {
  const requestId = stringOf(record.requestId);
  const timestamp = normaliseTimestamp(time);
  const base = { ...(timestamp ? { timestamp } : {}), ...(requestId ? { requestId } : {}) };
  if (type === "platform.report") {
    const metrics = isObject(record.metrics) ? record.metrics : {};
    const outcome = stringOf(record.status);
    const report = {
      durationMs: numberOf(metrics.durationMs),
      billedDurationMs: numberOf(metrics.billedDurationMs),
      memorySizeMb: numberOf(metrics.memorySizeMB),
      maxMemoryUsedMb: numberOf(metrics.maxMemoryUsedMB),
      initDurationMs: numberOf(metrics.initDurationMs),
    };
    const failed = outcome !== undefined && outcome !== "success";
    return {
      ...base,
      kind: "platform.report",
      level: failed ? "ERROR" : "INFO",
      message: `REPORT RequestId: ${requestId ?? "-"} Duration: ${report.durationMs ?? "-"} ms${outcome ? ` Status: ${outcome}` : ""}`,
      ...defined(report),
      ...(outcome ? { outcome } : {}),
      ...(report.initDurationMs !== undefined ? { coldStart: true } : {}),
      ...(failed && typeof record.errorType === "string" ? { error: { type: record.errorType } } : {}),
    };
  }
  const kind: LogKind = type === "platform.start" ? "platform.start" : type === "platform.runtimeDone" || type === "platform.end" ? "platform.end" : "text";
  return { ...base, kind, level: "INFO", message: `${type}${requestId ? ` RequestId: ${requestId}` : ""}` };
}

function accessRecord(entry: Record<string, unknown>): Draft {
  const status = numberOf(entry.status);
  const latencyMs = numberOf(entry.responseLatency) ?? numberOf(entry.integrationLatency);
  const method = stringOf(entry.httpMethod) ?? stringOf(entry.eventType);
  const route = stringOf(entry.routeKey);
  const path = stringOf(entry.path);
  const timestamp = normaliseTimestamp(entry.requestTimeEpoch) ?? normaliseTimestamp(entry.requestTime);
  const requestId = stringOf(entry.requestId);
  // API Gateway's request id is the handlers' correlation id when the caller sends none
  // (functions' http-handler.ts, websocket-handler.ts); a caller's own id is joined by log-search.ts.
  const correlationId = stringOf(entry.correlationId) ?? stringOf(entry.correlation_id) ?? requestId;
  const fields = defined({
    eventType: stringOf(entry.eventType),
    connectionId: stringOf(entry.connectionId),
    integrationStatus: stringOf(entry.integrationStatus),
    integrationLatencyMs: numberOf(entry.integrationLatency),
    integrationServiceStatus: stringOf(entry.integrationServiceStatus),
  });
  return {
    ...(timestamp ? { timestamp } : {}),
    kind: "access",
    level: status === undefined ? "INFO" : status >= 500 ? "ERROR" : status >= 400 ? "WARN" : "INFO",
    message: redactText(`${method ?? "-"} ${path ?? route ?? "-"} ${status ?? "-"}${latencyMs === undefined ? "" : ` ${latencyMs} ms`}`),
    ...defined({
      requestId,
      correlationId,
      route,
      method,
      path: path === undefined ? undefined : redactText(path),
      status,
      latencyMs,
    }),
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
}

/** Keys of a JSON line that become document fields; the rest goes to `fields`. */
const knownKeys: Readonly<Record<string, keyof Draft | "ignore">> = {
  level: "level", severity: "level",
  message: "message", msg: "message",
  timestamp: "timestamp", time: "timestamp", "@timestamp": "timestamp",
  service: "service",
  cold_start: "coldStart", coldStart: "coldStart",
  function_name: "functionName", functionName: "functionName",
  function_request_id: "requestId", requestId: "requestId", request_id: "requestId", awsRequestId: "requestId",
  xray_trace_id: "xrayTraceId", xrayTraceId: "xrayTraceId",
  correlation_id: "correlationId", correlationId: "correlationId",
  route: "route", routeKey: "route",
  method: "method", httpMethod: "method",
  path: "path",
  status: "status", statusCode: "status",
  latencyMs: "latencyMs", latency_ms: "latencyMs", latency: "latencyMs",
  error: "error",
  // Said once by the log group or the function's configuration; noise on every line.
  function_arn: "ignore", function_memory_size: "ignore", sampling_rate: "ignore",
  errorType: "ignore", errorMessage: "ignore", stackTrace: "ignore", stack: "ignore",
};

function applicationLine(line: Record<string, unknown>): Draft {
  const draft: Draft = { kind: "app", level: "INFO", message: "" };
  const fields: Record<string, unknown> = {};
  let levelSeen: LogLevel | undefined;
  for (const [key, value] of Object.entries(line)) {
    const target = knownKeys[key];
    if (target === undefined) {
      fields[key] = redactField(key, value);
      continue;
    }
    switch (target) {
      case "ignore": break;
      case "level": levelSeen = normaliseLevel(value) ?? levelSeen; break;
      case "message": draft.message = redactText(typeof value === "string" ? value : JSON.stringify(value)); break;
      case "timestamp": { const at = normaliseTimestamp(value); if (at) draft.timestamp = at; break; }
      case "coldStart": if (typeof value === "boolean") draft.coldStart = value; break;
      case "status": { const status = numberOf(value); if (status !== undefined) draft.status = status; break; }
      case "latencyMs": { const latency = numberOf(value); if (latency !== undefined) draft.latencyMs = latency; break; }
      case "error": { const error = errorOf(value); if (error) draft.error = error; break; }
      case "path": if (typeof value === "string") draft.path = redactText(value); break;
      default: {
        const text = stringOf(value);
        if (text !== undefined) (draft as Record<string, unknown>)[target] = text;
      }
    }
  }
  // Lambda's own JSON error records (uncaught exceptions, Runtime.* errors).
  const runtimeError = runtimeErrorOf(line) ?? (isObject(line.message) ? runtimeErrorOf(line.message) : undefined);
  if (runtimeError) {
    draft.kind = "crash";
    draft.error = runtimeError;
    if (!draft.message || draft.message.startsWith("{")) draft.message = `${runtimeError.type ?? "Error"}: ${runtimeError.message ?? ""}`;
  }
  draft.level = levelSeen ?? (runtimeError ? "ERROR" : "INFO");
  if (Object.keys(fields).length > 0) draft.fields = fields;
  return draft;
}

function errorOf(value: unknown): LogError | undefined {
  if (typeof value === "string") return { message: redactText(value) };
  if (!isObject(value)) return undefined;
  const error = defined({
    type: stringOf(value.name) ?? stringOf(value.type) ?? stringOf(value.errorType),
    message: textOf(value.message ?? value.errorMessage),
    stack: textOf(value.stack ?? value.stackTrace),
  });
  return Object.keys(error).length > 0 ? error : undefined;
}

function runtimeErrorOf(value: Record<string, unknown>): LogError | undefined {
  if (typeof value.errorType !== "string" && typeof value.errorMessage !== "string") return undefined;
  return defined({
    type: stringOf(value.errorType),
    message: textOf(value.errorMessage),
    stack: textOf(value.stackTrace ?? value.stack),
  });
}

// ---------------------------------------------------------------------------------------------
// Text lines

const reportFields: readonly [RegExp, keyof Draft][] = [
  [/\bDuration: ([\d.]+) ms/, "durationMs"],
  [/Billed Duration: ([\d.]+) ms/, "billedDurationMs"],
  [/Memory Size: ([\d.]+) MB/, "memorySizeMb"],
  [/Max Memory Used: ([\d.]+) MB/, "maxMemoryUsedMb"],
  [/Init Duration: ([\d.]+) ms/, "initDurationMs"],
];
const requestIdPattern = /^(START|END|REPORT) RequestId: ([\w-]+)/;
const timeoutPattern = /^(?:(\S+)\s+)?(?:([\w-]+)\s+)?Task timed out after ([\d.]+) seconds/;
const nodeLinePattern = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\t([\w-]+)\t([A-Z]+)\t([\s\S]*)$/;

function parseTextLine(line: string): Draft {
  const lambda = requestIdPattern.exec(line);
  if (lambda) {
    const [, word, requestId] = lambda as unknown as [string, string, string];
    if (word === "REPORT") {
      const draft: Draft = { kind: "platform.report", level: "INFO", message: line, requestId };
      for (const [pattern, field] of reportFields) {
        const match = pattern.exec(line);
        if (match) (draft as Record<string, unknown>)[field] = Number(match[1]);
      }
      if (draft.initDurationMs !== undefined) draft.coldStart = true;
      return draft;
    }
    return { kind: word === "START" ? "platform.start" : "platform.end", level: "INFO", message: line, requestId };
  }
  const timeout = timeoutPattern.exec(line);
  if (timeout) {
    const [, time, requestId, seconds] = timeout;
    const timestamp = normaliseTimestamp(time);
    return {
      ...(timestamp ? { timestamp } : {}),
      ...(requestId ? { requestId } : {}),
      kind: "timeout",
      level: "ERROR",
      message: line,
      timeoutSeconds: Number(seconds),
      error: { type: "Sandbox.Timedout", message: `Task timed out after ${seconds} seconds` },
    };
  }
  const node = nodeLinePattern.exec(line);
  if (node) {
    const [, time, requestId, level, rest] = node as unknown as [string, string, string, string, string];
    const timestamp = normaliseTimestamp(time);
    const base = { ...(timestamp ? { timestamp } : {}), ...(requestId !== "undefined" ? { requestId } : {}) };
    const lineLevel = normaliseLevel(level) ?? "INFO";
    const tab = rest.indexOf("\t{");
    const errorJson = tab >= 0 ? rest.slice(tab + 1) : rest.startsWith("{") ? rest : undefined;
    if (errorJson !== undefined) {
      const parsed = parseJsonLine(errorJson);
      if (parsed?.kind === "crash") return { ...parsed, ...base, level: lineLevel === "INFO" ? "ERROR" : lineLevel, message: redactText(`${rest.slice(0, Math.max(tab, 0)).trim() || "Uncaught Exception"}: ${parsed.error?.message ?? ""}`) };
      if (parsed && tab < 0) return { ...parsed, ...base, level: parsed.level === "INFO" ? lineLevel : parsed.level };
    }
    return { ...base, kind: "text", level: lineLevel, message: redactText(rest) };
  }
  const leadingLevel = /^\[?(DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL)\b/.exec(line);
  return { kind: "text", level: normaliseLevel(leadingLevel?.[1]) ?? "INFO", message: redactText(line) };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === "string") return value.length > 0 && value !== "-" ? value : undefined;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

/** A message or stack (a string, or lines) as redacted text. */
function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return redactText(value.map(String).join("\n"));
  if (value === undefined || value === null) return undefined;
  return redactText(JSON.stringify(redactValue(value)));
}

function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) result[key] = value;
  return result as { [K in keyof T]?: Exclude<T[K], undefined> };
}
