/** The auth slice on SQLite: one write transaction per hit. */
import type { SqliteAccess } from "../store/access";
import { sqliteParam, type Row } from "../store/rows";

import { rateLimitSql, type RateLimitStore } from "./store";

const SQL = rateLimitSql(sqliteParam);
const HIT = `INSERT INTO rate_limit_counters (bucket, window_start, count) VALUES (?, ?, 1)
  ON CONFLICT (bucket, window_start) DO UPDATE SET count = count + 1 RETURNING count`;
const COUNT = "SELECT count FROM rate_limit_counters WHERE bucket = ? AND window_start = ?";

/** The auth slice over the SQLite backend's connection. */
export function sqliteRateLimitStore(db: SqliteAccess): RateLimitStore {
  return {
    hitRateLimit: (bucket, windowStart, windowMs) =>
      db.write(async () => {
        const current = Number((db.stmt(HIT).get(bucket, windowStart) as Row).count);
        if (current === 1) db.stmt(SQL.dropOld).run(bucket, windowStart - windowMs);
        const prev = db.stmt(COUNT).get(bucket, windowStart - windowMs) as Row | undefined;
        return { current, previous: prev === undefined ? 0 : Number(prev.count) };
      }),
  };
}
