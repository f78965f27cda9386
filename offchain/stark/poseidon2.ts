/**
 * Poseidon2 (Grassi, Khovratovich, Schofnegger, eprint 2023/323) over KoalaBear, width 16, S-box x^3, 8 external
 * and 20 internal rounds: the instance Plonky3 ships as `default_koalabear_poseidon2_16`. The 148 round constants
 * are regenerated here with the published Grain LFSR procedure (field_type 1, exp flag 0, n = 31, t = 16, R_F = 8,
 * R_P = 20; 64 initial external, 20 internal, 64 final external constants in stream order); the tests compare them
 * with Plonky3's published values and the permutation with its known-answer vector. The external layer is
 * Plonky3's "MDS light" layer built from M4 = circ-like [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]]; the internal
 * layer is 1·1ᵀ + diag(V) with V = [−2, 1, 2, 1/2, 3, 4, −1/2, −3, −4, 1/2^8, 1/8, 1/2^24, −1/2^8, −1/8, −1/16,
 * −1/2^24].
 *
 * The witness commitment is one sponge call: C = first 8 lanes of Perm([a0, a1, a2, b0..b4, TAG, 0×7]) where
 * a0..a2 are the 22/22/20-bit limbs of the u64 amount, b0..b4 five uniformly random field elements (≈155 bits of
 * blinding), and lanes 8..15 a capacity of 8 lanes holding a domain tag.
 */
import { P, add, inv, mul, pow, sub } from "./field";

/** State width of the permutation. */
export const WIDTH = 16;
/** Number of external (full) rounds, half before and half after the internal rounds. */
export const EXTERNAL_ROUNDS = 8;
/** Number of internal (partial) rounds. */
export const INTERNAL_ROUNDS = 20;
/** Total number of rounds. */
export const TOTAL_ROUNDS = EXTERNAL_ROUNDS + INTERNAL_ROUNDS;

/** Bit-stream generator of the Grain LFSR in self-shrinking mode, initialised as the Poseidon reference scripts do. */
export function* grainLfsr(
  fieldType: number,
  sboxType: number,
  fieldBits: number,
  width: number,
  fullRounds: number,
  partialRounds: number,
): Generator<number, never, void> {
  const state: number[] = [];
  const push = (v: number, w: number): void => {
    for (let i = w - 1; i >= 0; i--) state.push((v >> i) & 1);
  };
  push(fieldType, 2);
  push(sboxType, 4);
  push(fieldBits, 12);
  push(width, 12);
  push(fullRounds, 10);
  push(partialRounds, 10);
  for (let i = 0; i < 30; i++) state.push(1);
  let head = 0;
  const step = (): number => {
    const b =
      (state[head + 62] as number) ^
      (state[head + 51] as number) ^
      (state[head + 38] as number) ^
      (state[head + 23] as number) ^
      (state[head + 13] as number) ^
      (state[head] as number);
    state.push(b);
    head++;
    return b;
  };
  for (let i = 0; i < 160; i++) step();
  for (;;) {
    const a = step();
    const b = step();
    if (a === 1) yield b;
  }
}

/** Round constants in generation order: 4×16 initial external, 20 internal, 4×16 final external. */
export interface Poseidon2Constants {
  readonly initial: readonly Uint32Array[];
  readonly internal: Uint32Array;
  readonly final: readonly Uint32Array[];
}

/** Generates the KoalaBear width-16 constants with the Grain LFSR (rejection sampling of 31-bit integers below p). */
export function generateConstants(): Poseidon2Constants {
  const bits = grainLfsr(1, 0, 31, WIDTH, EXTERNAL_ROUNDS, INTERNAL_ROUNDS);
  const next = (): number => {
    for (;;) {
      let v = 0;
      for (let i = 0; i < 31; i++) v = v * 2 + bits.next().value;
      if (v < P) return v;
    }
  };
  const row = (): Uint32Array => Uint32Array.from({ length: WIDTH }, next);
  const initial = Array.from({ length: EXTERNAL_ROUNDS / 2 }, row);
  const internal = Uint32Array.from({ length: INTERNAL_ROUNDS }, next);
  const final = Array.from({ length: EXTERNAL_ROUNDS / 2 }, row);
  return { initial, internal, final };
}

/** The round constants of this instance. */
export const CONSTANTS: Poseidon2Constants = generateConstants();

/** The internal-layer diagonal V (matrix 1·1ᵀ + diag(V)). */
export const INTERNAL_DIAG: Uint32Array = (() => {
  const i2 = (k: number): number => inv(pow(2, k));
  const m = (v: number): number => sub(0, v);
  return Uint32Array.from([
    m(2),
    1,
    2,
    i2(1),
    3,
    4,
    m(i2(1)),
    m(3),
    m(4),
    i2(8),
    i2(3),
    i2(24),
    m(i2(8)),
    m(i2(3)),
    m(i2(4)),
    m(i2(24)),
  ]);
})();

/** Applies Plonky3's external "MDS light" layer in place: M4 on each 4-lane block, then adds the column sums. */
export function externalLayer(s: Uint32Array | number[]): void {
  for (let c = 0; c < WIDTH; c += 4) {
    const x0 = s[c] as number;
    const x1 = s[c + 1] as number;
    const x2 = s[c + 2] as number;
    const x3 = s[c + 3] as number;
    const t01 = add(x0, x1);
    const t23 = add(x2, x3);
    const t0123 = add(t01, t23);
    const t01123 = add(t0123, x1);
    const t01233 = add(t0123, x3);
    s[c + 3] = add(t01233, add(x0, x0));
    s[c + 1] = add(t01123, add(x2, x2));
    s[c] = add(t01123, t01);
    s[c + 2] = add(t01233, t23);
  }
  for (let k = 0; k < 4; k++) {
    const sum = add(add(s[k] as number, s[k + 4] as number), add(s[k + 8] as number, s[k + 12] as number));
    for (let c = 0; c < WIDTH; c += 4) s[c + k] = add(s[c + k] as number, sum);
  }
}

/** Applies the internal layer 1·1ᵀ + diag(V) in place. */
export function internalLayer(s: Uint32Array | number[]): void {
  let sum = 0;
  for (let i = 0; i < WIDTH; i++) sum = add(sum, s[i] as number);
  for (let i = 0; i < WIDTH; i++) s[i] = add(sum, mul(INTERNAL_DIAG[i] as number, s[i] as number));
}

/** x^3 mod p. */
export function cube(x: number): number {
  return mul(mul(x, x), x);
}

/**
 * Applies one round step of the permutation in place; step 0 also applies the initial external layer unless
 * `initialLayer` is false. Steps 0..3 and 24..27 are external rounds, 4..23 internal rounds.
 */
export function roundStep(s: Uint32Array | number[], step: number, initialLayer = true): void {
  if (step === 0 && initialLayer) externalLayer(s);
  const half = EXTERNAL_ROUNDS / 2;
  if (step < half || step >= half + INTERNAL_ROUNDS) {
    const rc = (step < half ? CONSTANTS.initial[step] : CONSTANTS.final[step - half - INTERNAL_ROUNDS]) as Uint32Array;
    for (let i = 0; i < WIDTH; i++) s[i] = cube(add(s[i] as number, rc[i] as number));
    externalLayer(s);
  } else {
    s[0] = cube(add(s[0] as number, CONSTANTS.internal[step - half] as number));
    internalLayer(s);
  }
}

/** The Poseidon2 permutation (returns a new state). Throws a RangeError on a non-canonical input lane. */
export function permute(input: ArrayLike<number>): Uint32Array {
  if (input.length !== WIDTH) throw new RangeError(`Poseidon2 state must have ${WIDTH} lanes, got ${input.length}`);
  const s = new Uint32Array(WIDTH);
  for (let i = 0; i < WIDTH; i++) {
    const v = input[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= P) throw new RangeError(`lane ${i} is not a field element: ${v}`);
    s[i] = v;
  }
  for (let r = 0; r < TOTAL_ROUNDS; r++) roundStep(s, r);
  return s;
}

/** Domain tag in capacity lane 8 of the commitment sponge ("VES1" as a big-endian u32, below p). */
export const COMMIT_TAG = 0x56455331;
/** Number of blinding lanes (5 × log2 p ≈ 154.9 bits). */
export const BLINDING_LANES = 5;
/** Number of commitment output lanes (8 × 31 bits). */
export const COMMIT_LANES = 8;
/** Bit widths of the three amount limbs fed to the hash (22 + 22 + 20 = 64). */
export const LIMB_BITS: readonly [number, number, number] = [22, 22, 20];

/** Splits a u64 amount into its three hash limbs. Throws a RangeError outside [0, 2^64). */
export function amountLimbs(amount: bigint): [number, number, number] {
  if (typeof amount !== "bigint") throw new TypeError(`amount must be a bigint, got ${typeof amount}`);
  if (amount < 0n || amount >= 1n << 64n) throw new RangeError(`amount ${amount} is not a u64`);
  return [Number(amount & 0x3fffffn), Number((amount >> 22n) & 0x3fffffn), Number(amount >> 44n)];
}

/** The sponge input state for an amount and a blinding vector. */
export function commitmentInput(amount: bigint, blinding: readonly number[]): Uint32Array {
  if (blinding.length !== BLINDING_LANES) {
    throw new RangeError(`blinding must have ${BLINDING_LANES} field elements, got ${blinding.length}`);
  }
  const s = new Uint32Array(WIDTH);
  const limbs = amountLimbs(amount);
  s.set(limbs, 0);
  for (let i = 0; i < BLINDING_LANES; i++) {
    const b = blinding[i] as number;
    if (!Number.isInteger(b) || b < 0 || b >= P) throw new RangeError(`blinding lane ${i} is not a field element`);
    s[3 + i] = b;
  }
  s[8] = COMMIT_TAG;
  return s;
}

/** The witness commitment C = Perm(amount limbs ‖ blinding ‖ TAG ‖ 0^7)[0..8]. */
export function commitAmount(amount: bigint, blinding: readonly number[]): Uint32Array {
  return permute(commitmentInput(amount, blinding)).slice(0, COMMIT_LANES);
}
