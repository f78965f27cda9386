/** BLAKE3 compression, one message (blake3.ts compress, blake3Words). */
import { BLOCK, CV, IV } from "./memory";

export const CHUNK_START: u32 = 1;
export const CHUNK_END: u32 = 2;
export const ROOT: u32 = 8;
export const KEYED_HASH: u32 = 16;
/** A Merkle node: one keyed block, 64 bytes, the whole message. */
export const NODE_FLAGS: u32 = KEYED_HASH | CHUNK_START | CHUNK_END | ROOT;
export const IV0: u32 = 0x6a09e667;
export const IV1: u32 = 0xbb67ae85;
export const IV2: u32 = 0x3c6ef372;
export const IV3: u32 = 0xa54ff53a;
export const IV4: u32 = 0x510e527f;
export const IV5: u32 = 0x9b05688c;
export const IV6: u32 = 0x1f83d9ab;
export const IV7: u32 = 0x5be0cd19;
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
export function compress(cv: usize, m: usize, blockLen: u32, flags: u32, out: usize): void {
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
export function hashWords(ptr: usize, count: u32, out: usize, key: usize, keyed: u32): void {
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
