/**
 * The prover's batch composition on the quotient domain, specialised for speed: the same relation as
 * `evaluateBatchConstraints` with the generic `batchComposeQuotient` (air.ts) kept as the tested reference (a
 * differential test checks they agree on random traces), evaluated with inline base-field arithmetic in the manner
 * of air/compose.ts. The linear groups are folded once per proof: block-first (25–36) into per-column extension
 * coefficients, block-output (37–44) into one extension public column Σ_j α_(37+j)·C_j(x) (4 transforms instead of
 * 8), and each group's random linear combination is accumulated lazily: every challenge coordinate is split into
 * 16-bit halves so that up to 32 products (< 2^47 each) sum exactly in a double before one reduction. The domain
 * tables (divisor inverses, static periodic values) are computed once per (trace length, quotient domain, shift).
 */
import { type Ext, P, batchInvert, mul, pow, rootOfUnity } from "../field";
import { type ExtVec, cosetEvaluate, extZeros, intt, log2 } from "../poly";
import { COMMIT_LANES, COMMIT_TAG, INTERNAL_DIAG } from "../poseidon2";
import {
  COL,
  EXTERNAL_INVERSE,
  OUTPUT_ROW,
  PER,
  TRACE_LENGTH as BLOCK,
  TRACE_WIDTH as EVENT_WIDTH,
} from "../air/layout";
import { dotLazy, poseidonTransition } from "../air/compose";
import {
  BATCH_CONSTRAINTS,
  BATCH_WIDTH,
  BCOL,
  type BatchAirStatement,
  batchPeriodicCoefficients,
  batchTraceLength,
} from "./air";

const INV_P = 1 / P;
const LAST_ROW = BLOCK - 1;
/** Index of NOTLAST among the batch periodic columns. */
const PER_NOTLAST = PER.ELL + 1;

function add(a: number, b: number): number {
  // branch-free (a + b − P fits int32): a data-dependent branch mispredicts half the time on random operands
  const s = (a + b - P) | 0;
  return s + ((s >> 31) & P);
}

function sub(a: number, b: number): number {
  const s = (a - b) | 0;
  return s + ((s >> 31) & P);
}

function m(a: number, b: number): number {
  const q = (a * b * INV_P) | 0;
  const r = (Math.imul(a, b) - Math.imul(q, P)) | 0;
  return r < 0 ? r + P : r >= P ? r - P : r;
}

interface DomainTables {
  /** Periodic values (every batch periodic column but ELL) on the QN/B points x^B runs over. */
  readonly periodic: Uint32Array[];
  /** (x − ω^(n−1)) / (x^n − 1) on the QN points. */
  readonly transition: Uint32Array;
  /** 1 / (x^n − 1), period QN/n. */
  readonly vanish: Uint32Array;
  /** 1 / (x^B − ω^(rB)) for r = 0, 28, 31, period QN/B. */
  readonly blockFirst: Uint32Array;
  readonly blockOutput: Uint32Array;
  readonly blockLast: Uint32Array;
  /** 1 / (x − 1) and 1 / (x − ω^(n−1)) on the QN points. */
  readonly first: Uint32Array;
  readonly last: Uint32Array;
}

const domainCache = new Map<string, DomainTables>();

function domainTables(n: number, QN: number, shift: number): DomainTables {
  const key = `${n}:${QN}:${shift}`;
  let t = domainCache.get(key);
  if (t !== undefined) return t;
  const B = n / BLOCK;
  const perLen = QN / B;
  const coeffs = batchPeriodicCoefficients(0n);
  const shiftB = pow(shift, B);
  const periodic = coeffs.map((c, k) => (k === PER.ELL ? new Uint32Array(0) : cosetEvaluate(c, shiftB, perLen)));
  const wq = rootOfUnity(log2(QN));
  const w = rootOfUnity(log2(n));
  const lastPoint = pow(w, n - 1);
  const xs = new Uint32Array(QN);
  let x = shift;
  for (let i = 0; i < QN; i++) {
    xs[i] = x;
    x = mul(x, wq);
  }
  const vanishPeriod = QN / n;
  const vanish = batchInvert(Uint32Array.from({ length: vanishPeriod }, (_, i) => sub(pow(xs[i] as number, n), 1)));
  const blockDiv = (c: number): Uint32Array =>
    batchInvert(Uint32Array.from({ length: perLen }, (_, i) => sub(pow(xs[i] as number, B), c)));
  const first = batchInvert(Uint32Array.from(xs, (xi) => sub(xi, 1)));
  const last = batchInvert(Uint32Array.from(xs, (xi) => sub(xi, lastPoint)));
  const transition = Uint32Array.from(xs, (xi, i) => m(sub(xi, lastPoint), vanish[i % vanishPeriod] as number));
  t = {
    periodic,
    transition,
    vanish,
    blockFirst: blockDiv(1),
    blockOutput: blockDiv(pow(w, OUTPUT_ROW * B)),
    blockLast: blockDiv(pow(w, LAST_ROW * B)),
    first,
    last,
  };
  if (domainCache.size >= 4) domainCache.clear();
  domainCache.set(key, t);
  return t;
}

interface Split {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** Splits extension coefficients into 16-bit halves per coordinate: lo[4i + k], hi[4i + k]. */
function split(coeffs: readonly Ext[]): Split {
  const lo = new Float64Array(4 * coeffs.length);
  const hi = new Float64Array(4 * coeffs.length);
  coeffs.forEach((c, i) => {
    for (let k = 0; k < 4; k++) {
      lo[4 * i + k] = (c[k] as number) & 0xffff;
      hi[4 * i + k] = (c[k] as number) >>> 16;
    }
  });
  return { lo, hi };
}

function pick(alphas: readonly Ext[], indices: readonly number[]): Ext[] {
  return indices.map((i) => alphas[i] as Ext);
}

function rangeOf(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo }, (_, i) => lo + i);
}

/** Values on the coset shift·⟨ω_QN⟩ of the polynomial (degree < n) taking `values` on the trace domain. */
function publicOnCoset(values: Uint32Array, shift: number, QN: number): Uint32Array {
  return cosetEvaluate(intt(values), shift, QN);
}

/**
 * Q(x) = Σ_groups (Σ_i α_i C_i(x)) / Z_group(x) on the coset shift·⟨ω_QN⟩ from the trace LDE (N points on
 * shift·⟨ω_N⟩, N ≥ QN, both multiples of the trace length): equal to `batchComposeQuotient` for every input.
 */
export function batchComposeQuotientFast(
  s: BatchAirStatement,
  traceLde: readonly Uint32Array[],
  N: number,
  QN: number,
  shift: number,
  alphas: readonly Ext[],
): ExtVec {
  if (alphas.length !== BATCH_CONSTRAINTS || traceLde.length !== BATCH_WIDTH) {
    throw new RangeError("batchComposeQuotientFast: wrong number of challenges or trace columns");
  }
  const n = batchTraceLength(s.numEvents);
  const B = n / BLOCK;
  const perLen = QN / B;
  const tables = domainTables(n, QN, shift);
  const per = tables.periodic;
  const full = per[PER.FULL] as Uint32Array;
  const part = per[PER.PART] as Uint32Array;
  const rc = per.slice(PER.RC, PER.RC + 16);
  const wcol = [per[PER.W0], per[PER.W1], per[PER.W2]] as Uint32Array[];
  const notLastCol = per[PER_NOTLAST] as Uint32Array;
  const ell = cosetEvaluate(batchPeriodicCoefficients(s.limit)[PER.ELL] as Uint32Array, pow(shift, B), perLen);

  // public columns: ALLOWED, and Σ_j α_(37+j)·C_j as one extension column (both zero off their block rows)
  const allowedVals = new Uint32Array(n);
  const outVals = extZeros(n);
  for (let i = 0; i < s.numEvents; i++) {
    allowedVals[BLOCK * i] = s.allowed[i] as number;
    for (let k = 0; k < 4; k++) {
      let acc = 0;
      for (let j = 0; j < COMMIT_LANES; j++) {
        acc = add(acc, mul((alphas[37 + j] as Ext)[k] as number, s.commitments[COMMIT_LANES * i + j] as number));
      }
      (outVals[k] as Uint32Array)[BLOCK * i + OUTPUT_ROW] = acc;
    }
  }
  const allowed = publicOnCoset(allowedVals, shift, QN);
  const outPub = outVals.map((v) => publicOnCoset(v, shift, QN)) as ExtVec;

  // block-first (25–36) folded into per-column coefficients plus a constant
  const firstCoeffs: Ext[] = Array.from({ length: EVENT_WIDTH }, () => [0, 0, 0, 0] as Ext);
  const addTo = (j: number, a: Ext, v: number): void => {
    const c = firstCoeffs[j] as Ext;
    firstCoeffs[j] = [
      add(c[0], mul(a[0], v)),
      add(c[1], mul(a[1], v)),
      add(c[2], mul(a[2], v)),
      add(c[3], mul(a[3], v)),
    ];
  };
  addTo(COL.CARRY, alphas[25] as Ext, 1);
  const inputRows = [0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15];
  inputRows.forEach((row, t) => {
    const a = alphas[26 + t] as Ext;
    const mrow = EXTERNAL_INVERSE[row] as Uint32Array;
    for (let j = 0; j < 16; j++) addTo(COL.STATE + j, a, mrow[j] as number);
    if (t < 3) addTo(COL.K0 + t, a, P - 1);
  });
  const a29 = alphas[29] as Ext;
  const firstConst = [0, 1, 2, 3].map((k) => mul(a29[k] as number, P - COMMIT_TAG));
  const a51 = alphas[51] as Ext;
  const a53 = alphas[53] as Ext;
  const a54 = alphas[54] as Ext;
  const tSplit = split(pick(alphas, [...rangeOf(0, 20), 50, 52]));
  const aSplit = split(pick(alphas, [...rangeOf(20, 25), 49]));
  const fSplit = split(firstCoeffs);
  const oSplit = split(pick(alphas, rangeOf(37, 45)));
  const lSplit = split(pick(alphas, rangeOf(45, 49)));

  const { transition: dT, vanish: dA, blockFirst: dBF, blockOutput: dBO, blockLast: dBL, first: dF, last: dL } = tables;
  const vanishPeriod = QN / n;
  const count = s.compliantCount % P;
  const out = extZeros(QN);
  const step = N / QN;
  const nextOffset = N / n;
  const cur = new Float64Array(BATCH_WIDTH);
  const nxt = new Float64Array(BATCH_WIDTH);
  const f = new Float64Array(16);
  const vals = new Float64Array(24);
  const diag = Float64Array.from(INTERNAL_DIAG);
  const sT = new Float64Array(4);
  const sA = new Float64Array(4);
  const sF = new Float64Array(4);
  const sO = new Float64Array(4);
  const sL = new Float64Array(4);

  for (let i = 0; i < QN; i++) {
    const li = i * step;
    const ln = (li + nextOffset) % N;
    for (let j = 0; j < BATCH_WIDTH; j++) {
      const col = traceLde[j] as Uint32Array;
      cur[j] = col[li] as number;
      nxt[j] = col[ln] as number;
    }
    const pi = i % perLen;
    const fu = full[pi] as number;
    const pa = part[pi] as number;
    const notLast = notLastCol[pi] as number;
    const fl = cur[BCOL.FLAG] as number;
    const cnt = cur[BCOL.COUNT] as number;
    // 0–15: Poseidon2 rounds
    poseidonTransition(cur, nxt, rc, pi, fu, pa, diag, f, vals);
    // 16: carry chain; 17–19: limb carriers (all NOTLAST-gated); 50: F constant; 52: count step
    const a0 = cur[COL.A0] as number;
    const a1 = cur[COL.A1] as number;
    const d0 = cur[COL.D0] as number;
    const d1 = cur[COL.D1] as number;
    const c = cur[COL.CARRY] as number;
    const digitA = add(a0, add(a1, a1));
    const digitSum = add(add(digitA, add(d0, add(d1, d1))), c);
    const el = ell[pi] as number;
    const cn = nxt[COL.CARRY] as number;
    const c4 = add(add(cn, cn), add(cn, cn));
    vals[16] = m(notLast, sub(sub(digitSum, el), c4));
    for (let k = 0; k < 3; k++) {
      vals[17 + k] = m(
        notLast,
        add(
          sub(nxt[COL.K0 + k] as number, cur[COL.K0 + k] as number),
          m((wcol[k] as Uint32Array)[pi] as number, digitA),
        ),
      );
    }
    vals[20] = m(notLast, sub(nxt[BCOL.FLAG] as number, fl));
    vals[21] = sub(sub(nxt[BCOL.COUNT] as number, cnt), m(sub(1, notLast), fl));
    dotLazy(22, tSplit.lo, tSplit.hi, vals, sT);
    // 20–24, 49: booleanity
    vals[0] = m(a0, sub(a0, 1));
    vals[1] = m(a1, sub(a1, 1));
    vals[2] = m(d0, sub(d0, 1));
    vals[3] = m(d1, sub(d1, 1));
    vals[4] = m(c, sub(c, 1));
    vals[5] = m(fl, sub(fl, 1));
    dotLazy(6, aSplit.lo, aSplit.hi, vals, sA);
    // 25–36: linear in the current row; 37–44: F·(Σ α_j s_j − Σ α_j C_j(x))
    dotLazy(EVENT_WIDTH, fSplit.lo, fSplit.hi, cur, sF);
    dotLazy(8, oSplit.lo, oSplit.hi, cur, sO);
    // 45–48: last row of each block
    vals[0] = m(fl, sub(digitSum, el));
    vals[1] = cur[COL.K0] as number;
    vals[2] = cur[COL.K1] as number;
    vals[3] = sub(cur[COL.K2] as number, m((wcol[2] as Uint32Array)[pi] as number, digitA));
    dotLazy(4, lSplit.lo, lSplit.hi, vals, sL);
    const gAllowed = m(fl, sub(1, allowed[i] as number));
    const traceLast = sub(add(cnt, fl), count);
    const t = dT[i] as number;
    const a = dA[i % vanishPeriod] as number;
    const bf = dBF[pi] as number;
    const bo = dBO[pi] as number;
    const bl = dBL[pi] as number;
    const fi = dF[i] as number;
    const la = dL[i] as number;
    for (let k = 0; k < 4; k++) {
      const firstK = add(add(sF[k] as number, firstConst[k] as number), m(a51[k] as number, gAllowed));
      const outputK = m(fl, sub(sO[k] as number, (outPub[k] as Uint32Array)[i] as number));
      let q = m(sT[k] as number, t);
      q = add(q, m(sA[k] as number, a));
      q = add(q, m(firstK, bf));
      q = add(q, m(outputK, bo));
      q = add(q, m(sL[k] as number, bl));
      q = add(q, m(m(a53[k] as number, cnt), fi));
      q = add(q, m(m(a54[k] as number, traceLast), la));
      (out[k] as Uint32Array)[i] = q;
    }
  }
  return out;
}
