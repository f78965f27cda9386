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
  const nv = packed !== undefined ? packed.byteLength / ${RECORD} : items !== undefined ? items.length : 0;
  const ns = seed !== undefined ? hashes.byteLength / 32 : 0;
  const out = new Uint8Array(nv + ns * 64);
  if (packed !== undefined) {
    for (let i = 0; i < nv; i++) {
      const o = i * ${RECORD};
      out[i] = check(
        new Uint8Array(packed, o, 64),
        new Uint8Array(packed, o + 64, 32),
        new Uint8Array(packed, o + 96, 32),
      );
    }
  } else {
    for (let i = 0; i < nv; i++) out[i] = check(items[i].signature, items[i].message, items[i].publicKey);
  }
  if (ns > 0) {
    try {
      const key = signingKey(seed);
      for (let i = 0; i < ns; i++) out.set(sign(null, new Uint8Array(hashes, i * 32, 32), key), nv + i * 64);
    } catch (e) {
      // The checks stand; only the signatures are missing.
      const checks = out.slice(0, nv);
      parentPort.postMessage({ id, out: checks, error: String(e && e.message) }, [checks.buffer]);
      return;
    }
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

interface Pending {
  resolve(answer: Answer): void;
  reject(e: unknown): void;
}

/** A worker's answer: a byte per check, then 64 bytes per signature (none, with `error`, when signing failed). */
interface Answer {
  readonly out: Uint8Array;
  readonly error?: string;
}

/** Receipt hashes to sign with the Ed25519 key of a 32-byte seed. */
export interface SignWork {
  readonly seed: Uint8Array;
  readonly hashes: readonly Uint8Array[];
}

/** What `verifyAndSign` answers: a boolean per check, and a signature per hash unless signing failed. */
export interface VerifyAndSignResult {
  readonly valid: boolean[];
  /** One 64-byte signature per hash, in order; undefined when signing failed on a worker (the checks stand). */
  readonly signatures: Uint8Array[] | undefined;
}

/** The items as packed records in one transferable buffer, or undefined when one has other sizes than a record's. */
function pack(items: readonly VerifyItem[], from: number, to: number): ArrayBuffer | undefined {
  const buf = new Uint8Array((to - from) * RECORD);
  for (let i = from; i < to; i++) {
    const it = items[i]!;
    if (it.signature.length !== 64 || it.message.length !== 32 || it.publicKey.length !== 32) return undefined;
    const o = (i - from) * RECORD;
    buf.set(it.signature, o);
    buf.set(it.message, o + 64);
    buf.set(it.publicKey, o + 96);
  }
  return buf.buffer;
}

/** Hashes `from`..`to` packed in one transferable buffer. */
function packHashes(hashes: readonly Uint8Array[], from: number, to: number): ArrayBuffer {
  const buf = new Uint8Array((to - from) * 32);
  for (let i = from; i < to; i++) {
    const h = hashes[i]!;
    if (h.length !== 32) throw new RangeError(`hash ${i}: 32 bytes expected, got ${h.length}`);
    buf.set(h, (i - from) * 32);
  }
  return buf.buffer;
}

/** A fixed pool of verification workers; a worker that dies fails its own jobs and is replaced. */
export class VerifyPool {
  private readonly workers: Worker[] = [];
  /** Jobs waiting for an answer, with the slot of the worker they went to. */
  private readonly pending = new Map<number, Pending & { readonly slot: number }>();
  private nextId = 1;
  private nextWorker = 0;
  private closed = false;

  /** @param threads Worker count (default: one per core, at least 1). */
  constructor(threads: number = Math.max(1, os.availableParallelism())) {
    for (let i = 0; i < threads; i++) this.workers.push(this.spawn(i));
  }

  /** A worker for `slot`: answers resolve their jobs; if it dies, its jobs fail and a new one takes the slot. */
  private spawn(slot: number): Worker {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on("message", (m: { id: number; out?: Uint8Array; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.out !== undefined) p?.resolve(m.error === undefined ? { out: m.out } : { out: m.out, error: m.error });
      else p?.reject(new Error(`verify pool worker: ${m.error ?? "no answer"}`));
    });
    const fail = (why: Error) => {
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(why);
      }
    };
    w.on("error", (e) => fail(e));
    w.on("exit", (code) => {
      fail(new Error(`verify pool worker exited (code ${code})`));
      if (!this.closed && this.workers[slot] === w) this.workers[slot] = this.spawn(slot);
    });
    return w;
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /** Verifies every item, splitting them across the workers; resolves with one boolean per item, in order. */
  async verifyAll(items: readonly VerifyItem[]): Promise<boolean[]> {
    return (await this.verifyAndSign(items)).valid;
  }

  /**
   * Signs each 32-byte hash with the Ed25519 private key of `seed` (a 32-byte seed), splitting them across the
   * workers; resolves with one 64-byte signature per hash, in order (the same bytes as signing on the main thread:
   * Ed25519 is deterministic).
   */
  async signAll(seed: Uint8Array, hashes: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const { signatures } = await this.verifyAndSign([], { seed, hashes });
    if (signatures === undefined) throw new Error("verify pool worker: signing failed");
    return signatures;
  }

  /**
   * `verifyAll` and `signAll` at once, in one message per worker: each worker gets its share of the checks and of the
   * hashes to sign (the ingest case: a request's agent signatures and the receipts they are expected to get). If
   * signing fails on a worker, the checks still answer and `signatures` is undefined.
   */
  async verifyAndSign(items: readonly VerifyItem[], sign?: SignWork): Promise<VerifyAndSignResult> {
    const hashes = sign?.hashes ?? [];
    if (sign !== undefined && sign.seed.length !== 32) {
      throw new RangeError(`signing seed: 32 bytes expected, got ${sign.seed.length}`);
    }
    const most = Math.max(items.length, hashes.length);
    if (most === 0) return { valid: [], signatures: sign === undefined ? undefined : [] };
    const parts = Math.min(this.workers.length, most);
    const perItem = Math.ceil(items.length / parts);
    const perHash = Math.ceil(hashes.length / parts);
    const jobs: Promise<Answer>[] = [];
    const counts: [number, number][] = [];
    for (let k = 0; k < parts; k++) {
      const i0 = Math.min(items.length, k * perItem);
      const i1 = Math.min(items.length, i0 + perItem);
      const h0 = Math.min(hashes.length, k * perHash);
      const h1 = Math.min(hashes.length, h0 + perHash);
      if (i1 === i0 && h1 === h0) continue;
      const job: { id: number } & Record<string, unknown> = { id: 0 };
      const transfer: ArrayBuffer[] = [];
      if (i1 > i0) {
        const packed = pack(items, i0, i1);
        if (packed === undefined) job.items = items.slice(i0, i1);
        else {
          job.packed = packed;
          transfer.push(packed);
        }
      }
      if (h1 > h0 && sign !== undefined) {
        job.seed = Uint8Array.from(sign.seed);
        job.hashes = packHashes(hashes, h0, h1);
        transfer.push(job.hashes as ArrayBuffer);
      }
      counts.push([i1 - i0, h1 - h0]);
      jobs.push(this.send(job, transfer));
    }
    const answers = await Promise.all(jobs);
    const valid: boolean[] = new Array<boolean>(items.length);
    let signatures: Uint8Array[] | undefined = sign === undefined ? undefined : new Array<Uint8Array>(hashes.length);
    let v = 0;
    let h = 0;
    answers.forEach(({ out, error }, k) => {
      const [nv, ns] = counts[k]!;
      for (let i = 0; i < nv; i++) valid[v++] = out[i] === 1;
      if (error !== undefined || ns === 0) {
        if (ns > 0) signatures = undefined;
        return;
      }
      if (signatures !== undefined)
        for (let i = 0; i < ns; i++) signatures[h + i] = out.subarray(nv + i * 64, nv + i * 64 + 64);
      h += ns;
    });
    return { valid, signatures };
  }

  /** Posts one job to the next worker (round robin) and resolves with its answer. */
  private send(job: { id: number } & Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (this.closed) return Promise.reject(new Error("verify pool is closed"));
    const id = this.nextId++;
    const slot = this.nextWorker++ % this.workers.length;
    const worker = this.workers[slot]!;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      worker.postMessage({ ...job, id }, transfer);
    });
  }

  /** Stops the workers; jobs still waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.pending.values()) p.reject(new Error("verify pool is closed"));
    this.pending.clear();
  }
}
