/**
 * Randomness for the prover: a CSPRNG word source (WebCrypto) by default, replaceable by a deterministic source in
 * tests. Field elements are drawn by rejection sampling, so they are exactly uniform.
 */
import { webcrypto } from "node:crypto";

import { sampleBase } from "./field";

/** A source of uniformly random 32-bit words. */
export type WordSource = () => number;

/** A WordSource backed by the operating system's CSPRNG, refilled 4 KiB at a time. */
export function cryptoWords(): WordSource {
  const buf = new Uint32Array(1024);
  let pos = buf.length;
  return () => {
    if (pos === buf.length) {
      webcrypto.getRandomValues(buf);
      pos = 0;
    }
    return buf[pos++] as number;
  };
}

/** A deterministic WordSource (xorshift128) for reproducible tests; never use it for real proofs. */
export function seededWords(seed: number): WordSource {
  let x = seed | 0 || 1;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123;
  return () => {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return w;
  };
}

/** `count` uniform field elements. */
export function randomElements(src: WordSource, count: number): Uint32Array {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = sampleBase(src);
  return out;
}

/** `count` uniform 32-bit words. */
export function randomWords(src: WordSource, count: number): Uint32Array {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = src();
  return out;
}
