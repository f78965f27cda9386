/**
 * Proof options, the derived protocol parameters, the security levels computed the way Winterfell computes them
 * (conjectured and provable), and the verifier's allow-list of acceptable options.
 *
 * Conjectured security (Winterfell `ConjecturedSecurity::compute`, eprint 2021/582 Conjecture 1):
 *   field bound  = log2|F_ext| − log2(LDE domain size)            (31·4 − log2 N)
 *   query bound  = queries · log2(blowup) (+ grinding bits when that product is already ≥ 80)
 *   security     = min(field bound, query bound) − 1, capped at the Merkle hash's collision resistance (128).
 * Provable security (Winterfell `ProvenSecurity::compute`, eprint 2024/1553 Theorems 2 and 3): the round-by-round
 * soundness in the unique-decoding regime and, maximised over the proximity parameter m, in the list-decoding
 * regime, each capped at 128; the provable figure is the larger of the two (`provenSecurityBits` below).
 * Here "blowup" is the FRI rate inverse N / D, where D is the degree bound of the committed polynomials (the
 * zero-knowledge randomisers make D larger than the trace length), and D stands in for Winterfell's trace domain
 * size, so each query is worth log2(N / D) bits.
 */
import { EXT_DEGREE, MODULUS_BITS } from "./field";
import { friShape } from "./fri";
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

/**
 * Provable security ≥ 100 bits by the unique-decoding bound (about 100 queries at blowup 16 plus 12 bits of
 * grinding; the zero-knowledge rule raises the degree bound to 256): much bigger and slower than production.
 */
export const HIGH_PROVABLE_OPTIONS: ProofOptions = Object.freeze({
  numQueries: 100,
  blowupLog2: 4,
  grindingBits: 12,
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

/** The default verifier policy: the three presets only, at least 100 bits conjectured. */
export const DEFAULT_ACCEPTABLE: AcceptableOptions = Object.freeze({
  options: Object.freeze([PRODUCTION_OPTIONS, HIGH_SECURITY_OPTIONS, HIGH_PROVABLE_OPTIONS]),
  minSecurityBits: 100,
});

/** The named presets a user can pick (CLI `--preset`). */
export const PRESETS = Object.freeze({
  production: PRODUCTION_OPTIONS,
  "high-security": HIGH_SECURITY_OPTIONS,
  "high-provable": HIGH_PROVABLE_OPTIONS,
});

/** A preset name. */
export type PresetName = keyof typeof PRESETS;

/** The preset names, default first. */
export const PRESET_NAMES: readonly PresetName[] = Object.freeze(Object.keys(PRESETS) as PresetName[]);

/** Parameters derived from the options and the trace length. */
export interface DerivedParams {
  /** Trace length n (rows). */
  readonly traceLength: number;
  /** Degree bound D of committed trace and composition columns (power of two). */
  readonly degreeBound: number;
  /** Trace randomiser degree h = D − n (≥ 2·queries + 2·EXT_DEGREE, `minTraceRandomizer`). */
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
 * The smallest trace randomiser degree h that keeps every value the verifier sees of a trace column uniform: a
 * column t̂_j = t_j + Z_H·r_j is seen at the q query points and (conservatively) their q next-row points, one base
 * field value each, and at the two out-of-domain points z and ω·z, which lie in the degree-4 extension, so each of
 * those openings is EXT_DEGREE linear conditions on r_j: h ≥ 2q + 2·EXT_DEGREE. (The composition chunks need no such
 * correction: their masks are extension polynomials, four independent base coordinates of degree < D − M ≥ q + 1,
 * and q + 1 coefficients per coordinate make the q base values and the one extension value at z uniform.)
 */
export function minTraceRandomizer(numQueries: number): number {
  return 2 * numQueries + 2 * EXT_DEGREE;
}

/**
 * Derives the protocol sizes for a trace of `traceLength` rows whose constraints have degree ≤ 3 (in the trace
 * polynomials, after dividing out the periodic selectors' contribution). The degree bound D is the smallest power
 * of two with D − traceLength ≥ minTraceRandomizer(queries), so every accepted option set is zero-knowledge.
 */
export function deriveParams(o: ProofOptions, traceLength: number): DerivedParams {
  validateOptions(o);
  const minDegree = traceLength + minTraceRandomizer(o.numQueries);
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

/** What Winterfell's proven-security estimate depends on (its `ProvenSecurity::compute` inputs, made explicit). */
export interface ProvenSecurityInputs {
  /** Bits of the extension field the challenges are drawn from (base field bits × extension degree). */
  readonly extensionFieldBits: number;
  /** Winterfell's trace domain size: here the degree bound D of the committed polynomials (a power of two). */
  readonly traceDomainSize: number;
  /** LDE domain size / traceDomainSize (a power of two). */
  readonly blowup: number;
  readonly numQueries: number;
  readonly grindingBits: number;
  readonly foldingFactor: number;
  /** Number of committed FRI layers. */
  readonly numFriLayers: number;
  /** Collision resistance of the commitment hash (caps both figures). */
  readonly collisionBits: number;
}

/** Provable security in bits in the two decoding regimes. */
export interface ProvenSecurityBits {
  readonly uniqueDecoding: number;
  readonly listDecoding: number;
}

/** Winterfell folds its error terms with f64::min, which ignores NaN; Math.min would propagate it. */
function minIgnoringNaN(xs: readonly number[]): number {
  return xs.reduce((a, b) => (Number.isNaN(b) ? a : Number.isNaN(a) ? b : Math.min(a, b)), Infinity);
}

/** Rust's saturating `f64 as u64`: NaN and negatives become 0, the rest is truncated. */
function asWhole(x: number): number {
  return Number.isNaN(x) || x <= 0 ? 0 : Math.floor(x);
}

/** Proximity-parameter search range of the list-decoding bound: m in [3, mMax) (Winterfell `compute_upper_m`). */
function upperProximity(h: number): number {
  const mMax = Math.ceil(1 / (2 * (Math.sqrt((h + 2) / h) - 1)));
  return Math.min(mMax, 1000);
}

/** Unique-decoding regime (eprint 2024/1553 Theorem 3), before the collision cap. */
function uniqueDecodingBits(i: ProvenSecurityInputs): number {
  const field = i.extensionFieldBits;
  const n = i.traceDomainSize;
  const lde = n * i.blowup;
  const openings = 2; // z and ω·z
  const maxDeg = i.blowup + 1; // the blowup bounds the constraint degree
  const alpha = (1 + (n + openings) / lde) / 2;
  const terms = [
    field, // ALI
    field - Math.log2(maxDeg * (n + openings - 1) + (n - 1)), // DEEP
    field - Math.log2(lde), // FRI commit phase
  ];
  if (i.numFriLayers > 0) terms.push(field - Math.log2((i.foldingFactor - 1) * (lde + 1))); // FRI folding rounds
  terms.push(i.grindingBits - i.numQueries * Math.log2(alpha)); // FRI query phase
  return asWhole(minIgnoringNaN(terms));
}

/** List-decoding regime (eprint 2024/1553 Theorem 2) at proximity parameter m, before the collision cap. */
function listDecodingBitsAt(i: ProvenSecurityInputs, m: number): number {
  const field = i.extensionFieldBits;
  const n = i.traceDomainSize;
  const lde = n * i.blowup;
  const openings = 2;
  const maxDeg = i.blowup + 1;
  const rho = 1 / i.blowup;
  const alpha = (1 + 0.5 / m) * Math.sqrt(rho);
  const listSize = m / (rho - (2 * m) / lde);
  const terms = [
    field - Math.log2(listSize), // ALI
    field - Math.log2(listSize * listSize * (maxDeg * (n + openings - 1) + (n - 1))), // DEEP
    field - Math.log2(((0.5 * (m + 0.5) ** 7) / rho ** 1.5) * lde ** 2), // FRI commit phase
    i.grindingBits - i.numQueries * Math.log2(alpha), // FRI query phase
  ];
  return asWhole(minIgnoringNaN(terms));
}

/**
 * Provable security as Winterfell's `ProvenSecurity::compute` computes it: the unique-decoding bound and the best
 * list-decoding bound over m in [3, m_max), each capped at the collision resistance.
 */
export function provenSecurityBits(i: ProvenSecurityInputs): ProvenSecurityBits {
  let best = 0;
  for (let m = 3; m < upperProximity(i.traceDomainSize); m++) best = Math.max(best, listDecodingBitsAt(i, m));
  return {
    uniqueDecoding: Math.min(uniqueDecodingBits(i), i.collisionBits),
    listDecoding: Math.min(best, i.collisionBits),
  };
}

/** Every security figure of one option set. */
export interface SecurityLevels {
  /** Winterfell's conjectured security (what the verifier's floor is checked against). */
  readonly conjectured: number;
  /** The larger of the two provable bounds. */
  readonly provable: number;
  readonly uniqueDecoding: number;
  readonly listDecoding: number;
}

const levelsCache = new Map<string, SecurityLevels>();

/** The conjectured and provable security of these options at this trace length (memoised: a pure function). */
export function securityLevels(o: ProofOptions, traceLength: number): SecurityLevels {
  const key = `${o.numQueries},${o.blowupLog2},${o.grindingBits},${o.foldingLog2},${o.remainderLog2},${traceLength}`;
  const cached = levelsCache.get(key);
  if (cached !== undefined) return cached;
  const levels = computeSecurityLevels(o, traceLength);
  if (levelsCache.size >= 64) levelsCache.clear();
  levelsCache.set(key, Object.freeze(levels));
  return levels;
}

function computeSecurityLevels(o: ProofOptions, traceLength: number): SecurityLevels {
  const p = deriveParams(o, traceLength);
  const shape = friShape(p.degreeBound, p.ldeSize, o.foldingLog2, o.remainderLog2);
  const proven = provenSecurityBits({
    extensionFieldBits: MODULUS_BITS * EXT_DEGREE,
    traceDomainSize: p.degreeBound,
    blowup: p.ldeSize / p.degreeBound,
    numQueries: o.numQueries,
    grindingBits: o.grindingBits,
    foldingFactor: 2 ** o.foldingLog2,
    numFriLayers: shape.domainSizes.length,
    collisionBits: HASH_COLLISION_BITS,
  });
  return {
    conjectured: conjecturedSecurity(o, traceLength),
    provable: Math.max(proven.uniqueDecoding, proven.listDecoding),
    ...proven,
  };
}

/** True if the options are in the allow-list and reach its security floor. */
export function isAcceptable(o: ProofOptions, traceLength: number, acceptable: AcceptableOptions): boolean {
  if (!acceptable.options.some((a) => optionsEqual(a, o))) return false;
  return conjecturedSecurity(o, traceLength) >= acceptable.minSecurityBits;
}
