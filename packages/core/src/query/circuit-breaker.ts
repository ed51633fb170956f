/**
 * A circuit breaker: `closed` lets every call through; `failureThreshold` consecutive failures
 * open it; while `open` no call goes through until `coolDownMs` have passed, then one call (the
 * probe) is let through, `half-open`; its success closes the breaker, its failure opens it again
 * for another cool-down. The caller reports every call it was let through (success or failure),
 * so a probe never stays outstanding. The clock is injectable for tests.
 */

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitStateChange {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** What caused it: the failure's reason, or `probe succeeded`. */
  readonly reason: string;
}

export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  readonly now?: () => number;
  readonly onStateChange?: (change: CircuitStateChange) => void;
}

export class CircuitBreaker {
  #state: CircuitState = "closed";
  #consecutiveFailures = 0;
  #openedAt = 0;
  readonly #options: CircuitBreakerOptions;
  readonly #now: () => number;

  constructor(options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1)) throw new RangeError("failureThreshold must be at least 1");
    if (!(options.coolDownMs >= 0)) throw new RangeError("coolDownMs must not be negative");
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** Whether a call may go through now. True in half-open means: this call is the probe. */
  tryAcquire(): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "half-open") return false;
    if (this.#now() - this.#openedAt < this.#options.coolDownMs) return false;
    this.#moveTo("half-open", "cool-down over");
    return true;
  }

  recordSuccess(): void {
    this.#consecutiveFailures = 0;
    if (this.#state === "half-open") this.#moveTo("closed", "probe succeeded");
  }

  recordFailure(reason: string): void {
    if (this.#state === "half-open") return this.#open(reason);
    if (this.#state === "open") return;
    this.#consecutiveFailures += 1;
    if (this.#consecutiveFailures >= this.#options.failureThreshold) this.#open(reason);
  }

  #open(reason: string): void {
    this.#openedAt = this.#now();
    this.#consecutiveFailures = 0;
    this.#moveTo("open", reason);
  }

  #moveTo(to: CircuitState, reason: string): void {
    const from = this.#state;
    this.#state = to;
    this.#options.onStateChange?.({ from, to, reason });
  }
}
