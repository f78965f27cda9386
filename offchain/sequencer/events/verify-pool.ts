/**
 * Ed25519 verification (and receipt signing) on worker threads. Ingest verifies one signature per event; on a request
 * of many events the checks are split across the pool so they run beside the main thread (which parses, hashes and
 * writes), and the receipts it expects to issue can be signed there too (`signAll`). The workers
 * use node:crypto only (OpenSSL, the same verification as `ed25519Node` in offchain/ves) and cache public keys.
 */
import { Worker } from "node:worker_threads";
import os from "node:os";

/** Bytes of one packed record: a 64-byte signature, a 32-byte message (a hash), a 32-byte public key. */
const RECORD = 128;

/** The PKCS#8 DER prefix of an Ed25519 private key (its 32-byte seed follows). */
const PKCS8_PREFIX = "302e020100300506032b657004220420";

/** One signature check: a 64-byte signature over a message under a 32-byte public key. */
export interface VerifyItem {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: Uint8Array;
}

// The worker: imports each raw public key once (as a JWK: Node 20 decodes it far faster than DER/SPKI) and keeps the
// KeyObject; verifies each item and answers with a byte per item. Items arrive either packed in one transferred
// buffer of fixed-size records (signature 64 | message 32 | public key 32, the ingest case: no structured clone of
// many small objects) or as objects (any other sizes).
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createPrivateKey, createPublicKey, sign, verify } = require("node:crypto");
const keys = new Map();
let signer = { seed: "", key: undefined };
function signingKey(seed) {
  const id = Buffer.from(seed).toString("hex");
  if (signer.seed !== id) {
    const der = Buffer.concat([Buffer.from("${PKCS8_PREFIX}", "hex"), Buffer.from(seed)]);
    signer = { seed: id, key: createPrivateKey({ key: der, format: "der", type: "pkcs8" }) };
  }
  return signer.key;
}
function key(pk) {
  const id = Buffer.from(pk.buffer, pk.byteOffset, pk.byteLength).toString("latin1");
  let k = keys.get(id);
  if (k === undefined) {
    const x = Buffer.from(pk.buffer, pk.byteOffset, pk.byteLength).toString("base64url");
    k = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    if (keys.size > 4096) keys.clear();
    keys.set(id, k);
  }
  return k;
}
function check(signature, message, publicKey) {
  try {
    return verify(null, message, key(publicKey), signature) ? 1 : 0;
  } catch {
    return 0;
  }
}
parentPort.on("message", ({ id, items, packed, seed, hashes }) => {
  if (seed !== undefined) {
    try {
      const key = signingKey(seed);
      const n = hashes.byteLength / 32;
      const out = new Uint8Array(n * 64);
      for (let i = 0; i < n; i++) out.set(sign(null, new Uint8Array(hashes, i * 32, 32), key), i * 64);
      parentPort.postMessage({ id, out }, [out.buffer]);
    } catch (e) {
      parentPort.postMessage({ id, error: String(e && e.message) });
    }
    return;
  }
  if (packed !== undefined) {
    const n = packed.byteLength / ${RECORD};
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * ${RECORD};
      out[i] = check(
        new Uint8Array(packed, o, 64),
        new Uint8Array(packed, o + 64, 32),
        new Uint8Array(packed, o + 96, 32),
      );
    }
    parentPort.postMessage({ id, out }, [out.buffer]);
    return;
  }
  const out = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = check(items[i].signature, items[i].message, items[i].publicKey);
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

interface Pending {
  resolve(out: Uint8Array): void;
  reject(e: unknown): void;
}

/** The items as packed records in one transferable buffer, or undefined when one has other sizes than a record's. */
function pack(items: readonly VerifyItem[]): ArrayBuffer | undefined {
  const buf = new Uint8Array(items.length * RECORD);
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.signature.length !== 64 || it.message.length !== 32 || it.publicKey.length !== 32) return undefined;
    const o = i * RECORD;
    buf.set(it.signature, o);
    buf.set(it.message, o + 64);
    buf.set(it.publicKey, o + 96);
  }
  return buf.buffer;
}

/** A fixed pool of verification workers. */
export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextWorker = 0;

  /** @param threads Worker count (default: one per core, at least 1). */
  constructor(threads: number = Math.max(1, os.availableParallelism())) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      w.on("message", (m: { id: number; out?: Uint8Array; error?: string }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.out !== undefined) p?.resolve(m.out);
        else p?.reject(new Error(`verify pool worker: ${m.error ?? "no answer"}`));
      });
      w.on("error", (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /** Verifies every item, splitting them across the workers; resolves with one boolean per item, in order. */
  async verifyAll(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const parts = Math.min(this.workers.length, items.length);
    const per = Math.ceil(items.length / parts);
    const chunks: Promise<Uint8Array>[] = [];
    for (let start = 0; start < items.length; start += per) {
      const slice = items.slice(start, start + per);
      const packed = pack(slice);
      chunks.push(packed === undefined ? this.send({ id: 0, items: slice }) : this.send({ id: 0, packed }, [packed]));
    }
    const results = await Promise.all(chunks);
    return results.flatMap((r) => Array.from(r, (b) => b === 1));
  }

  /**
   * Signs each 32-byte hash with the Ed25519 private key of `seed` (a 32-byte seed), splitting them across the
   * workers; resolves with one 64-byte signature per hash, in order (the same bytes as signing on the main thread:
   * Ed25519 is deterministic).
   */
  async signAll(seed: Uint8Array, hashes: readonly Uint8Array[]): Promise<Uint8Array[]> {
    if (seed.length !== 32) throw new RangeError(`signing seed: 32 bytes expected, got ${seed.length}`);
    if (hashes.length === 0) return [];
    const parts = Math.min(this.workers.length, hashes.length);
    const per = Math.ceil(hashes.length / parts);
    const chunks: Promise<Uint8Array>[] = [];
    for (let start = 0; start < hashes.length; start += per) {
      const slice = hashes.slice(start, start + per);
      const buf = new Uint8Array(slice.length * 32);
      slice.forEach((h, i) => {
        if (h.length !== 32) throw new RangeError(`hash ${start + i}: 32 bytes expected, got ${h.length}`);
        buf.set(h, i * 32);
      });
      chunks.push(this.send({ id: 0, seed: Uint8Array.from(seed), hashes: buf.buffer }, [buf.buffer]));
    }
    const out: Uint8Array[] = [];
    for (const sigs of await Promise.all(chunks)) {
      for (let o = 0; o < sigs.length; o += 64) out.push(sigs.slice(o, o + 64));
    }
    return out;
  }

  /** Posts one job to the next worker (round robin) and resolves with its answer. */
  private send(job: { id: number } & Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Uint8Array> {
    const id = this.nextId++;
    const worker = this.workers[this.nextWorker++ % this.workers.length]!;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...job, id }, transfer);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
