/**
 * The batch compliance AIR: one 32-row block per event (B = next power of two ≥ the event count, padding blocks
 * unflagged), each block being exactly the per-event compliance trace of air/ (Poseidon2 commitment of (amount,
 * blinding), base-4 digits of amount + diff = L with carries), plus two columns:
 *
 * | Column | Content |
 * |---|---|
 * | 0–23 | the per-event trace of event i on rows 32i..32i+31 (air/layout.ts) |
 * | 24 F | the event's flag f_i, constant on its block, boolean |
 * | 25 CNT | Σ_{k<i} f_k on block i (a running count) |
 *
 * The per-event constraints are reused verbatim (air/constraints.ts `evaluateConstraints`), with the boundary rows of
 * the per-event AIR turned into rows 0, 28 and 31 of every block (divisors x^B − ω^(rB)), the limit digits ELL a
 * period-32 column computed by the verifier from the public limit (so the limit cannot be chosen by the prover: the
 * reference's F3), and the parts that make an event compliant gated by its flag:
 *
 *   16–19  NOTLAST·(per-event carry chain and limb carriers)       transition (not across block boundaries)
 *   37–44  F·(s_j − C_j(x))    on row 28 of every block            the hash output opens the public C_i
 *   45     F·(no carry out)    on row 31 of every block            amount ≤ L
 *   49     F·(F − 1)           every row
 *   50     NOTLAST·(F' − F)    transition                          F constant on a block
 *   51     F·(1 − ALLOWED(x))  on row 0 of every block             f_i = 0 unless event i is in scope with C_i
 *   52     CNT' − CNT − (1 − NOTLAST)·F                            transition
 *   53     CNT                 first row
 *   54     CNT + F − count     last row                            the public count of compliant events
 *
 * ALLOWED and C_0..C_7 are public columns (degree < n) the verifier evaluates at z from the statement: ALLOWED_i on
 * row 32i, C_i on row 32i + 28, zero elsewhere. Every constraint has degree ≤ 3 in the trace polynomials after
 * division by its group's vanishing polynomial (periodic columns have degree ≤ n − B, public ones ≤ n − 1), so the
 * generic prover's composition sizing (deriveParams) applies unchanged.
 */
import {
  BASE_RING,
  COL,
  EXT_RING,
  NUM_CONSTRAINTS as EVENT_CONSTRAINTS,
  NUM_PERIODIC as EVENT_PERIODIC,
  OUTPUT_ROW,
  PER,
  TRACE_LENGTH as BLOCK,
  TRACE_WIDTH as EVENT_WIDTH,
  buildTraceUnchecked,
  evaluateConstraints,
  periodicCoefficients,
  type Ring,
  type Trace,
} from "../air";
import { COMMIT_LANES } from "../poseidon2";
import {
  type Ext,
  P,
  add,
  batchInvert,
  eadd,
  ebatchInvert,
  einv,
  emul,
  epow,
  escale,
  esub,
  ext,
  mul,
  pow,
  rootOfUnity,
  sub,
} from "../field";
import { type ExtVec, cosetEvaluate, evalBaseAtPowers, extPowers, extZeros, intt, log2 } from "../poly";

/** Rows per event block (the per-event trace length). */
export const BLOCK_ROWS = BLOCK;
/** Largest number of events in one batch proof. */
export const MAX_BATCH_EVENTS = 1024;
/** Trace columns. */
export const BATCH_WIDTH = EVENT_WIDTH + 2;
/** Batch column indices (after the per-event columns). */
export const BCOL = Object.freeze({ FLAG: EVENT_WIDTH, COUNT: EVENT_WIDTH + 1 });
/** Total number of constraints. */
export const BATCH_CONSTRAINTS = EVENT_CONSTRAINTS + 6;
/** Index of the NOTLAST periodic column (after the per-event ones). */
const PER_NOTLAST = EVENT_PERIODIC;
const LAST_ROW = BLOCK - 1;

/** Constraint groups in combination order: indices and what their divisor vanishes on. */
export const BATCH_GROUPS: readonly { readonly name: string; readonly constraints: readonly number[] }[] = [
  { name: "transition", constraints: [...range(0, 20), 50, 52] },
  { name: "every-row", constraints: [...range(20, 25), 49] },
  { name: "block-first", constraints: [...range(25, 37), 51] },
  { name: "block-output", constraints: range(37, 45) },
  { name: "block-last", constraints: range(45, 49) },
  { name: "trace-first", constraints: [53] },
  { name: "trace-last", constraints: [54] },
];

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo }, (_, i) => lo + i);
}

/** Human-readable name of every constraint (forgery tests and diagnostics name the violated one). */
export const CONSTRAINT_NAMES: readonly string[] = [
  ...range(0, 16).map((j) => `poseidon2-round-lane-${j}`),
  "carry-chain",
  "limb-carrier-0",
  "limb-carrier-1",
  "limb-carrier-2",
  "amount-bit-0-boolean",
  "amount-bit-1-boolean",
  "diff-bit-0-boolean",
  "diff-bit-1-boolean",
  "carry-boolean",
  "no-carry-in",
  "hash-input-limb-0",
  "hash-input-limb-1",
  "hash-input-limb-2",
  "hash-capacity-tag",
  ...range(0, 7).map((j) => `hash-capacity-zero-${j}`),
  ...range(0, 8).map((j) => `commitment-output-lane-${j}`),
  "no-carry-out",
  "limb-consumed-0",
  "limb-consumed-1",
  "limb-consumed-2",
  "flag-boolean",
  "flag-constant",
  "flag-allowed",
  "count-step",
  "count-start",
  "count-total",
];

/** The AIR-level public inputs of a batch. */
export interface BatchAirStatement {
  /** Effective limit L (u64), the same for every event. */
  readonly limit: bigint;
  /** Number of events (1..MAX_BATCH_EVENTS). */
  readonly numEvents: number;
  /** Per event: 1 if it is in scope with a commitment it may be flagged against, else 0. */
  readonly allowed: Uint8Array;
  /** Per event 8 commitment lanes (zero for events that are not allowed), event-major. */
  readonly commitments: Uint32Array;
  /** Σ f_i: the number of events proven compliant. */
  readonly compliantCount: number;
}

/** Number of blocks B (a power of two ≥ numEvents). */
export function blockCount(numEvents: number): number {
  let b = 1;
  while (b < numEvents) b *= 2;
  return b;
}

/** Trace length of a batch of numEvents events. */
export function batchTraceLength(numEvents: number): number {
  return BLOCK * blockCount(numEvents);
}

/** Validates an AIR statement; throws a TypeError or RangeError. */
export function validateBatchAirStatement(s: BatchAirStatement): void {
  if (typeof s !== "object" || s === null) throw new TypeError("statement must be an object");
  if (typeof s.limit !== "bigint" || s.limit < 0n || s.limit >= 1n << 64n) throw new RangeError("limit is not a u64");
  if (!Number.isInteger(s.numEvents) || s.numEvents < 1 || s.numEvents > MAX_BATCH_EVENTS) {
    throw new RangeError(`numEvents must be in 1..${MAX_BATCH_EVENTS}`);
  }
  if (!(s.allowed instanceof Uint8Array) || s.allowed.length !== s.numEvents || s.allowed.some((v) => v > 1)) {
    throw new RangeError("allowed must hold one 0/1 per event");
  }
  if (!(s.commitments instanceof Uint32Array) || s.commitments.length !== COMMIT_LANES * s.numEvents) {
    throw new RangeError("commitments must hold 8 lanes per event");
  }
  for (const v of s.commitments) if (v >= P) throw new RangeError("commitment lane is not canonical");
  const allowedCount = s.allowed.reduce((a, v) => a + v, 0);
  if (!Number.isInteger(s.compliantCount) || s.compliantCount < 0 || s.compliantCount > allowedCount) {
    throw new RangeError("compliantCount must be in 0..(number of allowed events)");
  }
}

// PERIODIC AND PUBLIC COLUMNS
// ================================================================================================

/** Coefficients (in y = x^B, degree < 32) of the per-event periodic columns plus NOTLAST. */
export function batchPeriodicCoefficients(limit: bigint): Uint32Array[] {
  const notLast = new Uint32Array(BLOCK).fill(1);
  notLast[LAST_ROW] = 0;
  return [...periodicCoefficients(limit), intt(notLast)];
}

/** Values of the 9 public columns (ALLOWED, C_0..C_7) on the trace domain. */
function publicColumnValues(s: BatchAirStatement, n: number): Uint32Array[] {
  const cols = Array.from({ length: 1 + COMMIT_LANES }, () => new Uint32Array(n));
  for (let i = 0; i < s.numEvents; i++) {
    (cols[0] as Uint32Array)[BLOCK * i] = s.allowed[i] as number;
    for (let j = 0; j < COMMIT_LANES; j++) {
      (cols[1 + j] as Uint32Array)[BLOCK * i + OUTPUT_ROW] = s.commitments[COMMIT_LANES * i + j] as number;
    }
  }
  return cols;
}

/**
 * The public columns at an extension point z, by the sparse Lagrange formula
 * P(z) = (z^n − 1)/n · Σ_k v_k·ω^k/(z − ω^k) over the rows where they are non-zero (2 per event).
 */
function publicColumnsAt(s: BatchAirStatement, n: number, z: Ext): Ext[] {
  const w = rootOfUnity(log2(n));
  const factor = escale(esub(epow(z, n), ext(1)), pow(n % P, P - 2));
  // ω^(32i) and ω^(32i + 28), by running products (no exponentiation per row)
  const points: number[] = [];
  const wBlock = pow(w, BLOCK);
  const wOut = pow(w, OUTPUT_ROW);
  for (let i = 0, x = 1; i < s.numEvents; i++, x = mul(x, wBlock)) points.push(x, mul(x, wOut));
  const inv = ebatchInvert(points.map((x) => esub(z, ext(x))));
  const out: Ext[] = Array.from({ length: 1 + COMMIT_LANES }, () => [0, 0, 0, 0] as Ext);
  for (let i = 0; i < s.numEvents; i++) {
    const l0 = emul(escale(inv[2 * i] as Ext, points[2 * i] as number), factor);
    if (s.allowed[i] === 1) out[0] = eadd(out[0] as Ext, l0);
    const l28 = emul(escale(inv[2 * i + 1] as Ext, points[2 * i + 1] as number), factor);
    for (let j = 0; j < COMMIT_LANES; j++) {
      const v = s.commitments[COMMIT_LANES * i + j] as number;
      if (v !== 0) out[1 + j] = eadd(out[1 + j] as Ext, escale(l28, v));
    }
  }
  return out;
}

// CONSTRAINTS
// ================================================================================================

/**
 * Evaluates all BATCH_CONSTRAINTS numerators at one point into `out`: `per` holds the per-event periodic values
 * then NOTLAST, `pub` the public columns (ALLOWED, C_0..C_7), `count` the public compliant count.
 */
export function evaluateBatchConstraints<T>(
  R: Ring<T>,
  cur: readonly T[],
  nxt: readonly T[],
  per: readonly T[],
  pub: readonly T[],
  count: T,
  out: T[],
): void {
  evaluateConstraints(R, cur, nxt, per, pub.slice(1), out);
  const notLast = per[PER_NOTLAST] as T;
  const f = cur[BCOL.FLAG] as T;
  const fn = nxt[BCOL.FLAG] as T;
  const cnt = cur[BCOL.COUNT] as T;
  const one = R.c(1);
  for (let k = 16; k < 20; k++) out[k] = R.mul(notLast, out[k] as T);
  for (let k = 37; k < 46; k++) out[k] = R.mul(f, out[k] as T);
  out[49] = R.mul(f, R.sub(f, one));
  out[50] = R.mul(notLast, R.sub(fn, f));
  out[51] = R.mul(f, R.sub(one, pub[0] as T));
  out[52] = R.sub(R.sub(nxt[BCOL.COUNT] as T, cnt), R.mul(R.sub(one, notLast), f));
  out[53] = cnt;
  out[54] = R.sub(R.add(cnt, f), count);
}

/** Inverses of the 7 group divisors at an extension point (x^n ≠ 1, not a block row point). */
function divisorInversesAt(z: Ext, n: number): Ext[] {
  const B = n / BLOCK;
  const w = rootOfUnity(log2(n));
  const last = pow(w, n - 1);
  const zB = epow(z, B);
  const vanish = einv(esub(epow(z, n), ext(1)));
  return [
    emul(esub(z, ext(last)), vanish),
    vanish,
    einv(esub(zB, ext(1))),
    einv(esub(zB, ext(pow(w, OUTPUT_ROW * B)))),
    einv(esub(zB, ext(pow(w, LAST_ROW * B)))),
    einv(esub(z, ext(1))),
    einv(esub(z, ext(last))),
  ];
}

/** Q(z) for the verifier from the out-of-domain frame. */
export function batchQuotientAt(
  s: BatchAirStatement,
  traceZ: readonly Ext[],
  traceZw: readonly Ext[],
  z: Ext,
  alphas: readonly Ext[],
): Ext {
  const n = batchTraceLength(s.numEvents);
  const B = n / BLOCK;
  const yPow = extPowers(epow(z, B), BLOCK);
  const per = batchPeriodicCoefficients(s.limit).map((c) => evalBaseAtPowers(c, yPow));
  const pub = publicColumnsAt(s, n, z);
  const values: Ext[] = new Array<Ext>(BATCH_CONSTRAINTS).fill([0, 0, 0, 0]);
  evaluateBatchConstraints(EXT_RING, traceZ, traceZw, per, pub, ext(s.compliantCount), values);
  const div = divisorInversesAt(z, n);
  let q: Ext = [0, 0, 0, 0];
  BATCH_GROUPS.forEach((g, gi) => {
    let acc: Ext = [0, 0, 0, 0];
    for (const i of g.constraints) acc = eadd(acc, emul(alphas[i] as Ext, values[i] as Ext));
    q = eadd(q, emul(acc, div[gi] as Ext));
  });
  return q;
}

/**
 * The prover's composition Q on the coset shift·⟨ω_QN⟩ from the trace LDE on shift·⟨ω_N⟩ (N ≥ QN, both multiples of
 * the trace length).
 */
export function batchComposeQuotient(
  s: BatchAirStatement,
  traceLde: readonly Uint32Array[],
  N: number,
  QN: number,
  shift: number,
  alphas: readonly Ext[],
): ExtVec {
  const n = batchTraceLength(s.numEvents);
  const B = n / BLOCK;
  const W = BATCH_WIDTH;
  // periodic columns: polynomials in y = x^B; x^B runs over shift^B·⟨ω_(QN/B)⟩ with period QN/B
  const perLen = QN / B;
  const per = batchPeriodicCoefficients(s.limit).map((c) => cosetEvaluate(c, pow(shift, B), perLen));
  const pub = publicColumnValues(s, n).map((v) => cosetEvaluate(intt(v), shift, QN));
  // divisors
  const wq = rootOfUnity(log2(QN));
  const w = rootOfUnity(log2(n));
  const last = pow(w, n - 1);
  const xs = new Uint32Array(QN);
  let x = shift;
  for (let i = 0; i < QN; i++) {
    xs[i] = x;
    x = mul(x, wq);
  }
  const vanishPeriod = QN / n; // x^n − 1 repeats with period QN/n
  const vanish = batchInvert(Uint32Array.from({ length: vanishPeriod }, (_, i) => sub(pow(xs[i] as number, n), 1)));
  const blockDiv = (c: number): Uint32Array =>
    batchInvert(Uint32Array.from({ length: perLen }, (_, i) => sub(pow(xs[i] as number, B), c)));
  const dBlockFirst = blockDiv(1);
  const dBlockOut = blockDiv(pow(w, OUTPUT_ROW * B));
  const dBlockLast = blockDiv(pow(w, LAST_ROW * B));
  const dFirst = batchInvert(Uint32Array.from(xs, (xi) => sub(xi, 1)));
  const dLast = batchInvert(Uint32Array.from(xs, (xi) => sub(xi, last)));

  const out = extZeros(QN);
  const step = N / QN;
  const nextOffset = N / n;
  const cur = new Array<number>(W).fill(0);
  const nxt = new Array<number>(W).fill(0);
  const perv = new Array<number>(per.length).fill(0);
  const pubv = new Array<number>(pub.length).fill(0);
  const vals = new Array<number>(BATCH_CONSTRAINTS).fill(0);
  const count = s.compliantCount;
  const groups = BATCH_GROUPS.map((g) => g.constraints);
  const acc = [0, 0, 0, 0];
  for (let i = 0; i < QN; i++) {
    const li = i * step;
    const ln = (li + nextOffset) % N;
    for (let j = 0; j < W; j++) {
      const col = traceLde[j] as Uint32Array;
      cur[j] = col[li] as number;
      nxt[j] = col[ln] as number;
    }
    const pi = i % perLen;
    for (let k = 0; k < per.length; k++) perv[k] = (per[k] as Uint32Array)[pi] as number;
    for (let k = 0; k < pub.length; k++) pubv[k] = (pub[k] as Uint32Array)[i] as number;
    evaluateBatchConstraints(BASE_RING, cur, nxt, perv, pubv, count, vals);
    const vi = vanish[i % vanishPeriod] as number;
    const divs = [
      mul(sub(xs[i] as number, last), vi),
      vi,
      dBlockFirst[pi] as number,
      dBlockOut[pi] as number,
      dBlockLast[pi] as number,
      dFirst[i] as number,
      dLast[i] as number,
    ];
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    for (let g = 0; g < groups.length; g++) {
      acc[0] = acc[1] = acc[2] = acc[3] = 0;
      for (const c of groups[g] as number[]) {
        const v = vals[c] as number;
        if (v === 0) continue;
        const a = alphas[c] as Ext;
        acc[0] = add(acc[0] as number, mul(a[0], v));
        acc[1] = add(acc[1] as number, mul(a[1], v));
        acc[2] = add(acc[2] as number, mul(a[2], v));
        acc[3] = add(acc[3] as number, mul(a[3], v));
      }
      const d = divs[g] as number;
      q0 = add(q0, mul(acc[0] as number, d));
      q1 = add(q1, mul(acc[1] as number, d));
      q2 = add(q2, mul(acc[2] as number, d));
      q3 = add(q3, mul(acc[3] as number, d));
    }
    out[0][i] = q0;
    out[1][i] = q1;
    out[2][i] = q2;
    out[3][i] = q3;
  }
  return out;
}

// TRACE
// ================================================================================================

/** One event's private witness in a batch. */
export interface BatchEventWitness {
  readonly amount: bigint;
  readonly blinding: readonly number[];
  /** The flag the prover claims (honest: 1 iff allowed, the opening matches and amount ≤ limit). */
  readonly flag: 0 | 1;
}

const ZERO_BLINDING = [0, 0, 0, 0, 0];

/**
 * Builds the batch trace without checking anything (forgery tests feed it false claims): block i is the per-event
 * trace of event i (padding blocks: amount 0, zero blinding, flag 0), F the flags, CNT their running count.
 */
export function buildBatchTraceUnchecked(limit: bigint, events: readonly BatchEventWitness[]): Trace {
  const n = batchTraceLength(events.length);
  const B = n / BLOCK;
  const cols: Trace = Array.from({ length: BATCH_WIDTH }, () => new Uint32Array(n));
  let count = 0;
  for (let i = 0; i < B; i++) {
    const e = events[i];
    const block = buildTraceUnchecked({
      amount: e?.amount ?? 0n,
      blinding: e?.blinding ?? ZERO_BLINDING,
      limit,
    });
    for (let j = 0; j < EVENT_WIDTH; j++) (cols[j] as Uint32Array).set(block[j] as Uint32Array, BLOCK * i);
    const f = e?.flag ?? 0;
    (cols[BCOL.FLAG] as Uint32Array).fill(f, BLOCK * i, BLOCK * (i + 1));
    (cols[BCOL.COUNT] as Uint32Array).fill(count, BLOCK * i, BLOCK * (i + 1));
    count += f;
  }
  return cols;
}

/**
 * Lists the constraints a trace violates (name and first violating row), evaluating every constraint on the rows
 * where it is enforced: a direct AIR check for tests and diagnostics (the verifier never needs it).
 */
export function batchConstraintViolations(
  trace: Trace,
  s: BatchAirStatement,
): { readonly name: string; readonly row: number }[] {
  const n = batchTraceLength(s.numEvents);
  const periodicValues = batchPeriodicCoefficients(s.limit).map((c) => {
    const v = cosetEvaluate(c, 1, BLOCK);
    return v;
  });
  const pubVals = publicColumnValues(s, n);
  const out = new Array<number>(BATCH_CONSTRAINTS).fill(0);
  const seen = new Map<number, number>();
  const where = (c: number, r: number): boolean => {
    if (range(0, 20).includes(c) || c === 50 || c === 52) return r !== n - 1;
    if (range(25, 37).includes(c) || c === 51) return r % BLOCK === 0;
    if (c >= 37 && c < 45) return r % BLOCK === OUTPUT_ROW;
    if (c >= 45 && c < 49) return r % BLOCK === LAST_ROW;
    if (c === 53) return r === 0;
    if (c === 54) return r === n - 1;
    return true;
  };
  for (let r = 0; r < n; r++) {
    const cur = trace.map((c) => c[r] as number);
    const nxt = trace.map((c) => c[(r + 1) % n] as number);
    const per = periodicValues.map((v) => v[r % BLOCK] as number);
    const pub = pubVals.map((v) => v[r] as number);
    evaluateBatchConstraints(BASE_RING, cur, nxt, per, pub, s.compliantCount % P, out);
    out.forEach((v, c) => {
      if (v !== 0 && where(c, r) && !seen.has(c)) seen.set(c, r);
    });
  }
  return [...seen.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([c, row]) => ({ name: CONSTRAINT_NAMES[c] as string, row }));
}

/** Re-exported so batch callers need not import the per-event AIR. */
export { COL, PER };
