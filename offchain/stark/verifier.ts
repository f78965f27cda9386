/**
 * The compliance STARK verifier. It never imports the prover: it replays the transcript from the proof's
 * commitments, checks the options against the caller's allow-list before any other work, checks the constraint
 * composition at the out-of-domain point, authenticates every opening, recomputes the DEEP values and runs FRI.
 */
import { type AirStatement, validateStatement } from "./air";
import type { StarkAir } from "./engine";
import {
  EXT_W,
  type Ext,
  P,
  eadd,
  ebatchInvert,
  eeq,
  emul,
  epow,
  esub,
  ext,
  mul,
  rootOfUnity,
  rootPower,
} from "./field";
import { friShape, friVerify } from "./fri";
import { DIGEST_WORDS, type Digest, uniqueSorted, verifyRows } from "./merkle";
import { log2 } from "./poly";
import { wasmKernels } from "./wasm";
import {
  DOMAIN_OFFSET,
  type MatrixOpening,
  SALT_WORDS,
  type StarkProof,
  openingAuth,
  openingLeaves,
  untouchedLeaves,
} from "./proof";
import { absorbOod, complianceAir, deepCoefficients, drawOodPoint, powers } from "./protocol";
import { type AcceptableOptions, conjecturedSecurity, deriveParams, optionsEqual, validateOptions } from "./security";

/** Every reason a STARK verification can fail (a closed union). */
export type StarkFailure =
  | "UNACCEPTABLE_OPTIONS"
  | "INSUFFICIENT_SECURITY"
  | "MALFORMED_PROOF"
  | "INVALID_STATEMENT"
  | "OOD_CONSTRAINT_MISMATCH"
  | "POW_INVALID"
  | "TRACE_COMMITMENT_MISMATCH"
  | "COMPOSITION_COMMITMENT_MISMATCH"
  | "FRI_COMMITMENT_MISMATCH"
  | "FRI_FOLDING_MISMATCH"
  | "FRI_REMAINDER_MISMATCH";

/** The outcome of a verification. */
export type StarkVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: StarkFailure };

const fail = (reason: StarkFailure): StarkVerdict => ({ valid: false, reason });

function isDigest(d: unknown): d is Digest {
  return d instanceof Uint32Array && d.length === DIGEST_WORDS;
}

function isExt(e: unknown): e is Ext {
  return Array.isArray(e) && e.length === 4 && e.every((v) => Number.isInteger(v) && v >= 0 && v < P);
}

function isRow(r: unknown, width: number): r is Uint32Array {
  if (!(r instanceof Uint32Array) || r.length !== width) return false;
  for (let i = 0; i < width; i++) if ((r[i] as number) >= P) return false;
  return true;
}

/** Every authentication node of the opening is a digest (one array of them: 8 words each, by construction). */
function authShapeOk(op: MatrixOpening): boolean {
  const auth = openingAuth(op);
  return auth instanceof Uint32Array || auth.every(isDigest);
}

/**
 * The shape check of a parsed opening whose rows and salts were never asked for, from its leaves: the same answer as
 * the checks of its rows and salts (`count` rows when not null, each of `width` canonical words, salts of `saltWords`
 * words when not null, then the authentication nodes); null for any other opening (its rows and salts are checked).
 */
function untouchedShapeOk(
  op: MatrixOpening,
  count: number | null,
  saltWords: number | null,
  width: number,
): boolean | null {
  const u = untouchedLeaves(op);
  if (u === undefined) return null;
  if ((count !== null && u.count !== count) || (saltWords !== null && u.saltWords !== saltWords)) return false;
  if (u.rowWidth !== width) return false;
  const leaves = u.leaves;
  const step = u.saltWords + width;
  for (let o = u.saltWords; o < leaves.length; o += step) {
    for (let j = o; j < o + width; j++) if ((leaves[j] as number) >= P) return false;
  }
  return authShapeOk(op);
}

function authenticate(root: Digest, n: number, positions: number[], op: MatrixOpening, rowWidth: number): boolean {
  const leaves = openingLeaves(op, SALT_WORDS, rowWidth);
  return verifyRows(root, n, positions, leaves, SALT_WORDS + rowWidth, openingAuth(op));
}

/** Copies the opening's rows (`width` words each, checked) one after the other into `out`. */
function copyRows(op: MatrixOpening, out: Uint32Array, width: number): void {
  const u = untouchedLeaves(op);
  if (u === undefined) {
    for (let i = 0; i < op.rows.length; i++) out.set(op.rows[i] as Uint32Array, i * width);
    return;
  }
  const leaves = u.leaves;
  for (let i = 0, o = u.saltWords, at = 0; i < u.count; i++, o += u.saltWords + width) {
    for (let j = 0; j < width; j++) out[at++] = leaves[o + j] as number;
  }
}

/** deepValuesWasm's scratch words (grown as needed). */
let deepScratch = new Uint32Array(0);

/**
 * The DEEP values at the query points from the wasm kernel (one call), or null when the kernels are off or it
 * declines (a zero denominator): the TypeScript computation then answers.
 */
function deepValuesWasm(
  xs: readonly number[],
  W: number,
  K: number,
  to: MatrixOpening,
  co: MatrixOpening,
  deep: { readonly trace: Ext[]; readonly shifted: Ext; readonly chunks: Ext[]; readonly mask: Ext },
  atZ: Ext,
  s1zw: Ext,
  z: Ext,
  zw: Ext,
): Ext[] | null {
  const k = wasmKernels();
  if (k === null || deep.trace.length !== W || deep.chunks.length !== K) return null;
  const count = xs.length;
  const compWidth = 4 * (K + 1);
  const coefWords = 4 * (W + K + 6);
  // the kernel's inputs as views of one shared scratch array (the kernel copies them before answering)
  const rowsAt = coefWords + count;
  const compAt = rowsAt + count * W;
  const end = compAt + count * compWidth;
  if (deepScratch.length < end) deepScratch = new Uint32Array(end);
  const coef = deepScratch.subarray(0, coefWords);
  const points = deepScratch.subarray(coefWords, rowsAt);
  const rows = deepScratch.subarray(rowsAt, compAt);
  const comp = deepScratch.subarray(compAt, end);
  copyRows(to, rows, W);
  copyRows(co, comp, compWidth);
  for (let i = 0; i < count; i++) points[i] = xs[i] as number;
  let at = 0;
  const put = (e: Ext): void => {
    coef.set(e, at);
    at += 4;
  };
  for (const e of deep.trace) put(e);
  for (const e of deep.chunks) put(e);
  for (const e of [deep.shifted, deep.mask, atZ, s1zw, z, zw]) put(e);
  return k.deepValues(points, W, K, rows, comp, coef);
}

/**
 * Σ a[j]·b[j] in F_p^4 over j < count (count < 2^18), as the sum of emul products but with one tuple: each coordinate
 * is an exact sum of reduced products in doubles (< 10p per term, < 2^53 in all), reduced once.
 */
function edot(a: readonly Ext[], b: readonly Ext[], count: number): Ext {
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  for (let j = 0; j < count; j++) {
    const x = a[j] as Ext;
    const y = b[j] as Ext;
    c0 += mul(x[0], y[0]) + EXT_W * (mul(x[1], y[3]) + mul(x[2], y[2]) + mul(x[3], y[1]));
    c1 += mul(x[0], y[1]) + mul(x[1], y[0]) + EXT_W * (mul(x[2], y[3]) + mul(x[3], y[2]));
    c2 += mul(x[0], y[2]) + mul(x[1], y[1]) + mul(x[2], y[0]) + EXT_W * mul(x[3], y[3]);
    c3 += mul(x[0], y[3]) + mul(x[1], y[2]) + mul(x[2], y[1]) + mul(x[3], y[0]);
  }
  return [c0 % P, c1 % P, c2 % P, c3 % P];
}

/** The Fiat–Shamir challenges of a proof, as the verifier derives them. */
export interface ReplayedChallenges {
  readonly alphas: Ext[];
  readonly z: Ext;
  readonly betas: Ext[];
  readonly positions: number[];
}

/**
 * Re-derives the challenges of a (well-formed) proof from its commitments, for inspection and analysis tools.
 * It checks nothing: use verifyAir to verify.
 */
export function replayChallenges(proof: StarkProof, statement: AirStatement, context: Uint8Array): ReplayedChallenges {
  return replayStarkChallenges(proof, complianceAir(statement, context));
}

/** replayChallenges for any StarkAir. */
export function replayStarkChallenges(proof: StarkProof, air: StarkAir): ReplayedChallenges {
  const params = deriveParams(proof.options, air.traceLength);
  const t = air.seedTranscript(proof.options, params);
  t.absorbWords("trace-root", proof.traceRoot);
  const alphas = powers(t.challengeExt(), air.numConstraints);
  t.absorbWords("composition-root", proof.compositionRoot);
  const z = drawOodPoint(t, params.ldeSize, air.traceLength);
  absorbOod(t, proof.ood);
  t.challengeExt();
  const betas = proof.friRoots.map((root) => {
    t.absorbWords("fri-root", root);
    return t.challengeExt();
  });
  t.absorbWords("fri-remainder", proof.remainder.flat());
  t.absorbWords("pow-nonce", [proof.powNonce % 2 ** 32, Math.floor(proof.powNonce / 2 ** 32)]);
  const positions = uniqueSorted(t.queryPositions(proof.options.numQueries, params.ldeSize), params.ldeSize);
  return { alphas, z, betas, positions };
}

/**
 * Verifies a proof of `statement` bound to `context`, accepting only options in `acceptable`.
 * Never throws for a bad proof: every failure is a StarkFailure.
 */
export function verifyAir(
  proof: StarkProof,
  statement: AirStatement,
  context: Uint8Array,
  acceptable: AcceptableOptions,
): StarkVerdict {
  let valid = context instanceof Uint8Array;
  try {
    validateStatement(statement);
  } catch {
    valid = false;
  }
  return verifyStark(proof, complianceAir(statement, context), acceptable, valid);
}

/**
 * Verifies a proof for any StarkAir, accepting only options in `acceptable`; `statementValid` false (the caller's
 * own statement check failed) answers INVALID_STATEMENT once the options have been checked.
 * Never throws for a bad proof: every failure is a StarkFailure.
 */
export function verifyStark(
  proof: StarkProof,
  air: StarkAir,
  acceptable: AcceptableOptions,
  statementValid = true,
): StarkVerdict {
  const n = air.traceLength;
  const W = air.traceWidth;
  // 0 ----- the proof's options must be acceptable before anything else is looked at
  if (typeof acceptable !== "object" || acceptable === null || !Array.isArray(acceptable.options)) {
    throw new TypeError("acceptable must be an AcceptableOptions object");
  }
  const o = proof.options;
  try {
    validateOptions(o);
  } catch {
    return fail("UNACCEPTABLE_OPTIONS");
  }
  if (!acceptable.options.some((a) => optionsEqual(a, o))) return fail("UNACCEPTABLE_OPTIONS");
  if (conjecturedSecurity(o, n) < acceptable.minSecurityBits) return fail("INSUFFICIENT_SECURITY");
  if (!statementValid) return fail("INVALID_STATEMENT");

  // 1 ----- shape of the proof
  const params = deriveParams(o, n);
  const { ldeSize: N, numChunks: K, chunkSize: M } = params;
  const shape = friShape(params.degreeBound, N, o.foldingLog2, o.remainderLog2);
  const compWidth = 4 * (K + 1);
  const { ood } = proof;
  if (
    !isDigest(proof.traceRoot) ||
    !isDigest(proof.compositionRoot) ||
    ood.traceZ.length !== W ||
    ood.traceZw.length !== W ||
    ood.chunksZ.length !== K ||
    ![...ood.traceZ, ...ood.traceZw, ...ood.chunksZ].every(isExt) ||
    proof.friRoots.length !== shape.domainSizes.length ||
    !proof.friRoots.every(isDigest) ||
    proof.remainder.length !== shape.remainderBound ||
    !proof.remainder.every(isExt) ||
    proof.friOpenings.length !== shape.domainSizes.length ||
    !Number.isSafeInteger(proof.powNonce) ||
    proof.powNonce < 0
  ) {
    return fail("MALFORMED_PROOF");
  }

  // 2 ----- replay the transcript
  const t = air.seedTranscript(o, params);
  t.absorbWords("trace-root", proof.traceRoot);
  const alphas = powers(t.challengeExt(), air.numConstraints);
  t.absorbWords("composition-root", proof.compositionRoot);
  const z = drawOodPoint(t, N, n);
  absorbOod(t, ood);
  const deep = deepCoefficients(t.challengeExt(), K, W);
  const betas: Ext[] = [];
  for (const root of proof.friRoots) {
    t.absorbWords("fri-root", root);
    betas.push(t.challengeExt());
  }
  t.absorbWords("fri-remainder", proof.remainder.flat());
  if (!t.checkPow(proof.powNonce, o.grindingBits)) return fail("POW_INVALID");
  t.absorbWords("pow-nonce", [proof.powNonce % 2 ** 32, Math.floor(proof.powNonce / 2 ** 32)]);
  const positions = uniqueSorted(t.queryPositions(o.numQueries, N), N);

  // 3 ----- the composition must match the constraints at z
  const w = rootOfUnity(log2(n));
  const expected = air.quotientAt(ood.traceZ, ood.traceZw, z, alphas);
  const zM = epow(z, M);
  let claimed: Ext = [0, 0, 0, 0];
  for (let k = K - 1; k >= 0; k--) claimed = eadd(emul(claimed, zM), ood.chunksZ[k] as Ext);
  if (!eeq(claimed, expected)) return fail("OOD_CONSTRAINT_MISMATCH");

  // 4 ----- authenticate the trace and composition openings
  const to = proof.traceOpening;
  const co = proof.compositionOpening;
  const shapeOk = (op: MatrixOpening, width: number): boolean =>
    untouchedShapeOk(op, positions.length, SALT_WORDS, width) ??
    (op.rows.length === positions.length &&
      op.salts.length === positions.length &&
      op.rows.every((r) => isRow(r, width)) &&
      op.salts.every((s) => s instanceof Uint32Array && s.length === SALT_WORDS) &&
      authShapeOk(op));
  if (!shapeOk(to, W) || !shapeOk(co, compWidth)) return fail("MALFORMED_PROOF");
  if (!authenticate(proof.traceRoot, N, positions, to, W)) return fail("TRACE_COMMITMENT_MISMATCH");
  if (!authenticate(proof.compositionRoot, N, positions, co, compWidth)) return fail("COMPOSITION_COMMITMENT_MISMATCH");

  // 5 ----- DEEP values F(x) at the query points
  const zw: Ext = [mul(z[0], w), mul(z[1], w), mul(z[2], w), mul(z[3], w)];
  const s1zw = edot(deep.trace, ood.traceZw, W);
  const atZ = eadd(edot(deep.trace, ood.traceZ, W), edot(deep.chunks, ood.chunksZ, K));
  const logN = log2(N);
  const xs = positions.map((p) => mul(DOMAIN_OFFSET, rootPower(logN, p)));
  // the TypeScript reference, when the kernels are off (or decline)
  const deepValuesTs = (): Ext[] => {
    const inv = ebatchInvert([...xs.map((x) => esub(ext(x), z)), ...xs.map((x) => esub(ext(x), zw))]);
    // trace and chunk sums accumulated as exact sums of reduced products (< 2^53), one reduction per coordinate
    const dt0 = deep.trace.map((c) => c[0]);
    const dt1 = deep.trace.map((c) => c[1]);
    const dt2 = deep.trace.map((c) => c[2]);
    const dt3 = deep.trace.map((c) => c[3]);
    return positions.map((_, i) => {
      const row = to.rows[i] as Uint32Array;
      const comp = co.rows[i] as Uint32Array;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let j = 0; j < W; j++) {
        const v = row[j] as number;
        a0 += mul(dt0[j] as number, v);
        a1 += mul(dt1[j] as number, v);
        a2 += mul(dt2[j] as number, v);
        a3 += mul(dt3[j] as number, v);
      }
      const s1: Ext = [a0 % P, a1 % P, a2 % P, a3 % P];
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let k = 0; k < K; k++) {
        const c = deep.chunks[k] as Ext;
        const q0 = comp[4 * k] as number;
        const q1 = comp[4 * k + 1] as number;
        const q2 = comp[4 * k + 2] as number;
        const q3 = comp[4 * k + 3] as number;
        b0 += mul(c[0], q0) + 3 * (mul(c[1], q3) + mul(c[2], q2) + mul(c[3], q1));
        b1 += mul(c[0], q1) + mul(c[1], q0) + 3 * (mul(c[2], q3) + mul(c[3], q2));
        b2 += mul(c[0], q2) + mul(c[1], q1) + mul(c[2], q0) + 3 * mul(c[3], q3);
        b3 += mul(c[0], q3) + mul(c[1], q2) + mul(c[2], q1) + mul(c[3], q0);
      }
      const s3: Ext = [b0 % P, b1 % P, b2 % P, b3 % P];
      const r: Ext = [
        comp[4 * K] as number,
        comp[4 * K + 1] as number,
        comp[4 * K + 2] as number,
        comp[4 * K + 3] as number,
      ];
      const a = emul(esub(eadd(s1, s3), atZ), inv[i] as Ext);
      const b = emul(emul(deep.shifted, esub(s1, s1zw)), inv[positions.length + i] as Ext);
      return eadd(eadd(a, b), emul(deep.mask, r));
    });
  };
  const firstValues = deepValuesWasm(xs, W, K, to, co, deep, atZ, s1zw, z, zw) ?? deepValuesTs();

  // 6 ----- FRI
  const friShapeOk = (op: MatrixOpening): boolean =>
    untouchedShapeOk(op, null, null, 4 * shape.folding) ??
    (authShapeOk(op) && op.rows.every((r) => isRow(r, 4 * shape.folding)));
  if (!proof.friOpenings.every(friShapeOk)) {
    return fail("MALFORMED_PROOF");
  }
  const friFailure = friVerify(
    shape,
    N,
    DOMAIN_OFFSET,
    proof.friRoots,
    betas,
    proof.remainder,
    proof.friOpenings,
    positions,
    firstValues,
  );
  if (friFailure !== null) return fail(friFailure);
  return { valid: true };
}
