/**
 * Versioned binary encoding of a StarkProof. All integers little-endian; field elements are u32 and must be
 * canonical (< p); extension elements are 4 field elements. Sizes that follow from the options (trace width, chunk
 * count, FRI layers, remainder length) are not written, so the header fixes the layout:
 *
 *   "VSTK" ‖ version u8 (1) ‖ numQueries u8 ‖ blowupLog2 u8 ‖ grindingBits u8 ‖ foldingLog2 u8 ‖ remainderLog2 u8
 *   ‖ traceRoot[32] ‖ compositionRoot[32] ‖ OOD: traceZ[W], traceZw[W], chunksZ[K] (16 bytes each)
 *   ‖ friRoots[L][32] ‖ remainder[R] (16 bytes each) ‖ powNonce u64
 *   ‖ trace opening ‖ composition opening ‖ L FRI openings
 * where an opening is: rows u16 ‖ rows × (salt ‖ values) ‖ authCount u16 ‖ authCount × 32 bytes.
 * Inputs above MAX_PROOF_BYTES are refused before any parsing; trailing bytes are refused.
 */
import { TRACE_LENGTH, TRACE_WIDTH } from "./air";
import { type Ext, P } from "./field";
import { friShape } from "./fri";
import { DIGEST_WORDS, type Digest } from "./merkle";
import { type MatrixOpening, SALT_WORDS, type StarkProof, parsedOpening } from "./proof";
import { type ProofOptions, deriveParams, validateOptions } from "./security";
import { StarkError } from "./errors";

/** Largest accepted encoded proof: 10 MiB. */
export const MAX_PROOF_BYTES = 10 * 1024 * 1024;
/** Current binary format version. */
export const PROOF_FORMAT_VERSION = 1;
const MAGIC = [0x56, 0x53, 0x54, 0x4b]; // "VSTK"
const HEADER_BYTES = 10;

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }

  u16(v: number): void {
    if (v > 0xffff) throw new RangeError(`count ${v} does not fit u16`);
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32s(words: ArrayLike<number>): void {
    this.ensure(4 * words.length);
    for (let i = 0; i < words.length; i++) this.view.setUint32(this.length + 4 * i, words[i] as number, true);
    this.length += 4 * words.length;
  }

  ext(e: Ext): void {
    this.u32s(e);
  }

  u64(v: number): void {
    this.u32s([v % 2 ** 32, Math.floor(v / 2 ** 32)]);
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** True when this platform stores a Uint32Array's words little-endian (the proof's byte order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

class Reader {
  private pos = 0;
  private readonly view: DataView;
  private arena: Uint32Array | undefined;
  private arenaBytes: Uint8Array | undefined;
  private arenaAt = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new StarkError("MALFORMED_PROOF", `proof truncated at byte ${this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  /**
   * `n` words at pos. On little-endian platforms they are copied (one native copy) into one word array shared by every
   * read of this proof (made at the first read, as large as the rest of the proof) and returned as a view of it: one
   * allocation per proof instead of one per read.
   */
  words(n: number): Uint32Array {
    this.need(4 * n);
    if (LITTLE_ENDIAN) {
      if (this.arena === undefined) {
        this.arena = new Uint32Array(Math.ceil((this.buf.length - this.pos) / 4));
        this.arenaBytes = new Uint8Array(this.arena.buffer);
      }
      const at = this.arenaAt;
      if (at + n <= this.arena.length) {
        (this.arenaBytes as Uint8Array).set(this.buf.subarray(this.pos, this.pos + 4 * n), 4 * at);
        this.arenaAt += n;
        this.pos += 4 * n;
        return this.arena.subarray(at, at + n);
      }
    }
    const out = new Uint32Array(n);
    const b = this.buf;
    for (let i = 0, j = this.pos; i < n; i++, j += 4) {
      out[i] =
        (b[j] as number) | ((b[j + 1] as number) << 8) | ((b[j + 2] as number) << 16) | ((b[j + 3] as number) << 24);
    }
    this.pos += 4 * n;
    return out;
  }

  felts(n: number): Uint32Array {
    const w = this.words(n);
    checkCanonical(w, 0, n);
    return w;
  }

  /** `n` extension elements. */
  exts(n: number): Ext[] {
    const w = this.felts(4 * n);
    const out: Ext[] = new Array<Ext>(n);
    for (let i = 0; i < n; i++) {
      out[i] = [w[4 * i] as number, w[4 * i + 1] as number, w[4 * i + 2] as number, w[4 * i + 3] as number];
    }
    return out;
  }

  digest(): Digest {
    return this.words(DIGEST_WORDS);
  }

  u64(): number {
    const w = this.words(2);
    const hi = w[1] as number;
    if (hi >= 2 ** 21) throw new StarkError("MALFORMED_PROOF", "proof-of-work nonce beyond 2^53");
    return hi * 2 ** 32 + (w[0] as number);
  }

  end(): void {
    if (this.pos !== this.buf.length) {
      throw new StarkError("MALFORMED_PROOF", `${this.buf.length - this.pos} trailing bytes after the proof`);
    }
  }
}

/** Throws MALFORMED_PROOF unless words[from .. to) are canonical field elements (< p). */
function checkCanonical(words: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const v = words[i] as number;
    if (v >= P) throw new StarkError("MALFORMED_PROOF", `non-canonical field element ${v}`);
  }
}

function writeOpening(w: Writer, op: MatrixOpening): void {
  w.u16(op.rows.length);
  op.rows.forEach((row, i) => {
    w.u32s(op.salts[i] as Uint32Array);
    w.u32s(row);
  });
  w.u16(op.auth.length);
  for (const d of op.auth) w.u32s(d);
}

/**
 * Reads an opening: its leaves (salt ‖ row, row after row) in one array (MatrixOpening.leaves), the authentication
 * nodes in one array (parsedOpening: the row, salt and node views into them made on demand).
 */
function readOpening(r: Reader, width: number, saltWords: number, maxRows: number, maxAuth: number): MatrixOpening {
  const count = r.u16();
  if (count === 0 || count > maxRows) throw new StarkError("MALFORMED_PROOF", `bad opening row count ${count}`);
  const leafWords = saltWords + width;
  const leaves = r.words(count * leafWords);
  for (let o = 0; o < leaves.length; o += leafWords) checkCanonical(leaves, o + saltWords, o + leafWords);
  const authCount = r.u16();
  if (authCount > maxAuth) throw new StarkError("MALFORMED_PROOF", `bad authentication node count ${authCount}`);
  return parsedOpening(leaves, count, saltWords, width, r.words(authCount * DIGEST_WORDS));
}

/** Encodes a proof. */
export function serializeProof(proof: StarkProof): Uint8Array {
  const w = new Writer();
  for (const b of MAGIC) w.u8(b);
  w.u8(PROOF_FORMAT_VERSION);
  const o = proof.options;
  for (const v of [o.numQueries, o.blowupLog2, o.grindingBits, o.foldingLog2, o.remainderLog2]) w.u8(v);
  w.u32s(proof.traceRoot);
  w.u32s(proof.compositionRoot);
  for (const e of [...proof.ood.traceZ, ...proof.ood.traceZw, ...proof.ood.chunksZ]) w.ext(e);
  for (const d of proof.friRoots) w.u32s(d);
  for (const e of proof.remainder) w.ext(e);
  w.u64(proof.powNonce);
  writeOpening(w, proof.traceOpening);
  writeOpening(w, proof.compositionOpening);
  for (const op of proof.friOpenings) writeOpening(w, op);
  return w.bytes();
}

function checkSizeAndMagic(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("proof must be a Uint8Array");
  if (bytes.length > MAX_PROOF_BYTES) {
    throw new StarkError("PROOF_TOO_LARGE", `proof of ${bytes.length} bytes exceeds ${MAX_PROOF_BYTES}`);
  }
  if (bytes.length < HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new StarkError("MALFORMED_PROOF", "not a ves-stark proof (bad magic)");
  }
  if (bytes[4] !== PROOF_FORMAT_VERSION) {
    throw new StarkError("UNSUPPORTED_VERSION", `unsupported proof format version ${String(bytes[4])}`);
  }
}

/** The trace shape a proof's layout depends on (default: the compliance AIR's 32 rows × 24 columns). */
export interface TraceShape {
  readonly traceLength: number;
  readonly traceWidth: number;
}

const COMPLIANCE_SHAPE: TraceShape = { traceLength: TRACE_LENGTH, traceWidth: TRACE_WIDTH };

/**
 * Reads only the options from a proof header (after the size cap), so a verifier can check them before parsing.
 * @throws StarkError PROOF_TOO_LARGE, MALFORMED_PROOF or UNSUPPORTED_VERSION.
 */
export function readProofOptions(bytes: Uint8Array, traceLength: number = TRACE_LENGTH): ProofOptions {
  checkSizeAndMagic(bytes);
  const options: ProofOptions = {
    numQueries: bytes[5] as number,
    blowupLog2: bytes[6] as number,
    grindingBits: bytes[7] as number,
    foldingLog2: bytes[8] as number,
    remainderLog2: bytes[9] as number,
  };
  try {
    validateOptions(options);
    deriveParams(options, traceLength);
  } catch (e) {
    throw new StarkError("MALFORMED_PROOF", `invalid options in the proof header: ${(e as Error).message}`);
  }
  return options;
}

/**
 * Decodes a proof of an AIR with the given trace shape; the size cap is checked before anything is parsed.
 * @throws StarkError PROOF_TOO_LARGE, MALFORMED_PROOF or UNSUPPORTED_VERSION (never anything else for bad bytes).
 */
export function deserializeProof(bytes: Uint8Array, trace: TraceShape = COMPLIANCE_SHAPE): StarkProof {
  const options = readProofOptions(bytes, trace.traceLength);
  const params = deriveParams(options, trace.traceLength);
  const shape = friShape(params.degreeBound, params.ldeSize, options.foldingLog2, options.remainderLog2);
  const r = new Reader(bytes);
  for (let i = 0; i < HEADER_BYTES; i++) r.u8();
  const traceRoot = r.digest();
  const compositionRoot = r.digest();
  const W = trace.traceWidth;
  const ood = { traceZ: r.exts(W), traceZw: r.exts(W), chunksZ: r.exts(params.numChunks) };
  const friRoots = shape.domainSizes.map(() => r.digest());
  const remainder = r.exts(shape.remainderBound);
  const powNonce = r.u64();
  const q = options.numQueries;
  const maxAuth = (n: number): number => q * Math.max(1, Math.log2(n));
  const traceOpening = readOpening(r, W, SALT_WORDS, q, maxAuth(params.ldeSize));
  const compositionOpening = readOpening(r, 4 * (params.numChunks + 1), SALT_WORDS, q, maxAuth(params.ldeSize));
  const friOpenings = shape.domainSizes.map((n) => readOpening(r, 4 * shape.folding, 0, q, maxAuth(n / shape.folding)));
  r.end();
  return {
    options,
    traceRoot,
    compositionRoot,
    ood,
    friRoots,
    remainder,
    powNonce,
    traceOpening,
    compositionOpening,
    friOpenings,
  };
}
