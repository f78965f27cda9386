/**
 * SQLite backend (better-sqlite3, WAL): the embedded default. One process owns the file; write transactions are
 * serialized by an in-process queue and run as `BEGIN IMMEDIATE`, so sequence assignment is gap-free. Integers are
 * read as bigint (safe integers); hashes are BLOBs; times are RFC 3339 text. This file holds the connection, the
 * queue, the migrations' runner and the lifecycle; each concern's statements are its slice's `store-sqlite.ts`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import { AppError, ExitCode } from "../../common";
import { sqliteRateLimitStore } from "../auth/store-sqlite";
import { sqliteCommitmentsStore } from "../commitments/store-sqlite";
import { sqliteEventsStore } from "../events/store-sqlite";
import { sqliteKeysStore } from "../keys/store-sqlite";
import { sqliteProofStore } from "../proofs/store-sqlite";
import { sqliteSchemasStore } from "../schemas/store-sqlite";
import { sqliteTenantsStore } from "../tenants/store-sqlite";

import type { SqliteAccess } from "./access";
import { unavailable } from "./errors";
import { SQLITE_MIGRATIONS } from "./migrations";
import type { Row } from "./rows";
import { nowRfc3339 } from "./time";
import type { SequencerStore, StoreLifecycle } from "./types";

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before `StoreUnavailableError` (default 5 s). */
  readonly busyTimeoutMs?: number;
  /** `full` (default): the WAL is fsynced at every commit; `normal`: only at checkpoints (see below). */
  readonly synchronous?: "full" | "normal";
}

/** Opens (creating if needed) the SQLite store at `file`; `:memory:` for a throwaway database. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SequencerStore {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  // Durability: WAL with synchronous = FULL by default. COMMIT returns once the transaction is in the WAL and the WAL
  // is fsynced, so a committed append (an ingest's 2xx receipt) survives the process being killed (kill -9, which the
  // e2e tests exercise) and an OS crash or power loss, as with PostgreSQL's default synchronous_commit. A signed
  // receipt whose event rolled back would let the sequence number be given to another event. `normal` (opt-in,
  // SEQUENCER__SQLITE_SYNCHRONOUS) fsyncs the WAL only at checkpoints: it still survives the process crashing, but the
  // transactions committed since the last checkpoint may roll back on power loss; it saves one fsync per request.
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  db.pragma("foreign_keys = ON");
  db.defaultSafeIntegers(true);
  const backend = new SqliteBackend(db);
  const access: SqliteAccess = {
    read: (fn) => backend.read(fn),
    write: (fn) => backend.write(fn),
    stmt: (sql) => backend.stmt(sql),
  };
  const lifecycle: StoreLifecycle = {
    kind: "sqlite",
    migrate: () => backend.migrate(),
    ping: () => backend.ping(),
    durability: async () => {
      const level = Number(db.pragma("synchronous", { simple: true }));
      return `sqlite journal_mode=WAL synchronous=${["OFF", "NORMAL", "FULL", "EXTRA"][level] ?? level}`;
    },
    close: () => backend.close(),
    backup: (destination) => backend.backup(destination),
    // One process owns the file: it always leads.
    tryAcquireLeadership: async () => true,
    releaseLeadership: async () => {},
  };
  return {
    ...lifecycle,
    ...sqliteEventsStore(access),
    ...sqliteCommitmentsStore(access),
    ...sqliteKeysStore(access),
    ...sqliteTenantsStore(access),
    ...sqliteSchemasStore(access),
    ...sqliteRateLimitStore(access),
    proofs: sqliteProofStore(access),
  };
}

/** The connection, its transaction queue and statement cache. */
class SqliteBackend {
  /** Tail of the queue: every transaction, and every read outside one, waits for the previous one. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Set inside a write transaction, so its own reads run at once instead of queueing behind itself. */
  private readonly inWrite = new AsyncLocalStorage<true>();
  private closed = false;

  /** Prepared statements by SQL text: preparing costs more than running a small statement. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** The prepared statement of `sql`, prepared once. */
  stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async migrate(): Promise<void> {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    );
    const applied = new Set(
      (this.stmt("SELECT version FROM schema_migrations").all() as Row[]).map((r) => Number(r.version)),
    );
    SQLITE_MIGRATIONS.forEach((sql, i) => {
      const version = i + 1;
      if (applied.has(version)) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.stmt("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(version, nowRfc3339());
      })();
    });
  }

  backup(destination: string): Promise<{ readonly bytes: number }> {
    // In the queue, so no transaction of this connection is open while pages are copied.
    return this.enqueue(async () => {
      if (existsSync(destination))
        throw new AppError("BACKUP_EXISTS", `${destination} exists`, { exitCode: ExitCode.USAGE });
      mkdirSync(path.dirname(path.resolve(destination)), { recursive: true });
      await this.db.backup(destination);
      return { bytes: statSync(destination).size };
    });
  }

  async ping(): Promise<void> {
    this.stmt("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.catch(() => undefined);
    this.closed = true;
    this.db.close();
  }

  /** Runs `fn` as one IMMEDIATE transaction, after every earlier queued call of this process. */
  write<T>(fn: () => Promise<T>): Promise<T> {
    return this.enqueue(() =>
      this.inWrite.run(true, async () => {
        this.db.exec("BEGIN IMMEDIATE");
        try {
          const result = await fn();
          this.db.exec("COMMIT");
          return result;
        } catch (e) {
          if (this.db.inTransaction) this.db.exec("ROLLBACK");
          throw e;
        }
      }),
    );
  }

  /**
   * Runs a read after the queued transactions, so it never sees a transaction's rows before they are committed (the
   * one connection is shared); inside a transaction it runs at once.
   */
  read<T>(fn: () => T): Promise<T> {
    if (this.inWrite.getStore() === true) return Promise.resolve(fn());
    return this.enqueue(async () => fn());
  }

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      try {
        return await run();
      } catch (e) {
        throw unavailable(e) ?? e;
      }
    };
    const next = this.queue.then(guarded, guarded);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
