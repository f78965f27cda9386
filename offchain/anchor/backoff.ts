/**
 * Failure handling primitives: exponential backoff with full jitter (per stream and per task), and a circuit breaker
 * that stops calling a dependency (the RPC) after repeated failures and lets a single probe through after a pause.
 */

/** Exponential backoff with jitter: attempt n waits a random time in [d/2, d] with d = min(max, base·2^(n−1)). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, attempt - 1)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Per-key retry bookkeeping: how many consecutive failures and when the key may be tried again. */
export class Backoff {
  private readonly entries = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True if `key` may be tried now. */
  ready(key: string): boolean {
    const e = this.entries.get(key);
    return e === undefined || e.until <= this.now();
  }

  /** Records a failure of `key`; returns the delay before its next try. */
  fail(key: string): number {
    const failures = (this.entries.get(key)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, this.baseMs, this.maxMs);
    this.entries.set(key, { failures, until: this.now() + delay });
    return delay;
  }

  /** Forgets `key`'s failures. */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  /** Consecutive failures of `key`. */
  failures(key: string): number {
    return this.entries.get(key)?.failures ?? 0;
  }
}

/** The states of a circuit breaker, with their metric values. */
export const BreakerState = { closed: 0, halfOpen: 1, open: 2 } as const;
export type BreakerStateName = keyof typeof BreakerState;

/**
 * A circuit breaker: `threshold` consecutive failures open it for `resetMs`; then one probe is let through
 * (half-open), whose success closes it and whose failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private stateName: BreakerStateName = "closed";
  /** Calls refused while open. */
  rejected = 0;

  constructor(
    private readonly threshold: number,
    private readonly resetMs: number,
    private readonly onChange: (state: BreakerStateName) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current state (an open breaker past its pause reports half-open). */
  get state(): BreakerStateName {
    if (this.stateName === "open" && this.now() - this.openedAt >= this.resetMs) this.set("halfOpen");
    return this.stateName;
  }

  /** True if a call may go through now. */
  allow(): boolean {
    const s = this.state;
    if (s === "open") this.rejected++;
    return s !== "open";
  }

  /** Records a successful call. */
  success(): void {
    this.failures = 0;
    if (this.stateName !== "closed") this.set("closed");
  }

  /** Records a failed call. */
  failure(): void {
    this.failures++;
    if (this.stateName === "halfOpen" || this.failures >= this.threshold) {
      this.openedAt = this.now();
      if (this.stateName !== "open") this.set("open");
    }
  }

  private set(s: BreakerStateName): void {
    this.stateName = s;
    this.onChange(s);
  }
}
