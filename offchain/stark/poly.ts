/**
 * Polynomials over KoalaBear: radix-2 number-theoretic transforms (NTT) on power-of-two subgroups and their cosets,
 * evaluation, and the extension-field polynomial helpers the prover needs. An extension polynomial is stored as four
 * base coefficient arrays (one per extension coordinate): the NTT is linear with base-field twiddles, so it runs on
 * each coordinate separately.
 */
import {
  type Ext,
  EXT_W,
  EXT_ZERO,
  P,
  add,
  eadd,
  emul,
  inv,
  isCanonical,
  mul,
  rootOfUnity,
  sub,
  TWO_ADICITY,
} from "./field";
import { type Kernels, wasmKernels } from "./wasm";

/** An extension-field vector (coefficients or evaluations) as four coordinate arrays. */
export type ExtVec = [Uint32Array, Uint32Array, Uint32Array, Uint32Array];

const INV_P = 1 / P;
/** Per-stage twiddles: stage s (butterfly span 2^(s+1)) holds ω_(2^(s+1))^j for j < 2^s, and w·(1/p) as floats. */
const stageCache = new Map<number, { tw: Int32Array[]; twf: Float64Array[] }>();
const bitrevCache = new Map<number, Uint32Array>();

/** log2 of a power of two; throws a RangeError otherwise. */
export function log2(n: number): number {
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0 || n > 2 ** 30) {
    throw new RangeError(`expected a power of two, got ${n}`);
  }
  return 31 - Math.clz32(n);
}

function stages(logN: number): { tw: Int32Array[]; twf: Float64Array[] } {
  let st = stageCache.get(logN);
  if (st === undefined) {
    const tw: Int32Array[] = [];
    const twf: Float64Array[] = [];
    for (let s = 0; s < logN; s++) {
      const half = 1 << s;
      const w = rootOfUnity(s + 1);
      const t = new Int32Array(half);
      const tf = new Float64Array(half);
      let acc = 1;
      for (let j = 0; j < half; j++) {
        t[j] = acc;
        tf[j] = acc * INV_P;
        acc = mul(acc, w);
      }
      tw.push(t);
      twf.push(tf);
    }
    st = { tw, twf };
    stageCache.set(logN, st);
  }
  return st;
}

function bitrev(logN: number): Uint32Array {
  let r = bitrevCache.get(logN);
  if (r === undefined) {
    const n = 1 << logN;
    r = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let x = i;
      let y = 0;
      for (let b = 0; b < logN; b++) {
        y = (y << 1) | (x & 1);
        x >>= 1;
      }
      r[i] = y;
    }
    bitrevCache.set(logN, r);
  }
  return r;
}

/**
 * One radix-2 butterfly (a[i], a[i + half]) ← (u + w·x, u − w·x) with branch-free reductions: the operands are
 * random field elements, so a data-dependent branch would be mispredicted half the time. w·x mod p: the quotient
 * estimate from w/p in floating point is off by at most one and only when the remainder is near 0, so
 * v = w·x − q·p lies in (−p, p + 2^24) and fits an int32.
 */
function butterfly(a: Int32Array, i: number, half: number, w: number, wf: number): void {
  const u = a[i] as number;
  const x = a[i + half] as number;
  const q = (x * wf) | 0;
  let v = (Math.imul(x, w) - Math.imul(q, P)) | 0;
  v += (v >> 31) & P;
  v -= P;
  v += (v >> 31) & P;
  const s = (u + v - P) | 0;
  a[i] = s + ((s >> 31) & P);
  const d = (u - v) | 0;
  a[i + half] = d + ((d >> 31) & P);
}

/** Smallest size sent to the WebAssembly kernels (below it the copies cost more than the kernel saves). */
const WASM_MIN_SIZE = 8;

/** The WebAssembly kernels when loaded and `size` is within what they take, else null (TypeScript path). */
function kernelsFor(size: number): Kernels | null {
  const k = wasmKernels();
  return k !== null && size >= WASM_MIN_SIZE && size <= k.maxSize ? k : null;
}

/**
 * In-place forward NTT: coefficients → evaluations at ω^0, ω^1, …, ω^(n−1). Runs on an Int32Array view of the
 * same memory (field elements are below 2^31), which V8 loads as int32 without conversions; the WebAssembly kernel
 * (identical output) when loaded.
 */
export function ntt(arr: Uint32Array): Uint32Array {
  const n = arr.length;
  const logN = log2(n);
  if (logN > TWO_ADICITY) throw new RangeError(`NTT size 2^${logN} exceeds the two-adicity`);
  const k = kernelsFor(n);
  if (k !== null) return k.ntt(arr);
  const a = new Int32Array(arr.buffer, arr.byteOffset, n);
  const rev = bitrev(logN);
  for (let i = 0; i < n; i++) {
    const j = rev[i] as number;
    if (i < j) {
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
  }
  // stage 0: twiddle 1, no multiplication
  for (let i = 0; i + 1 < n; i += 2) {
    const u = a[i] as number;
    const v = a[i + 1] as number;
    const s = (u + v - P) | 0;
    a[i] = s + ((s >> 31) & P);
    const d = (u - v) | 0;
    a[i + 1] = d + ((d >> 31) & P);
  }
  const { tw, twf } = stages(logN);
  for (let st = 1; st < logN; st++) {
    const half = 1 << st;
    const len = half << 1;
    const t = tw[st] as Int32Array;
    const tf = twf[st] as Float64Array;
    if (half >= 16) {
      // long butterfly groups: walk each group sequentially
      for (let k = 0; k < n; k += len) {
        for (let j = 0, i = k; j < half; j++, i++) butterfly(a, i, half, t[j] as number, tf[j] as number);
      }
    } else {
      for (let j = 0; j < half; j++) {
        const w = t[j] as number;
        const wf = tf[j] as number;
        for (let i = j; i < n; i += len) butterfly(a, i, half, w, wf);
      }
    }
  }
  return arr;
}

/** In-place inverse NTT: evaluations at ω^i → coefficients (the WebAssembly kernel when loaded). */
export function intt(a: Uint32Array): Uint32Array {
  const n = a.length;
  const k = kernelsFor(n);
  if (k !== null && log2(n) <= TWO_ADICITY) return k.intt(a);
  ntt(a);
  // evaluations of the reversed-root transform: swap a[i] and a[n − i]
  for (let i = 1, j = n - 1; i < j; i++, j--) {
    const t = a[i] as number;
    a[i] = a[j] as number;
    a[j] = t;
  }
  const nInv = inv(n % P);
  for (let i = 0; i < n; i++) a[i] = mul(a[i] as number, nInv);
  return a;
}

/**
 * Evaluates a polynomial (coefficients, length ≤ n) on the coset shift·⟨ω_n⟩; returns a new array of n evaluations.
 * A polynomial of degree < d (a power of two below n) is evaluated as n/d NTTs of size d, one per sub-coset
 * shift·ω_n^k·⟨ω_d⟩, whose results interleave: out[k + (n/d)·j].
 */
export function cosetEvaluate(coeffs: Uint32Array, shift: number, n: number): Uint32Array {
  if (coeffs.length > n) throw new RangeError(`polynomial of ${coeffs.length} coefficients on a domain of ${n}`);
  log2(n);
  const k = kernelsFor(n);
  if (k !== null && isCanonical(shift)) return k.cosetEvaluateMany([coeffs], shift, n)[0] as Uint32Array;
  let d = 1;
  while (d < coeffs.length) d *= 2;
  const out = new Uint32Array(n);
  if (d >= n / 2) {
    let s = 1;
    for (let i = 0; i < coeffs.length; i++) {
      out[i] = mul(coeffs[i] as number, s);
      s = mul(s, shift);
    }
    return ntt(out);
  }
  const blocks = n / d;
  const scale = scaleTable(shift, n, d);
  const tmp = new Uint32Array(d);
  const len = coeffs.length;
  for (let k = 0; k < blocks; k++) {
    const o = k * d;
    for (let i = 0; i < len; i++) tmp[i] = mulInline(coeffs[i] as number, scale[o + i] as number);
    tmp.fill(0, len);
    ntt(tmp);
    for (let j = 0, p = k; j < d; j++, p += blocks) out[p] = tmp[j] as number;
  }
  return out;
}

/**
 * cosetEvaluate(c, shift, n) of each polynomial: one WebAssembly call for all of them (sharing the scale table) when
 * the kernels are loaded and the polynomials share one length, else one cosetEvaluate each.
 */
export function cosetEvaluateMany(coeffs: readonly Uint32Array[], shift: number, n: number): Uint32Array[] {
  const k = kernelsFor(n);
  const len = coeffs[0]?.length ?? 0;
  if (k !== null && isCanonical(shift) && len <= n && coeffs.every((c) => c.length === len)) {
    return k.cosetEvaluateMany(coeffs, shift, n);
  }
  return coeffs.map((c) => cosetEvaluate(c, shift, n));
}

/** a·b mod p (as field.mul, with a truncating quotient estimate: both are exact, see field.ts). */
function mulInline(a: number, b: number): number {
  const q = (a * b * INV_P) | 0;
  const r = (Math.imul(a, b) - Math.imul(q, P)) | 0;
  return r < 0 ? r + P : r >= P ? r - P : r;
}

const scaleCache = new Map<string, Uint32Array>();

/** (shift·ω_n^k)^i for k < n/d, i < d, cached per (shift, n, d). */
function scaleTable(shift: number, n: number, d: number): Uint32Array {
  const key = `${shift}:${n}:${d}`;
  let t = scaleCache.get(key);
  if (t === undefined) {
    t = new Uint32Array(n);
    const wn = rootOfUnity(log2(n));
    let base = shift;
    for (let k = 0; k < n / d; k++) {
      let s = 1;
      for (let i = 0; i < d; i++) {
        t[k * d + i] = s;
        s = mul(s, base);
      }
      base = mul(base, wn);
    }
    if (scaleCache.size > 64) scaleCache.clear();
    scaleCache.set(key, t);
  }
  return t;
}

/** Interpolates evaluations on the coset shift·⟨ω_n⟩ back to coefficients (new array). */
export function cosetInterpolate(evals: Uint32Array, shift: number): Uint32Array {
  const out = intt(Uint32Array.from(evals));
  const sInv = inv(shift);
  let s = 1;
  for (let i = 0; i < out.length; i++) {
    out[i] = mul(out[i] as number, s);
    s = mul(s, sInv);
  }
  return out;
}

/** Evaluates a base polynomial at a base point (Horner). */
export function evalBase(coeffs: Uint32Array, x: number): number {
  let acc = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = add(mul(acc, x), coeffs[i] as number);
  return acc;
}

/** Evaluates a base polynomial at an extension point using precomputed powers x^0, x^1, … of that point. */
export function evalBaseAtPowers(coeffs: Uint32Array, powers: readonly Ext[]): Ext {
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  // reduced products summed exactly in doubles (< 2^53 for fewer than 2^22 terms), reduced once at the end
  if (coeffs.length >= 1 << 22) throw new RangeError("evalBaseAtPowers: polynomial too long");
  for (let i = 0; i < coeffs.length; i++) {
    const c = coeffs[i] as number;
    if (c === 0) continue;
    const x = powers[i] as Ext;
    c0 += mul(c, x[0]);
    c1 += mul(c, x[1]);
    c2 += mul(c, x[2]);
    c3 += mul(c, x[3]);
  }
  return [c0 % P, c1 % P, c2 % P, c3 % P];
}

/**
 * Each base polynomial at each extension point: result[p][c] = evalBaseAtPowers(polys[c], powers of points[p]). One
 * WebAssembly call when the kernels are loaded and the polynomials share a length.
 */
export function evalBaseAtPoints(polys: readonly Uint32Array[], points: readonly Ext[]): Ext[][] {
  const len = polys[0]?.length ?? 0;
  const k = wasmKernels();
  if (k !== null && len > 0 && polys.every((c) => c.length === len)) return k.evalAtPoints(polys, points);
  return points.map((x) => {
    const pw = extPowers(x, len === 0 ? 0 : Math.max(...polys.map((c) => c.length)));
    return polys.map((c) => evalBaseAtPowers(c, pw));
  });
}

/** c0 + c1·X + c2·X^2 + c3·X^3: an extension polynomial's value from the values c_k of its coordinate polynomials. */
export function fromCoordinateValues(c: readonly Ext[]): Ext {
  const [c0 = EXT_ZERO, c1 = EXT_ZERO, c2 = EXT_ZERO, c3 = EXT_ZERO] = c;
  // X·(a0 + a1X + a2X^2 + a3X^3) = W·a3 + a0X + a1X^2 + a2X^3
  const x1: Ext = [mul(EXT_W, c1[3]), c1[0], c1[1], c1[2]];
  const x2: Ext = [mul(EXT_W, c2[2]), mul(EXT_W, c2[3]), c2[0], c2[1]];
  const x3: Ext = [mul(EXT_W, c3[1]), mul(EXT_W, c3[2]), mul(EXT_W, c3[3]), c3[0]];
  return eadd(eadd(c0, x1), eadd(x2, x3));
}

/** x^0, x^1, …, x^(count−1) for an extension point x. */
export function extPowers(x: Ext, count: number): Ext[] {
  const out: Ext[] = new Array<Ext>(count);
  let acc: Ext = [1, 0, 0, 0];
  for (let i = 0; i < count; i++) {
    out[i] = acc;
    acc = emul(acc, x);
  }
  return out;
}

/** Evaluates an extension polynomial at an extension point (Horner). */
export function evalExt(coeffs: ExtVec, x: Ext): Ext {
  let acc: Ext = [0, 0, 0, 0];
  for (let i = coeffs[0].length - 1; i >= 0; i--) {
    acc = eadd(emul(acc, x), [
      coeffs[0][i] as number,
      coeffs[1][i] as number,
      coeffs[2][i] as number,
      coeffs[3][i] as number,
    ]);
  }
  return acc;
}

/** A new zero extension vector of the given length. */
export function extZeros(n: number): ExtVec {
  return [new Uint32Array(n), new Uint32Array(n), new Uint32Array(n), new Uint32Array(n)];
}

/** Divides an extension polynomial by (X − z), dropping the remainder (exact when the polynomial vanishes at z). */
export function divideByLinear(coeffs: ExtVec, z: Ext): ExtVec {
  const n = coeffs[0].length;
  const out = extZeros(Math.max(0, n - 1));
  let acc: Ext = [0, 0, 0, 0];
  for (let i = n - 1; i >= 1; i--) {
    acc = eadd(emul(acc, z), [
      coeffs[0][i] as number,
      coeffs[1][i] as number,
      coeffs[2][i] as number,
      coeffs[3][i] as number,
    ]);
    out[0][i - 1] = acc[0];
    out[1][i - 1] = acc[1];
    out[2][i - 1] = acc[2];
    out[3][i - 1] = acc[3];
  }
  return out;
}

/** out += c · a for an extension vector a and an extension scalar c (lengths may differ; extra entries skipped). */
export function extAxpy(out: ExtVec, c: Ext, a: ExtVec): void {
  const n = Math.min(out[0].length, a[0].length);
  const [c0, c1, c2, c3] = c;
  const [o0, o1, o2, o3] = out;
  const [x0, x1, x2, x3] = a;
  for (let i = 0; i < n; i++) {
    // out + c·a with X^4 = 3: each coordinate an exact double sum (< 11p) reduced once
    const b0 = x0[i] as number;
    const b1 = x1[i] as number;
    const b2 = x2[i] as number;
    const b3 = x3[i] as number;
    o0[i] = ((o0[i] as number) + mul(c0, b0) + 3 * (mul(c1, b3) + mul(c2, b2) + mul(c3, b1))) % P;
    o1[i] = ((o1[i] as number) + mul(c0, b1) + mul(c1, b0) + 3 * (mul(c2, b3) + mul(c3, b2))) % P;
    o2[i] = ((o2[i] as number) + mul(c0, b2) + mul(c1, b1) + mul(c2, b0) + 3 * mul(c3, b3)) % P;
    o3[i] = ((o3[i] as number) + mul(c0, b3) + mul(c1, b2) + mul(c2, b1) + mul(c3, b0)) % P;
  }
}

/** out += c · a for a base vector a and an extension scalar c. */
export function extAxpyBase(out: ExtVec, c: Ext, a: Uint32Array): void {
  const n = Math.min(out[0].length, a.length);
  for (let i = 0; i < n; i++) {
    const v = a[i] as number;
    if (v === 0) continue;
    out[0][i] = add(out[0][i] as number, mul(c[0], v));
    out[1][i] = add(out[1][i] as number, mul(c[1], v));
    out[2][i] = add(out[2][i] as number, mul(c[2], v));
    out[3][i] = add(out[3][i] as number, mul(c[3], v));
  }
}

/** Subtracts an extension constant from the constant coefficient of a polynomial (new vector). */
export function extSubConstant(coeffs: ExtVec, c: Ext): ExtVec {
  const out: ExtVec = [
    Uint32Array.from(coeffs[0]),
    Uint32Array.from(coeffs[1]),
    Uint32Array.from(coeffs[2]),
    Uint32Array.from(coeffs[3]),
  ];
  if (out[0].length === 0) return out;
  out[0][0] = sub(out[0][0] as number, c[0]);
  out[1][0] = sub(out[1][0] as number, c[1]);
  out[2][0] = sub(out[2][0] as number, c[2]);
  out[3][0] = sub(out[3][0] as number, c[3]);
  return out;
}
