/** The kernels' fixed memory: BLAKE3 and extension scratch, the twiddle table; the loader's arena starts above it. */
import { R_MOD_P, TW_LOG_MAX, montMul, rootMont } from "./field";

/** BLAKE3 chaining value (8 words), padded last block (16 words) and the IV (8 words, written at start). */
export const CV: usize = (__heap_base + 63) & ~(<usize>63);
export const BLOCK: usize = CV + 32;
export const IV: usize = BLOCK + 64;
/** Four-lane BLAKE3 state: message block (16 vectors), chaining values and key (8 vectors each). */
export const M4: usize = IV + 32;
export const CV4: usize = M4 + 256;
export const KEY4: usize = CV4 + 128;
/** The composition kernel's 16 Poseidon2 lanes of four points (16 vectors). */
export const LANES4: usize = KEY4 + 128;
/** Five extension elements of scratch for the verifier's kernels (eAcc, eTmp, eTmp2..eTmp4). */
export const ESCR: usize = LANES4 + 256;
export const eAcc: usize = ESCR;
export const eTmp: usize = ESCR + 16;
export const eTmp2: usize = ESCR + 32;
export const eTmp3: usize = ESCR + 48;
export const eTmp4: usize = ESCR + 64;
/** The twiddle table: 2^TW_LOG_MAX words. */
export const TW: usize = ESCR + 128;
export const ARENA: usize = (TW + ((<usize>4) << TW_LOG_MAX) + 63) & ~(<usize>63);
/** log2 of the largest NTT whose stages the twiddle table holds so far. */
export let twLog: u32 = 0;

/** Where the loader's buffers may start (everything below is the kernels' own). */
export function arenaStart(): usize {
  return ARENA;
}

/** log2 of the largest NTT the kernels accept. */
export function maxLogN(): u32 {
  return TW_LOG_MAX;
}

/** Fills the twiddle table up to size 2^logN: stage half h holds ω_(2h)^j (Montgomery form) at index h + j. */
export function ensureTwiddles(logN: u32): void {
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
