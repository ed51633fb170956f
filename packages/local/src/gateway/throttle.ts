/**
 * API Gateway's throttling, locally: a token bucket per key (a route, or a WebSocket stage) that
 * holds at most `burstLimit` tokens and regains `rateLimit` a second; a request that finds it empty
 * is refused with 429 before the authorizer or the integration runs.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
 */
import type { ThrottleLimits } from "@haul/functions/declarations";

/**
 * Limits that replace every declared one, for tests and load experiments on the local cloud:
 * HAUL_THROTTLE_BURST and HAUL_THROTTLE_RATE (both, numbers). Undefined when unset.
 */
export function throttleOverrideFromEnv(env: NodeJS.ProcessEnv = process.env): ThrottleLimits | undefined {
  const burst = env.HAUL_THROTTLE_BURST;
  const rate = env.HAUL_THROTTLE_RATE;
  if (burst === undefined && rate === undefined) return undefined;
  const limits = { burstLimit: Number(burst), rateLimit: Number(rate) };
  if (!(limits.burstLimit >= 1) || !(limits.rateLimit >= 0)) {
    throw new Error(`HAUL_THROTTLE_BURST (at least 1) and HAUL_THROTTLE_RATE (0 or more) must both be numbers, got ${burst} and ${rate}`);
  }
  return limits;
}

export interface Throttle {
  /** Takes one token from `key`'s bucket; false when it is empty (answer 429). */
  take(key: string): boolean;
}

/** `limitsFor` gives each key's limits on its first request; `now` is for tests of the refill. */
export function createThrottle(limitsFor: (key: string) => ThrottleLimits, now: () => number = Date.now): Throttle {
  const buckets = new Map<string, { limits: ThrottleLimits; tokens: number; updatedAt: number }>();
  return {
    take(key) {
      const at = now();
      let bucket = buckets.get(key);
      if (!bucket) {
        const limits = limitsFor(key);
        bucket = { limits, tokens: limits.burstLimit, updatedAt: at };
        buckets.set(key, bucket);
      }
      const refilled = ((at - bucket.updatedAt) / 1000) * bucket.limits.rateLimit;
      bucket.tokens = Math.min(bucket.limits.burstLimit, bucket.tokens + refilled);
      bucket.updatedAt = at;
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}

/** API Gateway's body for a throttled request. */
export const tooManyRequestsMessage = "Too Many Requests";
