/**
 * The commitments slice of the store: creating a stream's commitments (§8.2), reading them, the leaf inputs of
 * inclusion proofs, the streams waiting for a commitment, the anchored marks and the anchor lease. Its record types,
 * its narrow interface (`CommitmentsStore`), and the SQL and row mapping both backends share; the creation rule is in
 * store-tx.ts, the backends in store-sqlite.ts and store-postgres.ts, the lease in store-anchor-lease.ts.
 */
import { big, buf, bytes, maybeBig, maybeBytes, type Placeholder, type Row } from "../store/rows";
import type { StreamRef } from "../store/stream";

import type { AnchorLeaseStore } from "./store-anchor-lease";

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

/** The anchoring transaction of a commitment. */
export interface AnchorTx {
  readonly chainId: bigint;
  readonly txHash: Uint8Array;
  readonly blockNumber: bigint | null;
}

/** Paging and filtering of `listCommitments`. */
export interface ListCommitmentsOptions {
  readonly anchored?: boolean;
  readonly afterSequence?: bigint;
  readonly limit: number;
}

/** A stream whose events are not all committed yet. */
export interface PendingStream extends StreamRef {
  /** First sequence not covered by a commitment. */
  readonly firstPending: bigint;
  readonly headSequence: bigint;
  /** RFC 3339 time the first pending event was sequenced. */
  readonly oldestPendingAt: string;
}

/** Commitments and anchoring: what the commit worker, inclusion proofs and the anchor routes need of the store. */
export interface CommitmentsStore {
  /** The anchor lease: one anchor process per sequencer (store-anchor-lease.ts). */
  readonly anchorLease: AnchorLeaseStore;
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
  listCommitments(stream: StreamRef, options: ListCommitmentsOptions): Promise<StoredCommitment[]>;
  /** Unanchored commitments of every stream, oldest first. */
  pendingAnchors(limit: number): Promise<StoredCommitment[]>;
  /** Records the anchoring transaction of a commitment (same hash again: already anchored; another: conflict). */
  markAnchored(batchId: string, anchor: AnchorTx): Promise<MarkAnchoredResult>;
  /** Clears the anchoring of a commitment whose block was reorganised away (idempotent when not anchored). */
  unmarkAnchored(batchId: string): Promise<UnmarkAnchoredResult>;
  /** The leaf inputs of `[start, end]` of a stream, in order (for inclusion proofs). */
  leafInputs(stream: StreamRef, start: bigint, end: bigint): Promise<LeafInput[]>;
  /** Streams with events not yet covered by a commitment. */
  pendingStreams(limit: number): Promise<PendingStream[]>;
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

/** The leaf inputs of an event row. */
export function toLeaf(r: Row): LeafInput {
  return {
    sequenceNumber: big(r.sequence_number),
    eventSigningHash: bytes(r.event_signing_hash),
    agentSignature: bytes(r.agent_signature),
  };
}

/** The insert parameters of a commitment (`int` spells a 64-bit integer for the driver). */
export function commitmentRow(c: StoredCommitment, int: (v: bigint) => unknown): unknown[] {
  return [
    c.batchId,
    c.tenantId,
    c.storeId,
    c.vesVersion,
    c.treeDepth,
    c.leafCount,
    c.paddedLeafCount,
    buf(c.merkleRoot),
    buf(c.prevStateRoot),
    buf(c.newStateRoot),
    int(c.sequenceStart),
    int(c.sequenceEnd),
    c.committedAt,
    c.chainId === null ? null : int(c.chainId),
    c.chainTxHash === null ? null : buf(c.chainTxHash),
    c.chainBlockNumber === null ? null : int(c.chainBlockNumber),
    c.anchoredAt,
  ];
}

/** The `AND …` filter of `listCommitments` on the anchored state. */
export function anchoredClause(anchored: boolean | undefined): string {
  if (anchored === undefined) return "";
  return anchored ? "AND chain_tx_hash IS NOT NULL" : "AND chain_tx_hash IS NULL";
}

/** The statements both backends run, in a dialect's placeholders. */
export function commitmentsSql(p: Placeholder) {
  const byStream = `tenant_id = ${p(1)} AND store_id = ${p(2)}`;
  return {
    /** A commitment by batch id. */
    get: `SELECT * FROM ves_commitments WHERE batch_id = ${p(1)}`,
    /** The commitment covering a sequence (tenant, store, sequence, the same sequence again). */
    covering: `SELECT * FROM ves_commitments WHERE ${byStream} AND sequence_start <= ${p(3)} AND sequence_end >= ${p(4)}`,
    /** The commitment starting at a sequence (tenant, store, start). */
    startingAt: `SELECT * FROM ves_commitments WHERE ${byStream} AND sequence_start = ${p(3)}`,
    /** The stream's latest commitment (tenant, store). */
    latest: `SELECT * FROM ves_commitments WHERE ${byStream} ORDER BY sequence_end DESC LIMIT 1`,
    /** Unanchored commitments, oldest first (limit). */
    pendingAnchors: `SELECT * FROM ves_commitments WHERE chain_tx_hash IS NULL
      ORDER BY committed_at, sequence_start LIMIT ${p(1)}`,
    /** A stream's commitments after a start (tenant, store, after, limit), with an `anchoredClause`. */
    list: (anchored: boolean | undefined) =>
      `SELECT * FROM ves_commitments WHERE ${byStream} AND sequence_start > ${p(3)} ${anchoredClause(anchored)}
      ORDER BY sequence_start LIMIT ${p(4)}`,
    /** The leaf inputs of a range (tenant, store, start, end). */
    leaves: `SELECT sequence_number, event_signing_hash, agent_signature FROM ves_events
      WHERE ${byStream} AND sequence_number BETWEEN ${p(3)} AND ${p(4)} ORDER BY sequence_number`,
    /** Inserts a commitment (the parameters of `commitmentRow`). */
    insert: `INSERT INTO ves_commitments (batch_id, tenant_id, store_id, ves_version, tree_depth, leaf_count,
      padded_leaf_count, merkle_root, prev_state_root, new_state_root, sequence_start, sequence_end, committed_at,
      chain_id, chain_tx_hash, chain_block_number, anchored_at)
      VALUES (${Array.from({ length: 17 }, (_, i) => p(i + 1)).join(", ")})`,
  };
}
