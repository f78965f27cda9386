/**
 * What each backend lends the store slices: SQLite its serialized transactions and statement cache, PostgreSQL its
 * pool and retried transactions. Each slice is built over one of these, so the backends' own files keep only the
 * connection, the queue or pool, the migrations and the lifecycle.
 */
import { createHash } from "node:crypto";

import type Database from "better-sqlite3";
import type { PoolClient } from "pg";

import type { Row } from "./rows";

/** The SQLite backend's serialized read and write transactions and its statement cache. */
export interface SqliteAccess {
  /** Runs a read after the queued transactions (at once inside one). */
  read<T>(fn: () => T): Promise<T>;
  /** Runs `fn` as one IMMEDIATE transaction, after every earlier queued call of this process. */
  write<T>(fn: () => Promise<T>): Promise<T>;
  /** The prepared statement of `sql`, prepared once. */
  stmt(sql: string): Database.Statement;
}

/** Something that runs a parameterized query: the pool or one client. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** The PostgreSQL backend's pool queries and transactions. */
export interface PostgresAccess {
  /** A query on the pool; driver errors of an unavailable database become `StoreUnavailableError`. */
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
  /** The pool itself (queries whose driver errors pass unchanged). */
  readonly pool: Queryable;
  /**
   * Runs `fn` in one READ COMMITTED transaction on one client; a unique violation, serialization failure or deadlock
   * rolls it back and runs it once more (an `EventIdRace`, a few times).
   */
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

/**
 * Thrown at flush when another stream committed one of the request's event ids after the prefetch: the transaction is
 * run again, and its prefetch then sees that event (so the rules answer `duplicate_event_id`).
 */
export class EventIdRace extends Error {
  constructor(readonly eventIds: readonly string[]) {
    super(`event ids stored meanwhile by another stream: ${eventIds.join(", ")}`);
  }
}

/** The SQLSTATE (or driver code) of an error, if it has one. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A signed 64-bit advisory-lock key (decimal text) derived from a name. */
export function advisoryKey(name: string): string {
  return createHash("sha256").update(name, "utf8").digest().readBigInt64BE(0).toString();
}
