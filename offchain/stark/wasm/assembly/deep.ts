/** DEEP values at the query points (verifier) and the DEEP polynomial (prover). */
import { P, R_MOD_P, addMod, addMod4, montMul, montMul4, powMont, subMod, toMont } from "./field";
import { BLOCK, eAcc, eTmp, eTmp2, eTmp3, eTmp4 } from "./memory";
import { extMulMont } from "./points";
import { copy16 } from "./fri";
import { eAdd, eMul, eScale, eSub, f } from "./quotient";

/** o = a^(−1) in F_p[X]/(X^4 − 3), Montgomery form (field.ts einv: the norm to F_p); a ≠ 0. o may alias a. */
export function eInv(a: usize, o: usize): void {
  const a0 = load<u32>(a);
  const a1 = load<u32>(a, 4);
  const a2 = load<u32>(a, 8);
  const a3 = load<u32>(a, 12);
  const w = toMont(3);
  const a1a3 = montMul(a1, a3);
  const b0 = subMod(addMod(montMul(a0, a0), montMul(w, montMul(a2, a2))), montMul(w, addMod(a1a3, a1a3)));
  const a0a2 = montMul(a0, a2);
  const b2 = subMod(addMod(a0a2, a0a2), addMod(montMul(a1, a1), montMul(w, montMul(a3, a3))));
  const norm = subMod(montMul(b0, b0), montMul(w, montMul(b2, b2)));
  const nInv = powMont(norm, P - 2);
  const c0 = montMul(b0, nInv);
  const c2 = subMod(0, montMul(b2, nInv));
  // conj(a)·(c0 + c2·X^2), conj(a) = a0 − a1·X + a2·X^2 − a3·X^3
  const t = BLOCK + 48;
  store<u32>(t, a0);
  store<u32>(t, subMod(0, a1), 4);
  store<u32>(t, a2, 8);
  store<u32>(t, subMod(0, a3), 12);
  const c = BLOCK + 32;
  store<u32>(c, c0);
  store<u32>(c, 0, 4);
  store<u32>(c, c2, 8);
  store<u32>(c, 0, 12);
  extMulMont(t, c, BLOCK); // BLOCK: 16 bytes of scratch here
  copy16(o, BLOCK);
}

/** Offsets (in extension elements) of the DEEP coefficient block after the W trace and K chunk coefficients. */
export const DEEP_SHIFTED: u32 = 0;
export const DEEP_MASK: u32 = 1;
export const DEEP_AT_Z: u32 = 2;
export const DEEP_S1_ZW: u32 = 3;
export const DEEP_Z: u32 = 4;
export const DEEP_ZW: u32 = 5;

/**
 * The verifier's DEEP values F(x_i) (verifier.ts step 5) for `count` query points: x_i (standard form) at `xs`, the
 * trace rows (count × W words) at `rows`, the composition rows (count × 4(K + 1) words) at `comp`, and at `coef` the
 * W trace coefficients, the K chunk coefficients, then the shifted and mask coefficients, Σ at z, s1 at ω·z, z and
 * ω·z (extension elements, 4 standard-form words each). Inputs are converted in place; `scratch` takes 64·count
 * bytes. F(x_i) = (s1 + s3 − atZ)/(x_i − z) + shifted·(s1 − s1zw)/(x_i − ω·z) + mask·r, written (standard form) at
 * out + 16·i. Returns 0, writing nothing, when some x_i − z or x_i − ω·z is zero; else 1.
 */
export function deepValues(
  count: u32,
  W: u32,
  K: u32,
  rows: usize,
  comp: usize,
  coef: usize,
  xs: usize,
  scratch: usize,
  out: usize,
): u32 {
  const compWords: u32 = 4 * (K + 1);
  const coefWords: u32 = 4 * (W + K + 6);
  toMontRange(rows, count * W);
  toMontRange(comp, count * compWords);
  toMontRange(coef, coefWords);
  toMontRange(xs, count);
  const extra = coef + ((<usize>(4 * (W + K))) << 2);
  const shifted = extra + ((<usize>DEEP_SHIFTED) << 4);
  const mask = extra + ((<usize>DEEP_MASK) << 4);
  const atZ = extra + ((<usize>DEEP_AT_Z) << 4);
  const s1zw = extra + ((<usize>DEEP_S1_ZW) << 4);
  const z = extra + ((<usize>DEEP_Z) << 4);
  const zw = extra + ((<usize>DEEP_ZW) << 4);
  // denominators x_i − z (i < count) and x_i − ω·z (count + i), then their inverses (one inversion, prefix products)
  const den = scratch;
  const pre = scratch + ((<usize>(2 * count)) << 4);
  const n: u32 = 2 * count;
  for (let i: u32 = 0; i < count; i++) {
    const x = load<u32>(xs + ((<usize>i) << 2));
    const d1 = den + ((<usize>i) << 4);
    const d2 = den + ((<usize>(count + i)) << 4);
    for (let k: usize = 0; k < 16; k += 4) {
      const xk: u32 = k == 0 ? x : 0;
      store<u32>(d1 + k, subMod(xk, load<u32>(z + k)));
      store<u32>(d2 + k, subMod(xk, load<u32>(zw + k)));
    }
  }
  store<u32>(eAcc, R_MOD_P);
  store<u32>(eAcc, 0, 4);
  store<u32>(eAcc, 0, 8);
  store<u32>(eAcc, 0, 12);
  for (let i: u32 = 0; i < n; i++) {
    copy16(pre + ((<usize>i) << 4), eAcc);
    eMul(eAcc, den + ((<usize>i) << 4), eAcc);
  }
  if (load<u32>(eAcc) == 0 && load<u32>(eAcc, 4) == 0 && load<u32>(eAcc, 8) == 0 && load<u32>(eAcc, 12) == 0) return 0;
  eInv(eAcc, eAcc);
  for (let i: i32 = <i32>n - 1; i >= 0; i--) {
    const d = den + ((<usize>i) << 4);
    const t = eTmp;
    eMul(eAcc, pre + ((<usize>i) << 4), t);
    eMul(eAcc, d, eAcc);
    copy16(d, t);
  }
  // the values
  const s1 = eTmp2;
  const s3 = eTmp3;
  const t = eTmp4;
  for (let i: u32 = 0; i < count; i++) {
    const row = rows + ((<usize>(i * W)) << 2);
    const cr = comp + ((<usize>(i * compWords)) << 2);
    v128.store(s1, i32x4.splat(0));
    for (let j: u32 = 0; j < W; j++) {
      eScale(coef + ((<usize>j) << 4), load<u32>(row + ((<usize>j) << 2)), t);
      eAdd(s1, t, s1);
    }
    v128.store(s3, i32x4.splat(0));
    for (let k: u32 = 0; k < K; k++) {
      eMul(coef + ((<usize>(W + k)) << 4), cr + ((<usize>k) << 4), t);
      eAdd(s3, t, s3);
    }
    // a = (s1 + s3 − atZ)·inv1
    const o = out + ((<usize>i) << 4);
    eAdd(s1, s3, s3);
    eSub(s3, atZ, s3);
    eMul(s3, den + ((<usize>i) << 4), s3);
    // b = shifted·(s1 − s1zw)·inv2
    eSub(s1, s1zw, t);
    eMul(shifted, t, t);
    eMul(t, den + ((<usize>(count + i)) << 4), t);
    eAdd(s3, t, s3);
    eMul(mask, cr + ((<usize>K) << 4), t);
    eAdd(s3, t, s3);
    for (let k: usize = 0; k < 16; k += 4) store<u32>(o + k, montMul(load<u32>(s3 + k), 1));
  }
  return 1;
}

export function toMontRange(p: usize, words: u32): void {
  for (let i: u32 = 0; i < words; i++) {
    const a = p + ((<usize>i) << 2);
    store<u32>(a, toMont(load<u32>(a)));
  }
}

/**
 * The prover's DEEP polynomial F (prover.ts step 8) in coefficient form, D coefficients: with s1 = Σ_j γ_j·t_j over
 * the W trace polynomials (D coefficients each at `trace`, standard form), s3 = Σ_k δ_k·c_k over the K extension chunk
 * polynomials (coordinate c of chunk k at chunks + 4·D·(4k + c)) and the mask polynomial m (coordinate c at
 * mask + 4·D·c): F = (s1 + s3 − ·)/(X − z) + (σ·s1 − ·)/(X − ω·z) + μ·m, the divisions dropping their remainders.
 * `coef` holds γ_0.., δ_0.., σ, μ, z, ω·z (W + K + 4 extension elements, standard form, converted in place);
 * `scratch` takes 48·D bytes. F's coordinate c goes to out + 4·D·c (standard form).
 */
export function deepPolynomial(
  D: u32,
  W: u32,
  K: u32,
  trace: usize,
  chunks: usize,
  mask: usize,
  coef: usize,
  scratch: usize,
  out: usize,
): void {
  toMontRange(coef, 4 * (W + K + 4));
  const sigma = coef + ((<usize>(W + K)) << 4);
  const mu = sigma + 16;
  const z = sigma + 32;
  const zw = sigma + 48;
  const s1 = scratch; // D extension values, interleaved (standard form)
  const at = scratch + ((<usize>D) << 4); // D extension values
  const dBytes = (<usize>D) << 2;
  const g = eTmp; // a gathered extension value
  const t = eTmp2;
  for (let i: u32 = 0; i < D; i++) {
    const o = (<usize>i) << 2;
    let acc = i32x4.splat(0);
    for (let j: u32 = 0; j < W; j++) {
      acc = addMod4(
        acc,
        montMul4(v128.load32_splat(trace + <usize>j * dBytes + o), v128.load(coef + ((<usize>j) << 4))),
      );
    }
    v128.store(s1 + ((<usize>i) << 4), acc);
    for (let k: u32 = 0; k < K; k++) {
      const c = chunks + <usize>(4 * k) * dBytes + o;
      store<u32>(g, load<u32>(c));
      store<u32>(g, load<u32>(c + dBytes), 4);
      store<u32>(g, load<u32>(c + 2 * dBytes), 8);
      store<u32>(g, load<u32>(c + 3 * dBytes), 12);
      extMulMont(g, coef + ((<usize>(W + k)) << 4), t);
      acc = addMod4(acc, v128.load(t));
    }
    v128.store(at + ((<usize>i) << 4), acc);
  }
  // F ← mask term, then + the two quotients (synthetic division, highest coefficient first)
  for (let i: u32 = 0; i < D; i++) {
    const o = (<usize>i) << 2;
    store<u32>(g, load<u32>(mask + o));
    store<u32>(g, load<u32>(mask + dBytes + o), 4);
    store<u32>(g, load<u32>(mask + 2 * dBytes + o), 8);
    store<u32>(g, load<u32>(mask + 3 * dBytes + o), 12);
    extMulMont(g, mu, t);
    v128.store(scratch + ((<usize>(2 * D + i)) << 4), v128.load(t));
  }
  const f = scratch + ((<usize>(2 * D)) << 4); // D extension values: F, interleaved
  const acc = eTmp3;
  v128.store(acc, i32x4.splat(0));
  for (let i: i32 = <i32>D - 1; i >= 1; i--) {
    extMulMont(acc, z, t);
    v128.store(acc, addMod4(v128.load(t), v128.load(at + ((<usize>i) << 4))));
    const fi = f + ((<usize>(i - 1)) << 4);
    v128.store(fi, addMod4(v128.load(fi), v128.load(acc)));
  }
  v128.store(acc, i32x4.splat(0));
  for (let i: i32 = <i32>D - 1; i >= 1; i--) {
    extMulMont(s1 + ((<usize>i) << 4), sigma, g);
    extMulMont(acc, zw, t);
    v128.store(acc, addMod4(v128.load(t), v128.load(g)));
    const fi = f + ((<usize>(i - 1)) << 4);
    v128.store(fi, addMod4(v128.load(fi), v128.load(acc)));
  }
  for (let i: u32 = 0; i < D; i++) {
    const fi = f + ((<usize>i) << 4);
    const o = (<usize>i) << 2;
    store<u32>(out + o, load<u32>(fi));
    store<u32>(out + dBytes + o, load<u32>(fi, 4));
    store<u32>(out + 2 * dBytes + o, load<u32>(fi, 8));
    store<u32>(out + 3 * dBytes + o, load<u32>(fi, 12));
  }
}
