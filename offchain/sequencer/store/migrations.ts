/**
 * The schema of both backends as versioned migrations, applied in order and recorded in `schema_migrations` (version =
 * position + 1). The two lists are the same schema in each database's types; never edit an applied migration, append.
 */

/** The migration creating the lease table (the same SQL on both backends). */
function anchorLeaseMigration(): string {
  return `
  CREATE TABLE ves_anchor_lease (
    name TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    acquired_at_ms BIGINT NOT NULL
  );
  `;
}

/** The migration of both backends ("proofs and prover leases"); PostgreSQL types where they differ. */
function proofsMigration(backend: "sqlite" | "postgres"): string {
  const blob = backend === "sqlite" ? "BLOB" : "BYTEA";
  const bool = backend === "sqlite" ? "INTEGER" : "BOOLEAN";
  const no = backend === "sqlite" ? "0" : "FALSE";
  return `
  ALTER TABLE api_keys ADD COLUMN can_prove ${bool} NOT NULL DEFAULT ${no};
  CREATE TABLE ves_proofs (
    proof_id        TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('compliance', 'validity')),
    tenant_id       TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    batch_id        TEXT,
    event_id        TEXT,
    policy_id       TEXT NOT NULL,
    policy_hash     ${blob} NOT NULL,
    policy_limit    TEXT NOT NULL,
    all_compliant   ${bool} NOT NULL,
    compliant_count INTEGER NOT NULL,
    proof_hash      ${blob} NOT NULL,
    proof_size      INTEGER NOT NULL,
    proving_time_ms BIGINT NOT NULL,
    security_bits   INTEGER NOT NULL,
    prover_id       TEXT,
    bundle_json     TEXT NOT NULL,
    submitted_by    TEXT NOT NULL,
    submitted_at    TEXT NOT NULL,
    CHECK ((kind = 'validity') = (event_id IS NULL))
  );
  CREATE INDEX ves_proofs_by_batch ON ves_proofs (batch_id, kind);
  CREATE INDEX ves_proofs_by_event ON ves_proofs (event_id, kind);
  CREATE TABLE ves_proof_claims (
    batch_id      TEXT PRIMARY KEY,
    prover_id     TEXT NOT NULL,
    claimed_at    TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
  );
  `;
}

/**
 * The migration of both backends recording the on-chain transaction that anchored a validity proof (issue 14): chain
 * id and block number as decimal text (u64, beyond BIGINT), the transaction hash as 32 bytes.
 */
function proofAnchorMigration(backend: "sqlite" | "postgres"): string {
  const blob = backend === "sqlite" ? "BLOB" : "BYTEA";
  return `
  ALTER TABLE ves_proofs ADD COLUMN anchor_chain_id TEXT;
  ALTER TABLE ves_proofs ADD COLUMN anchor_tx_hash ${blob};
  ALTER TABLE ves_proofs ADD COLUMN anchor_block_number TEXT;
  ALTER TABLE ves_proofs ADD COLUMN anchored_at TEXT;
  `;
}

/** SQLite's migrations, in order. */
export const SQLITE_MIGRATIONS: readonly string[] = [
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
  // 9: the transaction that anchored a validity proof (issue 14).
  proofAnchorMigration("sqlite"),
];

/** PostgreSQL's migrations, in order. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
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
  // 9: the transaction that anchored a validity proof (issue 14).
  proofAnchorMigration("postgres"),
];
