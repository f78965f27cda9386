/**
 * Red-team differential fuzzing of the STARK verifier's WebAssembly path against its TypeScript reference. A hostile
 * prover controls every byte of a proof, so for every mutated proof the verdict (valid, or the failure reason) and any
 * thrown error must be the same with the kernels on and forced off, nothing may throw but the library's typed
 * StarkError (a RangeError, TypeError or wasm RuntimeError is a bug), and honest proofs must still verify on both paths
 * after runs of rejected ones (no state left behind in the kernels' shared memory or the verifier's scratch arrays).
 *
 * Deterministic: fixed proving randomness and a fixed xorshift32 seed drive every mutation; no timing thresholds.
 * Mutations: bit flips, byte runs of 0xff / 0x00, truncation and extension (up to past the 10 MiB cap), the u16 row
 * and authentication counts, option bytes, field elements replaced with p, p + 1, 2^31, 2^32 − 1 (and a 2^64 − 1
 * nonce), salts and digests, rows and authentication nodes swapped or spliced from another proof, and honest proofs
 * checked against another proof's public inputs; per-event proofs at the production, high-provable and test options
 * and at 255 queries with 16-fold FRI (the largest openings), and one small batch proof through verifyBatch. Proofs of
 * forged traces are also verified with the OOD check neutralised and an absorbed value changed afterwards, so that
 * the DEEP-value and FRI-folding kernels decide on hostile inputs; parsed proof objects are verified again on the other
 * path (openings whose rows were read). Regression: merkle.verifyRows with a root of other than 8 words.
 */
import { expect } from "chai";

import {
  type AcceptableOptions,
  type ComplianceProof,
  PRESETS,
  PRODUCTION_OPTIONS,
  type ProofOptions,
  SALT_WORDS,
  StarkError,
  TEST_OPTIONS,
  batchBundleHash,
  batchProofHashHex,
  batchTraceLength,
  BATCH_WIDTH,
  deriveParams,
  deserializeProof,
  field,
  fri,
  merkle,
  type StarkProof,
  policyFromLimit,
  proveBatch,
  randomPublicInputs,
  air,
  poseidon2,
  serializeProof,
  verifyAir,
  verifyBatch,
  verifyCompliance,
  type BatchProofBundle,
  type CompliancePublicInputs,
  type Policy,
  bindingContext,
  commitmentFromHex,
  effectiveLimit,
  MAX_PROOF_BYTES,
} from "../../../offchain/stark";
import {
  blindingFrom,
  complianceAir,
  proveAir,
  proveComplianceWith,
  seededWords,
  setWasmKernelsEnabled,
  type StarkAir,
  verifyStark,
  wasmKernels,
} from "../../../offchain/stark/testing";
import { violatedConstraints } from "./support/forge";
import { AML_10000, TEST_ACCEPTABLE, expectationOf, syntheticBatch } from "./batch/support";

const P = 0x7f000001;
/** The fuzzer's seed and run multiplier (fixed by default; STARK_FUZZ_SEED / STARK_FUZZ_SCALE for longer local runs). */
const FUZZ_SEED = Number(process.env.STARK_FUZZ_SEED ?? 0x5eed1234);
const FUZZ_SCALE = Number(process.env.STARK_FUZZ_SCALE ?? 1);

/** xorshift32: the fuzzer's only source of choices. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Where things sit in an encoded proof (byte offsets), from its header and the opening counts it holds. */
interface Layout {
  /** Offsets of words that must be canonical field elements (OOD frame, remainder, opened values). */
  readonly felts: number[];
  /** Offsets of salt words (any u32). */
  readonly salts: number[];
  /** Offsets of digest words (roots and authentication nodes). */
  readonly digests: number[];
  /** Offsets of the u16 row counts and authentication counts of the openings. */
  readonly counts: number[];
  /** Per opening: byte offset and byte length of each leaf (salt ‖ row), and of each authentication node. */
  readonly openings: { readonly leaves: [number, number][]; readonly auth: [number, number][] }[];
  /** Offset of the u64 proof-of-work nonce. */
  readonly nonce: number;
}

function layoutOf(bytes: Uint8Array, o: ProofOptions, traceLength: number, W: number): Layout {
  const params = deriveParams(o, traceLength);
  const shape = fri.friShape(params.degreeBound, params.ldeSize, o.foldingLog2, o.remainderLog2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const felts: number[] = [];
  const salts: number[] = [];
  const digests: number[] = [];
  const counts: number[] = [];
  const openings: Layout["openings"][number][] = [];
  let at = 10;
  const words = (list: number[], n: number): void => {
    for (let i = 0; i < n; i++, at += 4) list.push(at);
  };
  words(digests, 16);
  words(felts, 4 * (2 * W + params.numChunks));
  words(digests, 8 * shape.domainSizes.length);
  words(felts, 4 * shape.remainderBound);
  const nonce = at;
  at += 8;
  const opening = (saltWords: number, width: number): void => {
    counts.push(at);
    const count = view.getUint16(at, true);
    at += 2;
    const leaves: [number, number][] = [];
    for (let r = 0; r < count; r++) {
      leaves.push([at, 4 * (saltWords + width)]);
      words(salts, saltWords);
      words(felts, width);
    }
    counts.push(at);
    const authCount = view.getUint16(at, true);
    at += 2;
    const auth: [number, number][] = [];
    for (let a = 0; a < authCount; a++) {
      auth.push([at, 32]);
      words(digests, 8);
    }
    openings.push({ leaves, auth });
  };
  opening(SALT_WORDS, W);
  opening(SALT_WORDS, 4 * (params.numChunks + 1));
  for (let l = 0; l < shape.domainSizes.length; l++) opening(0, 4 * shape.folding);
  expect(at, "layout covers the proof").to.equal(bytes.length);
  return { felts, salts, digests, counts, openings, nonce };
}

/** What a verification gave: the verdict, or what it threw (class and code). */
function outcome(run: () => { valid: boolean; reason?: string }): string {
  try {
    const v = run();
    return v.valid ? "valid" : `invalid:${v.reason ?? "?"}`;
  } catch (e) {
    if (e instanceof StarkError) return `threw:StarkError:${e.code}`;
    const name = e instanceof Error ? e.constructor.name : typeof e;
    return `threw:${name}:${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The outcome with the kernels on and with them forced off (in the given order). */
function onOff(run: () => { valid: boolean; reason?: string }, offFirst = false): { on: string; off: string } {
  const with_ = (on: boolean): string => {
    setWasmKernelsEnabled(on);
    try {
      return outcome(run);
    } finally {
      setWasmKernelsEnabled(true);
    }
  };
  if (offFirst) {
    const off = with_(false);
    return { on: with_(true), off };
  }
  const on = with_(true);
  return { on, off: with_(false) };
}

/** Asserts the same outcome on both paths and nothing thrown but a StarkError; returns the outcome. */
function expectSame(label: string, run: () => { valid: boolean; reason?: string }, offFirst = false): string {
  const { on, off } = onOff(run, offFirst);
  expect(on, `${label}: kernels on vs off`).to.equal(off);
  expect(on.startsWith("threw:") && !on.startsWith("threw:StarkError:"), `${label}: ${on}`).to.equal(false);
  return on;
}

/** A mutator: a fresh mutated copy of `base` (or null when the mutation does not apply). */
type Mutation = (base: Uint8Array, lay: Layout, rnd: () => number) => { name: string; bytes: Uint8Array } | null;

const pick = <T>(list: readonly T[], rnd: () => number): T => list[rnd() % list.length] as T;
const FELT_VALUES = [P, P + 1, P - 1, 0x80000000, 0xffffffff, 0x7fffffff, 0];

function withWord(base: Uint8Array, at: number, v: number): Uint8Array {
  const b = base.slice();
  new DataView(b.buffer).setUint32(at, v >>> 0, true);
  return b;
}

function swapRanges(base: Uint8Array, a: [number, number], b: [number, number]): Uint8Array | null {
  if (a[1] !== b[1] || a[0] === b[0]) return null;
  const out = base.slice();
  out.set(base.subarray(a[0], a[0] + a[1]), b[0]);
  out.set(base.subarray(b[0], b[0] + b[1]), a[0]);
  return out;
}

const MUTATIONS: readonly Mutation[] = [
  (base, _l, rnd) => {
    const b = base.slice();
    const n = 1 + (rnd() % 3);
    for (let i = 0; i < n; i++) {
      const at = rnd() % b.length;
      b[at] = (b[at] as number) ^ (1 << (rnd() % 8));
    }
    return { name: `bit flips x${n}`, bytes: b };
  },
  (base, _l, rnd) => {
    const b = base.slice();
    const at = rnd() % b.length;
    const len = 1 + (rnd() % 64);
    const v = rnd() % 2 === 0 ? 0xff : 0x00;
    b.fill(v, at, at + len);
    return { name: `run of ${len} × ${v} at ${at}`, bytes: b };
  },
  (base, _l, rnd) => {
    const len = rnd() % base.length;
    return { name: `truncated to ${len}`, bytes: base.slice(0, len) };
  },
  (base, _l, rnd) => {
    const extra = [1, 2, 3, 4, 16, 32, 1000][rnd() % 7] as number;
    const b = new Uint8Array(base.length + extra);
    b.set(base);
    if (rnd() % 2 === 0) for (let i = base.length; i < b.length; i++) b[i] = rnd() & 0xff;
    return { name: `extended by ${extra}`, bytes: b };
  },
  (base, lay, rnd) => {
    const at = pick(lay.counts, rnd);
    const old = new DataView(base.buffer, base.byteOffset).getUint16(at, true);
    const v = pick([0, 1, old - 1, old + 1, old + 2, 0xffff, 0x8000, rnd() & 0xffff], rnd) & 0xffff;
    const b = base.slice();
    new DataView(b.buffer).setUint16(at, v, true);
    return { name: `count at ${at}: ${old} → ${v}`, bytes: b };
  },
  (base, _l, rnd) => {
    const at = 5 + (rnd() % 5);
    const b = base.slice();
    b[at] = pick([0, 1, 2, 3, 4, 5, 8, 16, 24, 25, 255, (b[at] as number) + 1, (b[at] as number) - 1], rnd) & 0xff;
    return { name: `option byte ${at} → ${b[at]}`, bytes: b };
  },
  (base, lay, rnd) => {
    const at = pick(lay.felts, rnd);
    const v = pick(FELT_VALUES, rnd);
    return { name: `felt at ${at} → ${v}`, bytes: withWord(base, at, v) };
  },
  (base, lay, rnd) => {
    // the same element replaced by its value + p (the Montgomery / reduction confusion), when that fits in u32
    const at = pick(lay.felts, rnd);
    const old = new DataView(base.buffer, base.byteOffset).getUint32(at, true);
    return { name: `felt at ${at} + p`, bytes: withWord(base, at, old + P) };
  },
  (base, lay, rnd) => {
    const at = pick(lay.salts, rnd);
    return { name: `salt at ${at}`, bytes: withWord(base, at, pick([0xffffffff, P, 0, rnd()], rnd)) };
  },
  (base, lay, rnd) => {
    const at = pick(lay.digests, rnd);
    return { name: `digest word at ${at}`, bytes: withWord(base, at, rnd()) };
  },
  (base, lay, rnd) => {
    const b = base.slice();
    const v = pick([0xffffffff, 0x001fffff, 0x00200000, 0], rnd);
    new DataView(b.buffer).setUint32(lay.nonce, pick([0xffffffff, 0, 1], rnd), true);
    new DataView(b.buffer).setUint32(lay.nonce + 4, v, true);
    return { name: `nonce hi ${v}`, bytes: b };
  },
  (base, lay, rnd) => {
    const op = pick(lay.openings, rnd);
    if (op.leaves.length < 2) return null;
    const i = rnd() % op.leaves.length;
    const j = rnd() % op.leaves.length;
    const b = swapRanges(base, op.leaves[i] as [number, number], op.leaves[j] as [number, number]);
    return b === null ? null : { name: `leaves ${i} ↔ ${j}`, bytes: b };
  },
  (base, lay, rnd) => {
    const op = pick(lay.openings, rnd);
    if (op.auth.length < 2) return null;
    const i = rnd() % op.auth.length;
    const j = rnd() % op.auth.length;
    const b = swapRanges(base, op.auth[i] as [number, number], op.auth[j] as [number, number]);
    return b === null ? null : { name: `auth nodes ${i} ↔ ${j}`, bytes: b };
  },
  (base, lay, rnd) => {
    // a leaf's row duplicated over its neighbour (a repeated opening)
    const op = pick(lay.openings, rnd);
    if (op.leaves.length < 2) return null;
    const i = rnd() % (op.leaves.length - 1);
    const [a, len] = op.leaves[i] as [number, number];
    const [c] = op.leaves[i + 1] as [number, number];
    const b = base.slice();
    b.set(base.subarray(a, a + len), c);
    return { name: `leaf ${i} copied over ${i + 1}`, bytes: b };
  },
  (base, lay, rnd) => {
    // an authentication node dropped (count − 1 and its 32 bytes removed) or repeated
    const opIndex = rnd() % lay.openings.length;
    const op = lay.openings[opIndex] as Layout["openings"][number];
    if (op.auth.length === 0) return null;
    const [at] = op.auth[rnd() % op.auth.length] as [number, number];
    const countAt = lay.counts[2 * opIndex + 1] as number;
    const drop = rnd() % 2 === 0;
    const b = drop ? new Uint8Array(base.length - 32) : new Uint8Array(base.length + 32);
    if (drop) {
      b.set(base.subarray(0, at));
      b.set(base.subarray(at + 32), at);
    } else {
      b.set(base.subarray(0, at + 32));
      b.set(base.subarray(at), at + 32);
    }
    const dv = new DataView(b.buffer);
    dv.setUint16(countAt, dv.getUint16(countAt, true) + (drop ? -1 : 1), true);
    return { name: `auth node ${drop ? "dropped" : "repeated"} in opening ${opIndex}`, bytes: b };
  },
];

/** Valid options at the edge of what the format allows: 255 queries, folding 16, remainder bound 1. */
const WIDE_OPTIONS: ProofOptions = {
  numQueries: 255,
  blowupLog2: 2,
  grindingBits: 0,
  foldingLog2: 4,
  remainderLog2: 0,
};

interface PerEvent {
  readonly proof: ComplianceProof;
  readonly policy: Policy;
  readonly acceptable: AcceptableOptions | undefined;
  readonly options: ProofOptions;
}

function verifyEvent(p: PerEvent, bytes: Uint8Array, inputs: CompliancePublicInputs = p.proof.publicInputs) {
  return verifyCompliance({ proofBytes: bytes, publicInputs: inputs, expectedPolicy: p.policy }, p.acceptable);
}

describe("stark verifier: WebAssembly path against the TypeScript reference (differential fuzzing)", function () {
  this.timeout(120_000);
  const policy = policyFromLimit("aml.threshold", 10000n);
  let proofs: PerEvent[];

  before(function () {
    setWasmKernelsEnabled(true);
    if (wasmKernels() === null) this.skip(); // wasm.test.ts builds the kernels and fails loudly when they are missing
    const make = (s: number, amount: bigint, options: ProofOptions, acceptable?: AcceptableOptions): PerEvent => ({
      proof: proveComplianceWith({
        amount,
        publicInputs: randomPublicInputs(policy),
        options,
        rng: seededWords(700 + s),
        blinding: blindingFrom(seededWords(800 + s)),
      }),
      policy,
      acceptable,
      options,
    });
    proofs = [
      make(1, 5000n, PRODUCTION_OPTIONS),
      make(2, 9999n, PRODUCTION_OPTIONS),
      make(3, 0n, TEST_OPTIONS, TEST_ACCEPTABLE),
      make(4, 1n, PRESETS["high-provable"]),
      // the most rows and authentication nodes an opening may have (255 queries), 16-fold FRI cosets of 64 words
      make(5, 9998n, WIDE_OPTIONS, { options: [WIDE_OPTIONS], minSecurityBits: 0 }),
    ];
  });

  after(function () {
    setWasmKernelsEnabled(undefined);
  });

  it("honest proofs verify on both paths", function () {
    for (const p of proofs) expect(expectSame("honest", () => verifyEvent(p, p.proof.proofBytes))).to.equal("valid");
  });

  it("mutated per-event proofs get the same verdict and error with the kernels on and off", function () {
    const rnd = xorshift(FUZZ_SEED);
    const seen = new Map<string, number>();
    const perProof = [240, 200, 300, 80, 50];
    proofs.forEach((p, pi) => {
      const base = p.proof.proofBytes;
      const lay = layoutOf(base, p.options, 32, 24);
      for (let i = 0; i < FUZZ_SCALE * (perProof[pi] as number); i++) {
        const m = (MUTATIONS[rnd() % MUTATIONS.length] as Mutation)(base, lay, rnd);
        if (m === null || Buffer.from(m.bytes).equals(Buffer.from(base))) continue;
        const got = expectSame(`proof ${pi} #${i} ${m.name}`, () => verifyEvent(p, m.bytes), i % 3 === 0);
        expect(got, `proof ${pi} #${i} ${m.name}`).to.not.equal("valid");
        seen.set(got, (seen.get(got) ?? 0) + 1);
        // every so often: the honest proof still verifies on both paths after the rejected ones
        if (i % 40 === 39)
          expect(expectSame("honest again", () => verifyEvent(p, base), i % 80 === 39)).to.equal("valid");
      }
    });
    // the mutations reach deep into the verifier, not only the parser
    const reasons = [...seen.keys()].join(" ");
    for (const r of [
      "MALFORMED_PROOF",
      "TRACE_COMMITMENT_MISMATCH",
      "FRI_COMMITMENT_MISMATCH",
      "OOD_CONSTRAINT_MISMATCH",
    ]) {
      expect(reasons, `no mutation reached ${r}: ${reasons}`).to.contain(r);
    }
  });

  it("proofs spliced from two proofs and proofs checked against other inputs are refused on both paths", function () {
    const [a, b] = proofs as [PerEvent, PerEvent];
    const la = layoutOf(a.proof.proofBytes, a.options, 32, 24);
    const lb = layoutOf(b.proof.proofBytes, b.options, 32, 24);
    // another proof's public inputs (and the same inputs with the other's commitment)
    for (const [p, q] of [
      [a, b],
      [b, a],
    ] as const) {
      expect(expectSame("other inputs", () => verifyEvent(p, p.proof.proofBytes, q.proof.publicInputs))).to.not.equal(
        "valid",
      );
      const mixed = { ...p.proof.publicInputs, witnessCommitment: q.proof.publicInputs.witnessCommitment };
      expect(expectSame("other commitment", () => verifyEvent(p, p.proof.proofBytes, mixed))).to.not.equal("valid");
    }
    // a's bytes up to a section boundary, then b's: the header, roots, OOD frame, FRI roots or openings of another proof
    const cuts = [10, 42, 74, la.nonce, la.nonce + 8, ...la.counts.filter((c) => lb.counts.includes(c))];
    for (const cut of cuts) {
      const spliced = new Uint8Array(b.proof.proofBytes.length);
      spliced.set(b.proof.proofBytes);
      spliced.set(a.proof.proofBytes.subarray(0, cut));
      expect(expectSame(`spliced at ${cut}`, () => verifyEvent(a, spliced))).to.not.equal("valid");
      const asB = expectSame(`spliced at ${cut} (b's inputs)`, () => verifyEvent(b, spliced));
      if (cut > 10) expect(asB, `spliced at ${cut} (b's inputs)`).to.not.equal("valid");
    }
    // b's trace opening in a's proof (same layout when both open the same number of rows and nodes)
    const oa = la.openings[0] as Layout["openings"][number];
    const ob = lb.openings[0] as Layout["openings"][number];
    if (oa.leaves.length === ob.leaves.length) {
      const x = a.proof.proofBytes.slice();
      const [from] = oa.leaves[0] as [number, number];
      const [fromB] = ob.leaves[0] as [number, number];
      const rowsBytes = oa.leaves.length * (oa.leaves[0] as [number, number])[1];
      x.set(b.proof.proofBytes.subarray(fromB, fromB + rowsBytes), from);
      expect(expectSame("b's trace rows in a", () => verifyEvent(a, x))).to.not.equal("valid");
    }
  });

  it("oversized proofs are refused alike (no unbounded growth)", function () {
    const p = proofs[0] as PerEvent;
    for (const size of [MAX_PROOF_BYTES, MAX_PROOF_BYTES + 1]) {
      const big = new Uint8Array(size);
      big.set(p.proof.proofBytes);
      const got = expectSame(`${size} bytes`, () => verifyEvent(p, big));
      expect(got).to.match(/MALFORMED_PROOF|PROOF_TOO_LARGE/);
    }
    expect(expectSame("honest after big", () => verifyEvent(p, p.proof.proofBytes))).to.equal("valid");
  });

  it("a parsed proof object verified again on the other path (touched openings) gets the same verdict", function () {
    for (const p of proofs) {
      const acceptable = p.acceptable ?? { options: [p.options], minSecurityBits: 0 };
      const inputs = p.proof.publicInputs;
      const statement = {
        limit: effectiveLimit(policy),
        commitment: commitmentFromHex(inputs.witnessCommitment as string),
      };
      const context = bindingContext(inputs);
      const lay = layoutOf(p.proof.proofBytes, p.options, 32, 24);
      const rnd = xorshift(0xabc + p.options.numQueries);
      for (let i = 0; i < 12; i++) {
        const bytes = i === 0 ? p.proof.proofBytes : withWord(p.proof.proofBytes, pick(lay.felts, rnd), rnd() % P);
        let parsed;
        try {
          parsed = deserializeProof(bytes);
        } catch {
          continue;
        }
        const proof = parsed;
        // on then off then on: the TypeScript path reads the rows (views made), the kernels then read them as rows
        const first = expectSame(`object ${i}`, () => verifyAir(proof, statement, context, acceptable));
        const again = expectSame(`object ${i} again`, () => verifyAir(proof, statement, context, acceptable), true);
        expect(again).to.equal(first);
        if (i === 0) expect(first).to.equal("valid");
        // a touched row made non-canonical in place is refused on both paths
        const row = proof.traceOpening.rows[0] as Uint32Array;
        const keep = row[0] as number;
        row[0] = P;
        const touched = expectSame(`object ${i} non-canonical row`, () =>
          verifyAir(proof, statement, context, acceptable),
        );
        if (first === "valid") expect(touched).to.equal("invalid:MALFORMED_PROOF");
        row[0] = keep;
      }
    }
  });

  it("proofs of forged traces get the same verdict on both paths, also past the OOD check (so DEEP and FRI decide)", function () {
    const rnd = xorshift(FUZZ_SEED ^ 0xf0f0);
    const limit = effectiveLimit(policy);
    const blinding = [101, 202, 303, 404, 505];
    const statement = { limit, commitment: poseidon2.commitAmount(5000n, blinding) };
    const context = new Uint8Array(32).fill(7);
    /**
     * The compliance AIR with its OOD check neutralised (Q(z) := the proof's own chunks at z), which then changes one
     * value the transcript has already absorbed (an OOD value or a remainder coefficient, canonical or not): the DEEP
     * values and FRI decide, on hostile inputs that passed every earlier check.
     */
    const lenient = (proof: StarkProof, tamper: number): StarkAir => {
      const base = complianceAir(statement, context);
      const M = deriveParams(proof.options, base.traceLength).chunkSize;
      return {
        ...base,
        quotientAt: (_t, _tw, z) => {
          const zM = field.epow(z, M);
          let c: field.Ext = [0, 0, 0, 0];
          for (let k = proof.ood.chunksZ.length - 1; k >= 0; k--) {
            c = field.eadd(field.emul(c, zM), proof.ood.chunksZ[k] as field.Ext);
          }
          const lists = [proof.ood.traceZ, proof.ood.traceZw, proof.ood.chunksZ, proof.remainder];
          if (tamper > 0) {
            const list = lists[tamper % lists.length] as field.Ext[];
            const e = list[(tamper >> 2) % list.length] as unknown as number[]; // parsed: a plain array
            e[(tamper >> 4) % 4] = pick([P - 1, 0, 1, P, 0xffffffff, (tamper * 2654435761) % P], () => tamper >> 6);
          }
          return c;
        },
      };
    };
    const seen = new Set<string>();
    for (let i = 0; i < FUZZ_SCALE * 24; i++) {
      const options = i % 4 === 0 ? PRODUCTION_OPTIONS : TEST_OPTIONS;
      const acceptable = { options: [options], minSecurityBits: 0 };
      const trace = air.buildTraceUnchecked({ amount: 5000n, blinding, limit });
      const cells = i === 1 ? 0 : 1 + (rnd() % 3);
      for (let c = 0; c < cells; c++) {
        const col = trace[rnd() % trace.length] as Uint32Array;
        col[rnd() % col.length] = pick([rnd() % P, 0, 1, P - 1], rnd);
      }
      const bytes = serializeProof(proveAir(null, statement, context, options, { trace, rng: seededWords(900 + i) }));
      // parsed from bytes (untouched openings), once per path, and the parsed object again on the other path
      const strict = expectSame(`forged #${i}`, () =>
        verifyAir(deserializeProof(bytes), statement, context, acceptable),
      );
      const proof = deserializeProof(bytes);
      const again = expectSame(
        `forged #${i} object`,
        () => verifyAir(proof, statement, context, acceptable),
        i % 2 === 0,
      );
      expect(again).to.equal(strict);
      // a changed cell may still satisfy every constraint (a 0 written over a 0, an unconstrained cell)
      expect(strict === "valid", `forged #${i}: ${strict}`).to.equal(violatedConstraints(trace, statement).size === 0);
      for (let t = 0; t < 6; t++) {
        const tamper = t === 0 ? 0 : rnd() % 4096;
        const loose = expectSame(
          `forged #${i} lenient ${tamper}`,
          () => {
            const x = deserializeProof(bytes);
            return verifyStark(x, lenient(x, tamper), acceptable);
          },
          t % 2 === 1,
        );
        if (tamper === 0) expect(loose).to.equal("valid");
        seen.add(loose);
      }
    }
    expect([...seen].join(" ")).to.contain("FRI_");
  });

  it("regression: a Merkle root of other than 8 words never verifies, on either path (merkle.verifyRows)", function () {
    // the kernel refused such a root while the TypeScript path compared only its first 8 words and accepted it
    const rows = Uint32Array.from({ length: 16 * 5 }, (_, i) => (i * 2654435761) % P);
    const tree = merkle.buildTree(16, 5, (i, buf) => buf.set(rows.subarray(5 * i, 5 * i + 5)));
    const root = merkle.treeRoot(tree);
    const leaves = [2, 3, 11];
    const opened = new Uint32Array(leaves.length * 5);
    leaves.forEach((i, j) => opened.set(rows.subarray(5 * i, 5 * i + 5), 5 * j));
    const auth = merkle.openBatch(tree, leaves);
    const flat = new Uint32Array(8 * auth.length);
    auth.forEach((a, j) => flat.set(a, 8 * j));
    const long = new Uint32Array(9);
    long.set(root);
    for (const [label, r, want] of [
      ["root", root, "valid"],
      ["root + 1 word", long, "invalid:-"],
      ["root − 1 word", root.subarray(0, 7), "invalid:-"],
    ] as const) {
      for (const a of [auth, flat]) {
        const got = expectSame(label, () => {
          const ok = merkle.verifyRows(r, 16, leaves, opened, 5, a);
          return ok ? { valid: true } : { valid: false, reason: "-" };
        });
        expect(got, label).to.equal(want);
      }
    }
  });

  describe("batch proof", function () {
    let bundle: BatchProofBundle;
    let b: ReturnType<typeof syntheticBatch>;

    before(function () {
      b = syntheticBatch([5n, null, 9999n, 10_000n], { policy: AML_10000 });
      bundle = proveBatch(b.statement, b.witness, TEST_OPTIONS);
    });

    /** The bundle with other proof bytes, resealed (proof hash, size, bundle hash) so that the STARK is what decides. */
    function withProof(bytes: Uint8Array): BatchProofBundle {
      const body = {
        ...bundle,
        proofB64: Buffer.from(bytes).toString("base64"),
        proofHash: batchProofHashHex(bytes),
        metadata: { ...bundle.metadata, proof_size: bytes.length },
      };
      const { bundleHash: _h, ...rest } = body;
      return { ...rest, bundleHash: batchBundleHash(rest) };
    }

    it("mutated batch proofs get the same verdict and error with the kernels on and off", function () {
      const base = Buffer.from(bundle.proofB64, "base64");
      const bytes = new Uint8Array(base.buffer, base.byteOffset, base.length).slice();
      const n = batchTraceLength(4);
      const lay = layoutOf(bytes, TEST_OPTIONS, n, BATCH_WIDTH);
      const run = (x: Uint8Array) => () => verifyBatch(withProof(x), expectationOf(b), TEST_ACCEPTABLE);
      expect(expectSame("honest batch", run(bytes))).to.equal("valid");
      const rnd = xorshift(FUZZ_SEED ^ 0xba7c4);
      for (let i = 0; i < FUZZ_SCALE * 160; i++) {
        const m = (MUTATIONS[rnd() % MUTATIONS.length] as Mutation)(bytes, lay, rnd);
        if (m === null) continue;
        expectSame(`batch #${i} ${m.name}`, run(m.bytes), i % 2 === 0);
      }
      expect(expectSame("honest batch again", run(bytes), true)).to.equal("valid");
    });
  });
});
