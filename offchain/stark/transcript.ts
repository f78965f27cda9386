/**
 * Fiat–Shamir transcript over BLAKE3. The state is a 32-byte digest; `absorb` hashes a labelled, length-prefixed
 * message into it, and challenges are squeezed as BLAKE3(state ‖ counter ‖ tag) blocks. The prover and the verifier
 * feed it the same sequence: protocol id, proof options, statement (every public input), commitments, out-of-domain
 * values, FRI commitments, proof-of-work nonce, so every challenge depends on everything before it.
 */
import { blake3BytesToWords, blake3Words, wordsToBytes } from "./blake3";
import { type Ext, sampleBase } from "./field";
import { wasmKernels } from "./wasm";

const SQUEEZE_TAG = 0x5351_5a45; // "SQZE"
/** Initial state per protocol id (a pure function of it). */
const INITIAL_STATES = new Map<string, Uint32Array>();
/** UTF-8 bytes of the labels seen so far (a pure function of the label). */
const LABELS = new Map<string, Uint8Array>();
/** Protocol id of the throw-away state a clone starts from (its state is replaced at once). */
const CLONE_ID = "clone";
const POW_TAG = 0x504f_5721; // "POW!"

/** A Fiat–Shamir transcript (a duplex-style sponge over BLAKE3). */
export class Transcript {
  private state: Uint32Array;
  private counter = 0;
  private readonly block = new Uint32Array(8);
  private blockPos = 8;
  private readonly scratch = new Uint32Array(11);

  /** Starts a transcript bound to a protocol identifier. */
  constructor(protocolId: string) {
    if (typeof protocolId !== "string") throw new TypeError("protocolId must be a string");
    let initial = INITIAL_STATES.get(protocolId);
    if (initial === undefined) {
      initial = blake3BytesToWords(new TextEncoder().encode(`ves-stark/transcript/${protocolId}`));
      if (INITIAL_STATES.size >= 16) INITIAL_STATES.clear();
      INITIAL_STATES.set(protocolId, initial);
    }
    this.state = initial.slice();
  }

  /** An independent copy of this transcript (same state and squeeze position). */
  clone(): Transcript {
    const t = new Transcript(CLONE_ID);
    t.state = this.state.slice();
    t.counter = this.counter;
    t.block.set(this.block);
    t.blockPos = this.blockPos;
    return t;
  }

  /** Absorbs a labelled byte string. */
  absorb(label: string, data: Uint8Array): void {
    const msg = this.message(label, data.length);
    msg.set(data, msg.length - data.length);
    this.state = blake3BytesToWords(msg);
    this.counter = 0;
    this.blockPos = 8;
  }

  /** Absorbs labelled 32-bit words (field elements, digests): the bytes of their little-endian encoding. */
  absorbWords(label: string, words: ArrayLike<number>): void {
    const n = words.length;
    const msg = this.message(label, 4 * n);
    for (let i = 0, j = msg.length - 4 * n; i < n; i++, j += 4) {
      const w = words[i] as number;
      msg[j] = w & 0xff;
      msg[j + 1] = (w >>> 8) & 0xff;
      msg[j + 2] = (w >>> 16) & 0xff;
      msg[j + 3] = (w >>> 24) & 0xff;
    }
    this.state = blake3BytesToWords(msg);
    this.counter = 0;
    this.blockPos = 8;
  }

  /** state ‖ U32(label length) ‖ label ‖ U32(data length), with room for the data at the end. */
  private message(label: string, dataLength: number): Uint8Array {
    let lab = LABELS.get(label);
    if (lab === undefined) {
      lab = new TextEncoder().encode(label);
      if (LABELS.size >= 64) LABELS.clear();
      LABELS.set(label, lab);
    }
    const msg = new Uint8Array(32 + 4 + lab.length + 4 + dataLength);
    const s = this.state;
    for (let i = 0; i < 8; i++) {
      const w = s[i] as number;
      msg[4 * i] = w & 0xff;
      msg[4 * i + 1] = (w >>> 8) & 0xff;
      msg[4 * i + 2] = (w >>> 16) & 0xff;
      msg[4 * i + 3] = (w >>> 24) & 0xff;
    }
    const dv = new DataView(msg.buffer);
    dv.setUint32(32, lab.length, true);
    msg.set(lab, 36);
    dv.setUint32(36 + lab.length, dataLength, true);
    return msg;
  }

  /** The next uniformly random 32-bit word. */
  private nextWord(): number {
    if (this.blockPos === 8) {
      this.scratch.set(this.state, 0);
      this.scratch[8] = this.counter++;
      this.scratch[9] = SQUEEZE_TAG;
      blake3Words(this.scratch, 0, 10, this.block);
      this.blockPos = 0;
    }
    return this.block[this.blockPos++] as number;
  }

  /** A uniform base-field challenge. */
  challengeBase(): number {
    return sampleBase(() => this.nextWord());
  }

  /** A uniform extension-field challenge. */
  challengeExt(): Ext {
    return [this.challengeBase(), this.challengeBase(), this.challengeBase(), this.challengeBase()];
  }

  /** `count` query positions uniform in [0, domainSize) (a power of two); repeats are possible. */
  queryPositions(count: number, domainSize: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.nextWord() & (domainSize - 1));
    return out;
  }

  /** True if `nonce` gives `bits` leading zero bits of BLAKE3(state ‖ nonce ‖ tag). */
  checkPow(nonce: number, bits: number): boolean {
    if (bits === 0) return true;
    if (!Number.isSafeInteger(nonce) || nonce < 0) return false;
    this.scratch.set(this.state, 0);
    this.scratch[8] = nonce % 2 ** 32;
    this.scratch[9] = Math.floor(nonce / 2 ** 32);
    this.scratch[10] = POW_TAG;
    blake3Words(this.scratch, 0, 11, this.block);
    this.blockPos = 8;
    return (this.block[0] as number) >>> (32 - bits) === 0;
  }

  /** Finds the smallest proof-of-work nonce for `bits` of grinding (prover side; the WebAssembly kernel if loaded). */
  grind(bits: number): number {
    const k = wasmKernels();
    if (k !== null && Number.isInteger(bits) && bits >= 1 && bits <= 32) {
      const nonce = k.grind(this.state, POW_TAG, bits);
      this.blockPos = 8;
      return nonce;
    }
    for (let nonce = 0; ; nonce++) if (this.checkPow(nonce, bits)) return nonce;
  }

  /** The current state as bytes (for tests). */
  digest(): Uint8Array {
    return wordsToBytes(this.state);
  }
}
