/**
 * Loader of the STARK prover's and verifier's WebAssembly kernels (sources in ./assembly, compiled at install time by
 * scripts/build-wasm.js into dist/wasm/stark-kernels.wasm next to a stamp: the SHA-256 of the AssemblyScript sources
 * and of the compiler's version). The module is instantiated synchronously on first use, and only when the stamp
 * equals the hash of the sources read now: output older than its sources is never run. Otherwise (or with
 * VES_STARK_WASM=0) `wasmKernels()` answers null, the callers run the TypeScript reference, and a missing or stale
 * build is said once on stderr. VES_STARK_WASM_DIR overrides dist/wasm.
 *
 * The kernels give the same outputs as the TypeScript functions they stand in for (poly.ts ntt, intt and
 * cosetEvaluate; merkle.ts buildTree; transcript.ts grind; air/compose.ts composeQuotient);
 * test/offchain/stark/wasm.test.ts checks it.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

/** The part of the WebAssembly JS API used here (the compiler's lib has no DOM, and @types/node 20 declares none). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const Wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/** The compiled module's file name in the wasm directory. */
export const WASM_FILE = "stark-kernels.wasm";
/** The stamp's file name in the wasm directory (one line: the hex SHA-256 of sourcesHash). */
export const STAMP_FILE = "stark-kernels.stamp";
/** The AssemblyScript sources (every file in it is hashed, asconfig.json included). */
export const ASSEMBLY_DIR = path.join(__dirname, "assembly");
const ROOT = path.resolve(__dirname, "..", "..", "..");

/** The directory holding the compiled kernels: VES_STARK_WASM_DIR, else dist/wasm. */
export function wasmDir(): string {
  const dir = process.env.VES_STARK_WASM_DIR;
  return dir !== undefined && dir !== "" ? path.resolve(dir) : path.join(ROOT, "dist", "wasm");
}

/** The installed AssemblyScript compiler's version, or "none" (then no build can be fresh). */
function ascVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(require.resolve("assemblyscript/package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "none";
  } catch {
    return "none";
  }
}

/**
 * SHA-256 (hex) over the compiler's version and every file of the AssemblyScript sources (name, length, bytes, in
 * name order). scripts/build-wasm.js computes the same hash when it writes the stamp.
 */
export function sourcesHash(dir: string = ASSEMBLY_DIR, version: string = ascVersion()): string {
  const h = createHash("sha256").update(`assemblyscript ${version}\n`);
  for (const name of readdirSync(dir).sort()) {
    const bytes = readFileSync(path.join(dir, name));
    h.update(`${name}\n${bytes.length}\n`).update(bytes);
  }
  return h.digest("hex");
}

/** The raw exports of the module (pointers are byte offsets into `memory`). */
interface Exports {
  readonly memory: WasmMemory;
  arenaStart(): number;
  maxLogN(): number;
  ntt(ptr: number, logN: number): void;
  intt(ptr: number, logN: number): void;
  cosetEvaluate(
    coeffs: number,
    len: number,
    count: number,
    shift: number,
    logN: number,
    out: number,
    scratch: number,
  ): void;
  merkleTree(
    leaves: number,
    leafCount: number,
    leafWords: number,
    nodes: number,
    leafKey: number,
    nodeKey: number,
  ): void;
  gatherRows(salts: number, saltWords: number, cols: number, width: number, leafCount: number, leaves: number): void;
  grind(msg: number, bits: number): bigint;
  composeCompliance(lde: number, N: number, QN: number, tab: number, co: number, gather: number, out: number): void;
  hashLeaves(leaves: number, count: number, leafWords: number, leafKey: number, out: number): void;
  quotientAtPoint(input: number, scratch: number, out: number): void;
  deepPolynomial(
    D: number,
    W: number,
    K: number,
    trace: number,
    chunks: number,
    mask: number,
    coef: number,
    scratch: number,
    out: number,
  ): void;
  deepValues(
    count: number,
    W: number,
    K: number,
    rows: number,
    comp: number,
    coef: number,
    xs: number,
    scratch: number,
    out: number,
  ): number;
  foldRows(rows: number, count: number, f: number, beta: number, xInvs: number, wInv: number, out: number): void;
  verifyBatch(
    root: number,
    count: number,
    level: number,
    digests: number,
    auth: number,
    authCount: number,
    nodeKey: number,
    msgs: number,
  ): number;
  evalAtPoints(
    polys: number,
    len: number,
    count: number,
    points: number,
    numPoints: number,
    pows: number,
    out: number,
  ): void;
}

/** Rows of the composition kernel's table (composeCompliance): FULL, PART, RC0..15, W0..W2, ELL, 5 divisor inverses. */
export const COMPOSE_TABLE_ROWS = 27;
const ELL_ROW = 21;
/** Words of the quotientAtPoint input block (see Kernels.quotientAtPoint). */
export const QUOTIENT_AT_WORDS = 96 + 96 + 88 + 8 + 196 + 20 + 176 + 16 + 1;
/** Words of the composition kernel's coefficients: 16 diagonal entries, 61 extension coefficients, 2 constants. */
export const COMPOSE_COEFF_WORDS = 16 + 4 * 61 + 8;

/** The kernels, on plain typed arrays (inputs copied in, outputs copied out). */
export interface Kernels {
  /** Largest NTT / evaluation domain size the kernels take (2^16); callers use TypeScript beyond it. */
  readonly maxSize: number;
  /** In-place forward NTT of canonical elements (poly.ts ntt); returns `a`. */
  ntt(a: Uint32Array): Uint32Array;
  /** In-place inverse NTT (poly.ts intt); returns `a`. */
  intt(a: Uint32Array): Uint32Array;
  /** cosetEvaluate(c, shift, n) of each polynomial, all of one length ≤ n (poly.ts cosetEvaluate). */
  cosetEvaluateMany(coeffs: readonly Uint32Array[], shift: number, n: number): Uint32Array[];
  /**
   * All 2·leafCount heap-indexed node digests (merkle.ts buildTree) of leaves laid row after row in `leaves`
   * (leafWords ≤ 256 words each), hashed with the 8-word keys `leafKey` and `nodeKey`.
   */
  merkleNodes(
    leaves: Uint32Array,
    leafCount: number,
    leafWords: number,
    leafKey: Uint32Array,
    nodeKey: Uint32Array,
  ): Uint32Array;
  /** merkleNodes of the salted rows: leaf i = salts[i·saltWords ..] ‖ columns[0][i] ‖ … ‖ columns[w − 1][i]. */
  merkleNodesOfColumns(
    salts: Uint32Array,
    saltWords: number,
    columns: readonly Uint32Array[],
    leafKey: Uint32Array,
    nodeKey: Uint32Array,
  ): Uint32Array;
  /** The smallest nonce with `bits` (≤ 32) leading zero bits of BLAKE3(state ‖ nonce_lo ‖ nonce_hi ‖ tag). */
  grind(state: Uint32Array, tag: number, bits: number): number;
  /**
   * The compliance AIR's quotient on a coset of QN points (air/compose.ts composeQuotient) from the 24 trace LDE
   * columns of N words, a table of COMPOSE_TABLE_ROWS rows of QN words in Montgomery form x·2^32 mod p (its ELL row
   * ignored: `ell` gives it, in standard form) and COMPOSE_COEFF_WORDS coefficient words (Montgomery form); the 4
   * coordinates of Q in standard form. QN must be a power of two ≥ 32 not above N.
   */
  /**
   * The compliance AIR's quotient at an extension point (protocol.ts quotientAt) from one block of QUOTIENT_AT_WORDS
   * canonical words: trace values at z and ω·z (24 extension elements each), the 22 periodic values, the 8 commitment
   * lanes, the 49 challenges, the 5 divisor inverses, the 11 rows of M_E^(−1) of the first-row group, the internal
   * diagonal and the commitment tag.
   */
  quotientAtPoint(input: Uint32Array): [number, number, number, number];
  /**
   * The prover's DEEP polynomial (prover.ts step 8): (s1 + s3 − ·)/(X − z) + (σ·s1 − ·)/(X − ω·z) + μ·m with
   * s1 = Σ_j γ_j·trace_j and s3 = Σ_k δ_k·chunk_k, remainders dropped; all polynomials of D canonical coefficients
   * (not re-checked), `coef` = [γ_0.., δ_0.., σ, μ, z, ω·z]. F as four coordinate arrays of D.
   */
  deepPolynomial(
    trace: readonly Uint32Array[],
    chunks: readonly (readonly Uint32Array[])[],
    mask: readonly Uint32Array[],
    coef: readonly (readonly number[])[],
  ): Uint32Array[];
  /**
   * The verifier's DEEP values at the query points x_i: (s1 + s3 − atZ)/(x_i − z) + shifted·(s1 − s1zw)/(x_i − ω·z)
   * + mask·r, with s1 = Σ_j trace_j·row_j, s3 = Σ_k chunk_k·comp_k and r the mask's opened value (verifier.ts).
   * `rows` holds count × W trace words, `comp` count × 4(K + 1) composition words, `coef` the W + K + 6 extension
   * elements trace_0.., chunk_0.., shifted, mask, atZ, s1zw, z, ω·z; all canonical (rows and points are not
   * re-checked: the verifier checks them first). Null when a denominator is zero.
   */
  deepValues(
    xs: Uint32Array,
    W: number,
    K: number,
    rows: Uint32Array,
    comp: Uint32Array,
    coef: Uint32Array,
  ): [number, number, number, number][] | null;
  /**
   * fri.ts foldRow on each of rows.length / (4f) rows laid row after row (f extension values of 4 canonical words, not
   * re-checked), row r with x^(−1) = xInvs[r]; `wInv` = ω_f^(−1). One folded extension value per row.
   */
  foldRows(
    rows: Uint32Array,
    f: number,
    beta: readonly number[],
    xInvs: Uint32Array,
    wInv: number,
  ): [number, number, number, number][];
  /**
   * merkle.ts verifyBatch of leaves given as rows (`count` = sortedLeaves.length rows of leafWords ≤ 256 words, row
   * after row): hashes them with `leafKey`, then recomputes the root with `nodeKey`; true when it equals `root` and
   * every authentication node was used (`authNodes`: a list of digests or one array of them, 8 words each).
   * `sortedLeaves` must be strictly ascending integers in [0, leafCount).
   */
  verifyRows(
    root: Uint32Array,
    leafCount: number,
    sortedLeaves: readonly number[],
    rows: Uint32Array,
    leafWords: number,
    authNodes: readonly Uint32Array[] | Uint32Array,
    leafKey: Uint32Array,
    nodeKey: Uint32Array,
  ): boolean;
  /**
   * Each base polynomial (all of one length) at each extension point (poly.ts evalBaseAtPowers with the point's
   * powers): result[p][c] = polys[c](points[p]), coordinates in standard form.
   */
  evalAtPoints(
    polys: readonly Uint32Array[],
    points: readonly (readonly number[])[],
  ): [number, number, number, number][][];
  composeCompliance(
    traceLde: readonly Uint32Array[],
    QN: number,
    table: Uint32Array,
    ell: Uint32Array,
    coeffs: Uint32Array,
  ): Uint32Array[];
}

const P = 0x7f000001;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

/** Wraps an instance: a bump arena from arenaStart(), reset at every call, growing memory as needed. */
function wrap(ex: Exports): Kernels {
  const arena = ex.arenaStart();
  const maxLog = ex.maxLogN();
  let view = new Uint32Array(ex.memory.buffer);
  /** Makes room for `words` arena words and returns a fresh view of memory. */
  const reserve = (words: number): Uint32Array => {
    const need = arena + 4 * words;
    const have = ex.memory.buffer.byteLength;
    if (need > have) ex.memory.grow(Math.ceil((need - have) / 65536));
    if (view.buffer !== ex.memory.buffer || view.length === 0) view = new Uint32Array(ex.memory.buffer);
    return view;
  };
  reserve(0);
  const A = arena >>> 2;
  const transform = (a: Uint32Array, inverse: boolean): Uint32Array => {
    if (!(a instanceof Uint32Array) || !isPowerOfTwo(a.length) || a.length > 1 << maxLog) {
      throw new RangeError(`NTT of ${a.length} elements (a power of two up to 2^${maxLog} expected)`);
    }
    const logN = 31 - Math.clz32(a.length);
    const mem = reserve(a.length);
    mem.set(a, A);
    if (inverse) ex.intt(arena, logN);
    else ex.ntt(arena, logN);
    a.set(mem.subarray(A, A + a.length));
    return a;
  };
  const copyDigests = (mem: Uint32Array, at: number, leafCount: number): Uint32Array =>
    mem.slice(A + at, A + at + 16 * leafCount);
  const checkKeys = (leafKey: Uint32Array, nodeKey: Uint32Array): void => {
    if (leafKey.length !== 8 || nodeKey.length !== 8) throw new RangeError("Merkle keys are 8 words");
  };
  const checkTree = (leafCount: number, leafWords: number): void => {
    if (!isPowerOfTwo(leafCount)) throw new RangeError(`expected a power of two, got ${leafCount}`);
    if (!Number.isInteger(leafWords) || leafWords < 0 || leafWords > 256) {
      throw new RangeError(`leaves of ${leafWords} words (at most 256)`);
    }
  };
  return {
    maxSize: 1 << maxLog,
    ntt: (a) => transform(a, false),
    intt: (a) => transform(a, true),
    cosetEvaluateMany(coeffs, shift, n) {
      if (!isPowerOfTwo(n) || n > 1 << maxLog) throw new RangeError(`domain of ${n} (a power of two ≤ 2^${maxLog})`);
      if (!Number.isInteger(shift) || shift < 0 || shift >= P) throw new RangeError(`shift ${shift} not canonical`);
      const count = coeffs.length;
      if (count === 0) return [];
      const len = (coeffs[0] as Uint32Array).length;
      if (len > n) throw new RangeError(`polynomial of ${len} coefficients on a domain of ${n}`);
      if (coeffs.some((c) => c.length !== len)) throw new RangeError("cosetEvaluateMany: polynomials of one length");
      let d = 1;
      while (d < len) d *= 2;
      const coeffAt = 0;
      const outAt = count * len;
      const scratchAt = outAt + count * n;
      const mem = reserve(scratchAt + n + Math.max(d, n));
      coeffs.forEach((c, i) => mem.set(c, A + coeffAt + i * len));
      ex.cosetEvaluate(arena, len, count, shift, 31 - Math.clz32(n), arena + 4 * outAt, arena + 4 * scratchAt);
      return coeffs.map((_, i) => mem.slice(A + outAt + i * n, A + outAt + (i + 1) * n));
    },
    merkleNodes(leaves, leafCount, leafWords, leafKey, nodeKey) {
      checkTree(leafCount, leafWords);
      checkKeys(leafKey, nodeKey);
      if (leaves.length !== leafCount * leafWords) throw new RangeError("leaves: leafCount × leafWords words expected");
      const nodesAt = 16 + leafCount * leafWords;
      const mem = reserve(nodesAt + 16 * leafCount);
      mem.set(leafKey, A);
      mem.set(nodeKey, A + 8);
      mem.set(leaves, A + 16);
      ex.merkleTree(arena + 64, leafCount, leafWords, arena + 4 * nodesAt, arena, arena + 32);
      return copyDigests(mem, nodesAt, leafCount);
    },
    merkleNodesOfColumns(salts, saltWords, columns, leafKey, nodeKey) {
      const leafCount = columns[0]?.length ?? salts.length / Math.max(1, saltWords);
      const width = columns.length;
      checkTree(leafCount, saltWords + width);
      checkKeys(leafKey, nodeKey);
      if (salts.length !== leafCount * saltWords) throw new RangeError("salts: leafCount × saltWords words expected");
      if (columns.some((c) => c.length !== leafCount)) throw new RangeError("columns of one length expected");
      const saltsAt = 16;
      const colsAt = saltsAt + salts.length;
      const leavesAt = colsAt + width * leafCount;
      const nodesAt = leavesAt + leafCount * (saltWords + width);
      const mem = reserve(nodesAt + 16 * leafCount);
      mem.set(leafKey, A);
      mem.set(nodeKey, A + 8);
      mem.set(salts, A + saltsAt);
      columns.forEach((c, j) => mem.set(c, A + colsAt + j * leafCount));
      ex.gatherRows(arena + 4 * saltsAt, saltWords, arena + 4 * colsAt, width, leafCount, arena + 4 * leavesAt);
      ex.merkleTree(arena + 4 * leavesAt, leafCount, saltWords + width, arena + 4 * nodesAt, arena, arena + 32);
      return copyDigests(mem, nodesAt, leafCount);
    },
    grind(state, tag, bits) {
      if (state.length !== 8) throw new RangeError("grind: the state is 8 words");
      if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new RangeError(`grind: ${bits} bits (0..32)`);
      const mem = reserve(16);
      mem.fill(0, A, A + 16);
      mem.set(state, A);
      mem[A + 10] = tag;
      return Number(ex.grind(arena, bits));
    },
    deepPolynomial(trace, chunks, mask, coef) {
      const W = trace.length;
      const K = chunks.length;
      const D = mask[0]?.length ?? 0;
      const polys = [...trace, ...chunks.flat(), ...mask];
      if (D < 1 || mask.length !== 4 || chunks.some((c) => c.length !== 4) || polys.some((c) => c.length !== D)) {
        throw new RangeError("deepPolynomial: polynomials of one length, chunks and mask of 4 coordinates");
      }
      if (coef.length !== W + K + 4 || coef.some((e) => e.length !== 4)) {
        throw new RangeError("deepPolynomial: W + K + 4 extension coefficients");
      }
      const canonical = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < P;
      // the coefficients are checked; the polynomials' words are the caller's (canonical by construction)
      if (!coef.every((e) => e.every(canonical)))
        throw new RangeError("deepPolynomial: canonical coefficients expected");
      const coefAt = 0;
      const outAt = 4 * coef.length;
      const scratchAt = outAt + 4 * D;
      const polysAt = scratchAt + 12 * D;
      const mem = reserve(polysAt + polys.length * D);
      coef.forEach((e, j) => mem.set(e, A + coefAt + 4 * j));
      polys.forEach((c, j) => mem.set(c, A + polysAt + j * D));
      const traceAt = polysAt;
      const chunksAt = traceAt + W * D;
      const maskAt = chunksAt + 4 * K * D;
      ex.deepPolynomial(
        D,
        W,
        K,
        arena + 4 * traceAt,
        arena + 4 * chunksAt,
        arena + 4 * maskAt,
        arena + 4 * coefAt,
        arena + 4 * scratchAt,
        arena + 4 * outAt,
      );
      return [0, 1, 2, 3].map((c) => mem.slice(A + outAt + c * D, A + outAt + (c + 1) * D));
    },
    deepValues(xs, W, K, rows, comp, coef) {
      const count = xs.length;
      const sizes = [W, K].every((v) => Number.isInteger(v) && v >= 0 && v <= 4096);
      if (
        !sizes ||
        rows.length !== count * W ||
        comp.length !== count * 4 * (K + 1) ||
        coef.length !== 4 * (W + K + 6)
      ) {
        throw new RangeError("deepValues: shapes");
      }
      // rows and points are the verifier's, already checked canonical (isRow); the coefficients are checked here
      if (!coef.every((v) => v < P)) throw new RangeError("deepValues: canonical coefficients expected");
      const coefAt = 0;
      const xsAt = coefAt + coef.length;
      const outAt = xsAt + count + ((4 - (count % 4)) % 4);
      const scratchAt = outAt + 4 * count;
      const rowsAt = scratchAt + 16 * count;
      const compAt = rowsAt + rows.length;
      const mem = reserve(compAt + comp.length);
      mem.set(coef, A + coefAt);
      mem.set(xs, A + xsAt);
      mem.set(rows, A + rowsAt);
      mem.set(comp, A + compAt);
      const ok = ex.deepValues(
        count,
        W,
        K,
        arena + 4 * rowsAt,
        arena + 4 * compAt,
        arena + 4 * coefAt,
        arena + 4 * xsAt,
        arena + 4 * scratchAt,
        arena + 4 * outAt,
      );
      if (ok !== 1) return null;
      return Array.from({ length: count }, (_, i): [number, number, number, number] => {
        const o = A + outAt + 4 * i;
        return [mem[o] as number, mem[o + 1] as number, mem[o + 2] as number, mem[o + 3] as number];
      });
    },
    quotientAtPoint(input) {
      let canonical = input.length === QUOTIENT_AT_WORDS;
      for (let i = 0; canonical && i < input.length; i++) canonical = (input[i] as number) < P;
      if (!canonical) throw new RangeError(`quotientAtPoint: ${QUOTIENT_AT_WORDS} canonical words expected`);
      const outAt = 0;
      const scratchAt = 4;
      const inputAt = scratchAt + 320;
      const mem = reserve(inputAt + input.length);
      mem.set(input, A + inputAt);
      ex.quotientAtPoint(arena + 4 * inputAt, arena + 4 * scratchAt, arena + 4 * outAt);
      return [mem[A] as number, mem[A + 1] as number, mem[A + 2] as number, mem[A + 3] as number];
    },
    foldRows(rows, f, beta, xInvs, wInv) {
      if (!isPowerOfTwo(f) || f > 256) throw new RangeError(`foldRows: folding factor ${f}`);
      const count = xInvs.length;
      if (rows.length !== 4 * f * count || beta.length !== 4) throw new RangeError("foldRows: shapes");
      const canonical = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < P;
      // rows are the verifier's, already checked canonical (isRow); β, x^(−1) and ω^(−1) are checked here
      if (!beta.every(canonical) || !canonical(wInv) || !xInvs.every(canonical)) {
        throw new RangeError("foldRows: canonical field elements expected");
      }
      const betaAt = 0;
      const xAt = 4;
      const outAt = xAt + count + ((4 - (count % 4)) % 4);
      const rowsAt = outAt + 4 * count;
      const mem = reserve(rowsAt + rows.length);
      mem.set(beta, A + betaAt);
      mem.set(xInvs, A + xAt);
      mem.set(rows, A + rowsAt);
      ex.foldRows(arena + 4 * rowsAt, count, f, arena + 4 * betaAt, arena + 4 * xAt, wInv, arena + 4 * outAt);
      return Array.from({ length: count }, (_, r): [number, number, number, number] => {
        const o = A + outAt + 4 * r;
        return [mem[o] as number, mem[o + 1] as number, mem[o + 2] as number, mem[o + 3] as number];
      });
    },
    verifyRows(root, leafCount, sortedLeaves, rows, leafWords, authNodes, leafKey, nodeKey) {
      checkKeys(leafKey, nodeKey);
      const count = sortedLeaves.length;
      if (!Number.isInteger(leafWords) || leafWords < 0 || leafWords > 256 || rows.length !== count * leafWords) {
        throw new RangeError("verifyRows: count × leafWords words of at most 256 each expected");
      }
      if (!Number.isInteger(leafCount) || leafCount < 1 || leafCount > 2 ** 30)
        throw new RangeError("verifyRows: leafCount");
      for (let j = 0; j < count; j++) {
        const i = sortedLeaves[j] as number;
        if (!Number.isInteger(i) || i < 0 || i >= leafCount || (j > 0 && i <= (sortedLeaves[j - 1] as number))) {
          throw new RangeError("verifyRows: leaves must be strictly ascending indices below leafCount");
        }
      }
      const flatAuth = authNodes instanceof Uint32Array;
      if (count === 0 || root.length !== 8) return false;
      if (flatAuth ? authNodes.length % 8 !== 0 : authNodes.some((a) => a.length !== 8)) return false;
      const authCount = flatAuth ? authNodes.length / 8 : authNodes.length;
      const keysAt = 0;
      const rootAt = 16;
      const levelAt = 24;
      const digestsAt = levelAt + count + ((4 - (count % 4)) % 4);
      const authAt = digestsAt + 8 * count;
      const msgsAt = authAt + 8 * authCount;
      const rowsAt = msgsAt + 16 * count;
      const mem = reserve(rowsAt + rows.length);
      mem.set(leafKey, A + keysAt);
      mem.set(nodeKey, A + keysAt + 8);
      mem.set(root, A + rootAt);
      for (let j = 0; j < count; j++) mem[A + levelAt + j] = leafCount + (sortedLeaves[j] as number);
      if (flatAuth) mem.set(authNodes, A + authAt);
      else authNodes.forEach((a, j) => mem.set(a, A + authAt + 8 * j));
      mem.set(rows, A + rowsAt);
      ex.hashLeaves(arena + 4 * rowsAt, count, leafWords, arena + 4 * keysAt, arena + 4 * digestsAt);
      return (
        ex.verifyBatch(
          arena + 4 * rootAt,
          count,
          arena + 4 * levelAt,
          arena + 4 * digestsAt,
          arena + 4 * authAt,
          authCount,
          arena + 4 * (keysAt + 8),
          arena + 4 * msgsAt,
        ) === 1
      );
    },
    evalAtPoints(polys, points) {
      const count = polys.length;
      const len = polys[0]?.length ?? 0;
      if (polys.some((c) => c.length !== len)) throw new RangeError("evalAtPoints: polynomials of one length");
      if (points.some((x) => x.length !== 4 || x.some((v) => !Number.isInteger(v) || v < 0 || v >= P))) {
        throw new RangeError("evalAtPoints: points are 4 canonical coordinates");
      }
      const pointsAt = count * len + ((4 - ((count * len) % 4)) % 4);
      const powsAt = pointsAt + 4 * points.length;
      const outAt = powsAt + 4 * len;
      const mem = reserve(outAt + 4 * count * points.length);
      polys.forEach((c, i) => mem.set(c, A + i * len));
      points.forEach((x, p) => mem.set(x, A + pointsAt + 4 * p));
      ex.evalAtPoints(arena, len, count, arena + 4 * pointsAt, points.length, arena + 4 * powsAt, arena + 4 * outAt);
      return points.map((_, p) =>
        Array.from({ length: count }, (_c, c): [number, number, number, number] => {
          const o = A + outAt + 4 * (p * count + c);
          return [mem[o] as number, mem[o + 1] as number, mem[o + 2] as number, mem[o + 3] as number];
        }),
      );
    },
    composeCompliance(traceLde, QN, table, ell, coeffs) {
      const N = traceLde[0]?.length ?? 0;
      if (traceLde.length !== 24 || traceLde.some((c) => c.length !== N)) throw new RangeError("24 trace columns");
      if (!isPowerOfTwo(N) || !isPowerOfTwo(QN) || QN < 32 || QN > N) {
        throw new RangeError(`composition on ${QN} of ${N} points`);
      }
      if (table.length !== COMPOSE_TABLE_ROWS * QN || ell.length !== QN || coeffs.length !== COMPOSE_COEFF_WORDS) {
        throw new RangeError("composition table or coefficients of the wrong size");
      }
      const tabAt = 24 * N;
      const coAt = tabAt + table.length;
      const gatherAt = coAt + COMPOSE_COEFF_WORDS; // a multiple of 4 words: vectors stay 16-byte aligned
      const outAt = gatherAt + 24 * (QN + QN / 32);
      const mem = reserve(outAt + 4 * QN);
      traceLde.forEach((c, j) => mem.set(c, A + j * N));
      mem.set(table, A + tabAt);
      mem.set(ell, A + tabAt + ELL_ROW * QN);
      mem.set(coeffs, A + coAt);
      ex.composeCompliance(arena, N, QN, arena + 4 * tabAt, arena + 4 * coAt, arena + 4 * gatherAt, arena + 4 * outAt);
      return [0, 1, 2, 3].map((k) => mem.slice(A + outAt + k * QN, A + outAt + (k + 1) * QN));
    },
  };
}

/** Why a build was not used (for the note), or null when it loads. */
export type LoadResult =
  { readonly kernels: Kernels; readonly note: null } | { readonly kernels: null; readonly note: string };

/**
 * Loads the kernels from `dir` when its stamp equals the hash of the current sources; otherwise answers why not.
 * Never throws: a missing, stale or broken build is a note, and the caller runs TypeScript.
 */
export function loadWasmKernels(dir: string = wasmDir(), sourcesDir: string = ASSEMBLY_DIR): LoadResult {
  const where = path.relative(ROOT, dir) || dir;
  let stamp: string;
  let bytes: Buffer;
  try {
    stamp = readFileSync(path.join(dir, STAMP_FILE), "utf8").trim();
    bytes = readFileSync(path.join(dir, WASM_FILE));
  } catch {
    return { kernels: null, note: `no WebAssembly kernels in ${where}` };
  }
  let expected: string;
  try {
    expected = sourcesHash(sourcesDir);
  } catch (e) {
    return { kernels: null, note: `cannot read the kernels' sources (${e instanceof Error ? e.message : String(e)})` };
  }
  if (stamp !== expected)
    return { kernels: null, note: `the WebAssembly kernels in ${where} are older than their sources` };
  try {
    const instance = new Wasm.Instance(new Wasm.Module(bytes), {
      env: {
        abort: () => {
          throw new Error("stark kernels: abort");
        },
      },
    });
    return { kernels: wrap(instance.exports as unknown as Exports), note: null };
  } catch (e) {
    return {
      kernels: null,
      note: `the WebAssembly kernels in ${where} do not load (${e instanceof Error ? e.message : String(e)})`,
    };
  }
}

let loaded: Kernels | null | undefined;
let warned = false;
let override: boolean | undefined;

/**
 * The kernels when a fresh build is present and they are enabled (VES_STARK_WASM is not "0", or the test switch
 * below), else null: the caller runs the TypeScript reference. Loads on first call; a missing or stale build is said
 * once on stderr (process.emitWarning).
 */
export function wasmKernels(): Kernels | null {
  if (!(override ?? process.env.VES_STARK_WASM !== "0")) return null;
  if (loaded === undefined) {
    const r = loadWasmKernels();
    loaded = r.kernels;
    if (r.note !== null && !warned) {
      warned = true;
      process.emitWarning(`${r.note}; proving with the TypeScript kernels (npm run build compiles them)`, {
        code: "VES_STARK_WASM",
      });
    }
  }
  return loaded;
}

/**
 * Turns the kernels on or off for this process whatever VES_STARK_WASM says, or back to what it says (undefined):
 * tests and benches compare both paths in one run.
 */
export function setWasmKernelsEnabled(on: boolean | undefined): void {
  override = on;
}

/** Forgets the loaded kernels (and the note already given): the next wasmKernels() checks the build again (tests). */
export function reloadWasmKernels(): void {
  loaded = undefined;
  warned = false;
}
