/**
 * Proof options, the derived protocol parameters, the conjectured security level computed the way Winterfell
 * computes it, and the verifier's allow-list of acceptable options.
 *
 * Conjectured security (Winterfell `get_conjectured_security`):
 *   field bound  = log2|F_ext| − log2(LDE domain size)            (31·4 − log2 N)
 *   query bound  = queries · log2(blowup) (+ grinding bits when that product is already ≥ 80)
 *   security     = min(field bound, query bound) − 1, capped at the Merkle hash's collision resistance (128).
 * Here "blowup" is the FRI rate inverse N / D, where D is the degree bound of the committed polynomials (the
 * zero-knowledge randomisers make D larger than the trace length), so each query is worth log2(N / D) bits.
 */
import { EXT_DEGREE, MODULUS_BITS } from "./field";
import { HASH_COLLISION_BITS } from "./merkle";

/** Parameters a proof is made with (all carried in the proof header). */
export interface ProofOptions {
  /** FRI query count (1..255). */
  readonly numQueries: number;
  /** log2 of the FRI blowup N / D (2..6). */
  readonly blowupLog2: number;
  /** Proof-of-work bits before the queries are drawn (0..24). */
  readonly grindingBits: number;
  /** log2 of the FRI folding factor (1..4). */
  readonly foldingLog2: number;
  /** log2 of the largest degree bound sent as a plain remainder polynomial (0..8). */
  readonly remainderLog2: number;
}

/** Production options: 31 queries at blowup 8 plus 10 bits of grinding, 102 bits conjectured. */
export const PRODUCTION_OPTIONS: ProofOptions = Object.freeze({
  numQueries: 31,
  blowupLog2: 3,
  grindingBits: 10,
  foldingLog2: 3,
  remainderLog2: 4,
});

/** A stronger preset (40 queries at blowup 8, no grinding): 113 bits conjectured, bigger and slower. */
export const HIGH_SECURITY_OPTIONS: ProofOptions = Object.freeze({
  numQueries: 40,
  blowupLog2: 3,
  grindingBits: 0,
  foldingLog2: 3,
  remainderLog2: 4,
});

/** Fast, insecure options for tests that do not depend on the security level (about 20 bits). */
export const TEST_OPTIONS: ProofOptions = Object.freeze({
  numQueries: 8,
  blowupLog2: 3,
  grindingBits: 0,
  foldingLog2: 2,
  remainderLog2: 3,
});

/** What the verifier accepts: an allow-list of exact option sets and a floor on conjectured security. */
export interface AcceptableOptions {
  readonly options: readonly ProofOptions[];
  readonly minSecurityBits: number;
}

/** The default verifier policy: production options only, at least 100 bits. */
export const DEFAULT_ACCEPTABLE: AcceptableOptions = Object.freeze({
  options: Object.freeze([PRODUCTION_OPTIONS, HIGH_SECURITY_OPTIONS]),
  minSecurityBits: 100,
});

/** Parameters derived from the options and the trace length. */
export interface DerivedParams {
  /** Trace length n (rows). */
  readonly traceLength: number;
  /** Degree bound D of committed trace and composition columns (power of two). */
  readonly degreeBound: number;
  /** Trace randomiser degree h = D − n (≥ 2·queries + 2). */
  readonly traceRandomizer: number;
  /** LDE domain size N = D · blowup. */
  readonly ldeSize: number;
  /** Size of the domain the composition polynomial is evaluated on (4·D). */
  readonly quotientDomainSize: number;
  /** Coefficient count of each composition chunk before randomisation. */
  readonly chunkSize: number;
  /** Number of composition chunks. */
  readonly numChunks: number;
}

/** True if two option sets are identical. */
export function optionsEqual(a: ProofOptions, b: ProofOptions): boolean {
  return (
    a.numQueries === b.numQueries &&
    a.blowupLog2 === b.blowupLog2 &&
    a.grindingBits === b.grindingBits &&
    a.foldingLog2 === b.foldingLog2 &&
    a.remainderLog2 === b.remainderLog2
  );
}

function checkInt(name: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  if (v < lo || v > hi) throw new RangeError(`${name} must be in ${lo}..${hi}, got ${v}`);
}

/** Validates option ranges; throws a TypeError or RangeError naming the bad field. */
export function validateOptions(o: ProofOptions): void {
  if (typeof o !== "object" || o === null) throw new TypeError("options must be an object");
  checkInt("numQueries", o.numQueries, 1, 255);
  checkInt("blowupLog2", o.blowupLog2, 2, 6);
  checkInt("grindingBits", o.grindingBits, 0, 24);
  checkInt("foldingLog2", o.foldingLog2, 1, 4);
  checkInt("remainderLog2", o.remainderLog2, 0, 8);
}

/**
 * Derives the protocol sizes for a trace of `traceLength` rows whose constraints have degree ≤ 3 (in the trace
 * polynomials, after dividing out the periodic selectors' contribution).
 */
export function deriveParams(o: ProofOptions, traceLength: number): DerivedParams {
  validateOptions(o);
  const minDegree = traceLength + 2 * o.numQueries + 2;
  let degreeBound = traceLength;
  while (degreeBound < minDegree) degreeBound *= 2;
  const ldeSize = degreeBound << o.blowupLog2;
  const quotientDomainSize = 4 * degreeBound;
  // composition Q has degree ≤ 3(D − 1); its chunks keep (queries + 1) coefficients of room for randomisers
  const quotientCoeffs = 3 * (degreeBound - 1) + 1;
  const maxChunk = degreeBound - (o.numQueries + 1);
  const numChunks = Math.ceil(quotientCoeffs / maxChunk);
  const chunkSize = Math.ceil(quotientCoeffs / numChunks);
  return {
    traceLength,
    degreeBound,
    traceRandomizer: degreeBound - traceLength,
    ldeSize,
    quotientDomainSize,
    chunkSize,
    numChunks,
  };
}

/** Conjectured security in bits for these options and trace length (Winterfell's formula, see the header). */
export function conjecturedSecurity(o: ProofOptions, traceLength: number): number {
  const p = deriveParams(o, traceLength);
  const fieldBound = MODULUS_BITS * EXT_DEGREE - Math.log2(p.ldeSize);
  let queryBound = o.numQueries * o.blowupLog2;
  if (queryBound >= 80) queryBound += o.grindingBits;
  return Math.min(Math.min(fieldBound, queryBound) - 1, HASH_COLLISION_BITS);
}

/** True if the options are in the allow-list and reach its security floor. */
export function isAcceptable(o: ProofOptions, traceLength: number, acceptable: AcceptableOptions): boolean {
  if (!acceptable.options.some((a) => optionsEqual(a, o))) return false;
  return conjecturedSecurity(o, traceLength) >= acceptable.minSecurityBits;
}
