/**
 * The compliance STARK prover. Zero-knowledge comes from three randomisations: every trace column t_j is replaced by
 * t̂_j = t_j + Z_H·r_j with r_j uniform of degree < D − n (≥ 2·queries + 2·4, covering the values at the query
 * points, their next-row points and the two out-of-domain points, each of which is an extension element: 4 base-field
 * conditions; see minTraceRandomizer), the composition polynomial's chunks are re-randomised
 * with telescoping masks of degree ≥ queries + 1, and the FRI polynomial carries a uniformly random polynomial R of
 * full degree; Merkle leaves of the trace and composition are salted.
 */
import { type AirStatement, type ComplianceWitness, type Trace, buildTrace, validateStatement } from "./air";
import type { StarkAir } from "./engine";
import { type Ext, P, add, mul, rootOfUnity, sub } from "./field";
import { friCommit, friOpen, friShape } from "./fri";
import { type MerkleTree, buildTreeOfColumns, openBatch, treeRoot, uniqueSorted } from "./merkle";
import {
  type ExtVec,
  cosetEvaluateMany,
  cosetInterpolate,
  divideByLinear,
  fromCoordinateValues,
  evalBaseAtPoints,
  evalExt,
  extAxpy,
  extSubConstant,
  extZeros,
  intt,
  log2,
} from "./poly";
import { DOMAIN_OFFSET, type MatrixOpening, SALT_WORDS, type StarkProof } from "./proof";
import { absorbOod, complianceAir, deepCoefficients, drawOodPoint, powers } from "./protocol";
import { type WordSource, cryptoWords, randomElements, randomWords } from "./random";
import { type ProofOptions, deriveParams } from "./security";
import { wasmKernels } from "./wasm";

/** Test and instrumentation hooks; production callers pass none. */
export interface ProverHooks {
  /** Randomness source (default: the OS CSPRNG). */
  readonly rng?: WordSource;
  /** A pre-built (possibly forged) trace used instead of building one from the witness. */
  readonly trace?: Trace;
  /** Disables every zero-knowledge randomiser (test-only: shows what the randomisers prevent). */
  readonly disableZk?: boolean;
  /** Receives the milliseconds spent in each proving step (for profiling). */
  readonly timings?: Record<string, number>;
}

/**
 * Σ_j c_j·cols_j for base columns and extension coefficients, over the first `len` entries: each coordinate an exact
 * double sum of reduced products (< 2^53 for fewer than 2^22 columns), reduced once.
 */
function combineBase(cols: readonly Uint32Array[], coeffs: readonly Ext[], len: number): ExtVec {
  if (cols.length >= 1 << 22) throw new RangeError("combineBase: too many columns");
  const acc = [new Float64Array(len), new Float64Array(len), new Float64Array(len), new Float64Array(len)];
  const [a0, a1, a2, a3] = acc as [Float64Array, Float64Array, Float64Array, Float64Array];
  cols.forEach((col, j) => {
    const [c0, c1, c2, c3] = coeffs[j] as Ext;
    const n = Math.min(len, col.length);
    for (let i = 0; i < n; i++) {
      const v = col[i] as number;
      a0[i] = (a0[i] as number) + mul(c0, v);
      a1[i] = (a1[i] as number) + mul(c1, v);
      a2[i] = (a2[i] as number) + mul(c2, v);
      a3[i] = (a3[i] as number) + mul(c3, v);
    }
  });
  const out = extZeros(len);
  for (let k = 0; k < 4; k++) {
    const a = acc[k] as Float64Array;
    const o = out[k] as Uint32Array;
    for (let i = 0; i < len; i++) o[i] = (a[i] as number) % P;
  }
  return out;
}

/** An error raised when the prover's own consistency checks fail. */
export class ProverError extends Error {
  override readonly name = "ProverError";
  /** @param code Stable failure code. */
  constructor(
    readonly code: "NOT_LOW_DEGREE" | "INVALID_WITNESS",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Proves the compliance AIR statement for a witness (or a hook-supplied trace), binding `context` (the public-input
 * digest) into the transcript.
 * @throws RangeError / TypeError for invalid arguments, ProverError if the trace does not satisfy the AIR.
 */
export function proveAir(
  witness: ComplianceWitness | null,
  statement: AirStatement,
  context: Uint8Array,
  options: ProofOptions,
  hooks: ProverHooks = {},
): StarkProof {
  validateStatement(statement);
  if (!(context instanceof Uint8Array)) throw new TypeError("context must be a Uint8Array");
  let trace: Trace | null = null;
  if (hooks.trace === undefined) {
    if (witness === null) throw new TypeError("a witness is required");
    if (witness.limit !== statement.limit) throw new RangeError("witness limit differs from the statement's");
    trace = buildTrace(witness);
  }
  return proveStark(complianceAir(statement, context), trace, options, hooks);
}

/**
 * Proves any StarkAir for its trace (or the hook-supplied trace, which is then not checked for a low-degree
 * composition, so that forged traces reach the verifier).
 * @throws RangeError / TypeError for invalid arguments, ProverError if the trace does not satisfy the AIR.
 */
export function proveStark(
  air: StarkAir,
  honestTrace: Trace | null,
  options: ProofOptions,
  hooks: ProverHooks = {},
): StarkProof {
  // 0 ----- set up the domains
  const n = air.traceLength;
  const W = air.traceWidth;
  const params = deriveParams(options, n);
  const { degreeBound: D, ldeSize: N, quotientDomainSize: QN, numChunks: K, chunkSize: M } = params;
  const rng = hooks.rng ?? cryptoWords();
  const zk = hooks.disableZk !== true;
  const g = DOMAIN_OFFSET;
  const transcript = air.seedTranscript(options, params);
  let mark = performance.now();
  const lap = (step: string): void => {
    if (hooks.timings === undefined) return;
    const now = performance.now();
    hooks.timings[step] = (hooks.timings[step] ?? 0) + now - mark;
    mark = now;
  };

  // 1 ----- the trace
  const trace = hooks.trace ?? honestTrace;
  if (trace === null) throw new TypeError("a trace is required");
  if (trace.length !== W || trace.some((c) => c.length !== n)) {
    throw new RangeError(`trace must be ${W} columns of ${n} rows`);
  }

  lap("trace-build");
  // 2 ----- interpolate, randomise (t̂ = t + Z_H·r) and extend the trace columns
  const h = D - n;
  const traceCoeffs: Uint32Array[] = trace.map((col) => {
    const c = intt(col.slice());
    const out = new Uint32Array(D);
    out.set(c);
    if (zk) {
      const r = randomElements(rng, h);
      for (let i = 0; i < h; i++) {
        out[i] = sub(out[i] as number, r[i] as number);
        out[i + n] = add(out[i + n] as number, r[i] as number);
      }
    }
    return out;
  });
  const traceLde = cosetEvaluateMany(traceCoeffs, g, N);

  lap("trace-lde");
  // 3 ----- commit to the trace (salted leaves)
  const traceSalts = zk ? randomWords(rng, N * SALT_WORDS) : new Uint32Array(N * SALT_WORDS);
  const traceTree = buildTreeOfColumns(traceSalts, SALT_WORDS, traceLde, N);
  transcript.absorbWords("trace-root", treeRoot(traceTree));

  lap("trace-commit");
  // 4 ----- evaluate the constraint composition on the quotient domain g·⟨ω_4D⟩
  const alphas = powers(transcript.challengeExt(), air.numConstraints);
  const quotient = air.composeQuotient(traceLde, N, QN, g, alphas);

  lap("compose");
  // 5 ----- interpolate Q, check its degree, split it into randomised chunks plus the FRI mask R
  const qCoeffs = quotient.map((v) => cosetInterpolate(v, g)) as ExtVec;
  const qLen = 3 * (D - 1) + 1;
  if (hooks.trace === undefined) {
    for (let k = 0; k < 4; k++) {
      const arr = qCoeffs[k] as Uint32Array;
      for (let i = qLen; i < QN; i++) {
        if (arr[i] !== 0) throw new ProverError("NOT_LOW_DEGREE", "composition polynomial exceeds its degree bound");
      }
    }
  }
  const chunks: ExtVec[] = [];
  for (let k = 0; k < K; k++) {
    const chunk = extZeros(D);
    for (let c = 0; c < 4; c++) {
      (chunk[c] as Uint32Array).set((qCoeffs[c] as Uint32Array).subarray(k * M, Math.min((k + 1) * M, qLen)));
    }
    chunks.push(chunk);
  }
  if (zk) {
    const hq = D - M;
    for (let k = 0; k + 1 < K; k++) {
      for (let c = 0; c < 4; c++) {
        const s = randomElements(rng, hq);
        const lo = chunks[k]?.[c] as Uint32Array;
        const hi = chunks[k + 1]?.[c] as Uint32Array;
        for (let i = 0; i < hq; i++) {
          lo[M + i] = add(lo[M + i] as number, s[i] as number);
          hi[i] = sub(hi[i] as number, s[i] as number);
        }
      }
    }
  }
  const mask: ExtVec = zk
    ? [randomElements(rng, D), randomElements(rng, D), randomElements(rng, D), randomElements(rng, D)]
    : extZeros(D);
  const compColumns = cosetEvaluateMany([...chunks, mask].flat(), g, N);

  lap("chunks-lde");
  // 6 ----- commit to the composition chunks and the mask (salted leaves)
  const compSalts = zk ? randomWords(rng, N * SALT_WORDS) : new Uint32Array(N * SALT_WORDS);
  const compTree = buildTreeOfColumns(compSalts, SALT_WORDS, compColumns, N);
  transcript.absorbWords("composition-root", treeRoot(compTree));

  lap("composition-commit");
  // 7 ----- out-of-domain evaluations at z and ω·z
  const z = drawOodPoint(transcript, N, n);
  const w = rootOfUnity(log2(n));
  const zw: Ext = [mul(z[0], w), mul(z[1], w), mul(z[2], w), mul(z[3], w)];
  // every trace polynomial at z and ω·z; each chunk at z from its four coordinate polynomials' values
  const [traceZ = [], traceZw = []] = evalBaseAtPoints(traceCoeffs, [z, zw]);
  const [coordsZ = []] = evalBaseAtPoints(chunks.flat(), [z]);
  const ood = {
    traceZ,
    traceZw,
    chunksZ: chunks.map((_, k) => fromCoordinateValues(coordsZ.slice(4 * k, 4 * k + 4))),
  };
  absorbOod(transcript, ood);

  lap("ood");
  // 8 ----- DEEP composition F(X) in coefficient form
  const deep = deepCoefficients(transcript.challengeExt(), K, W);
  // the TypeScript reference; with the kernels loaded, one wasm call computes the same coefficients
  const deepPolynomialTs = (): ExtVec => {
    const s1 = combineBase(traceCoeffs, deep.trace, D);
    const s3 = extZeros(D);
    chunks.forEach((c, k) => extAxpy(s3, deep.chunks[k] as Ext, c));
    const atZ = extZeros(D);
    extAxpy(atZ, [1, 0, 0, 0], s1);
    extAxpy(atZ, [1, 0, 0, 0], s3);
    const f = extZeros(D);
    extAxpy(f, [1, 0, 0, 0], divideByLinear(extSubConstant(atZ, evalExt(atZ, z)), z));
    const shifted = extZeros(D);
    extAxpy(shifted, deep.shifted, s1);
    extAxpy(f, [1, 0, 0, 0], divideByLinear(extSubConstant(shifted, evalExt(shifted, zw)), zw));
    extAxpy(f, deep.mask, mask);
    return f;
  };
  const kernels = wasmKernels();
  const f =
    kernels === null
      ? deepPolynomialTs()
      : (kernels.deepPolynomial(traceCoeffs, chunks, mask, [
          ...deep.trace,
          ...deep.chunks,
          deep.shifted,
          deep.mask,
          z,
          zw,
        ]) as ExtVec);

  lap("deep");
  // 9 ----- FRI on F over the LDE coset
  const shape = friShape(D, N, options.foldingLog2, options.remainderLog2);
  const fri = friCommit(f, shape, g, transcript);

  lap("fri");
  // 10 ----- grinding, then the query positions
  const powNonce = transcript.grind(options.grindingBits);
  transcript.absorbWords("pow-nonce", [powNonce % 2 ** 32, Math.floor(powNonce / 2 ** 32)]);
  const positions = uniqueSorted(transcript.queryPositions(options.numQueries, N), N);

  lap("grinding");
  // 11 ----- open the trace, the composition and the FRI layers
  const open = (tree: MerkleTree, cols: Uint32Array[], salts: Uint32Array): MatrixOpening => ({
    rows: positions.map((i) => Uint32Array.from(cols, (c) => c[i] as number)),
    salts: positions.map((i) => salts.slice(i * SALT_WORDS, (i + 1) * SALT_WORDS)),
    auth: openBatch(tree, positions),
  });
  const result: StarkProof = {
    options,
    traceRoot: treeRoot(traceTree),
    compositionRoot: treeRoot(compTree),
    ood,
    friRoots: fri.trees.map(treeRoot),
    remainder: fri.remainder,
    powNonce,
    traceOpening: open(traceTree, traceLde, traceSalts),
    compositionOpening: open(compTree, compColumns, compSalts),
    friOpenings: friOpen(fri, shape, positions),
  };
  lap("openings");
  return result;
}
