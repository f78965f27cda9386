/** The proof-of-work search (transcript.ts grind), four nonces per compression. */
import { CV4, IV, KEY4, M4 } from "./memory";
import { CHUNK_END, CHUNK_START, ROOT } from "./blake3";
import { compress4, loadBlock4, splatKey4 } from "./blake3x4";

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
