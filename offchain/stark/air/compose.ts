/**
 * The prover's constraint composition on the quotient domain, specialised for speed: the same relation as
 * constraints.ts (a unit test checks they agree), evaluated with inline base-field arithmetic. Linear groups (first
 * row, output row) are folded into per-column extension coefficients once per proof, and the random linear
 * combinations are accumulated lazily: each challenge coordinate is split into 16-bit halves so that up to 32
 * products (< 2^47 each) sum exactly in a double before one reduction. With the WebAssembly kernels loaded, the same
 * quotient comes from wasm composeCompliance (four points per step in SIMD lanes, Montgomery form); this TypeScript
 * loop stays the reference (test/offchain/stark/wasm.test.ts compares both on random traces and challenges).
 */
import { type Ext, P, batchInvert, mul, pow, rootOfUnity } from "../field";
import { type ExtVec, cosetEvaluate, extZeros } from "../poly";
import { COMMIT_TAG, INTERNAL_DIAG } from "../poseidon2";
import { COMPOSE_COEFF_WORDS, COMPOSE_TABLE_ROWS, wasmKernels } from "../wasm";
import {
  COL,
  EXTERNAL_INVERSE,
  NUM_CONSTRAINTS,
  NUM_PERIODIC,
  OUTPUT_ROW,
  PER,
  TRACE_LENGTH,
  TRACE_WIDTH,
} from "./layout";

const INV_P = 1 / P;

// local copies so that the hot loop does not call through the module object
// branch-free: on random operands a data-dependent branch mispredicts half the time (a + b − P and a − b fit int32)
function add(a: number, b: number): number {
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
  readonly periodic: Uint32Array[];
  readonly divisors: Uint32Array[];
  /** The wasm kernel's table (COMPOSE_TABLE_ROWS rows, Montgomery form, ELL row left for each call), made once. */
  montgomery?: Uint32Array;
}

/** 2^32 mod p: x ↦ x·2^32 mod p is the Montgomery form the wasm kernel computes in. */
const MONT_R = 0x01fffffe;

/** The kernel's table for a domain: periodic then divisor rows, Montgomery form (the ELL row is given per call). */
function montgomeryTable(t: DomainTables, QN: number): Uint32Array {
  if (t.montgomery === undefined) {
    const table = new Uint32Array(COMPOSE_TABLE_ROWS * QN);
    const rows = [...t.periodic, new Uint32Array(QN), ...t.divisors];
    rows.forEach((r, k) => {
      for (let i = 0; i < QN; i++) table[k * QN + i] = mul(r[i] as number, MONT_R);
    });
    t.montgomery = table;
  }
  return t.montgomery;
}

const domainCache = new Map<string, DomainTables>();

/** Periodic values (static columns) and divisor inverses on the coset shift·⟨ω_QN⟩, cached per domain. */
function domainTables(staticCoeffs: readonly Uint32Array[], QN: number, shift: number): DomainTables {
  const key = `${QN}:${shift}`;
  let t = domainCache.get(key);
  if (t === undefined) {
    const periodic = staticCoeffs.map((c) => cosetEvaluate(c, shift, QN));
    const w = rootOfUnity(Math.log2(QN));
    const wt = rootOfUnity(Math.log2(TRACE_LENGTH));
    const last = pow(wt, TRACE_LENGTH - 1);
    const out = pow(wt, OUTPUT_ROW);
    const vanish = new Uint32Array(QN);
    const first = new Uint32Array(QN);
    const output = new Uint32Array(QN);
    const lastRow = new Uint32Array(QN);
    const xs = new Uint32Array(QN);
    let x = shift;
    for (let i = 0; i < QN; i++) {
      xs[i] = x;
      vanish[i] = sub(pow(x, TRACE_LENGTH), 1);
      first[i] = sub(x, 1);
      output[i] = sub(x, out);
      lastRow[i] = sub(x, last);
      x = mul(x, w);
    }
    batchInvert(vanish);
    batchInvert(first);
    batchInvert(output);
    batchInvert(lastRow);
    const transition = Uint32Array.from(xs, (xi, i) => mul(sub(xi, last), vanish[i] as number));
    t = { periodic, divisors: [transition, vanish, first, output, lastRow] };
    domainCache.set(key, t);
  }
  return t;
}

/** Splits extension challenges into 16-bit halves per coordinate: lo[4i + k], hi[4i + k]. */
function split(coeffs: readonly Ext[]): { lo: Float64Array; hi: Float64Array } {
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

function lazyReduce(lo: number, hi: number): number {
  return (lo + (hi % P) * 65536) % P;
}

/** Constraints 0–15 at one point: nxt − round(cur) under the FULL and PART selectors (fu, pa), into vals[0..16). */
export function poseidonTransition(
  cur: Float64Array,
  nxt: Float64Array,
  rc: readonly Uint32Array[],
  i: number,
  fu: number,
  pa: number,
  diag: Float64Array,
  f: Float64Array,
  vals: Float64Array,
): void {
  for (let j = 0; j < 16; j++) {
    const x = add(cur[j] as number, (rc[j] as Uint32Array)[i] as number);
    f[j] = m(m(x, x), x);
  }
  for (let c = 0; c < 16; c += 4) {
    const x0 = f[c] as number;
    const x1 = f[c + 1] as number;
    const x2 = f[c + 2] as number;
    const x3 = f[c + 3] as number;
    const t01 = add(x0, x1);
    const t23 = add(x2, x3);
    const t0123 = add(t01, t23);
    const t01123 = add(t0123, x1);
    const t01233 = add(t0123, x3);
    f[c + 3] = add(t01233, add(x0, x0));
    f[c + 1] = add(t01123, add(x2, x2));
    f[c] = add(t01123, t01);
    f[c + 2] = add(t01233, t23);
  }
  for (let k = 0; k < 4; k++) {
    const s = add(add(f[k] as number, f[k + 4] as number), add(f[k + 8] as number, f[k + 12] as number));
    for (let c = 0; c < 16; c += 4) f[c + k] = add(f[c + k] as number, s);
  }
  const x0 = add(cur[0] as number, (rc[0] as Uint32Array)[i] as number);
  const v0 = m(m(x0, x0), x0);
  let sum = v0;
  for (let j = 1; j < 16; j++) sum = add(sum, cur[j] as number);
  for (let j = 0; j < 16; j++) {
    const n = nxt[j] as number;
    const mi = add(sum, m(diag[j] as number, j === 0 ? v0 : (cur[j] as number)));
    vals[j] = add(m(fu, sub(n, f[j] as number)), m(pa, sub(n, mi)));
  }
}

/**
 * Σ_i v[i]·coeff_i into 4 extension coordinates, lazily: coeff_i's coordinates split into 16-bit halves lo/hi, so
 * each product is < 2^47 and up to 32 of them sum exactly before one reduction.
 */
export function dotLazy(count: number, lo: Float64Array, hi: Float64Array, v: Float64Array, into: Float64Array): void {
  let l0 = 0;
  let l1 = 0;
  let l2 = 0;
  let l3 = 0;
  let h0 = 0;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  for (let i = 0, o = 0; i < count; i++, o += 4) {
    const x = v[i] as number;
    l0 += x * (lo[o] as number);
    l1 += x * (lo[o + 1] as number);
    l2 += x * (lo[o + 2] as number);
    l3 += x * (lo[o + 3] as number);
    h0 += x * (hi[o] as number);
    h1 += x * (hi[o + 1] as number);
    h2 += x * (hi[o + 2] as number);
    h3 += x * (hi[o + 3] as number);
  }
  into[0] = lazyReduce(l0, h0);
  into[1] = lazyReduce(l1, h1);
  into[2] = lazyReduce(l2, h2);
  into[3] = lazyReduce(l3, h3);
}

/**
 * Q(x) = Σ_groups (Σ_i α_i C_i(x)) / Z_group(x) on the coset shift·⟨ω_QN⟩, reading the trace LDE (N points on
 * shift·⟨ω_N⟩) every N/QN points; periodic coefficients as from periodicCoefficients (ELL last).
 */
export function composeQuotient(
  traceLde: readonly Uint32Array[],
  N: number,
  QN: number,
  shift: number,
  periodicCoeffs: readonly Uint32Array[],
  commitment: Uint32Array,
  alphas: readonly Ext[],
): ExtVec {
  if (alphas.length !== NUM_CONSTRAINTS || periodicCoeffs.length !== NUM_PERIODIC) {
    throw new RangeError("composeQuotient: wrong number of challenges or periodic columns");
  }
  const tables = domainTables(periodicCoeffs.slice(0, PER.ELL), QN, shift);
  const ell = cosetEvaluate(periodicCoeffs[PER.ELL] as Uint32Array, shift, QN);
  const [dT, dA, dF, dO, dL] = tables.divisors as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  const per = tables.periodic;
  const full = per[PER.FULL] as Uint32Array;
  const part = per[PER.PART] as Uint32Array;
  const rc = per.slice(PER.RC, PER.RC + 16);
  const wcol = [per[PER.W0], per[PER.W1], per[PER.W2]] as Uint32Array[];

  // linear groups folded into per-column coefficients: FIRST (25–36) and OUTPUT (37–44)
  const firstCoeffs: Ext[] = Array.from({ length: TRACE_WIDTH }, () => [0, 0, 0, 0] as Ext);
  const addTo = (j: number, a: Ext, s: number): void => {
    const c = firstCoeffs[j] as Ext;
    firstCoeffs[j] = [
      add(c[0], mul(a[0], s)),
      add(c[1], mul(a[1], s)),
      add(c[2], mul(a[2], s)),
      add(c[3], mul(a[3], s)),
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
  const firstConst: Ext = [
    mul(a29[0], P - COMMIT_TAG),
    mul(a29[1], P - COMMIT_TAG),
    mul(a29[2], P - COMMIT_TAG),
    mul(a29[3], P - COMMIT_TAG),
  ];
  const outCoeffs = alphas.slice(37, 45);
  const outConst: number[] = [0, 0, 0, 0];
  outCoeffs.forEach((a, j) => {
    for (let k = 0; k < 4; k++) outConst[k] = sub(outConst[k] as number, mul(a[k] as number, commitment[j] as number));
  });
  const kernels = wasmKernels();
  if (kernels !== null && QN % 32 === 0 && QN <= N && N <= kernels.maxSize) {
    const coeffs = new Uint32Array(COMPOSE_COEFF_WORDS);
    let at = 0;
    const put = (v: number): void => {
      coeffs[at++] = mul(v, MONT_R);
    };
    INTERNAL_DIAG.forEach(put);
    for (const a of [
      ...alphas.slice(0, 25),
      ...firstCoeffs,
      ...outCoeffs,
      ...alphas.slice(45, 49),
      firstConst,
      outConst,
    ]) {
      for (let k = 0; k < 4; k++) put(a[k] as number);
    }
    return kernels.composeCompliance(traceLde, QN, montgomeryTable(tables, QN), ell, coeffs) as ExtVec;
  }
  const tSplit = split(alphas.slice(0, 20));
  const aSplit = split(alphas.slice(20, 25));
  const fSplit = split(firstCoeffs);
  const oSplit = split(outCoeffs);
  const lSplit = split(alphas.slice(45, 49));

  const out = extZeros(QN);
  const step = N / QN;
  const nextOffset = N / TRACE_LENGTH;
  const cur = new Float64Array(TRACE_WIDTH);
  const nxt = new Float64Array(16 + 8);
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
    for (let j = 0; j < TRACE_WIDTH; j++) {
      const col = traceLde[j] as Uint32Array;
      cur[j] = col[li] as number;
      nxt[j] = col[ln] as number;
    }
    const fu = full[i] as number;
    const pa = part[i] as number;
    // 0–15: Poseidon2 rounds
    poseidonTransition(cur, nxt, rc, i, fu, pa, diag, f, vals);
    // 16: carry chain; 17–19: limb carriers
    const a0 = cur[COL.A0] as number;
    const a1 = cur[COL.A1] as number;
    const d0 = cur[COL.D0] as number;
    const d1 = cur[COL.D1] as number;
    const c = cur[COL.CARRY] as number;
    const digitA = add(a0, add(a1, a1));
    const digitSum = add(add(digitA, add(d0, add(d1, d1))), c);
    const el = ell[i] as number;
    const cn = nxt[COL.CARRY] as number;
    const c4 = add(add(cn, cn), add(cn, cn));
    vals[16] = sub(sub(digitSum, el), c4);
    for (let k = 0; k < 3; k++) {
      vals[17 + k] = add(
        sub(nxt[COL.K0 + k] as number, cur[COL.K0 + k] as number),
        m((wcol[k] as Uint32Array)[i] as number, digitA),
      );
    }
    dotLazy(20, tSplit.lo, tSplit.hi, vals, sT);
    // 20–24: booleanity
    vals[0] = m(a0, sub(a0, 1));
    vals[1] = m(a1, sub(a1, 1));
    vals[2] = m(d0, sub(d0, 1));
    vals[3] = m(d1, sub(d1, 1));
    vals[4] = m(c, sub(c, 1));
    dotLazy(5, aSplit.lo, aSplit.hi, vals, sA);
    // 25–36 and 37–44: linear in the current row
    dotLazy(TRACE_WIDTH, fSplit.lo, fSplit.hi, cur, sF);
    dotLazy(8, oSplit.lo, oSplit.hi, cur, sO);
    // 45–48: last row
    vals[0] = sub(digitSum, el);
    vals[1] = cur[COL.K0] as number;
    vals[2] = cur[COL.K1] as number;
    vals[3] = sub(cur[COL.K2] as number, m((wcol[2] as Uint32Array)[i] as number, digitA));
    dotLazy(4, lSplit.lo, lSplit.hi, vals, sL);
    const t = dT[i] as number;
    const a = dA[i] as number;
    const fi = dF[i] as number;
    const o = dO[i] as number;
    const l = dL[i] as number;
    for (let k = 0; k < 4; k++) {
      const first = add(sF[k] as number, firstConst[k] as number);
      const output = add(sO[k] as number, outConst[k] as number);
      let q = m(sT[k] as number, t);
      q = add(q, m(sA[k] as number, a));
      q = add(q, m(first, fi));
      q = add(q, m(output, o));
      q = add(q, m(sL[k] as number, l));
      (out[k] as Uint32Array)[i] = q;
    }
  }
  return out;
}
