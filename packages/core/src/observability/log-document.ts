/**
 * The refined log document, as stored in the `api-logs` index family (search/index-families/api-logs.json
 * maps exactly these fields), and the normalisation of levels and timestamps every line goes through.
 */

export const logLevels = ["DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"] as const;
export type LogLevel = (typeof logLevels)[number];

/** What a line was: an application line, one of Lambda's own records, or an API access record. */
export type LogKind = "app" | "text" | "platform.start" | "platform.end" | "platform.report" | "timeout" | "crash" | "access";

export interface LogError {
  readonly type?: string;
  readonly message?: string;
  readonly stack?: string;
}

export interface LogDocument {
  /** The CloudWatch Logs event id, also the document id. */
  readonly eventId: string;
  /** ISO UTC, milliseconds. */
  readonly timestamp: string;
  readonly logGroup: string;
  readonly logStream: string;
  /** A function's log group, or an API's access log group. */
  readonly source: "function" | "api";
  readonly kind: LogKind;
  readonly level: LogLevel;
  readonly message: string;
  readonly service?: string;
  readonly functionName?: string;
  readonly apiName?: string;
  readonly requestId?: string;
  readonly correlationId?: string;
  readonly xrayTraceId?: string;
  readonly coldStart?: boolean;
  // Requests: an HTTP handler's summary line, or an access record.
  readonly route?: string;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly latencyMs?: number;
  // Lambda's REPORT.
  readonly durationMs?: number;
  readonly billedDurationMs?: number;
  readonly memorySizeMb?: number;
  readonly maxMemoryUsedMb?: number;
  readonly initDurationMs?: number;
  /** platform.report's status: success, error, timeout... */
  readonly outcome?: string;
  readonly timeoutSeconds?: number;
  readonly error?: LogError;
  /** Every other key of a JSON line, redacted (a flat_object in the mapping: no mapping growth). */
  readonly fields?: Record<string, unknown>;
}

const levelNames: Readonly<Record<string, LogLevel>> = {
  TRACE: "DEBUG",
  DEBUG: "DEBUG",
  INFO: "INFO",
  NOTICE: "INFO",
  WARN: "WARN",
  WARNING: "WARN",
  ERROR: "ERROR",
  ERR: "ERROR",
  CRITICAL: "CRITICAL",
  FATAL: "CRITICAL",
  CRIT: "CRITICAL",
};

/**
 * A level from a name in any case (`warning` -> WARN, `fatal` -> CRITICAL, `trace` -> DEBUG) or a
 * Powertools Logger number (TRACE 6, DEBUG 8, INFO 12, WARN 16, ERROR 20, CRITICAL 24: each number
 * up to the next level's belongs to the lower). Undefined when it is neither.
 */
export function normaliseLevel(value: unknown): LogLevel | undefined {
  if (typeof value === "number" && Number.isFinite(value)) {
    if (value < 12) return "DEBUG";
    if (value < 16) return "INFO";
    if (value < 20) return "WARN";
    if (value < 24) return "ERROR";
    return "CRITICAL";
  }
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return normaliseLevel(Number(trimmed));
  return levelNames[trimmed.toUpperCase()];
}

const clfMonths: Readonly<Record<string, string>> = {
  Jan: "01", Feb: "02", Mar: "03", Apr: "04", May: "05", Jun: "06",
  Jul: "07", Aug: "08", Sep: "09", Oct: "10", Nov: "11", Dec: "12",
};
// API Gateway's $context.requestTime: 12/Mar/2020:19:03:58 +0000
const clfPattern = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{2})(\d{2})$/;

/**
 * ISO UTC with milliseconds from an ISO string (any offset), API Gateway's request time, or epoch
 * milliseconds (seconds when below 10^11, i.e. before 1973 as milliseconds). Undefined otherwise.
 */
export function normaliseTimestamp(value: unknown): string | undefined {
  let millis: number;
  if (typeof value === "number") {
    millis = value < 1e11 ? value * 1000 : value;
  } else if (typeof value === "string") {
    const clf = clfPattern.exec(value);
    if (clf) {
      const [, day, month, year, hours, minutes, seconds, offsetHours, offsetMinutes] = clf;
      const monthNumber = clfMonths[month as string];
      if (!monthNumber) return undefined;
      millis = Date.parse(`${year}-${monthNumber}-${day}T${hours}:${minutes}:${seconds}${offsetHours}:${offsetMinutes}`);
    } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
      millis = Date.parse(value);
    } else if (/^\d{10,13}$/.test(value)) {
      return normaliseTimestamp(Number(value));
    } else {
      return undefined;
    }
  } else {
    return undefined;
  }
  if (!Number.isFinite(millis)) return undefined;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
