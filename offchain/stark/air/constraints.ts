/**
 * The compliance AIR's constraints, written once over a generic ring so that the prover evaluates them on base-field
 * LDE values and the verifier on extension-field out-of-domain values. See layout.ts for the trace and the
 * constraint groups; the numbered list below is the whole relation.
 *
 * Transition (rows 0..30), with FULL/PART the round selectors and RC the round constants of row r:
 *   0–15  FULL·(s'_i − M_E(cube(s + RC))_i) + PART·(s'_i − M_I(v)_i), v = s with v_0 = cube(s_0 + RC_0)
 *   16    a0 + 2a1 + d0 + 2d1 + c − ELL − 4c'                          (carry chain of amount + diff = L)
 *   17–19 K_k' − K_k + W_k·(a0 + 2a1)                                    (limb k consumed digit by digit)
 * Every row:
 *   20–24 x·(x − 1) for x in a0, a1, d0, d1, c                           (bits and carries are boolean)
 * Row 0, with x = M_E^(−1)·s (the hash input):
 *   25    c                                                             (no carry into digit 0)
 *   26–28 x_k − K_k                                                     (hash lanes 0..2 are the amount limbs)
 *   29    x_8 − TAG;  30–36  x_j for j = 9..15                          (capacity lanes hold the IV)
 * Row 28:
 *   37–44 s_j − C_j                                                     (hash output is the public commitment)
 * Row 31:
 *   45    a0 + 2a1 + d0 + 2d1 + c − ELL                                 (no carry out of digit 31: no overflow)
 *   46, 47  K_0, K_1;  48  K_2 − W_2·(a0 + 2a1)                         (limbs fully consumed)
 */
import { type Ext, eadd, emul, escale, esub, ext, add, mul, sub } from "../field";
import { COMMIT_LANES, COMMIT_TAG, INTERNAL_DIAG, WIDTH } from "../poseidon2";
import { COL, EXTERNAL_INVERSE, NUM_CONSTRAINTS, PER } from "./layout";

/** The arithmetic the constraint evaluator needs. */
export interface Ring<T> {
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  /** Embeds a base-field constant. */
  c(v: number): T;
  /** Multiplies by a base-field constant. */
  scale(a: T, v: number): T;
}

/** The base field as a ring. */
export const BASE_RING: Ring<number> = { add, sub, mul, c: (v) => v, scale: mul };
/** The extension field as a ring. */
export const EXT_RING: Ring<Ext> = { add: eadd, sub: esub, mul: emul, c: ext, scale: escale };

function externalLayerRing<T>(R: Ring<T>, s: T[]): void {
  for (let c = 0; c < WIDTH; c += 4) {
    const x0 = s[c] as T;
    const x1 = s[c + 1] as T;
    const x2 = s[c + 2] as T;
    const x3 = s[c + 3] as T;
    const t01 = R.add(x0, x1);
    const t23 = R.add(x2, x3);
    const t0123 = R.add(t01, t23);
    const t01123 = R.add(t0123, x1);
    const t01233 = R.add(t0123, x3);
    s[c + 3] = R.add(t01233, R.add(x0, x0));
    s[c + 1] = R.add(t01123, R.add(x2, x2));
    s[c] = R.add(t01123, t01);
    s[c + 2] = R.add(t01233, t23);
  }
  for (let k = 0; k < 4; k++) {
    const sum = R.add(R.add(s[k] as T, s[k + 4] as T), R.add(s[k + 8] as T, s[k + 12] as T));
    for (let c = 0; c < WIDTH; c += 4) s[c + k] = R.add(s[c + k] as T, sum);
  }
}

const INPUT_ROWS = [0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * Evaluates all NUM_CONSTRAINTS constraint numerators at one point, given the current and next trace rows, the
 * periodic values and the 8 commitment lanes, into `out`.
 */
export function evaluateConstraints<T>(
  R: Ring<T>,
  cur: readonly T[],
  nxt: readonly T[],
  per: readonly T[],
  commitment: readonly T[],
  out: T[],
): void {
  const full = per[PER.FULL] as T;
  const part = per[PER.PART] as T;
  // 0–15: Poseidon2 rounds
  const f: T[] = new Array<T>(WIDTH);
  for (let j = 0; j < WIDTH; j++) {
    const x = R.add(cur[COL.STATE + j] as T, per[PER.RC + j] as T);
    f[j] = R.mul(R.mul(x, x), x);
  }
  externalLayerRing(R, f);
  const x0 = R.add(cur[COL.STATE] as T, per[PER.RC] as T);
  const v0 = R.mul(R.mul(x0, x0), x0);
  let sum = v0;
  for (let j = 1; j < WIDTH; j++) sum = R.add(sum, cur[COL.STATE + j] as T);
  for (let i = 0; i < WIDTH; i++) {
    const vi = i === 0 ? v0 : (cur[COL.STATE + i] as T);
    const mi = R.add(sum, R.scale(vi, INTERNAL_DIAG[i] as number));
    const n = nxt[COL.STATE + i] as T;
    out[i] = R.add(R.mul(full, R.sub(n, f[i] as T)), R.mul(part, R.sub(n, mi)));
  }
  const a0 = cur[COL.A0] as T;
  const a1 = cur[COL.A1] as T;
  const d0 = cur[COL.D0] as T;
  const d1 = cur[COL.D1] as T;
  const c = cur[COL.CARRY] as T;
  const digitA = R.add(a0, R.add(a1, a1));
  const digitSum = R.add(R.add(digitA, R.add(d0, R.add(d1, d1))), c);
  const ell = per[PER.ELL] as T;
  // 16: carry chain
  out[16] = R.sub(R.sub(digitSum, ell), R.scale(nxt[COL.CARRY] as T, 4));
  // 17–19: limb carriers
  for (let k = 0; k < 3; k++) {
    const kc = cur[COL.K0 + k] as T;
    const kn = nxt[COL.K0 + k] as T;
    out[17 + k] = R.add(R.sub(kn, kc), R.mul(per[PER.W0 + k] as T, digitA));
  }
  // 20–24: booleanity
  const bits = [a0, a1, d0, d1, c];
  const one = R.c(1);
  for (let k = 0; k < 5; k++) {
    const b = bits[k] as T;
    out[20 + k] = R.mul(b, R.sub(b, one));
  }
  // 25–36: first row
  out[25] = c;
  const input: T[] = [];
  for (const row of INPUT_ROWS) {
    const m = EXTERNAL_INVERSE[row] as Uint32Array;
    let acc = R.c(0);
    for (let j = 0; j < WIDTH; j++) acc = R.add(acc, R.scale(cur[COL.STATE + j] as T, m[j] as number));
    input.push(acc);
  }
  for (let k = 0; k < 3; k++) out[26 + k] = R.sub(input[k] as T, cur[COL.K0 + k] as T);
  out[29] = R.sub(input[3] as T, R.c(COMMIT_TAG));
  for (let j = 0; j < 7; j++) out[30 + j] = input[4 + j] as T;
  // 37–44: output row
  for (let j = 0; j < COMMIT_LANES; j++) out[37 + j] = R.sub(cur[COL.STATE + j] as T, commitment[j] as T);
  // 45–48: last row
  out[45] = R.sub(digitSum, ell);
  out[46] = cur[COL.K0] as T;
  out[47] = cur[COL.K1] as T;
  out[48] = R.sub(cur[COL.K2] as T, R.mul(per[PER.W2] as T, digitA));
  if (out.length < NUM_CONSTRAINTS) throw new RangeError("constraint output buffer too short");
}
