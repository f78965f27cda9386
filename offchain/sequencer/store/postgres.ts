/**
 * PostgreSQL backend (`pg` pool): the production store, shared by several sequencer processes. Each write to a stream
 * is one READ COMMITTED transaction on one pooled client that first upserts the stream's counter row at 0 and locks it
 * with `SELECT … FOR UPDATE`: writers of one stream are serialized across processes, other streams run in parallel.
 * The shared rules of stream-tx.ts run inside that transaction. Ids and RFC 3339 times are TEXT (returned exactly as
 * written), hashes BYTEA, sequences BIGINT (read back as bigint). Migrations are versioned and serialized by a
 * transaction-scoped advisory lock; commit-worker leadership is a session advisory lock on a dedicated client.
 */
import { createHash } from "node:crypto";

import { Pool, type PoolClient } from "pg";

import { AppError, ExitCode } from "../../common";

import { ImportRejected, appendInTx, createCommitmentInTx, importInTx, type StreamTx } from "./stream-tx";
import type {
  EntityHistory,
  EntityRef,
  AgentKey,
  AppendResult,
  ApiKeyRecord,
  AuditEntry,
  AuditEntryInput,
  CommitmentBuilder,
  CreateCommitmentResult,
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
  ENTITY_HISTORY_PARAMS,
  EVENT_SELECT,
  entityHistorySql,
  toEntityHistory,
  big,
  buf,
  bytes,
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
import { anchorLeaseMigration, postgresAnchorLease, type AnchorLeaseStore } from "./anchor-lease";
import { postgresProofStore, proofsMigration, type ProofStore } from "./proofs";

const MIGRATIONS: readonly string[] = [
  // 1: events, receipts, counters, dedupe, entity versions, commitments, keys (the SQLite schema in PostgreSQL types).
  `
  CREATE TABLE ves_events (
    event_id            TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    store_id            TEXT NOT NULL,
    sequence_number     BIGINT NOT NULL CHECK (sequence_number >= 1),
    source_agent_id     TEXT NOT NULL,
    agent_key_id        BIGINT NOT NULL,
    entity_type         TEXT NOT NULL,
    entity_id           TEXT NOT NULL,
    event_type          TEXT NOT NULL,
    command_id          TEXT,
    base_version        TEXT,
    event_signing_hash  BYTEA NOT NULL CHECK (octet_length(event_signing_hash) = 32),
    agent_signature     BYTEA NOT NULL CHECK (octet_length(agent_signature) = 64),
    content_hash        BYTEA NOT NULL,
    envelope_json       TEXT NOT NULL,
    sequencer_id        TEXT NOT NULL,
    sequenced_at        TEXT NOT NULL,
    receipt_hash        BYTEA NOT NULL,
    receipt_signature   BYTEA,
    receipt_key_version INTEGER NOT NULL,
    UNIQUE (tenant_id, store_id, sequence_number)
  );
  CREATE TABLE ves_sequence_counters (
    tenant_id        TEXT NOT NULL,
    store_id         TEXT NOT NULL,
    current_sequence BIGINT NOT NULL,
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
    version     BIGINT NOT NULL,
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
    merkle_root        BYTEA NOT NULL,
    prev_state_root    BYTEA NOT NULL,
    new_state_root     BYTEA NOT NULL,
    sequence_start     BIGINT NOT NULL,
    sequence_end       BIGINT NOT NULL,
    committed_at       TEXT NOT NULL,
    chain_id           BIGINT,
    chain_tx_hash      BYTEA,
    chain_block_number BIGINT,
    anchored_at        TEXT,
    CHECK (leaf_count = sequence_end - sequence_start + 1),
    UNIQUE (tenant_id, store_id, sequence_start)
  );
  CREATE INDEX ves_commitments_by_end ON ves_commitments (tenant_id, store_id, sequence_end);
  CREATE INDEX ves_commitments_unanchored ON ves_commitments (committed_at) WHERE chain_tx_hash IS NULL;
  CREATE TABLE agent_signing_keys (
    tenant_id  TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    key_id     BIGINT NOT NULL,
    public_key BYTEA NOT NULL CHECK (octet_length(public_key) = 32),
    status     TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    valid_from TEXT,
    valid_to   TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, key_id),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
  );
  CREATE TABLE api_keys (
    key_hash   BYTEA PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    store_ids  TEXT[] NOT NULL,
    can_read   BOOLEAN NOT NULL,
    can_write  BOOLEAN NOT NULL,
    can_admin  BOOLEAN NOT NULL,
    agent_id   TEXT,
    active     BOOLEAN NOT NULL,
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
  UPDATE api_keys SET key_prefix = encode(substring(key_hash FROM 1 FOR 6), 'hex');
  CREATE INDEX api_keys_by_prefix ON api_keys (key_prefix text_pattern_ops);
  CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);
  CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    public_key   BYTEA NOT NULL CHECK (octet_length(public_key) = 32),
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
  proofsMigration("postgres"),
];

/** SQLSTATEs after which a whole write transaction is tried once more: unique, serialization and deadlock. */
const RETRYABLE = new Set(["23505", "40001", "40P01"]);

/**
 * Thrown at flush when another stream committed one of the request's event ids after the prefetch: the transaction is
 * run again, and its prefetch then sees that event (so the rules answer `duplicate_event_id`).
 */
class EventIdRace extends Error {
  constructor(readonly eventIds: readonly string[]) {
    super(`event ids stored meanwhile by another stream: ${eventIds.join(", ")}`);
  }
}

/** How many times a transaction may meet an event-id race before the error is surfaced. */
const MAX_RACE_ATTEMPTS = 4;
/** Rows per multi-row INSERT of events (20 parameters each, well under PostgreSQL's 65,535). */
const INSERT_CHUNK = 1000;

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(buf(a), buf(b)) === 0;

/** A signed 64-bit advisory-lock key (decimal text) derived from a name. */
function advisoryKey(name: string): string {
  return createHash("sha256").update(name, "utf8").digest().readBigInt64BE(0).toString();
}

const MIGRATION_LOCK = advisoryKey("ves-sequencer:migrations");
const leadershipKey = (name: string) => advisoryKey(`ves-sequencer:leadership:${name}`);

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const LEAF_SELECT = `
  SELECT sequence_number, event_signing_hash, agent_signature FROM ves_events
  WHERE tenant_id = $1 AND store_id = $2 AND sequence_number BETWEEN $3 AND $4 ORDER BY sequence_number`;

/** Something that runs a parameterized query: the pool or one client. */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/**
 * One stream's transaction on a locked client. What the rules will read about the request's event ids, command ids
 * and entity versions is fetched in one query each after the lock; events, command reservations and entity-version
 * bumps are written at `flush` in a few multi-row statements, so an append costs a handful of round trips whatever
 * its size. An event id that another stream stored between the prefetch and the flush fails the flush with
 * `EventIdRace`, and the whole transaction is run again.
 */
class PgStreamTx implements StreamTx {
  private current = 0n;
  /** Known events by id (null: known absent); a miss goes to the database. */
  private readonly events = new Map<string, StoredEvent | null>();
  /** Known command reservations of this stream (null: known free). */
  private readonly commands = new Map<string, string | null>();
  private readonly pendingCommands: [string, string][] = [];
  /** Insert parameters of the accepted events, in sequence order. */
  private readonly pendingEvents: unknown[][] = [];
  /** Known entity versions, including this transaction's bumps. */
  private readonly versions = new Map<string, bigint>();
  private readonly bumps = new Map<string, { type: string; id: string; by: bigint }>();

  constructor(
    private readonly db: PoolClient,
    private readonly stream: StreamRef,
  ) {}

  /** Creates the counter row at 0 if needed and locks it for the rest of the transaction. */
  async lock(): Promise<void> {
    const { tenantId, storeId } = this.stream;
    await this.db.query(
      `INSERT INTO ves_sequence_counters (tenant_id, store_id, current_sequence) VALUES ($1, $2, 0)
       ON CONFLICT (tenant_id, store_id) DO NOTHING`,
      [tenantId, storeId],
    );
    const r = await this.db.query<Row>(
      "SELECT current_sequence FROM ves_sequence_counters WHERE tenant_id = $1 AND store_id = $2 FOR UPDATE",
      [tenantId, storeId],
    );
    this.current = big(r.rows[0]?.current_sequence ?? 0);
  }

  /** Loads, under the lock, what the rules will read about `candidates`. */
  async prefetch(candidates: readonly EventCandidate[]): Promise<void> {
    const { tenantId, storeId } = this.stream;
    const ids = [...new Set(candidates.map((c) => c.eventId))];
    const found = await this.db.query<Row>(`${EVENT_SELECT} WHERE e.event_id = ANY($1::text[])`, [ids]);
    for (const id of ids) this.events.set(id, null);
    for (const r of found.rows) this.events.set(r.event_id as string, toEvent(r));

    const commandIds = [...new Set(candidates.flatMap((c) => (c.commandId === undefined ? [] : [c.commandId])))];
    if (commandIds.length > 0) {
      const owners = await this.db.query<Row>(
        `SELECT command_id, event_id FROM ves_command_dedupe
         WHERE tenant_id = $1 AND store_id = $2 AND command_id = ANY($3::text[])`,
        [tenantId, storeId, commandIds],
      );
      for (const id of commandIds) this.commands.set(id, null);
      for (const r of owners.rows) this.commands.set(r.command_id as string, r.event_id as string);
    }

    const entities = new Map<string, { type: string; id: string }>();
    for (const c of candidates) {
      if (c.baseVersion !== undefined)
        entities.set(entityKey(c.entityType, c.entityId), { type: c.entityType, id: c.entityId });
    }
    if (entities.size > 0) {
      const list = [...entities.values()];
      const rows = await this.db.query<Row>(
        `SELECT v.entity_type, v.entity_id, v.version
         FROM unnest($3::text[], $4::text[]) AS k(entity_type, entity_id)
         JOIN entity_versions v ON v.tenant_id = $1 AND v.store_id = $2
           AND v.entity_type = k.entity_type AND v.entity_id = k.entity_id`,
        [tenantId, storeId, list.map((e) => e.type), list.map((e) => e.id)],
      );
      for (const key of entities.keys()) this.versions.set(key, 0n);
      for (const r of rows.rows) {
        this.versions.set(entityKey(r.entity_type as string, r.entity_id as string), big(r.version));
      }
    }
  }

  /** Writes the deferred events, command reservations and entity-version bumps. */
  async flush(): Promise<void> {
    const { tenantId, storeId } = this.stream;
    for (let i = 0; i < this.pendingEvents.length; i += INSERT_CHUNK) {
      const chunk = this.pendingEvents.slice(i, i + INSERT_CHUNK);
      const width = 20;
      const values = chunk.map(
        (_, r) => `(${Array.from({ length: width }, (_, k) => `$${r * width + k + 1}`).join(", ")})`,
      );
      const inserted = await this.db.query<Row>(
        `INSERT INTO ves_events (event_id, tenant_id, store_id, sequence_number, source_agent_id, agent_key_id,
           entity_type, entity_id, event_type, command_id, base_version, event_signing_hash, agent_signature,
           content_hash, envelope_json, sequencer_id, sequenced_at, receipt_hash, receipt_signature,
           receipt_key_version)
         VALUES ${values.join(", ")}
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        chunk.flat(),
      );
      if (inserted.rows.length !== chunk.length) {
        const done = new Set(inserted.rows.map((r) => r.event_id as string));
        throw new EventIdRace(chunk.map((p) => p[0] as string).filter((id) => !done.has(id)));
      }
    }
    this.pendingEvents.length = 0;
    if (this.pendingCommands.length > 0) {
      await this.db.query(
        `INSERT INTO ves_command_dedupe (tenant_id, store_id, command_id, event_id)
         SELECT $1, $2, k.command_id, k.event_id FROM unnest($3::text[], $4::text[]) AS k(command_id, event_id)`,
        [tenantId, storeId, this.pendingCommands.map((p) => p[0]), this.pendingCommands.map((p) => p[1])],
      );
      this.pendingCommands.length = 0;
    }
    if (this.bumps.size > 0) {
      const list = [...this.bumps.values()];
      await this.db.query(
        `INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version)
         SELECT $1, $2, k.entity_type, k.entity_id, k.by
         FROM unnest($3::text[], $4::text[], $5::bigint[]) AS k(entity_type, entity_id, by)
         ON CONFLICT (tenant_id, store_id, entity_type, entity_id)
         DO UPDATE SET version = entity_versions.version + excluded.version`,
        [tenantId, storeId, list.map((b) => b.type), list.map((b) => b.id), list.map((b) => b.by.toString())],
      );
      this.bumps.clear();
    }
  }

  async head(): Promise<bigint> {
    return this.current;
  }

  async setHead(sequence: bigint): Promise<void> {
    await this.db.query(
      "UPDATE ves_sequence_counters SET current_sequence = $3 WHERE tenant_id = $1 AND store_id = $2",
      [this.stream.tenantId, this.stream.storeId, sequence.toString()],
    );
    this.current = sequence;
  }

  async eventById(eventId: string): Promise<StoredEvent | null> {
    const known = this.events.get(eventId);
    if (known !== undefined) return known;
    const r = await this.db.query<Row>(`${EVENT_SELECT} WHERE e.event_id = $1`, [eventId]);
    const row = r.rows[0];
    return row === undefined ? null : toEvent(row);
  }

  async commandEventId(commandId: string): Promise<string | null> {
    const known = this.commands.get(commandId);
    if (known !== undefined) return known;
    const r = await this.db.query<Row>(
      "SELECT event_id FROM ves_command_dedupe WHERE tenant_id = $1 AND store_id = $2 AND command_id = $3",
      [this.stream.tenantId, this.stream.storeId, commandId],
    );
    const row = r.rows[0];
    return row === undefined ? null : (row.event_id as string);
  }

  async entityVersion(entityType: string, entityId: string): Promise<bigint> {
    const known = this.versions.get(entityKey(entityType, entityId));
    if (known !== undefined) return known;
    const r = await this.db.query<Row>(
      `SELECT version FROM entity_versions
       WHERE tenant_id = $1 AND store_id = $2 AND entity_type = $3 AND entity_id = $4`,
      [this.stream.tenantId, this.stream.storeId, entityType, entityId],
    );
    const row = r.rows[0];
    return (row === undefined ? 0n : big(row.version)) + (this.bumps.get(entityKey(entityType, entityId))?.by ?? 0n);
  }

  async insertEvent(c: EventCandidate, seq: bigint, r: StoredReceipt): Promise<boolean> {
    const { tenantId, storeId } = this.stream;
    this.pendingEvents.push([
      c.eventId,
      tenantId,
      storeId,
      seq.toString(),
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
    ]);
    // The same id again in this request reads this (the row it will become).
    this.events.set(c.eventId, {
      tenantId,
      storeId,
      eventId: c.eventId,
      sequenceNumber: seq,
      eventSigningHash: c.eventSigningHash,
      agentSignature: c.agentSignature,
      contentHash: c.contentHash,
      envelopeJson: c.envelopeJson,
      receipt: r,
      batchId: null,
    });
    return true;
  }

  async insertCommand(commandId: string, eventId: string): Promise<void> {
    this.pendingCommands.push([commandId, eventId]);
    this.commands.set(commandId, eventId);
  }

  async bumpEntityVersion(entityType: string, entityId: string): Promise<void> {
    const key = entityKey(entityType, entityId);
    const bump = this.bumps.get(key) ?? { type: entityType, id: entityId, by: 0n };
    bump.by += 1n;
    this.bumps.set(key, bump);
    const known = this.versions.get(key);
    if (known !== undefined) this.versions.set(key, known + 1n);
  }

  async commitmentStartingAt(start: bigint): Promise<StoredCommitment | null> {
    const r = await this.db.query<Row>(
      "SELECT * FROM ves_commitments WHERE tenant_id = $1 AND store_id = $2 AND sequence_start = $3",
      [this.stream.tenantId, this.stream.storeId, start.toString()],
    );
    const row = r.rows[0];
    return row === undefined ? null : toCommitment(row);
  }

  latestCommitment(): Promise<StoredCommitment | null> {
    return latestCommitment(this.db, this.stream);
  }

  async leafInputs(start: bigint, end: bigint): Promise<LeafInput[]> {
    const r = await this.db.query<Row>(LEAF_SELECT, [
      this.stream.tenantId,
      this.stream.storeId,
      start.toString(),
      end.toString(),
    ]);
    return r.rows.map(toLeaf);
  }

  async insertCommitment(c: StoredCommitment): Promise<void> {
    await this.db.query(
      `INSERT INTO ves_commitments (batch_id, tenant_id, store_id, ves_version, tree_depth, leaf_count,
         padded_leaf_count, merkle_root, prev_state_root, new_state_root, sequence_start, sequence_end, committed_at,
         chain_id, chain_tx_hash, chain_block_number, anchored_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
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
        c.sequenceStart.toString(),
        c.sequenceEnd.toString(),
        c.committedAt,
        c.chainId?.toString() ?? null,
        c.chainTxHash === null ? null : buf(c.chainTxHash),
        c.chainBlockNumber?.toString() ?? null,
        c.anchoredAt,
      ],
    );
  }
}

function entityKey(entityType: string, entityId: string): string {
  return `${entityType}\u0000${entityId}`;
}

async function latestCommitment(db: Queryable, stream: StreamRef): Promise<StoredCommitment | null> {
  const r = await db.query(
    "SELECT * FROM ves_commitments WHERE tenant_id = $1 AND store_id = $2 ORDER BY sequence_end DESC LIMIT 1",
    [stream.tenantId, stream.storeId],
  );
  const row = r.rows[0];
  return row === undefined ? null : toCommitment(row);
}

/** Inserts an API key on the pool or a transaction's client. */
async function insertApiKey(db: Queryable, record: ApiKeyRecord): Promise<void> {
  await db.query(
    `INSERT INTO api_keys (key_hash, tenant_id, store_ids, can_read, can_write, can_admin, agent_id, active,
       created_at, key_prefix, label, rate_limit, last_used_at, revoked_at)
     VALUES ($1, $2, $3::text[], $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      buf(record.keyHash),
      record.tenantId,
      [...record.storeIds],
      record.canRead,
      record.canWrite,
      record.canAdmin,
      record.agentId,
      record.active,
      record.createdAt,
      keyPrefixOf(record.keyHash),
      record.label ?? null,
      record.rateLimit ?? null,
      record.lastUsedAt ?? null,
      record.revokedAt ?? null,
    ],
  );
  if (record.canProve === true)
    await db.query("UPDATE api_keys SET can_prove = true WHERE key_hash = $1", [buf(record.keyHash)]);
}

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
  return new PostgresStore(pool);
}

class PostgresStore implements SequencerStore {
  readonly kind = "postgres" as const;
  /** Clients holding a leadership's session advisory lock, by leadership name. */
  private readonly leaders = new Map<string, { client: PoolClient; lost: boolean; onError: () => void }>();
  private closed = false;

  readonly proofs: ProofStore = postgresProofStore({
    query: (text, values) => this.query(text, values),
    transaction: (fn) => this.transaction(fn),
  });

  readonly anchorLease: AnchorLeaseStore = postgresAnchorLease({ query: (text, values) => this.query(text, values) });

  constructor(private readonly pool: Pool) {}

  private async query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }> {
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
  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
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
      for (const [i, sql] of MIGRATIONS.entries()) {
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

  // Events ---------------------------------------------------------------------------------------------------------

  async appendEvents(
    stream: StreamRef,
    candidates: readonly EventCandidate[],
    receipt: ReceiptFactory,
  ): Promise<AppendResult> {
    if (candidates.length === 0) return { outcomes: [], headSequence: await this.headSequence(stream) };
    return this.transaction(async (client) => {
      const tx = new PgStreamTx(client, stream);
      await tx.lock();
      await tx.prefetch(candidates);
      const result = await appendInTx(tx, stream, candidates, receipt);
      await tx.flush();
      return result;
    });
  }

  async importStream(
    stream: StreamRef,
    events: readonly ImportedEvent[],
    commitments: readonly StoredCommitment[],
  ): Promise<ImportResult> {
    try {
      return await this.transaction(async (client) => {
        const tx = new PgStreamTx(client, stream);
        await tx.lock();
        await tx.prefetch(events.map((e) => e.candidate));
        const result = await importInTx(tx, events, commitments);
        await tx.flush();
        return result;
      });
    } catch (e) {
      if (e instanceof ImportRejected) return { kind: "rejected", message: e.message };
      if (e instanceof EventIdRace || errorCode(e) === "23505") {
        return {
          kind: "rejected",
          message: `an event, command or commitment of the segment exists: ${(e as Error).message}`,
        };
      }
      throw e;
    }
  }

  async getEventsById(eventIds: readonly string[]): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    if (eventIds.length === 0) return out;
    const r = await this.query(`${EVENT_SELECT} WHERE e.event_id = ANY($1::text[])`, [[...eventIds]]);
    for (const row of r.rows) out.set(row.event_id as string, toEvent(row));
    return out;
  }

  async listEvents(stream: StreamRef, from: bigint, limit: number): Promise<StoredEvent[]> {
    const r = await this.query(
      `${EVENT_SELECT} WHERE e.tenant_id = $1 AND e.store_id = $2 AND e.sequence_number >= $3
       ORDER BY e.sequence_number LIMIT $4`,
      [stream.tenantId, stream.storeId, from.toString(), limit],
    );
    return r.rows.map(toEvent);
  }

  async entityHistory(stream: StreamRef, entity: EntityRef, from: number, limit: number): Promise<EntityHistory> {
    const r = await this.query(
      entityHistorySql((name) => `$${ENTITY_HISTORY_PARAMS.indexOf(name) + 1}`),
      [stream.tenantId, stream.storeId, entity.entityType, entity.entityId, limit, from],
    );
    return toEntityHistory(r.rows);
  }

  async headSequence(stream: StreamRef): Promise<bigint> {
    const r = await this.query(
      "SELECT current_sequence FROM ves_sequence_counters WHERE tenant_id = $1 AND store_id = $2",
      [stream.tenantId, stream.storeId],
    );
    const row = r.rows[0];
    return row === undefined ? 0n : big(row.current_sequence);
  }

  // Commitments ----------------------------------------------------------------------------------------------------

  createCommitment(
    stream: StreamRef,
    start: bigint,
    end: bigint,
    batchId: string,
    build: CommitmentBuilder,
  ): Promise<CreateCommitmentResult> {
    return this.transaction(async (client) => {
      const tx = new PgStreamTx(client, stream);
      await tx.lock();
      return createCommitmentInTx(tx, stream, start, end, batchId, nowRfc3339(), build);
    });
  }

  async getCommitment(batchId: string): Promise<StoredCommitment | null> {
    const r = await this.query("SELECT * FROM ves_commitments WHERE batch_id = $1", [batchId]);
    const row = r.rows[0];
    return row === undefined ? null : toCommitment(row);
  }

  async commitmentForSequence(stream: StreamRef, sequenceNumber: bigint): Promise<StoredCommitment | null> {
    const r = await this.query(
      `SELECT * FROM ves_commitments WHERE tenant_id = $1 AND store_id = $2
         AND sequence_start <= $3 AND sequence_end >= $3`,
      [stream.tenantId, stream.storeId, sequenceNumber.toString()],
    );
    const row = r.rows[0];
    return row === undefined ? null : toCommitment(row);
  }

  latestCommitment(stream: StreamRef): Promise<StoredCommitment | null> {
    return latestCommitment(this.pool, stream);
  }

  async listCommitments(
    stream: StreamRef,
    options: { readonly anchored?: boolean; readonly afterSequence?: bigint; readonly limit: number },
  ): Promise<StoredCommitment[]> {
    const anchoredClause =
      options.anchored === undefined
        ? ""
        : options.anchored
          ? "AND chain_tx_hash IS NOT NULL"
          : "AND chain_tx_hash IS NULL";
    const r = await this.query(
      `SELECT * FROM ves_commitments WHERE tenant_id = $1 AND store_id = $2 AND sequence_start > $3 ${anchoredClause}
       ORDER BY sequence_start LIMIT $4`,
      [stream.tenantId, stream.storeId, (options.afterSequence ?? 0n).toString(), options.limit],
    );
    return r.rows.map(toCommitment);
  }

  async pendingAnchors(limit: number): Promise<StoredCommitment[]> {
    const r = await this.query(
      "SELECT * FROM ves_commitments WHERE chain_tx_hash IS NULL ORDER BY committed_at, sequence_start LIMIT $1",
      [limit],
    );
    return r.rows.map(toCommitment);
  }

  async markAnchored(
    batchId: string,
    anchor: { readonly chainId: bigint; readonly txHash: Uint8Array; readonly blockNumber: bigint | null },
  ): Promise<MarkAnchoredResult> {
    // One conditional UPDATE decides atomically; an anchored commitment never changes again, so the read after a
    // refused update is stable.
    const updated = await this.query(
      `UPDATE ves_commitments SET chain_id = $2, chain_tx_hash = $3, chain_block_number = $4, anchored_at = $5
       WHERE batch_id = $1 AND chain_tx_hash IS NULL RETURNING *`,
      [batchId, anchor.chainId.toString(), buf(anchor.txHash), anchor.blockNumber?.toString() ?? null, nowRfc3339()],
    );
    const row = updated.rows[0];
    if (row !== undefined) return { kind: "anchored", commitment: toCommitment(row) };
    const current = await this.getCommitment(batchId);
    if (current === null) return { kind: "not_found" };
    return current.chainTxHash !== null && sameBytes(current.chainTxHash, anchor.txHash)
      ? { kind: "already_anchored", commitment: current }
      : { kind: "conflict", commitment: current };
  }

  async unmarkAnchored(batchId: string): Promise<UnmarkAnchoredResult> {
    // One conditional UPDATE decides; a commitment that was not anchored is reported as such, unchanged.
    const updated = await this.query(
      `UPDATE ves_commitments SET chain_id = NULL, chain_tx_hash = NULL, chain_block_number = NULL, anchored_at = NULL
       WHERE batch_id = $1 AND chain_tx_hash IS NOT NULL RETURNING *`,
      [batchId],
    );
    const row = updated.rows[0];
    if (row !== undefined) return { kind: "unanchored", commitment: toCommitment(row) };
    const current = await this.getCommitment(batchId);
    return current === null ? { kind: "not_found" } : { kind: "not_anchored", commitment: current };
  }

  async leafInputs(stream: StreamRef, start: bigint, end: bigint): Promise<LeafInput[]> {
    const r = await this.query(LEAF_SELECT, [stream.tenantId, stream.storeId, start.toString(), end.toString()]);
    return r.rows.map(toLeaf);
  }

  async pendingStreams(limit: number): Promise<PendingStream[]> {
    const r = await this.query(
      `SELECT s.tenant_id, s.store_id, s.current_sequence AS head, c.committed,
              (SELECT e.sequenced_at FROM ves_events e
                WHERE e.tenant_id = s.tenant_id AND e.store_id = s.store_id
                  AND e.sequence_number = c.committed + 1) AS oldest
       FROM ves_sequence_counters s
       CROSS JOIN LATERAL (SELECT COALESCE(MAX(m.sequence_end), 0) AS committed FROM ves_commitments m
                           WHERE m.tenant_id = s.tenant_id AND m.store_id = s.store_id) c
       WHERE s.current_sequence > c.committed
       LIMIT $1`,
      [limit],
    );
    return r.rows.map((row) => ({
      tenantId: row.tenant_id as string,
      storeId: row.store_id as string,
      firstPending: big(row.committed) + 1n,
      headSequence: big(row.head),
      oldestPendingAt: (row.oldest as string | null) ?? nowRfc3339(),
    }));
  }

  async listStreams(tenantId: string, limit: number): Promise<StreamHead[]> {
    const r = await this.query(
      `SELECT store_id, current_sequence FROM ves_sequence_counters
       WHERE tenant_id = $1 AND current_sequence > 0 ORDER BY store_id LIMIT $2`,
      [tenantId, limit],
    );
    return r.rows.map((row) => ({
      tenantId,
      storeId: row.store_id as string,
      headSequence: big(row.current_sequence),
    }));
  }

  // Keys -----------------------------------------------------------------------------------------------------------

  async insertAgentKey(key: AgentKey): Promise<boolean> {
    const r = await this.query(
      `INSERT INTO agent_signing_keys (tenant_id, agent_id, key_id, public_key, status, valid_from, valid_to,
         revoked_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      [
        key.tenantId,
        key.agentId,
        key.keyId,
        buf(key.publicKey),
        key.status,
        key.validFrom,
        key.validTo,
        key.revokedAt,
        key.createdAt,
      ],
    );
    return r.rowCount === 1;
  }

  async getAgentKey(tenantId: string, agentId: string, keyId: number): Promise<AgentKey | null> {
    const r = await this.query(
      "SELECT * FROM agent_signing_keys WHERE tenant_id = $1 AND agent_id = $2 AND key_id = $3",
      [tenantId, agentId, keyId],
    );
    const row = r.rows[0];
    return row === undefined ? null : toAgentKey(row);
  }

  async listAgentKeys(tenantId: string, agentId: string): Promise<AgentKey[]> {
    const r = await this.query(
      "SELECT * FROM agent_signing_keys WHERE tenant_id = $1 AND agent_id = $2 ORDER BY key_id",
      [tenantId, agentId],
    );
    return r.rows.map(toAgentKey);
  }

  async revokeAgentKey(tenantId: string, agentId: string, keyId: number, at: string): Promise<AgentKey | null> {
    // The conditional UPDATE keeps the first revocation time; the read after it (a new snapshot) sees the winner.
    await this.query(
      `UPDATE agent_signing_keys SET status = 'revoked', revoked_at = $4
       WHERE tenant_id = $1 AND agent_id = $2 AND key_id = $3 AND status <> 'revoked'`,
      [tenantId, agentId, keyId, at],
    );
    return this.getAgentKey(tenantId, agentId, keyId);
  }

  async insertApiKey(record: ApiKeyRecord): Promise<void> {
    await insertApiKey(this.pool, record);
  }

  async getApiKey(keyHash: Uint8Array): Promise<ApiKeyRecord | null> {
    const r = await this.query("SELECT * FROM api_keys WHERE key_hash = $1", [buf(keyHash)]);
    const row = r.rows[0];
    return row === undefined ? null : toApiKey(row);
  }

  async listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]> {
    const r = await this.query(
      "SELECT * FROM api_keys WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY created_at, key_prefix",
      [tenantId ?? null],
    );
    return r.rows.map(toApiKey);
  }

  async findApiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]> {
    const r = await this.query("SELECT * FROM api_keys WHERE key_prefix LIKE $1 ORDER BY created_at", [
      `${prefix.replace(/[^0-9a-f]/g, "")}%`,
    ]);
    return r.rows.map(toApiKey);
  }

  async revokeApiKey(keyHash: Uint8Array, at: string): Promise<ApiKeyRecord | null> {
    await this.query("UPDATE api_keys SET active = false, revoked_at = $2 WHERE key_hash = $1 AND revoked_at IS NULL", [
      buf(keyHash),
      at,
    ]);
    return this.getApiKey(keyHash);
  }

  rotateApiKey(oldKeyHash: Uint8Array, replacement: ApiKeyRecord, at: string): Promise<ApiKeyRecord | null> {
    return this.transaction(async (client) => {
      const r = await client.query(
        `UPDATE api_keys SET active = false, revoked_at = $2
         WHERE key_hash = $1 AND active AND revoked_at IS NULL RETURNING key_hash`,
        [buf(oldKeyHash), at],
      );
      if (r.rows.length !== 1) return null;
      await insertApiKey(client, replacement);
      const row = (await client.query<Row>("SELECT * FROM api_keys WHERE key_hash = $1", [buf(replacement.keyHash)]))
        .rows[0];
      return row === undefined ? null : toApiKey(row);
    });
  }

  async touchApiKey(keyHash: Uint8Array, at: string): Promise<void> {
    await this.query(
      "UPDATE api_keys SET last_used_at = $2 WHERE key_hash = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
      [buf(keyHash), at],
    );
  }

  // Receipt-signing keys -------------------------------------------------------------------------------------------

  registerSequencerKey(sequencerId: string, publicKey: Uint8Array, at: string): Promise<SequencerKeyRecord> {
    return this.transaction(async (client) => {
      // One registration per sequencer at a time, across processes: they agree on the version.
      await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [
        advisoryKey(`ves-sequencer:keys:${sequencerId}`),
      ]);
      const find = async () =>
        (
          await client.query<Row>("SELECT * FROM sequencer_keys WHERE sequencer_id = $1 AND public_key = $2", [
            sequencerId,
            buf(publicKey),
          ])
        ).rows[0];
      const existing = await find();
      if (existing !== undefined) return toSequencerKey(existing);
      await client.query(
        `INSERT INTO sequencer_keys (sequencer_id, version, public_key, origin, created_at)
         SELECT $1, COALESCE(MAX(version) + 1, 0), $2, 'local', $3 FROM sequencer_keys WHERE sequencer_id = $1`,
        [sequencerId, buf(publicKey), at],
      );
      return toSequencerKey((await find())!);
    });
  }

  async importSequencerKey(key: SequencerKeyRecord): Promise<boolean> {
    await this.query(
      `INSERT INTO sequencer_keys (sequencer_id, version, public_key, origin, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [key.sequencerId, key.version, buf(key.publicKey), key.origin, key.createdAt],
    );
    const r = await this.query("SELECT public_key FROM sequencer_keys WHERE sequencer_id = $1 AND version = $2", [
      key.sequencerId,
      key.version,
    ]);
    const row = r.rows[0];
    return row !== undefined && sameBytes(bytes(row.public_key), key.publicKey);
  }

  async listSequencerKeys(): Promise<SequencerKeyRecord[]> {
    return (await this.query("SELECT * FROM sequencer_keys ORDER BY sequencer_id, version")).rows.map(toSequencerKey);
  }

  // Payload schemas ------------------------------------------------------------------------------------------------

  insertSchema(schema: Omit<PayloadSchemaRecord, "version">): Promise<PayloadSchemaRecord> {
    return this.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [
        advisoryKey(`ves-sequencer:schemas:${schema.tenantId}:${schema.eventType}`),
      ]);
      const r = await client.query<Row>(
        `INSERT INTO payload_schemas (schema_id, tenant_id, event_type, version, schema_json, status, description,
           created_at, updated_at)
         SELECT $1, $2, $3, COALESCE(MAX(version) + 1, 1), $4, $5, $6, $7, $8 FROM payload_schemas
         WHERE tenant_id = $2 AND event_type = $3
         RETURNING *`,
        [
          schema.schemaId,
          schema.tenantId,
          schema.eventType,
          schema.schemaJson,
          schema.status,
          schema.description,
          schema.createdAt,
          schema.updatedAt,
        ],
      );
      return toSchema(r.rows[0]!);
    });
  }

  async getSchema(schemaId: string): Promise<PayloadSchemaRecord | null> {
    const r = await this.query("SELECT * FROM payload_schemas WHERE schema_id = $1 AND deleted_at IS NULL", [schemaId]);
    const row = r.rows[0];
    return row === undefined ? null : toSchema(row);
  }

  async listSchemas(tenantId: string, eventType?: string): Promise<PayloadSchemaRecord[]> {
    const r = await this.query(
      `SELECT * FROM payload_schemas WHERE tenant_id = $1 AND ($2::text IS NULL OR event_type = $2)
         AND deleted_at IS NULL ORDER BY event_type, version`,
      [tenantId, eventType ?? null],
    );
    return r.rows.map(toSchema);
  }

  async activeSchema(tenantId: string, eventType: string): Promise<PayloadSchemaRecord | null> {
    const r = await this.query(
      `SELECT * FROM payload_schemas WHERE tenant_id = $1 AND event_type = $2 AND status = 'active'
         AND deleted_at IS NULL ORDER BY version DESC LIMIT 1`,
      [tenantId, eventType],
    );
    const row = r.rows[0];
    return row === undefined ? null : toSchema(row);
  }

  async setSchemaStatus(schemaId: string, status: SchemaStatus, at: string): Promise<PayloadSchemaRecord | null> {
    const r = await this.query(
      `UPDATE payload_schemas SET status = $2, updated_at = $3 WHERE schema_id = $1 AND deleted_at IS NULL
       RETURNING *`,
      [schemaId, status, at],
    );
    const row = r.rows[0];
    return row === undefined ? null : toSchema(row);
  }

  async deleteSchema(schemaId: string, at: string): Promise<boolean> {
    const r = await this.query(
      "UPDATE payload_schemas SET deleted_at = $2 WHERE schema_id = $1 AND deleted_at IS NULL",
      [schemaId, at],
    );
    return r.rowCount === 1;
  }

  // Rate limits ----------------------------------------------------------------------------------------------------

  async hitRateLimit(bucket: string, windowStart: number, windowMs: number) {
    const r = await this.query(
      `WITH up AS (
         INSERT INTO rate_limit_counters (bucket, window_start, count) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
         RETURNING count)
       SELECT (SELECT count FROM up) AS current,
              COALESCE((SELECT count FROM rate_limit_counters WHERE bucket = $1 AND window_start = $3), 0) AS previous`,
      [bucket, windowStart, windowStart - windowMs],
    );
    const row = r.rows[0]!;
    const current = Number(row.current);
    if (current === 1) {
      await this.query("DELETE FROM rate_limit_counters WHERE bucket = $1 AND window_start < $2", [
        bucket,
        windowStart - windowMs,
      ]);
    }
    return { current, previous: Number(row.previous) };
  }

  // Tenants, stores and the audit log ------------------------------------------------------------------------------

  async createTenant(tenant: TenantRecord): Promise<boolean> {
    const r = await this.query(
      "INSERT INTO tenants (tenant_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      [tenant.tenantId, tenant.name, tenant.createdAt],
    );
    return r.rowCount === 1;
  }

  async getTenant(tenantId: string): Promise<TenantRecord | null> {
    const r = await this.query("SELECT * FROM tenants WHERE tenant_id = $1", [tenantId]);
    const row = r.rows[0];
    return row === undefined ? null : toTenant(row);
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (await this.query("SELECT * FROM tenants ORDER BY created_at, tenant_id")).rows.map(toTenant);
  }

  async createTenantStore(store: TenantStoreRecord): Promise<boolean> {
    const r = await this.query(
      `INSERT INTO tenant_stores (tenant_id, store_id, name, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [store.tenantId, store.storeId, store.name, store.createdAt],
    );
    return r.rowCount === 1;
  }

  async listTenantStores(tenantId: string): Promise<TenantStoreRecord[]> {
    const r = await this.query("SELECT * FROM tenant_stores WHERE tenant_id = $1 ORDER BY created_at, store_id", [
      tenantId,
    ]);
    return r.rows.map(toTenantStore);
  }

  async appendAudit(entry: AuditEntryInput): Promise<void> {
    await this.query(
      "INSERT INTO audit_log (at, actor, action, tenant_id, target, details) VALUES ($1, $2, $3, $4, $5, $6)",
      [entry.at, entry.actor, entry.action, entry.tenantId, entry.target, JSON.stringify(entry.details)],
    );
  }

  async listAudit(options: {
    readonly tenantId?: string;
    readonly beforeId?: bigint;
    readonly limit: number;
  }): Promise<AuditEntry[]> {
    const r = await this.query(
      `SELECT * FROM audit_log WHERE ($1::text IS NULL OR tenant_id = $1) AND id < $2 ORDER BY id DESC LIMIT $3`,
      [options.tenantId ?? null, (options.beforeId ?? 2n ** 63n - 1n).toString(), options.limit],
    );
    return r.rows.map(toAudit);
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
