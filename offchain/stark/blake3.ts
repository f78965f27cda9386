/**
 * BLAKE3 for short, word-aligned messages (at most one 1024-byte chunk), written on 32-bit words so that hashing a
 * row of field elements needs no byte conversion. It is standard BLAKE3 (plain and keyed modes, 32-byte output) and
 * is checked against @noble/hashes in the tests; longer inputs go through @noble/hashes.
 */
import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";

/** BLAKE3's initialisation vector (the SHA-256 IV). */
export const BLAKE3_IV: Uint32Array = Uint32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const CHUNK_START = 1;
const CHUNK_END = 2;
const ROOT = 8;
const KEYED_HASH = 16;
/** Longest message (in 32-bit words) the word-level hash accepts: one chunk. */
export const MAX_WORDS = 256;

const block = new Uint32Array(16);
const cv = new Uint32Array(8);

/** One BLAKE3 compression: updates `h` in place with the first 8 output words. */
function compress(h: Uint32Array, m: Uint32Array, mo: number, blockLen: number, flags: number): void {
  let v0 = h[0]! | 0,
    v1 = h[1]! | 0,
    v2 = h[2]! | 0,
    v3 = h[3]! | 0;
  let v4 = h[4]! | 0,
    v5 = h[5]! | 0,
    v6 = h[6]! | 0,
    v7 = h[7]! | 0;
  let v8 = 0x6a09e667 | 0,
    v9 = 0xbb67ae85 | 0,
    v10 = 0x3c6ef372 | 0,
    v11 = 0xa54ff53a | 0;
  let v12 = 0,
    v13 = 0,
    v14 = blockLen | 0,
    v15 = flags | 0;
  let m0 = m[mo + 0]! | 0;
  let m1 = m[mo + 1]! | 0;
  let m2 = m[mo + 2]! | 0;
  let m3 = m[mo + 3]! | 0;
  let m4 = m[mo + 4]! | 0;
  let m5 = m[mo + 5]! | 0;
  let m6 = m[mo + 6]! | 0;
  let m7 = m[mo + 7]! | 0;
  let m8 = m[mo + 8]! | 0;
  let m9 = m[mo + 9]! | 0;
  let m10 = m[mo + 10]! | 0;
  let m11 = m[mo + 11]! | 0;
  let m12 = m[mo + 12]! | 0;
  let m13 = m[mo + 13]! | 0;
  let m14 = m[mo + 14]! | 0;
  let m15 = m[mo + 15]! | 0;
  for (let r = 0; r < 7; r++) {
    v0 = (v0 + v4 + m0) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 16) | (v12 << 16);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 12) | (v4 << 20);
    v0 = (v0 + v4 + m1) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 8) | (v12 << 24);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 7) | (v4 << 25);
    v1 = (v1 + v5 + m2) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 16) | (v13 << 16);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 12) | (v5 << 20);
    v1 = (v1 + v5 + m3) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 8) | (v13 << 24);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 7) | (v5 << 25);
    v2 = (v2 + v6 + m4) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 16) | (v14 << 16);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 12) | (v6 << 20);
    v2 = (v2 + v6 + m5) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 8) | (v14 << 24);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 7) | (v6 << 25);
    v3 = (v3 + v7 + m6) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 16) | (v15 << 16);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 12) | (v7 << 20);
    v3 = (v3 + v7 + m7) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 8) | (v15 << 24);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 7) | (v7 << 25);
    v0 = (v0 + v5 + m8) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 16) | (v15 << 16);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 12) | (v5 << 20);
    v0 = (v0 + v5 + m9) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 8) | (v15 << 24);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 7) | (v5 << 25);
    v1 = (v1 + v6 + m10) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 16) | (v12 << 16);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 12) | (v6 << 20);
    v1 = (v1 + v6 + m11) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 8) | (v12 << 24);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 7) | (v6 << 25);
    v2 = (v2 + v7 + m12) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 16) | (v13 << 16);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 12) | (v7 << 20);
    v2 = (v2 + v7 + m13) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 8) | (v13 << 24);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 7) | (v7 << 25);
    v3 = (v3 + v4 + m14) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 16) | (v14 << 16);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 12) | (v4 << 20);
    v3 = (v3 + v4 + m15) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 8) | (v14 << 24);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 7) | (v4 << 25);
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
  h[0] = v0 ^ v8;
  h[1] = v1 ^ v9;
  h[2] = v2 ^ v10;
  h[3] = v3 ^ v11;
  h[4] = v4 ^ v12;
  h[5] = v5 ^ v13;
  h[6] = v6 ^ v14;
  h[7] = v7 ^ v15;
}

/**
 * BLAKE3 (keyed when `key` is given, 8 words) of the little-endian bytes of `words[offset .. offset + count)`,
 * written as 8 words at `out[outOffset ..]`. Throws a RangeError beyond one chunk (256 words).
 */
export function blake3Words(
  words: Uint32Array,
  offset: number,
  count: number,
  out: Uint32Array,
  outOffset = 0,
  key: Uint32Array = BLAKE3_IV,
): void {
  if (count > MAX_WORDS) throw new RangeError(`blake3Words hashes at most ${MAX_WORDS} words, got ${count}`);
  const keyed = key === BLAKE3_IV ? 0 : KEYED_HASH;
  for (let i = 0; i < 8; i++) cv[i] = key[i] as number;
  // full blocks straight from the input, the last (possibly partial or empty) block through the padded buffer
  let pos = offset;
  let remaining = count;
  let flags = keyed | CHUNK_START;
  while (remaining > 16) {
    compress(cv, words, pos, 64, flags);
    flags = keyed;
    pos += 16;
    remaining -= 16;
  }
  flags |= CHUNK_END | ROOT;
  if (remaining === 16) {
    compress(cv, words, pos, 64, flags);
  } else {
    for (let i = 0; i < 16; i++) block[i] = i < remaining ? (words[pos + i] as number) : 0;
    compress(cv, block, 0, remaining * 4, flags);
  }
  for (let i = 0; i < 8; i++) out[outOffset + i] = cv[i] as number;
}

const byteWords = new Uint32Array(MAX_WORDS);

/**
 * BLAKE3 of arbitrary bytes, 32-byte output: messages of one chunk (≤ 1024 bytes) through the word-level
 * compression above, longer ones (and keyed hashing) through @noble/hashes.
 */
export function blake3Bytes(data: Uint8Array, key?: Uint8Array): Uint8Array {
  if (key !== undefined || data.length > 4 * MAX_WORDS) {
    return key === undefined ? nobleBlake3(data) : nobleBlake3(data, { key });
  }
  return wordsToBytes(blake3BytesToWords(data));
}

/** blake3Bytes(data) (unkeyed) as eight little-endian words. */
export function blake3BytesToWords(data: Uint8Array): Uint32Array {
  if (data.length > 4 * MAX_WORDS) return bytesToWords(nobleBlake3(data));
  const len = data.length;
  const nw = (len + 3) >>> 2;
  for (let i = 0; i < nw; i++) {
    const j = 4 * i;
    byteWords[i] =
      ((data[j] ?? 0) | ((data[j + 1] ?? 0) << 8) | ((data[j + 2] ?? 0) << 16) | ((data[j + 3] ?? 0) << 24)) >>> 0;
  }
  cv.set(BLAKE3_IV);
  const blocks = Math.max(1, Math.ceil(len / 64));
  for (let b = 0; b < blocks; b++) {
    const start = b * 16;
    const bytes = Math.min(64, len - b * 64);
    const n = (bytes + 3) >>> 2;
    for (let i = 0; i < 16; i++) block[i] = i < n ? (byteWords[start + i] as number) : 0;
    let flags = 0;
    if (b === 0) flags |= CHUNK_START;
    if (b === blocks - 1) flags |= CHUNK_END | ROOT;
    compress(cv, block, 0, Math.max(0, bytes), flags);
  }
  return cv.slice(0, 8);
}

/** Little-endian bytes of 32-bit words. */
export function wordsToBytes(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = w >>> 24;
  }
  return out;
}

/** 32-bit little-endian words of a byte string whose length is a multiple of 4. */
export function bytesToWords(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0) throw new RangeError(`byte length ${bytes.length} is not a multiple of 4`);
  const out = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) {
    out[i] =
      ((bytes[4 * i] as number) |
        ((bytes[4 * i + 1] as number) << 8) |
        ((bytes[4 * i + 2] as number) << 16) |
        ((bytes[4 * i + 3] as number) << 24)) >>>
      0;
  }
  return out;
}

/** A BLAKE3 key (8 words) derived from an ASCII label: the plain BLAKE3 hash of the label. */
export function labelKey(label: string): Uint32Array {
  return bytesToWords(nobleBlake3(new TextEncoder().encode(label)));
}
