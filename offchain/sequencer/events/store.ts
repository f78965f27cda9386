/**
 * The events slice of the store: appending a request's events to a stream (sequence numbers, receipts, dedupe,
 * optimistic concurrency), reading them back (by id, by stream, by entity), stream heads and importing a verified
 * segment. Its record types, its narrow interface (`EventsStore`), and the SQL and row mapping both backends share;
 * the rules of an append or import are in store-tx.ts, the backends in store-sqlite.ts and store-postgres.ts.
 */
import type { StoredCommitment } from "../commitments/store";
import { big, buf, bytes, maybeBytes, type Placeholder, type Row } from "../store/rows";
import type { StreamRef } from "../store/stream";

export type { StreamRef } from "../store/stream";

/** An entity of a stream. */
export interface EntityRef {
  readonly entityType: string;
  readonly entityId: string;
}

/** A page of an entity's events (see `EventsStore.entityHistory`). */
export interface EntityHistory {
  readonly events: StoredEvent[];
  /** How many events of the entity are stored. */
  readonly total: number;
  /** The entity's version as optimistic concurrency checks `base_version` against. */
  readonly version: bigint;
}

/** A sequencer receipt as stored. */
export interface StoredReceipt {
  readonly sequencerId: string;
  readonly sequenceNumber: bigint;
  /** RFC 3339 with `+00:00`, the exact string that was returned first. */
  readonly sequencedAt: string;
  readonly receiptHash: Uint8Array;
  /** Ed25519 signature over `receiptHash`, or null when the sequencer signs nothing. */
  readonly signature: Uint8Array | null;
  readonly keyVersion: number;
}

/** An event ready to be appended: already parsed, hash-checked and signature-verified by the service. */
export interface EventCandidate {
  readonly eventId: string;
  readonly sourceAgentId: string;
  readonly agentKeyId: number;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  readonly commandId?: string;
  readonly baseVersion?: bigint;
  readonly eventSigningHash: Uint8Array;
  readonly agentSignature: Uint8Array;
  /** SHA-256 over the normalized envelope: equal iff the two envelopes are the same event (exact replay). */
  readonly contentHash: Uint8Array;
  /** The normalized envelope as JSON text (u64 values exact), returned verbatim when the event is read. */
  readonly envelopeJson: string;
}

/** What happened to one candidate. */
export type AppendOutcome =
  | { readonly kind: "accepted"; readonly receipt: StoredReceipt }
  | { readonly kind: "replay"; readonly receipt: StoredReceipt }
  | { readonly kind: "rejected"; readonly reason: string; readonly message: string };

/** Builds the receipt of an event at its sequence number (pure and fast: it runs inside the stream lock). */
export type ReceiptFactory = (candidate: EventCandidate, sequenceNumber: bigint) => StoredReceipt;

/** Result of an append: one outcome per candidate, in order, and the stream's head afterwards. */
export interface AppendResult {
  readonly outcomes: readonly AppendOutcome[];
  readonly headSequence: bigint;
}

/** A stored event with its receipt and, once committed, its commitment. */
export interface StoredEvent {
  readonly tenantId: string;
  readonly storeId: string;
  readonly eventId: string;
  readonly sequenceNumber: bigint;
  readonly eventSigningHash: Uint8Array;
  readonly agentSignature: Uint8Array;
  readonly contentHash: Uint8Array;
  readonly envelopeJson: string;
  readonly receipt: StoredReceipt;
  /** Batch id of the commitment that covers the event, if any. */
  readonly batchId: string | null;
}

/** An event of an imported stream with its original sequence number and receipt. */
export interface ImportedEvent {
  readonly candidate: EventCandidate;
  readonly sequenceNumber: bigint;
  readonly receipt: StoredReceipt;
}

/** Result of importing a stream segment: all of it, or nothing and why. */
export type ImportResult =
  | { readonly kind: "imported"; readonly headSequence: bigint }
  | { readonly kind: "rejected"; readonly message: string };

/** A stream that has events, with its head (see `EventsStore.listStreams`). */
export interface StreamHead extends StreamRef {
  readonly headSequence: bigint;
}

/** Events and streams: what ingest, pull, entity history, streams and transfer need of the store. */
export interface EventsStore {
  /**
   * Appends a request's surviving events to a stream atomically, in order: exact replays answer with their stored
   * receipt, other duplicates of an event or command id are rejected, `base_version` is checked against the entity's
   * version, and accepted events get consecutive sequence numbers starting after the head.
   */
  appendEvents(
    stream: StreamRef,
    candidates: readonly EventCandidate[],
    receipt: ReceiptFactory,
  ): Promise<AppendResult>;
  /** Events by id, wherever they are stored (event ids are global). */
  getEventsById(eventIds: readonly string[]): Promise<Map<string, StoredEvent>>;
  /** Events of a stream from `from` (inclusive), at most `limit`, in sequence order. */
  listEvents(stream: StreamRef, from: bigint, limit: number): Promise<StoredEvent[]>;
  /** The stream's last sequence number (0 when empty). */
  headSequence(stream: StreamRef): Promise<bigint>;
  /**
   * One entity's events in sequence order from offset `from` (0-based), at most `limit`, with the entity's event count
   * and its version as OCC tracks it (`entity_versions`, 0 when absent), all from one snapshot.
   */
  entityHistory(stream: StreamRef, entity: EntityRef, from: number, limit: number): Promise<EntityHistory>;
  /**
   * Appends an already verified stream segment with its original sequence numbers, receipts and commitments, in one
   * transaction under the stream lock: the segment must start right after the stream's head, no event id may exist,
   * command ids are reserved and entity versions counted as at ingest, and each commitment must chain onto the
   * stream's previous one (start and state root). Anything else rejects the whole segment and writes nothing.
   * Commitments keep their anchoring (chain id, transaction, block, time).
   */
  importStream(
    stream: StreamRef,
    events: readonly ImportedEvent[],
    commitments: readonly StoredCommitment[],
  ): Promise<ImportResult>;
  /** A tenant's streams that have events (head ≥ 1), by store id, at most `limit`. */
  listStreams(tenantId: string, limit: number): Promise<StreamHead[]>;
}

/** An event row (with `batch_id`) as a stored event. */
export function toEvent(r: Row): StoredEvent {
  return {
    tenantId: r.tenant_id as string,
    storeId: r.store_id as string,
    eventId: r.event_id as string,
    sequenceNumber: big(r.sequence_number),
    eventSigningHash: bytes(r.event_signing_hash),
    agentSignature: bytes(r.agent_signature),
    contentHash: bytes(r.content_hash),
    envelopeJson: r.envelope_json as string,
    receipt: {
      sequencerId: r.sequencer_id as string,
      sequenceNumber: big(r.sequence_number),
      sequencedAt: r.sequenced_at as string,
      receiptHash: bytes(r.receipt_hash),
      signature: maybeBytes(r.receipt_signature),
      keyVersion: Number(r.receipt_key_version),
    },
    batchId: (r.batch_id as string | null | undefined) ?? null,
  };
}

/** The event columns joined with the covering commitment's batch id. */
export const EVENT_SELECT = `
  SELECT e.*, (SELECT c.batch_id FROM ves_commitments c
                WHERE c.tenant_id = e.tenant_id AND c.store_id = e.store_id
                  AND c.sequence_start <= e.sequence_number AND c.sequence_end >= e.sequence_number) AS batch_id
  FROM ves_events e`;

/** The columns of an event row as inserted, in the order of `eventRow`. */
export const EVENT_COLUMNS = `event_id, tenant_id, store_id, sequence_number, source_agent_id, agent_key_id,
  entity_type, entity_id, event_type, command_id, base_version, event_signing_hash, agent_signature,
  content_hash, envelope_json, sequencer_id, sequenced_at, receipt_hash, receipt_signature, receipt_key_version`;
/** How many columns `EVENT_COLUMNS` names. */
export const EVENT_WIDTH = 20;

/** The insert parameters of an event (`int` spells a 64-bit integer for the driver). */
export function eventRow(
  stream: StreamRef,
  c: EventCandidate,
  seq: bigint,
  r: StoredReceipt,
  int: (v: bigint) => unknown,
): unknown[] {
  return [
    c.eventId,
    stream.tenantId,
    stream.storeId,
    int(seq),
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
  ];
}

/** The statements both backends run, in a dialect's placeholders. */
export function eventsSql(p: Placeholder) {
  return {
    /** The stream's counter (tenant, store). */
    head: `SELECT current_sequence FROM ves_sequence_counters WHERE tenant_id = ${p(1)} AND store_id = ${p(2)}`,
    /** The event id reserving a command id (tenant, store, command). */
    commandOwner: `SELECT event_id FROM ves_command_dedupe
      WHERE tenant_id = ${p(1)} AND store_id = ${p(2)} AND command_id = ${p(3)}`,
    /** An entity's version (tenant, store, type, id). */
    entityVersion: `SELECT version FROM entity_versions
      WHERE tenant_id = ${p(1)} AND store_id = ${p(2)} AND entity_type = ${p(3)} AND entity_id = ${p(4)}`,
    /** A page of a stream's events (tenant, store, from, limit). */
    listEvents: `${EVENT_SELECT} WHERE e.tenant_id = ${p(1)} AND e.store_id = ${p(2)} AND e.sequence_number >= ${p(3)}
      ORDER BY e.sequence_number LIMIT ${p(4)}`,
    /** A tenant's streams with events (tenant, limit). */
    listStreams: `SELECT store_id, current_sequence FROM ves_sequence_counters
      WHERE tenant_id = ${p(1)} AND current_sequence > 0 ORDER BY store_id LIMIT ${p(2)}`,
  };
}

/** The rows of `listStreams` as stream heads. */
export function toStreamHeads(tenantId: string, rows: readonly Row[]): StreamHead[] {
  return rows.map((r) => ({ tenantId, storeId: r.store_id as string, headSequence: big(r.current_sequence) }));
}

/** The parameters of `entityHistorySql`, in PostgreSQL's `$n` order. */
export const ENTITY_HISTORY_PARAMS = ["tenant", "store", "type", "id", "limit", "offset"] as const;

/**
 * One statement (one snapshot) for an entity's history: the entity's event count and OCC version on every row, joined
 * with the requested page of its events (one row of nulls when the page is empty). `param` spells a parameter.
 */
export function entityHistorySql(param: (name: (typeof ENTITY_HISTORY_PARAMS)[number]) => string): string {
  const where = (t: string) =>
    `${t}tenant_id = ${param("tenant")} AND ${t}store_id = ${param("store")} AND ${t}entity_type = ${param("type")} ` +
    `AND ${t}entity_id = ${param("id")}`;
  return `
  WITH meta AS (
    SELECT (SELECT count(*) FROM ves_events WHERE ${where("")}) AS entity_total,
           (SELECT version FROM entity_versions WHERE ${where("")}) AS entity_version
  ),
  page AS (
    ${EVENT_SELECT} WHERE ${where("e.")}
    ORDER BY e.sequence_number LIMIT ${param("limit")} OFFSET ${param("offset")}
  )
  SELECT meta.entity_total, meta.entity_version, page.* FROM meta LEFT JOIN page ON 1 = 1
  ORDER BY page.sequence_number`;
}

/** The rows of `entityHistorySql` as a history. */
export function toEntityHistory(rows: readonly Row[]): EntityHistory {
  const first = rows[0];
  return {
    events: rows.filter((r) => r.event_id !== null && r.event_id !== undefined).map(toEvent),
    total: first === undefined ? 0 : Number(first.entity_total),
    version: first === undefined || first.entity_version === null ? 0n : big(first.entity_version),
  };
}
