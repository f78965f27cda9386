/**
 * Layout of the compliance AIR: a 32-row, 24-column trace.
 *
 * | Columns | Content |
 * |---|---|
 * | 0–15  | Poseidon2 state. Row 0 holds u = M_E·s_in (the input after the initial external layer); row r + 1 is round r applied to row r; row 28 is the output. |
 * | 16, 17 | a0, a1: bits 2r and 2r + 1 of the amount on row r |
 * | 18, 19 | d0, d1: bits 2r and 2r + 1 of diff = L − amount |
 * | 20    | c: carry into base-4 digit r of amount + diff |
 * | 21–23 | K0, K1, K2: the three amount limbs, consumed digit by digit (K_k on row 0 = limb k) |
 *
 * Periodic columns (period 32, public): FULL and PART round selectors, 16 round-constant columns, the limb weights
 * W0..W2 (4^j inside limb k's rows, else 0), and ELL, the base-4 digits of the limit L (instance-dependent).
 */
import {
  CONSTANTS,
  EXTERNAL_ROUNDS,
  INTERNAL_ROUNDS,
  LIMB_BITS,
  TOTAL_ROUNDS,
  WIDTH,
  externalLayer,
} from "../poseidon2";
import { inv, mul, sub } from "../field";

/** Rows in the trace. */
export const TRACE_LENGTH = 32;
/** Columns in the trace. */
export const TRACE_WIDTH = 24;
/** Row holding the Poseidon2 output. */
export const OUTPUT_ROW = TOTAL_ROUNDS;

/** Column indices. */
export const COL = Object.freeze({
  STATE: 0,
  A0: 16,
  A1: 17,
  D0: 18,
  D1: 19,
  CARRY: 20,
  K0: 21,
  K1: 22,
  K2: 23,
});

/** Periodic column indices. */
export const PER = Object.freeze({
  FULL: 0,
  PART: 1,
  RC: 2,
  W0: 18,
  W1: 19,
  W2: 20,
  ELL: 21,
});
/** Number of periodic columns. */
export const NUM_PERIODIC = 22;

/** First row of each amount limb's block of base-4 digits (11, 11 and 10 rows). */
export const LIMB_START: readonly [number, number, number] = [0, LIMB_BITS[0] / 2, (LIMB_BITS[0] + LIMB_BITS[1]) / 2];

/** The constraint groups, in the order they are combined, with their index ranges. */
export const GROUPS = Object.freeze({
  /** rows 0..30: 16 Poseidon2 lanes, carry chain, 3 limb carriers */
  TRANSITION: [0, 20] as const,
  /** every row: booleanity of a0, a1, d0, d1, c */
  ALL_ROWS: [20, 25] as const,
  /** row 0: carry 0, limbs = hash input, capacity lanes = IV */
  FIRST: [25, 37] as const,
  /** row 28: hash output = commitment */
  OUTPUT: [37, 45] as const,
  /** row 31: final carry 0, carriers fully consumed */
  LAST: [45, 49] as const,
});
/** Total number of constraints. */
export const NUM_CONSTRAINTS = 49;

/** True for the external (full) round steps. */
export function isFullRound(step: number): boolean {
  const half = EXTERNAL_ROUNDS / 2;
  return step < half || (step >= half + INTERNAL_ROUNDS && step < TOTAL_ROUNDS);
}

/** Values of the instance-independent periodic columns, per row: NUM_PERIODIC − 1 arrays of TRACE_LENGTH. */
export function staticPeriodicValues(): Uint32Array[] {
  const cols = Array.from({ length: NUM_PERIODIC - 1 }, () => new Uint32Array(TRACE_LENGTH));
  const half = EXTERNAL_ROUNDS / 2;
  for (let r = 0; r < TOTAL_ROUNDS; r++) {
    if (isFullRound(r)) {
      (cols[PER.FULL] as Uint32Array)[r] = 1;
      const rc = (r < half ? CONSTANTS.initial[r] : CONSTANTS.final[r - half - INTERNAL_ROUNDS]) as Uint32Array;
      for (let j = 0; j < WIDTH; j++) (cols[PER.RC + j] as Uint32Array)[r] = rc[j] as number;
    } else {
      (cols[PER.PART] as Uint32Array)[r] = 1;
      (cols[PER.RC] as Uint32Array)[r] = CONSTANTS.internal[r - half] as number;
    }
  }
  for (let k = 0; k < 3; k++) {
    const start = LIMB_START[k] as number;
    const rows = (LIMB_BITS[k] as number) / 2;
    let w = 1;
    for (let j = 0; j < rows; j++) {
      (cols[PER.W0 + k] as Uint32Array)[start + j] = w;
      w *= 4;
    }
  }
  return cols;
}

/** The ELL column: base-4 digits of the limit L (u64), least significant first. */
export function limitDigits(limit: bigint): Uint32Array {
  if (typeof limit !== "bigint") throw new TypeError("limit must be a bigint");
  if (limit < 0n || limit >= 1n << 64n) throw new RangeError(`limit ${limit} is not a u64`);
  const out = new Uint32Array(TRACE_LENGTH);
  for (let r = 0; r < TRACE_LENGTH; r++) out[r] = Number((limit >> BigInt(2 * r)) & 3n);
  return out;
}

/** The rows of M_E^(−1) (inverse of the Poseidon2 external layer), 16 × 16, computed by Gauss–Jordan elimination. */
export const EXTERNAL_INVERSE: readonly Uint32Array[] = (() => {
  const n = WIDTH;
  // columns of M_E are images of unit vectors
  const m: number[][] = Array.from({ length: n }, () => new Array<number>(2 * n).fill(0));
  for (let j = 0; j < n; j++) {
    const e = new Array<number>(n).fill(0);
    e[j] = 1;
    externalLayer(e);
    for (let i = 0; i < n; i++) (m[i] as number[])[j] = e[i] as number;
  }
  for (let i = 0; i < n; i++) (m[i] as number[])[n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    while ((m[piv] as number[])[c] === 0) piv++;
    [m[c], m[piv]] = [m[piv] as number[], m[c] as number[]];
    const row = m[c] as number[];
    const pinv = inv(row[c] as number);
    for (let k = 0; k < 2 * n; k++) row[k] = mul(row[k] as number, pinv);
    for (let i = 0; i < n; i++) {
      if (i === c) continue;
      const r = m[i] as number[];
      const f = r[c] as number;
      if (f === 0) continue;
      for (let k = 0; k < 2 * n; k++) r[k] = sub(r[k] as number, mul(f, row[k] as number));
    }
  }
  return m.map((r) => Uint32Array.from(r.slice(n)));
})();
