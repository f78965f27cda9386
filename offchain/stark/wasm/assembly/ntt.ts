/** The NTT family (poly.ts ntt, intt, cosetEvaluate), butterflies four at a time. */
import { P, R_MOD_P, addMod, addMod4, montMul, montMul4, rootMont, subMod, subMod4, toMont } from "./field";
import { TW, ensureTwiddles } from "./memory";
import { tmp } from "./quotient";

/** In-place forward NTT of 2^logN canonical elements at `ptr` (poly.ts ntt). */
export function ntt(ptr: usize, logN: u32): void {
  ensureTwiddles(logN);
  const n: u32 = 1 << logN;
  // bit-reversal permutation
  let j: u32 = 0;
  for (let i: u32 = 1; i < n; i++) {
    let bit = n >> 1;
    while (j & bit) {
      j ^= bit;
      bit >>= 1;
    }
    j ^= bit;
    if (i < j) {
      const pi = ptr + ((<usize>i) << 2);
      const pj = ptr + ((<usize>j) << 2);
      const t = load<u32>(pi);
      store<u32>(pi, load<u32>(pj));
      store<u32>(pj, t);
    }
  }
  // stage 0: twiddle 1
  if (n >= 2) {
    for (let i: u32 = 0; i < n; i += 2) {
      const pa = ptr + ((<usize>i) << 2);
      const u = load<u32>(pa);
      const v = load<u32>(pa, 4);
      store<u32>(pa, addMod(u, v));
      store<u32>(pa, subMod(u, v), 4);
    }
  }
  // stage 1 (half 2) scalar, then four butterflies per step in i32x4 lanes
  for (let half: u32 = 2; half < n; half <<= 1) {
    const tw = TW + ((<usize>half) << 2);
    const span = (<usize>half) << 2;
    if (half >= 4) {
      for (let k: u32 = 0; k < n; k += half << 1) {
        const base = ptr + ((<usize>k) << 2);
        for (let jj: u32 = 0; jj < half; jj += 4) {
          const off = (<usize>jj) << 2;
          const pa = base + off;
          const u = v128.load(pa);
          const v = montMul4(v128.load(pa + span), v128.load(tw + off));
          v128.store(pa, addMod4(u, v));
          v128.store(pa + span, subMod4(u, v));
        }
      }
      continue;
    }
    for (let k: u32 = 0; k < n; k += half << 1) {
      const base = ptr + ((<usize>k) << 2);
      for (let jj: u32 = 0; jj < half; jj++) {
        const off = (<usize>jj) << 2;
        const pa = base + off;
        const u = load<u32>(pa);
        const v = montMul(load<u32>(pa + span), load<u32>(tw + off));
        store<u32>(pa, addMod(u, v));
        store<u32>(pa + span, subMod(u, v));
      }
    }
  }
}

/** In-place inverse NTT (poly.ts intt): evaluations at ω^i → coefficients. */
export function intt(ptr: usize, logN: u32): void {
  ntt(ptr, logN);
  const n: u32 = 1 << logN;
  for (let i: u32 = 1, j: u32 = n - 1; i < j; i++, j--) {
    const pi = ptr + ((<usize>i) << 2);
    const pj = ptr + ((<usize>j) << 2);
    const t = load<u32>(pi);
    store<u32>(pi, load<u32>(pj));
    store<u32>(pj, t);
  }
  // n^(−1) = p − (p − 1)/n since n divides p − 1
  const nInv = toMont(P - ((P - 1) >> logN));
  for (let i: u32 = 0; i < n; i++) {
    const pi = ptr + ((<usize>i) << 2);
    store<u32>(pi, montMul(load<u32>(pi), nInv));
  }
}

/**
 * Evaluates `count` polynomials on the coset shift·⟨ω_n⟩, n = 2^logN (poly.ts cosetEvaluate, same sub-coset scheme):
 * polynomial c has `len` coefficients at coeffs + 4·len·c and its n evaluations go to out + 4·n·c. With d the power of
 * two ≥ len, a polynomial is evaluated as n/d NTTs of size d on the sub-cosets shift·ω_n^k·⟨ω_d⟩ (one NTT of size n
 * when d ≥ n/2). `scratch` takes n + d words: the scale table (shift·ω_n^k)^i, computed once for all polynomials.
 */
export function cosetEvaluate(
  coeffs: usize,
  len: u32,
  count: u32,
  shift: u32,
  logN: u32,
  out: usize,
  scratch: usize,
): void {
  const n: u32 = 1 << logN;
  let logD: u32 = 0;
  while ((<u32>1) << logD < len) logD++;
  if (logD + 1 >= logN) logD = logN;
  const d: u32 = 1 << logD;
  const blocks: u32 = n >> logD;
  ensureTwiddles(logN);
  // scale[k·d + i] = (shift·ω_n^k)^i in Montgomery form
  const scale = scratch;
  const tmp = scratch + ((<usize>n) << 2);
  const wn = rootMont(logN);
  let base = toMont(shift);
  for (let k: u32 = 0; k < blocks; k++) {
    let s = R_MOD_P;
    const row = scale + ((<usize>(k * d)) << 2);
    for (let i: u32 = 0; i < len; i++) {
      store<u32>(row + ((<usize>i) << 2), s);
      s = montMul(s, base);
    }
    base = montMul(base, wn);
  }
  for (let c: u32 = 0; c < count; c++) {
    const src = coeffs + ((<usize>(c * len)) << 2);
    const dst = out + ((<usize>(c * n)) << 2);
    for (let k: u32 = 0; k < blocks; k++) {
      const row = scale + ((<usize>(k * d)) << 2);
      let i: u32 = 0;
      for (; i + 4 <= len; i += 4) {
        const off = (<usize>i) << 2;
        v128.store(tmp + off, montMul4(v128.load(src + off), v128.load(row + off)));
      }
      for (; i < len; i++) {
        const off = (<usize>i) << 2;
        store<u32>(tmp + off, montMul(load<u32>(src + off), load<u32>(row + off)));
      }
      if (len < d) memory.fill(tmp + ((<usize>len) << 2), 0, (<usize>(d - len)) << 2);
      ntt(tmp, logD);
      if (blocks == 1) {
        memory.copy(dst, tmp, (<usize>n) << 2);
      } else {
        for (let j: u32 = 0, p: u32 = k; j < d; j++, p += blocks) {
          store<u32>(dst + ((<usize>p) << 2), load<u32>(tmp + ((<usize>j) << 2)));
        }
      }
    }
  }
}
