/**
 * Protocol steps the prover and the verifier must perform identically: seeding the transcript with the proof
 * context and every public input, drawing the out-of-domain point, absorbing the out-of-domain frame, and the
 * challenge powers of the constraint and DEEP combinations.
 */
import { type Ext, EXT_ONE, P, eeq, emul, epow, ext, pow } from "./field";
import type { AirStatement } from "./air";
import {
  EXT_RING,
  NUM_CONSTRAINTS,
  TRACE_LENGTH,
  TRACE_WIDTH,
  EXTERNAL_INVERSE,
  combineExt,
  composeQuotient,
  divisorInversesExt,
  evaluateConstraints,
  periodicCoefficients,
} from "./air";
import type { StarkAir } from "./engine";
import { evalBaseAtPoints } from "./poly";
import { COMMIT_TAG, INTERNAL_DIAG } from "./poseidon2";
import { DOMAIN_OFFSET, PROTOCOL_ID, type OodFrame } from "./proof";
import type { DerivedParams, ProofOptions } from "./security";
import { Transcript } from "./transcript";
import { QUOTIENT_AT_WORDS, wasmKernels } from "./wasm";

/**
 * Encodes the options and derived sizes as the proof context bytes (also the start of the proof header); `shape`
 * gives another AIR's trace width and constraint count (default: the compliance AIR's).
 */
export function contextWords(
  o: ProofOptions,
  p: DerivedParams,
  shape: { readonly traceWidth: number; readonly numConstraints: number } = {
    traceWidth: TRACE_WIDTH,
    numConstraints: NUM_CONSTRAINTS,
  },
): number[] {
  return [
    o.numQueries,
    o.blowupLog2,
    o.grindingBits,
    o.foldingLog2,
    o.remainderLog2,
    p.traceLength,
    shape.traceWidth,
    p.degreeBound,
    p.ldeSize,
    p.numChunks,
    p.chunkSize,
    shape.numConstraints,
  ];
}

/**
 * A transcript seeded with the protocol id, the proof context (options and sizes), the AIR statement (limit and
 * commitment) and the caller's context bytes (the compliance layer passes the canonical hash of every public input).
 */
export function seedTranscript(o: ProofOptions, p: DerivedParams, s: AirStatement, context: Uint8Array): Transcript {
  const words = contextWords(o, p);
  const key = words.join(",");
  let seeded = SEEDED.get(key);
  if (seeded === undefined) {
    seeded = new Transcript(PROTOCOL_ID);
    seeded.absorbWords("context", words);
    if (SEEDED.size >= 64) SEEDED.clear();
    SEEDED.set(key, seeded);
  }
  const t = seeded.clone();
  t.absorbWords("limit", [Number(s.limit & 0xffffffffn), Number(s.limit >> 32n)]);
  t.absorbWords("commitment", s.commitment);
  t.absorb("public-inputs", context);
  return t;
}

/** The transcript after the protocol id and the proof context: a pure function of the context words. */
const SEEDED = new Map<string, Transcript>();

/** Draws z until it lies outside the trace domain and the LDE coset (z^n ≠ 1 and z^N ≠ g^N). */
export function drawOodPoint(t: Transcript, ldeSize: number, traceLength: number = TRACE_LENGTH): Ext {
  const gN = ext(pow(DOMAIN_OFFSET, ldeSize));
  for (;;) {
    const z = t.challengeExt();
    if (eeq(epow(z, traceLength), EXT_ONE)) continue;
    if (eeq(epow(z, ldeSize), gN)) continue;
    return z;
  }
}

/** Absorbs the out-of-domain frame. */
export function absorbOod(t: Transcript, ood: OodFrame): void {
  const all = [ood.traceZ, ood.traceZw, ood.chunksZ];
  const words = new Uint32Array(all.reduce((n, a) => a.reduce((m, e) => m + e.length, n), 0));
  let at = 0;
  for (const list of all) {
    for (const e of list) {
      // the same words as [...list.flat()]: each element's coordinates in order
      for (let k = 0; k < e.length; k++) words[at + k] = e[k] as number;
      at += e.length;
    }
  }
  t.absorbWords("ood", words);
}

/** 1, α, α^2, … (count powers). */
export function powers(alpha: Ext, count: number): Ext[] {
  const out: Ext[] = [];
  let acc: Ext = EXT_ONE;
  for (let i = 0; i < count; i++) {
    out.push(acc);
    acc = emul(acc, alpha);
  }
  return out;
}

/**
 * The DEEP combination coefficients from γ: trace columns use γ^j (at z) and γ^(W+j) (at ωz), composition chunks
 * γ^(2W+k), and the FRI masking polynomial γ^(2W+K); W is the trace width (default: the compliance AIR's).
 */
export function deepCoefficients(
  gamma: Ext,
  numChunks: number,
  width: number = TRACE_WIDTH,
): { trace: Ext[]; shifted: Ext; chunks: Ext[]; mask: Ext } {
  const all = powers(gamma, 2 * width + numChunks + 1);
  return {
    trace: all.slice(0, width),
    shifted: all[width] as Ext,
    chunks: all.slice(2 * width, 2 * width + numChunks),
    mask: all[2 * width + numChunks] as Ext,
  };
}

/** The rows of M_E^(−1) the first-row group reads (air/constraints.ts INPUT_ROWS), flattened once. */
let inputRowsFlat: Uint32Array | undefined;

/** Every element of the list has 4 canonical coordinates. */
function canonicalExts(list: readonly Ext[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as Ext;
    if (e.length !== 4) return false;
    for (let k = 0; k < 4; k++) {
      const v = e[k] as number;
      if (!Number.isInteger(v) || v < 0 || v >= P) return false;
    }
  }
  return true;
}

/** The block quotientInput fills (one per process: it is handed to the kernel, which copies it, right away). */
let quotientScratch: Uint32Array | undefined;

/**
 * The wasm quotientAtPoint input block (its layout in wasm/index.ts Kernels.quotientAtPoint), or null when a value is
 * not a canonical extension element (the TypeScript evaluator then answers, as before). The block is a shared scratch
 * array, overwritten by the next call: hand it to the kernel at once.
 */
function quotientInput(
  traceZ: readonly Ext[],
  traceZw: readonly Ext[],
  per: readonly Ext[],
  commitment: Uint32Array,
  alphas: readonly Ext[],
  divInv: readonly Ext[],
): Uint32Array | null {
  if (![traceZ, traceZw, per, alphas, divInv].every(canonicalExts)) return null;
  if (per.length !== 22 || alphas.length !== NUM_CONSTRAINTS || divInv.length !== 5 || commitment.length !== 8) {
    return null;
  }
  if (inputRowsFlat === undefined) {
    inputRowsFlat = new Uint32Array(11 * 16);
    [0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15].forEach((row, r) =>
      (inputRowsFlat as Uint32Array).set(EXTERNAL_INVERSE[row] as Uint32Array, 16 * r),
    );
  }
  quotientScratch ??= new Uint32Array(QUOTIENT_AT_WORDS);
  const out = quotientScratch;
  let at = 0;
  const putExts = (list: readonly Ext[]): void => {
    for (let i = 0; i < list.length; i++, at += 4) {
      const e = list[i] as Ext;
      out[at] = e[0];
      out[at + 1] = e[1];
      out[at + 2] = e[2];
      out[at + 3] = e[3];
    }
  };
  const putWords = (words: Uint32Array): void => {
    out.set(words, at);
    at += words.length;
  };
  putExts(traceZ);
  putExts(traceZw);
  putExts(per);
  putWords(commitment);
  putExts(alphas);
  putExts(divInv);
  putWords(inputRowsFlat);
  putWords(INTERNAL_DIAG);
  out[at++] = COMMIT_TAG;
  return at === QUOTIENT_AT_WORDS ? out : null;
}

/** The compliance AIR for a statement and its public-input digest `context`, as the generic prover/verifier see it. */
export function complianceAir(statement: AirStatement, context: Uint8Array): StarkAir {
  return {
    traceLength: TRACE_LENGTH,
    traceWidth: TRACE_WIDTH,
    numConstraints: NUM_CONSTRAINTS,
    seedTranscript: (o, p) => seedTranscript(o, p, statement, context),
    composeQuotient: (traceLde, N, QN, shift, alphas) =>
      composeQuotient(traceLde, N, QN, shift, periodicCoefficients(statement.limit), statement.commitment, alphas),
    quotientAt: (traceZ, traceZw, z, alphas) => {
      const [per = []] = evalBaseAtPoints(periodicCoefficients(statement.limit), [z]);
      const divInv = divisorInversesExt(z);
      const k = wasmKernels();
      const input =
        k !== null && traceZ.length === TRACE_WIDTH && traceZw.length === TRACE_WIDTH
          ? quotientInput(traceZ, traceZw, per, statement.commitment, alphas, divInv)
          : null;
      if (k !== null && input !== null) return k.quotientAtPoint(input);
      const values: Ext[] = new Array<Ext>(NUM_CONSTRAINTS).fill([0, 0, 0, 0]);
      evaluateConstraints(EXT_RING, traceZ, traceZw, per, Array.from(statement.commitment, ext), values);
      return combineExt(values, alphas, divInv);
    },
  };
}
