/**
 * FRI low-degree test for an extension-field polynomial evaluated on a coset g·⟨ω_N⟩. Each round commits the current
 * evaluations with leaves grouping a folding coset {x·ω_f^k} (so one opening serves a whole fold), draws β from the
 * transcript and folds F(X) = Σ_k X^k F_k(X^f) into Σ_k β^k F_k(Y). When the degree bound reaches the remainder
 * bound, the coefficients are sent in the clear. The prover folds in coefficient form; the verifier folds each
 * opened coset by interpolation and checks the chain down to the remainder polynomial.
 */
import { type Ext, P, add, batchInvert, eeq, emul, inv, mul, pow, rootOfUnityInv, rootPower, sub } from "./field";
import { type Digest, type MerkleTree, buildTree, openBatch, treeRoot, uniqueSorted, verifyRows } from "./merkle";
import { type ExtVec, cosetEvaluateMany, extZeros, log2 } from "./poly";
import { type MatrixOpening, openingAuth, openingLeaves, untouchedLeaves } from "./proof";
import type { Transcript } from "./transcript";
import { wasmKernels } from "./wasm";

/** Sizes of the FRI layers for a degree bound D on a domain of N points. */
export interface FriShape {
  /** Domain size of each committed layer. */
  readonly domainSizes: number[];
  /** Degree bound of the remainder polynomial. */
  readonly remainderBound: number;
  /** Folding factor f. */
  readonly folding: number;
}

/** Computes the layer sizes: commit and fold while the degree bound exceeds 2^remainderLog2. */
export function friShape(
  degreeBound: number,
  domainSize: number,
  foldingLog2: number,
  remainderLog2: number,
): FriShape {
  const folding = 1 << foldingLog2;
  const domainSizes: number[] = [];
  let bound = degreeBound;
  let n = domainSize;
  while (bound > 1 << remainderLog2 && bound >= folding) {
    domainSizes.push(n);
    bound /= folding;
    n /= folding;
  }
  return { domainSizes, remainderBound: bound, folding };
}

/** Prover-side state of the FRI commitment. */
export interface FriCommitment {
  readonly trees: MerkleTree[];
  readonly layers: ExtVec[];
  readonly remainder: Ext[];
}

/** Writes the leaf for coset index c of a layer (f extension values, 4 words each). */
function writeCosetLeaf(layer: ExtVec, c: number, n: number, f: number, buf: Uint32Array): void {
  const stride = n / f;
  for (let k = 0; k < f; k++) {
    const i = c + k * stride;
    buf[4 * k] = layer[0][i] as number;
    buf[4 * k + 1] = layer[1][i] as number;
    buf[4 * k + 2] = layer[2][i] as number;
    buf[4 * k + 3] = layer[3][i] as number;
  }
}

/**
 * Commits to the polynomial with coefficients `coeffs` (degree < D) on the coset shift·⟨ω_N⟩, absorbing each layer
 * root and the remainder into the transcript.
 */
export function friCommit(coeffs: ExtVec, shape: FriShape, shift: number, transcript: Transcript): FriCommitment {
  const f = shape.folding;
  const trees: MerkleTree[] = [];
  const layers: ExtVec[] = [];
  let cur = coeffs;
  let s = shift;
  for (const n of shape.domainSizes) {
    // 1 ----- evaluate and commit this layer
    const evals = cosetEvaluateMany(cur, s, n) as ExtVec;
    const tree = buildTree(n / f, 4 * f, (c, buf) => writeCosetLeaf(evals, c, n, f, buf));
    transcript.absorbWords("fri-root", treeRoot(tree));
    trees.push(tree);
    layers.push(evals);
    // 2 ----- fold the coefficients with the challenge
    const beta = transcript.challengeExt();
    const len = Math.ceil(cur[0].length / f);
    const next = extZeros(len);
    let bp: Ext = [1, 0, 0, 0];
    for (let k = 0; k < f; k++) {
      for (let j = 0; j < len; j++) {
        const i = j * f + k;
        if (i >= cur[0].length) continue;
        const v = emul(bp, [cur[0][i] as number, cur[1][i] as number, cur[2][i] as number, cur[3][i] as number]);
        next[0][j] = add(next[0][j] as number, v[0]);
        next[1][j] = add(next[1][j] as number, v[1]);
        next[2][j] = add(next[2][j] as number, v[2]);
        next[3][j] = add(next[3][j] as number, v[3]);
      }
      bp = emul(bp, beta);
    }
    cur = next;
    s = pow(s, f);
  }
  const remainder: Ext[] = [];
  for (let i = 0; i < shape.remainderBound; i++) {
    remainder.push(
      i < cur[0].length
        ? [cur[0][i] as number, cur[1][i] as number, cur[2][i] as number, cur[3][i] as number]
        : [0, 0, 0, 0],
    );
  }
  transcript.absorbWords("fri-remainder", remainder.flat());
  return { trees, layers, remainder };
}

/** Coset indices opened in each layer for the given first-layer positions. */
export function friCosetIndices(shape: FriShape, positions: readonly number[]): number[][] {
  const out: number[][] = [];
  let pos = positions.slice();
  for (const n of shape.domainSizes) {
    const cosets = n / shape.folding;
    pos = pos.map((p) => p % cosets);
    out.push(uniqueSorted(pos, cosets));
  }
  return out;
}

/** Opens every committed layer at the cosets the query positions fall in. */
export function friOpen(commitment: FriCommitment, shape: FriShape, positions: readonly number[]): MatrixOpening[] {
  const f = shape.folding;
  const indices = friCosetIndices(shape, positions);
  return commitment.trees.map((tree, l) => {
    const n = shape.domainSizes[l] as number;
    const layer = commitment.layers[l] as ExtVec;
    const idx = indices[l] as number[];
    const rows = idx.map((c) => {
      const buf = new Uint32Array(4 * f);
      writeCosetLeaf(layer, c, n, f, buf);
      return buf;
    });
    return { rows, salts: idx.map(() => new Uint32Array(0)), auth: openBatch(tree, idx) };
  });
}

/** Why a FRI check failed. */
export type FriFailure = "FRI_COMMITMENT_MISMATCH" | "FRI_FOLDING_MISMATCH" | "FRI_REMAINDER_MISMATCH";

/**
 * Folds one coset of f values {F(x·ω_f^k)} (k < f, f a power of two) at challenge β into Σ_m β^m F_m(x^f), as
 * log2(f) rounds of binary folding: F(y), F(−y) ↦ (F(y) + F(−y))/2 + β·(F(y) − F(−y))/(2y), with β squared and the
 * points squared each round. `xInv` is x^(−1).
 */
export function foldCoset(values: readonly Ext[], x: number, beta: Ext, xInv: number = inv(x)): Ext {
  const row = new Uint32Array(4 * values.length);
  values.forEach((v, k) => row.set(v, 4 * k));
  return foldRow(row, values.length, beta, xInv);
}

let foldScratch = new Uint32Array(64);

/**
 * foldRow on each of the rows laid row after row in `rows` (4f words each), row r with x^(−1) = xInv[r]: one
 * WebAssembly call when the kernels are loaded (identical values).
 */
export function foldRows(rows: Uint32Array, f: number, beta: Ext, xInv: Uint32Array): Ext[] {
  const k = wasmKernels();
  if (k !== null && f >= 2 && f <= 256 && rows.length === 4 * f * xInv.length) {
    return k.foldRows(rows, f, beta, xInv, rootOfUnityInv(log2(f)));
  }
  return Array.from(xInv, (x, r) => foldRow(rows.subarray(4 * f * r, 4 * f * (r + 1)), f, beta, x));
}

/**
 * foldCoset on a FRI leaf row (f extension values in natural order, 4 words each) without allocating: the same
 * arithmetic, with the extension products summed exactly in doubles and reduced once per coordinate.
 */
export function foldRow(row: Uint32Array, f: number, beta: Ext, xInv: number): Ext {
  log2(f);
  if (foldScratch.length < 4 * f) foldScratch = new Uint32Array(4 * f);
  const v = foldScratch;
  v.set(row.subarray(0, 4 * f));
  let b0 = beta[0];
  let b1 = beta[1];
  let b2 = beta[2];
  let b3 = beta[3];
  let wInv = rootOfUnityInv(log2(f));
  let y0Inv = xInv;
  let n = f;
  while (n > 1) {
    const half = n >> 1;
    let yInv = y0Inv;
    for (let k = 0; k < half; k++) {
      const u = 4 * k;
      const w = 4 * (k + half);
      const hy = mul(HALF, yInv);
      const e0 = mul(add(v[u] as number, v[w] as number), HALF);
      const e1 = mul(add(v[u + 1] as number, v[w + 1] as number), HALF);
      const e2 = mul(add(v[u + 2] as number, v[w + 2] as number), HALF);
      const e3 = mul(add(v[u + 3] as number, v[w + 3] as number), HALF);
      const o0 = mul(sub(v[u] as number, v[w] as number), hy);
      const o1 = mul(sub(v[u + 1] as number, v[w + 1] as number), hy);
      const o2 = mul(sub(v[u + 2] as number, v[w + 2] as number), hy);
      const o3 = mul(sub(v[u + 3] as number, v[w + 3] as number), hy);
      v[u] = (e0 + mul(b0, o0) + 3 * (mul(b1, o3) + mul(b2, o2) + mul(b3, o1))) % P;
      v[u + 1] = (e1 + mul(b0, o1) + mul(b1, o0) + 3 * (mul(b2, o3) + mul(b3, o2))) % P;
      v[u + 2] = (e2 + mul(b0, o2) + mul(b1, o1) + mul(b2, o0) + 3 * mul(b3, o3)) % P;
      v[u + 3] = (e3 + mul(b0, o3) + mul(b1, o2) + mul(b2, o1) + mul(b3, o0)) % P;
      yInv = mul(yInv, wInv);
    }
    const sq = emul([b0, b1, b2, b3], [b0, b1, b2, b3]);
    b0 = sq[0];
    b1 = sq[1];
    b2 = sq[2];
    b3 = sq[3];
    wInv = mul(wInv, wInv);
    y0Inv = mul(y0Inv, y0Inv);
    n = half;
  }
  return [v[0] as number, v[1] as number, v[2] as number, v[3] as number];
}

const HALF = inv(2);

/** Evaluates an extension polynomial at a base-field point (Horner with base multiplications). */
export function evalAtBase(coeffs: readonly Ext[], x: number): Ext {
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) {
    const c = coeffs[i] as Ext;
    c0 = add(mul(c0, x), c[0]);
    c1 = add(mul(c1, x), c[1]);
    c2 = add(mul(c2, x), c[2]);
    c3 = add(mul(c3, x), c[3]);
  }
  return [c0, c1, c2, c3];
}

/** The index of `value` in the ascending `sorted`, which holds it. */
function indexOf(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Verifies the FRI openings for first-layer positions whose values the caller computed (`firstValues[i]` is the
 * value at `positions[i]`, positions unique and sorted). Returns null on success or the failure reason.
 */
export function friVerify(
  shape: FriShape,
  domainSize: number,
  shift: number,
  roots: readonly Digest[],
  betas: readonly Ext[],
  remainder: readonly Ext[],
  openings: readonly MatrixOpening[],
  positions: readonly number[],
  firstValues: readonly Ext[],
): FriFailure | null {
  const f = shape.folding;
  const indices = friCosetIndices(shape, positions);
  let pos = positions.slice();
  let vals = firstValues.slice();
  let s = shift;
  for (let l = 0; l < shape.domainSizes.length; l++) {
    const n = shape.domainSizes[l] as number;
    const cosets = n / f;
    const idx = indices[l] as number[];
    const opening = openings[l];
    if (opening === undefined) return "FRI_COMMITMENT_MISMATCH";
    // 1 ----- authenticate the opened cosets (the rows, one after the other: a parsed opening's leaves as they are)
    const untouched = untouchedLeaves(opening);
    let width: number;
    if (untouched !== undefined && untouched.saltWords === 0) {
      if (untouched.count !== idx.length) return "FRI_COMMITMENT_MISMATCH";
      width = untouched.rowWidth;
    } else {
      if (opening.rows.length !== idx.length) return "FRI_COMMITMENT_MISMATCH";
      width = opening.rows[0]?.length ?? 0;
      for (let i = 0; i < idx.length; i++) {
        if ((opening.rows[i] as Uint32Array).length !== width) return "FRI_COMMITMENT_MISMATCH";
      }
    }
    const rows = openingLeaves(opening, 0, width);
    if (!verifyRows(roots[l] as Digest, cosets, idx, rows, width, openingAuth(opening))) {
      return "FRI_COMMITMENT_MISMATCH";
    }
    // 2 ----- each queried value must sit in its coset
    for (let i = 0; i < pos.length; i++) {
      const p = pos[i] as number;
      const at = 4 * Math.floor(p / cosets);
      if (at + 4 > width) return "FRI_FOLDING_MISMATCH";
      const o = width * indexOf(idx, p % cosets) + at;
      const v = vals[i] as Ext;
      if (rows[o] !== v[0] || rows[o + 1] !== v[1] || rows[o + 2] !== v[2] || rows[o + 3] !== v[3]) {
        return "FRI_FOLDING_MISMATCH";
      }
    }
    // 3 ----- fold every opened coset into the next layer's values
    const logN = log2(n);
    const xInv = new Uint32Array(idx.length);
    for (let i = 0; i < idx.length; i++) xInv[i] = mul(s, rootPower(logN, idx[i] as number));
    batchInvert(xInv);
    pos = idx.slice();
    vals = foldRows(rows, f, betas[l] as Ext, xInv);
    s = pow(s, f);
  }
  // 4 ----- the last values must lie on the remainder polynomial
  const size = domainSize / f ** shape.domainSizes.length;
  const logSize = log2(size);
  for (let i = 0; i < pos.length; i++) {
    const x = mul(s, rootPower(logSize, pos[i] as number));
    if (!eeq(evalAtBase(remainder, x), vals[i] as Ext)) return "FRI_REMAINDER_MISMATCH";
  }
  return null;
}
