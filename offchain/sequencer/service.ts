/**
 * The sequencer's protocol logic, independent of HTTP, as one facade over the concerns' services: authentication and
 * rate limits (`auth/`), tenants, stores, API keys and the audit log (`tenants/`), agent and receipt keys (`keys/`),
 * payload schemas (`schemas/`), ingest (`events/`), commitments and inclusion proofs (`commitments/`). The routes,
 * the CLI and the proof service call it; each method forwards to the concern that owns it.
 */
import type { MerkleTree } from "../ves";
import type { Logger } from "../common";
import { Authenticator, type RequestHeaders } from "./auth";
import type { JwtVerifier } from "./auth";
import { can, requireBootstrap, requirePermission, type Permission, type Principal } from "./auth";
import { RateLimiter, type RateLimitOptions } from "./auth";
import { CommitmentService } from "./commitments";
import { IngestPipeline, type IngestResponseJson } from "./events";
import { Presigner } from "./events";
import type { VerifyPool } from "./events";
import { AgentKeyService } from "./keys";
import { ReceiptKeys } from "./keys";
import { SchemaRegistry, type SchemaCheck, type SchemaMode } from "./schemas";
import { SchemaService } from "./schemas";
import type {
  AgentKey,
  ApiKeyRecord,
  AuditEntry,
  PayloadSchemaRecord,
  SchemaStatus,
  SequencerKeyRecord,
  SequencerStore,
  StoredCommitment,
  TenantRecord,
  TenantStoreRecord,
} from "./store";
import { ApiKeyService, apiKeyWithinScope, type ApiKeyInfo, type ApiKeyScope } from "./tenants";
import { AuditLog } from "./tenants";
import { TenantService } from "./tenants";

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
  /** JWT bearer credentials (HS256 secret, issuer, audience); absent: bearer tokens are refused. */
  readonly jwt?: JwtVerifier;
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

/** The sequencer. */
export class SequencerService {
  readonly store: SequencerStore;
  /** The payload-schema registry and its caches. */
  readonly schemas: SchemaRegistry;
  readonly auditLog: AuditLog;
  readonly authenticator: Authenticator;
  readonly rateLimiter: RateLimiter;
  readonly tenants: TenantService;
  readonly apiKeys: ApiKeyService;
  readonly agentKeys: AgentKeyService;
  readonly receiptKeys: ReceiptKeys;
  readonly schemaAdmin: SchemaService;
  readonly ingestPipeline: IngestPipeline;
  readonly commitments: CommitmentService;

  constructor(options: SequencerServiceOptions) {
    const { store, hooks, logger } = options;
    this.store = store;
    this.schemas = new SchemaRegistry(store, options.keyCacheMs);
    this.auditLog = new AuditLog(store);
    this.authenticator = new Authenticator(store, options.adminApiKey, options.jwt);
    this.rateLimiter = new RateLimiter(store, options.rateLimits);
    this.tenants = new TenantService(store, this.auditLog);
    this.apiKeys = new ApiKeyService(store, this.auditLog);
    this.agentKeys = new AgentKeyService(store, this.auditLog, options.keyCacheMs);
    this.receiptKeys = new ReceiptKeys(
      store,
      this.auditLog,
      options.signingSeed,
      options.sequencerId,
      options.keyCacheMs,
    );
    this.schemaAdmin = new SchemaService(store, this.schemas, this.auditLog);
    this.ingestPipeline = new IngestPipeline({
      store,
      agentKeys: this.agentKeys,
      receiptKeys: this.receiptKeys,
      presigner: new Presigner(store, options.signingSeed, logger),
      schemas: this.schemas,
      strictFormat: options.strictFormat,
      ...(options.schemaMode === undefined ? {} : { schemaMode: options.schemaMode }),
      ...(options.verifyPool === undefined ? {} : { verifyPool: options.verifyPool }),
      ...(logger === undefined ? {} : { logger }),
      ...(hooks?.onIngest === undefined ? {} : { onIngest: hooks.onIngest.bind(hooks) }),
    });
    this.commitments = new CommitmentService(store, hooks?.onCommitment?.bind(hooks));
  }

  // Receipt keys -------------------------------------------------------------------------------------------------

  /** The id in receipts: configured, or this database's local sequencer's (see `init`). */
  get sequencerId(): string {
    return this.receiptKeys.sequencerId;
  }
  /** The version of the receipt-signing key in the key registry (0 until `init`). */
  get keyVersion(): number {
    return this.receiptKeys.keyVersion;
  }
  get publicKey(): Uint8Array {
    return this.receiptKeys.publicKey;
  }
  /** Registers the receipt key in the database's key registry and adopts its version (`ReceiptKeys.init`). */
  init(): Promise<void> {
    return this.receiptKeys.init();
  }
  /** Every published receipt key: this sequencer's first, by version, then imported ones. */
  sequencerKeys(): Promise<SequencerKeyRecord[]> {
    return this.receiptKeys.list();
  }
  /** Registers a new receipt-signing public key under this sequencer id (bootstrap admin). */
  registerReceiptKey(p: Principal, publicKey: Uint8Array): Promise<SequencerKeyRecord> {
    return this.receiptKeys.register(p, publicKey);
  }

  // Authentication, permissions, rate limits ---------------------------------------------------------------------

  /** Counts a request of `p` against its limits. @throws SequencerError 429 `rate_limited`. */
  checkRateLimit(p: Principal): Promise<void> {
    return this.rateLimiter.check(p);
  }
  /** Resolves the credential of a request. @throws SequencerError 401 `missing_auth` / `invalid_api_key`. */
  authenticate(headers: RequestHeaders): Promise<Principal> {
    return this.authenticator.authenticate(headers);
  }
  /** Whether a principal holds a permission on a tenant (and store). */
  can(p: Principal, perm: Permission, tenantId: string, storeId?: string): boolean {
    return can(p, perm, tenantId, storeId);
  }
  /** @throws SequencerError 403 when the principal lacks the permission. */
  require(p: Principal, perm: Permission, tenantId: string, storeId?: string): void {
    requirePermission(p, perm, tenantId, storeId);
  }
  /** @throws SequencerError 403 unless the caller is the bootstrap admin. */
  requireBootstrap(p: Principal): void {
    requireBootstrap(p);
  }

  // Tenants, stores, API keys, audit -----------------------------------------------------------------------------

  /** Appends an audit entry for an action of `p`. */
  audit(
    p: Principal,
    action: string,
    tenantId: string | null,
    target: string | null,
    details?: Record<string, unknown>,
  ) {
    return this.auditLog.record(p, action, tenantId, target, details);
  }
  createApiKey(p: Principal, scope: ApiKeyScope): Promise<{ apiKey: string; info: ApiKeyInfo }> {
    return this.apiKeys.create(p, scope);
  }
  /** Whether `p` may see and act on an existing API key (see `apiKeyWithinScope`). */
  apiKeyWithinScope(p: Principal, r: ApiKeyRecord): boolean {
    return apiKeyWithinScope(p, r);
  }
  listApiKeys(p: Principal, tenantId?: string): Promise<ApiKeyInfo[]> {
    return this.apiKeys.list(p, tenantId);
  }
  apiKeysByPrefix(p: Principal, prefix: string): Promise<ApiKeyRecord[]> {
    return this.apiKeys.byPrefix(p, prefix);
  }
  revokeApiKey(p: Principal, prefix: string): Promise<ApiKeyInfo> {
    return this.apiKeys.revoke(p, prefix);
  }
  rotateApiKey(p: Principal, prefix: string): Promise<{ apiKey: string; info: ApiKeyInfo; replaced: string }> {
    return this.apiKeys.rotate(p, prefix);
  }
  createTenant(p: Principal, input: { tenantId?: string; name: string }): Promise<TenantRecord> {
    return this.tenants.createTenant(p, input);
  }
  listTenants(p: Principal): Promise<TenantRecord[]> {
    return this.tenants.listTenants(p);
  }
  createTenantStore(p: Principal, input: { tenantId: string; storeId?: string; name: string }) {
    return this.tenants.createTenantStore(p, input);
  }
  listTenantStores(p: Principal, tenantId: string): Promise<TenantStoreRecord[]> {
    return this.tenants.listTenantStores(p, tenantId);
  }
  listAudit(p: Principal, options: { tenantId?: string; beforeId?: bigint; limit: number }): Promise<AuditEntry[]> {
    return this.auditLog.list(p, options);
  }

  // Payload schemas ----------------------------------------------------------------------------------------------

  registerSchema(
    p: Principal,
    input: { tenantId: string; eventType: string; schema: unknown; description: string | null; status: SchemaStatus },
  ): Promise<PayloadSchemaRecord> {
    return this.schemaAdmin.register(p, input);
  }
  listSchemas(p: Principal, tenantId: string, eventType?: string): Promise<PayloadSchemaRecord[]> {
    return this.schemaAdmin.list(p, tenantId, eventType);
  }
  getSchema(p: Principal, schemaId: string): Promise<PayloadSchemaRecord> {
    return this.schemaAdmin.get(p, schemaId);
  }
  latestSchema(p: Principal, tenantId: string, eventType: string): Promise<PayloadSchemaRecord> {
    return this.schemaAdmin.latest(p, tenantId, eventType);
  }
  setSchemaStatus(p: Principal, schemaId: string, status: SchemaStatus): Promise<PayloadSchemaRecord> {
    return this.schemaAdmin.setStatus(p, schemaId, status);
  }
  deleteSchema(p: Principal, schemaId: string): Promise<void> {
    return this.schemaAdmin.delete(p, schemaId);
  }
  validatePayload(
    p: Principal,
    input: { tenantId: string; eventType: string; payload: unknown; schemaId?: string },
  ): Promise<SchemaCheck> {
    return this.schemaAdmin.validatePayload(p, input);
  }

  // Agent keys ---------------------------------------------------------------------------------------------------

  registerAgentKey(p: Principal, key: Omit<AgentKey, "status" | "revokedAt" | "createdAt">): Promise<AgentKey> {
    return this.agentKeys.register(p, key);
  }
  listAgentKeys(p: Principal, tenantId: string, agentId: string): Promise<AgentKey[]> {
    return this.agentKeys.list(p, tenantId, agentId);
  }
  revokeAgentKey(p: Principal, tenantId: string, agentId: string, keyId: number): Promise<AgentKey> {
    return this.agentKeys.revoke(p, tenantId, agentId, keyId);
  }

  // Ingest, commitments, proofs ----------------------------------------------------------------------------------

  /** Ingests a request body (§7; see `events/ingest.ts`). */
  ingest(p: Principal, body: unknown): Promise<IngestResponseJson> {
    return this.ingestPipeline.ingest(p, body);
  }
  /** Commits `[start, end]` of a stream (§8.2). @throws SequencerError 400 when the range cannot be committed. */
  commit(stream: { tenantId: string; storeId: string }, start: bigint, end: bigint) {
    return this.commitments.commit(stream, start, end);
  }
  /** The Merkle tree of a commitment (cached). */
  treeOf(c: StoredCommitment): Promise<MerkleTree> {
    return this.commitments.treeOf(c);
  }
  /** The inclusion proof of a sequence number in its commitment. */
  proof(c: StoredCommitment, sequenceNumber: bigint) {
    return this.commitments.proof(c, sequenceNumber);
  }
}
