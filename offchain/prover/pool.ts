/**
 * The prover's worker threads: proofs are CPU-bound and synchronous, so on the main thread they would stall the
 * event loop — lease renewals, /health and the other jobs. The pool runs each task on one of `size` threads (started
 * on first use), queues the rest, and replaces a thread that dies (its task fails with the reason; the job is retried
 * under a new lease like any failed job).
 */
import path from "node:path";
import type { Worker } from "node:worker_threads";

import { startModuleWorker } from "../common";
import type { ProofResult, ProofTask } from "./tasks";

interface Pending {
  readonly task: ProofTask;
  readonly resolve: (r: ProofResult) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: { readonly id: number; readonly pending: Pending } | null;
}

const ENTRY = path.join(__dirname, `proof-worker${path.extname(__filename)}`);

/** A fixed-size pool of proof threads. */
export class ProofPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("a pool needs at least one thread");
  }

  /** Tasks running or queued. */
  get load(): number {
    return this.queue.length + this.slots.filter((s) => s.busy !== null).length;
  }

  /** Runs `task` on a thread. */
  run(task: ProofTask): Promise<ProofResult> {
    if (this.closed) return Promise.reject(new Error("the proof pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every thread; queued and running tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error("the proof pool is closed"));
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        s.busy?.pending.reject(new Error("the proof pool is closed"));
        s.busy = null;
        await s.worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.busy === null);
      if (slot === undefined && this.slots.length < this.size) slot = this.spawn();
      if (slot === undefined) return;
      const pending = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = { id, pending };
      slot.worker.postMessage({ id, task: pending.task });
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startModuleWorker(ENTRY), busy: null };
    slot.worker.on("message", (msg: { id: number; result?: ProofResult; error?: string }) => {
      const busy = slot.busy;
      if (busy === null || busy.id !== msg.id) return;
      slot.busy = null;
      if (msg.error !== undefined) busy.pending.reject(new Error(msg.error));
      else busy.pending.resolve(msg.result!);
      this.dispatch();
    });
    const lost = (reason: string) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return; // closed or already replaced
      this.slots.splice(i, 1);
      slot.busy?.pending.reject(new Error(`proof thread died: ${reason}`));
      slot.busy = null;
      if (!this.closed) this.dispatch();
    };
    slot.worker.on("error", (e: Error) => lost(e.message));
    slot.worker.on("exit", (code) => lost(`exit code ${code}`));
    this.slots.push(slot);
    return slot;
  }
}
