/**
 * The compliance AIR: statement, trace layout, constraints, periodic columns and constraint divisors. The prover and
 * the verifier both import this module; nothing here depends on either of them.
 */
import { type Ext, P, eadd, ebatchInvert, emul, epow, esub, ext, mul, rootOfUnity } from "../field";
import { intt } from "../poly";
import { COMMIT_LANES } from "../poseidon2";
import { GROUPS, NUM_PERIODIC, OUTPUT_ROW, PER, TRACE_LENGTH, limitDigits, staticPeriodicValues } from "./layout";

export * from "./layout";
export * from "./constraints";
export * from "./trace";
export { composeQuotient } from "./compose";

/** The public statement the AIR checks: amount ≤ limit and Poseidon2(amount, blinding) = commitment. */
export interface AirStatement {
  /** Effective limit L (u64). */
  readonly limit: bigint;
  /** Commitment C: 8 canonical field elements. */
  readonly commitment: Uint32Array;
}

/** Validates an AIR statement; throws a TypeError or RangeError. */
export function validateStatement(s: AirStatement): void {
  if (typeof s !== "object" || s === null) throw new TypeError("statement must be an object");
  if (typeof s.limit !== "bigint") throw new TypeError("statement.limit must be a bigint");
  if (s.limit < 0n || s.limit >= 1n << 64n) throw new RangeError(`statement.limit ${s.limit} is not a u64`);
  if (!(s.commitment instanceof Uint32Array) || s.commitment.length !== COMMIT_LANES) {
    throw new TypeError(`statement.commitment must be a Uint32Array of ${COMMIT_LANES} lanes`);
  }
  for (const v of s.commitment) if (v >= P) throw new RangeError(`commitment lane ${v} is not canonical`);
}

let staticCoeffs: Uint32Array[] | undefined;
/** The ELL coefficients of the last limit asked for (a verifier sees the same limit again and again). */
let lastEll: { readonly limit: bigint; readonly coeffs: Uint32Array } | undefined;

/**
 * Coefficients (degree < TRACE_LENGTH) of all periodic columns for a limit: static columns cached, ELL a fresh copy
 * of the last limit's (computed again for another limit).
 */
export function periodicCoefficients(limit: bigint): Uint32Array[] {
  if (staticCoeffs === undefined) staticCoeffs = staticPeriodicValues().map((v) => intt(v.slice()));
  if (lastEll?.limit !== limit) lastEll = { limit, coeffs: intt(limitDigits(limit)) };
  const out = staticCoeffs.slice();
  out[PER.ELL] = lastEll.coeffs.slice();
  if (out.length !== NUM_PERIODIC) throw new RangeError("periodic column count mismatch");
  return out;
}

/** Generator ω of the trace domain. */
export const TRACE_GENERATOR = rootOfUnity(Math.log2(TRACE_LENGTH));

/** ω^k for the trace generator. */
function omegaPow(k: number): number {
  let acc = 1;
  for (let i = 0; i < k; i++) acc = mul(acc, TRACE_GENERATOR);
  return acc;
}

/** ω^row for the boundary groups and ω^(n−1) for the transition exemption. */
export const ROW_POINTS = Object.freeze({
  FIRST: 1,
  OUTPUT: omegaPow(OUTPUT_ROW),
  LAST: omegaPow(TRACE_LENGTH - 1),
});

/** The group ranges in combination order. */
export const GROUP_LIST: readonly (readonly [number, number])[] = [
  GROUPS.TRANSITION,
  GROUPS.ALL_ROWS,
  GROUPS.FIRST,
  GROUPS.OUTPUT,
  GROUPS.LAST,
];

/**
 * Inverses of the five group divisors at a base point x (x^n ≠ 1 and x not a boundary row point), in GROUP_LIST
 * order: (x − ω^(n−1))/(x^n − 1), 1/(x^n − 1), 1/(x − 1), 1/(x − ω^28), 1/(x − ω^31). Base-field version for the
 * prover takes precomputed inverses; see divisorInversesExt for the verifier.
 */
export function divisorInversesExt(z: Ext): Ext[] {
  const zn = epow(z, TRACE_LENGTH);
  // one inversion for the four denominators (Montgomery's trick; a zero still throws)
  const [vanish, first, output, last] = ebatchInvert([
    esub(zn, ext(1)),
    esub(z, ext(ROW_POINTS.FIRST)),
    esub(z, ext(ROW_POINTS.OUTPUT)),
    esub(z, ext(ROW_POINTS.LAST)),
  ]) as [Ext, Ext, Ext, Ext];
  const transition = emul(esub(z, ext(ROW_POINTS.LAST)), vanish);
  return [transition, vanish, first, output, last];
}

/** Combines constraint values with the challenge powers and divisor inverses into Q(z) (extension arithmetic). */
export function combineExt(values: readonly Ext[], alphas: readonly Ext[], divInv: readonly Ext[]): Ext {
  let q: Ext = [0, 0, 0, 0];
  GROUP_LIST.forEach(([lo, hi], g) => {
    let acc: Ext = [0, 0, 0, 0];
    for (let i = lo; i < hi; i++) acc = eadd(acc, emul(alphas[i] as Ext, values[i] as Ext));
    q = eadd(q, emul(acc, divInv[g] as Ext));
  });
  return q;
}
