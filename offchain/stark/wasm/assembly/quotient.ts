/** The compliance constraints at an extension point z, combined (verifier; air/constraints.ts over the extension). */
import { R_MOD_P, addMod, montMul, subMod, toMont } from "./field";
import { BLOCK } from "./memory";
import { extMulMont } from "./points";
import { copy16 } from "./fri";

/** Extension elements (4 Montgomery-form words) by pointer: o may alias a or b. */
export function eAdd(a: usize, b: usize, o: usize): void {
  for (let k: usize = 0; k < 16; k += 4) store<u32>(o + k, addMod(load<u32>(a + k), load<u32>(b + k)));
}

export function eSub(a: usize, b: usize, o: usize): void {
  for (let k: usize = 0; k < 16; k += 4) store<u32>(o + k, subMod(load<u32>(a + k), load<u32>(b + k)));
}

export function eScale(a: usize, s: u32, o: usize): void {
  for (let k: usize = 0; k < 16; k += 4) store<u32>(o + k, montMul(load<u32>(a + k), s));
}

/** o = a·b (o may alias a or b: the product goes through BLOCK + 32). */
export function eMul(a: usize, b: usize, o: usize): void {
  const t = BLOCK + 32;
  extMulMont(a, b, t);
  copy16(o, t);
}

/** Offsets (in words) of the quotient-at-a-point input block; every word a field element. */
export const QA_CUR: u32 = 0;
export const QA_NXT: u32 = QA_CUR + 96;
export const QA_PER: u32 = QA_NXT + 96;
export const QA_COMMIT: u32 = QA_PER + 88;
export const QA_ALPHA: u32 = QA_COMMIT + 8;
export const QA_DIV: u32 = QA_ALPHA + 196;
export const QA_EINV: u32 = QA_DIV + 20;
export const QA_DIAG: u32 = QA_EINV + 176;
export const QA_TAG: u32 = QA_DIAG + 16;
/** Words of the input block. */
export const QA_WORDS: u32 = QA_TAG + 1;

/** First constraint of group g (air/layout.ts GROUPS: transition, every row, first, output, last), 49 for g = 5. */
export function groupStart(g: u32): u32 {
  return g == 0 ? 0 : g == 1 ? 20 : g == 2 ? 25 : g == 3 ? 37 : g == 4 ? 45 : 49;
}

/** The input block and scratch of the current quotientAtPoint call (AssemblyScript has no closures). */
export let qaIn: usize = 0;
export let qaScr: usize = 0;

export function cur(j: u32): usize {
  return qaIn + ((<usize>(QA_CUR + 4 * j)) << 2);
}

export function nxt(j: u32): usize {
  return qaIn + ((<usize>(QA_NXT + 4 * j)) << 2);
}

export function per(j: u32): usize {
  return qaIn + ((<usize>(QA_PER + 4 * j)) << 2);
}

export function f(j: u32): usize {
  return qaScr + ((<usize>j) << 4);
}

export function val(j: u32): usize {
  return qaScr + 256 + ((<usize>j) << 4);
}

export function tmp(j: u32): usize {
  return qaScr + 256 + 49 * 16 + ((<usize>j) << 4);
}

/**
 * The compliance AIR's quotient at an extension point z (protocol.ts quotientAt: air/constraints.ts
 * evaluateConstraints over the extension, then combineExt). `input` holds QA_WORDS standard-form words, converted in
 * place: the current and next trace rows at z and ω·z (24 extension elements each), the 22 periodic values, the 8
 * commitment lanes, the 49 challenges, the 5 divisor inverses, the 11 rows of M_E^(−1) used by the first-row group
 * (16 words each), the internal diagonal and the commitment tag. `scratch` takes 16·(16 + 49 + 12) + 64 bytes; Q(z)
 * (4 standard words) goes to `out`.
 */
export function quotientAtPoint(input: usize, scratch: usize, out: usize): void {
  for (let i: u32 = 0; i < QA_WORDS; i++) {
    const p = input + ((<usize>i) << 2);
    store<u32>(p, toMont(load<u32>(p)));
  }
  qaIn = input;
  qaScr = scratch;
  // 0–15: Poseidon2 rounds
  for (let j: u32 = 0; j < 16; j++) {
    eAdd(cur(j), per(2 + j), f(j));
    eMul(f(j), f(j), tmp(0));
    eMul(tmp(0), f(j), f(j));
  }
  const v0 = tmp(1);
  copy16(v0, f(0));
  for (let c: u32 = 0; c < 16; c += 4) {
    const t01 = tmp(2);
    const t23 = tmp(3);
    const t0123 = tmp(4);
    const t01123 = tmp(5);
    const t01233 = tmp(6);
    eAdd(f(c), f(c + 1), t01);
    eAdd(f(c + 2), f(c + 3), t23);
    eAdd(t01, t23, t0123);
    eAdd(t0123, f(c + 1), t01123);
    eAdd(t0123, f(c + 3), t01233);
    const x0x0 = tmp(7);
    const x2x2 = tmp(8);
    eAdd(f(c), f(c), x0x0);
    eAdd(f(c + 2), f(c + 2), x2x2);
    eAdd(t01233, x0x0, f(c + 3));
    eAdd(t01123, x2x2, f(c + 1));
    eAdd(t01123, t01, f(c));
    eAdd(t01233, t23, f(c + 2));
  }
  for (let k: u32 = 0; k < 4; k++) {
    const s = tmp(2);
    const s2 = tmp(3);
    eAdd(f(k), f(k + 4), s);
    eAdd(f(k + 8), f(k + 12), s2);
    eAdd(s, s2, s);
    for (let c: u32 = 0; c < 16; c += 4) eAdd(f(c + k), s, f(c + k));
  }
  const sum = tmp(2);
  copy16(sum, v0);
  for (let j: u32 = 1; j < 16; j++) eAdd(sum, cur(j), sum);
  const full = per(0);
  const part = per(1);
  for (let i: u32 = 0; i < 16; i++) {
    const mi = tmp(3);
    eScale(i == 0 ? v0 : cur(i), load<u32>(input + ((<usize>(QA_DIAG + i)) << 2)), mi);
    eAdd(sum, mi, mi);
    const a = tmp(4);
    const b = tmp(5);
    eSub(nxt(i), f(i), a);
    eMul(full, a, a);
    eSub(nxt(i), mi, b);
    eMul(part, b, b);
    eAdd(a, b, val(i));
  }
  // 16–19
  const digitA = tmp(3);
  const digitSum = tmp(4);
  const t = tmp(5);
  eAdd(cur(17), cur(17), t);
  eAdd(cur(16), t, digitA);
  eAdd(cur(19), cur(19), t);
  eAdd(cur(18), t, t);
  eAdd(digitA, t, digitSum);
  eAdd(digitSum, cur(20), digitSum);
  const ell = per(21);
  eSub(digitSum, ell, val(16));
  eScale(nxt(20), toMont(4), t);
  eSub(val(16), t, val(16));
  for (let k: u32 = 0; k < 3; k++) {
    eSub(nxt(21 + k), cur(21 + k), val(17 + k));
    eMul(per(18 + k), digitA, t);
    eAdd(val(17 + k), t, val(17 + k));
  }
  // 20–24: booleanity
  const one = tmp(6);
  store<u32>(one, R_MOD_P);
  store<u32>(one, 0, 4);
  store<u32>(one, 0, 8);
  store<u32>(one, 0, 12);
  for (let k: u32 = 0; k < 5; k++) {
    eSub(cur(16 + k), one, t);
    eMul(cur(16 + k), t, val(20 + k));
  }
  // 25–36: first row
  copy16(val(25), cur(20));
  for (let r: u32 = 0; r < 11; r++) {
    const acc = tmp(7);
    v128.store(acc, i32x4.splat(0));
    for (let j: u32 = 0; j < 16; j++) {
      eScale(cur(j), load<u32>(input + ((<usize>(QA_EINV + 16 * r + j)) << 2)), t);
      eAdd(acc, t, acc);
    }
    if (r < 3) eSub(acc, cur(21 + r), val(26 + r));
    else if (r == 3) {
      copy16(val(29), acc);
      store<u32>(val(29), subMod(load<u32>(val(29)), load<u32>(input + ((<usize>QA_TAG) << 2))));
    } else copy16(val(26 + r), acc);
  }
  // 37–44: output row
  for (let j: u32 = 0; j < 8; j++) {
    copy16(val(37 + j), cur(j));
    store<u32>(val(37 + j), subMod(load<u32>(val(37 + j)), load<u32>(input + ((<usize>(QA_COMMIT + j)) << 2))));
  }
  // 45–48: last row
  eSub(digitSum, ell, val(45));
  copy16(val(46), cur(21));
  copy16(val(47), cur(22));
  eMul(per(20), digitA, t);
  eSub(cur(23), t, val(48));
  // Σ_groups (Σ_i α_i·C_i)·divisor inverse
  const q = tmp(8);
  v128.store(q, i32x4.splat(0));
  for (let g: u32 = 0; g < 5; g++) {
    const acc = tmp(9);
    v128.store(acc, i32x4.splat(0));
    for (let i = groupStart(g); i < groupStart(g + 1); i++) {
      eMul(input + ((<usize>(QA_ALPHA + 4 * i)) << 2), val(i), t);
      eAdd(acc, t, acc);
    }
    eMul(acc, input + ((<usize>(QA_DIV + 4 * g)) << 2), acc);
    eAdd(q, acc, q);
  }
  for (let k: usize = 0; k < 16; k += 4) store<u32>(out + k, montMul(load<u32>(q + k), 1));
}
