/**
 * Ed25519 verification on worker threads. Ingest verifies one signature per event; on a request of many events the
 * checks are split across the pool so they run beside the main thread (which parses, hashes and writes). The workers
 * use node:crypto only (OpenSSL, the same verification as `ed25519Node` in offchain/ves) and cache public keys.
 */
import { Worker } from "node:worker_threads";
import os from "node:os";

/** One signature check: a 64-byte signature over a message under a 32-byte public key. */
export interface VerifyItem {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: Uint8Array;
}

// The worker: decodes raw keys once (SPKI prefix for Ed25519), verifies each item, answers with a byte per item.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
const SPKI = Buffer.from("302a300506032b6570032100", "hex");
const keys = new Map();
function key(pk) {
  const id = Buffer.from(pk).toString("hex");
  let k = keys.get(id);
  if (k === undefined) {
    k = createPublicKey({ key: Buffer.concat([SPKI, Buffer.from(pk)]), format: "der", type: "spki" });
    if (keys.size > 4096) keys.clear();
    keys.set(id, k);
  }
  return k;
}
parentPort.on("message", ({ id, items }) => {
  const out = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    try {
      out[i] = verify(null, it.message, key(it.publicKey), it.signature) ? 1 : 0;
    } catch {
      out[i] = 0;
    }
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

interface Pending {
  resolve(out: Uint8Array): void;
  reject(e: unknown): void;
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
      w.on("message", (m: { id: number; out: Uint8Array }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.out);
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
      const id = this.nextId++;
      const worker = this.workers[this.nextWorker++ % this.workers.length]!;
      chunks.push(
        new Promise<Uint8Array>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ id, items: slice });
        }),
      );
    }
    const results = await Promise.all(chunks);
    return results.flatMap((r) => Array.from(r, (b) => b === 1));
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
