/**
 * Fiat–Shamir transcript over BLAKE3. The state is a 32-byte digest; `absorb` hashes a labelled, length-prefixed
 * message into it, and challenges are squeezed as BLAKE3(state ‖ counter ‖ tag) blocks. The prover and the verifier
 * feed it the same sequence: protocol id, proof options, statement (every public input), commitments, out-of-domain
 * values, FRI commitments, proof-of-work nonce, so every challenge depends on everything before it.
 */
import { blake3Bytes, blake3Words, bytesToWords, wordsToBytes } from "./blake3";
import { type Ext, sampleBase } from "./field";
import { wasmKernels } from "./wasm";

const SQUEEZE_TAG = 0x5351_5a45; // "SQZE"
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
    this.state = bytesToWords(blake3Bytes(new TextEncoder().encode(`ves-stark/transcript/${protocolId}`)));
  }

  /** Absorbs a labelled byte string. */
  absorb(label: string, data: Uint8Array): void {
    const lab = new TextEncoder().encode(label);
    const msg = new Uint8Array(32 + 4 + lab.length + 4 + data.length);
    msg.set(wordsToBytes(this.state), 0);
    const dv = new DataView(msg.buffer);
    dv.setUint32(32, lab.length, true);
    msg.set(lab, 36);
    dv.setUint32(36 + lab.length, data.length, true);
    msg.set(data, 40 + lab.length);
    this.state = bytesToWords(blake3Bytes(msg));
    this.counter = 0;
    this.blockPos = 8;
  }

  /** Absorbs labelled 32-bit words (field elements, digests). */
  absorbWords(label: string, words: ArrayLike<number>): void {
    this.absorb(label, wordsToBytes(Uint32Array.from(words)));
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
