/** BLAKE3 compression of four messages at once, one per SIMD lane. */
import { CV4, KEY4, M4 } from "./memory";
import { CHUNK_END, CHUNK_START, IV0, IV1, IV2, IV3, ROOT } from "./blake3";

/** Lane-wise rotations of four 32-bit words. */
export function rot16(v: v128): v128 {
  return i8x16.shuffle(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}

export function rot8(v: v128): v128 {
  return i8x16.shuffle(v, v, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
}

export function rotr4(v: v128, n: i32): v128 {
  return v128.or(i32x4.shr_u(v, n), i32x4.shl(v, 32 - n));
}

/**
 * Transposes one block of four messages into M4 (16 vectors, lane l = message l): word i of message l at
 * p_l + 4i for i < words, zero beyond (the padded last block).
 */
export function loadBlock4(p0: usize, p1: usize, p2: usize, p3: usize, words: u32): void {
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
export function compress4(cv: usize, blockLen: u32, flags: u32, out: usize): void {
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
export function storeDigests4(o0: usize, o1: usize, o2: usize, o3: usize): void {
  for (let w: usize = 0; w < 8; w++) {
    const v = v128.load(CV4 + (w << 4));
    store<u32>(o0 + (w << 2), i32x4.extract_lane(v, 0));
    store<u32>(o1 + (w << 2), i32x4.extract_lane(v, 1));
    store<u32>(o2 + (w << 2), i32x4.extract_lane(v, 2));
    store<u32>(o3 + (w << 2), i32x4.extract_lane(v, 3));
  }
}

/** Splats the 8-word key at `key` into KEY4 (lane-wise chaining value). */
export function splatKey4(key: usize): void {
  for (let w: usize = 0; w < 8; w++) v128.store(KEY4 + (w << 4), i32x4.splat(load<u32>(key + (w << 2))));
}

/** hashWords of four messages of `count` words (p_l) at once, keyed with KEY4; digests left in CV4. */
export function hashWords4(p0: usize, p1: usize, p2: usize, p3: usize, count: u32, keyed: u32): void {
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
