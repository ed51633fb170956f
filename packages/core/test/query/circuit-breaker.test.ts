import { describe, expect, it } from "vitest";
import { CircuitBreaker, type CircuitStateChange } from "../../src/query/circuit-breaker.js";

function breaker(failureThreshold = 3, coolDownMs = 1_000) {
  const clock = { now: 0 };
  const changes: CircuitStateChange[] = [];
  const subject = new CircuitBreaker({ failureThreshold, coolDownMs, now: () => clock.now, onStateChange: (change) => changes.push(change) });
  return { subject, clock, changes };
}

describe("CircuitBreaker", () => {
  it("opens after K consecutive failures, not after K failures with a success between", () => {
    const { subject, changes } = breaker(3);
    subject.recordFailure("ECONNREFUSED");
    subject.recordFailure("ECONNREFUSED");
    subject.recordSuccess();
    subject.recordFailure("ECONNREFUSED");
    subject.recordFailure("ECONNREFUSED");
    expect(subject.state).toBe("closed");
    expect(subject.tryAcquire()).toBe(true);
    subject.recordFailure("timeout");
    expect(subject.state).toBe("open");
    expect(changes).toEqual([{ from: "closed", to: "open", reason: "timeout" }]);
  });

  it("lets nothing through while open, then exactly one probe after the cool-down", () => {
    const { subject, clock, changes } = breaker(1, 1_000);
    subject.recordFailure("ECONNRESET");
    clock.now = 999;
    expect(subject.tryAcquire()).toBe(false);
    clock.now = 1_000;
    expect(subject.tryAcquire()).toBe(true);
    expect(subject.state).toBe("half-open");
    // While the probe runs, the others keep away.
    expect(subject.tryAcquire()).toBe(false);
    expect(changes.map((change) => change.to)).toEqual(["open", "half-open"]);
  });

  it("closes when the probe succeeds", () => {
    const { subject, clock, changes } = breaker(2, 100);
    subject.recordFailure("x");
    subject.recordFailure("x");
    clock.now = 100;
    expect(subject.tryAcquire()).toBe(true);
    subject.recordSuccess();
    expect(subject.state).toBe("closed");
    expect(changes.at(-1)).toEqual({ from: "half-open", to: "closed", reason: "probe succeeded" });
    // Closed again: the count starts afresh.
    subject.recordFailure("x");
    expect(subject.state).toBe("closed");
  });

  it("opens for another full cool-down when the probe fails", () => {
    const { subject, clock } = breaker(1, 100);
    subject.recordFailure("x");
    clock.now = 150;
    expect(subject.tryAcquire()).toBe(true);
    subject.recordFailure("timeout");
    expect(subject.state).toBe("open");
    clock.now = 249;
    expect(subject.tryAcquire()).toBe(false);
    clock.now = 250;
    expect(subject.tryAcquire()).toBe(true);
  });

  it("ignores failures reported while open (calls that started before it opened)", () => {
    const { subject, clock, changes } = breaker(1, 100);
    subject.recordFailure("x");
    clock.now = 90;
    subject.recordFailure("late");
    clock.now = 100;
    expect(subject.tryAcquire()).toBe(true);
    expect(changes.map((change) => change.to)).toEqual(["open", "half-open"]);
  });

  it("refuses a threshold below one", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1 })).toThrow(RangeError);
  });
});
