/**
 * PostgreSQL backend (`pg` pool): the production store, shared by several sequencer processes. Each write to a stream
 * is one READ COMMITTED transaction on one pooled client that first upserts the stream's counter row at 0 and locks it
 * with `SELECT … FOR UPDATE` (stream-tx-postgres.ts): writers of one stream are serialized across processes, other
 * streams run in parallel. Ids and RFC 3339 times are TEXT (returned exactly as written), hashes BYTEA, sequences
 * BIGINT (read back as bigint). Migrations are versioned and serialized by a transaction-scoped advisory lock;
 * commit-worker leadership is a session advisory lock on a dedicated client. This file holds the pool, transactions,
 * the migrations' runner and the lifecycle; each concern's statements are its slice's `store-postgres.ts`.
 */
import { Pool, type PoolClient } from "pg";

import { AppError, ExitCode } from "../../common";
import { postgresRateLimitStore } from "../auth/store-postgres";
import { postgresCommitmentsStore } from "../commitments/store-postgres";
import { postgresEventsStore } from "../events/store-postgres";
import { postgresKeysStore } from "../keys/store-postgres";
import { postgresProofStore } from "../proofs/store-postgres";
import { postgresSchemasStore } from "../schemas/store-postgres";
import { postgresTenantsStore } from "../tenants/store-postgres";

import { EventIdRace, advisoryKey, errorCode, type PostgresAccess } from "./access";
import { unavailable } from "./errors";
import { POSTGRES_MIGRATIONS } from "./migrations";
import type { Row } from "./rows";
import { nowRfc3339 } from "./time";
import type { SequencerStore, StoreLifecycle } from "./types";

/** SQLSTATEs after which a whole write transaction is tried once more: unique, serialization and deadlock. */
const RETRYABLE = new Set(["23505", "40001", "40P01"]);

/** How many times a transaction may meet an event-id race before the error is surfaced. */
const MAX_RACE_ATTEMPTS = 4;

const MIGRATION_LOCK = advisoryKey("ves-sequencer:migrations");
const leadershipKey = (name: string) => advisoryKey(`ves-sequencer:leadership:${name}`);

/**
 * Opens a PostgreSQL store on `url` (`postgres://…`); call `migrate()` before use. `connectionTimeoutMs` bounds how
 * long a call waits for a free pooled connection before failing with `StoreUnavailableError` (0: wait forever).
 */
export function openPostgresStore(
  url: string,
  options: { readonly poolSize?: number; readonly connectionTimeoutMs?: number } = {},
): SequencerStore {
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 0,
  });
  // An idle client whose connection dies is dropped by the pool; without a listener the error would crash the process.
  pool.on("error", () => undefined);
  const backend = new PostgresBackend(pool);
  const access: PostgresAccess = {
    query: (text, values) => backend.query(text, values),
    pool,
    transaction: (fn) => backend.transaction(fn),
  };
  const lifecycle: StoreLifecycle = {
    kind: "postgres",
    migrate: () => backend.migrate(),
    ping: () => backend.ping(),
    durability: async () => {
      const r = await backend.query("SHOW synchronous_commit");
      return `postgres synchronous_commit=${String(r.rows[0]?.synchronous_commit)}`;
    },
    close: () => backend.close(),
    backup: () => backend.backup(),
    tryAcquireLeadership: (name) => backend.tryAcquireLeadership(name),
    releaseLeadership: (name) => backend.releaseLeadership(name),
  };
  return {
    ...lifecycle,
    ...postgresEventsStore(access),
    ...postgresCommitmentsStore(access),
    ...postgresKeysStore(access),
    ...postgresTenantsStore(access),
    ...postgresSchemasStore(access),
    ...postgresRateLimitStore(access),
    proofs: postgresProofStore(access),
  };
}

/** The pool, its transactions, the migrations' runner and the leaderships. */
class PostgresBackend {
  /** Clients holding a leadership's session advisory lock, by leadership name. */
  private readonly leaders = new Map<string, { client: PoolClient; lost: boolean; onError: () => void }>();
  private closed = false;

  constructor(private readonly pool: Pool) {}

  async query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }> {
    try {
      return await this.pool.query<Row>(text, values);
    } catch (e) {
      throw unavailable(e) ?? e;
    }
  }

  /**
   * Checks a client out with an `error` listener for its time out of the pool: a connection that dies mid-transaction
   * fails the pending query, and the event emitted beside it must not crash the process.
   */
  private async checkout(): Promise<{ client: PoolClient; done: (broken: boolean) => void }> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw unavailable(e) ?? e;
    }
    const onError = () => undefined;
    client.on("error", onError);
    return {
      client,
      done: (broken) => {
        client.removeListener("error", onError);
        client.release(broken);
      },
    };
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction on one client; a unique violation, serialization failure or deadlock
   * rolls it back and runs it once more from the start (an event-id race with another stream, a few times).
   */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let retried = false;
    for (let attempt = 1; ; attempt++) {
      const { client, done } = await this.checkout();
      let broken = false;
      try {
        await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
        const result = await fn(client);
        await client.query("COMMIT");
        return result;
      } catch (e) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        if (e instanceof EventIdRace && attempt < MAX_RACE_ATTEMPTS) continue;
        if (!retried && RETRYABLE.has(errorCode(e) ?? "")) {
          retried = true;
          continue;
        }
        throw e;
      } finally {
        done(broken);
      }
    }
  }

  async migrate(): Promise<void> {
    const { client, done } = await this.checkout();
    let broken = false;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
      );
      const done = await client.query<Row>("SELECT version FROM schema_migrations");
      const applied = new Set(done.rows.map((r) => Number(r.version)));
      for (const [i, sql] of POSTGRES_MIGRATIONS.entries()) {
        const version = i + 1;
        if (applied.has(version)) continue;
        await client.query(sql);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
          version,
          nowRfc3339(),
        ]);
      }
      await client.query("COMMIT");
    } catch (e) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      done(broken);
    }
  }

  async backup(): Promise<{ readonly bytes: number }> {
    throw new AppError(
      "BACKUP_UNSUPPORTED",
      "PostgreSQL is backed up with its own tools: pg_dump --format=custom (see README, Backup and restore)",
      { exitCode: ExitCode.USAGE },
    );
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const name of [...this.leaders.keys()]) await this.releaseLeadership(name);
    await this.pool.end();
  }

  // Coordination ---------------------------------------------------------------------------------------------------

  async tryAcquireLeadership(name: string): Promise<boolean> {
    if (this.closed) throw new Error("store is closed");
    const held = this.leaders.get(name);
    if (held !== undefined) {
      // Still leading only while the lock's session is alive.
      if (!held.lost) {
        try {
          await held.client.query("SELECT 1");
          return true;
        } catch {
          held.lost = true;
        }
      }
      this.dropLeader(name, true);
    }
    const client = await this.pool.connect();
    const entry = { client, lost: false, onError: () => (entry.lost = true) };
    client.on("error", entry.onError);
    let ok: boolean;
    try {
      const r = await client.query<Row>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [leadershipKey(name)]);
      ok = r.rows[0]?.ok === true;
    } catch (e) {
      client.removeListener("error", entry.onError);
      client.release(true);
      throw e;
    }
    if (!ok) {
      client.removeListener("error", entry.onError);
      client.release();
      return false;
    }
    this.leaders.set(name, entry);
    return true;
  }

  async releaseLeadership(name: string): Promise<void> {
    const held = this.leaders.get(name);
    if (held === undefined) return;
    let broken = held.lost;
    if (!broken) {
      try {
        await held.client.query("SELECT pg_advisory_unlock($1::bigint)", [leadershipKey(name)]);
      } catch {
        broken = true;
      }
    }
    this.dropLeader(name, broken);
  }

  /** Forgets a leadership and returns its client to the pool (destroyed when broken, which also frees the lock). */
  private dropLeader(name: string, destroy: boolean): void {
    const held = this.leaders.get(name);
    if (held === undefined) return;
    this.leaders.delete(name);
    held.client.removeListener("error", held.onError);
    held.client.release(destroy);
  }
}
