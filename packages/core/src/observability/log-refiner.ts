/**
 * The refiner's pure function: one subscription batch (`awslogs.data`) into clean, redacted log
 * documents and the counts a handler logs. Control messages (CloudWatch Logs' check that the
 * destination is reachable) are skipped and counted. Each event is checked on its own: one that is
 * not a log event ({id, timestamp, message}) or is an empty line is dropped with its reason, and
 * the rest of the batch goes on. A bad envelope throws LogEnvelopeError (log-envelope.ts).
 */
export * as LogRefiner from "./log-refiner.js";
import { decodeLogsEnvelope, LogEventSchema } from "./log-envelope.js";
import type { LogDocument } from "./log-document.js";
import { refineLogEvent } from "./refine-log-event.js";

export interface DroppedLogEvent {
  /** Position in the batch's logEvents. */
  readonly position: number;
  readonly eventId?: string;
  readonly reason: string;
}

export interface RefinedLogBatch {
  readonly logGroup: string;
  /** Log events in the batch (0 for a control message). */
  readonly received: number;
  readonly documents: readonly LogDocument[];
  readonly dropped: readonly DroppedLogEvent[];
  /** 1 when the batch was a control message. */
  readonly controlSkipped: number;
}

export function refineLogsEnvelope(data: string): RefinedLogBatch {
  const envelope = decodeLogsEnvelope(data);
  if (envelope.messageType === "CONTROL_MESSAGE") {
    return { logGroup: envelope.logGroup, received: 0, documents: [], dropped: [], controlSkipped: 1 };
  }
  const context = { logGroup: envelope.logGroup, logStream: envelope.logStream };
  const documents: LogDocument[] = [];
  const dropped: DroppedLogEvent[] = [];
  envelope.logEvents.forEach((raw, position) => {
    const event = LogEventSchema.safeParse(raw);
    if (!event.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      dropped.push({
        position,
        ...(typeof id === "string" ? { eventId: id } : {}),
        reason: `not a log event: ${event.error.issues.map((issue) => `${issue.path.join(".") || "event"} ${issue.message}`).join("; ")}`,
      });
      return;
    }
    const refined = refineLogEvent(event.data, context);
    if ("dropped" in refined) dropped.push({ position, eventId: event.data.id, reason: refined.dropped });
    else documents.push(refined);
  });
  return { logGroup: envelope.logGroup, received: envelope.logEvents.length, documents, dropped, controlSkipped: 0 };
}
