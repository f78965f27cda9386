/** The KoalaBear field (p = 2^31 − 2^24 + 1) in Montgomery form on 64-bit integers, scalar and in four SIMD lanes. */

/** The KoalaBear modulus. */
export const P: u32 = 0x7f000001;
/** −p^(−1) mod 2^32. */
export const P_NEG_INV: u32 = 0x7effffff;
/** 2^32 mod p (1 in Montgomery form). */
export const R_MOD_P: u32 = 0x01fffffe;
/** 2^64 mod p (converts into Montgomery form). */
export const R2_MOD_P: u32 = 0x17f7efe4;
/** A generator of F_p^* (field.ts GENERATOR). */
export const GENERATOR: u32 = 3;
/** log2 of the largest NTT the twiddle table serves (the prover's largest is 2^12). */
export const TW_LOG_MAX: u32 = 16;

/** Montgomery product a·b·2^(−32) mod p for a·b < p·2^32, canonical. */
export function montMul(a: u32, b: u32): u32 {
  const t: u64 = <u64>a * <u64>b;
  const m: u32 = <u32>t * P_NEG_INV;
  const u: u32 = <u32>((t + <u64>m * <u64>P) >> 32);
  return u >= P ? u - P : u;
}

export function toMont(a: u32): u32 {
  return montMul(a, R2_MOD_P);
}

export function addMod(a: u32, b: u32): u32 {
  const s = a + b;
  return s >= P ? s - P : s;
}

export function subMod(a: u32, b: u32): u32 {
  const d = a - b;
  return a < b ? d + P : d;
}

/** base^e in Montgomery form (base in Montgomery form). */
export function powMont(base: u32, e: u32): u32 {
  let acc = R_MOD_P;
  let b = base;
  while (e != 0) {
    if (e & 1) acc = montMul(acc, b);
    b = montMul(b, b);
    e >>= 1;
  }
  return acc;
}

/** A primitive 2^logN-th root of unity in Montgomery form (field.ts rootOfUnity: 3^((p − 1)/2^logN)). */
export function rootMont(logN: u32): u32 {
  return powMont(toMont(GENERATOR), (P - 1) >> logN);
}

/** p^(−1) mod 2^32 (for the lane-wise Montgomery product). */
export const P_INV: u32 = 0x81000001;

/** The high 32 bits of the four 64-bit lane products a_l·b_l. */
export function mulHigh4(a: v128, b: v128): v128 {
  const lo = i64x2.extmul_low_i32x4_u(a, b);
  const hi = i64x2.extmul_high_i32x4_u(a, b);
  return i8x16.shuffle(lo, hi, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}

/**
 * montMul in four lanes: with q = a·b·p^(−1) mod 2^32, the low halves of a·b and q·p agree, so
 * (a·b − q·p)/2^32 = hi(a·b) − hi(q·p) exactly, in (−p, p); adding p to the negative lanes makes it canonical.
 */
export function montMul4(a: v128, b: v128): v128 {
  const q = i32x4.mul(i32x4.mul(a, b), i32x4.splat(P_INV));
  const r = i32x4.sub(mulHigh4(a, b), mulHigh4(q, i32x4.splat(P)));
  return i32x4.add(r, v128.and(i32x4.shr_s(r, 31), i32x4.splat(P)));
}

/** Lane-wise a + b mod p for canonical lanes (the wrapped s − p is larger than s exactly when s < p). */
export function addMod4(a: v128, b: v128): v128 {
  const s = i32x4.add(a, b);
  return i32x4.min_u(s, i32x4.sub(s, i32x4.splat(P)));
}

/** Lane-wise a − b mod p for canonical lanes. */
export function subMod4(a: v128, b: v128): v128 {
  const d = i32x4.sub(a, b);
  return i32x4.min_u(d, i32x4.add(d, i32x4.splat(P)));
}
