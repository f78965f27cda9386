/**
 * The sequencer's storage contract. Two backends implement it with the same behaviour: SQLite (embedded default,
 * one process) and PostgreSQL (production, several processes). Everything that must be atomic — sequence
 * assignment, command dedupe, optimistic concurrency, commitments — happens inside one backend call, under a
 * per-stream lock, so the service above needs no locking of its own.
 *
 * The contract is cut by concern, as Trillian cuts its storage: each concern folder's `store.ts` declares a narrow
 * interface (`EventsStore`, `CommitmentsStore`, `KeysStore`, `TenantsStore`, `SchemasStore`, `RateLimitStore`,
 * `ProofsStore`) with its record types, and a service needs only its slice. `SequencerStore` is their intersection
 * plus the lifecycle; this file re-exports the slices' types so `./store/types` keeps naming all of them.
 */
import type { RateLimitStore } from "../auth/store";
import type { CommitmentsStore } from "../commitments/store";
import type { EventsStore } from "../events/store";
import type { KeysStore } from "../keys/store";
import type { ProofsStore } from "../proofs/store";
import type { SchemasStore } from "../schemas/store";
import type { TenantsStore } from "../tenants/store";

export type { RateLimitCounts, RateLimitStore } from "../auth/store";
export type {
  AnchorTx,
  CommitmentBuilder,
  CommitmentsStore,
  CreateCommitmentResult,
  LeafInput,
  ListCommitmentsOptions,
  MarkAnchoredResult,
  PendingStream,
  StoredCommitment,
  UnmarkAnchoredResult,
} from "../commitments/store";
export type {
  AnchorLease,
  AnchorLeaseRelease,
  AnchorLeaseResult,
  AnchorLeaseStore,
} from "../commitments/store-anchor-lease";
export type {
  AppendOutcome,
  AppendResult,
  EntityHistory,
  EntityRef,
  EventCandidate,
  EventsStore,
  ImportResult,
  ImportedEvent,
  ReceiptFactory,
  StoredEvent,
  StoredReceipt,
  StreamHead,
  StreamRef,
} from "../events/store";
export type { AgentKey, KeysStore, SequencerKeyRecord } from "../keys/store";
export type { PayloadSchemaRecord, SchemaStatus, SchemasStore } from "../schemas/store";
export type {
  ApiKeyRecord,
  AuditEntry,
  AuditEntryInput,
  ListAuditOptions,
  TenantRecord,
  TenantStoreRecord,
  TenantsStore,
} from "../tenants/store";
export { API_KEY_PREFIX_LENGTH } from "../tenants/store";
export type {
  ClaimOutcome,
  MarkProofOutcome,
  PendingValidity,
  ProofAnchor,
  ProofClaim,
  ProofKind,
  ProofStore,
  ProofsStore,
  StoredProof,
  UnmarkProofOutcome,
} from "../proofs/store";

/** What every backend does besides storing: its kind, schema upgrades, liveness, backup, closing, leadership. */
export interface StoreLifecycle {
  /** `sqlite` or `postgres`. */
  readonly kind: "sqlite" | "postgres";
  /** Creates or upgrades the schema (versioned migrations); idempotent. */
  migrate(): Promise<void>;
  /** Cheap liveness query. */
  ping(): Promise<void>;
  /**
   * When a commit is durable, read live from the database: SQLite `synchronous=FULL` (fsync per commit) or `NORMAL`;
   * PostgreSQL `synchronous_commit=on|…`. The service logs it at start.
   */
  durability(): Promise<string>;
  /** Closes connections; further calls fail. */
  close(): Promise<void>;
  /**
   * Writes a consistent online copy of the whole database to the new file `destination` (SQLite: the backup API,
   * between the store's transactions; writers of other processes restart it). PostgreSQL refuses with
   * `AppError` `BACKUP_UNSUPPORTED`: use `pg_dump` (README, "Backup and restore").
   */
  backup(destination: string): Promise<{ readonly bytes: number }>;
  /**
   * Tries to become the single commit worker among processes sharing the database; true while this process leads.
   * SQLite (one process) always leads; PostgreSQL holds a session advisory lock.
   */
  tryAcquireLeadership(name: string): Promise<boolean>;
  releaseLeadership(name: string): Promise<void>;
}

/** The storage backend of the sequencer: every slice, plus the lifecycle. */
export type SequencerStore = StoreLifecycle &
  EventsStore &
  CommitmentsStore &
  KeysStore &
  TenantsStore &
  SchemasStore &
  RateLimitStore &
  ProofsStore;
