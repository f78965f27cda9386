/** The compliance AIR's constraint composition on the quotient domain (air/compose.ts), four points per step. */
import { R2_MOD_P, R_MOD_P, addMod4, montMul, montMul4, subMod4 } from "./field";
import { LANES4 } from "./memory";
import { f, per } from "./quotient";

/** Trace columns, constraints' table rows and coefficient offsets of the compliance AIR (air/layout.ts). */
export const WIDTH_T: u32 = 24;
export const C_A0: u32 = 16;
export const C_A1: u32 = 17;
export const C_D0: u32 = 18;
export const C_D1: u32 = 19;
export const C_CARRY: u32 = 20;
export const C_K0: u32 = 21;
/** Table rows: FULL, PART, RC0..15, W0..W2, ELL, then the divisor inverses of the five groups. */
export const T_FULL: u32 = 0;
export const T_PART: u32 = 1;
export const T_RC: u32 = 2;
export const T_W0: u32 = 18;
export const T_ELL: u32 = 21;
export const T_DIV: u32 = 22;
/** Coefficient words: 16 diagonal entries, then extension coefficients (4 words each) of the groups, then constants. */
export const K_DIAG: u32 = 0;
export const K_TRANS: u32 = 16;
export const K_BOOL: u32 = K_TRANS + 4 * 20;
export const K_FIRST: u32 = K_BOOL + 4 * 5;
export const K_OUT: u32 = K_FIRST + 4 * 24;
export const K_LAST: u32 = K_OUT + 4 * 8;
export const K_FIRST_CONST: u32 = K_LAST + 4 * 4;
export const K_OUT_CONST: u32 = K_FIRST_CONST + 4;

/** Σ_i v_i·c_i for one extension coordinate: accumulates v·c into acc (c the Montgomery coefficient word at `c`). */
export function fma4(acc: v128, v: v128, c: usize): v128 {
  return addMod4(acc, montMul4(v, v128.load32_splat(c)));
}

/**
 * The compliance AIR's quotient Q on the coset shift·⟨ω_QN⟩ (air/compose.ts composeQuotient), four points per step.
 * `lde` holds the 24 trace LDE columns of N words each; `tab` 27 rows of QN words (Montgomery form except ELL, which
 * is converted here in place): FULL, PART, RC0..15, W0..W2, ELL, and the divisor inverses (transition, every row,
 * first, output, last); `co` the coefficients (Montgomery form, layout K_*). `gather` takes 24·(QN + QN/32) words;
 * the 4 coordinates of Q go to out + 4·QN·k, in standard form. Needs QN a multiple of 32 dividing N.
 */
export function composeCompliance(lde: usize, N: u32, QN: u32, tab: usize, co: usize, gather: usize, out: usize): void {
  const step: u32 = N / QN;
  const nextQ: u32 = QN >> 5;
  const L: u32 = QN + nextQ;
  const rowBytes: usize = (<usize>L) << 2;
  const tabBytes: usize = (<usize>QN) << 2;
  const r2 = i32x4.splat(R2_MOD_P);
  // the current-row points of each column in Montgomery form, the first nextQ repeated at the end (next rows)
  for (let j: u32 = 0; j < WIDTH_T; j++) {
    const src = lde + ((<usize>(j * N)) << 2);
    const dst = gather + <usize>j * rowBytes;
    if (step == 1) {
      for (let i: u32 = 0; i < QN; i += 4) {
        const o = (<usize>i) << 2;
        v128.store(dst + o, montMul4(v128.load(src + o), r2));
      }
    } else {
      for (let i: u32 = 0, li: u32 = 0; i < QN; i++, li += step) {
        store<u32>(dst + ((<usize>i) << 2), montMul(load<u32>(src + ((<usize>li) << 2)), R2_MOD_P));
      }
    }
    for (let i: u32 = 0; i < nextQ; i++) store<u32>(dst + ((<usize>(QN + i)) << 2), load<u32>(dst + ((<usize>i) << 2)));
  }
  const ellRow = tab + <usize>T_ELL * tabBytes;
  for (let i: u32 = 0; i < QN; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(ellRow + o, montMul4(v128.load(ellRow + o), r2));
  }
  const one = i32x4.splat(R_MOD_P);
  const nextBytes: usize = (<usize>nextQ) << 2;
  for (let i: u32 = 0; i < QN; i += 4) {
    const o = (<usize>i) << 2;
    const col = gather + o;
    const per = tab + o;
    // 0–15: Poseidon2 rounds. LANES4 ← cube(s + RC), then the external layer in place
    for (let j: u32 = 0; j < 16; j++) {
      const x = addMod4(v128.load(col + <usize>j * rowBytes), v128.load(per + <usize>(T_RC + j) * tabBytes));
      v128.store(LANES4 + ((<usize>j) << 4), montMul4(montMul4(x, x), x));
    }
    const v0 = v128.load(LANES4);
    for (let c: usize = 0; c < 16; c += 4) {
      const p = LANES4 + (c << 4);
      const x0 = v128.load(p);
      const x1 = v128.load(p, 16);
      const x2 = v128.load(p, 32);
      const x3 = v128.load(p, 48);
      const t01 = addMod4(x0, x1);
      const t23 = addMod4(x2, x3);
      const t0123 = addMod4(t01, t23);
      const t01123 = addMod4(t0123, x1);
      const t01233 = addMod4(t0123, x3);
      v128.store(p, addMod4(t01123, t01));
      v128.store(p, addMod4(t01123, addMod4(x2, x2)), 16);
      v128.store(p, addMod4(t01233, t23), 32);
      v128.store(p, addMod4(t01233, addMod4(x0, x0)), 48);
    }
    for (let k: usize = 0; k < 4; k++) {
      const p = LANES4 + (k << 4);
      const s = addMod4(addMod4(v128.load(p), v128.load(p, 64)), addMod4(v128.load(p, 128), v128.load(p, 192)));
      v128.store(p, addMod4(v128.load(p), s));
      v128.store(p, addMod4(v128.load(p, 64), s), 64);
      v128.store(p, addMod4(v128.load(p, 128), s), 128);
      v128.store(p, addMod4(v128.load(p, 192), s), 192);
    }
    let sum = v0;
    for (let j: u32 = 1; j < 16; j++) sum = addMod4(sum, v128.load(col + <usize>j * rowBytes));
    const fu = v128.load(per + <usize>T_FULL * tabBytes);
    const pa = v128.load(per + <usize>T_PART * tabBytes);
    let t0 = i32x4.splat(0);
    let t1 = i32x4.splat(0);
    let t2 = i32x4.splat(0);
    let t3 = i32x4.splat(0);
    for (let j: u32 = 0; j < 16; j++) {
      const cj = col + <usize>j * rowBytes;
      const n = v128.load(cj + nextBytes);
      const vj = j == 0 ? v0 : v128.load(cj);
      const mi = addMod4(sum, montMul4(vj, v128.load32_splat(co + ((<usize>(K_DIAG + j)) << 2))));
      const v = addMod4(montMul4(fu, subMod4(n, v128.load(LANES4 + ((<usize>j) << 4)))), montMul4(pa, subMod4(n, mi)));
      const c = co + ((<usize>(K_TRANS + 4 * j)) << 2);
      t0 = fma4(t0, v, c);
      t1 = fma4(t1, v, c + 4);
      t2 = fma4(t2, v, c + 8);
      t3 = fma4(t3, v, c + 12);
    }
    // 16: carry chain; 17–19: limb carriers
    const a0 = v128.load(col + <usize>C_A0 * rowBytes);
    const a1 = v128.load(col + <usize>C_A1 * rowBytes);
    const d0 = v128.load(col + <usize>C_D0 * rowBytes);
    const d1 = v128.load(col + <usize>C_D1 * rowBytes);
    const cc = v128.load(col + <usize>C_CARRY * rowBytes);
    const digitA = addMod4(a0, addMod4(a1, a1));
    const digitSum = addMod4(addMod4(digitA, addMod4(d0, addMod4(d1, d1))), cc);
    const ell = v128.load(per + <usize>T_ELL * tabBytes);
    const cn = v128.load(col + <usize>C_CARRY * rowBytes + nextBytes);
    const c2 = addMod4(cn, cn);
    const carryOut = subMod4(digitSum, ell);
    {
      const v = subMod4(carryOut, addMod4(c2, c2));
      const c = co + ((<usize>(K_TRANS + 4 * 16)) << 2);
      t0 = fma4(t0, v, c);
      t1 = fma4(t1, v, c + 4);
      t2 = fma4(t2, v, c + 8);
      t3 = fma4(t3, v, c + 12);
    }
    let w2a = i32x4.splat(0);
    for (let k: u32 = 0; k < 3; k++) {
      const kc = col + <usize>(C_K0 + k) * rowBytes;
      const wa = montMul4(v128.load(per + <usize>(T_W0 + k) * tabBytes), digitA);
      if (k == 2) w2a = wa;
      const v = addMod4(subMod4(v128.load(kc + nextBytes), v128.load(kc)), wa);
      const c = co + ((<usize>(K_TRANS + 4 * (17 + k))) << 2);
      t0 = fma4(t0, v, c);
      t1 = fma4(t1, v, c + 4);
      t2 = fma4(t2, v, c + 8);
      t3 = fma4(t3, v, c + 12);
    }
    // 20–24: booleanity
    let b0 = i32x4.splat(0);
    let b1 = i32x4.splat(0);
    let b2 = i32x4.splat(0);
    let b3 = i32x4.splat(0);
    for (let k: u32 = 0; k < 5; k++) {
      const x = v128.load(col + <usize>(C_A0 + k) * rowBytes);
      const v = montMul4(x, subMod4(x, one));
      const c = co + ((<usize>(K_BOOL + 4 * k)) << 2);
      b0 = fma4(b0, v, c);
      b1 = fma4(b1, v, c + 4);
      b2 = fma4(b2, v, c + 8);
      b3 = fma4(b3, v, c + 12);
    }
    // 25–36 (folded per column, plus a constant) and 37–44 (the first 8 columns, plus a constant)
    let f0 = v128.load32_splat(co + ((<usize>K_FIRST_CONST) << 2));
    let f1 = v128.load32_splat(co + ((<usize>(K_FIRST_CONST + 1)) << 2));
    let f2 = v128.load32_splat(co + ((<usize>(K_FIRST_CONST + 2)) << 2));
    let f3 = v128.load32_splat(co + ((<usize>(K_FIRST_CONST + 3)) << 2));
    let u0 = v128.load32_splat(co + ((<usize>K_OUT_CONST) << 2));
    let u1 = v128.load32_splat(co + ((<usize>(K_OUT_CONST + 1)) << 2));
    let u2 = v128.load32_splat(co + ((<usize>(K_OUT_CONST + 2)) << 2));
    let u3 = v128.load32_splat(co + ((<usize>(K_OUT_CONST + 3)) << 2));
    for (let j: u32 = 0; j < WIDTH_T; j++) {
      const v = v128.load(col + <usize>j * rowBytes);
      const c = co + ((<usize>(K_FIRST + 4 * j)) << 2);
      f0 = fma4(f0, v, c);
      f1 = fma4(f1, v, c + 4);
      f2 = fma4(f2, v, c + 8);
      f3 = fma4(f3, v, c + 12);
      if (j < 8) {
        const e = co + ((<usize>(K_OUT + 4 * j)) << 2);
        u0 = fma4(u0, v, e);
        u1 = fma4(u1, v, e + 4);
        u2 = fma4(u2, v, e + 8);
        u3 = fma4(u3, v, e + 12);
      }
    }
    // 45–48: last row
    let l0 = i32x4.splat(0);
    let l1 = i32x4.splat(0);
    let l2 = i32x4.splat(0);
    let l3 = i32x4.splat(0);
    for (let k: u32 = 0; k < 4; k++) {
      let v = carryOut;
      if (k == 1) v = v128.load(col + <usize>C_K0 * rowBytes);
      else if (k == 2) v = v128.load(col + <usize>(C_K0 + 1) * rowBytes);
      else if (k == 3) v = subMod4(v128.load(col + <usize>(C_K0 + 2) * rowBytes), w2a);
      const c = co + ((<usize>(K_LAST + 4 * k)) << 2);
      l0 = fma4(l0, v, c);
      l1 = fma4(l1, v, c + 4);
      l2 = fma4(l2, v, c + 8);
      l3 = fma4(l3, v, c + 12);
    }
    // Σ groups · divisor inverse, out of Montgomery form (a Montgomery product by 1)
    const dv = per + <usize>T_DIV * tabBytes;
    const dT = v128.load(dv);
    const dA = v128.load(dv + tabBytes);
    const dF = v128.load(dv + 2 * tabBytes);
    const dO = v128.load(dv + 3 * tabBytes);
    const dL = v128.load(dv + 4 * tabBytes);
    const unit = i32x4.splat(1);
    const q = out + o;
    v128.store(q, combine5(t0, b0, f0, u0, l0, dT, dA, dF, dO, dL, unit));
    v128.store(q + tabBytes, combine5(t1, b1, f1, u1, l1, dT, dA, dF, dO, dL, unit));
    v128.store(q + 2 * tabBytes, combine5(t2, b2, f2, u2, l2, dT, dA, dF, dO, dL, unit));
    v128.store(q + 3 * tabBytes, combine5(t3, b3, f3, u3, l3, dT, dA, dF, dO, dL, unit));
  }
}

export function combine5(
  t: v128,
  a: v128,
  f: v128,
  o: v128,
  l: v128,
  dT: v128,
  dA: v128,
  dF: v128,
  dO: v128,
  dL: v128,
  unit: v128,
): v128 {
  let q = montMul4(t, dT);
  q = addMod4(q, montMul4(a, dA));
  q = addMod4(q, montMul4(f, dF));
  q = addMod4(q, montMul4(o, dO));
  q = addMod4(q, montMul4(l, dL));
  return montMul4(q, unit);
}
