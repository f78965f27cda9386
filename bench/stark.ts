/**
 * Benchmark of ves-stark per-event compliance proofs (npm run bench:stark): proves N ≥ 50 random compliant amounts
 * with the production options, then verifies them as a verifier sees them (every proof proven first, then each
 * verified in VERIFY_PASSES passes over all of them: the verify median is the median of the per-proof medians, the mean
 * is over every verification), and prints median and mean prove and verify times, proof sizes and
 * the conjectured and provable security, next to the reference measured on this kind of machine (Winterfell release
 * build, 2-core machine, 150 proofs interleaved: default preset prove 4.7 ms, verify 0.46 ms, 45 KB, 55 bits, no zero
 * knowledge; 119-bit preset 85 ms / 1.0 ms / 92 KB) with our ratios against both; then the same figures for every
 * other preset (fewer runs: high-provable is slow), and the throughput of independent proofs on worker threads next
 * to the single-threaded figure (single-proof latency on the workers too). Usage: bench/stark.ts [runs] [limit].
 */
import { availableParallelism, loadavg } from "node:os";
import { Worker, isMainThread, parentPort } from "node:worker_threads";

import { SingleBar } from "cli-progress";

import {
  type ComplianceProof,
  PRESETS,
  PRESET_NAMES,
  PRODUCTION_OPTIONS,
  type Policy,
  type ProofOptions,
  air,
  deriveParams,
  securityLevels,
  poseidon2,
  policyFromLimit,
  proveCompliance,
  randomBlinding,
  randomPublicInputs,
  verifyCompliance,
} from "../offchain/stark";
import {
  proveAir,
  proveComplianceWith,
  seededWords,
  setWasmKernelsEnabled,
  wasmKernels,
} from "../offchain/stark/testing";

/** The reference (Winterfell release build) measured on this kind of 2-core machine, 150 proofs interleaved. */
const REFERENCE = { proveMs: 4.7, verifyMs: 0.46, sizeKb: 45, securityBits: 55 };
/** The reference's 119-bit preset, same measurement. */
const REFERENCE_119 = { proveMs: 85, verifyMs: 1.0, sizeKb: 92, securityBits: 119 };
/** Issue 17's aim: the reference's default preset, at ≥ 100 conjectured bits with zero knowledge. */
const AIM = { proveMs: 4.7, verifyMs: 0.5, sizeKb: 45, securityBits: 100 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** CPU time of this process in ms (user + system): less sensitive than wall time to other load on the machine. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function randomBelow(bound: bigint): bigint {
  const r = (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
  return r % bound;
}

/** Verification passes over the proven proofs (verify figures: median of per-proof medians, mean of all). */
const VERIFY_PASSES = 5;

/** A proof with what its verifier is given. */
interface Proven {
  readonly proofBytes: Uint8Array;
  readonly publicInputs: unknown;
}

/**
 * Verifies every proof `passes` times (pass after pass over all of them, after the proving is done); returns the
 * per-proof wall times (ms) and the CPU ms of all verifications. Throws if one does not verify.
 */
function verifyAll(proofs: readonly Proven[], policy: Policy, passes: number): { times: number[][]; cpu: number } {
  const times: number[][] = proofs.map(() => []);
  const c0 = cpuMs();
  for (let pass = 0; pass < passes; pass++) {
    proofs.forEach((p, i) => {
      const t0 = performance.now();
      const v = verifyCompliance({ proofBytes: p.proofBytes, publicInputs: p.publicInputs, expectedPolicy: policy });
      const t1 = performance.now();
      if (!v.valid) throw new Error(`proof ${i} did not verify: ${v.reason}`);
      (times[i] as number[]).push(t1 - t0);
    });
  }
  return { times, cpu: cpuMs() - c0 };
}

/** The median of the per-proof medians and the mean of every time. */
function verifyFigures(times: readonly number[][]): { median: number; mean: number } {
  return { median: median(times.map(median)), mean: mean(times.flat()) };
}

/** Mean ms per step of `runs` proofs (proveAir with `timings`) on random amounts. */
function profileSteps(limit: bigint, runs: number): Record<string, number> {
  const steps: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const amount = randomBelow(limit + 1n);
    const blinding = randomBlinding();
    const statement = { limit, commitment: poseidon2.commitAmount(amount, blinding) };
    proveAir({ amount, blinding, limit }, statement, new Uint8Array(32), PRODUCTION_OPTIONS, { timings: steps });
  }
  for (const k of Object.keys(steps)) steps[k] = (steps[k] as number) / runs;
  return steps;
}

function formatSteps(steps: Record<string, number>): string {
  return Object.entries(steps)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
}

/**
 * The WebAssembly kernels against the TypeScript path in one process, interleaved proof by proof (same amount,
 * inputs and seeded randomness for both, so the work is identical and the proof bytes are compared; once all are
 * proven, each is verified VERIFY_PASSES times both ways, interleaved), then the per-step
 * profile of each path (interleaved in blocks of 5 proofs). Answers the report lines.
 */
function wasmVersusTs(policy: Policy, limit: bigint, runs: number): string[] {
  setWasmKernelsEnabled(true);
  if (wasmKernels() === null) return ["", "WebAssembly kernels: not loaded (see the note above); TypeScript path only"];
  const t = { prove: [] as number[], verify: [] as number[] };
  const w = { prove: [] as number[], verify: [] as number[] };
  const ratio = { prove: [] as number[], verify: [] as number[] };
  const warmup = 10;
  const load = loadavg()[0] ?? 0;
  const proofs: Proven[] = [];
  for (let i = 0; i < runs + warmup; i++) {
    const amount = randomBelow(limit + 1n);
    const inputs = randomPublicInputs(policy);
    const blinding = randomBlinding();
    const one = (wasm: boolean): [number, ComplianceProof] => {
      setWasmKernelsEnabled(wasm);
      const t0 = performance.now();
      const p = proveComplianceWith({ amount, publicInputs: inputs, blinding, rng: seededWords(i) });
      return [performance.now() - t0, p];
    };
    // alternate which path goes first
    const first = i % 2 === 0;
    const a = one(first);
    const b = one(!first);
    const [wp, wProof] = first ? a : b;
    const [tp, tProof] = first ? b : a;
    if (Buffer.compare(Buffer.from(wProof.proofBytes), Buffer.from(tProof.proofBytes)) !== 0) {
      throw new Error(`proof ${i}: bytes differ`);
    }
    if (i < warmup) continue;
    proofs.push(wProof);
    w.prove.push(wp);
    t.prove.push(tp);
    ratio.prove.push(wp / tp);
  }
  // then every proof verified both ways, interleaved proof by proof (alternating which goes first), pass after pass
  const perW: number[][] = proofs.map(() => []);
  const perT: number[][] = proofs.map(() => []);
  for (let pass = 0; pass < VERIFY_PASSES; pass++) {
    proofs.forEach((p, i) => {
      for (const wasm of (pass + i) % 2 === 0 ? [true, false] : [false, true]) {
        setWasmKernelsEnabled(wasm);
        const t0 = performance.now();
        const v = verifyCompliance({ proofBytes: p.proofBytes, publicInputs: p.publicInputs, expectedPolicy: policy });
        const t1 = performance.now();
        if (!v.valid) throw new Error(`proof ${i} (wasm ${wasm}) did not verify: ${v.reason}`);
        ((wasm ? perW : perT)[i] as number[]).push(t1 - t0);
      }
    });
  }
  proofs.forEach((_, i) => {
    const mw = median(perW[i] as number[]);
    const mt = median(perT[i] as number[]);
    w.verify.push(mw);
    t.verify.push(mt);
    ratio.verify.push(mw / mt);
  });
  const profileRuns = 30;
  const stepsW: Record<string, number> = {};
  const stepsT: Record<string, number> = {};
  for (let block = 0; block < profileRuns / 5; block++) {
    for (const [wasm, acc] of [
      [true, stepsW],
      [false, stepsT],
    ] as const) {
      setWasmKernelsEnabled(wasm);
      for (const [k, v] of Object.entries(profileSteps(limit, 5))) acc[k] = (acc[k] ?? 0) + v / (profileRuns / 5);
    }
  }
  setWasmKernelsEnabled(true);
  const line = (name: string, ts: number[], wasm: number[], r: number[]): string =>
    `${name.padEnd(22)}${median(ts).toFixed(2).padStart(12)}${median(wasm).toFixed(2).padStart(12)}` +
    `${`×${median(r).toFixed(2)}`.padStart(14)}`;
  return [
    "",
    `WebAssembly kernels vs TypeScript, one process, interleaved proof by proof (${runs} pairs after ${warmup}, ` +
      `same randomness, proof bytes identical; each proof then verified ${VERIFY_PASSES} times both ways, interleaved: ` +
      `verify is the median of the per-proof medians; load ${load.toFixed(2)}):`,
    `${"".padEnd(22)}${"TS median".padStart(12)}${"wasm median".padStart(12)}${"median ratio".padStart(14)}`,
    line("prove (ms)", t.prove, w.prove, ratio.prove),
    line("verify (ms)", t.verify, w.verify, ratio.verify),
    `prover steps, TypeScript (mean ms, ${profileRuns} proofs): ${formatSteps(stepsT)}`,
    `prover steps, WebAssembly (mean ms, ${profileRuns} proofs): ${formatSteps(stepsW)}`,
  ];
}

/**
 * Median prove wall time (ms), verify time (median of per-proof medians over VERIFY_PASSES passes, once every proof
 * is proven) and proof size (bytes) of `runs` proofs after `warmup` unmeasured ones.
 */
function measure(
  options: ProofOptions,
  policy: Policy,
  limit: bigint,
  runs: number,
  warmup: number,
): [number, number, number] {
  const prove: number[] = [];
  const sizes: number[] = [];
  const proofs: Proven[] = [];
  for (let i = 0; i < runs + warmup; i++) {
    const t0 = performance.now();
    const p = proveCompliance({ amount: randomBelow(limit + 1n), publicInputs: randomPublicInputs(policy), options });
    const t1 = performance.now();
    if (i < warmup) continue;
    prove.push(t1 - t0);
    sizes.push(p.proofBytes.length);
    proofs.push(p);
  }
  verifyAll(proofs.slice(0, warmup), policy, 1);
  return [median(prove), verifyFigures(verifyAll(proofs, policy, VERIFY_PASSES).times).median, median(sizes)];
}

function main(): void {
  const runs = Math.max(50, Number(process.argv[2] ?? 100));
  const limit = BigInt(process.argv[3] ?? "18446744073709551615");
  const policy = policyFromLimit("order_total.cap", limit);
  const warmup = 10;
  const bar = process.stderr.isTTY
    ? new SingleBar({ stream: process.stderr, format: "[{bar}] {value}/{total}" })
    : undefined;
  bar?.start(runs + warmup, 0);
  const prove: number[] = [];
  const sizes: number[] = [];
  const proofs: Proven[] = [];
  let proveCpu = 0;
  const load = loadavg()[0] ?? 0;
  for (let i = 0; i < runs + warmup; i++) {
    const amount = randomBelow(limit + 1n);
    const inputs = randomPublicInputs(policy);
    const c0 = cpuMs();
    const t0 = performance.now();
    const p = proveCompliance({ amount, publicInputs: inputs, options: PRODUCTION_OPTIONS });
    const t1 = performance.now();
    const c1 = cpuMs();
    if (i >= warmup) {
      proveCpu += c1 - c0;
      prove.push(t1 - t0);
      sizes.push(p.proofBytes.length);
      proofs.push(p);
    }
    bar?.update(i + 1);
  }
  bar?.stop();
  // verification as a verifier sees it: all proofs exist, each is verified VERIFY_PASSES times (after one warm-up pass)
  verifyAll(proofs, policy, 1);
  const verified = verifyAll(proofs, policy, VERIFY_PASSES);
  const verify = verifyFigures(verified.times);
  const verifyCpu = verified.cpu / VERIFY_PASSES;
  // where the prover's time goes: per-step timings of the STARK prover on the same statement shape
  const profileRuns = 30;
  const steps = profileSteps(limit, profileRuns);
  const levels = securityLevels(PRODUCTION_OPTIONS, air.TRACE_LENGTH);
  const bits = levels.conjectured;
  const row = (name: string, med: string, avg: string, ref: string, aim: string): string =>
    `${name.padEnd(22)}${med.padStart(12)}${avg.padStart(12)}${ref.padStart(14)}${aim.padStart(10)}`;
  const lines = [
    `ves-stark benchmark: ${runs} proofs (after ${warmup} warm-up), random amounts in 0..${limit}, order_total.cap, Node ${process.version}`,
    `options: ${JSON.stringify(PRODUCTION_OPTIONS)}; zero knowledge: yes; kernels: ${wasmKernels() === null ? "TypeScript" : "WebAssembly"}; 1-minute load average at start ${load.toFixed(2)}`,
    `prove: each of the ${runs} proofs timed alone; verify: once all are proven, each verified ${VERIFY_PASSES} times ` +
      `(pass after pass over all, after a warm-up pass): median of the per-proof medians, mean of all ` +
      `${runs * VERIFY_PASSES} verifications; CPU per proof / per verification`,
    "",
    row("", "median", "mean", "reference", "aim"),
    row(
      "prove (ms)",
      median(prove).toFixed(2),
      mean(prove).toFixed(2),
      REFERENCE.proveMs.toFixed(2),
      `≤ ${AIM.proveMs}`,
    ),
    row(
      "verify (ms)",
      verify.median.toFixed(3),
      verify.mean.toFixed(3),
      REFERENCE.verifyMs.toFixed(2),
      `≤ ${AIM.verifyMs}`,
    ),
    row(
      "proof size (KB)",
      (median(sizes) / 1024).toFixed(1),
      (mean(sizes) / 1024).toFixed(1),
      String(REFERENCE.sizeKb),
      `≤ ${AIM.sizeKb}`,
    ),
    row("conjectured (bits)", String(bits), String(bits), String(REFERENCE.securityBits), `≥ ${AIM.securityBits}`),
    row("provable (bits)", String(levels.provable), String(levels.provable), "", ""),
    row("prove CPU (ms)", "", (proveCpu / runs).toFixed(2), "", ""),
    row("verify CPU (ms)", "", (verifyCpu / runs).toFixed(3), "", ""),
    "",
    `prover steps (mean ms over ${profileRuns} proofs): ${formatSteps(steps)}`,
    "",
    "reference (Winterfell release, measured on this kind of machine): default preset prove 4.7 ms, verify 0.46 ms, " +
      "45 KB, 55 bits, no ZK; 119-bit preset 85 ms / 1.0 ms / 92 KB",
    `ratios (our median / reference): vs default prove ×${(median(prove) / REFERENCE.proveMs).toFixed(2)}, ` +
      `verify ×${(verify.median / REFERENCE.verifyMs).toFixed(2)}, size ×${(median(sizes) / 1024 / REFERENCE.sizeKb).toFixed(2)}; ` +
      `vs 119-bit prove ×${(median(prove) / REFERENCE_119.proveMs).toFixed(2)}, ` +
      `verify ×${(verify.median / REFERENCE_119.verifyMs).toFixed(2)}, size ×${(median(sizes) / 1024 / REFERENCE_119.sizeKb).toFixed(2)}`,
  ];
  lines.push(...wasmVersusTs(policy, limit, runs));
  // every preset: median prove / verify / size and both security figures (production from the runs above)
  const presetRuns = Math.max(10, Math.round(runs / 5));
  lines.push(
    "",
    `presets (medians; ${presetRuns} proofs after 3 warm-ups, each verified ${VERIFY_PASSES} times once all are ` +
      `proven; production from the runs above):`,
  );
  lines.push(
    `${"preset".padEnd(15)}${"queries".padStart(8)}${"D".padStart(6)}${"N".padStart(6)}${"prove ms".padStart(10)}` +
      `${"verify ms".padStart(11)}${"size KB".padStart(9)}${"conjectured".padStart(13)}${"provable (UD/LD)".padStart(18)}`,
  );
  for (const name of PRESET_NAMES) {
    const o = PRESETS[name];
    const [p, v, size]: [number, number, number] =
      name === "production" ? [median(prove), verify.median, median(sizes)] : measure(o, policy, limit, presetRuns, 3);
    const d = deriveParams(o, air.TRACE_LENGTH);
    const l = securityLevels(o, air.TRACE_LENGTH);
    lines.push(
      `${name.padEnd(15)}${String(o.numQueries).padStart(8)}${String(d.degreeBound).padStart(6)}` +
        `${String(d.ldeSize).padStart(6)}${p.toFixed(2).padStart(10)}${v.toFixed(2).padStart(11)}` +
        `${(size / 1024).toFixed(1).padStart(9)}${String(l.conjectured).padStart(13)}` +
        `${`${l.provable} (${l.uniqueDecoding}/${l.listDecoding})`.padStart(18)}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  void throughput(policy, limit, Math.max(50, runs), median(prove));
}

/** Proves `count` random statements in this thread; returns the wall milliseconds of each proof. */
function proveMany(policy: Policy, limit: bigint, count: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    proveCompliance({ amount: randomBelow(limit + 1n), publicInputs: randomPublicInputs(policy) });
    times.push(performance.now() - t);
  }
  return times;
}

interface Job {
  readonly limit: string;
  readonly count: number;
}

if (!isMainThread) {
  parentPort?.on("message", (job: Job) => {
    const limit = BigInt(job.limit);
    parentPort?.postMessage(proveMany(policyFromLimit("order_total.cap", limit), limit, job.count));
  });
} else {
  main();
}

function onWorker(w: Worker, job: Job): Promise<number[]> {
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
    w.postMessage(job);
  });
}

/** Independent proofs on worker threads (one per core, at least 2): proofs per second against this thread's. */
async function throughput(policy: Policy, limit: bigint, count: number, singleMedianMs: number): Promise<void> {
  const threads = Math.max(2, availableParallelism());
  const source = `require("ts-node").register({ transpileOnly: true }); require(${JSON.stringify(__filename)});`;
  const workers = Array.from({ length: threads }, () => new Worker(source, { eval: true }));
  try {
    const warm = { limit: limit.toString(), count: 10 };
    await Promise.all(workers.map((w) => onWorker(w, warm)));
    const t = performance.now();
    const each = await Promise.all(workers.map((w) => onWorker(w, { limit: limit.toString(), count })));
    const wall = performance.now() - t;
    const perProof = each.flat();
    process.stdout.write(
      `\nworker threads: ${threads} × ${count} proofs in ${(wall / 1000).toFixed(2)} s = ` +
        `${((threads * count * 1000) / wall).toFixed(0)} proofs/s (single-threaded ${(1000 / singleMedianMs).toFixed(0)}/s); ` +
        `single-proof latency on a worker ${median(perProof).toFixed(2)} ms (median), load ${(loadavg()[0] ?? 0).toFixed(2)}\n`,
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
