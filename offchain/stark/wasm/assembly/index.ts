/**
 * WebAssembly kernels of the STARK prover, in AssemblyScript (compiled at install time by scripts/build-wasm.js into
 * dist/wasm/stark-kernels.wasm). They mirror the TypeScript reference in poly.ts, merkle.ts and transcript.ts and give
 * identical outputs: the NTT family over KoalaBear (p = 2^31 − 2^24 + 1) with Montgomery multiplication on 64-bit
 * integers, BLAKE3 keyed hashing of Merkle leaves and nodes plus the proof-of-work search with native rotates, and the
 * compliance AIR's constraint composition (air/compose.ts), four points per step in SIMD lanes.
 *
 * No runtime, no allocation: every kernel works on raw pointers into linear memory, which the loader
 * (../index.ts) lays out. The fixed area at `__heap_base` holds the twiddle table and BLAKE3 scratch; `arenaStart()`
 * is where the loader's per-call buffers begin. Field elements in and out are canonical (< p), in standard form;
 * only the twiddle and scale tables (and the composition's tables and coefficients) are kept in Montgomery form
 * (x·2^32 mod p).
 */

// ---------------------------------------------------------------- field

/** The KoalaBear modulus. */
const P: u32 = 0x7f000001;
/** −p^(−1) mod 2^32. */
const P_NEG_INV: u32 = 0x7effffff;
/** 2^32 mod p (1 in Montgomery form). */
const R_MOD_P: u32 = 0x01fffffe;
/** 2^64 mod p (converts into Montgomery form). */
const R2_MOD_P: u32 = 0x17f7efe4;
/** A generator of F_p^* (field.ts GENERATOR). */
const GENERATOR: u32 = 3;
/** log2 of the largest NTT the twiddle table serves (the prover's largest is 2^12). */
const TW_LOG_MAX: u32 = 16;

/** Montgomery product a·b·2^(−32) mod p for a·b < p·2^32, canonical. */
function montMul(a: u32, b: u32): u32 {
  const t: u64 = <u64>a * <u64>b;
  const m: u32 = <u32>t * P_NEG_INV;
  const u: u32 = <u32>((t + <u64>m * <u64>P) >> 32);
  return u >= P ? u - P : u;
}

function toMont(a: u32): u32 {
  return montMul(a, R2_MOD_P);
}

function addMod(a: u32, b: u32): u32 {
  const s = a + b;
  return s >= P ? s - P : s;
}

function subMod(a: u32, b: u32): u32 {
  const d = a - b;
  return a < b ? d + P : d;
}

/** base^e in Montgomery form (base in Montgomery form). */
function powMont(base: u32, e: u32): u32 {
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
function rootMont(logN: u32): u32 {
  return powMont(toMont(GENERATOR), (P - 1) >> logN);
}

/** p^(−1) mod 2^32 (for the lane-wise Montgomery product). */
const P_INV: u32 = 0x81000001;

/** The high 32 bits of the four 64-bit lane products a_l·b_l. */
function mulHigh4(a: v128, b: v128): v128 {
  const lo = i64x2.extmul_low_i32x4_u(a, b);
  const hi = i64x2.extmul_high_i32x4_u(a, b);
  return i8x16.shuffle(lo, hi, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}

/**
 * montMul in four lanes: with q = a·b·p^(−1) mod 2^32, the low halves of a·b and q·p agree, so
 * (a·b − q·p)/2^32 = hi(a·b) − hi(q·p) exactly, in (−p, p); adding p to the negative lanes makes it canonical.
 */
function montMul4(a: v128, b: v128): v128 {
  const q = i32x4.mul(i32x4.mul(a, b), i32x4.splat(P_INV));
  const r = i32x4.sub(mulHigh4(a, b), mulHigh4(q, i32x4.splat(P)));
  return i32x4.add(r, v128.and(i32x4.shr_s(r, 31), i32x4.splat(P)));
}

/** Lane-wise a + b mod p for canonical lanes (the wrapped s − p is larger than s exactly when s < p). */
function addMod4(a: v128, b: v128): v128 {
  const s = i32x4.add(a, b);
  return i32x4.min_u(s, i32x4.sub(s, i32x4.splat(P)));
}

/** Lane-wise a − b mod p for canonical lanes. */
function subMod4(a: v128, b: v128): v128 {
  const d = i32x4.sub(a, b);
  return i32x4.min_u(d, i32x4.add(d, i32x4.splat(P)));
}

// ---------------------------------------------------------------- memory layout

/** BLAKE3 chaining value (8 words), padded last block (16 words) and the IV (8 words, written at start). */
const CV: usize = (__heap_base + 63) & ~(<usize>63);
const BLOCK: usize = CV + 32;
const IV: usize = BLOCK + 64;
/** Four-lane BLAKE3 state: message block (16 vectors), chaining values and key (8 vectors each). */
const M4: usize = IV + 32;
const CV4: usize = M4 + 256;
const KEY4: usize = CV4 + 128;
/** The composition kernel's 16 Poseidon2 lanes of four points (16 vectors). */
const LANES4: usize = KEY4 + 128;
/** Five extension elements of scratch for the verifier's kernels (eAcc, eTmp, eTmp2..eTmp4). */
const ESCR: usize = LANES4 + 256;
const eAcc: usize = ESCR;
const eTmp: usize = ESCR + 16;
const eTmp2: usize = ESCR + 32;
const eTmp3: usize = ESCR + 48;
const eTmp4: usize = ESCR + 64;
/** The twiddle table: 2^TW_LOG_MAX words. */
const TW: usize = ESCR + 128;
const ARENA: usize = (TW + ((<usize>4) << TW_LOG_MAX) + 63) & ~(<usize>63);
/** log2 of the largest NTT whose stages the twiddle table holds so far. */
let twLog: u32 = 0;

/** Where the loader's buffers may start (everything below is the kernels' own). */
export function arenaStart(): usize {
  return ARENA;
}

/** log2 of the largest NTT the kernels accept. */
export function maxLogN(): u32 {
  return TW_LOG_MAX;
}

/** Fills the twiddle table up to size 2^logN: stage half h holds ω_(2h)^j (Montgomery form) at index h + j. */
function ensureTwiddles(logN: u32): void {
  if (logN <= twLog) return;
  for (let s: u32 = twLog; s < logN; s++) {
    const half: u32 = 1 << s;
    const w = rootMont(s + 1);
    let acc = R_MOD_P;
    const row = TW + ((<usize>half) << 2);
    for (let j: u32 = 0; j < half; j++) {
      store<u32>(row + ((<usize>j) << 2), acc);
      acc = montMul(acc, w);
    }
  }
  twLog = logN;
}

// ---------------------------------------------------------------- NTT

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

// ---------------------------------------------------------------- BLAKE3

const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const ROOT: u32 = 8;
const KEYED_HASH: u32 = 16;
/** A Merkle node: one keyed block, 64 bytes, the whole message. */
const NODE_FLAGS: u32 = KEYED_HASH | CHUNK_START | CHUNK_END | ROOT;
const IV0: u32 = 0x6a09e667;
const IV1: u32 = 0xbb67ae85;
const IV2: u32 = 0x3c6ef372;
const IV3: u32 = 0xa54ff53a;
const IV4: u32 = 0x510e527f;
const IV5: u32 = 0x9b05688c;
const IV6: u32 = 0x1f83d9ab;
const IV7: u32 = 0x5be0cd19;
store<u32>(IV, IV0, 0);
store<u32>(IV, IV1, 4);
store<u32>(IV, IV2, 8);
store<u32>(IV, IV3, 12);
store<u32>(IV, IV4, 16);
store<u32>(IV, IV5, 20);
store<u32>(IV, IV6, 24);
store<u32>(IV, IV7, 28);

/**
 * One BLAKE3 compression of the 16 words at `m` with the 8-word chaining value at `cv`; the first 8 output words go
 * to `out` (which may be `cv`). Fixed-size copies are plain loads and stores: V8 runs small bulk-memory operations
 * as calls.
 */
function compress(cv: usize, m: usize, blockLen: u32, flags: u32, out: usize): void {
  let v0 = load<u32>(cv, 0);
  let v1 = load<u32>(cv, 4);
  let v2 = load<u32>(cv, 8);
  let v3 = load<u32>(cv, 12);
  let v4 = load<u32>(cv, 16);
  let v5 = load<u32>(cv, 20);
  let v6 = load<u32>(cv, 24);
  let v7 = load<u32>(cv, 28);
  let v8 = IV0;
  let v9 = IV1;
  let v10 = IV2;
  let v11 = IV3;
  let v12: u32 = 0;
  let v13: u32 = 0;
  let v14 = blockLen;
  let v15 = flags;
  let m0 = load<u32>(m, 0);
  let m1 = load<u32>(m, 4);
  let m2 = load<u32>(m, 8);
  let m3 = load<u32>(m, 12);
  let m4 = load<u32>(m, 16);
  let m5 = load<u32>(m, 20);
  let m6 = load<u32>(m, 24);
  let m7 = load<u32>(m, 28);
  let m8 = load<u32>(m, 32);
  let m9 = load<u32>(m, 36);
  let m10 = load<u32>(m, 40);
  let m11 = load<u32>(m, 44);
  let m12 = load<u32>(m, 48);
  let m13 = load<u32>(m, 52);
  let m14 = load<u32>(m, 56);
  let m15 = load<u32>(m, 60);
  for (let r = 0; r < 7; r++) {
    // columns
    v0 = v0 + v4 + m0;
    v12 = rotr<u32>(v12 ^ v0, 16);
    v8 = v8 + v12;
    v4 = rotr<u32>(v4 ^ v8, 12);
    v0 = v0 + v4 + m1;
    v12 = rotr<u32>(v12 ^ v0, 8);
    v8 = v8 + v12;
    v4 = rotr<u32>(v4 ^ v8, 7);
    v1 = v1 + v5 + m2;
    v13 = rotr<u32>(v13 ^ v1, 16);
    v9 = v9 + v13;
    v5 = rotr<u32>(v5 ^ v9, 12);
    v1 = v1 + v5 + m3;
    v13 = rotr<u32>(v13 ^ v1, 8);
    v9 = v9 + v13;
    v5 = rotr<u32>(v5 ^ v9, 7);
    v2 = v2 + v6 + m4;
    v14 = rotr<u32>(v14 ^ v2, 16);
    v10 = v10 + v14;
    v6 = rotr<u32>(v6 ^ v10, 12);
    v2 = v2 + v6 + m5;
    v14 = rotr<u32>(v14 ^ v2, 8);
    v10 = v10 + v14;
    v6 = rotr<u32>(v6 ^ v10, 7);
    v3 = v3 + v7 + m6;
    v15 = rotr<u32>(v15 ^ v3, 16);
    v11 = v11 + v15;
    v7 = rotr<u32>(v7 ^ v11, 12);
    v3 = v3 + v7 + m7;
    v15 = rotr<u32>(v15 ^ v3, 8);
    v11 = v11 + v15;
    v7 = rotr<u32>(v7 ^ v11, 7);
    // diagonals
    v0 = v0 + v5 + m8;
    v15 = rotr<u32>(v15 ^ v0, 16);
    v10 = v10 + v15;
    v5 = rotr<u32>(v5 ^ v10, 12);
    v0 = v0 + v5 + m9;
    v15 = rotr<u32>(v15 ^ v0, 8);
    v10 = v10 + v15;
    v5 = rotr<u32>(v5 ^ v10, 7);
    v1 = v1 + v6 + m10;
    v12 = rotr<u32>(v12 ^ v1, 16);
    v11 = v11 + v12;
    v6 = rotr<u32>(v6 ^ v11, 12);
    v1 = v1 + v6 + m11;
    v12 = rotr<u32>(v12 ^ v1, 8);
    v11 = v11 + v12;
    v6 = rotr<u32>(v6 ^ v11, 7);
    v2 = v2 + v7 + m12;
    v13 = rotr<u32>(v13 ^ v2, 16);
    v8 = v8 + v13;
    v7 = rotr<u32>(v7 ^ v8, 12);
    v2 = v2 + v7 + m13;
    v13 = rotr<u32>(v13 ^ v2, 8);
    v8 = v8 + v13;
    v7 = rotr<u32>(v7 ^ v8, 7);
    v3 = v3 + v4 + m14;
    v14 = rotr<u32>(v14 ^ v3, 16);
    v9 = v9 + v14;
    v4 = rotr<u32>(v4 ^ v9, 12);
    v3 = v3 + v4 + m15;
    v14 = rotr<u32>(v14 ^ v3, 8);
    v9 = v9 + v14;
    v4 = rotr<u32>(v4 ^ v9, 7);
    // permute the message words for the next round
    const t0 = m2;
    const t1 = m6;
    const t2 = m3;
    const t3 = m10;
    const t4 = m7;
    const t5 = m0;
    const t6 = m4;
    const t7 = m13;
    const t8 = m1;
    const t9 = m11;
    const t10 = m12;
    const t11 = m5;
    const t12 = m9;
    const t13 = m14;
    const t14 = m15;
    const t15 = m8;
    m0 = t0;
    m1 = t1;
    m2 = t2;
    m3 = t3;
    m4 = t4;
    m5 = t5;
    m6 = t6;
    m7 = t7;
    m8 = t8;
    m9 = t9;
    m10 = t10;
    m11 = t11;
    m12 = t12;
    m13 = t13;
    m14 = t14;
    m15 = t15;
  }
  store<u32>(out, v0 ^ v8, 0);
  store<u32>(out, v1 ^ v9, 4);
  store<u32>(out, v2 ^ v10, 8);
  store<u32>(out, v3 ^ v11, 12);
  store<u32>(out, v4 ^ v12, 16);
  store<u32>(out, v5 ^ v13, 20);
  store<u32>(out, v6 ^ v14, 24);
  store<u32>(out, v7 ^ v15, 28);
}

/**
 * BLAKE3 of the little-endian bytes of `count` ≤ 256 words at `ptr` (blake3.ts blake3Words), keyed with the 8 words
 * at `key` when `keyed` is set (else `key` must hold the IV), 8 words written at `out`.
 */
function hashWords(ptr: usize, count: u32, out: usize, key: usize, keyed: u32): void {
  let cv = key;
  let pos = ptr;
  let remaining = count;
  let flags = keyed | CHUNK_START;
  while (remaining > 16) {
    compress(cv, pos, 64, flags, CV);
    cv = CV;
    flags = keyed;
    pos += 64;
    remaining -= 16;
  }
  flags |= CHUNK_END | ROOT;
  if (remaining == 16) {
    compress(cv, pos, 64, flags, out);
  } else {
    for (let i: u32 = 0; i < 16; i++) {
      store<u32>(BLOCK + ((<usize>i) << 2), i < remaining ? load<u32>(pos + ((<usize>i) << 2)) : 0);
    }
    compress(cv, BLOCK, remaining << 2, flags, out);
  }
}

// ---------------------------------------------------------------- BLAKE3, four messages at once (SIMD)

/** Lane-wise rotations of four 32-bit words. */
function rot16(v: v128): v128 {
  return i8x16.shuffle(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}

function rot8(v: v128): v128 {
  return i8x16.shuffle(v, v, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
}

function rotr4(v: v128, n: i32): v128 {
  return v128.or(i32x4.shr_u(v, n), i32x4.shl(v, 32 - n));
}

/**
 * Transposes one block of four messages into M4 (16 vectors, lane l = message l): word i of message l at
 * p_l + 4i for i < words, zero beyond (the padded last block).
 */
function loadBlock4(p0: usize, p1: usize, p2: usize, p3: usize, words: u32): void {
  for (let i: u32 = 0; i < 16; i++) {
    let v = i32x4.splat(0);
    if (i < words) {
      const o = (<usize>i) << 2;
      v = i32x4.replace_lane(v, 0, load<u32>(p0 + o));
      v = i32x4.replace_lane(v, 1, load<u32>(p1 + o));
      v = i32x4.replace_lane(v, 2, load<u32>(p2 + o));
      v = i32x4.replace_lane(v, 3, load<u32>(p3 + o));
    }
    v128.store(M4 + ((<usize>i) << 4), v);
  }
}

/** Four BLAKE3 compressions in the lanes: chaining values (8 vectors) at `cv`, message in M4, output to `out`. */
function compress4(cv: usize, blockLen: u32, flags: u32, out: usize): void {
  let v0 = v128.load(cv, 0);
  let v1 = v128.load(cv, 16);
  let v2 = v128.load(cv, 32);
  let v3 = v128.load(cv, 48);
  let v4 = v128.load(cv, 64);
  let v5 = v128.load(cv, 80);
  let v6 = v128.load(cv, 96);
  let v7 = v128.load(cv, 112);
  let v8 = i32x4.splat(IV0);
  let v9 = i32x4.splat(IV1);
  let v10 = i32x4.splat(IV2);
  let v11 = i32x4.splat(IV3);
  let v12 = i32x4.splat(0);
  let v13 = i32x4.splat(0);
  let v14 = i32x4.splat(blockLen);
  let v15 = i32x4.splat(flags);
  let m0 = v128.load(M4, 0);
  let m1 = v128.load(M4, 16);
  let m2 = v128.load(M4, 32);
  let m3 = v128.load(M4, 48);
  let m4 = v128.load(M4, 64);
  let m5 = v128.load(M4, 80);
  let m6 = v128.load(M4, 96);
  let m7 = v128.load(M4, 112);
  let m8 = v128.load(M4, 128);
  let m9 = v128.load(M4, 144);
  let m10 = v128.load(M4, 160);
  let m11 = v128.load(M4, 176);
  let m12 = v128.load(M4, 192);
  let m13 = v128.load(M4, 208);
  let m14 = v128.load(M4, 224);
  let m15 = v128.load(M4, 240);
  for (let r = 0; r < 7; r++) {
    // columns
    v0 = i32x4.add(i32x4.add(v0, v4), m0);
    v12 = rot16(v128.xor(v12, v0));
    v8 = i32x4.add(v8, v12);
    v4 = rotr4(v128.xor(v4, v8), 12);
    v0 = i32x4.add(i32x4.add(v0, v4), m1);
    v12 = rot8(v128.xor(v12, v0));
    v8 = i32x4.add(v8, v12);
    v4 = rotr4(v128.xor(v4, v8), 7);
    v1 = i32x4.add(i32x4.add(v1, v5), m2);
    v13 = rot16(v128.xor(v13, v1));
    v9 = i32x4.add(v9, v13);
    v5 = rotr4(v128.xor(v5, v9), 12);
    v1 = i32x4.add(i32x4.add(v1, v5), m3);
    v13 = rot8(v128.xor(v13, v1));
    v9 = i32x4.add(v9, v13);
    v5 = rotr4(v128.xor(v5, v9), 7);
    v2 = i32x4.add(i32x4.add(v2, v6), m4);
    v14 = rot16(v128.xor(v14, v2));
    v10 = i32x4.add(v10, v14);
    v6 = rotr4(v128.xor(v6, v10), 12);
    v2 = i32x4.add(i32x4.add(v2, v6), m5);
    v14 = rot8(v128.xor(v14, v2));
    v10 = i32x4.add(v10, v14);
    v6 = rotr4(v128.xor(v6, v10), 7);
    v3 = i32x4.add(i32x4.add(v3, v7), m6);
    v15 = rot16(v128.xor(v15, v3));
    v11 = i32x4.add(v11, v15);
    v7 = rotr4(v128.xor(v7, v11), 12);
    v3 = i32x4.add(i32x4.add(v3, v7), m7);
    v15 = rot8(v128.xor(v15, v3));
    v11 = i32x4.add(v11, v15);
    v7 = rotr4(v128.xor(v7, v11), 7);
    // diagonals
    v0 = i32x4.add(i32x4.add(v0, v5), m8);
    v15 = rot16(v128.xor(v15, v0));
    v10 = i32x4.add(v10, v15);
    v5 = rotr4(v128.xor(v5, v10), 12);
    v0 = i32x4.add(i32x4.add(v0, v5), m9);
    v15 = rot8(v128.xor(v15, v0));
    v10 = i32x4.add(v10, v15);
    v5 = rotr4(v128.xor(v5, v10), 7);
    v1 = i32x4.add(i32x4.add(v1, v6), m10);
    v12 = rot16(v128.xor(v12, v1));
    v11 = i32x4.add(v11, v12);
    v6 = rotr4(v128.xor(v6, v11), 12);
    v1 = i32x4.add(i32x4.add(v1, v6), m11);
    v12 = rot8(v128.xor(v12, v1));
    v11 = i32x4.add(v11, v12);
    v6 = rotr4(v128.xor(v6, v11), 7);
    v2 = i32x4.add(i32x4.add(v2, v7), m12);
    v13 = rot16(v128.xor(v13, v2));
    v8 = i32x4.add(v8, v13);
    v7 = rotr4(v128.xor(v7, v8), 12);
    v2 = i32x4.add(i32x4.add(v2, v7), m13);
    v13 = rot8(v128.xor(v13, v2));
    v8 = i32x4.add(v8, v13);
    v7 = rotr4(v128.xor(v7, v8), 7);
    v3 = i32x4.add(i32x4.add(v3, v4), m14);
    v14 = rot16(v128.xor(v14, v3));
    v9 = i32x4.add(v9, v14);
    v4 = rotr4(v128.xor(v4, v9), 12);
    v3 = i32x4.add(i32x4.add(v3, v4), m15);
    v14 = rot8(v128.xor(v14, v3));
    v9 = i32x4.add(v9, v14);
    v4 = rotr4(v128.xor(v4, v9), 7);
    // permute the message words for the next round
    const t0 = m2;
    const t1 = m6;
    const t2 = m3;
    const t3 = m10;
    const t4 = m7;
    const t5 = m0;
    const t6 = m4;
    const t7 = m13;
    const t8 = m1;
    const t9 = m11;
    const t10 = m12;
    const t11 = m5;
    const t12 = m9;
    const t13 = m14;
    const t14 = m15;
    const t15 = m8;
    m0 = t0;
    m1 = t1;
    m2 = t2;
    m3 = t3;
    m4 = t4;
    m5 = t5;
    m6 = t6;
    m7 = t7;
    m8 = t8;
    m9 = t9;
    m10 = t10;
    m11 = t11;
    m12 = t12;
    m13 = t13;
    m14 = t14;
    m15 = t15;
  }
  v128.store(out, v128.xor(v0, v8), 0);
  v128.store(out, v128.xor(v1, v9), 16);
  v128.store(out, v128.xor(v2, v10), 32);
  v128.store(out, v128.xor(v3, v11), 48);
  v128.store(out, v128.xor(v4, v12), 64);
  v128.store(out, v128.xor(v5, v13), 80);
  v128.store(out, v128.xor(v6, v14), 96);
  v128.store(out, v128.xor(v7, v15), 112);
}

/** Writes lane l of the 8 vectors at CV4 as the 8-word digest at out_l. */
function storeDigests4(o0: usize, o1: usize, o2: usize, o3: usize): void {
  for (let w: usize = 0; w < 8; w++) {
    const v = v128.load(CV4 + (w << 4));
    store<u32>(o0 + (w << 2), i32x4.extract_lane(v, 0));
    store<u32>(o1 + (w << 2), i32x4.extract_lane(v, 1));
    store<u32>(o2 + (w << 2), i32x4.extract_lane(v, 2));
    store<u32>(o3 + (w << 2), i32x4.extract_lane(v, 3));
  }
}

/** Splats the 8-word key at `key` into KEY4 (lane-wise chaining value). */
function splatKey4(key: usize): void {
  for (let w: usize = 0; w < 8; w++) v128.store(KEY4 + (w << 4), i32x4.splat(load<u32>(key + (w << 2))));
}

/** hashWords of four messages of `count` words (p_l) at once, keyed with KEY4; digests left in CV4. */
function hashWords4(p0: usize, p1: usize, p2: usize, p3: usize, count: u32, keyed: u32): void {
  let cv = KEY4;
  let off: usize = 0;
  let remaining = count;
  let flags = keyed | CHUNK_START;
  while (remaining > 16) {
    loadBlock4(p0 + off, p1 + off, p2 + off, p3 + off, 16);
    compress4(cv, 64, flags, CV4);
    cv = CV4;
    flags = keyed;
    off += 64;
    remaining -= 16;
  }
  loadBlock4(p0 + off, p1 + off, p2 + off, p3 + off, remaining);
  compress4(cv, remaining << 2, flags | CHUNK_END | ROOT, CV4);
}

/**
 * Builds a heap-indexed Merkle tree (merkle.ts buildTree): `leafCount` leaves of `leafWords` ≤ 256 words each, row
 * after row at `leaves`, hashed with the leaf key; then every internal node k (from leafCount − 1 down to 1) from
 * nodes 2k and 2k + 1 with the node key. `nodes` receives 2·leafCount digests of 8 words (node 0 unused).
 */
export function merkleTree(
  leaves: usize,
  leafCount: u32,
  leafWords: u32,
  nodes: usize,
  leafKey: usize,
  nodeKey: usize,
): void {
  const rowBytes = (<usize>leafWords) << 2;
  memory.fill(nodes, 0, 32); // node 0 is unused (zero, as in merkle.ts)
  splatKey4(leafKey);
  let i: u32 = 0;
  for (; i + 4 <= leafCount; i += 4) {
    const p = leaves + <usize>i * rowBytes;
    const o = nodes + ((<usize>(leafCount + i)) << 5);
    hashWords4(p, p + rowBytes, p + 2 * rowBytes, p + 3 * rowBytes, leafWords, KEYED_HASH);
    storeDigests4(o, o + 32, o + 64, o + 96);
  }
  for (; i < leafCount; i++) {
    hashWords(leaves + <usize>i * rowBytes, leafWords, nodes + ((<usize>(leafCount + i)) << 5), leafKey, KEYED_HASH);
  }
  // level by level (node k from nodes 2k and 2k + 1, one block each), four nodes at a time
  splatKey4(nodeKey);
  for (let lo: u32 = leafCount >> 1; lo >= 1; lo >>= 1) {
    let k = lo;
    for (; k + 4 <= 2 * lo; k += 4) {
      const m = nodes + ((<usize>(2 * k)) << 5);
      const o = nodes + ((<usize>k) << 5);
      loadBlock4(m, m + 64, m + 128, m + 192, 16);
      compress4(KEY4, 64, NODE_FLAGS, CV4);
      storeDigests4(o, o + 32, o + 64, o + 96);
    }
    for (; k < 2 * lo; k++)
      compress(nodeKey, nodes + ((<usize>(2 * k)) << 5), 64, NODE_FLAGS, nodes + ((<usize>k) << 5));
  }
}

/**
 * Gathers salted leaves from columns: leaf i is the `saltWords` words at salts + 4·saltWords·i followed by word i of
 * each of the `width` columns (column j at cols + 4·leafCount·j), written row after row at `leaves`.
 */
export function gatherRows(salts: usize, saltWords: u32, cols: usize, width: u32, leafCount: u32, leaves: usize): void {
  const leafWords = saltWords + width;
  for (let i: u32 = 0; i < leafCount; i++) {
    const row = leaves + ((<usize>(i * leafWords)) << 2);
    const salt = salts + ((<usize>(i * saltWords)) << 2);
    for (let s: u32 = 0; s < saltWords; s++) store<u32>(row + ((<usize>s) << 2), load<u32>(salt + ((<usize>s) << 2)));
    let src = cols + ((<usize>i) << 2);
    const dst = row + ((<usize>saltWords) << 2);
    for (let j: u32 = 0; j < width; j++) {
      store<u32>(dst + ((<usize>j) << 2), load<u32>(src));
      src += (<usize>leafCount) << 2;
    }
  }
}

/**
 * The smallest proof-of-work nonce (transcript.ts grind): the first nonce ≥ 0 whose plain BLAKE3 of
 * state[8] ‖ nonce_lo ‖ nonce_hi ‖ tag (11 words, `msg` holding state and tag in place) has `bits` leading zero bits.
 */
export function grind(msg: usize, bits: u32): u64 {
  if (bits == 0) return 0;
  const shift: u32 = 32 - bits;
  // four nonces per compression: words 8 and 9 of the message differ per lane
  splatKey4(IV);
  loadBlock4(msg, msg, msg, msg, 11);
  for (let nonce: u64 = 0; ; nonce += 4) {
    let lo = i32x4.splat(0);
    let hi = i32x4.splat(0);
    lo = i32x4.replace_lane(lo, 0, <u32>nonce);
    lo = i32x4.replace_lane(lo, 1, <u32>(nonce + 1));
    lo = i32x4.replace_lane(lo, 2, <u32>(nonce + 2));
    lo = i32x4.replace_lane(lo, 3, <u32>(nonce + 3));
    hi = i32x4.replace_lane(hi, 0, <u32>(nonce >> 32));
    hi = i32x4.replace_lane(hi, 1, <u32>((nonce + 1) >> 32));
    hi = i32x4.replace_lane(hi, 2, <u32>((nonce + 2) >> 32));
    hi = i32x4.replace_lane(hi, 3, <u32>((nonce + 3) >> 32));
    v128.store(M4 + 8 * 16, lo);
    v128.store(M4 + 9 * 16, hi);
    compress4(KEY4, 44, CHUNK_START | CHUNK_END | ROOT, CV4);
    const h = v128.load(CV4);
    if (i32x4.extract_lane(h, 0) >>> shift == 0) return nonce;
    if (i32x4.extract_lane(h, 1) >>> shift == 0) return nonce + 1;
    if (i32x4.extract_lane(h, 2) >>> shift == 0) return nonce + 2;
    if (i32x4.extract_lane(h, 3) >>> shift == 0) return nonce + 3;
  }
  return 0;
}

// ---------------------------------------------------------------- constraint composition (air/compose.ts)

/** Trace columns, constraints' table rows and coefficient offsets of the compliance AIR (air/layout.ts). */
const WIDTH_T: u32 = 24;
const C_A0: u32 = 16;
const C_A1: u32 = 17;
const C_D0: u32 = 18;
const C_D1: u32 = 19;
const C_CARRY: u32 = 20;
const C_K0: u32 = 21;
/** Table rows: FULL, PART, RC0..15, W0..W2, ELL, then the divisor inverses of the five groups. */
const T_FULL: u32 = 0;
const T_PART: u32 = 1;
const T_RC: u32 = 2;
const T_W0: u32 = 18;
const T_ELL: u32 = 21;
const T_DIV: u32 = 22;
/** Coefficient words: 16 diagonal entries, then extension coefficients (4 words each) of the groups, then constants. */
const K_DIAG: u32 = 0;
const K_TRANS: u32 = 16;
const K_BOOL: u32 = K_TRANS + 4 * 20;
const K_FIRST: u32 = K_BOOL + 4 * 5;
const K_OUT: u32 = K_FIRST + 4 * 24;
const K_LAST: u32 = K_OUT + 4 * 8;
const K_FIRST_CONST: u32 = K_LAST + 4 * 4;
const K_OUT_CONST: u32 = K_FIRST_CONST + 4;

/** Σ_i v_i·c_i for one extension coordinate: accumulates v·c into acc (c the Montgomery coefficient word at `c`). */
function fma4(acc: v128, v: v128, c: usize): v128 {
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

function combine5(
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

// ---------------------------------------------------------------- evaluation at extension points (poly.ts)

/** a·b in F_p[X]/(X^4 − 3) on Montgomery-form coordinates (4 words each at a, b; out may not alias them). */
function extMulMont(a: usize, b: usize, out: usize): void {
  const a0 = load<u32>(a);
  const a1 = load<u32>(a, 4);
  const a2 = load<u32>(a, 8);
  const a3 = load<u32>(a, 12);
  const b0 = load<u32>(b);
  const b1 = load<u32>(b, 4);
  const b2 = load<u32>(b, 8);
  const b3 = load<u32>(b, 12);
  const w0 = addMod(addMod(montMul(a1, b3), montMul(a2, b2)), montMul(a3, b1));
  const w1 = addMod(montMul(a2, b3), montMul(a3, b2));
  const w2 = montMul(a3, b3);
  store<u32>(out, addMod(montMul(a0, b0), addMod(w0, addMod(w0, w0))));
  store<u32>(out, addMod(addMod(montMul(a0, b1), montMul(a1, b0)), addMod(w1, addMod(w1, w1))), 4);
  store<u32>(
    out,
    addMod(addMod(addMod(montMul(a0, b2), montMul(a1, b1)), montMul(a2, b0)), addMod(w2, addMod(w2, w2))),
    8,
  );
  store<u32>(out, addMod(addMod(montMul(a0, b3), montMul(a1, b2)), addMod(montMul(a2, b1), montMul(a3, b0))), 12);
}

/**
 * Evaluates `count` base polynomials of `len` coefficients (polynomial c at polys + 4·len·c) at `numPoints` extension
 * points (4 standard-form words each at `points`): Σ_i c_i·x^i, one extension value (4 words, standard form) per point
 * and polynomial at out + 16·(point·count + c). `pows` takes 4·len words (the powers of one point, Montgomery form).
 */
export function evalAtPoints(
  polys: usize,
  len: u32,
  count: u32,
  points: usize,
  numPoints: u32,
  pows: usize,
  out: usize,
): void {
  for (let p: u32 = 0; p < numPoints; p++) {
    // x^0 = 1, x^1 = x, x^(i+1) = x^i·x (Montgomery form)
    const x = BLOCK; // 4 words of scratch
    for (let k: usize = 0; k < 4; k++)
      store<u32>(x + (k << 2), toMont(load<u32>(points + ((<usize>p) << 4) + (k << 2))));
    if (len > 0) {
      store<u32>(pows, R_MOD_P);
      store<u32>(pows, 0, 4);
      store<u32>(pows, 0, 8);
      store<u32>(pows, 0, 12);
    }
    for (let i: u32 = 1; i < len; i++) extMulMont(pows + ((<usize>(i - 1)) << 4), x, pows + ((<usize>i) << 4));
    for (let c: u32 = 0; c < count; c++) {
      const src = polys + ((<usize>(c * len)) << 2);
      let acc = i32x4.splat(0);
      for (let i: u32 = 0; i < len; i++) {
        acc = addMod4(acc, montMul4(v128.load32_splat(src + ((<usize>i) << 2)), v128.load(pows + ((<usize>i) << 4))));
      }
      v128.store(out + ((<usize>(p * count + c)) << 4), acc);
    }
  }
}

// ---------------------------------------------------------------- Merkle batch verification (merkle.ts)

/**
 * Hashes `count` leaves of `leafWords` ≤ 256 words (row after row at `leaves`) with the 8-word key at `leafKey`, four
 * at a time; digest i (8 words) to out + 32·i (merkle.ts hashLeaf).
 */
export function hashLeaves(leaves: usize, count: u32, leafWords: u32, leafKey: usize, out: usize): void {
  const rowBytes = (<usize>leafWords) << 2;
  splatKey4(leafKey);
  let i: u32 = 0;
  for (; i + 4 <= count; i += 4) {
    const p = leaves + <usize>i * rowBytes;
    const o = out + ((<usize>i) << 5);
    hashWords4(p, p + rowBytes, p + 2 * rowBytes, p + 3 * rowBytes, leafWords, KEYED_HASH);
    storeDigests4(o, o + 32, o + 64, o + 96);
  }
  for (; i < count; i++)
    hashWords(leaves + <usize>i * rowBytes, leafWords, out + ((<usize>i) << 5), leafKey, KEYED_HASH);
}

/** Copies 32 bytes (a digest) with two vector moves (V8 runs small memory.copy as a call). */
function copy32(dst: usize, src: usize): void {
  v128.store(dst, v128.load(src));
  v128.store(dst, v128.load(src, 16), 16);
}

/**
 * merkle.ts verifyBatchFlat: recomputes the root from `count` leaf digests (8 words each at `digests`, overwritten)
 * of the sorted, unique leaves whose heap indices (leafCount + leaf) are at `level` (i32, overwritten) and the
 * `authCount` authentication digests at `auth`, level by level, the parents of one level hashed four at a time
 * (`msgs` takes 16·count words). 1 if it equals the 8 words at `root` and every authentication node was used, else 0.
 */
export function verifyBatch(
  root: usize,
  count: u32,
  level: usize,
  digests: usize,
  auth: usize,
  authCount: u32,
  nodeKey: usize,
  msgs: usize,
): u32 {
  if (count == 0) return 0;
  splatKey4(nodeKey);
  let size = count;
  let next: u32 = 0;
  while (load<i32>(level) > 1) {
    let out: u32 = 0;
    for (let j: u32 = 0; j < size; j++) {
      const k = load<i32>(level + ((<usize>j) << 2));
      const m = msgs + ((<usize>out) << 6);
      const h = digests + ((<usize>j) << 5);
      if ((k & 1) == 0 && j + 1 < size && load<i32>(level + ((<usize>(j + 1)) << 2)) == (k ^ 1)) {
        copy32(m, h);
        copy32(m + 32, h + 32);
        j++;
      } else {
        if (next >= authCount) return 0;
        const sib = auth + ((<usize>next) << 5);
        next++;
        const mine: usize = (k & 1) == 0 ? 0 : 32;
        copy32(m + mine, h);
        copy32(m + 32 - mine, sib);
      }
      store<i32>(level + ((<usize>out) << 2), k >> 1);
      out++;
    }
    let i: u32 = 0;
    for (; i + 4 <= out; i += 4) {
      const m = msgs + ((<usize>i) << 6);
      const o = digests + ((<usize>i) << 5);
      loadBlock4(m, m + 64, m + 128, m + 192, 16);
      compress4(KEY4, 64, NODE_FLAGS, CV4);
      storeDigests4(o, o + 32, o + 64, o + 96);
    }
    for (; i < out; i++) compress(nodeKey, msgs + ((<usize>i) << 6), 64, NODE_FLAGS, digests + ((<usize>i) << 5));
    size = out;
  }
  if (next != authCount || size != 1) return 0;
  for (let w: usize = 0; w < 32; w += 4) if (load<u32>(digests + w) != load<u32>(root + w)) return 0;
  return 1;
}

// ---------------------------------------------------------------- FRI folding (fri.ts foldRow)

/**
 * fri.ts foldRow on `count` rows of f extension values (4f standard-form words each, at `rows`, overwritten): row r
 * folds at β (4 standard words at `beta`) with x^(−1) = xInvs[r] into one extension value at out + 16·r (standard
 * form). `wInv` is ω_f^(−1). Constants are kept in Montgomery form, so each product of a value by one is standard.
 */
export function foldRows(rows: usize, count: u32, f: u32, beta: usize, xInvs: usize, wInv: u32, out: usize): void {
  const half2 = toMont((P + 1) >> 1);
  const b = BLOCK; // β^(2^round), Montgomery form, 4 words; BLOCK + 16: the square
  for (let r: u32 = 0; r < count; r++) {
    const v = rows + ((<usize>(r * 4 * f)) << 2);
    for (let k: usize = 0; k < 4; k++) store<u32>(b + (k << 2), toMont(load<u32>(beta + (k << 2))));
    let wInvM = toMont(wInv);
    let y0InvM = toMont(load<u32>(xInvs + ((<usize>r) << 2)));
    let n = f;
    while (n > 1) {
      const half = n >> 1;
      const b0 = load<u32>(b);
      const b1 = load<u32>(b, 4);
      const b2 = load<u32>(b, 8);
      const b3 = load<u32>(b, 12);
      let yInvM = y0InvM;
      for (let k: u32 = 0; k < half; k++) {
        const u = v + ((<usize>(4 * k)) << 2);
        const w = v + ((<usize>(4 * (k + half))) << 2);
        const hy = montMul(half2, yInvM);
        const u0 = load<u32>(u);
        const u1 = load<u32>(u, 4);
        const u2 = load<u32>(u, 8);
        const u3 = load<u32>(u, 12);
        const w0 = load<u32>(w);
        const w1 = load<u32>(w, 4);
        const w2 = load<u32>(w, 8);
        const w3 = load<u32>(w, 12);
        const e0 = montMul(addMod(u0, w0), half2);
        const e1 = montMul(addMod(u1, w1), half2);
        const e2 = montMul(addMod(u2, w2), half2);
        const e3 = montMul(addMod(u3, w3), half2);
        const o0 = montMul(subMod(u0, w0), hy);
        const o1 = montMul(subMod(u1, w1), hy);
        const o2 = montMul(subMod(u2, w2), hy);
        const o3 = montMul(subMod(u3, w3), hy);
        const t0 = addMod(addMod(montMul(b1, o3), montMul(b2, o2)), montMul(b3, o1));
        const t1 = addMod(montMul(b2, o3), montMul(b3, o2));
        const t2 = montMul(b3, o3);
        store<u32>(u, addMod(addMod(e0, montMul(b0, o0)), addMod(t0, addMod(t0, t0))));
        store<u32>(u, addMod(addMod(e1, montMul(b0, o1)), addMod(montMul(b1, o0), addMod(t1, addMod(t1, t1)))), 4);
        store<u32>(
          u,
          addMod(
            addMod(e2, montMul(b0, o2)),
            addMod(addMod(montMul(b1, o1), montMul(b2, o0)), addMod(t2, addMod(t2, t2))),
          ),
          8,
        );
        store<u32>(
          u,
          addMod(addMod(e3, montMul(b0, o3)), addMod(addMod(montMul(b1, o2), montMul(b2, o1)), montMul(b3, o0))),
          12,
        );
        yInvM = montMul(yInvM, wInvM);
      }
      extMulMont(b, b, b + 16);
      copy16(b, b + 16);
      wInvM = montMul(wInvM, wInvM);
      y0InvM = montMul(y0InvM, y0InvM);
      n = half;
    }
    v128.store(out + ((<usize>r) << 4), v128.load(v));
  }
}

function copy16(dst: usize, src: usize): void {
  v128.store(dst, v128.load(src));
}

// ---------------------------------------------------------------- constraints at an extension point (verifier)

/** Extension elements (4 Montgomery-form words) by pointer: o may alias a or b. */
function eAdd(a: usize, b: usize, o: usize): void {
  for (let k: usize = 0; k < 16; k += 4) store<u32>(o + k, addMod(load<u32>(a + k), load<u32>(b + k)));
}

function eSub(a: usize, b: usize, o: usize): void {
  for (let k: usize = 0; k < 16; k += 4) store<u32>(o + k, subMod(load<u32>(a + k), load<u32>(b + k)));
}

function eScale(a: usize, s: u32, o: usize): void {
  for (let k: usize = 0; k < 16; k += 4) store<u32>(o + k, montMul(load<u32>(a + k), s));
}

/** o = a·b (o may alias a or b: the product goes through BLOCK + 32). */
function eMul(a: usize, b: usize, o: usize): void {
  const t = BLOCK + 32;
  extMulMont(a, b, t);
  copy16(o, t);
}

/** Offsets (in words) of the quotient-at-a-point input block; every word a field element. */
const QA_CUR: u32 = 0;
const QA_NXT: u32 = QA_CUR + 96;
const QA_PER: u32 = QA_NXT + 96;
const QA_COMMIT: u32 = QA_PER + 88;
const QA_ALPHA: u32 = QA_COMMIT + 8;
const QA_DIV: u32 = QA_ALPHA + 196;
const QA_EINV: u32 = QA_DIV + 20;
const QA_DIAG: u32 = QA_EINV + 176;
const QA_TAG: u32 = QA_DIAG + 16;
/** Words of the input block. */
const QA_WORDS: u32 = QA_TAG + 1;

/** First constraint of group g (air/layout.ts GROUPS: transition, every row, first, output, last), 49 for g = 5. */
function groupStart(g: u32): u32 {
  return g == 0 ? 0 : g == 1 ? 20 : g == 2 ? 25 : g == 3 ? 37 : g == 4 ? 45 : 49;
}

/** The input block and scratch of the current quotientAtPoint call (AssemblyScript has no closures). */
let qaIn: usize = 0;
let qaScr: usize = 0;

function cur(j: u32): usize {
  return qaIn + ((<usize>(QA_CUR + 4 * j)) << 2);
}

function nxt(j: u32): usize {
  return qaIn + ((<usize>(QA_NXT + 4 * j)) << 2);
}

function per(j: u32): usize {
  return qaIn + ((<usize>(QA_PER + 4 * j)) << 2);
}

function f(j: u32): usize {
  return qaScr + ((<usize>j) << 4);
}

function val(j: u32): usize {
  return qaScr + 256 + ((<usize>j) << 4);
}

function tmp(j: u32): usize {
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

// ---------------------------------------------------------------- DEEP values at the query points (verifier)

/** o = a^(−1) in F_p[X]/(X^4 − 3), Montgomery form (field.ts einv: the norm to F_p); a ≠ 0. o may alias a. */
function eInv(a: usize, o: usize): void {
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
const DEEP_SHIFTED: u32 = 0;
const DEEP_MASK: u32 = 1;
const DEEP_AT_Z: u32 = 2;
const DEEP_S1_ZW: u32 = 3;
const DEEP_Z: u32 = 4;
const DEEP_ZW: u32 = 5;

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

function toMontRange(p: usize, words: u32): void {
  for (let i: u32 = 0; i < words; i++) {
    const a = p + ((<usize>i) << 2);
    store<u32>(a, toMont(load<u32>(a)));
  }
}

// ---------------------------------------------------------------- the DEEP polynomial (prover)

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
