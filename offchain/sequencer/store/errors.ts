/**
 * Store failures the HTTP layer answers with 503 instead of waiting: no database connection free within the
 * configured time (PostgreSQL pool), the database locked for longer than that (SQLite busy), or unreachable.
 */

/** The database cannot take the request now; retrying later may succeed. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  /** `pool_exhausted` (no connection or lock in time) or `database_unavailable` (unreachable). */
  readonly code: "pool_exhausted" | "database_unavailable";

  constructor(code: "pool_exhausted" | "database_unavailable", message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/** The unavailable-database error of a driver error, or undefined when `e` is something else. */
export function unavailable(e: unknown): StoreUnavailableError | undefined {
  if (e instanceof StoreUnavailableError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : "";
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new StoreUnavailableError("pool_exhausted", "the database is locked by another writer; retry later", e);
  }
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) {
    return new StoreUnavailableError("pool_exhausted", "no database connection became free in time; retry later", e);
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "57P03" || code === "53300") {
    return new StoreUnavailableError("database_unavailable", "the database is unreachable; retry later", e);
  }
  return undefined;
}
