/** The auth slice on PostgreSQL: one statement counts the hit and reads the previous window. */
import type { PostgresAccess } from "../store/access";
import { postgresParam } from "../store/rows";

import { rateLimitSql, type RateLimitStore } from "./store";

const SQL = rateLimitSql(postgresParam);
const HIT = `WITH up AS (
    INSERT INTO rate_limit_counters (bucket, window_start, count) VALUES ($1, $2, 1)
    ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
    RETURNING count)
  SELECT (SELECT count FROM up) AS current,
         COALESCE((SELECT count FROM rate_limit_counters WHERE bucket = $1 AND window_start = $3), 0) AS previous`;

/** The auth slice over the PostgreSQL backend's pool. */
export function postgresRateLimitStore(db: PostgresAccess): RateLimitStore {
  return {
    async hitRateLimit(bucket, windowStart, windowMs) {
      const row = (await db.query(HIT, [bucket, windowStart, windowStart - windowMs])).rows[0]!;
      const current = Number(row.current);
      if (current === 1) await db.query(SQL.dropOld, [bucket, windowStart - windowMs]);
      return { current, previous: Number(row.previous) };
    },
  };
}
