/**
 * The keys slice of the store: agents' Ed25519 signing keys (§5.1) and the sequencer's versioned receipt-signing
 * public keys. Its record types, its narrow interface (`KeysStore`), and the SQL and row mapping both backends share
 * (store-sqlite.ts, store-postgres.ts).
 */
import { buf, bytes, type Placeholder, type Row } from "../store/rows";

/** An agent's Ed25519 signing key (§5.1). */
export interface AgentKey {
  readonly tenantId: string;
  readonly agentId: string;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly status: "active" | "revoked";
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly revokedAt: string | null;
  readonly createdAt: string;
}

/** A receipt-signing public key of a sequencer, with its version (receipts carry `sequencerKeyVersion`). */
export interface SequencerKeyRecord {
  readonly sequencerId: string;
  /** 0 for a sequencer's first key, then 1, 2, … in registration order. */
  readonly version: number;
  readonly publicKey: Uint8Array;
  /** `local`: a key of this database's sequencer; `imported`: another sequencer's, brought in by `import`. */
  readonly origin: "local" | "imported";
  readonly createdAt: string;
}

/** Agent keys and receipt-signing keys. */
export interface KeysStore {
  /** Registers an agent key; false if `(tenant, agent, keyId)` exists already. */
  insertAgentKey(key: AgentKey): Promise<boolean>;
  getAgentKey(tenantId: string, agentId: string, keyId: number): Promise<AgentKey | null>;
  listAgentKeys(tenantId: string, agentId: string): Promise<AgentKey[]>;
  /** Revokes a key now; null if unknown, the key (with its first revocation time) otherwise. */
  revokeAgentKey(tenantId: string, agentId: string, keyId: number, at: string): Promise<AgentKey | null>;
  /**
   * Registers a sequencer's public key: the existing record when `(sequencerId, publicKey)` is known, otherwise a new
   * one with the next version of that sequencer (0 for its first). Processes that register the same key at once get
   * the same version.
   */
  registerSequencerKey(sequencerId: string, publicKey: Uint8Array, at: string): Promise<SequencerKeyRecord>;
  /**
   * Adds another sequencer's key with its version (import); true when added or already present identically, false
   * when that version is taken by another key.
   */
  importSequencerKey(key: SequencerKeyRecord): Promise<boolean>;
  /** Every known sequencer key, by sequencer id then version. */
  listSequencerKeys(): Promise<SequencerKeyRecord[]>;
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

/** The insert parameters of an agent key (`keysSql().insertAgentKey`). */
export function agentKeyRow(key: AgentKey): unknown[] {
  const { tenantId, agentId, keyId, status, validFrom, validTo, revokedAt, createdAt } = key;
  return [tenantId, agentId, keyId, buf(key.publicKey), status, validFrom, validTo, revokedAt, createdAt];
}

/** The insert parameters of an imported sequencer key (`keysSql().importSequencerKey`). */
export function sequencerKeyRow(key: SequencerKeyRecord): unknown[] {
  return [key.sequencerId, key.version, buf(key.publicKey), key.origin, key.createdAt];
}

/**
 * The statements both backends run, in a dialect's placeholders (parameters in the order each comment lists; SQLite's
 * `?` are positional, so every statement numbers its parameters in the order they appear).
 */
export function keysSql(p: Placeholder) {
  const agent = `tenant_id = ${p(1)} AND agent_id = ${p(2)}`;
  return {
    /** `agentKeyRow`. */
    insertAgentKey: `INSERT INTO agent_signing_keys (tenant_id, agent_id, key_id, public_key, status, valid_from,
      valid_to, revoked_at, created_at)
      VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}) ON CONFLICT DO NOTHING`,
    /** Tenant, agent, key id. */
    getAgentKey: `SELECT * FROM agent_signing_keys WHERE ${agent} AND key_id = ${p(3)}`,
    /** Tenant, agent. */
    listAgentKeys: `SELECT * FROM agent_signing_keys WHERE ${agent} ORDER BY key_id`,
    /** Time, tenant, agent, key id; the conditional UPDATE keeps the first revocation time. */
    revokeAgentKey: `UPDATE agent_signing_keys SET status = 'revoked', revoked_at = ${p(1)}
      WHERE tenant_id = ${p(2)} AND agent_id = ${p(3)} AND key_id = ${p(4)} AND status <> 'revoked'`,
    /** Sequencer id, public key. */
    findSequencerKey: `SELECT * FROM sequencer_keys WHERE sequencer_id = ${p(1)} AND public_key = ${p(2)}`,
    /** Sequencer id, public key, time, sequencer id again: the next version of that sequencer. */
    insertLocalSequencerKey: `INSERT INTO sequencer_keys (sequencer_id, version, public_key, origin, created_at)
      SELECT ${p(1)}, COALESCE(MAX(version) + 1, 0), ${p(2)}, 'local', ${p(3)} FROM sequencer_keys
      WHERE sequencer_id = ${p(4)}`,
    /** `sequencerKeyRow`. */
    importSequencerKey: `INSERT INTO sequencer_keys (sequencer_id, version, public_key, origin, created_at)
      VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}) ON CONFLICT DO NOTHING`,
    /** Sequencer id, version. */
    sequencerKeyAt: `SELECT public_key FROM sequencer_keys WHERE sequencer_id = ${p(1)} AND version = ${p(2)}`,
    listSequencerKeys: "SELECT * FROM sequencer_keys ORDER BY sequencer_id, version",
  };
}
