/**
 * The local cloud's capture of each invoked function's output (log-capture.ts): per function by
 * async context, through process.stdout/stderr and the global console (vitest's here, as
 * POWERTOOLS_DEV=true), with Lambda's own records around each invocation, and only lines at or
 * above the terminal level echoed. The writers are spied on before the capture is installed, so
 * the spy is the "original" the capture echoes to, and nothing reaches the test's output.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { refineLogsEnvelope } from "@haul/core/observability/log-refiner";
import type { LogDocument } from "@haul/core/observability/log-document";
import { logRefinement } from "@haul/functions/declarations";
import { currentServiceName } from "@haul/functions/shared/invocation-service";
import { createLambdaContext } from "../src/gateway/lambda-context.js";
import { withTimeout } from "../src/gateway/lambda-invocation.js";
import { installLogCapture, runWithFunctionLogs, terminalLevelFromEnv, type FunctionLogEvent, type TerminalLevel } from "../src/logs/log-capture.js";
import { createLocalLogGroups } from "../src/logs/log-groups.js";

let functionCount = 0;
/** A context of a function of its own, so each test reads only its own log group. */
function lambdaContext(label: string, memorySizeMb = 512): Context {
  functionCount += 1;
  return createLambdaContext({ functionName: `test-haul-${label}-${functionCount}`, region: "us-east-1", accountId: "123456789012", memorySizeMb, timeoutMs: 3000 });
}

interface Writers {
  stdout: MockInstance;
  stderr: MockInstance;
  log: MockInstance;
  info: MockInstance;
  warn: MockInstance;
  error: MockInstance;
}

/** A stream write that goes nowhere but, like the stream, calls its callback. */
function writeNowhere(_chunk: unknown, ...rest: unknown[]): boolean {
  const callback = rest.find((argument) => typeof argument === "function") as (() => void) | undefined;
  callback?.();
  return true;
}

function spyOnWriters(): Writers {
  return {
    stdout: vi.spyOn(process.stdout, "write").mockImplementation(writeNowhere),
    stderr: vi.spyOn(process.stderr, "write").mockImplementation(writeNowhere),
    log: vi.spyOn(console, "log").mockImplementation(() => undefined),
    info: vi.spyOn(console, "info").mockImplementation(() => undefined),
    warn: vi.spyOn(console, "warn").mockImplementation(() => undefined),
    error: vi.spyOn(console, "error").mockImplementation(() => undefined),
  };
}

let captured: FunctionLogEvent[];
let writers: Writers;
let uninstall: () => void;

function install(terminalLevel?: TerminalLevel): void {
  captured = [];
  writers = spyOnWriters();
  uninstall = installLogCapture({ sink: (event) => captured.push(event), ...(terminalLevel ? { terminalLevel } : {}) });
}

/** The lines a function wrote, without Lambda's platform records. */
function appLines(context: Context): string[] {
  return captured.filter((event) => event.logGroup === context.logGroupName && !event.message.startsWith('{"time"')).map((event) => event.message);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

describe("which log group a line goes to", () => {
  beforeEach(() => install());
  afterEach(() => {
    uninstall();
    vi.restoreAllMocks();
  });

  it("sends each invocation's lines to its own function's group, even when two interleave their awaits", async () => {
    const orders = lambdaContext("orders");
    const drivers = lambdaContext("drivers");
    const ordersWrote = deferred();
    const driversWrote = deferred();
    const ordersFinished = deferred();

    await Promise.all([
      runWithFunctionLogs(orders, "reservation", async () => {
        console.log("orders 1");
        ordersWrote.resolve();
        await driversWrote.promise;
        process.stdout.write("orders 2\n");
        ordersFinished.resolve();
      }),
      runWithFunctionLogs(drivers, "tracking", async () => {
        await ordersWrote.promise;
        process.stdout.write("drivers 1\n");
        driversWrote.resolve();
        await ordersFinished.promise;
        console.log("drivers 2");
      }),
    ]);

    expect(appLines(orders)).toEqual(["orders 1", "orders 2"]);
    expect(appLines(drivers)).toEqual(["drivers 1", "drivers 2"]);
    for (const event of captured) {
      const context = event.logGroup === orders.logGroupName ? orders : drivers;
      expect(event.logStream).toBe(context.logStreamName);
    }
  });

  it("lets writes outside any invocation through untouched", () => {
    process.stdout.write("outside on stdout\n");
    process.stderr.write("outside on stderr\n");
    console.log("outside", 1);

    expect(captured).toEqual([]);
    expect(writers.stdout).toHaveBeenCalledWith("outside on stdout\n");
    expect(writers.stderr).toHaveBeenCalledWith("outside on stderr\n");
    expect(writers.log).toHaveBeenCalledWith("outside", 1);
  });

  it("makes one event per console call, newlines and all, and one per line of a stream write", async () => {
    const context = lambdaContext("events");
    await runWithFunctionLogs(context, "reservation", async () => {
      console.log("first line\nsecond line of the same call");
      console.info("%s reservations", 3);
      process.stdout.write("line a\nline b\n\nline c");
      process.stderr.write(Buffer.from("from a buffer\n"));
    });

    expect(appLines(context)).toEqual(["first line\nsecond line of the same call", "3 reservations", "line a", "line b", "line c", "from a buffer"]);
  });

  it("wraps the invocation in Lambda's platform.start and platform.report records", async () => {
    const context = lambdaContext("platform", 256);
    const result = await runWithFunctionLogs(context, "reservation", async () => {
      console.log("working");
      return 42;
    });

    expect(result).toBe(42);
    const records = captured.filter((event) => event.logGroup === context.logGroupName).map((event) => event.message);
    expect(records).toHaveLength(3);
    expect(JSON.parse(records[0]!)).toMatchObject({ type: "platform.start", record: { requestId: context.awsRequestId, version: "$LATEST" } });
    expect(records[1]).toBe("working");
    expect(JSON.parse(records[2]!)).toMatchObject({ type: "platform.report", record: { requestId: context.awsRequestId, status: "success", metrics: { memorySizeMB: 256 } } });
  });

  it("runs the invocation as its service, and only the invocation", async () => {
    let inside: string | undefined;
    let afterAwait: string | undefined;
    await runWithFunctionLogs(lambdaContext("service"), "notification", async () => {
      inside = currentServiceName();
      await new Promise((resolve) => setTimeout(resolve, 1));
      afterAwait = currentServiceName();
    });

    expect(inside).toBe("notification");
    expect(afterAwait).toBe("notification");
    expect(currentServiceName()).toBeUndefined();
  });
});

describe("the terminal's copy", () => {
  afterEach(() => {
    uninstall();
    vi.restoreAllMocks();
  });

  it("echoes WARN and above by default: a JSON line's level decides, else the stream's or console method's", async () => {
    install();
    const context = lambdaContext("echo");
    const infoJson = JSON.stringify({ level: "INFO", message: "reservation created" });
    const errorJson = JSON.stringify({ level: "ERROR", message: "payment refused" });
    const warningJson = JSON.stringify({ level: "warning", message: "slow query" });
    await runWithFunctionLogs(context, "reservation", async () => {
      process.stdout.write(infoJson + "\n");
      process.stdout.write(errorJson + "\n");
      process.stdout.write("plain stdout line\n");
      // stderr is WARN, but the JSON line says INFO.
      process.stderr.write(infoJson + "\n");
      process.stderr.write("plain stderr line\n");
      console.log("console log");
      console.warn("console warn");
      console.error(warningJson);
      console.info(errorJson);
    });

    expect(appLines(context)).toEqual([infoJson, errorJson, "plain stdout line", infoJson, "plain stderr line", "console log", "console warn", warningJson, errorJson]);
    expect(writers.stdout.mock.calls.map(([chunk]) => chunk)).toEqual([errorJson + "\n"]);
    expect(writers.stderr.mock.calls.map(([chunk]) => chunk)).toEqual(["plain stderr line\n"]);
    expect(writers.log).not.toHaveBeenCalled();
    expect(writers.warn).toHaveBeenCalledWith("console warn");
    expect(writers.error).toHaveBeenCalledWith(warningJson);
    expect(writers.info).toHaveBeenCalledWith(errorJson);
  });

  it("still calls a write's callback when the line is not echoed", async () => {
    install();
    const called = await runWithFunctionLogs(lambdaContext("callback"), "reservation", () => new Promise<boolean>((resolve) => process.stdout.write("quiet\n", () => resolve(true))));

    expect(called).toBe(true);
    expect(writers.stdout).not.toHaveBeenCalled();
  });

  it("follows the level it is given: ERROR hides WARN, INFO shows INFO, OFF shows nothing", async () => {
    const cases: Array<[TerminalLevel, string[]]> = [
      ["ERROR", ["error"]],
      ["INFO", ["info", "warn", "error"]],
      ["OFF", []],
    ];
    for (const [level, echoed] of cases) {
      install(level);
      await runWithFunctionLogs(lambdaContext(`level-${level}`), "reservation", async () => {
        console.debug("debug");
        console.info("info");
        console.warn("warn");
        console.error("error");
      });
      const shown = [writers.info, writers.warn, writers.error].flatMap((spy) => spy.mock.calls.map(([line]) => line as string));
      expect(shown, level).toEqual(echoed);
      expect(captured.filter((event) => !event.message.startsWith('{"time"')).map((event) => event.message), level).toEqual(["debug", "info", "warn", "error"]);
      uninstall();
      vi.restoreAllMocks();
    }
    install();
  });

  it("reads HAUL_TERMINAL_LOG_LEVEL in any case, WARN when unset, and refuses a level it does not know", () => {
    expect(terminalLevelFromEnv(undefined)).toBe("WARN");
    expect(terminalLevelFromEnv("")).toBe("WARN");
    expect(terminalLevelFromEnv("error")).toBe("ERROR");
    expect(() => terminalLevelFromEnv("verbose")).toThrow(/HAUL_TERMINAL_LOG_LEVEL/);
  });

  it("replaces an earlier capture, whose late uninstall leaves the new one in place", async () => {
    install();
    const replaced = uninstall;
    const events: FunctionLogEvent[] = [];
    uninstall = installLogCapture({ sink: (event) => events.push(event) });
    replaced();
    const context = lambdaContext("replaced");
    await runWithFunctionLogs(context, "reservation", async () => {
      console.log("to the new capture");
      process.stdout.write("also to the new capture\n");
    });

    expect(captured).toEqual([]);
    expect(events.filter((event) => !event.message.startsWith('{"time"')).map((event) => event.message)).toEqual(["to the new capture", "also to the new capture"]);
  });

  it("puts stdout, stderr and console back when uninstalled, and captures nothing more", async () => {
    const before = { stdout: process.stdout.write, stderr: process.stderr.write, log: console.log, warn: console.warn, error: console.error, debug: console.debug };
    install();
    expect(process.stdout.write).not.toBe(writers.stdout);
    uninstall();

    // The spies are what the capture found, so they are what it must leave.
    expect(process.stdout.write).toBe(writers.stdout);
    expect(process.stderr.write).toBe(writers.stderr);
    expect(console.log).toBe(writers.log);
    expect(console.warn).toBe(writers.warn);
    expect(console.error).toBe(writers.error);
    await runWithFunctionLogs(lambdaContext("uninstalled"), "reservation", async () => {
      console.log("after uninstall");
      process.stdout.write("after uninstall\n");
    });
    expect(captured).toEqual([]);
    expect(writers.log).toHaveBeenCalledWith("after uninstall");

    vi.restoreAllMocks();
    expect(process.stdout.write).toBe(before.stdout);
    expect(process.stderr.write).toBe(before.stderr);
    expect(console.log).toBe(before.log);
    expect(console.debug).toBe(before.debug);
    install();
  });
});

describe("what the refiner makes of the captured records", () => {
  let directory: string;
  let documents: LogDocument[];
  // Events the refiner dropped and batches the log groups gave up on: none expected.
  let dropped: string[];
  let groups: ReturnType<typeof createLocalLogGroups>;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "haul-log-capture-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  beforeEach(() => {
    documents = [];
    dropped = [];
    // The stacks' filters between the capture and the refiner, as in AWS.
    groups = createLocalLogGroups({
      directory: path.join(directory, "groups"),
      failedBatchDirectory: path.join(directory, "failed"),
      accountId: "123456789012",
      subscriptionsOf: () => logRefinement.functionLogPatterns.map((pattern, index) => ({ name: `Refinement${index + 1}`, pattern })),
      deliver: async (event) => {
        const batch = refineLogsEnvelope(event.awslogs.data);
        dropped.push(...batch.dropped.map((event) => event.reason));
        documents.push(...batch.documents);
      },
      retryDelaysMs: [],
      warn: (line) => dropped.push(line),
    });
    writers = spyOnWriters();
    uninstall = installLogCapture({ sink: groups.put });
  });
  afterEach(async () => {
    uninstall();
    vi.restoreAllMocks();
    await groups.stop();
    expect(dropped).toEqual([]);
  });

  it("reads the report's duration, billed duration and memory size, and the application's JSON lines", async () => {
    const context = lambdaContext("refined-report", 768);
    await runWithFunctionLogs(context, "reservation", async () => {
      console.log(JSON.stringify({ level: "INFO", message: "reservation created", service: "reservation" }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await groups.flush();

    expect(documents.map((document) => document.kind)).toEqual(["app", "platform.report"]);
    expect(documents[0]).toMatchObject({ level: "INFO", message: "reservation created", logGroup: context.logGroupName, logStream: context.logStreamName });
    const report = documents[1]!;
    expect(report).toMatchObject({ requestId: context.awsRequestId, memorySizeMb: 768, outcome: "success", level: "INFO", functionName: context.functionName });
    expect(report.durationMs).toBeGreaterThanOrEqual(4);
    expect(report.billedDurationMs).toBe(Math.ceil(report.durationMs!));
    expect(report.maxMemoryUsedMb).toBeGreaterThan(0);
  });

  it("turns a timed-out invocation's line into a timeout record and its report into an ERROR", async () => {
    const context = lambdaContext("refined-timeout");
    const invocation = runWithFunctionLogs(context, "reservation", () => withTimeout(new Promise<never>(() => undefined), 20));
    await expect(invocation).rejects.toThrow("Task timed out after 0.02 seconds");
    await groups.flush();

    expect(documents.map((document) => document.kind)).toEqual(["timeout", "platform.report"]);
    expect(documents[0]).toMatchObject({ level: "ERROR", requestId: context.awsRequestId, timeoutSeconds: 0.02, error: { type: "Sandbox.Timedout" } });
    expect(documents[1]).toMatchObject({ level: "ERROR", outcome: "timeout" });
  });

  it("turns a thrown error into an ERROR crash record with its type, message and stack", async () => {
    const context = lambdaContext("refined-crash");
    class PaymentRefused extends Error {
      override name = "PaymentRefused";
    }
    const invocation = runWithFunctionLogs(context, "reservation", async () => {
      throw new PaymentRefused("card declined");
    });
    await expect(invocation).rejects.toThrow(PaymentRefused);
    await groups.flush();

    expect(documents.map((document) => document.kind)).toEqual(["crash", "platform.report"]);
    expect(documents[0]).toMatchObject({ level: "ERROR", requestId: context.awsRequestId, error: { type: "PaymentRefused", message: "card declined" } });
    expect(documents[0]!.error?.stack).toContain("log-capture.test.ts");
    expect(documents[1]).toMatchObject({ level: "ERROR", outcome: "error" });
  });
});
