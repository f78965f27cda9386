/**
 * The tenants slice of the store: the tenant and store registry, API keys (only their SHA-256 is stored) and the audit
 * log of administrative actions. Its record types, its narrow interface (`TenantsStore`), and the SQL and row mapping
 * both backends share (store-sqlite.ts, store-postgres.ts).
 */
import { big, buf, bytes, flag, maybeNumber, maybeText, type Placeholder, type Row } from "../store/rows";

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

/** Paging and filtering of `listAudit`. */
export interface ListAuditOptions {
  readonly tenantId?: string;
  readonly beforeId?: bigint;
  readonly limit: number;
}

/** Tenants, their stores, API keys and the audit log: what administration and authentication need of the store. */
export interface TenantsStore {
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
  listAudit(options: ListAuditOptions): Promise<AuditEntry[]>;
}

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

/** How a dialect spells an API key's store ids and flags as parameters. */
export interface ApiKeyEncoding {
  readonly storeIds: (ids: readonly string[]) => unknown;
  readonly flag: (b: boolean) => unknown;
}

/** The insert parameters of an API key (`tenantsSql().insertApiKey`). */
export function apiKeyRow(record: ApiKeyRecord, enc: ApiKeyEncoding): unknown[] {
  return [
    buf(record.keyHash),
    record.tenantId,
    enc.storeIds(record.storeIds),
    enc.flag(record.canRead),
    enc.flag(record.canWrite),
    enc.flag(record.canAdmin),
    record.agentId,
    enc.flag(record.active),
    record.createdAt,
    keyPrefixOf(record.keyHash),
    record.label ?? null,
    record.rateLimit ?? null,
    record.lastUsedAt ?? null,
    record.revokedAt ?? null,
  ];
}

/** The `beforeId` of `listAudit` when none is given (no id is that high). */
export const AUDIT_NO_LIMIT = 2n ** 63n - 1n;

/**
 * The statements both backends run, in a dialect's placeholders (parameters in the order each comment lists; SQLite's
 * `?` are positional, so every statement numbers its parameters in the order they appear). `storeIds` spells the
 * store-ids parameter (PostgreSQL casts it to `TEXT[]`).
 */
export function tenantsSql(p: Placeholder, storeIds: (param: string) => string = (param) => param) {
  const marks = (n: number) => Array.from({ length: n }, (_, i) => p(i + 1));
  const [k1, k2, k3, ...rest] = marks(14);
  return {
    /** `apiKeyRow`. */
    insertApiKey: `INSERT INTO api_keys (key_hash, tenant_id, store_ids, can_read, can_write, can_admin, agent_id,
      active, created_at, key_prefix, label, rate_limit, last_used_at, revoked_at)
      VALUES (${[k1, k2, storeIds(k3!), ...rest].join(", ")})`,
    /** Key hash. */
    getApiKey: `SELECT * FROM api_keys WHERE key_hash = ${p(1)}`,
    /** Tenant or null, the same again. */
    listApiKeys: `SELECT * FROM api_keys WHERE (CAST(${p(1)} AS TEXT) IS NULL OR tenant_id = ${p(2)})
      ORDER BY created_at, key_prefix`,
    /** Tenant, name, time. */
    createTenant: `INSERT INTO tenants (tenant_id, name, created_at) VALUES (${marks(3).join(", ")})
      ON CONFLICT DO NOTHING`,
    /** Tenant. */
    getTenant: `SELECT * FROM tenants WHERE tenant_id = ${p(1)}`,
    listTenants: "SELECT * FROM tenants ORDER BY created_at, tenant_id",
    /** Tenant, store, name, time. */
    createTenantStore: `INSERT INTO tenant_stores (tenant_id, store_id, name, created_at) VALUES (${marks(4).join(", ")})
      ON CONFLICT DO NOTHING`,
    /** Tenant. */
    listTenantStores: `SELECT * FROM tenant_stores WHERE tenant_id = ${p(1)} ORDER BY created_at, store_id`,
    /** Time, actor, action, tenant, target, details (JSON). */
    appendAudit: `INSERT INTO audit_log (at, actor, action, tenant_id, target, details)
      VALUES (${marks(6).join(", ")})`,
    /** Tenant or null, the same again, id bound, limit. */
    listAudit: `SELECT * FROM audit_log WHERE (CAST(${p(1)} AS TEXT) IS NULL OR tenant_id = ${p(2)})
      AND id < ${p(3)} ORDER BY id DESC LIMIT ${p(4)}`,
  };
}

/** The parameters of `tenantsSql().appendAudit`. */
export function auditRow(entry: AuditEntryInput): unknown[] {
  return [entry.at, entry.actor, entry.action, entry.tenantId, entry.target, JSON.stringify(entry.details)];
}
