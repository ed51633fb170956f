import { describe, expect, it } from "vitest";
import { normaliseLevel, normaliseTimestamp } from "../../src/observability/log-document.js";
import { apiNameOfLogGroup, refineLogEvent } from "../../src/observability/refine-log-event.js";
import type { LogDocument } from "../../src/observability/log-document.js";

const functionGroup = { logGroup: "/aws/lambda/haul-dev-create-reservation", logStream: "2026/11/25/[$LATEST]abc" };
const apiGroup = { logGroup: "/aws/vendedlogs/apis/dev-haul-ReservationApi-a1b2c3d4e5/default", logStream: "abc" };
const eventTime = Date.parse("2026-11-25T10:00:00.000Z");

function refine(message: string, context = functionGroup): LogDocument {
  const refined = refineLogEvent({ id: "e-1", timestamp: eventTime, message }, context);
  if ("dropped" in refined) throw new Error(refined.dropped);
  return refined;
}

describe("refining Powertools Logger lines", () => {
  it("normalises the fields, keeps other keys in fields, and gets the function from the log group", () => {
    const line = {
      level: "INFO",
      message: "request done",
      timestamp: "2026-11-25T11:00:00.123+01:00",
      service: "reservation",
      cold_start: true,
      function_name: "haul-dev-create-reservation",
      function_memory_size: "1024",
      function_arn: "arn:aws:lambda:eu-central-1:123456789012:function:haul-dev-create-reservation",
      function_request_id: "c6af9ac6-7b61-11e6-9a41-93e812345678",
      xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
      correlation_id: "0f6f2b70-6a3c-4a5e-9d8e-1e2f3a4b5c6d",
      sampling_rate: 0,
      route: "POST /reservations",
      status: 202,
      latencyMs: 48.5,
      reservationId: "r-42",
    };
    expect(refine(JSON.stringify(line))).toEqual({
      eventId: "e-1",
      timestamp: "2026-11-25T10:00:00.123Z",
      logGroup: functionGroup.logGroup,
      logStream: functionGroup.logStream,
      source: "function",
      kind: "app",
      level: "INFO",
      message: "request done",
      service: "reservation",
      coldStart: true,
      functionName: "haul-dev-create-reservation",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
      xrayTraceId: "1-5759e988-bd862e3fe1be46a994272793",
      correlationId: "0f6f2b70-6a3c-4a5e-9d8e-1e2f3a4b5c6d",
      route: "POST /reservations",
      status: 202,
      latencyMs: 48.5,
      fields: { reservationId: "r-42" },
    });
  });

  it("takes the event's time when the line has none, and the function from the log group", () => {
    const document = refine('{"level":"warn","message":"slow"}');
    expect(document).toMatchObject({ timestamp: "2026-11-25T10:00:00.000Z", level: "WARN", functionName: "haul-dev-create-reservation" });
  });

  it("turns Powertools' error key into a structured error", () => {
    const document = refine(JSON.stringify({ level: "ERROR", message: "failed", error: { name: "TypeError", location: "/var/task/index.js:10", message: "x is undefined", stack: "TypeError: x is undefined\n    at handler (/var/task/index.js:10:5)" } }));
    expect(document).toMatchObject({ kind: "app", level: "ERROR", error: { type: "TypeError", message: "x is undefined", stack: expect.stringContaining("at handler") } });
  });
});

describe("refining Lambda's own records", () => {
  it("reads JSON platform.start and platform.report records", () => {
    const start = refine('{"time":"2026-11-25T10:00:01.000Z","type":"platform.start","record":{"requestId":"r-1","version":"$LATEST"}}');
    expect(start).toMatchObject({ kind: "platform.start", level: "INFO", requestId: "r-1", timestamp: "2026-11-25T10:00:01.000Z" });
    const report = refine(JSON.stringify({
      time: "2026-11-25T10:00:02.000Z",
      type: "platform.report",
      record: { requestId: "r-1", metrics: { durationMs: 12.5, billedDurationMs: 13, memorySizeMB: 1024, maxMemoryUsedMB: 90, initDurationMs: 250.75 }, status: "success" },
    }));
    expect(report).toMatchObject({ kind: "platform.report", level: "INFO", requestId: "r-1", durationMs: 12.5, billedDurationMs: 13, memorySizeMb: 1024, maxMemoryUsedMb: 90, initDurationMs: 250.75, coldStart: true, outcome: "success" });
    const timedOut = refine('{"time":"2026-11-25T10:00:05.000Z","type":"platform.report","record":{"requestId":"r-2","metrics":{"durationMs":3000,"billedDurationMs":3000,"memorySizeMB":128,"maxMemoryUsedMB":60},"status":"timeout"}}');
    expect(timedOut).toMatchObject({ level: "ERROR", outcome: "timeout", durationMs: 3000 });
    expect(timedOut.initDurationMs).toBeUndefined();
  });

  it("reads the text START, END and REPORT lines", () => {
    expect(refine("START RequestId: 8f5a-11 Version: $LATEST")).toMatchObject({ kind: "platform.start", requestId: "8f5a-11" });
    expect(refine("END RequestId: 8f5a-11")).toMatchObject({ kind: "platform.end", requestId: "8f5a-11" });
    const report = refine("REPORT RequestId: 8f5a-11\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 77 MB\tInit Duration: 180.50 ms\t");
    expect(report).toMatchObject({ kind: "platform.report", requestId: "8f5a-11", durationMs: 102.25, billedDurationMs: 103, memorySizeMb: 512, maxMemoryUsedMb: 77, initDurationMs: 180.5, coldStart: true });
    const warm = refine("REPORT RequestId: 8f5a-12\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 512 MB\tMax Memory Used: 78 MB\t");
    expect(warm.initDurationMs).toBeUndefined();
    expect(warm.coldStart).toBeUndefined();
  });

  it("reads a timeout", () => {
    const document = refine("2026-11-25T10:00:03.010Z 8f5a-13 Task timed out after 3.00 seconds");
    expect(document).toMatchObject({ kind: "timeout", level: "ERROR", requestId: "8f5a-13", timeoutSeconds: 3, timestamp: "2026-11-25T10:00:03.010Z", error: { type: "Sandbox.Timedout" } });
  });

  it("reads Node's text crash with its stack", () => {
    const error = { errorType: "Runtime.UnhandledPromiseRejection", errorMessage: "Error: boom", reason: "boom", promise: {}, stack: ["Runtime.UnhandledPromiseRejection: Error: boom", "    at process.<anonymous> (file:///var/runtime/index.mjs:1276:17)"] };
    const document = refine(`2026-11-25T10:00:04.000Z\t8f5a-14\tERROR\tUnhandled Promise Rejection \t${JSON.stringify(error)}`);
    expect(document).toMatchObject({
      kind: "crash",
      level: "ERROR",
      requestId: "8f5a-14",
      timestamp: "2026-11-25T10:00:04.000Z",
      message: "Unhandled Promise Rejection: Error: boom",
      error: { type: "Runtime.UnhandledPromiseRejection", message: "Error: boom", stack: expect.stringContaining("index.mjs:1276") },
    });
  });

  it("reads Node's JSON-format uncaught exception", () => {
    const line = { timestamp: "2026-11-25T10:00:04.000Z", level: "ERROR", requestId: "8f5a-15", message: "Uncaught Exception", errorType: "TypeError", errorMessage: "Cannot read properties of undefined", stackTrace: ["TypeError: Cannot read properties of undefined", "    at handler (/var/task/index.mjs:3:9)"] };
    expect(refine(JSON.stringify(line))).toMatchObject({ kind: "crash", level: "ERROR", requestId: "8f5a-15", message: "Uncaught Exception", error: { type: "TypeError", stack: expect.stringContaining("index.mjs:3:9") } });
  });

  it("reads Node's plain text console lines and leaves other text as text", () => {
    expect(refine("2026-11-25T10:00:06.000Z\t8f5a-16\tWARN\tcache miss")).toMatchObject({ kind: "text", level: "WARN", requestId: "8f5a-16", message: "cache miss" });
    expect(refine("INIT_START Runtime Version: nodejs:20.v30")).toMatchObject({ kind: "text", level: "INFO", message: "INIT_START Runtime Version: nodejs:20.v30" });
    expect(refine("{not json at all")).toMatchObject({ kind: "text", message: "{not json at all" });
  });
});

describe("refining access log lines", () => {
  const accessLine = {
    requestTime: "25/Nov/2026:10:00:07 +0000",
    requestId: "Jx1a2b3cFiAEMkA=",
    httpMethod: "POST",
    path: "/reservations",
    routeKey: "POST /reservations",
    status: 401,
    responseLatency: 3,
    integrationRequestId: "-",
    integrationStatus: "-",
    integrationLatency: "-",
    integrationServiceStatus: "-",
    ip: "203.0.113.7",
    userAgent: "curl/8.5.0",
  };

  it("becomes a request record without the client's ip and user agent", () => {
    const document = refine(JSON.stringify(accessLine), apiGroup);
    expect(document).toEqual({
      eventId: "e-1",
      timestamp: "2026-11-25T10:00:07.000Z",
      logGroup: apiGroup.logGroup,
      logStream: apiGroup.logStream,
      source: "api",
      apiName: "ReservationApi",
      kind: "access",
      level: "WARN",
      message: "POST /reservations 401 3 ms",
      requestId: "Jx1a2b3cFiAEMkA=",
      // No correlation id in the line: API Gateway's request id is the handler's default one.
      correlationId: "Jx1a2b3cFiAEMkA=",
      route: "POST /reservations",
      method: "POST",
      path: "/reservations",
      status: 401,
      latencyMs: 3,
    });
    expect(JSON.stringify(document)).not.toContain("203.0.113.7");
  });

  it("reads statuses and latencies given as strings, a correlation id, and 5xx as ERROR", () => {
    const document = refine(JSON.stringify({ ...accessLine, status: "502", responseLatency: "1234", correlationId: "c-9" }), apiGroup);
    expect(document).toMatchObject({ status: 502, latencyMs: 1234, level: "ERROR", correlationId: "c-9" });
  });
});

describe("normalising", () => {
  it("levels from names and Powertools numbers", () => {
    expect(["debug", "trace", "Info", "warning", "WARN", "error", "fatal", "critical"].map(normaliseLevel)).toEqual(["DEBUG", "DEBUG", "INFO", "WARN", "WARN", "ERROR", "CRITICAL", "CRITICAL"]);
    expect([6, 8, 12, 16, 20, 24, "20"].map(normaliseLevel)).toEqual(["DEBUG", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "ERROR"]);
    expect(normaliseLevel("loud")).toBeUndefined();
  });

  it("timestamps to ISO UTC with milliseconds", () => {
    expect(normaliseTimestamp("2026-11-25T11:00:00+01:00")).toBe("2026-11-25T10:00:00.000Z");
    expect(normaliseTimestamp("25/Nov/2026:10:00:07 +0200")).toBe("2026-11-25T08:00:07.000Z");
    expect(normaliseTimestamp(1_795_600_000_000)).toBe("2026-11-25T09:46:40.000Z");
    expect(normaliseTimestamp(1_795_600_000)).toBe("2026-11-25T09:46:40.000Z");
    expect(normaliseTimestamp("yesterday")).toBeUndefined();
    expect(normaliseTimestamp("2026-13-45T99:00:00Z")).toBeUndefined();
  });
});

describe("apiNameOfLogGroup", () => {
  it("names the API of SST's access log group, whatever the stage", () => {
    expect(apiNameOfLogGroup("/aws/vendedlogs/apis/prod-eu-haul-TrackingApi-0a1b2c3d4e/default")).toBe("TrackingApi");
    expect(apiNameOfLogGroup("/aws/vendedlogs/apis/local-haul-ObservabilityApi-zz99yy88xx/default")).toBe("ObservabilityApi");
  });

  it("falls back to the last segment of any other group", () => {
    expect(apiNameOfLogGroup("/custom/access/ReservationApi")).toBe("ReservationApi");
  });
});
