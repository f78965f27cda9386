/**
 * Benchmark of ves-stark batch compliance proofs (npm run bench:stark-batch): for batches of 8, 32, 128 and 1,024
 * events (random committed amounts, random signing hashes and signatures, the commitment computed with offchain/ves)
 * it prints prove and verify time, proof size, the process's peak memory and the conjectured and provable security
 * of the production options, single-threaded and with one batch per worker thread (throughput), next to the
 * reference's figures (Winterfell release build, 2-core machine; unsound, 45–49 bits) and the aims.
 * Usage: bench/stark-batch.ts [sizes, comma-separated] [runs].
 */
import { randomBytes, randomUUID } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

import {
  type BatchStatement,
  type BatchWitness,
  PRODUCTION_OPTIONS,
  commitmentToHex,
  effectiveLimit,
  policyFromLimit,
  policyHashHex,
  policyParams,
  poseidon2,
  proveBatch,
  randomBlinding,
  rawLimit,
  verifyBatch,
} from "../offchain/stark";
import { buildCommitment, bytesToHex, hexToBytes, leafHash } from "../offchain/ves";

const POLICY = policyFromLimit("aml.threshold", 1_000_000n);
const REFERENCE: Record<number, string> = {
  8: "0.68 s / 2.3 ms / 60 KB / 72 MB",
  32: "2.7 s / 6.0 ms / 65 KB / 276 MB",
  128: "11.8 s / 20 ms / 72 KB / 1.1 GB",
};
const AIM: Record<number, string> = { 128: "≤ 1 s / ≤ 10 ms / ≤ 80 KB / ≤ 300 MB, ≥ 100 bits", 1024: "≤ 8 s" };

interface Batch {
  readonly statement: BatchStatement;
  readonly witness: BatchWitness;
}

function randomBatch(n: number): Batch {
  const tenantId = randomUUID();
  const storeId = randomUUID();
  const openings: BatchWitness["openings"][number][] = [];
  const events = Array.from({ length: n }, (_, i) => {
    const amount = BigInt(`0x${randomBytes(4).toString("hex")}`) % 1_200_000n;
    const blinding = randomBlinding();
    openings.push({ amount, blinding });
    return {
      sequenceNumber: String(i + 1),
      eventId: randomUUID(),
      eventType: "order.created",
      scope: "in_scope" as const,
      reason: "none" as const,
      amountCommitment: commitmentToHex(poseidon2.commitAmount(amount, blinding)),
      eventSigningHash: randomBytes(32).toString("hex"),
      agentSignature: randomBytes(64).toString("hex"),
    };
  });
  const c = buildCommitment({
    tenantId,
    storeId,
    sequenceStart: 1n,
    leaves: events.map((e, i) =>
      leafHash({
        tenantId,
        storeId,
        sequenceNumber: BigInt(i + 1),
        eventSigningHash: hexToBytes(e.eventSigningHash),
        agentSignature: hexToBytes(e.agentSignature),
      }),
    ),
  });
  return {
    witness: { openings },
    statement: {
      version: 1,
      batchId: randomUUID(),
      tenantId,
      storeId,
      sequenceStart: "1",
      sequenceEnd: String(n),
      policyId: POLICY.id,
      policyParams: policyParams(POLICY),
      policyHash: policyHashHex(POLICY),
      policyLimit: rawLimit(POLICY).toString(),
      effectiveLimit: effectiveLimit(POLICY).toString(),
      currency: "USD",
      merkleRoot: bytesToHex(c.merkleRoot),
      prevStateRoot: "00".repeat(32),
      newStateRoot: bytesToHex(c.newStateRoot),
      events,
    },
  };
}

function commitmentOf(st: BatchStatement) {
  return {
    batch_id: st.batchId,
    tenant_id: st.tenantId,
    store_id: st.storeId,
    merkle_root: st.merkleRoot,
    prev_state_root: st.prevStateRoot,
    new_state_root: st.newStateRoot,
    sequence_start: st.sequenceStart,
    sequence_end: st.sequenceEnd,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Proves one random batch of n events; returns wall milliseconds (worker side). */
function proveOne(n: number): number {
  const b = randomBatch(n);
  const t = performance.now();
  proveBatch(b.statement, b.witness, PRODUCTION_OPTIONS);
  return performance.now() - t;
}

if (!isMainThread) {
  parentPort?.on("message", (n: number) => parentPort?.postMessage(proveOne(n)));
} else {
  main();
}

function startWorkers(count: number): Worker[] {
  const source = `require("ts-node").register({ transpileOnly: true }); require(${JSON.stringify(__filename)});`;
  return Array.from({ length: count }, () => new Worker(source, { eval: true, workerData: {} }));
}

function onWorker(w: Worker, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
    w.postMessage(n);
  });
}

function main(): void {
  void workerData;
  const sizes = (process.argv[2] ?? "8,32,128,1024").split(",").map(Number);
  const runs = Number(process.argv[3] ?? 3);
  const threads = Math.max(2, availableParallelism());
  console.log(
    `ves-stark batch proofs, production options, ${runs} runs (1 for 1,024 events), load ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log("events | prove (median) | verify (median) | proof | peak RSS | bits conj./prov. | reference | aim");
  proveOne(8); // warm-up
  const rows: { n: number; proveMs: number }[] = [];
  for (const n of sizes) {
    const r = n >= 1024 ? 1 : runs;
    const prove: number[] = [];
    const verify: number[] = [];
    let size = 0;
    let bits = "";
    for (let i = 0; i < r; i++) {
      const b = randomBatch(n);
      let t = performance.now();
      const bundle = proveBatch(b.statement, b.witness, PRODUCTION_OPTIONS);
      prove.push(performance.now() - t);
      size = bundle.metadata.proof_size;
      bits = `${bundle.metadata.security_bits}/${bundle.metadata.provable_security_bits}`;
      for (let k = 0; k < 5; k++) {
        t = performance.now();
        const v = verifyBatch(bundle, { commitment: commitmentOf(b.statement), policy: POLICY });
        verify.push(performance.now() - t);
        if (!v.valid) throw new Error(`own proof rejected: ${v.reason}`);
      }
    }
    const rss = process.resourceUsage().maxRSS / 1024;
    rows.push({ n, proveMs: median(prove) });
    console.log(
      `${String(n).padStart(6)} | ${(median(prove) / 1000).toFixed(2).padStart(8)} s | ${median(verify).toFixed(1).padStart(8)} ms | ` +
        `${(size / 1024).toFixed(1)} KB | ${rss.toFixed(0)} MB | ${bits} | ${REFERENCE[n] ?? "–"} | ${AIM[n] ?? "–"}`,
    );
  }
  console.log("(peak RSS is the process's peak so far; sizes run in increasing order)");
  void (async () => {
    const workers = startWorkers(threads);
    for (const w of workers) await onWorker(w, 8); // warm-up and ts-node load
    console.log(`\nworker threads: ${threads} batches at once, one per worker`);
    for (const { n, proveMs } of rows) {
      const t = performance.now();
      const each = await Promise.all(workers.map((w) => onWorker(w, n)));
      const wall = performance.now() - t;
      console.log(
        `${String(n).padStart(6)} events: ${threads} batches in ${(wall / 1000).toFixed(2)} s ` +
          `(${((threads * 1000) / wall).toFixed(2)} batches/s; single-threaded ${(1000 / proveMs).toFixed(2)}/s; ` +
          `per batch ${(median(each) / 1000).toFixed(2)} s)`,
      );
    }
    await Promise.all(workers.map((w) => w.terminate()));
  })();
}
