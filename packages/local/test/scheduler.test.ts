/**
 * The local scheduler (EventBridge schedule rules -> Lambda): rate expressions, the Scheduled Event
 * the handler gets, ticks on a short period, no overlapping runs, and failures that do not stop it.
 * Fixture handlers record what they receive (fixtures/scheduled-handlers.ts).
 */
import { latestPositionsPush, type ScheduledFunctionDeclaration } from "@haul/functions/declarations";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../src/config.js";
import { ratePeriodMs } from "../src/scheduler/schedule-expression.js";
import { startScheduler, type RunningScheduler, type ScheduledRun, type SchedulerOptions } from "../src/scheduler/scheduler.js";
import { closeGate, fixtureState, openGate } from "./fixtures/scheduled-handlers.js";

const fixture = (handler: string, name = "FixtureJob"): ScheduledFunctionDeclaration => ({
  name,
  service: "test",
  handler: `packages/local/test/fixtures/scheduled-handlers.${handler}`,
  summary: "a fixture",
  schedule: "rate(1 minute)",
  timeoutSeconds: 5,
});

let scheduler: RunningScheduler | undefined;
let runs: ScheduledRun[];
let logged: string[];
let errors: string[];

function start(functions: ScheduledFunctionDeclaration[], options: Partial<SchedulerOptions> = {}): RunningScheduler {
  scheduler = startScheduler({
    functions,
    root: repoRoot,
    region: "us-east-1",
    accountId: "000000000000",
    resourcePrefix: "local-haul",
    log: (line) => logged.push(line),
    errorLog: (line) => errors.push(line),
    ...options,
  });
  scheduler.onRun((run) => runs.push(run));
  return scheduler;
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeEach(() => {
  runs = [];
  logged = [];
  errors = [];
  const state = fixtureState();
  Object.assign(state, { events: [], functionNames: [], running: 0, maxRunning: 0 });
});

afterEach(async () => {
  openGate();
  await scheduler?.stop();
  scheduler = undefined;
});

describe("rate expressions", () => {
  it("give the period EventBridge would keep", () => {
    expect(ratePeriodMs(latestPositionsPush.schedule)).toBe(60_000);
    expect(ratePeriodMs("rate(5 minutes)")).toBe(300_000);
    expect(ratePeriodMs("rate(1 hour)")).toBe(3_600_000);
    expect(ratePeriodMs("rate(2 days)")).toBe(172_800_000);
  });

  it("refuse what EventBridge refuses, and cron (no calendar here)", () => {
    expect(() => ratePeriodMs("rate(1 minutes)")).toThrow(/1 minute/);
    expect(() => ratePeriodMs("rate(5 minute)")).toThrow(/5 minutes/);
    expect(() => ratePeriodMs("rate(0 minutes)")).toThrow(/positive/);
    expect(() => ratePeriodMs("cron(0 12 * * ? *)")).toThrow(/give the local scheduler a period/);
  });

  it("set each function's period unless one is given", async () => {
    expect(start([latestPositionsPush]).periodsMs).toEqual({ PushLatestPositions: 60_000 });
    const overridden = startScheduler({ functions: [latestPositionsPush, fixture("record")], root: repoRoot, region: "us-east-1", accountId: "0", resourcePrefix: "p", periodSeconds: 5 });
    await overridden.stop();
    expect(overridden.periodsMs).toEqual({ PushLatestPositions: 5_000, FixtureJob: 5_000 });
    expect(() => startScheduler({ functions: [latestPositionsPush], root: repoRoot, region: "us-east-1", accountId: "0", resourcePrefix: "p", periodSeconds: 0 })).toThrow(/positive/);
  });
});

describe("runNow", () => {
  it("invokes the handler with EventBridge's Scheduled Event and a Lambda context", async () => {
    const before = new Date();
    const run = await start([fixture("record")]).runNow("FixtureJob");
    expect(run.status).toBe("succeeded");
    const [event] = fixtureState().events;
    expect(run.result).toEqual({ received: event!.id });
    expect(Object.keys(event!).sort()).toEqual(["account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"]);
    expect(event).toMatchObject({
      version: "0",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "000000000000",
      region: "us-east-1",
      resources: ["arn:aws:events:us-east-1:000000000000:rule/local-haul-FixtureJobRule"],
      detail: {},
    });
    expect(event!.id).toMatch(/^[0-9a-f-]{36}$/);
    // UTC to the second, as EventBridge writes it.
    expect(event!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(event!.time)).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
    expect(fixtureState().functionNames).toEqual(["local-haul-FixtureJob"]);
    expect(runs).toEqual([run]);
  });

  it("names the scheduled functions when asked for another", async () => {
    await expect(start([fixture("record")]).runNow("Nope")).rejects.toThrow(/No scheduled function Nope; there are FixtureJob/);
  });
});

describe("ticks", () => {
  it("run every period, each with an event of its own", async () => {
    start([fixture("record")], { periodSeconds: 0.03 });
    await waitFor("three ticks", () => runs.length >= 3);
    expect(runs.slice(0, 3).map((run) => run.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(new Set(fixtureState().events.map((event) => event.id)).size).toBe(fixtureState().events.length);
  });

  it("never overlap: a tick while the last run is going is skipped and logged", async () => {
    closeGate();
    const running = start([fixture("waitForGate")], { periodSeconds: 0.02 });
    await waitFor("a run and two skipped ticks", () => runs.filter((run) => run.status === "skipped").length >= 2);
    expect(await running.runNow("FixtureJob")).toEqual({ name: "FixtureJob", status: "skipped" });
    expect(fixtureState().events).toHaveLength(1);
    expect(logged[0]).toMatch(/^\[local-haul-FixtureJob\] the tick of \S+ is skipped: the run started \S+ is still going$/);

    openGate();
    await waitFor("the held run and a later one", () => runs.filter((run) => run.status === "succeeded").length >= 2);
    expect(fixtureState().maxRunning).toBe(1);
  });

  it("log a failing handler as Lambda does and keep going", async () => {
    start([fixture("fail"), fixture("record", "OtherJob")], { periodSeconds: 0.03 });
    await waitFor("two failed runs", () => runs.filter((run) => run.status === "failed").length >= 2);
    await waitFor("the other function's runs", () => runs.some((run) => run.name === "OtherJob" && run.status === "succeeded"));
    expect(errors[0]).toMatch(/^\[local-haul-FixtureJob\] \S+ ERROR Invoke Error Error: fixture: the scheduled handler fails/);
    expect((runs.find((run) => run.status === "failed")!.error as Error).message).toBe("fixture: the scheduled handler fails");
  });

  it("stop: no tick after it, and it waits for the run under way", async () => {
    closeGate();
    const running = start([fixture("waitForGate")], { periodSeconds: 0.02 });
    await waitFor("a run", () => fixtureState().running === 1);
    let stopped = false;
    const stopping = running.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    openGate();
    await stopping;
    const count = fixtureState().events.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fixtureState().events).toHaveLength(count);
  });
});
