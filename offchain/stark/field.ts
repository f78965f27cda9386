/**
 * The KoalaBear prime field F_p, p = 2^31 − 2^24 + 1, and its degree-4 extension F_p[X]/(X^4 − 3).
 *
 * Base elements are plain numbers in [0, p). A product a·b < 2^62 does not fit a double, so `mul` estimates the
 * quotient ⌊ab/p⌋ in floating point (off by at most one, and only when ab mod p is within ~2^11 of 0 or p) and
 * recovers the exact remainder from the low 32 bits with `Math.imul`; no BigInt is used. Extension elements are
 * 4-tuples (c0, c1, c2, c3) meaning c0 + c1·X + c2·X^2 + c3·X^3.
 */

/** The field modulus p = 2^31 − 2^24 + 1 = 2130706433. */
export const P = 0x7f000001;
/** Bits of the modulus, as Winterfell counts them for the security bound. */
export const MODULUS_BITS = 31;
/** log2 of the largest power-of-two subgroup (p − 1 = 2^24 · 127). */
export const TWO_ADICITY = 24;
/** A generator of the multiplicative group F_p^*. */
export const GENERATOR = 3;
/** The non-residue W of the extension F_p[X]/(X^4 − W). */
export const EXT_W = 3;
/** Degree of the extension field used for challenges. */
export const EXT_DEGREE = 4;

const INV_P = 1 / P;

/** a + b mod p. */
export function add(a: number, b: number): number {
  // branch-free (a + b − P fits int32): a data-dependent branch mispredicts half the time on random operands
  const s = (a + b - P) | 0;
  return s + ((s >> 31) & P);
}

/** a − b mod p. */
export function sub(a: number, b: number): number {
  const s = (a - b) | 0;
  return s + ((s >> 31) & P);
}

/** −a mod p. */
export function neg(a: number): number {
  return a === 0 ? 0 : P - a;
}

/** a · b mod p, for a, b in [0, p). */
export function mul(a: number, b: number): number {
  const q = Math.floor(a * b * INV_P);
  const r = (Math.imul(a, b) - Math.imul(q, P)) | 0;
  return r < 0 ? r + P : r >= P ? r - P : r;
}

/** a^e mod p for a non-negative integer exponent (number below 2^53, or bigint). */
export function pow(a: number, e: number | bigint): number {
  if (typeof e === "number" && Number.isSafeInteger(e) && e >= 0) {
    // square-and-multiply on plain numbers (no BigInt in the hot path)
    let exp = e;
    let base = a;
    let acc = 1;
    while (exp > 0) {
      if (exp % 2 === 1) acc = mul(acc, base);
      exp = Math.floor(exp / 2);
      if (exp > 0) base = mul(base, base);
    }
    return acc;
  }
  let exp = BigInt(e);
  if (exp < 0n) throw new RangeError(`negative exponent ${exp}`);
  let base = a;
  let acc = 1;
  while (exp > 0n) {
    if (exp & 1n) acc = mul(acc, base);
    base = mul(base, base);
    exp >>= 1n;
  }
  return acc;
}

/** a^(−1) mod p; throws a RangeError for 0. */
export function inv(a: number): number {
  if (a === 0) throw new RangeError("inverse of zero in F_p");
  return pow(a, P - 2);
}

/** Reduces any safe integer (or bigint) into [0, p). */
export function reduce(v: number | bigint): number {
  if (typeof v === "bigint") return Number(((v % BigInt(P)) + BigInt(P)) % BigInt(P));
  if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer: ${v}`);
  const r = v % P;
  return r < 0 ? r + P : r;
}

/** True if `v` is a canonical base-field element (integer in [0, p)). */
export function isCanonical(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v < P;
}

const ROOTS: number[] = [];

/** A primitive 2^k-th root of unity (k ≤ 24). */
export function rootOfUnity(logN: number): number {
  if (!Number.isInteger(logN) || logN < 0 || logN > TWO_ADICITY) {
    throw new RangeError(`no 2^${logN}-th root of unity in KoalaBear (two-adicity ${TWO_ADICITY})`);
  }
  let r = ROOTS[logN];
  if (r === undefined) {
    r = pow(GENERATOR, (P - 1) / 2 ** logN);
    ROOTS[logN] = r;
  }
  return r;
}

const ROOT_POWERS: (Uint32Array | undefined)[] = [];

/**
 * ω^e for ω = rootOfUnity(logN) and an integer 0 ≤ e < 2^logN: from a cached table of every power for logN ≤ 16
 * (a pure function of logN), else pow.
 */
export function rootPower(logN: number, e: number): number {
  if (logN > 16 || !Number.isInteger(e) || e < 0 || e >= 2 ** logN) return pow(rootOfUnity(logN), e);
  let table = ROOT_POWERS[logN];
  if (table === undefined) {
    const w = rootOfUnity(logN);
    table = new Uint32Array(2 ** logN);
    let acc = 1;
    for (let i = 0; i < table.length; i++) {
      table[i] = acc;
      acc = mul(acc, w);
    }
    ROOT_POWERS[logN] = table;
  }
  return table[e] as number;
}

const INV_ROOTS: number[] = [];

/** The inverse of rootOfUnity(logN), cached. */
export function rootOfUnityInv(logN: number): number {
  let r = INV_ROOTS[logN];
  if (r === undefined) {
    r = inv(rootOfUnity(logN));
    INV_ROOTS[logN] = r;
  }
  return r;
}

/** Inverts every non-zero element of `values` in place with one field inversion (Montgomery's trick). */
export function batchInvert(values: Uint32Array): Uint32Array {
  const n = values.length;
  const prefix = new Uint32Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v === 0) throw new RangeError(`batch inversion of zero at index ${i}`);
    prefix[i] = acc;
    acc = mul(acc, v);
  }
  let invAcc = inv(acc);
  for (let i = n - 1; i >= 0; i--) {
    const v = values[i] as number;
    values[i] = mul(invAcc, prefix[i] as number);
    invAcc = mul(invAcc, v);
  }
  return values;
}

// EXTENSION FIELD F_p^4
// ================================================================================================

/** An element c0 + c1·X + c2·X^2 + c3·X^3 of F_p[X]/(X^4 − 3). */
export type Ext = readonly [number, number, number, number];

/** The extension zero. */
export const EXT_ZERO: Ext = [0, 0, 0, 0];
/** The extension one. */
export const EXT_ONE: Ext = [1, 0, 0, 0];

/** Lifts a base element into the extension. */
export function ext(a: number): Ext {
  return [a, 0, 0, 0];
}

/** a + b in F_p^4. */
export function eadd(a: Ext, b: Ext): Ext {
  return [add(a[0], b[0]), add(a[1], b[1]), add(a[2], b[2]), add(a[3], b[3])];
}

/** a − b in F_p^4. */
export function esub(a: Ext, b: Ext): Ext {
  return [sub(a[0], b[0]), sub(a[1], b[1]), sub(a[2], b[2]), sub(a[3], b[3])];
}

/** −a in F_p^4. */
export function eneg(a: Ext): Ext {
  return [neg(a[0]), neg(a[1]), neg(a[2]), neg(a[3])];
}

/** a · b in F_p^4 (schoolbook, X^4 = 3): reduced products summed exactly in doubles (< 10p), one reduction each. */
export function emul(a: Ext, b: Ext): Ext {
  const a0 = a[0];
  const a1 = a[1];
  const a2 = a[2];
  const a3 = a[3];
  const b0 = b[0];
  const b1 = b[1];
  const b2 = b[2];
  const b3 = b[3];
  const c0 = (mul(a0, b0) + EXT_W * (mul(a1, b3) + mul(a2, b2) + mul(a3, b1))) % P;
  const c1 = (mul(a0, b1) + mul(a1, b0) + EXT_W * (mul(a2, b3) + mul(a3, b2))) % P;
  const c2 = (mul(a0, b2) + mul(a1, b1) + mul(a2, b0) + EXT_W * mul(a3, b3)) % P;
  const c3 = (mul(a0, b3) + mul(a1, b2) + mul(a2, b1) + mul(a3, b0)) % P;
  return [c0, c1, c2, c3];
}

/** a · s for a base scalar s. */
export function escale(a: Ext, s: number): Ext {
  return [mul(a[0], s), mul(a[1], s), mul(a[2], s), mul(a[3], s)];
}

/** a^e in F_p^4 for a non-negative integer exponent. */
export function epow(a: Ext, e: number | bigint): Ext {
  let base = a;
  let acc: Ext = EXT_ONE;
  if (typeof e === "number" && Number.isSafeInteger(e) && e >= 0) {
    let exp = e;
    while (exp > 0) {
      if (exp % 2 === 1) acc = emul(acc, base);
      exp = Math.floor(exp / 2);
      if (exp > 0) base = emul(base, base);
    }
    return acc;
  }
  let exp = BigInt(e);
  while (exp > 0n) {
    if (exp & 1n) acc = emul(acc, base);
    base = emul(base, base);
    exp >>= 1n;
  }
  return acc;
}

/** True if a = 0. */
export function eisZero(a: Ext): boolean {
  return a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0;
}

/** True if a = b. */
export function eeq(a: Ext, b: Ext): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/**
 * a^(−1) in F_p^4, via the norm: for a(X), a(X)·a(−X) = n(X^2) lies in F_p[X^2]/(X^4 − 3), and n·n̄ is in F_p.
 * Throws a RangeError for 0.
 */
export function einv(a: Ext): Ext {
  if (eisZero(a)) throw new RangeError("inverse of zero in F_p^4");
  const [a0, a1, a2, a3] = a;
  // conj(a) = a(−X) = a0 − a1 X + a2 X^2 − a3 X^3; a·conj(a) = b0 + b2 X^2 (odd terms cancel)
  const b0 = sub(add(mul(a0, a0), mul(EXT_W, mul(a2, a2))), mul(EXT_W, add(mul(a1, a3), mul(a1, a3))));
  const b2 = sub(add(mul(a0, a2), mul(a0, a2)), add(mul(a1, a1), mul(EXT_W, mul(a3, a3))));
  // (b0 + b2 Y)(b0 − b2 Y) = b0^2 − W b2^2 with Y^2 = W
  const norm = sub(mul(b0, b0), mul(EXT_W, mul(b2, b2)));
  const ninv = inv(norm);
  const c0 = mul(b0, ninv);
  const c2 = neg(mul(b2, ninv));
  // a^(−1) = conj(a) · (c0 + c2 X^2)
  const conj: Ext = [a0, neg(a1), a2, neg(a3)];
  return emul(conj, [c0, 0, c2, 0]);
}

/** Inverts a list of non-zero extension elements with one extension inversion. */
export function ebatchInvert(values: readonly Ext[]): Ext[] {
  const n = values.length;
  const prefix: Ext[] = new Array<Ext>(n);
  let acc: Ext = EXT_ONE;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    acc = emul(acc, values[i] as Ext);
  }
  let invAcc = einv(acc);
  const out: Ext[] = new Array<Ext>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = emul(invAcc, prefix[i] as Ext);
    invAcc = emul(invAcc, values[i] as Ext);
  }
  return out;
}

/** Reads the extension element stored at index i of four coordinate arrays. */
export function eget(cols: readonly [Uint32Array, Uint32Array, Uint32Array, Uint32Array], i: number): Ext {
  return [cols[0][i] as number, cols[1][i] as number, cols[2][i] as number, cols[3][i] as number];
}

/** Samples a uniform base-field element from a source of random 32-bit words (rejection sampling on 31 bits). */
export function sampleBase(nextWord: () => number): number {
  for (;;) {
    const v = nextWord() & 0x7fffffff;
    if (v < P) return v;
  }
}
