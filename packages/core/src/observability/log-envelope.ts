/**
 * Decodes what a CloudWatch Logs subscription filter sends a Lambda: `{"awslogs":{"data": …}}`,
 * the data being base64 of gzip of JSON (owner, logGroup, logStream, subscriptionFilters,
 * messageType, logEvents). The shape is validated with zod and a bad envelope throws
 * LogEnvelopeError, as Powertools' parser does: there is nothing in it to refine, and failing the
 * invocation sends it to the refiner's on-failure destination instead of losing it silently.
 *
 * The log events themselves are left unchecked here (`unknown[]`): one bad event must be dropped
 * alone, not take the batch with it (log-refiner.ts checks each).
 */
export * as LogEnvelope from "./log-envelope.js";
import { gunzipSync } from "node:zlib";
import { z } from "zod";

export class LogEnvelopeError extends Error {
  override name = "LogEnvelopeError";
}

export const LogEventSchema = z.object({
  id: z.string().min(1),
  timestamp: z.number().int().nonnegative(),
  message: z.string(),
});

export type LogEvent = z.output<typeof LogEventSchema>;

const LogsEnvelopeSchema = z.object({
  owner: z.string(),
  logGroup: z.string().min(1),
  logStream: z.string(),
  subscriptionFilters: z.array(z.string()),
  messageType: z.enum(["DATA_MESSAGE", "CONTROL_MESSAGE"]),
  logEvents: z.array(z.unknown()),
});

export type LogsEnvelope = z.output<typeof LogsEnvelopeSchema>;

/** The Lambda event of a subscription filter. */
export const LogsSubscriptionEventSchema = z.object({ awslogs: z.object({ data: z.string().min(1) }) });

export type LogsSubscriptionEvent = z.output<typeof LogsSubscriptionEventSchema>;

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/** The envelope inside `awslogs.data`; throws LogEnvelopeError naming what is wrong. */
export function decodeLogsEnvelope(data: string): LogsEnvelope {
  // Buffer.from skips what is not base64 instead of failing: check first.
  const compact = data.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !base64Pattern.test(compact)) {
    throw new LogEnvelopeError("awslogs.data is not base64");
  }
  let json: string;
  try {
    json = gunzipSync(Buffer.from(compact, "base64")).toString("utf8");
  } catch (error) {
    throw new LogEnvelopeError(`awslogs.data is not gzip: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new LogEnvelopeError(`awslogs.data is not JSON: ${(error as Error).message}`);
  }
  const envelope = LogsEnvelopeSchema.safeParse(parsed);
  if (!envelope.success) {
    const problems = envelope.error.issues.map((issue) => `${issue.path.join(".") || "envelope"}: ${issue.message}`);
    throw new LogEnvelopeError(`awslogs.data is not a CloudWatch Logs envelope (${problems.join("; ")})`);
  }
  return envelope.data;
}

/** The envelope of a subscription filter's Lambda event. */
export function decodeLogsSubscriptionEvent(event: unknown): LogsEnvelope {
  const parsed = LogsSubscriptionEventSchema.safeParse(event);
  if (!parsed.success) throw new LogEnvelopeError("the event has no awslogs.data");
  return decodeLogsEnvelope(parsed.data.awslogs.data);
}
