/** The local gateways' token buckets (src/gateway/throttle.ts), on a clock the test moves. */
import { describe, expect, it } from "vitest";
import { createThrottle, throttleOverrideFromEnv } from "../src/gateway/throttle.js";

describe("createThrottle", () => {
  it("allows the burst, refuses the next, and refills at the rate up to the burst", () => {
    let now = 0;
    const throttle = createThrottle(() => ({ burstLimit: 3, rateLimit: 2 }), () => now);
    expect([1, 2, 3, 4].map(() => throttle.take("GET /a"))).toEqual([true, true, true, false]);
    now += 500; // one token back at 2/s
    expect([throttle.take("GET /a"), throttle.take("GET /a")]).toEqual([true, false]);
    now += 60_000; // never more than the burst
    expect([1, 2, 3, 4].map(() => throttle.take("GET /a"))).toEqual([true, true, true, false]);
  });

  it("keeps a bucket per key, each with its own limits", () => {
    const throttle = createThrottle((key) => ({ burstLimit: key === "small" ? 1 : 2, rateLimit: 0 }), () => 0);
    expect([throttle.take("small"), throttle.take("small")]).toEqual([true, false]);
    expect([throttle.take("large"), throttle.take("large"), throttle.take("large")]).toEqual([true, true, false]);
  });
});

describe("throttleOverrideFromEnv", () => {
  it("reads both variables, or nothing when neither is set", () => {
    expect(throttleOverrideFromEnv({})).toBeUndefined();
    expect(throttleOverrideFromEnv({ HAUL_THROTTLE_BURST: "5", HAUL_THROTTLE_RATE: "0.5" })).toEqual({ burstLimit: 5, rateLimit: 0.5 });
  });

  it("refuses one without the other, or a value that is not a number", () => {
    expect(() => throttleOverrideFromEnv({ HAUL_THROTTLE_BURST: "5" })).toThrow(/HAUL_THROTTLE_RATE/);
    expect(() => throttleOverrideFromEnv({ HAUL_THROTTLE_BURST: "many", HAUL_THROTTLE_RATE: "1" })).toThrow(/HAUL_THROTTLE_BURST/);
  });
});
