/**
 * The local outbox and receive store (`<home>/outbox.db`, better-sqlite3, WAL), with the reference's table names.
 *
 * Outgoing events move `pending` → `sending` → `acknowledged` | `rejected`:
 * - a batch is marked `sending` with its request id *before* the request goes out;
 * - each event settles from its own per-event result (a verified receipt, or a rejection); a failed request puts its
 *   events back to `pending` with a retry count;
 * - a `sending` row found at the start of a push belongs to a push that died with the outcome unknown: it goes back to
 *   `pending` and is re-sent byte for byte, and the sequencer answers an already stored event with its original
 *   receipt. So a push can be killed at any moment: nothing is sent twice as a new event, nothing is lost.
 *
 * Received events go to `_ves_pulled_events` once verified, or to `_ves_quarantined_events` with a named reason.
 */
import Database from "better-sqlite3";

import { parseJsonExact, stringifyJsonExact, type ExactJsonValue, type VesEventEnvelope } from "../ves";
import { AgentError } from "./errors";

/** The states of an outgoing event. */
export type OutboxStatus = "pending" | "sending" | "acknowledged" | "rejected";

/** One outgoing event. */
export interface OutboxRow {
  readonly localSeq: number;
  readonly eventId: string;
  readonly commandId: string;
  readonly inputHash: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  readonly agentKeyId: number;
  readonly payloadKind: 0 | 1;
  /** The exact envelope that is sent (and re-sent). */
  readonly envelope: VesEventEnvelope;
  /** The payload as signed (with amount commitment fields), also for encrypted events. */
  readonly payload: ExactJsonValue;
  readonly status: OutboxStatus;
  readonly requestId: string | null;
  readonly sequenceNumber: bigint | null;
  readonly receipt: ExactJsonValue | null;
  readonly rejectionReason: string | null;
  readonly rejectionMessage: string | null;
  readonly retryCount: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly settledAt: string | null;
}

/** A verified, stored received event. */
export interface PulledRow {
  readonly sequenceNumber: bigint;
  readonly eventId: string;
  readonly sourceAgentId: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  readonly payloadKind: 0 | 1;
  readonly envelope: ExactJsonValue;
  readonly receipt: ExactJsonValue;
  readonly batchId: string | null;
  /** The plaintext payload, or the decrypted one; null when this agent cannot decrypt it. */
  readonly payload: ExactJsonValue | null;
  /** `plaintext`, `decrypted`, `not_recipient` or `decrypt_failed:<reason>`. */
  readonly decryption: string;
  readonly pulledAt: string;
}

/** A received event that failed verification. */
export interface QuarantinedRow {
  readonly sequenceNumber: bigint;
  readonly eventId: string | null;
  readonly event: ExactJsonValue;
  readonly reason: string;
  readonly message: string;
  readonly quarantinedAt: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS _ves_outbox (
  local_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT UNIQUE NOT NULL,
  command_id TEXT UNIQUE NOT NULL,
  input_hash TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  agent_key_id INTEGER NOT NULL,
  payload_kind INTEGER NOT NULL CHECK (payload_kind IN (0, 1)),
  envelope TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'acknowledged', 'rejected')),
  request_id TEXT,
  sequence_number INTEGER,
  receipt TEXT,
  rejection_reason TEXT,
  rejection_message TEXT,
  retry_count INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at TEXT NOT NULL,
  settled_at TEXT
);
CREATE INDEX IF NOT EXISTS _ves_outbox_status ON _ves_outbox (status, local_seq);
CREATE TABLE IF NOT EXISTS _ves_sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _ves_pulled_events (
  sequence_number INTEGER PRIMARY KEY,
  event_id TEXT UNIQUE NOT NULL,
  source_agent_id TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload_kind INTEGER NOT NULL,
  envelope TEXT NOT NULL,
  receipt TEXT NOT NULL,
  batch_id TEXT,
  payload TEXT,
  decryption TEXT NOT NULL,
  pulled_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS _ves_pulled_entity ON _ves_pulled_events (entity_type, entity_id, sequence_number);
CREATE TABLE IF NOT EXISTS _ves_quarantined_events (
  sequence_number INTEGER PRIMARY KEY,
  event_id TEXT,
  event TEXT NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  quarantined_at TEXT NOT NULL
);
`;

interface RawOutbox {
  local_seq: number;
  event_id: string;
  command_id: string;
  input_hash: string;
  entity_type: string;
  entity_id: string;
  event_type: string;
  agent_key_id: number;
  payload_kind: number;
  envelope: string;
  payload: string;
  status: OutboxStatus;
  request_id: string | null;
  sequence_number: number | null;
  receipt: string | null;
  rejection_reason: string | null;
  rejection_message: string | null;
  retry_count: number;
  last_error: string | null;
  created_at: string;
  settled_at: string | null;
}

interface RawPulled {
  sequence_number: number;
  event_id: string;
  source_agent_id: string;
  entity_type: string;
  entity_id: string;
  event_type: string;
  payload_kind: number;
  envelope: string;
  receipt: string;
  batch_id: string | null;
  payload: string | null;
  decryption: string;
  pulled_at: string;
}

const json = (v: ExactJsonValue | VesEventEnvelope): string => stringifyJsonExact(v as ExactJsonValue);
const parse = (s: string): ExactJsonValue => parseJsonExact(s);

function outboxRow(r: RawOutbox): OutboxRow {
  return {
    localSeq: r.local_seq,
    eventId: r.event_id,
    commandId: r.command_id,
    inputHash: r.input_hash,
    entityType: r.entity_type,
    entityId: r.entity_id,
    eventType: r.event_type,
    agentKeyId: r.agent_key_id,
    payloadKind: r.payload_kind === 1 ? 1 : 0,
    envelope: parse(r.envelope) as unknown as VesEventEnvelope,
    payload: parse(r.payload),
    status: r.status,
    requestId: r.request_id,
    sequenceNumber: r.sequence_number === null ? null : BigInt(r.sequence_number),
    receipt: r.receipt === null ? null : parse(r.receipt),
    rejectionReason: r.rejection_reason,
    rejectionMessage: r.rejection_message,
    retryCount: r.retry_count,
    lastError: r.last_error,
    createdAt: r.created_at,
    settledAt: r.settled_at,
  };
}

function pulledRow(r: RawPulled): PulledRow {
  return {
    sequenceNumber: BigInt(r.sequence_number),
    eventId: r.event_id,
    sourceAgentId: r.source_agent_id,
    entityType: r.entity_type,
    entityId: r.entity_id,
    eventType: r.event_type,
    payloadKind: r.payload_kind === 1 ? 1 : 0,
    envelope: parse(r.envelope),
    receipt: parse(r.receipt),
    batchId: r.batch_id,
    payload: r.payload === null ? null : parse(r.payload),
    decryption: r.decryption,
    pulledAt: r.pulled_at,
  };
}

/** Counts of the outbox by state. */
export interface OutboxCounts {
  readonly pending: number;
  readonly sending: number;
  readonly acknowledged: number;
  readonly rejected: number;
}

/** A new outgoing event. */
export interface NewOutboxEvent {
  readonly eventId: string;
  readonly commandId: string;
  readonly inputHash: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  readonly agentKeyId: number;
  readonly payloadKind: 0 | 1;
  readonly envelope: VesEventEnvelope;
  readonly payload: ExactJsonValue;
  readonly createdAt: string;
}

/** The outbox database. */
export class Outbox {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    try {
      this.db = new Database(file);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("busy_timeout = 5000");
      // FULL: an event `append` reported as queued (signed, with its id) is on disk, even across a power loss; one
      // fsync per command costs far less than the process start around it.
      this.db.pragma("synchronous = FULL");
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new AgentError("OUTBOX_ERROR", `cannot open the outbox ${file}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** A prepared statement, prepared once. */
  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // Outgoing ---------------------------------------------------------------------------------------------------------

  /** Inserts a new event as `pending`. */
  insert(e: NewOutboxEvent): OutboxRow {
    this.prepare(
      `INSERT INTO _ves_outbox (event_id, command_id, input_hash, entity_type, entity_id, event_type, agent_key_id,
           payload_kind, envelope, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      e.eventId,
      e.commandId,
      e.inputHash,
      e.entityType,
      e.entityId,
      e.eventType,
      e.agentKeyId,
      e.payloadKind,
      json(e.envelope),
      json(e.payload),
      e.createdAt,
    );
    return this.byEventId(e.eventId)!;
  }

  byEventId(eventId: string): OutboxRow | undefined {
    const r = this.prepare("SELECT * FROM _ves_outbox WHERE event_id = ?").get(eventId) as RawOutbox | undefined;
    return r === undefined ? undefined : outboxRow(r);
  }

  byCommandId(commandId: string): OutboxRow | undefined {
    const r = this.prepare("SELECT * FROM _ves_outbox WHERE command_id = ?").get(commandId) as RawOutbox | undefined;
    return r === undefined ? undefined : outboxRow(r);
  }

  /** Rows by state (all when `status` is undefined), oldest first. */
  list(status?: OutboxStatus, limit = 100, offset = 0): OutboxRow[] {
    const rows = (
      status === undefined
        ? this.prepare("SELECT * FROM _ves_outbox ORDER BY local_seq LIMIT ? OFFSET ?").all(limit, offset)
        : this.db
            .prepare("SELECT * FROM _ves_outbox WHERE status = ? ORDER BY local_seq LIMIT ? OFFSET ?")
            .all(status, limit, offset)
    ) as RawOutbox[];
    return rows.map(outboxRow);
  }

  counts(): OutboxCounts {
    const rows = this.prepare("SELECT status, COUNT(*) AS n FROM _ves_outbox GROUP BY status").all() as {
      status: OutboxStatus;
      n: number;
    }[];
    const out = { pending: 0, sending: 0, acknowledged: 0, rejected: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** Key ids signing events that are not settled yet. */
  unsettledKeyIds(): number[] {
    const rows = this.prepare(
      "SELECT DISTINCT agent_key_id AS k FROM _ves_outbox WHERE status IN ('pending', 'sending')",
    ).all() as { k: number }[];
    return rows.map((r) => r.k);
  }

  /** Puts rows left `sending` by a push that died back to `pending`; returns how many. */
  recoverSending(): number {
    return this.prepare("UPDATE _ves_outbox SET status = 'pending', request_id = NULL WHERE status = 'sending'").run()
      .changes;
  }

  /** Claims up to `limit` pending rows for a request: marks them `sending` with the request id (one transaction). */
  claim(requestId: string, limit: number): OutboxRow[] {
    return this.transaction(() => {
      const rows = this.db
        .prepare("SELECT * FROM _ves_outbox WHERE status = 'pending' ORDER BY local_seq LIMIT ?")
        .all(limit) as RawOutbox[];
      const mark = this.prepare("UPDATE _ves_outbox SET status = 'sending', request_id = ? WHERE local_seq = ?");
      for (const r of rows) mark.run(requestId, r.local_seq);
      return rows.map((r) => outboxRow({ ...r, status: "sending", request_id: requestId }));
    });
  }

  /** Settles one row as acknowledged with its (verified) receipt. */
  acknowledge(eventId: string, sequenceNumber: bigint, receipt: ExactJsonValue, now: string): void {
    this.prepare(
      `UPDATE _ves_outbox SET status = 'acknowledged', sequence_number = ?, receipt = ?, settled_at = ?,
           last_error = NULL WHERE event_id = ? AND status IN ('pending', 'sending')`,
    ).run(sequenceNumber, json(receipt), now, eventId);
  }

  /** Settles one row as rejected (terminal). */
  reject(eventId: string, reason: string, message: string, now: string): void {
    this.prepare(
      `UPDATE _ves_outbox SET status = 'rejected', rejection_reason = ?, rejection_message = ?, settled_at = ?
           WHERE event_id = ? AND status IN ('pending', 'sending')`,
    ).run(reason, message, now, eventId);
  }

  /** Puts rows of a failed request back to `pending`, counting the attempt when `countRetry`. */
  release(eventIds: readonly string[], error: string, countRetry: boolean): void {
    const stmt = this.prepare(
      `UPDATE _ves_outbox SET status = 'pending', request_id = NULL, last_error = ?,
         retry_count = retry_count + ? WHERE event_id = ? AND status = 'sending'`,
    );
    this.transaction(() => {
      for (const id of eventIds) stmt.run(error, countRetry ? 1 : 0, id);
    });
  }

  /** Records a failed push attempt that sent nothing (the sequencer was unreachable) on every pending row. */
  notePendingFailure(error: string): void {
    this.prepare("UPDATE _ves_outbox SET retry_count = retry_count + 1, last_error = ? WHERE status = 'pending'").run(
      error,
    );
  }

  /** The highest acknowledged sequence number. */
  lastPushedSequence(): bigint | null {
    const r = this.prepare("SELECT MAX(sequence_number) AS s FROM _ves_outbox WHERE status = 'acknowledged'").get() as {
      s: number | null;
    };
    return r.s === null ? null : BigInt(r.s);
  }

  // State ------------------------------------------------------------------------------------------------------------

  getState(key: string): string | undefined {
    const r = this.prepare("SELECT value FROM _ves_sync_state WHERE key = ?").get(key) as { value: string } | undefined;
    return r?.value;
  }

  setState(key: string, value: string, now: string): void {
    this.prepare(
      `INSERT INTO _ves_sync_state (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(key, value, now);
  }

  // Received ---------------------------------------------------------------------------------------------------------

  storePulled(r: PulledRow): void {
    this.prepare(
      `INSERT OR REPLACE INTO _ves_pulled_events (sequence_number, event_id, source_agent_id, entity_type, entity_id,
           event_type, payload_kind, envelope, receipt, batch_id, payload, decryption, pulled_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      r.sequenceNumber,
      r.eventId,
      r.sourceAgentId,
      r.entityType,
      r.entityId,
      r.eventType,
      r.payloadKind,
      json(r.envelope),
      json(r.receipt),
      r.batchId,
      r.payload === null ? null : json(r.payload),
      r.decryption,
      r.pulledAt,
    );
    this.prepare("DELETE FROM _ves_quarantined_events WHERE sequence_number = ?").run(r.sequenceNumber);
  }

  quarantine(r: QuarantinedRow): void {
    this.prepare(
      `INSERT OR REPLACE INTO _ves_quarantined_events (sequence_number, event_id, event, reason, message,
           quarantined_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(r.sequenceNumber, r.eventId, json(r.event), r.reason, r.message, r.quarantinedAt);
  }

  pulled(options: { limit?: number; entityType?: string; entityId?: string } = {}): PulledRow[] {
    const limit = options.limit ?? 100;
    const rows = (
      options.entityType !== undefined && options.entityId !== undefined
        ? this.db
            .prepare(
              "SELECT * FROM _ves_pulled_events WHERE entity_type = ? AND entity_id = ? ORDER BY sequence_number LIMIT ?",
            )
            .all(options.entityType, options.entityId, limit)
        : this.prepare("SELECT * FROM _ves_pulled_events ORDER BY sequence_number LIMIT ?").all(limit)
    ) as RawPulled[];
    return rows.map(pulledRow);
  }

  pulledByEventId(eventId: string): PulledRow | undefined {
    const r = this.prepare("SELECT * FROM _ves_pulled_events WHERE event_id = ?").get(eventId) as RawPulled | undefined;
    return r === undefined ? undefined : pulledRow(r);
  }

  pulledCount(): number {
    return (this.prepare("SELECT COUNT(*) AS n FROM _ves_pulled_events").get() as { n: number }).n;
  }

  quarantined(limit = 1000): QuarantinedRow[] {
    const rows = this.prepare("SELECT * FROM _ves_quarantined_events ORDER BY sequence_number LIMIT ?").all(limit) as {
      sequence_number: number;
      event_id: string | null;
      event: string;
      reason: string;
      message: string;
      quarantined_at: string;
    }[];
    return rows.map((r) => ({
      sequenceNumber: BigInt(r.sequence_number),
      eventId: r.event_id,
      event: parse(r.event),
      reason: r.reason,
      message: r.message,
      quarantinedAt: r.quarantined_at,
    }));
  }
}
