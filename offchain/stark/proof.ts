/**
 * The STARK proof object shared by the prover, the verifier and the serializer, plus the protocol constants both
 * sides must agree on (domain offset, salt size, transcript labels).
 */
import { type Ext, GENERATOR } from "./field";
import type { Digest } from "./merkle";
import type { ProofOptions } from "./security";

/** Identifier of the protocol instance, bound into the transcript. */
export const PROTOCOL_ID = "ves-stark/compliance/v1";
/** Offset of the LDE coset g·⟨ω_N⟩ (disjoint from the trace domain). */
export const DOMAIN_OFFSET = GENERATOR;
/** Random salt words in front of each trace and composition leaf. */
export const SALT_WORDS = 4;

/** Openings of one Merkle-committed matrix at the unique query positions. */
export interface MatrixOpening {
  /** One row of field elements per unique position, in ascending position order. */
  readonly rows: Uint32Array[];
  /** One salt per unique position (empty arrays when the tree is unsalted). */
  readonly salts: Uint32Array[];
  /** Batch authentication nodes. */
  readonly auth: Digest[];
}

/** Out-of-domain evaluations. */
export interface OodFrame {
  /** t̂_j(z) for every trace column. */
  readonly traceZ: Ext[];
  /** t̂_j(ω·z) for every trace column. */
  readonly traceZw: Ext[];
  /** q̂_k(z) for every composition chunk. */
  readonly chunksZ: Ext[];
}

/** A complete proof. */
export interface StarkProof {
  readonly options: ProofOptions;
  readonly traceRoot: Digest;
  readonly compositionRoot: Digest;
  readonly ood: OodFrame;
  readonly friRoots: Digest[];
  /** Coefficients of the last FRI polynomial (its degree bound is ≤ 2^remainderLog2). */
  readonly remainder: Ext[];
  readonly powNonce: number;
  readonly traceOpening: MatrixOpening;
  readonly compositionOpening: MatrixOpening;
  /** Per committed FRI layer: one coset of `folding` extension values per unique coset index, flattened. */
  readonly friOpenings: MatrixOpening[];
}
