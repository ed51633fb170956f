/** Subscription envelopes of the real shape: JSON, gzip, base64, as CloudWatch Logs sends them. */
import { gzipSync } from "node:zlib";

export interface TestLogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: string;
}

let nextId = 0;

/** A log event; ids are 56 digits like CloudWatch's, distinct per call. */
export function logEvent(message: string, timestamp = Date.parse("2026-11-25T10:00:00.000Z")): TestLogEvent {
  nextId++;
  return { id: `3${String(nextId).padStart(55, "0")}`, timestamp, message };
}

export function envelopeJson(logEvents: readonly unknown[], options: { logGroup?: string; messageType?: string } = {}) {
  return {
    owner: "123456789012",
    logGroup: options.logGroup ?? "/aws/lambda/haul-dev-create-reservation",
    logStream: "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef",
    subscriptionFilters: ["haul-dev-api-logs"],
    messageType: options.messageType ?? "DATA_MESSAGE",
    logEvents,
  };
}

export const encode = (value: unknown): string => gzipSync(Buffer.from(typeof value === "string" ? value : JSON.stringify(value))).toString("base64");

export function envelope(logEvents: readonly unknown[], options: { logGroup?: string; messageType?: string } = {}): string {
  return encode(envelopeJson(logEvents, options));
}

export const controlEnvelope = () =>
  envelope([{ id: "", timestamp: Date.now(), message: "CWL CONTROL MESSAGE: Checking health of destination Lambda." }], { logGroup: "testLogGroup", messageType: "CONTROL_MESSAGE" });
