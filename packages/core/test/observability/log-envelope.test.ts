import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeLogsEnvelope, decodeLogsSubscriptionEvent, LogEnvelopeError } from "../../src/observability/log-envelope.js";
import { refineLogsEnvelope } from "../../src/observability/log-refiner.js";
import { controlEnvelope, encode, envelope, envelopeJson, logEvent } from "./envelopes.js";

describe("decoding awslogs.data", () => {
  it("decodes a data message of the real shape", () => {
    const events = [logEvent('{"level":"INFO","message":"hello"}'), logEvent("END RequestId: 1")];
    const decoded = decodeLogsSubscriptionEvent({ awslogs: { data: envelope(events) } });
    expect(decoded).toEqual(envelopeJson(events));
  });

  it("refuses data that is not base64, not gzip, not JSON, or not an envelope, naming which", () => {
    expect(() => decodeLogsEnvelope("not base64!!")).toThrow(/not base64/);
    expect(() => decodeLogsEnvelope(Buffer.from("plain text, no gzip").toString("base64"))).toThrow(/not gzip/);
    expect(() => decodeLogsEnvelope(gzipSync(Buffer.from("{not json")).toString("base64"))).toThrow(/not JSON/);
    expect(() => decodeLogsEnvelope(encode({ ...envelopeJson([]), messageType: "OTHER" }))).toThrow(/messageType/);
    expect(() => decodeLogsEnvelope(encode({ logEvents: [] }))).toThrow(LogEnvelopeError);
    expect(() => decodeLogsSubscriptionEvent({ Records: [] })).toThrow(/no awslogs.data/);
  });

  it("skips a control message and counts it", () => {
    expect(refineLogsEnvelope(controlEnvelope())).toEqual({ logGroup: "testLogGroup", received: 0, documents: [], dropped: [], controlSkipped: 1 });
  });

  it("drops an event that is not a log event or is an empty line, with its reason, and refines the rest", () => {
    const good = logEvent('{"level":"INFO","message":"kept"}');
    const empty = logEvent("   ");
    const batch = refineLogsEnvelope(envelope([good, { id: "x-1", timestamp: "yesterday", message: "a" }, 42, empty]));
    expect(batch.received).toBe(4);
    expect(batch.documents.map((document) => document.eventId)).toEqual([good.id]);
    expect(batch.dropped).toEqual([
      { position: 1, eventId: "x-1", reason: expect.stringMatching(/^not a log event: timestamp/) },
      { position: 2, reason: expect.stringMatching(/^not a log event/) },
      { position: 3, eventId: empty.id, reason: "empty log line" },
    ]);
  });
});
