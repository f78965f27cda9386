/**
 * The auth slice of the store: the rate limiter's hit counters (fixed windows per bucket), shared by every process on
 * PostgreSQL. Its narrow interface (`RateLimitStore`) and the SQL both backends share (store-sqlite.ts,
 * store-postgres.ts).
 */
import type { Placeholder } from "../store/rows";

/** The counts of a bucket's current and previous window. */
export interface RateLimitCounts {
  readonly current: number;
  readonly previous: number;
}

/** Rate-limit counters. */
export interface RateLimitStore {
  /**
   * Counts one request against `bucket` in the fixed window starting at `windowStart` (ms since the epoch) and returns
   * the counts of that window (this request included) and of the window before it; older windows of the bucket are
   * dropped. On PostgreSQL every process shares the counters.
   */
  hitRateLimit(bucket: string, windowStart: number, windowMs: number): Promise<RateLimitCounts>;
}

/** The statements both backends run, in a dialect's placeholders. */
export function rateLimitSql(p: Placeholder) {
  return {
    /** Bucket, the previous window's start: drops the bucket's older windows. */
    dropOld: `DELETE FROM rate_limit_counters WHERE bucket = ${p(1)} AND window_start < ${p(2)}`,
  };
}
