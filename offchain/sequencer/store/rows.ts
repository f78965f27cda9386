/**
 * Row mapping shared by the SQLite and PostgreSQL backends: both return hashes as Buffers and integers as bigint or
 * decimal text, and both select events with the batch id of the commitment that covers them.
 */
import type {
  EntityHistory,
  AgentKey,
  ApiKeyRecord,
  AuditEntry,
  LeafInput,
  PayloadSchemaRecord,
  SchemaStatus,
  SequencerKeyRecord,
  StoredCommitment,
  StoredEvent,
  TenantRecord,
  TenantStoreRecord,
} from "./types";

/** A database row. */
export type Row = Record<string, unknown>;

/** A BLOB/BYTEA column as bytes. */
export const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Buffer);
/** A nullable BLOB/BYTEA column. */
export const maybeBytes = (v: unknown): Uint8Array | null => (v === null || v === undefined ? null : bytes(v));
/** An integer column (bigint, number or decimal text) as bigint. */
export const big = (v: unknown): bigint => BigInt(v as bigint | number | string);
/** A nullable integer column. */
export const maybeBig = (v: unknown): bigint | null => (v === null || v === undefined ? null : big(v));
/** Bytes as a Buffer view for the drivers (no copy). */
export const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

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

/** A commitment row. */
export function toCommitment(r: Row): StoredCommitment {
  return {
    batchId: r.batch_id as string,
    tenantId: r.tenant_id as string,
    storeId: r.store_id as string,
    vesVersion: Number(r.ves_version),
    treeDepth: Number(r.tree_depth),
    leafCount: Number(r.leaf_count),
    paddedLeafCount: Number(r.padded_leaf_count),
    merkleRoot: bytes(r.merkle_root),
    prevStateRoot: bytes(r.prev_state_root),
    newStateRoot: bytes(r.new_state_root),
    sequenceStart: big(r.sequence_start),
    sequenceEnd: big(r.sequence_end),
    committedAt: r.committed_at as string,
    chainId: maybeBig(r.chain_id),
    chainTxHash: maybeBytes(r.chain_tx_hash),
    chainBlockNumber: maybeBig(r.chain_block_number),
    anchoredAt: (r.anchored_at as string | null) ?? null,
  };
}

/** An agent-key row. */
export function toAgentKey(r: Row): AgentKey {
  return {
    tenantId: r.tenant_id as string,
    agentId: r.agent_id as string,
    keyId: Number(r.key_id),
    publicKey: bytes(r.public_key),
    status: r.status as "active" | "revoked",
    validFrom: (r.valid_from as string | null) ?? null,
    validTo: (r.valid_to as string | null) ?? null,
    revokedAt: (r.revoked_at as string | null) ?? null,
    createdAt: r.created_at as string,
  };
}

/** The leaf inputs of an event row. */
export function toLeaf(r: Row): LeafInput {
  return {
    sequenceNumber: big(r.sequence_number),
    eventSigningHash: bytes(r.event_signing_hash),
    agentSignature: bytes(r.agent_signature),
  };
}

/** The event columns joined with the covering commitment's batch id. */
export const EVENT_SELECT = `
  SELECT e.*, (SELECT c.batch_id FROM ves_commitments c
                WHERE c.tenant_id = e.tenant_id AND c.store_id = e.store_id
                  AND c.sequence_start <= e.sequence_number AND c.sequence_end >= e.sequence_number) AS batch_id
  FROM ves_events e`;

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

/** A boolean column: SQLite stores 0/1 integers, PostgreSQL booleans. */
const flag = (v: unknown): boolean => v === true || (typeof v !== "boolean" && Number(v) === 1);
/** A nullable text column. */
const maybeText = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
/** A nullable integer column as a number. */
const maybeNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** An API-key row (SQLite keeps `store_ids` as JSON text, PostgreSQL as `TEXT[]`). */
export function toApiKey(r: Row): ApiKeyRecord {
  return {
    keyHash: bytes(r.key_hash),
    tenantId: r.tenant_id as string,
    storeIds: Array.isArray(r.store_ids) ? (r.store_ids as string[]) : (JSON.parse(r.store_ids as string) as string[]),
    canRead: flag(r.can_read),
    canWrite: flag(r.can_write),
    canAdmin: flag(r.can_admin),
    // Only prover keys carry the field (absent means false), so other records read back as they were written.
    ...(flag(r.can_prove) ? { canProve: true } : {}),
    agentId: maybeText(r.agent_id),
    active: flag(r.active),
    createdAt: r.created_at as string,
    label: maybeText(r.label),
    rateLimit: maybeNumber(r.rate_limit),
    lastUsedAt: maybeText(r.last_used_at),
    revokedAt: maybeText(r.revoked_at),
  };
}

/** A tenant row. */
export function toTenant(r: Row): TenantRecord {
  return { tenantId: r.tenant_id as string, name: r.name as string, createdAt: r.created_at as string };
}

/** A tenant-store row. */
export function toTenantStore(r: Row): TenantStoreRecord {
  return {
    tenantId: r.tenant_id as string,
    storeId: r.store_id as string,
    name: r.name as string,
    createdAt: r.created_at as string,
  };
}

/** An audit-log row. */
export function toAudit(r: Row): AuditEntry {
  return {
    id: big(r.id),
    at: r.at as string,
    actor: r.actor as string,
    action: r.action as string,
    tenantId: maybeText(r.tenant_id),
    target: maybeText(r.target),
    details: JSON.parse(r.details as string) as Record<string, unknown>,
  };
}

/** The hex key prefix stored beside an API key's hash. */
export const keyPrefixOf = (keyHash: Uint8Array): string => Buffer.from(keyHash).toString("hex").slice(0, 12);

/** A sequencer-key row. */
export function toSequencerKey(r: Row): SequencerKeyRecord {
  return {
    sequencerId: r.sequencer_id as string,
    version: Number(r.version),
    publicKey: bytes(r.public_key),
    origin: r.origin as "local" | "imported",
    createdAt: r.created_at as string,
  };
}

/** A payload-schema row. */
export function toSchema(r: Row): PayloadSchemaRecord {
  return {
    schemaId: r.schema_id as string,
    tenantId: r.tenant_id as string,
    eventType: r.event_type as string,
    version: Number(r.version),
    schemaJson: r.schema_json as string,
    status: r.status as SchemaStatus,
    description: maybeText(r.description),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}
