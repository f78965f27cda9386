/**
 * The sequencer's protocol logic, independent of HTTP: ingest (ves-protocol.md §7), commitments and inclusion proofs
 * (§8), agent keys (§5) and API-key authentication (§10). Routes in `api.ts` are thin adapters over this class.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

import {
  REASON,
  agentKeyInvalidReason,
  buildCommitment,
  buildMerkleTree,
  bytesToHex,
  ed25519Node,
  inclusionProof,
  leafHash,
  normalizeUuid,
  parseEnvelope,
  receiptHash,
  schemaValidationReason,
  deriveEventHashes,
  bytesEqual,
  stringifyJsonExact,
  type Ed25519Signer,
  type ExactJsonValue,
  type MerkleTree,
  type SequencerReceipt,
  type VesEvent,
} from "../ves";
import { AppError, type Logger } from "../common";
import { MAX_SCHEMA_BYTES, SchemaRegistry, describeProblems, type SchemaCheck, type SchemaMode } from "./schemas";
import { canonicalEnvelope, eventCandidate, normalizeEnvelope, type CanonicalEnvelope } from "./envelope";
import type { VerifyItem, VerifyPool } from "./verify-pool";
import { nowRfc3339 } from "./store/time";
import { API_KEY_PREFIX_LENGTH } from "./store/types";
import type {
  AgentKey,
  ApiKeyRecord,
  AppendOutcome,
  AuditEntry,
  EventCandidate,
  PayloadSchemaRecord,
  SchemaStatus,
  SequencerKeyRecord,
  SequencerStore,
  StoredCommitment,
  StoredReceipt,
  StreamRef,
  TenantRecord,
  TenantStoreRecord,
} from "./store/types";

/** A receipt signed ahead of its append (see `SequencerService.presign`), valid only for exactly these inputs. */
interface PresignedReceipt {
  readonly sequenceNumber: bigint;
  readonly eventSigningHash: Uint8Array;
  readonly receiptHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** The key of a stream in per-stream maps. */
const streamKey = (s: StreamRef) => `${s.tenantId}/${s.storeId}`;

/** Requests with at least this many signatures to check use the worker pool. */
const VERIFY_POOL_MIN = 16;

/** The nil UUID: the bootstrap admin's tenant. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** Who is calling, after authentication. */
export interface Principal {
  readonly tenantId: string;
  readonly storeIds: readonly string[];
  readonly read: boolean;
  readonly write: boolean;
  readonly admin: boolean;
  readonly agentId: string | null;
  /** A prover key: the proof routes across tenants (`proofs.ts`), nothing else. Absent: false. */
  readonly prover?: boolean;
  /** The configured bootstrap admin: every tenant, every permission. */
  readonly bootstrap: boolean;
  /** Who this is in the audit log: `bootstrap-admin`, `api-key:<prefix>` or `cli:<user>`. */
  readonly actor: string;
  /** The hash prefix of the API key used, null for the bootstrap admin and the CLI. */
  readonly keyPrefix: string | null;
  /** The key's own rate limit (requests per window), if it has one. */
  readonly rateLimit: number | null;
}

/** A principal with the bootstrap admin's rights (every tenant, every permission), audited as `actor`. */
function bootstrapPrincipal(actor: string): Principal {
  return {
    tenantId: NIL_UUID,
    storeIds: [],
    read: true,
    write: true,
    admin: true,
    agentId: null,
    bootstrap: true,
    actor,
    keyPrefix: null,
    rateLimit: null,
  };
}

/** The operator at the command line: bootstrap rights, audited as `cli:<user>`. */
export function operatorPrincipal(user: string): Principal {
  return bootstrapPrincipal(`cli:${user}`);
}

/** An API key as administration shows it: never the key, only its hash prefix. */
export interface ApiKeyInfo {
  readonly keyHashPrefix: string;
  readonly tenantId: string;
  readonly storeIds: readonly string[];
  readonly permissions: "read" | "read_write" | "admin" | "prover";
  readonly agentId: string | null;
  readonly label: string | null;
  readonly rateLimit: number | null;
  readonly active: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** What a new API key may do. */
export interface ApiKeyScope {
  readonly tenantId: string;
  readonly agentId: string | null;
  readonly storeIds: readonly string[];
  readonly read: boolean;
  readonly write: boolean;
  readonly admin: boolean;
  /** A prover key (see `createProverKey` in proofs.ts). */
  readonly prover?: boolean;
  readonly label?: string | null;
  readonly rateLimit?: number | null;
}

/** The administrative view of a stored key record. */
export function apiKeyInfo(r: ApiKeyRecord): ApiKeyInfo {
  return {
    keyHashPrefix: hex(r.keyHash).slice(0, API_KEY_PREFIX_LENGTH),
    tenantId: r.tenantId,
    storeIds: r.storeIds,
    permissions: r.canProve === true ? "prover" : r.canAdmin ? "admin" : r.canWrite ? "read_write" : "read",
    agentId: r.agentId,
    label: r.label ?? null,
    rateLimit: r.rateLimit ?? null,
    active: r.active,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt ?? null,
    revokedAt: r.revokedAt ?? null,
  };
}

/** A permission on a tenant (and optionally a store). */
export type Permission = "read" | "write" | "admin";

/** A sequencer failure with its HTTP status and stable code. */
export class SequencerError extends AppError {
  override readonly name = "SequencerError";
  /**
   * @param headers Extra response headers (e.g. `Retry-After`).
   */
  constructor(
    status: number,
    code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message, { status });
  }
  /** The HTTP status. */
  get status(): number {
    return this.options.status ?? 500;
  }
}

/** A receipt in the ingest response's camelCase form (§7.6). */
export type ReceiptJson = SequencerReceipt;

/** The ingest response (§7.6). */
export interface IngestResponseJson {
  batchId: string;
  eventsAccepted: number;
  eventsRejected: number;
  sequenceStart: bigint | null;
  sequenceEnd: bigint | null;
  headSequence: bigint;
  rejections?: { event_id: string; reason: string; message: string }[];
  receipts?: ReceiptJson[];
}

/** Per-key and per-tenant request limits per window. */
export interface RateLimitOptions {
  /** Requests per window of a key without its own limit; 0: unlimited. */
  readonly perKey: number;
  /** Requests per window of all of a tenant's keys; 0: unlimited. */
  readonly perTenant: number;
  readonly windowSeconds: number;
  readonly mode: "fixed" | "sliding";
}

/**
 * Whether a window's counts exceed `limit`, and if so in how many seconds a request would pass (`fixed`: at the next
 * window; `sliding`: once the weighted count — the previous window's count times its remaining overlap, plus the
 * current count — is back under the limit).
 */
export function rateLimitVerdict(
  counts: { current: number; previous: number },
  limit: number,
  now: number,
  windowStart: number,
  windowMs: number,
  mode: "fixed" | "sliding",
): { over: false } | { over: true; retryAfterSeconds: number } {
  const elapsed = now - windowStart;
  const toNext = windowMs - elapsed;
  if (mode === "fixed") {
    return counts.current > limit
      ? { over: true, retryAfterSeconds: Math.max(1, Math.ceil(toNext / 1000)) }
      : { over: false };
  }
  const weighted = counts.previous * (1 - elapsed / windowMs) + counts.current;
  if (weighted <= limit) return { over: false };
  // Within this window the weight of the previous one falls; after it, this window's count is the previous one.
  const within = counts.previous > 0 ? windowMs * (1 - (limit - counts.current) / counts.previous) - elapsed : Infinity;
  const wait =
    counts.current <= limit && within >= 0 && within <= toNext
      ? within
      : toNext + windowMs * (1 - limit / counts.current);
  return { over: true, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
}

/** A key's permission level: read 1, read_write 2, admin 3, prover 4 (only the bootstrap admin holds prover keys). */
function permissionRank(r: { canRead: boolean; canWrite: boolean; canAdmin: boolean; canProve?: boolean }): number {
  if (r.canProve === true) return 4;
  return r.canAdmin ? 3 : r.canWrite ? 2 : r.canRead ? 1 : 0;
}

/** Counters the service reports to metrics. */
export interface SequencerHooks {
  onIngest?(accepted: number, rejected: number, replayed: number, rejections: readonly string[]): void;
  onCommitment?(commitment: StoredCommitment): void;
}

/** Dependencies and settings of the service. */
export interface SequencerServiceOptions {
  readonly store: SequencerStore;
  readonly signingSeed: Uint8Array;
  readonly sequencerId?: string;
  readonly adminApiKey: string;
  readonly keyCacheMs: number;
  readonly strictFormat: boolean;
  /** How payloads are checked against registered schemas (default `enforce`). */
  readonly schemaMode?: SchemaMode;
  /** Rate limits; absent or zero limits: unlimited. */
  readonly rateLimits?: RateLimitOptions;
  /** Where warnings go (schema mismatches in `warn` mode). */
  readonly logger?: Logger;
  /** Worker threads for the signature checks of large requests; inline when absent. */
  readonly verifyPool?: VerifyPool;
  readonly hooks?: SequencerHooks;
}

/** How often a key's last use is written (per process). */
const KEY_USE_RESOLUTION_MS = 60_000;

const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const hex = (b: Uint8Array) => bytesToHex(b);

/** A stable sequencer id derived from the receipt-signing public key (UUID-shaped). */
export function deriveSequencerId(publicKey: Uint8Array): string {
  const h = Buffer.from(sha256(Buffer.concat([Buffer.from("VES_SEQUENCER_ID_V1"), publicKey]))).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The camelCase receipt of a stored one. */
export function receiptJson(eventId: string, r: StoredReceipt): ReceiptJson {
  const out: ReceiptJson = {
    sequencerId: r.sequencerId,
    eventId,
    sequenceNumber: r.sequenceNumber,
    sequencedAt: r.sequencedAt,
    receiptHash: hex(r.receiptHash),
    signatureAlg: r.signature === null ? "none" : "ed25519",
    sequencerSignature: r.signature === null ? "" : hex(r.signature),
    sequencerKeyVersion: r.keyVersion,
  };
  if (r.signature !== null) out.receiptSignatureScheme = 1;
  return out;
}

/** The REST form of an agent key (snake_case, public key as hex without `0x`). */
export function agentKeyJson(k: AgentKey): Record<string, unknown> {
  return {
    tenant_id: k.tenantId,
    agent_id: k.agentId,
    key_id: k.keyId,
    public_key: bytesToHex(k.publicKey),
    status: k.status,
    valid_from: k.validFrom,
    valid_to: k.validTo,
    revoked_at: k.revokedAt,
    created_at: k.createdAt,
  };
}

/** Whether an agent key is usable now, and if not the reference's message (§5.1). */
export function agentKeyProblem(key: AgentKey | null, now: number): string | undefined {
  if (key === null) return "Agent key not found";
  if (key.status === "revoked" || (key.revokedAt !== null && Date.parse(key.revokedAt) <= now)) {
    return "Agent key has been revoked";
  }
  if (key.validTo !== null && now > Date.parse(key.validTo)) return "Agent key has expired";
  if (key.validFrom !== null && now < Date.parse(key.validFrom)) return "Agent key is not yet valid";
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const asUuid = (v: unknown): string | undefined =>
  typeof v === "string" && UUID_RE.test(v) ? normalizeUuid(v) : undefined;

/** The sequencer. */
export class SequencerService {
  readonly store: SequencerStore;
  /** The id in receipts: configured, or this database's local sequencer's (see `init`). */
  sequencerId: string;
  /** The version of the receipt-signing key in the key registry (0 until `init`). */
  keyVersion = 0;
  readonly publicKey: Uint8Array;
  private keysCache: { at: number; keys: SequencerKeyRecord[] } | undefined;
  /** The payload-schema registry and its caches. */
  readonly schemas: SchemaRegistry;
  private readonly signer: Ed25519Signer;
  /** Per stream, the sequence number the next presigned receipt expects (a guess: a wrong one only costs speed). */
  private readonly nextSequence = new Map<string, bigint>();
  private readonly adminKeyHash: Uint8Array;
  private readonly keyCache = new Map<string, { key: AgentKey | null; at: number }>();
  private readonly trees = new Map<string, MerkleTree>();
  /** When each API key's use was last recorded by this process. */
  private readonly keyUse = new Map<string, number>();

  constructor(private readonly options: SequencerServiceOptions) {
    this.store = options.store;
    const seed = options.signingSeed;
    this.publicKey = ed25519Node.publicKey(seed);
    // A prepared signer: `ed25519Node.sign(msg, seed)` rebuilds the private key object per call (about 15x slower).
    this.signer = ed25519Node.signer(seed);
    this.sequencerId = options.sequencerId ?? deriveSequencerId(this.publicKey);
    this.adminKeyHash = sha256(options.adminApiKey);
    this.schemas = new SchemaRegistry(options.store, options.keyCacheMs);
  }

  /**
   * Registers the receipt-signing public key in the database's key registry and adopts its version, so every past key
   * stays published and processes with the same key agree on its version. Without a configured id, the sequencer id
   * is the one of this database's local keys (stable across key rotations), or else derived from this key.
   */
  async init(): Promise<void> {
    if (this.options.sequencerId === undefined) {
      const local = (await this.store.listSequencerKeys()).filter((k) => k.origin === "local");
      const mine = local.find((k) => bytesEqual(k.publicKey, this.publicKey));
      const first = [...local].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.version - b.version)[0];
      this.sequencerId = (mine ?? first)?.sequencerId ?? deriveSequencerId(this.publicKey);
    }
    const record = await this.store.registerSequencerKey(this.sequencerId, this.publicKey, nowRfc3339());
    this.keyVersion = record.version;
    this.keysCache = undefined;
  }

  /** Every published receipt key (cached for `keyCacheMs`): this sequencer's first, by version, then imported ones. */
  async sequencerKeys(): Promise<SequencerKeyRecord[]> {
    const now = Date.now();
    if (this.keysCache !== undefined && now - this.keysCache.at < Math.max(this.options.keyCacheMs, 1)) {
      return this.keysCache.keys;
    }
    const all = await this.store.listSequencerKeys();
    const keys = [
      ...all.filter((k) => k.sequencerId === this.sequencerId),
      ...all.filter((k) => k.sequencerId !== this.sequencerId),
    ];
    this.keysCache = { at: now, keys };
    return keys;
  }

  /**
   * Registers a new receipt-signing public key under this sequencer id (the next version) and audits it; processes
   * sign with it once they run with its seed.
   */
  async registerReceiptKey(p: Principal, publicKey: Uint8Array): Promise<SequencerKeyRecord> {
    this.requireBootstrap(p);
    const record = await this.store.registerSequencerKey(this.sequencerId, publicKey, nowRfc3339());
    this.keysCache = undefined;
    await this.audit(p, "receipt_key.rotate", null, `${this.sequencerId}/${record.version}`, {
      public_key: hex(publicKey),
      version: record.version,
    });
    return record;
  }

  /**
   * Counts a request of `p` against its key's and its tenant's limits (the bootstrap admin and the CLI are exempt).
   * @throws SequencerError 429 `rate_limited` with a `Retry-After` header when a limit is exceeded.
   */
  async checkRateLimit(p: Principal): Promise<void> {
    const limits = this.options.rateLimits;
    if (limits === undefined || p.bootstrap) return;
    const buckets: [string, number][] = [];
    const keyLimit = p.rateLimit ?? limits.perKey;
    if (keyLimit > 0 && p.keyPrefix !== null) buckets.push([`key:${p.keyPrefix}`, keyLimit]);
    if (limits.perTenant > 0) buckets.push([`tenant:${p.tenantId}`, limits.perTenant]);
    if (buckets.length === 0) return;
    const windowMs = limits.windowSeconds * 1000;
    const now = Date.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    for (const [bucket, limit] of buckets) {
      const counts = await this.store.hitRateLimit(bucket, windowStart, windowMs);
      const verdict = rateLimitVerdict(counts, limit, now, windowStart, windowMs, limits.mode);
      if (verdict.over) {
        const which = bucket.startsWith("key:") ? "API key" : "tenant";
        throw new SequencerError(
          429,
          "rate_limited",
          `Rate limit exceeded: ${limit} requests per ${limits.windowSeconds} s for this ${which}`,
          { "retry-after": String(verdict.retryAfterSeconds) },
        );
      }
    }
  }

  // Authentication ---------------------------------------------------------------------------------------------------

  /**
   * Resolves the credential of a request: `Authorization: ApiKey <key>`, a bare `Authorization: ss_…`, or `X-API-Key`.
   * @throws SequencerError 401 `missing_auth` / `invalid_api_key`.
   */
  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Principal> {
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const authz = header("authorization");
    let key: string | undefined;
    if (authz !== undefined) {
      const m = /^ApiKey\s+(\S+)$/i.exec(authz.trim());
      if (m) key = m[1];
      else if (/^ss_\S+$/.test(authz.trim())) key = authz.trim();
      else throw new SequencerError(401, "invalid_api_key", "Authorization must be `ApiKey <key>`");
    } else {
      key = header("x-api-key");
    }
    if (key === undefined || key === "") throw new SequencerError(401, "missing_auth", "an API key is required");
    const hash = sha256(key);
    if (timingSafeEqual(hash, this.adminKeyHash)) {
      return bootstrapPrincipal("bootstrap-admin");
    }
    const record = await this.store.getApiKey(hash);
    if (record === null || !record.active)
      throw new SequencerError(401, "invalid_api_key", "unknown or revoked API key");
    const prefix = hex(hash).slice(0, API_KEY_PREFIX_LENGTH);
    await this.noteKeyUse(prefix, hash);
    return {
      actor: `api-key:${prefix}`,
      keyPrefix: prefix,
      rateLimit: record.rateLimit ?? null,
      tenantId: record.tenantId,
      storeIds: record.storeIds,
      read: record.canRead || record.canWrite || record.canAdmin,
      write: record.canWrite || record.canAdmin,
      admin: record.canAdmin,
      prover: record.canProve === true,
      agentId: record.agentId,
      bootstrap: false,
    };
  }

  /** Whether a principal holds a permission on a tenant (and store). */
  can(p: Principal, perm: Permission, tenantId: string, storeId?: string): boolean {
    if (p.bootstrap) return true;
    if (p.tenantId !== tenantId) return false;
    if (storeId !== undefined && p.storeIds.length > 0 && !p.storeIds.includes(storeId)) return false;
    return p[perm];
  }

  /** @throws SequencerError 403 when the principal lacks the permission. */
  require(p: Principal, perm: Permission, tenantId: string, storeId?: string): void {
    if (!this.can(p, perm, tenantId, storeId)) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", `${perm} permission on this tenant/store is required`);
    }
  }

  /** @throws SequencerError 403 unless the caller is the bootstrap admin. */
  requireBootstrap(p: Principal): void {
    if (!p.bootstrap) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "the bootstrap admin key is required");
  }

  /**
   * Tenant-wide resources (agent signing keys, payload schemas) act on every store of the tenant: a store-scoped
   * admin key does not change them, like stores and the audit log.
   * @throws SequencerError 403 unless `p` administers the whole tenant.
   */
  private requireTenantWideAdmin(p: Principal, tenantId: string, what: string): void {
    this.require(p, "admin", tenantId);
    if (!p.bootstrap && p.storeIds.length > 0) {
      throw new SequencerError(
        403,
        "INSUFFICIENT_PERMISSIONS",
        `${what} needs a tenant-wide admin key (this key is limited to some stores)`,
      );
    }
  }

  /** Records a key's use at most once a minute per process (the list shows the last use, to the minute). */
  private async noteKeyUse(prefix: string, hash: Uint8Array): Promise<void> {
    const now = Date.now();
    const last = this.keyUse.get(prefix);
    if (last !== undefined && now - last < KEY_USE_RESOLUTION_MS) return;
    if (this.keyUse.size > 10_000) this.keyUse.clear();
    this.keyUse.set(prefix, now);
    await this.store.touchApiKey(hash, nowRfc3339());
  }

  /** Appends an audit entry for an action of `p`. */
  async audit(
    p: Principal,
    action: string,
    tenantId: string | null,
    target: string | null,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    // Details are plain JSON: exact integers are written as decimal strings.
    const plain = JSON.parse(
      JSON.stringify(details, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    ) as Record<string, unknown>;
    await this.store.appendAudit({ at: nowRfc3339(), actor: p.actor, action, tenantId, target, details: plain });
  }

  private newApiKeyRecord(scope: ApiKeyScope): { apiKey: string; record: ApiKeyRecord } {
    const apiKey = `ss_${scope.tenantId.replace(/-/g, "").slice(0, 8)}${randomBytes(24).toString("base64url")}`;
    const record: ApiKeyRecord = {
      keyHash: sha256(apiKey),
      tenantId: scope.tenantId,
      storeIds: [...scope.storeIds],
      canRead: scope.read || scope.write || scope.admin,
      canWrite: scope.write || scope.admin,
      canAdmin: scope.admin,
      canProve: scope.prover === true,
      agentId: scope.agentId,
      active: true,
      createdAt: nowRfc3339(),
      label: scope.label ?? null,
      rateLimit: scope.rateLimit ?? null,
      lastUsedAt: null,
      revokedAt: null,
    };
    return { apiKey, record };
  }

  /** A non-bootstrap admin may only hand out stores it holds itself. */
  private checkDelegation(p: Principal, storeIds: readonly string[]): void {
    if (p.bootstrap || p.storeIds.length === 0) return;
    if (storeIds.length === 0 || storeIds.some((s) => !p.storeIds.includes(s))) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "a store-scoped admin can only grant its own stores");
    }
  }

  /** Creates an API key for a tenant; the key is returned once and only its SHA-256 is stored. */
  async createApiKey(p: Principal, scope: ApiKeyScope): Promise<{ apiKey: string; info: ApiKeyInfo }> {
    this.require(p, "admin", scope.tenantId);
    if (scope.prover === true) this.requireBootstrap(p);
    this.checkDelegation(p, scope.storeIds);
    const { apiKey, record } = this.newApiKeyRecord(scope);
    await this.store.insertApiKey(record);
    const info = apiKeyInfo(record);
    await this.audit(p, "api_key.create", scope.tenantId, info.keyHashPrefix, {
      permissions: info.permissions,
      store_ids: info.storeIds,
      agent_id: info.agentId,
      label: info.label,
      rate_limit: info.rateLimit,
    });
    return { apiKey, info };
  }

  /**
   * Whether `p` may see and act on an existing API key: the rule minting uses. The key belongs to a tenant `p`
   * administers, its stores are a subset of `p`'s (an unscoped key is wider than any store-scoped one) and its
   * permissions are at most `p`'s. The bootstrap admin (and the CLI operator) holds every key.
   */
  apiKeyWithinScope(p: Principal, r: ApiKeyRecord): boolean {
    if (p.bootstrap) return true;
    if (!this.can(p, "admin", r.tenantId)) return false;
    if (p.storeIds.length > 0 && (r.storeIds.length === 0 || r.storeIds.some((s) => !p.storeIds.includes(s)))) {
      return false;
    }
    return permissionRank(r) <= permissionRank({ canRead: p.read, canWrite: p.write, canAdmin: p.admin });
  }

  /**
   * API keys of a tenant (every tenant for the bootstrap admin when `tenantId` is undefined), only those within the
   * caller's scope (`apiKeyWithinScope`): a store-scoped admin does not see wider keys.
   * @throws SequencerError 403 unless the caller administers the tenant.
   */
  async listApiKeys(p: Principal, tenantId?: string): Promise<ApiKeyInfo[]> {
    if (tenantId === undefined) this.requireBootstrap(p);
    else this.require(p, "admin", tenantId);
    return (await this.store.listApiKeys(tenantId)).filter((r) => this.apiKeyWithinScope(p, r)).map(apiKeyInfo);
  }

  /**
   * The API keys within the caller's scope whose hash starts with `prefix` (lower-case hex). A key out of scope is
   * left out exactly like a nonexistent one, so its existence does not leak.
   * @throws SequencerError 403 when the caller administers no tenant (a read or read_write key).
   */
  async apiKeysByPrefix(p: Principal, prefix: string): Promise<ApiKeyRecord[]> {
    if (!p.bootstrap && !p.admin) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "admin permission is required to manage API keys");
    }
    return (await this.store.findApiKeysByPrefix(prefix)).filter((r) => this.apiKeyWithinScope(p, r));
  }

  /**
   * The one key within the principal's scope whose hash starts with `prefix`.
   * @throws 400 bad prefix, 403 not an admin, 404 none (or out of scope), 409 ambiguous.
   */
  private async keyByPrefix(p: Principal, prefix: string): Promise<ApiKeyRecord> {
    const wanted = prefix.toLowerCase();
    if (!/^[0-9a-f]{8,12}$/.test(wanted)) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "a key prefix is 8 to 12 hex characters");
    }
    const found = await this.apiKeysByPrefix(p, wanted);
    if (found.length === 0) throw new SequencerError(404, "NOT_FOUND", `no API key ${wanted}`);
    if (found.length > 1) {
      throw new SequencerError(409, "AMBIGUOUS_KEY_PREFIX", `${found.length} keys start with ${wanted}; give more`);
    }
    return found[0]!;
  }

  /** Revokes an API key by hash prefix (admin of its tenant); revoking twice keeps the first time. */
  async revokeApiKey(p: Principal, prefix: string): Promise<ApiKeyInfo> {
    const record = await this.keyByPrefix(p, prefix);
    const revoked = await this.store.revokeApiKey(record.keyHash, nowRfc3339());
    if (revoked === null) throw new SequencerError(404, "NOT_FOUND", `no API key ${prefix}`);
    const info = apiKeyInfo(revoked);
    await this.audit(p, "api_key.revoke", revoked.tenantId, info.keyHashPrefix);
    return info;
  }

  /** Replaces an active key by a new one with the same scope (shown once) and revokes the old one, atomically. */
  async rotateApiKey(p: Principal, prefix: string): Promise<{ apiKey: string; info: ApiKeyInfo; replaced: string }> {
    const old = await this.keyByPrefix(p, prefix);
    if (!old.active) throw new SequencerError(409, "KEY_REVOKED", `API key ${prefix} is revoked`);
    const { apiKey, record } = this.newApiKeyRecord({
      tenantId: old.tenantId,
      agentId: old.agentId,
      storeIds: old.storeIds,
      read: old.canRead,
      write: old.canWrite,
      admin: old.canAdmin,
      prover: old.canProve === true,
      label: old.label ?? null,
      rateLimit: old.rateLimit ?? null,
    });
    const stored = await this.store.rotateApiKey(old.keyHash, record, nowRfc3339());
    if (stored === null) throw new SequencerError(409, "KEY_REVOKED", `API key ${prefix} was revoked meanwhile`);
    const info = apiKeyInfo(stored);
    const replaced = hex(old.keyHash).slice(0, API_KEY_PREFIX_LENGTH);
    await this.audit(p, "api_key.rotate", old.tenantId, info.keyHashPrefix, { replaced });
    return { apiKey, info, replaced };
  }

  // Payload schemas ------------------------------------------------------------------------------------------------

  /**
   * Registers a JSON Schema as the next version of a tenant's event type (tenant admin).
   * @throws SequencerError 400 `INVALID_SCHEMA` when ajv cannot compile it or it is too large.
   */
  async registerSchema(
    p: Principal,
    input: { tenantId: string; eventType: string; schema: unknown; description: string | null; status: SchemaStatus },
  ): Promise<PayloadSchemaRecord> {
    this.requireTenantWideAdmin(p, input.tenantId, "changing payload schemas");
    const problem = this.schemas.check(input.schema);
    if (problem !== undefined)
      throw new SequencerError(400, "INVALID_SCHEMA", `the schema does not compile: ${problem}`);
    const schemaJson = stringifyJsonExact(input.schema as ExactJsonValue);
    if (Buffer.byteLength(schemaJson) > MAX_SCHEMA_BYTES) {
      throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `a schema is at most ${MAX_SCHEMA_BYTES} bytes`);
    }
    const now = nowRfc3339();
    const record = await this.store.insertSchema({
      schemaId: randomUUID(),
      tenantId: input.tenantId,
      eventType: input.eventType,
      schemaJson,
      status: input.status,
      description: input.description,
      createdAt: now,
      updatedAt: now,
    });
    this.schemas.invalidate(record.tenantId, record.eventType);
    await this.audit(p, "schema.create", record.tenantId, record.schemaId, {
      event_type: record.eventType,
      version: record.version,
      status: record.status,
    });
    return record;
  }

  /** A tenant's schemas, optionally of one event type (read permission). */
  async listSchemas(p: Principal, tenantId: string, eventType?: string): Promise<PayloadSchemaRecord[]> {
    this.require(p, "read", tenantId);
    return this.store.listSchemas(tenantId, eventType);
  }

  /** One schema (read permission on its tenant). @throws SequencerError 404. */
  async getSchema(p: Principal, schemaId: string): Promise<PayloadSchemaRecord> {
    const s = await this.store.getSchema(schemaId);
    if (s === null || !this.can(p, "read", s.tenantId))
      throw new SequencerError(404, "NOT_FOUND", `no schema ${schemaId}`);
    return s;
  }

  /** The schema that validates an event type now. @throws SequencerError 404 when there is none. */
  async latestSchema(p: Principal, tenantId: string, eventType: string): Promise<PayloadSchemaRecord> {
    this.require(p, "read", tenantId);
    const s = await this.store.activeSchema(tenantId, eventType);
    if (s === null) throw new SequencerError(404, "NOT_FOUND", `no active schema for event type ${eventType}`);
    return s;
  }

  /** Changes a schema's status (tenant admin). @throws SequencerError 404. */
  async setSchemaStatus(p: Principal, schemaId: string, status: SchemaStatus): Promise<PayloadSchemaRecord> {
    const s = await this.getSchema(p, schemaId);
    this.requireTenantWideAdmin(p, s.tenantId, "changing payload schemas");
    const updated = await this.store.setSchemaStatus(schemaId, status, nowRfc3339());
    if (updated === null) throw new SequencerError(404, "NOT_FOUND", `no schema ${schemaId}`);
    this.schemas.invalidate(s.tenantId, s.eventType);
    await this.audit(p, "schema.status", s.tenantId, schemaId, { from: s.status, to: status });
    return updated;
  }

  /** Deletes a schema (tenant admin); its version number is not reused. @throws SequencerError 404. */
  async deleteSchema(p: Principal, schemaId: string): Promise<void> {
    const s = await this.getSchema(p, schemaId);
    this.requireTenantWideAdmin(p, s.tenantId, "changing payload schemas");
    if (!(await this.store.deleteSchema(schemaId, nowRfc3339()))) {
      throw new SequencerError(404, "NOT_FOUND", `no schema ${schemaId}`);
    }
    this.schemas.invalidate(s.tenantId, s.eventType);
    await this.audit(p, "schema.delete", s.tenantId, schemaId, { event_type: s.eventType, version: s.version });
  }

  /** Validates a payload against a given schema, or the event type's active one (read permission). */
  async validatePayload(
    p: Principal,
    input: { tenantId: string; eventType: string; payload: unknown; schemaId?: string },
  ): Promise<SchemaCheck> {
    this.require(p, "read", input.tenantId);
    if (input.schemaId === undefined) return this.schemas.validate(input.tenantId, input.eventType, input.payload);
    const s = await this.getSchema(p, input.schemaId);
    if (s.tenantId !== input.tenantId || s.eventType !== input.eventType) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "the schema belongs to another tenant or event type");
    }
    return this.schemas.validateWith(s, input.payload);
  }

  // Tenants, stores, audit -----------------------------------------------------------------------------------------

  /** Registers a tenant (bootstrap admin). @throws SequencerError 409 if the id exists. */
  async createTenant(p: Principal, input: { tenantId?: string; name: string }): Promise<TenantRecord> {
    this.requireBootstrap(p);
    const tenant: TenantRecord = {
      tenantId: input.tenantId ?? randomUUID(),
      name: input.name,
      createdAt: nowRfc3339(),
    };
    if (tenant.tenantId === NIL_UUID)
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "the nil tenant is reserved");
    if (!(await this.store.createTenant(tenant))) {
      throw new SequencerError(409, "TENANT_EXISTS", `tenant ${tenant.tenantId} exists`);
    }
    await this.audit(p, "tenant.create", tenant.tenantId, tenant.tenantId, { name: tenant.name });
    return tenant;
  }

  /** Tenants: all for the bootstrap admin, otherwise the caller's own (if registered). */
  async listTenants(p: Principal): Promise<TenantRecord[]> {
    if (p.bootstrap) return this.store.listTenants();
    if (!p.admin) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "admin permission is required");
    const own = await this.store.getTenant(p.tenantId);
    return own === null ? [] : [own];
  }

  /** Registers a store of a tenant (tenant admin). @throws 404 unknown tenant, 409 existing store. */
  async createTenantStore(
    p: Principal,
    input: { tenantId: string; storeId?: string; name: string },
  ): Promise<TenantStoreRecord> {
    this.require(p, "admin", input.tenantId);
    if (p.storeIds.length > 0 && !p.bootstrap) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "a store-scoped key cannot create stores");
    }
    if ((await this.store.getTenant(input.tenantId)) === null) {
      throw new SequencerError(404, "NOT_FOUND", `no tenant ${input.tenantId}`);
    }
    const store: TenantStoreRecord = {
      tenantId: input.tenantId,
      storeId: input.storeId ?? randomUUID(),
      name: input.name,
      createdAt: nowRfc3339(),
    };
    if (!(await this.store.createTenantStore(store))) {
      throw new SequencerError(409, "STORE_EXISTS", `store ${store.storeId} of tenant ${store.tenantId} exists`);
    }
    await this.audit(p, "store.create", store.tenantId, store.storeId, { name: store.name });
    return store;
  }

  /** A tenant's stores (read permission on the tenant). */
  async listTenantStores(p: Principal, tenantId: string): Promise<TenantStoreRecord[]> {
    this.require(p, "read", tenantId);
    return this.store.listTenantStores(tenantId);
  }

  /** The audit log, newest first: one tenant's (its admin) or everything (bootstrap admin). */
  async listAudit(
    p: Principal,
    options: { tenantId?: string; beforeId?: bigint; limit: number },
  ): Promise<AuditEntry[]> {
    if (options.tenantId === undefined) this.requireBootstrap(p);
    else this.require(p, "admin", options.tenantId);
    // The tenant's log names every key and store of the tenant: a store-scoped admin does not read it.
    if (!p.bootstrap && p.storeIds.length > 0) {
      throw new SequencerError(
        403,
        "INSUFFICIENT_PERMISSIONS",
        "the audit log needs a tenant-wide admin key (this key is limited to some stores)",
      );
    }
    return this.store.listAudit(options);
  }

  // Agent keys -------------------------------------------------------------------------------------------------------

  private async agentKey(tenantId: string, agentId: string, keyId: number): Promise<AgentKey | null> {
    const id = `${tenantId}/${agentId}/${keyId}`;
    const now = Date.now();
    const hit = this.keyCache.get(id);
    if (hit !== undefined && now - hit.at < this.options.keyCacheMs) return hit.key;
    const key = await this.store.getAgentKey(tenantId, agentId, keyId);
    if (this.keyCache.size > 10_000) this.keyCache.clear();
    this.keyCache.set(id, { key, at: now });
    return key;
  }

  /** Registers an agent's Ed25519 key (admin of the tenant). @throws SequencerError 409 if it exists. */
  async registerAgentKey(p: Principal, key: Omit<AgentKey, "status" | "revokedAt" | "createdAt">): Promise<AgentKey> {
    this.requireTenantWideAdmin(p, key.tenantId, "registering agent keys");
    if (key.validFrom !== null && key.validTo !== null && Date.parse(key.validFrom) > Date.parse(key.validTo)) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "validFrom must not be after validTo");
    }
    const full: AgentKey = { ...key, status: "active", revokedAt: null, createdAt: nowRfc3339() };
    if (!(await this.store.insertAgentKey(full))) {
      throw new SequencerError(409, "KEY_ALREADY_EXISTS", `key ${key.keyId} of agent ${key.agentId} already exists`);
    }
    this.keyCache.delete(`${key.tenantId}/${key.agentId}/${key.keyId}`);
    await this.audit(p, "agent_key.register", key.tenantId, `${key.agentId}/${key.keyId}`, {
      public_key: hex(key.publicKey),
      valid_from: key.validFrom,
      valid_to: key.validTo,
    });
    return full;
  }

  /** Lists an agent's keys (read permission on the tenant). */
  async listAgentKeys(p: Principal, tenantId: string, agentId: string): Promise<AgentKey[]> {
    this.require(p, "read", tenantId);
    return this.store.listAgentKeys(tenantId, agentId);
  }

  /** Revokes an agent key (admin of the tenant). @throws SequencerError 404 if unknown. */
  async revokeAgentKey(p: Principal, tenantId: string, agentId: string, keyId: number): Promise<AgentKey> {
    this.requireTenantWideAdmin(p, tenantId, "revoking agent keys");
    const key = await this.store.revokeAgentKey(tenantId, agentId, keyId, nowRfc3339());
    if (key === null) throw new SequencerError(404, "NOT_FOUND", `no key ${keyId} for agent ${agentId}`);
    this.keyCache.delete(`${tenantId}/${agentId}/${keyId}`);
    await this.audit(p, "agent_key.revoke", tenantId, `${agentId}/${keyId}`);
    return key;
  }

  // Ingest ----------------------------------------------------------------------------------------------------------

  /**
   * Ingests a request body (§7): the outer shape, count and sizes fail the whole request; everything about one
   * envelope is a per-event rejection; accepted events are sequenced atomically and answered with signed receipts.
   */
  async ingest(p: Principal, body: unknown): Promise<IngestResponseJson> {
    // 1. Outer shape, count and sizes (whole request).
    if (!isObject(body)) throw new SequencerError(422, "INVALID_REQUEST", "the body must be a JSON object");
    const agentId = asUuid(body.agentId);
    if (agentId === undefined) throw new SequencerError(422, "INVALID_REQUEST", "agentId must be a UUID");
    const raw = body.events;
    if (!Array.isArray(raw)) throw new SequencerError(422, "INVALID_REQUEST", "events must be an array");
    if (raw.length === 0) throw new SequencerError(400, "INVALID_FIELD_VALUE", "events must not be empty");
    if (raw.length > 1000) throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `${raw.length} events, over 1000`);
    if (p.agentId !== null && p.agentId !== agentId) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "Agent mismatch");
    }

    // 2. Parse every envelope; collect per-event rejections.
    const n = raw.length;
    const rejected = new Map<number, { reason: string; message: string }>();
    const events: (VesEvent | undefined)[] = new Array(n);
    const ids: string[] = raw.map((e) => (isObject(e) && typeof e.event_id === "string" ? e.event_id : ""));
    for (let i = 0; i < n; i++) {
      const r = parseEnvelope(raw[i], { strict: this.options.strictFormat });
      if (r.ok) {
        ids[i] = r.event.eventId;
        // PostgreSQL text cannot hold U+0000; refuse it on every backend so both behave alike.
        const nul = (["entity_type", "entity_id", "event_type", "created_at"] as const).find((f) =>
          r.envelope[f].includes("\u0000"),
        );
        if (nul !== undefined) {
          rejected.set(i, { reason: schemaValidationReason(nul), message: `${nul} must not contain U+0000` });
          continue;
        }
        events[i] = r.event;
        continue;
      }
      if (r.rejection.status === 413)
        throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `events[${i}]: ${r.rejection.message}`);
      const reason = r.rejection.reason.startsWith(`${REASON.MALFORMED}: `)
        ? schemaValidationReason(r.rejection.reason.slice(REASON.MALFORMED.length + 2))
        : r.rejection.reason;
      rejected.set(i, { reason, message: r.rejection.message });
    }

    // 3. One stream, one agent (whole request), then write permission on that stream.
    let stream: StreamRef | undefined;
    for (let i = 0; i < n; i++) {
      const e = raw[i];
      const t = isObject(e) ? asUuid(e.tenant_id) : undefined;
      const s = isObject(e) ? asUuid(e.store_id) : undefined;
      if (t === undefined || s === undefined) continue;
      if (stream === undefined) stream = { tenantId: t, storeId: s };
      else if (stream.tenantId !== t || stream.storeId !== s) {
        throw new SequencerError(400, "INVALID_FIELD_VALUE", `events[${i}] is not in the stream of the first event`);
      }
      const a = isObject(e) ? asUuid(e.source_agent_id) : undefined;
      if (a !== undefined && a !== agentId) {
        throw new SequencerError(400, "INVALID_FIELD_VALUE", `events[${i}].source_agent_id does not match agentId`);
      }
    }
    if (stream !== undefined) this.require(p, "write", stream.tenantId, stream.storeId);
    else if (!p.write) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "write permission is required");

    // 4. Duplicate event ids within the request.
    const firstIndex = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      if (events[i] === undefined) continue;
      const id = ids[i]!;
      if (firstIndex.has(id)) {
        rejected.set(i, { reason: REASON.DUPLICATE_EVENT_ID, message: `Event ${id} duplicated in batch` });
      } else firstIndex.set(id, i);
    }

    // 5. Already stored: an exact replay answers with the original receipt, before any key or signature check.
    const replays = new Map<number, StoredReceipt>();
    const normal = new Map<number, CanonicalEnvelope>();
    const live = [...firstIndex.values()].filter((i) => !rejected.has(i));
    const stored = await this.store.getEventsById(live.map((i) => ids[i]!));
    for (const i of live) {
      const env = canonicalEnvelope(normalizeEnvelope(events[i]!));
      normal.set(i, env);
      const prior = stored.get(ids[i]!);
      if (prior === undefined) continue;
      const same =
        stream !== undefined &&
        prior.tenantId === stream.tenantId &&
        prior.storeId === stream.storeId &&
        Buffer.compare(prior.contentHash, env.hash) === 0;
      if (same) replays.set(i, prior.receipt);
      else {
        const differs = prior.tenantId === stream?.tenantId && prior.storeId === stream?.storeId;
        rejected.set(i, {
          reason: REASON.DUPLICATE_EVENT_ID,
          message: differs ? "Event ID already exists with different contents" : "Event ID already exists",
        });
      }
    }

    // 5b. Payload schemas (§7.1 step 8): plaintext payloads against their event type's active schema.
    const mode = this.options.schemaMode ?? "enforce";
    if (mode !== "disabled") {
      for (const i of live) {
        if (rejected.has(i) || replays.has(i)) continue;
        const e = events[i]!;
        if (e.payloadKind !== 0 || e.payload === undefined) continue;
        const check = await this.schemas.validate(e.tenantId, e.eventType, e.payload);
        if (check.valid) continue;
        const message = `payload does not match schema ${check.schema.schemaId} (version ${check.schema.version}): ${describeProblems(check.problems)}`;
        if (mode === "enforce") rejected.set(i, { reason: "schema_validation", message });
        else {
          this.options.logger?.warn(
            { eventId: e.eventId, schemaId: check.schema.schemaId, problems: check.problems },
            "payload does not match its schema (schemaValidation=warn: accepted)",
          );
        }
      }
    }

    // 6. Hashes, key validity at now, and the signature, in the reference's order (§7.2 step 3).
    const now = Date.now();
    const signingHashes = new Map<number, Uint8Array>();
    const toVerify: (VerifyItem & { i: number })[] = [];
    for (const i of live) {
      if (rejected.has(i) || replays.has(i)) continue;
      const e = events[i]!;
      const hashes = deriveEventHashes(e);
      signingHashes.set(i, hashes.eventSigningHash);
      if (e.payloadKind === 0 && !bytesEqual(hashes.payloadPlainHash, e.payloadPlainHash)) {
        rejected.set(i, { reason: REASON.INVALID_PAYLOAD_HASH, message: "payload_plain_hash does not match" });
        continue;
      }
      if (e.payloadKind === 1 && !bytesEqual(hashes.payloadCipherHash, e.payloadCipherHash)) {
        rejected.set(i, { reason: REASON.INVALID_CIPHER_HASH, message: "payload_cipher_hash does not match" });
        continue;
      }
      const key = await this.agentKey(e.tenantId, e.sourceAgentId, e.agentKeyId);
      const problem = agentKeyProblem(key, now);
      if (problem !== undefined) {
        rejected.set(i, { reason: agentKeyInvalidReason(problem), message: problem });
        continue;
      }
      const scheme = e.agentSignatureScheme ?? 0;
      if (scheme !== 0 && scheme !== 1) {
        rejected.set(i, { reason: REASON.INVALID_SIGNATURE, message: `signature scheme ${scheme} is not supported` });
        continue;
      }
      toVerify.push({ i, signature: e.agentSignature, message: hashes.eventSigningHash, publicKey: key!.publicKey });
    }
    // The signatures of a large request are checked on the worker pool, beside the main thread; small ones inline.
    // On the pool, the receipts these events are expected to get are signed there too, meanwhile (see `presign`).
    const pool = this.options.verifyPool;
    let presigned: Map<string, PresignedReceipt> | undefined;
    let valid: boolean[];
    if (pool !== undefined && toVerify.length >= VERIFY_POOL_MIN) {
      const work = stream === undefined ? undefined : this.presign(pool, stream, toVerify, events);
      [valid, presigned] = await Promise.all([pool.verifyAll(toVerify), work]);
    } else valid = toVerify.map((v) => ed25519Node.verify(v.signature, v.message, v.publicKey));
    toVerify.forEach((v, k) => {
      if (valid[k] !== true) {
        rejected.set(v.i, {
          reason: REASON.INVALID_SIGNATURE,
          message: "Ed25519 signature does not verify under the agent key",
        });
      }
    });

    // 7. Duplicate command ids within the request.
    const commands = new Set<string>();
    for (const i of live) {
      if (rejected.has(i) || replays.has(i)) continue;
      const c = events[i]!.commandId;
      if (c === undefined) continue;
      if (commands.has(c)) {
        rejected.set(i, { reason: REASON.DUPLICATE_COMMAND_ID, message: `Command ${c} duplicated in batch` });
      } else commands.add(c);
    }

    // 8. Sequence the survivors atomically.
    const order = live.filter((i) => !rejected.has(i) && !replays.has(i));
    const outcomes = new Map<number, AppendOutcome>();
    let head = 0n;
    if (stream !== undefined && order.length > 0) {
      const candidates = order.map((i) => eventCandidate(events[i]!, signingHashes.get(i)!, normal.get(i)!));
      const target = stream;
      let missed = presigned === undefined ? 0 : candidates.length;
      const result = await this.store.appendEvents(stream, candidates, (c, seq) => {
        const pre = presigned?.get(c.eventId);
        if (pre === undefined || pre.sequenceNumber !== seq || !bytesEqual(pre.eventSigningHash, c.eventSigningHash)) {
          return this.receiptFor(target, c, seq);
        }
        missed--;
        return this.receipt(seq, pre.receiptHash, pre.signature);
      });
      // A guess that missed (rejections, another writer) is corrected from the head the store reached.
      if (missed > 0) this.nextSequence.set(streamKey(stream), result.headSequence + 1n);
      order.forEach((i, k) => outcomes.set(i, result.outcomes[k]!));
      head = result.headSequence;
    } else if (stream !== undefined) {
      head = await this.store.headSequence(stream);
    }

    // 9. The response, in request order.
    const response: IngestResponseJson = {
      batchId: randomUUID(),
      eventsAccepted: 0,
      eventsRejected: 0,
      sequenceStart: null,
      sequenceEnd: null,
      headSequence: head,
    };
    const rejections: NonNullable<IngestResponseJson["rejections"]> = [];
    const receipts: ReceiptJson[] = [];
    let replayed = 0;
    for (let i = 0; i < n; i++) {
      const r = rejected.get(i);
      const replay = replays.get(i);
      const outcome = outcomes.get(i);
      if (r !== undefined) rejections.push({ event_id: ids[i]!, reason: r.reason, message: r.message });
      else if (replay !== undefined) {
        receipts.push(receiptJson(ids[i]!, replay));
        replayed++;
      } else if (outcome?.kind === "rejected") {
        rejections.push({ event_id: ids[i]!, reason: outcome.reason, message: outcome.message });
      } else if (outcome !== undefined) {
        receipts.push(receiptJson(ids[i]!, outcome.receipt));
        if (outcome.kind === "replay") replayed++;
        else {
          response.eventsAccepted++;
          const seq = outcome.receipt.sequenceNumber;
          if (response.sequenceStart === null) response.sequenceStart = seq;
          response.sequenceEnd = seq;
        }
      }
    }
    response.eventsRejected = rejections.length;
    if (rejections.length > 0) response.rejections = rejections;
    if (receipts.length > 0) response.receipts = receipts;
    this.options.hooks?.onIngest?.(
      response.eventsAccepted,
      rejections.length,
      replayed,
      rejections.map((r) => r.reason.split(":")[0]!),
    );
    return response;
  }

  /** The signed receipt of a candidate at its sequence number (§4.2 item 7, §5.3), from its known signing hash. */
  private receiptFor(stream: StreamRef, c: EventCandidate, sequenceNumber: bigint): StoredReceipt {
    const hash = receiptHash({
      tenantId: stream.tenantId,
      storeId: stream.storeId,
      eventId: c.eventId,
      sequenceNumber,
      eventSigningHash: c.eventSigningHash,
    });
    return this.receipt(sequenceNumber, hash, this.signer.sign(hash));
  }

  /** A receipt from its hash and this sequencer's signature of it. */
  private receipt(sequenceNumber: bigint, hash: Uint8Array, signature: Uint8Array): StoredReceipt {
    return {
      sequencerId: this.sequencerId,
      sequenceNumber,
      sequencedAt: nowRfc3339(),
      receiptHash: hash,
      signature,
      keyVersion: this.keyVersion,
    };
  }

  /**
   * Signs on the worker pool, off the main thread, the receipts the events to verify would get if they were all
   * appended in order at the stream's expected next sequence number, and reserves those numbers for the guess of
   * the next request. The append uses a presigned receipt only for the event id, sequence number and signing hash it
   * was made for (so exactly the receipt `receiptFor` would make: Ed25519 signatures are deterministic); a wrong
   * guess falls back to signing inline. Resolves empty if the pool fails (the inline path then signs everything).
   */
  private async presign(
    pool: VerifyPool,
    stream: StreamRef,
    items: readonly { readonly i: number; readonly message: Uint8Array }[],
    events: readonly (VesEvent | undefined)[],
  ): Promise<Map<string, PresignedReceipt>> {
    const out = new Map<string, PresignedReceipt>();
    try {
      const key = streamKey(stream);
      let next = this.nextSequence.get(key);
      if (next === undefined) next = (await this.store.headSequence(stream)) + 1n;
      // Another request may have reserved meanwhile (across the await above): take the later guess.
      next = this.nextSequence.get(key) ?? next;
      if (this.nextSequence.size >= 10_000) this.nextSequence.clear();
      this.nextSequence.set(key, next + BigInt(items.length));
      const planned = items.map((v, k) => {
        const eventId = events[v.i]!.eventId;
        const sequenceNumber = next + BigInt(k);
        const hash = receiptHash({
          tenantId: stream.tenantId,
          storeId: stream.storeId,
          eventId,
          sequenceNumber,
          eventSigningHash: v.message,
        });
        return { eventId, sequenceNumber, eventSigningHash: v.message, receiptHash: hash };
      });
      const signatures = await pool.signAll(
        this.options.signingSeed,
        planned.map((p) => p.receiptHash),
      );
      planned.forEach((p, k) => out.set(p.eventId, { ...p, signature: signatures[k]! }));
    } catch (err) {
      this.options.logger?.warn({ err }, "presigning receipts on the worker pool failed (signing inline)");
      out.clear();
    }
    return out;
  }

  // Commitments and proofs -------------------------------------------------------------------------------------------

  /**
   * Commits `[start, end]` of a stream (§8.2); the same range again returns the same commitment.
   * @throws SequencerError 400 when the range cannot be committed.
   */
  async commit(
    stream: StreamRef,
    start: bigint,
    end: bigint,
  ): Promise<{ commitment: StoredCommitment; created: boolean }> {
    const batchId = randomUUID();
    const result = await this.store.createCommitment(stream, start, end, batchId, (s, range, leaves, prev) => {
      const c = buildCommitment({
        tenantId: s.tenantId,
        storeId: s.storeId,
        sequenceStart: range.start,
        prevStateRoot: prev,
        leaves: leaves.map((l) =>
          leafHash({
            tenantId: s.tenantId,
            storeId: s.storeId,
            sequenceNumber: l.sequenceNumber,
            eventSigningHash: l.eventSigningHash,
            agentSignature: l.agentSignature,
          }),
        ),
      });
      this.trees.set(batchId, c.tree);
      return {
        batchId,
        tenantId: s.tenantId,
        storeId: s.storeId,
        vesVersion: 1,
        treeDepth: c.treeDepth,
        leafCount: c.leafCount,
        paddedLeafCount: c.paddedLeafCount,
        merkleRoot: c.merkleRoot,
        prevStateRoot: c.prevStateRoot,
        newStateRoot: c.newStateRoot,
        sequenceStart: c.sequenceStart,
        sequenceEnd: c.sequenceEnd,
      };
    });
    if (result.kind === "rejected") {
      this.trees.delete(batchId);
      throw new SequencerError(400, "INVALID_FIELD_VALUE", result.message);
    }
    if (result.kind === "created") this.options.hooks?.onCommitment?.(result.commitment);
    return { commitment: result.commitment, created: result.kind === "created" };
  }

  /** The Merkle tree of a commitment, rebuilt from the stored leaves once and cached. */
  async treeOf(c: StoredCommitment): Promise<MerkleTree> {
    const cached = this.trees.get(c.batchId);
    if (cached !== undefined) return cached;
    const stream = { tenantId: c.tenantId, storeId: c.storeId };
    const leaves = await this.store.leafInputs(stream, c.sequenceStart, c.sequenceEnd);
    const tree = buildMerkleTree(
      leaves.map((l) =>
        leafHash({
          ...stream,
          sequenceNumber: l.sequenceNumber,
          eventSigningHash: l.eventSigningHash,
          agentSignature: l.agentSignature,
        }),
      ),
    );
    if (Buffer.compare(tree.root, c.merkleRoot) !== 0) {
      throw new SequencerError(500, "INTERNAL_ERROR", `stored events no longer match commitment ${c.batchId}`);
    }
    if (this.trees.size >= 256) this.trees.delete(this.trees.keys().next().value as string);
    this.trees.set(c.batchId, tree);
    return tree;
  }

  /** The inclusion proof of a sequence number in its commitment. */
  async proof(c: StoredCommitment, sequenceNumber: bigint) {
    const tree = await this.treeOf(c);
    return inclusionProof(tree, Number(sequenceNumber - c.sequenceStart));
  }
}
