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
  /**
   * The Merkle leaves (salt ‖ row, row after row) as one array, when `rows` and `salts` are views into it (a parsed
   * proof): the verifier then hashes it as is. Trusted only while every row and salt still is the view at its place
   * (openingLeaves checks it), so an opening rebuilt with other rows is read from its rows.
   */
  readonly leaves?: Uint32Array;
}

/** Parsed openings whose authentication nodes are kept in one array: their words and the views made so far. */
const FLAT_AUTH = new WeakMap<
  MatrixOpening,
  { readonly words: Uint32Array; readonly made: () => Digest[] | undefined }
>();

/**
 * A parsed opening whose authentication nodes are `authWords` (8 words each): `auth` is a getter (not configurable)
 * that makes the views into it on first use, so a verifier that never asks for them hashes the array as is.
 */
export function parsedOpening(
  rows: Uint32Array[],
  salts: Uint32Array[],
  leaves: Uint32Array,
  authWords: Uint32Array,
): MatrixOpening {
  let views: Digest[] | undefined;
  const op = { rows, salts, leaves } as { rows: Uint32Array[]; salts: Uint32Array[]; leaves: Uint32Array };
  Object.defineProperty(op, "auth", {
    enumerable: true,
    configurable: false,
    get(): Digest[] {
      if (views === undefined) {
        const n = authWords.length >> 3;
        views = new Array<Digest>(n);
        for (let i = 0; i < n; i++) views[i] = authWords.subarray(8 * i, 8 * i + 8);
      }
      return views;
    },
  });
  const opening = op as unknown as MatrixOpening;
  FLAT_AUTH.set(opening, { words: authWords, made: () => views });
  return opening;
}

/**
 * The authentication nodes of an opening as one array of 8-word digests when it is a parsed opening whose nodes are
 * still the views at their places (or were never asked for), else `op.auth`.
 */
export function openingAuth(op: MatrixOpening): readonly Digest[] | Uint32Array {
  const flat = FLAT_AUTH.get(op);
  if (flat === undefined) return op.auth;
  const views = flat.made();
  if (views === undefined) return flat.words;
  const words = flat.words;
  if (views.length * 8 !== words.length) return views;
  for (let i = 0; i < views.length; i++) {
    const v = views[i] as Uint32Array;
    if (v.buffer !== words.buffer || v.byteOffset !== words.byteOffset + 32 * i || v.length !== 8) return views;
  }
  return words;
}

/**
 * The leaves of an opening (salt ‖ row per row: `saltWords` + `rowWidth` words each; salts ignored when `saltWords` is
 * 0) as one array: `op.leaves` itself when every salt and row is the view of it at its place (no copy), else a fresh
 * concatenation. The caller has checked the row and salt lengths.
 */
export function openingLeaves(op: MatrixOpening, saltWords: number, rowWidth: number): Uint32Array {
  const count = op.rows.length;
  const width = saltWords + rowWidth;
  const flat = op.leaves;
  if (flat !== undefined && flat.length === count * width) {
    let views = true;
    for (let i = 0; i < count && views; i++) {
      const row = op.rows[i] as Uint32Array;
      const at = flat.byteOffset + 4 * (i * width + saltWords);
      views = row.buffer === flat.buffer && row.byteOffset === at && row.length === rowWidth;
      if (views && saltWords > 0) {
        const salt = op.salts[i];
        views =
          salt !== undefined &&
          salt.buffer === flat.buffer &&
          salt.byteOffset === at - 4 * saltWords &&
          salt.length === saltWords;
      }
    }
    if (views) return flat;
  }
  const leaves = new Uint32Array(count * width);
  for (let i = 0; i < count; i++) {
    if (saltWords > 0) leaves.set(op.salts[i] as Uint32Array, i * width);
    leaves.set(op.rows[i] as Uint32Array, i * width + saltWords);
  }
  return leaves;
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
