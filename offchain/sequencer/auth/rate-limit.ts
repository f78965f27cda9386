/**
 * Request rate limits: per API key (its own limit or the default) and per tenant, in fixed or sliding windows counted
 * in the database (so they hold across sequencer processes). The bootstrap admin and the CLI are exempt.
 */
import { SequencerError } from "../errors";
import type { SequencerStore } from "../store";
import type { Principal } from "./principal";

/** Per-key and per-tenant request limits per window. */
export interface RateLimitOptions {
  /** Requests per window of a key without its own limit; 0: unlimited. */
  readonly perKey: number;
  /** Requests per window of all of a tenant's keys; 0: unlimited. */
  readonly perTenant: number;
  readonly windowSeconds: number;
  readonly mode: "fixed" | "sliding";
}

/**
 * Whether a window's counts exceed `limit`, and if so in how many seconds a request would pass (`fixed`: at the next
 * window; `sliding`: once the weighted count — the previous window's count times its remaining overlap, plus the
 * current count — is back under the limit).
 */
export function rateLimitVerdict(
  counts: { current: number; previous: number },
  limit: number,
  now: number,
  windowStart: number,
  windowMs: number,
  mode: "fixed" | "sliding",
): { over: false } | { over: true; retryAfterSeconds: number } {
  const elapsed = now - windowStart;
  const toNext = windowMs - elapsed;
  if (mode === "fixed") {
    return counts.current > limit
      ? { over: true, retryAfterSeconds: Math.max(1, Math.ceil(toNext / 1000)) }
      : { over: false };
  }
  const weighted = counts.previous * (1 - elapsed / windowMs) + counts.current;
  if (weighted <= limit) return { over: false };
  // Within this window the weight of the previous one falls; after it, this window's count is the previous one.
  const within = counts.previous > 0 ? windowMs * (1 - (limit - counts.current) / counts.previous) - elapsed : Infinity;
  const wait =
    counts.current <= limit && within >= 0 && within <= toNext
      ? within
      : toNext + windowMs * (1 - limit / counts.current);
  return { over: true, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
}

/** Counts requests against the configured limits. */
export class RateLimiter {
  /** @param limits absent: unlimited. */
  constructor(
    private readonly store: Pick<SequencerStore, "hitRateLimit">,
    private readonly limits: RateLimitOptions | undefined,
  ) {}

  /**
   * Counts a request of `p` against its key's and its tenant's limits (the bootstrap admin and the CLI are exempt).
   * @throws SequencerError 429 `rate_limited` with a `Retry-After` header when a limit is exceeded.
   */
  async check(p: Principal): Promise<void> {
    const limits = this.limits;
    if (limits === undefined || p.bootstrap) return;
    const buckets: [string, number][] = [];
    const keyLimit = p.rateLimit ?? limits.perKey;
    if (keyLimit > 0 && p.rateBucket !== null) buckets.push([p.rateBucket, keyLimit]);
    if (limits.perTenant > 0) buckets.push([`tenant:${p.tenantId}`, limits.perTenant]);
    if (buckets.length === 0) return;
    const windowMs = limits.windowSeconds * 1000;
    const now = Date.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    for (const [bucket, limit] of buckets) {
      const counts = await this.store.hitRateLimit(bucket, windowStart, windowMs);
      const verdict = rateLimitVerdict(counts, limit, now, windowStart, windowMs, limits.mode);
      if (verdict.over) {
        const which = bucket.startsWith("key:") ? "API key" : bucket.startsWith("jwt:") ? "agent's tokens" : "tenant";
        throw new SequencerError(
          429,
          "rate_limited",
          `Rate limit exceeded: ${limit} requests per ${limits.windowSeconds} s for this ${which}`,
          { "retry-after": String(verdict.retryAfterSeconds) },
        );
      }
    }
  }
}
