/**
 * SQLite backend (better-sqlite3, WAL): the embedded default. One process owns the file; write transactions are
 * serialized by an in-process queue and run as `BEGIN IMMEDIATE`, so sequence assignment is gap-free. Integers are
 * read as bigint (safe integers); hashes are BLOBs; times are RFC 3339 text.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import { AppError, ExitCode } from "../../common";

import { ImportRejected, appendInTx, createCommitmentInTx, importInTx, type StreamTx } from "./stream-tx";
import type {
  EntityHistory,
  EntityRef,
  AgentKey,
  ApiKeyRecord,
  AuditEntryInput,
  CommitmentBuilder,
  EventCandidate,
  ImportResult,
  ImportedEvent,
  LeafInput,
  MarkAnchoredResult,
  UnmarkAnchoredResult,
  PayloadSchemaRecord,
  SchemaStatus,
  PendingStream,
  StreamHead,
  ReceiptFactory,
  SequencerKeyRecord,
  SequencerStore,
  StoredCommitment,
  StoredEvent,
  StoredReceipt,
  StreamRef,
  TenantRecord,
  TenantStoreRecord,
} from "./types";
import {
  EVENT_SELECT,
  entityHistorySql,
  toEntityHistory,
  big,
  buf,
  keyPrefixOf,
  toAgentKey,
  toApiKey,
  toAudit,
  toCommitment,
  toEvent,
  toLeaf,
  toSchema,
  toSequencerKey,
  toTenant,
  toTenantStore,
  type Row,
} from "./rows";
import { unavailable } from "./errors";
import { nowRfc3339 } from "./time";
import { anchorLeaseMigration, sqliteAnchorLease, type AnchorLeaseStore } from "./anchor-lease";
import { proofsMigration, sqliteProofStore, type ProofStore } from "./proofs";

const MIGRATIONS: readonly string[] = [
  // 1: events, receipts, counters, dedupe, entity versions, commitments, keys.
  `
  CREATE TABLE ves_events (
    event_id            TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    store_id            TEXT NOT NULL,
    sequence_number     INTEGER NOT NULL CHECK (sequence_number >= 1),
    source_agent_id     TEXT NOT NULL,
    agent_key_id        INTEGER NOT NULL,
    entity_type         TEXT NOT NULL,
    entity_id           TEXT NOT NULL,
    event_type          TEXT NOT NULL,
    command_id          TEXT,
    base_version        TEXT,
    event_signing_hash  BLOB NOT NULL CHECK (length(event_signing_hash) = 32),
    agent_signature     BLOB NOT NULL CHECK (length(agent_signature) = 64),
    content_hash        BLOB NOT NULL,
    envelope_json       TEXT NOT NULL,
    sequencer_id        TEXT NOT NULL,
    sequenced_at        TEXT NOT NULL,
    receipt_hash        BLOB NOT NULL,
    receipt_signature   BLOB,
    receipt_key_version INTEGER NOT NULL,
    UNIQUE (tenant_id, store_id, sequence_number)
  );
  CREATE TABLE ves_sequence_counters (
    tenant_id        TEXT NOT NULL,
    store_id         TEXT NOT NULL,
    current_sequence INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id)
  );
  CREATE TABLE ves_command_dedupe (
    tenant_id  TEXT NOT NULL,
    store_id   TEXT NOT NULL,
    command_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, store_id, command_id)
  );
  CREATE TABLE entity_versions (
    tenant_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id, entity_type, entity_id)
  );
  CREATE TABLE ves_commitments (
    batch_id           TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    store_id           TEXT NOT NULL,
    ves_version        INTEGER NOT NULL,
    tree_depth         INTEGER NOT NULL,
    leaf_count         INTEGER NOT NULL,
    padded_leaf_count  INTEGER NOT NULL,
    merkle_root        BLOB NOT NULL,
    prev_state_root    BLOB NOT NULL,
    new_state_root     BLOB NOT NULL,
    sequence_start     INTEGER NOT NULL,
    sequence_end       INTEGER NOT NULL,
    committed_at       TEXT NOT NULL,
    chain_id           INTEGER,
    chain_tx_hash      BLOB,
    chain_block_number INTEGER,
    anchored_at        TEXT,
    CHECK (leaf_count = sequence_end - sequence_start + 1),
    UNIQUE (tenant_id, store_id, sequence_start)
  );
  CREATE INDEX ves_commitments_by_end ON ves_commitments (tenant_id, store_id, sequence_end);
  CREATE INDEX ves_commitments_unanchored ON ves_commitments (committed_at) WHERE chain_tx_hash IS NULL;
  CREATE TABLE agent_signing_keys (
    tenant_id  TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    key_id     INTEGER NOT NULL,
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    status     TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    valid_from TEXT,
    valid_to   TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, key_id),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
  );
  CREATE TABLE api_keys (
    key_hash   BLOB PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    store_ids  TEXT NOT NULL,
    can_read   INTEGER NOT NULL,
    can_write  INTEGER NOT NULL,
    can_admin  INTEGER NOT NULL,
    agent_id   TEXT,
    active     INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // 2: tenants and stores, API-key administration (prefix, label, last use, revocation, rate limit), audit log.
  `
  CREATE TABLE tenants (
    tenant_id  TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE tenant_stores (
    tenant_id  TEXT NOT NULL,
    store_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, store_id)
  );
  ALTER TABLE api_keys ADD COLUMN key_prefix TEXT;
  ALTER TABLE api_keys ADD COLUMN label TEXT;
  ALTER TABLE api_keys ADD COLUMN rate_limit INTEGER;
  ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
  ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
  UPDATE api_keys SET key_prefix = lower(hex(substr(key_hash, 1, 6)));
  CREATE INDEX api_keys_by_prefix ON api_keys (key_prefix);
  CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);
  CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    tenant_id TEXT,
    target    TEXT,
    details   TEXT NOT NULL
  );
  CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
  `,
  // 3: versioned receipt-signing public keys (every past key stays published).
  `
  CREATE TABLE sequencer_keys (
    sequencer_id TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 0),
    public_key   BLOB NOT NULL CHECK (length(public_key) = 32),
    origin       TEXT NOT NULL CHECK (origin IN ('local', 'imported')),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (sequencer_id, version),
    UNIQUE (sequencer_id, public_key)
  );
  `, // 4: payload JSON Schemas per (tenant, event type), versioned.
  `
  CREATE TABLE payload_schemas (
    schema_id   TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    schema_json TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'deprecated', 'disabled')),
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    UNIQUE (tenant_id, event_type, version)
  );
  `, // 5: shared rate-limit counters (fixed windows per bucket).
  `
  CREATE TABLE rate_limit_counters (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
  );
  `, // 6: an entity's events in sequence order (entity history).
  `
  CREATE INDEX ves_events_by_entity ON ves_events (tenant_id, store_id, entity_type, entity_id, sequence_number);
  `,
  // 7: the anchor lease (one anchor process per sequencer).
  anchorLeaseMigration(),
  // 8: prover keys, accepted proofs and provers' leases (issue 13).
  proofsMigration("sqlite"),
];

/**
 * Opens (creating if needed) the SQLite store at `file`; `:memory:` for a throwaway database. `busyTimeoutMs` bounds
 * how long a write waits for another connection's lock before failing with `StoreUnavailableError` (default 5 s).
 */
export function openSqliteStore(file: string, options: { readonly busyTimeoutMs?: number } = {}): SequencerStore {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  db.pragma("foreign_keys = ON");
  db.defaultSafeIntegers(true);
  return new SqliteStore(db);
}

class SqliteStore implements SequencerStore {
  readonly kind = "sqlite" as const;
  /** Tail of the queue: every transaction, and every read outside one, waits for the previous one. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Set inside a write transaction, so its own reads run at once instead of queueing behind itself. */
  private readonly inWrite = new AsyncLocalStorage<true>();
  private closed = false;

  /** Prepared statements by SQL text: preparing costs more than running a small statement. */
  private readonly statements = new Map<string, Database.Statement>();

  readonly proofs: ProofStore = sqliteProofStore({
    read: (fn) => this.read(fn),
    write: (fn) => this.write(fn),
    stmt: (sql) => this.stmt(sql),
  });

  readonly anchorLease: AnchorLeaseStore = sqliteAnchorLease({
    write: (fn) => this.write(fn),
    stmt: (sql) => this.stmt(sql),
  });

  constructor(private readonly db: Database.Database) {}

  /** The prepared statement of `sql`, prepared once. */
  private stmt(sql: string): Database.Statement {
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
    MIGRATIONS.forEach((sql, i) => {
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
  private write<T>(fn: () => Promise<T>): Promise<T> {
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
  private read<T>(fn: () => T): Promise<T> {
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

  private streamTx(stream: StreamRef): StreamTx {
    const { tenantId, storeId } = stream;
    return {
      head: async () => {
        const r = this.stmt(
          "SELECT current_sequence FROM ves_sequence_counters WHERE tenant_id = ? AND store_id = ?",
        ).get(tenantId, storeId) as Row | undefined;
        return r === undefined ? 0n : big(r.current_sequence);
      },
      setHead: async (sequence) => {
        this.stmt(
          `INSERT INTO ves_sequence_counters (tenant_id, store_id, current_sequence) VALUES (?, ?, ?)
           ON CONFLICT (tenant_id, store_id) DO UPDATE SET current_sequence = excluded.current_sequence`,
        ).run(tenantId, storeId, sequence);
      },
      eventById: async (eventId) => {
        // Inside the sequencing transaction the covering commitment does not matter: skip its lookup.
        const r = this.stmt("SELECT e.*, NULL AS batch_id FROM ves_events e WHERE e.event_id = ?").get(eventId) as
          Row | undefined;
        return r === undefined ? null : toEvent(r);
      },
      commandEventId: async (commandId) => {
        const r = this.stmt(
          "SELECT event_id FROM ves_command_dedupe WHERE tenant_id = ? AND store_id = ? AND command_id = ?",
        ).get(tenantId, storeId, commandId) as Row | undefined;
        return r === undefined ? null : (r.event_id as string);
      },
      entityVersion: async (entityType, entityId) => {
        const r = this.stmt(
          "SELECT version FROM entity_versions WHERE tenant_id = ? AND store_id = ? AND entity_type = ? AND entity_id = ?",
        ).get(tenantId, storeId, entityType, entityId) as Row | undefined;
        return r === undefined ? 0n : big(r.version);
      },
      insertEvent: async (c: EventCandidate, seq: bigint, r: StoredReceipt) => {
        const info = this.stmt(
          `INSERT INTO ves_events (event_id, tenant_id, store_id, sequence_number, source_agent_id, agent_key_id,
               entity_type, entity_id, event_type, command_id, base_version, event_signing_hash, agent_signature,
               content_hash, envelope_json, sequencer_id, sequenced_at, receipt_hash, receipt_signature,
               receipt_key_version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (event_id) DO NOTHING`,
        ).run(
          c.eventId,
          tenantId,
          storeId,
          seq,
          c.sourceAgentId,
          c.agentKeyId,
          c.entityType,
          c.entityId,
          c.eventType,
          c.commandId ?? null,
          c.baseVersion?.toString() ?? null,
          buf(c.eventSigningHash),
          buf(c.agentSignature),
          buf(c.contentHash),
          c.envelopeJson,
          r.sequencerId,
          r.sequencedAt,
          buf(r.receiptHash),
          r.signature === null ? null : buf(r.signature),
          r.keyVersion,
        );
        return info.changes === 1;
      },
      insertCommand: async (commandId, eventId) => {
        this.stmt("INSERT INTO ves_command_dedupe (tenant_id, store_id, command_id, event_id) VALUES (?, ?, ?, ?)").run(
          tenantId,
          storeId,
          commandId,
          eventId,
        );
      },
      bumpEntityVersion: async (entityType, entityId) => {
        this.stmt(
          `INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version) VALUES (?, ?, ?, ?, 1)
           ON CONFLICT (tenant_id, store_id, entity_type, entity_id) DO UPDATE SET version = version + 1`,
        ).run(tenantId, storeId, entityType, entityId);
      },
      commitmentStartingAt: async (start) => {
        const r = this.stmt(
          "SELECT * FROM ves_commitments WHERE tenant_id = ? AND store_id = ? AND sequence_start = ?",
        ).get(tenantId, storeId, start) as Row | undefined;
        return r === undefined ? null : toCommitment(r);
      },
      latestCommitment: async () => this.latestCommitment(stream),
      leafInputs: async (start, end) => this.leafInputs(stream, start, end),
      insertCommitment: async (c) => {
        this.stmt(
          `INSERT INTO ves_commitments (batch_id, tenant_id, store_id, ves_version, tree_depth, leaf_count,
             padded_leaf_count, merkle_root, prev_state_root, new_state_root, sequence_start, sequence_end, committed_at,
             chain_id, chain_tx_hash, chain_block_number, anchored_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          c.batchId,
          c.tenantId,
          c.storeId,
          c.vesVersion,
          c.treeDepth,
          c.leafCount,
          c.paddedLeafCount,
          buf(c.merkleRoot),
          buf(c.prevStateRoot),
          buf(c.newStateRoot),
          c.sequenceStart,
          c.sequenceEnd,
          c.committedAt,
          c.chainId,
          c.chainTxHash === null ? null : buf(c.chainTxHash),
          c.chainBlockNumber,
          c.anchoredAt,
        );
      },
    };
  }

  appendEvents(stream: StreamRef, candidates: readonly EventCandidate[], receipt: ReceiptFactory) {
    return this.write(() => appendInTx(this.streamTx(stream), stream, candidates, receipt));
  }

  async importStream(
    stream: StreamRef,
    events: readonly ImportedEvent[],
    commitments: readonly StoredCommitment[],
  ): Promise<ImportResult> {
    try {
      return await this.write(() => importInTx(this.streamTx(stream), events, commitments));
    } catch (e) {
      if (e instanceof ImportRejected) return { kind: "rejected", message: e.message };
      if (
        (e as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
        (e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE"
      ) {
        return { kind: "rejected", message: (e as Error).message };
      }
      throw e;
    }
  }

  getEventsById(eventIds: readonly string[]): Promise<Map<string, StoredEvent>> {
    return this.read(() => {
      const out = new Map<string, StoredEvent>();
      const stmt = this.stmt(`${EVENT_SELECT} WHERE e.event_id = ?`);
      for (const id of eventIds) {
        const r = stmt.get(id) as Row | undefined;
        if (r !== undefined) out.set(id, toEvent(r));
      }
      return out;
    });
  }

  listEvents(stream: StreamRef, from: bigint, limit: number): Promise<StoredEvent[]> {
    return this.read(() => {
      const rows = this.stmt(
        `${EVENT_SELECT} WHERE e.tenant_id = ? AND e.store_id = ? AND e.sequence_number >= ?
           ORDER BY e.sequence_number LIMIT ?`,
      ).all(stream.tenantId, stream.storeId, from, limit) as Row[];
      return rows.map(toEvent);
    });
  }

  entityHistory(stream: StreamRef, entity: EntityRef, from: number, limit: number): Promise<EntityHistory> {
    return this.read(() => {
      const rows = this.stmt(entityHistorySql((name) => `@${name}`)).all({
        tenant: stream.tenantId,
        store: stream.storeId,
        type: entity.entityType,
        id: entity.entityId,
        limit,
        offset: from,
      }) as Row[];
      return toEntityHistory(rows);
    });
  }

  headSequence(stream: StreamRef): Promise<bigint> {
    return this.read(() => {
      const r = this.stmt(
        "SELECT current_sequence FROM ves_sequence_counters WHERE tenant_id = ? AND store_id = ?",
      ).get(stream.tenantId, stream.storeId) as Row | undefined;
      return r === undefined ? 0n : big(r.current_sequence);
    });
  }

  createCommitment(stream: StreamRef, start: bigint, end: bigint, batchId: string, build: CommitmentBuilder) {
    return this.write(() =>
      createCommitmentInTx(this.streamTx(stream), stream, start, end, batchId, nowRfc3339(), build),
    );
  }

  getCommitment(batchId: string): Promise<StoredCommitment | null> {
    return this.read(() => {
      const r = this.stmt("SELECT * FROM ves_commitments WHERE batch_id = ?").get(batchId) as Row | undefined;
      return r === undefined ? null : toCommitment(r);
    });
  }

  commitmentForSequence(stream: StreamRef, sequenceNumber: bigint): Promise<StoredCommitment | null> {
    return this.read(() => {
      const r = this.stmt(
        `SELECT * FROM ves_commitments WHERE tenant_id = ? AND store_id = ?
             AND sequence_start <= ? AND sequence_end >= ?`,
      ).get(stream.tenantId, stream.storeId, sequenceNumber, sequenceNumber) as Row | undefined;
      return r === undefined ? null : toCommitment(r);
    });
  }

  latestCommitment(stream: StreamRef): Promise<StoredCommitment | null> {
    return this.read(() => {
      const r = this.stmt(
        "SELECT * FROM ves_commitments WHERE tenant_id = ? AND store_id = ? ORDER BY sequence_end DESC LIMIT 1",
      ).get(stream.tenantId, stream.storeId) as Row | undefined;
      return r === undefined ? null : toCommitment(r);
    });
  }

  listCommitments(
    stream: StreamRef,
    options: { readonly anchored?: boolean; readonly afterSequence?: bigint; readonly limit: number },
  ): Promise<StoredCommitment[]> {
    return this.read(() => {
      const anchoredClause =
        options.anchored === undefined
          ? ""
          : options.anchored
            ? "AND chain_tx_hash IS NOT NULL"
            : "AND chain_tx_hash IS NULL";
      const rows = this.stmt(
        `SELECT * FROM ves_commitments WHERE tenant_id = ? AND store_id = ? AND sequence_start > ? ${anchoredClause}
           ORDER BY sequence_start LIMIT ?`,
      ).all(stream.tenantId, stream.storeId, options.afterSequence ?? 0n, options.limit) as Row[];
      return rows.map(toCommitment);
    });
  }

  pendingAnchors(limit: number): Promise<StoredCommitment[]> {
    return this.read(() => {
      const rows = this.stmt(
        "SELECT * FROM ves_commitments WHERE chain_tx_hash IS NULL ORDER BY committed_at, sequence_start LIMIT ?",
      ).all(limit) as Row[];
      return rows.map(toCommitment);
    });
  }

  markAnchored(
    batchId: string,
    anchor: { readonly chainId: bigint; readonly txHash: Uint8Array; readonly blockNumber: bigint | null },
  ): Promise<MarkAnchoredResult> {
    return this.write(async () => {
      const current = await this.getCommitment(batchId);
      if (current === null) return { kind: "not_found" };
      if (current.chainTxHash !== null) {
        const same = Buffer.compare(buf(current.chainTxHash), buf(anchor.txHash)) === 0;
        return same ? { kind: "already_anchored", commitment: current } : { kind: "conflict", commitment: current };
      }
      this.stmt(
        `UPDATE ves_commitments SET chain_id = ?, chain_tx_hash = ?, chain_block_number = ?, anchored_at = ?
           WHERE batch_id = ?`,
      ).run(anchor.chainId, buf(anchor.txHash), anchor.blockNumber, nowRfc3339(), batchId);
      return { kind: "anchored", commitment: (await this.getCommitment(batchId))! };
    });
  }

  unmarkAnchored(batchId: string): Promise<UnmarkAnchoredResult> {
    return this.write(async () => {
      const current = await this.getCommitment(batchId);
      if (current === null) return { kind: "not_found" };
      if (current.chainTxHash === null) return { kind: "not_anchored", commitment: current };
      this.stmt(
        `UPDATE ves_commitments SET chain_id = NULL, chain_tx_hash = NULL, chain_block_number = NULL, anchored_at = NULL
           WHERE batch_id = ?`,
      ).run(batchId);
      return { kind: "unanchored", commitment: (await this.getCommitment(batchId))! };
    });
  }

  leafInputs(stream: StreamRef, start: bigint, end: bigint): Promise<LeafInput[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT sequence_number, event_signing_hash, agent_signature FROM ves_events
           WHERE tenant_id = ? AND store_id = ? AND sequence_number BETWEEN ? AND ? ORDER BY sequence_number`,
      ).all(stream.tenantId, stream.storeId, start, end) as Row[];
      return rows.map(toLeaf);
    });
  }

  pendingStreams(limit: number): Promise<PendingStream[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT s.tenant_id, s.store_id, s.current_sequence AS head,
                  COALESCE((SELECT MAX(c.sequence_end) FROM ves_commitments c
                            WHERE c.tenant_id = s.tenant_id AND c.store_id = s.store_id), 0) AS committed
           FROM ves_sequence_counters s
           WHERE s.current_sequence > COALESCE((SELECT MAX(c.sequence_end) FROM ves_commitments c
                                                WHERE c.tenant_id = s.tenant_id AND c.store_id = s.store_id), 0)
           LIMIT ?`,
      ).all(limit) as Row[];
      const at = this.stmt(
        "SELECT sequenced_at FROM ves_events WHERE tenant_id = ? AND store_id = ? AND sequence_number = ?",
      );
      return rows.map((r) => {
        const firstPending = big(r.committed) + 1n;
        const first = at.get(r.tenant_id, r.store_id, firstPending) as Row | undefined;
        return {
          tenantId: r.tenant_id as string,
          storeId: r.store_id as string,
          firstPending,
          headSequence: big(r.head),
          oldestPendingAt: (first?.sequenced_at as string | undefined) ?? nowRfc3339(),
        };
      });
    });
  }

  listStreams(tenantId: string, limit: number): Promise<StreamHead[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT store_id, current_sequence FROM ves_sequence_counters
           WHERE tenant_id = ? AND current_sequence > 0 ORDER BY store_id LIMIT ?`,
      ).all(tenantId, limit) as Row[];
      return rows.map((r) => ({ tenantId, storeId: r.store_id as string, headSequence: big(r.current_sequence) }));
    });
  }

  async insertAgentKey(key: AgentKey): Promise<boolean> {
    return this.write(async () => {
      const info = this.stmt(
        `INSERT INTO agent_signing_keys (tenant_id, agent_id, key_id, public_key, status, valid_from, valid_to,
             revoked_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(
        key.tenantId,
        key.agentId,
        key.keyId,
        buf(key.publicKey),
        key.status,
        key.validFrom,
        key.validTo,
        key.revokedAt,
        key.createdAt,
      );
      return info.changes === 1;
    });
  }

  getAgentKey(tenantId: string, agentId: string, keyId: number): Promise<AgentKey | null> {
    return this.read(() => {
      const r = this.stmt("SELECT * FROM agent_signing_keys WHERE tenant_id = ? AND agent_id = ? AND key_id = ?").get(
        tenantId,
        agentId,
        keyId,
      ) as Row | undefined;
      return r === undefined ? null : toAgentKey(r);
    });
  }

  listAgentKeys(tenantId: string, agentId: string): Promise<AgentKey[]> {
    return this.read(() => {
      const rows = this.stmt(
        "SELECT * FROM agent_signing_keys WHERE tenant_id = ? AND agent_id = ? ORDER BY key_id",
      ).all(tenantId, agentId) as Row[];
      return rows.map(toAgentKey);
    });
  }

  revokeAgentKey(tenantId: string, agentId: string, keyId: number, at: string): Promise<AgentKey | null> {
    return this.write(async () => {
      this.stmt(
        `UPDATE agent_signing_keys SET status = 'revoked', revoked_at = ?
           WHERE tenant_id = ? AND agent_id = ? AND key_id = ? AND status <> 'revoked'`,
      ).run(at, tenantId, agentId, keyId);
      return this.getAgentKey(tenantId, agentId, keyId);
    });
  }

  insertApiKey(record: ApiKeyRecord): Promise<void> {
    return this.write(async () => this.insertApiKeyNow(record));
  }

  private insertApiKeyNow(record: ApiKeyRecord): void {
    this.stmt(
      `INSERT INTO api_keys (key_hash, tenant_id, store_ids, can_read, can_write, can_admin, agent_id, active,
           created_at, key_prefix, label, rate_limit, last_used_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      buf(record.keyHash),
      record.tenantId,
      JSON.stringify(record.storeIds),
      record.canRead ? 1 : 0,
      record.canWrite ? 1 : 0,
      record.canAdmin ? 1 : 0,
      record.agentId,
      record.active ? 1 : 0,
      record.createdAt,
      keyPrefixOf(record.keyHash),
      record.label ?? null,
      record.rateLimit ?? null,
      record.lastUsedAt ?? null,
      record.revokedAt ?? null,
    );
    if (record.canProve === true)
      this.stmt("UPDATE api_keys SET can_prove = 1 WHERE key_hash = ?").run(buf(record.keyHash));
  }

  getApiKey(keyHash: Uint8Array): Promise<ApiKeyRecord | null> {
    return this.read(() => this.getApiKeyNow(keyHash));
  }

  private getApiKeyNow(keyHash: Uint8Array): ApiKeyRecord | null {
    const r = this.stmt("SELECT * FROM api_keys WHERE key_hash = ?").get(buf(keyHash)) as Row | undefined;
    return r === undefined ? null : toApiKey(r);
  }

  listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]> {
    return this.read(() => {
      const rows = (
        tenantId === undefined
          ? this.stmt("SELECT * FROM api_keys ORDER BY created_at, key_prefix").all()
          : this.stmt("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_prefix").all(tenantId)
      ) as Row[];
      return rows.map(toApiKey);
    });
  }

  findApiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]> {
    return this.read(() => {
      const rows = this.stmt("SELECT * FROM api_keys WHERE substr(key_prefix, 1, ?) = ? ORDER BY created_at").all(
        prefix.length,
        prefix,
      ) as Row[];
      return rows.map(toApiKey);
    });
  }

  revokeApiKey(keyHash: Uint8Array, at: string): Promise<ApiKeyRecord | null> {
    return this.write(async () => {
      this.stmt("UPDATE api_keys SET active = 0, revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL").run(
        at,
        buf(keyHash),
      );
      return this.getApiKeyNow(keyHash);
    });
  }

  rotateApiKey(oldKeyHash: Uint8Array, replacement: ApiKeyRecord, at: string): Promise<ApiKeyRecord | null> {
    return this.write(async () => {
      const info = this.stmt(
        "UPDATE api_keys SET active = 0, revoked_at = ? WHERE key_hash = ? AND active = 1 AND revoked_at IS NULL",
      ).run(at, buf(oldKeyHash));
      if (info.changes !== 1) return null;
      this.insertApiKeyNow(replacement);
      return this.getApiKeyNow(replacement.keyHash);
    });
  }

  touchApiKey(keyHash: Uint8Array, at: string): Promise<void> {
    return this.write(async () => {
      this.stmt("UPDATE api_keys SET last_used_at = ? WHERE key_hash = ?").run(at, buf(keyHash));
    });
  }

  registerSequencerKey(sequencerId: string, publicKey: Uint8Array, at: string): Promise<SequencerKeyRecord> {
    return this.write(async () => {
      const find = () =>
        this.stmt("SELECT * FROM sequencer_keys WHERE sequencer_id = ? AND public_key = ?").get(
          sequencerId,
          buf(publicKey),
        ) as Row | undefined;
      const existing = find();
      if (existing !== undefined) return toSequencerKey(existing);
      this.stmt(
        `INSERT INTO sequencer_keys (sequencer_id, version, public_key, origin, created_at)
           SELECT ?, COALESCE(MAX(version) + 1, 0), ?, 'local', ? FROM sequencer_keys WHERE sequencer_id = ?`,
      ).run(sequencerId, buf(publicKey), at, sequencerId);
      return toSequencerKey(find()!);
    });
  }

  importSequencerKey(key: SequencerKeyRecord): Promise<boolean> {
    return this.write(async () => {
      this.stmt(
        `INSERT INTO sequencer_keys (sequencer_id, version, public_key, origin, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
      ).run(key.sequencerId, key.version, buf(key.publicKey), key.origin, key.createdAt);
      const r = this.stmt("SELECT * FROM sequencer_keys WHERE sequencer_id = ? AND version = ?").get(
        key.sequencerId,
        key.version,
      ) as Row | undefined;
      return r !== undefined && Buffer.compare(r.public_key as Buffer, buf(key.publicKey)) === 0;
    });
  }

  listSequencerKeys(): Promise<SequencerKeyRecord[]> {
    return this.read(() =>
      (this.stmt("SELECT * FROM sequencer_keys ORDER BY sequencer_id, version").all() as Row[]).map(toSequencerKey),
    );
  }

  insertSchema(schema: Omit<PayloadSchemaRecord, "version">): Promise<PayloadSchemaRecord> {
    return this.write(async () => {
      this.stmt(
        `INSERT INTO payload_schemas (schema_id, tenant_id, event_type, version, schema_json, status, description,
             created_at, updated_at)
           SELECT ?, ?, ?, COALESCE(MAX(version) + 1, 1), ?, ?, ?, ?, ? FROM payload_schemas
           WHERE tenant_id = ? AND event_type = ?`,
      ).run(
        schema.schemaId,
        schema.tenantId,
        schema.eventType,
        schema.schemaJson,
        schema.status,
        schema.description,
        schema.createdAt,
        schema.updatedAt,
        schema.tenantId,
        schema.eventType,
      );
      return this.getSchemaNow(schema.schemaId)!;
    });
  }

  private getSchemaNow(schemaId: string): PayloadSchemaRecord | null {
    const r = this.stmt("SELECT * FROM payload_schemas WHERE schema_id = ? AND deleted_at IS NULL").get(schemaId) as
      Row | undefined;
    return r === undefined ? null : toSchema(r);
  }

  getSchema(schemaId: string): Promise<PayloadSchemaRecord | null> {
    return this.read(() => this.getSchemaNow(schemaId));
  }

  listSchemas(tenantId: string, eventType?: string): Promise<PayloadSchemaRecord[]> {
    return this.read(() =>
      (
        this.stmt(
          `SELECT * FROM payload_schemas WHERE tenant_id = ? AND (? IS NULL OR event_type = ?) AND deleted_at IS NULL
             ORDER BY event_type, version`,
        ).all(tenantId, eventType ?? null, eventType ?? null) as Row[]
      ).map(toSchema),
    );
  }

  activeSchema(tenantId: string, eventType: string): Promise<PayloadSchemaRecord | null> {
    return this.read(() => {
      const r = this.stmt(
        `SELECT * FROM payload_schemas WHERE tenant_id = ? AND event_type = ? AND status = 'active'
             AND deleted_at IS NULL ORDER BY version DESC LIMIT 1`,
      ).get(tenantId, eventType) as Row | undefined;
      return r === undefined ? null : toSchema(r);
    });
  }

  setSchemaStatus(schemaId: string, status: SchemaStatus, at: string): Promise<PayloadSchemaRecord | null> {
    return this.write(async () => {
      this.stmt("UPDATE payload_schemas SET status = ?, updated_at = ? WHERE schema_id = ? AND deleted_at IS NULL").run(
        status,
        at,
        schemaId,
      );
      return this.getSchemaNow(schemaId);
    });
  }

  deleteSchema(schemaId: string, at: string): Promise<boolean> {
    return this.write(async () => {
      const info = this.stmt(
        "UPDATE payload_schemas SET deleted_at = ? WHERE schema_id = ? AND deleted_at IS NULL",
      ).run(at, schemaId);
      return info.changes === 1;
    });
  }

  hitRateLimit(bucket: string, windowStart: number, windowMs: number) {
    return this.write(async () => {
      const r = this.stmt(
        `INSERT INTO rate_limit_counters (bucket, window_start, count) VALUES (?, ?, 1)
           ON CONFLICT (bucket, window_start) DO UPDATE SET count = count + 1 RETURNING count`,
      ).get(bucket, windowStart) as Row;
      const current = Number(r.count);
      if (current === 1) {
        this.stmt("DELETE FROM rate_limit_counters WHERE bucket = ? AND window_start < ?").run(
          bucket,
          windowStart - windowMs,
        );
      }
      const prev = this.stmt("SELECT count FROM rate_limit_counters WHERE bucket = ? AND window_start = ?").get(
        bucket,
        windowStart - windowMs,
      ) as Row | undefined;
      return { current, previous: prev === undefined ? 0 : Number(prev.count) };
    });
  }

  createTenant(tenant: TenantRecord): Promise<boolean> {
    return this.write(async () => {
      const info = this.stmt(
        "INSERT INTO tenants (tenant_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ).run(tenant.tenantId, tenant.name, tenant.createdAt);
      return info.changes === 1;
    });
  }

  getTenant(tenantId: string): Promise<TenantRecord | null> {
    return this.read(() => {
      const r = this.stmt("SELECT * FROM tenants WHERE tenant_id = ?").get(tenantId) as Row | undefined;
      return r === undefined ? null : toTenant(r);
    });
  }

  listTenants(): Promise<TenantRecord[]> {
    return this.read(() =>
      (this.stmt("SELECT * FROM tenants ORDER BY created_at, tenant_id").all() as Row[]).map(toTenant),
    );
  }

  createTenantStore(store: TenantStoreRecord): Promise<boolean> {
    return this.write(async () => {
      const info = this.stmt(
        "INSERT INTO tenant_stores (tenant_id, store_id, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ).run(store.tenantId, store.storeId, store.name, store.createdAt);
      return info.changes === 1;
    });
  }

  listTenantStores(tenantId: string): Promise<TenantStoreRecord[]> {
    return this.read(() =>
      (
        this.stmt("SELECT * FROM tenant_stores WHERE tenant_id = ? ORDER BY created_at, store_id").all(
          tenantId,
        ) as Row[]
      ).map(toTenantStore),
    );
  }

  appendAudit(entry: AuditEntryInput): Promise<void> {
    return this.write(async () => {
      this.stmt("INSERT INTO audit_log (at, actor, action, tenant_id, target, details) VALUES (?, ?, ?, ?, ?, ?)").run(
        entry.at,
        entry.actor,
        entry.action,
        entry.tenantId,
        entry.target,
        JSON.stringify(entry.details),
      );
    });
  }

  listAudit(options: { readonly tenantId?: string; readonly beforeId?: bigint; readonly limit: number }) {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT * FROM audit_log WHERE (? IS NULL OR tenant_id = ?) AND id < ? ORDER BY id DESC LIMIT ?`,
      ).all(
        options.tenantId ?? null,
        options.tenantId ?? null,
        options.beforeId ?? 2n ** 63n - 1n,
        options.limit,
      ) as Row[];
      return rows.map(toAudit);
    });
  }

  async tryAcquireLeadership(): Promise<boolean> {
    return true;
  }

  async releaseLeadership(): Promise<void> {}
}
