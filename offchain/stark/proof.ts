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
   * proof): the verifier then hashes it as is. Trusted only while the rows and salts of a parsed opening were never
   * asked for or every row and salt still is the view at its place (openingLeaves checks it), so an opening rebuilt
   * with other rows is read from its rows.
   */
  readonly leaves?: Uint32Array;
}

/**
 * A parsed opening's words: its leaves (`count` of salt ‖ row, `saltWords` + `rowWidth` words each) and its
 * authentication nodes (8 words each), with the row, salt and node views made so far (none until asked for).
 */
interface ParsedWords {
  readonly leaves: Uint32Array;
  readonly count: number;
  readonly saltWords: number;
  readonly rowWidth: number;
  readonly authWords: Uint32Array;
  rows?: Uint32Array[];
  salts?: Uint32Array[];
  auth?: Digest[];
}

const PARSED = new WeakMap<MatrixOpening, ParsedWords>();

/**
 * A parsed opening of `count` leaves (salt ‖ row: `saltWords` + `rowWidth` words each) in `leaves`, its
 * authentication nodes `authWords` (8 words each): `rows`, `salts` and `auth` are getters (not configurable) that make
 * the views into them on first use, so a verifier that never asks for them reads the arrays as they are.
 */
export function parsedOpening(
  leaves: Uint32Array,
  count: number,
  saltWords: number,
  rowWidth: number,
  authWords: Uint32Array,
): MatrixOpening {
  const w: ParsedWords = { leaves, count, saltWords, rowWidth, authWords };
  const width = saltWords + rowWidth;
  const views = (from: number, words: number): Uint32Array[] => {
    const out = new Array<Uint32Array>(count);
    for (let i = 0, o = from; i < count; i++, o += width) out[i] = leaves.subarray(o, o + words);
    return out;
  };
  const op = { leaves } as { leaves: Uint32Array };
  Object.defineProperties(op, {
    rows: { enumerable: true, configurable: false, get: (): Uint32Array[] => (w.rows ??= views(saltWords, rowWidth)) },
    salts: { enumerable: true, configurable: false, get: (): Uint32Array[] => (w.salts ??= views(0, saltWords)) },
    auth: {
      enumerable: true,
      configurable: false,
      get(): Digest[] {
        if (w.auth === undefined) {
          const n = authWords.length >> 3;
          w.auth = new Array<Digest>(n);
          for (let i = 0; i < n; i++) w.auth[i] = authWords.subarray(8 * i, 8 * i + 8);
        }
        return w.auth;
      },
    },
  });
  const opening = op as unknown as MatrixOpening;
  PARSED.set(opening, w);
  return opening;
}

/**
 * The leaves of a parsed opening whose rows and salts were never asked for (so they are the leaves' words), with their
 * layout; undefined otherwise (read `rows` and `salts`).
 */
export function untouchedLeaves(
  op: MatrixOpening,
):
  | { readonly leaves: Uint32Array; readonly count: number; readonly saltWords: number; readonly rowWidth: number }
  | undefined {
  const w = PARSED.get(op);
  return w === undefined || w.rows !== undefined || w.salts !== undefined ? undefined : w;
}

/**
 * The authentication nodes of an opening as one array of 8-word digests when it is a parsed opening whose nodes are
 * still the views at their places (or were never asked for), else `op.auth`.
 */
export function openingAuth(op: MatrixOpening): readonly Digest[] | Uint32Array {
  const flat = PARSED.get(op);
  if (flat === undefined) return op.auth;
  const views = flat.auth;
  const words = flat.authWords;
  if (views === undefined) return words;
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
  const untouched = untouchedLeaves(op);
  if (untouched !== undefined && untouched.saltWords === saltWords && untouched.rowWidth === rowWidth) {
    return untouched.leaves;
  }
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
