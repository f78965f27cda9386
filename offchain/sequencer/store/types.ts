/**
 * The sequencer's storage contract. Two backends implement it with the same behaviour: SQLite (embedded default,
 * one process) and PostgreSQL (production, several processes). Everything that must be atomic — sequence
 * assignment, command dedupe, optimistic concurrency, commitments — happens inside one backend call, under a
 * per-stream lock, so the service above needs no locking of its own.
 */

/** A stream: the pair (tenant, store), UUIDs in lowercase hyphenated form. */
export interface StreamRef {
  readonly tenantId: string;
  readonly storeId: string;
}

/** An entity of a stream. */
export interface EntityRef {
  readonly entityType: string;
  readonly entityId: string;
}

/** A page of an entity's events (see `SequencerStore.entityHistory`). */
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

/** A stored commitment (§8.2 fields). */
export interface StoredCommitment {
  readonly batchId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly vesVersion: number;
  readonly treeDepth: number;
  readonly leafCount: number;
  readonly paddedLeafCount: number;
  readonly merkleRoot: Uint8Array;
  readonly prevStateRoot: Uint8Array;
  readonly newStateRoot: Uint8Array;
  readonly sequenceStart: bigint;
  readonly sequenceEnd: bigint;
  /** RFC 3339 with `+00:00`. */
  readonly committedAt: string;
  readonly chainId: bigint | null;
  readonly chainTxHash: Uint8Array | null;
  readonly chainBlockNumber: bigint | null;
  readonly anchoredAt: string | null;
}

/** The leaves' inputs of a range, in sequence order, for building a commitment. */
export interface LeafInput {
  readonly sequenceNumber: bigint;
  readonly eventSigningHash: Uint8Array;
  readonly agentSignature: Uint8Array;
}

/** Computes a commitment's tree and roots from its range's leaf inputs and the stream's previous state root. */
export type CommitmentBuilder = (
  stream: StreamRef,
  range: { readonly start: bigint; readonly end: bigint },
  leaves: readonly LeafInput[],
  prevStateRoot: Uint8Array,
) => Omit<StoredCommitment, "committedAt" | "chainId" | "chainTxHash" | "chainBlockNumber" | "anchoredAt">;

/** Result of creating a commitment: the new one, the identical existing one, or why it cannot be made. */
export type CreateCommitmentResult =
  | { readonly kind: "created" | "existing"; readonly commitment: StoredCommitment }
  | { readonly kind: "rejected"; readonly message: string };

/** Result of clearing an anchor: cleared, not anchored in the first place, or no such commitment. */
export type UnmarkAnchoredResult =
  | { readonly kind: "unanchored" | "not_anchored"; readonly commitment: StoredCommitment }
  | { readonly kind: "not_found" };

/** Result of recording an anchor transaction. */
export type MarkAnchoredResult =
  | { readonly kind: "anchored" | "already_anchored"; readonly commitment: StoredCommitment }
  | { readonly kind: "not_found" }
  | { readonly kind: "conflict"; readonly commitment: StoredCommitment };

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

/** An API key record; only the SHA-256 of the key is stored. */
export interface ApiKeyRecord {
  readonly keyHash: Uint8Array;
  /** The nil UUID for the bootstrap admin. */
  readonly tenantId: string;
  /** Empty means every store of the tenant. */
  readonly storeIds: readonly string[];
  readonly canRead: boolean;
  readonly canWrite: boolean;
  readonly canAdmin: boolean;
  /** A prover key (tenant nil, no other permission): the proof routes across tenants only. Absent: false. */
  readonly canProve?: boolean;
  readonly agentId: string | null;
  readonly active: boolean;
  readonly createdAt: string;
  /** An operator's note (who or what the key is for). */
  readonly label?: string | null;
  /** Requests per rate-limit window for this key; null or absent: the configured default. */
  readonly rateLimit?: number | null;
  /** When the key last authenticated a request (recorded at most about once a minute per process). */
  readonly lastUsedAt?: string | null;
  /** When the key was revoked (first revocation). */
  readonly revokedAt?: string | null;
}

/** The public handle of an API key: the first 12 hex characters of its SHA-256 (what lists show and revoke takes). */
export const API_KEY_PREFIX_LENGTH = 12;

/** A tenant in the registry. */
export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: string;
}

/** A store of a tenant in the registry. */
export interface TenantStoreRecord {
  readonly tenantId: string;
  readonly storeId: string;
  readonly name: string;
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

/** The states of a registered payload schema; only `active` ones validate events. */
export type SchemaStatus = "active" | "deprecated" | "disabled";

/** A JSON Schema registered for a tenant's event type, with its version (1, 2, … per (tenant, event type)). */
export interface PayloadSchemaRecord {
  readonly schemaId: string;
  readonly tenantId: string;
  readonly eventType: string;
  readonly version: number;
  /** The JSON Schema as JSON text. */
  readonly schemaJson: string;
  readonly status: SchemaStatus;
  readonly description: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One audited administrative action: who did what, to which tenant and target, and when. */
export interface AuditEntryInput {
  /** RFC 3339 time of the action. */
  readonly at: string;
  /** `bootstrap-admin`, `api-key:<prefix>` or `cli:<user>`. */
  readonly actor: string;
  /** A stable action name, e.g. `api_key.create`. */
  readonly action: string;
  readonly tenantId: string | null;
  /** What the action was applied to (an id or key prefix), if anything. */
  readonly target: string | null;
  /** Extra facts as a JSON object (never secrets). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** A stored audit entry; ids increase in insertion order. */
export interface AuditEntry extends AuditEntryInput {
  readonly id: bigint;
}

/** A stream whose events are not all committed yet. */
export interface PendingStream extends StreamRef {
  /** First sequence not covered by a commitment. */
  readonly firstPending: bigint;
  readonly headSequence: bigint;
  /** RFC 3339 time the first pending event was sequenced. */
  readonly oldestPendingAt: string;
}

/** A stream that has events, with its head (see `SequencerStore.listStreams`). */
export interface StreamHead extends StreamRef {
  readonly headSequence: bigint;
}

/** The storage backend of the sequencer. */
export interface SequencerStore {
  /** `sqlite` or `postgres`. */
  readonly kind: "sqlite" | "postgres";
  /** The anchor lease: one anchor process per sequencer (`anchor-lease.ts`). */
  readonly anchorLease: import("./anchor-lease").AnchorLeaseStore;
  /** Accepted proofs and provers' leases (issue 13, `proofs.ts`). */
  readonly proofs: import("./proofs").ProofStore;

  /** Creates or upgrades the schema (versioned migrations); idempotent. */
  migrate(): Promise<void>;
  /** Cheap liveness query. */
  ping(): Promise<void>;
  /** Closes connections; further calls fail. */
  close(): Promise<void>;
  /**
   * Writes a consistent online copy of the whole database to the new file `destination` (SQLite: the backup API,
   * between the store's transactions; writers of other processes restart it). PostgreSQL refuses with
   * `AppError` `BACKUP_UNSUPPORTED`: use `pg_dump` (README, "Backup and restore").
   */
  backup(destination: string): Promise<{ readonly bytes: number }>;

  // Events ---------------------------------------------------------------------------------------------------------

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

  // Commitments ----------------------------------------------------------------------------------------------------

  /**
   * Creates the commitment of `[start, end]` under the stream lock (§8.2): the same range again returns the existing
   * commitment; the range must start where the previous commitment ended and cover stored, contiguous events.
   */
  createCommitment(
    stream: StreamRef,
    start: bigint,
    end: bigint,
    batchId: string,
    build: CommitmentBuilder,
  ): Promise<CreateCommitmentResult>;
  getCommitment(batchId: string): Promise<StoredCommitment | null>;
  /** The commitment covering a sequence number of a stream. */
  commitmentForSequence(stream: StreamRef, sequenceNumber: bigint): Promise<StoredCommitment | null>;
  /** The stream's latest commitment. */
  latestCommitment(stream: StreamRef): Promise<StoredCommitment | null>;
  /** A stream's commitments in sequence order, filtered by anchored state, after a sequence start, paged. */
  listCommitments(
    stream: StreamRef,
    options: { readonly anchored?: boolean; readonly afterSequence?: bigint; readonly limit: number },
  ): Promise<StoredCommitment[]>;
  /** Unanchored commitments of every stream, oldest first. */
  pendingAnchors(limit: number): Promise<StoredCommitment[]>;
  /** Records the anchoring transaction of a commitment (same hash again: already anchored; another: conflict). */
  markAnchored(
    batchId: string,
    anchor: { readonly chainId: bigint; readonly txHash: Uint8Array; readonly blockNumber: bigint | null },
  ): Promise<MarkAnchoredResult>;
  /** Clears the anchoring of a commitment whose block was reorganised away (idempotent when not anchored). */
  unmarkAnchored(batchId: string): Promise<UnmarkAnchoredResult>;
  /** The leaf inputs of `[start, end]` of a stream, in order (for inclusion proofs). */
  leafInputs(stream: StreamRef, start: bigint, end: bigint): Promise<LeafInput[]>;
  /** Streams with events not yet covered by a commitment. */
  pendingStreams(limit: number): Promise<PendingStream[]>;
  /** A tenant's streams that have events (head ≥ 1), by store id, at most `limit`. */
  listStreams(tenantId: string, limit: number): Promise<StreamHead[]>;

  // Keys -----------------------------------------------------------------------------------------------------------

  /** Registers an agent key; false if `(tenant, agent, keyId)` exists already. */
  insertAgentKey(key: AgentKey): Promise<boolean>;
  getAgentKey(tenantId: string, agentId: string, keyId: number): Promise<AgentKey | null>;
  listAgentKeys(tenantId: string, agentId: string): Promise<AgentKey[]>;
  /** Revokes a key now; null if unknown, the key (with its first revocation time) otherwise. */
  revokeAgentKey(tenantId: string, agentId: string, keyId: number, at: string): Promise<AgentKey | null>;

  insertApiKey(record: ApiKeyRecord): Promise<void>;
  getApiKey(keyHash: Uint8Array): Promise<ApiKeyRecord | null>;
  /** API keys of a tenant (every tenant when undefined), oldest first; revoked ones included. */
  listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]>;
  /** Keys whose hash starts with `prefix` (lowercase hex, at most `API_KEY_PREFIX_LENGTH` characters). */
  findApiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]>;
  /** Revokes a key, keeping the first revocation time; null if unknown. */
  revokeApiKey(keyHash: Uint8Array, at: string): Promise<ApiKeyRecord | null>;
  /**
   * Atomically revokes an active key and inserts its replacement; null (and nothing written) when the old key is
   * unknown or already revoked, so two concurrent rotations of one key cannot both succeed.
   */
  rotateApiKey(oldKeyHash: Uint8Array, replacement: ApiKeyRecord, at: string): Promise<ApiKeyRecord | null>;
  /** Records that a key authenticated a request at `at`. */
  touchApiKey(keyHash: Uint8Array, at: string): Promise<void>;

  // Receipt-signing keys ------------------------------------------------------------------------------------------

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

  // Payload schemas ------------------------------------------------------------------------------------------------

  /**
   * Registers a schema as the next version of its (tenant, event type) — 1 for the first; versions are never reused,
   * even after a deletion. `version` of the input is ignored.
   */
  insertSchema(schema: Omit<PayloadSchemaRecord, "version">): Promise<PayloadSchemaRecord>;
  /** A schema by id (null if unknown or deleted). */
  getSchema(schemaId: string): Promise<PayloadSchemaRecord | null>;
  /** A tenant's schemas, optionally of one event type, by event type then version (deleted ones left out). */
  listSchemas(tenantId: string, eventType?: string): Promise<PayloadSchemaRecord[]>;
  /** The highest-version `active` schema of (tenant, event type), the one that validates payloads. */
  activeSchema(tenantId: string, eventType: string): Promise<PayloadSchemaRecord | null>;
  /** Changes a schema's status; null if unknown or deleted. */
  setSchemaStatus(schemaId: string, status: SchemaStatus, at: string): Promise<PayloadSchemaRecord | null>;
  /** Deletes a schema (its version number stays taken); false if unknown or already deleted. */
  deleteSchema(schemaId: string, at: string): Promise<boolean>;

  // Rate limits ----------------------------------------------------------------------------------------------------

  /**
   * Counts one request against `bucket` in the fixed window starting at `windowStart` (ms since the epoch) and returns
   * the counts of that window (this request included) and of the window before it; older windows of the bucket are
   * dropped. On PostgreSQL every process shares the counters.
   */
  hitRateLimit(
    bucket: string,
    windowStart: number,
    windowMs: number,
  ): Promise<{ readonly current: number; readonly previous: number }>;

  // Tenants, stores and the audit log --------------------------------------------------------------------------------

  /** Adds a tenant; false if its id exists. */
  createTenant(tenant: TenantRecord): Promise<boolean>;
  getTenant(tenantId: string): Promise<TenantRecord | null>;
  /** Every tenant, oldest first. */
  listTenants(): Promise<TenantRecord[]>;
  /** Adds a store to a tenant; false if `(tenant, store)` exists. */
  createTenantStore(store: TenantStoreRecord): Promise<boolean>;
  /** A tenant's stores, oldest first. */
  listTenantStores(tenantId: string): Promise<TenantStoreRecord[]>;
  /** Appends an audit entry. */
  appendAudit(entry: AuditEntryInput): Promise<void>;
  /** Audit entries, newest first, of one tenant or all, with ids below `beforeId` when given. */
  listAudit(options: {
    readonly tenantId?: string;
    readonly beforeId?: bigint;
    readonly limit: number;
  }): Promise<AuditEntry[]>;

  // Coordination ---------------------------------------------------------------------------------------------------

  /**
   * Tries to become the single commit worker among processes sharing the database; true while this process leads.
   * SQLite (one process) always leads; PostgreSQL holds a session advisory lock.
   */
  tryAcquireLeadership(name: string): Promise<boolean>;
  releaseLeadership(name: string): Promise<void>;
}
