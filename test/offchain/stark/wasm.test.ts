/**
 * The prover's WebAssembly kernels (offchain/stark/wasm) against the TypeScript reference: differential tests on
 * random inputs (NTT, inverse NTT and coset evaluation at every size 2^1..2^12 and several shifts; Merkle trees of
 * several leaf counts and widths; grinding nonces), whole proofs byte-identical with the kernels on and forced off at
 * every preset (and a batch proof), and the freshness rule: a build whose stamp is not the hash of the current
 * sources is refused (TypeScript path, one note) and a fresh one is used. When the kernels are not built (an install
 * that skipped "prepare"), the suite builds them first: nothing is skipped.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import {
  DOMAIN_OFFSET,
  PRESETS,
  PRESET_NAMES,
  type ProofOptions,
  TEST_OPTIONS,
  Transcript,
  air,
  field,
  fri,
  merkle,
  policyFromLimit,
  poly,
  poseidon2,
  randomPublicInputs,
} from "../../../offchain/stark";
import {
  type Kernels,
  STAMP_FILE,
  WASM_FILE,
  blindingFrom,
  complianceAir,
  loadWasmKernels,
  proveBatchWithHooks,
  proveComplianceWith,
  reloadWasmKernels,
  seededWords,
  setWasmKernelsEnabled,
  sourcesHash,
  wasmDir,
  wasmKernels,
} from "../../../offchain/stark/testing";
import { AML_10000, syntheticBatch } from "./batch/support";

const ROOT = path.join(__dirname, "..", "..", "..");
const BUILD_SCRIPT = path.join(ROOT, "scripts", "build-wasm.js");
const ASSEMBLY = path.join(ROOT, "offchain", "stark", "wasm", "assembly");

/** Runs the wasm build (strict: a failure fails the test), into `dir` when given. */
function buildWasm(dir?: string): void {
  execFileSync(process.execPath, [BUILD_SCRIPT, "--strict"], {
    cwd: ROOT,
    env: { ...process.env, ...(dir === undefined ? {} : { VES_STARK_WASM_DIR: dir }) },
    stdio: "pipe",
  });
}

let seed = 0x5eed;
/** Deterministic pseudo-random canonical field elements. */
function randomElements(n: number): Uint32Array {
  const src = seededWords(seed++);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = src() % field.P;
  return out;
}

function randomWordsOf(n: number): Uint32Array {
  const src = seededWords(seed++);
  return Uint32Array.from({ length: n }, () => src());
}

/** `f` with the kernels forced off (the TypeScript reference). */
function reference<T>(f: () => T): T {
  setWasmKernelsEnabled(false);
  try {
    return f();
  } finally {
    setWasmKernelsEnabled(true);
  }
}

describe("stark WebAssembly kernels", function () {
  this.timeout(120_000);
  let k: Kernels;

  before(function () {
    setWasmKernelsEnabled(true);
    reloadWasmKernels();
    if (loadWasmKernels().kernels === null) buildWasm();
    reloadWasmKernels();
    const loaded = wasmKernels();
    expect(loaded, `kernels in ${wasmDir()} do not load`).to.not.equal(null);
    k = loaded as Kernels;
  });

  after(function () {
    setWasmKernelsEnabled(undefined);
  });

  describe("NTT family", function () {
    it("ntt and intt equal the TypeScript reference at every size 2^1..2^12", function () {
      for (let log = 1; log <= 12; log++) {
        const a = randomElements(1 << log);
        const refNtt = reference(() => poly.ntt(a.slice()));
        const refIntt = reference(() => poly.intt(a.slice()));
        expect(Array.from(k.ntt(a.slice())), `ntt 2^${log}`).to.deep.equal(Array.from(refNtt));
        expect(Array.from(k.intt(a.slice())), `intt 2^${log}`).to.deep.equal(Array.from(refIntt));
        // and the dispatching functions (the kernel from 8 elements on)
        expect(Array.from(poly.ntt(a.slice())), `poly.ntt 2^${log}`).to.deep.equal(Array.from(refNtt));
        expect(Array.from(poly.intt(poly.ntt(a.slice()))), `round trip 2^${log}`).to.deep.equal(Array.from(a));
      }
    });

    it("coset evaluation equals the TypeScript reference at every size 2^1..2^12, several shifts and degrees", function () {
      const shifts = [1, DOMAIN_OFFSET, field.GENERATOR, field.P - 1, 0, ...Array.from(randomElements(2))];
      for (let log = 1; log <= 12; log++) {
        const n = 1 << log;
        const lengths = [...new Set([0, 1, 3, n >> 3, n >> 2, (n >> 2) + 1, n >> 1, (n >> 1) + 1, n - 1, n])];
        for (const len of lengths.filter((l) => l <= n)) {
          const polys = [randomElements(len), randomElements(len), randomElements(len)];
          for (const shift of shifts) {
            const want = reference(() => polys.map((c) => poly.cosetEvaluate(c, shift, n)));
            const got = k.cosetEvaluateMany(polys, shift, n);
            const label = `n 2^${log}, ${len} coefficients, shift ${shift}`;
            expect(
              got.map((v) => Array.from(v)),
              label,
            ).to.deep.equal(want.map((v) => Array.from(v)));
            expect(
              poly.cosetEvaluateMany(polys, shift, n).map((v) => Array.from(v)),
              `cosetEvaluateMany ${label}`,
            ).to.deep.equal(want.map((v) => Array.from(v)));
          }
        }
      }
    });

    it("validates its inputs like the reference", function () {
      expect(() => k.ntt(new Uint32Array(3))).to.throw(RangeError);
      expect(() => k.cosetEvaluateMany([new Uint32Array(9)], 1, 8)).to.throw(RangeError);
      expect(() => k.cosetEvaluateMany([new Uint32Array(2), new Uint32Array(3)], 1, 8)).to.throw(RangeError);
      expect(() => k.cosetEvaluateMany([new Uint32Array(2)], field.P, 8)).to.throw(RangeError);
      expect(() => poly.cosetEvaluateMany([new Uint32Array(9)], 1, 8)).to.throw(RangeError);
      expect(k.cosetEvaluateMany([], 1, 8)).to.deep.equal([]);
      // mixed lengths go through the reference one by one
      const mixed = [randomElements(3), randomElements(5)];
      expect(poly.cosetEvaluateMany(mixed, 7, 16).map((v) => Array.from(v))).to.deep.equal(
        reference(() => mixed.map((c) => Array.from(poly.cosetEvaluate(c, 7, 16)))),
      );
    });
  });

  describe("Merkle trees", function () {
    it("buildTree nodes equal the TypeScript tree for several leaf counts and widths", function () {
      for (const leafCount of [1, 2, 4, 16, 128, 1024]) {
        for (const leafWords of [0, 1, 7, 8, 15, 16, 17, 28, 32, 33, 64, 256]) {
          const rows = randomWordsOf(leafCount * leafWords);
          const write = (i: number, buf: Uint32Array): void =>
            buf.set(rows.subarray(i * leafWords, (i + 1) * leafWords));
          const want = reference(() => merkle.buildTree(leafCount, leafWords, write));
          const got = merkle.buildTree(leafCount, leafWords, write);
          expect(Array.from(got.nodes), `${leafCount} leaves of ${leafWords} words`).to.deep.equal(
            Array.from(want.nodes),
          );
        }
      }
    });

    it("trees of salted column rows equal the TypeScript tree", function () {
      for (const leafCount of [1, 8, 1024]) {
        for (const [saltWords, width] of [
          [4, 24],
          [4, 20],
          [0, 5],
          [2, 0],
          [4, 252],
        ] as const) {
          const salts = randomWordsOf(leafCount * saltWords);
          const columns = Array.from({ length: width }, () => randomElements(leafCount));
          const want = reference(() => merkle.buildTreeOfColumns(salts, saltWords, columns, leafCount));
          const viaCallback = reference(() =>
            merkle.buildTree(leafCount, saltWords + width, (i, buf) => {
              buf.set(salts.subarray(i * saltWords, (i + 1) * saltWords));
              columns.forEach((c, j) => (buf[saltWords + j] = c[i] as number));
            }),
          );
          const got = merkle.buildTreeOfColumns(salts, saltWords, columns, leafCount);
          const label = `${leafCount} leaves, ${saltWords} salt words, ${width} columns`;
          expect(Array.from(want.nodes), label).to.deep.equal(Array.from(viaCallback.nodes));
          expect(Array.from(got.nodes), label).to.deep.equal(Array.from(want.nodes));
        }
      }
      expect(() => merkle.buildTreeOfColumns(new Uint32Array(3), 1, [], 4)).to.throw(RangeError);
    });

    it("batch verification of rows gives the TypeScript verdict on honest and tampered openings", function () {
      let checked = 0;
      let accepted = 0;
      for (const [leafCount, leafWords] of [
        [1, 3],
        [2, 8],
        [16, 28],
        [1024, 28],
        [1024, 20],
        [128, 32],
        [64, 0],
      ] as const) {
        const rows = randomWordsOf(leafCount * leafWords);
        const tree = merkle.buildTree(leafCount, leafWords, (i, buf) =>
          buf.set(rows.subarray(i * leafWords, (i + 1) * leafWords)),
        );
        const root = merkle.treeRoot(tree);
        const rnd = seededWords(seed++);
        for (let trial = 0; trial < 12; trial++) {
          const picks = Array.from({ length: 1 + (rnd() % Math.min(40, leafCount)) }, () => rnd() % leafCount);
          const leaves = merkle.uniqueSorted(picks, leafCount);
          const auth = merkle.openBatch(tree, leaves);
          const opened = new Uint32Array(leaves.length * leafWords);
          leaves.forEach((i, j) => opened.set(rows.subarray(i * leafWords, (i + 1) * leafWords), j * leafWords));
          const variants: [string, Uint32Array, Uint32Array[], number[], Uint32Array][] = [
            ["honest", opened, auth, leaves, root],
          ];
          if (leafWords > 0) {
            const flipped = opened.slice();
            const at = rnd() % flipped.length;
            flipped[at] = (flipped[at] as number) ^ (1 << (rnd() % 32));
            variants.push(["row bit flipped", flipped, auth, leaves, root]);
          }
          if (auth.length > 0) {
            const bad = auth.map((a) => a.slice());
            const node = bad[rnd() % bad.length] as Uint32Array;
            const w = rnd() % 8;
            node[w] = (node[w] as number) ^ 1;
            variants.push(["auth node flipped", opened, bad, leaves, root]);
            variants.push(["auth node missing", opened, auth.slice(1), leaves, root]);
            variants.push([
              "short auth node",
              opened,
              [auth[0]?.subarray(1) as Uint32Array, ...auth.slice(1)],
              leaves,
              root,
            ]);
          }
          variants.push(["auth node extra", opened, [...auth, root], leaves, root]);
          const badRoot = root.slice();
          badRoot[7] = (badRoot[7] as number) ^ 0x80000000;
          variants.push(["wrong root", opened, auth, leaves, badRoot]);
          if (leaves.length > 1) {
            const shifted = leaves.map((i, j) => (j === 0 && i > 0 && leaves[1] !== i - 1 ? i - 1 : i));
            variants.push(["moved leaf", opened, auth, shifted, root]);
          }
          for (const [label, r, a, l, rt] of variants) {
            const run = (): boolean => merkle.verifyRows(rt, leafCount, l, r, leafWords, a);
            const want = reference(run);
            expect(run(), `${label}: ${leafCount} leaves of ${leafWords} words, ${l.length} opened`).to.equal(want);
            if (label === "honest") expect(want, "honest opening").to.equal(true);
            checked++;
            if (want) accepted++;
          }
        }
      }
      expect(checked).to.be.greaterThan(300);
      expect(accepted).to.be.greaterThan(70);
    });
  });

  describe("grinding", function () {
    it("finds the same nonce as the TypeScript loop", function () {
      for (let bits = 1; bits <= 14; bits++) {
        const t = new Transcript("wasm-test");
        t.absorb("seed", Uint8Array.of(bits));
        const want = reference(() => t.grind(bits));
        const got = t.grind(bits);
        expect(got, `${bits} bits`).to.equal(want);
        expect(t.checkPow(got, bits)).to.equal(true);
        // the transcript goes on identically after either path
        const u = new Transcript("wasm-test");
        u.absorb("seed", Uint8Array.of(bits));
        reference(() => u.grind(bits));
        expect(t.challengeBase()).to.equal(u.challengeBase());
      }
      expect(() => k.grind(new Uint32Array(8), 0, 33)).to.throw(RangeError);
    });
  });

  describe("evaluation at extension points", function () {
    it("evalBaseAtPoints equals the TypeScript evaluation (several lengths and points)", function () {
      for (const len of [1, 3, 32, 128, 257]) {
        const polys = Array.from({ length: 7 }, () => randomElements(len));
        const points: field.Ext[] = [
          [0, 0, 0, 0],
          [1, 0, 0, 0],
          [field.P - 1, field.P - 1, field.P - 1, field.P - 1],
        ];
        for (let i = 0; i < 3; i++) {
          const [a = 0, b = 0, c = 0, d = 0] = randomElements(4);
          points.push([a, b, c, d]);
        }
        const run = (): field.Ext[][] => poly.evalBaseAtPoints(polys, points);
        const want = reference(run);
        expect(run(), `length ${len}`).to.deep.equal(want);
        // the reference itself: Horner on each polynomial
        points.forEach((x, p) =>
          polys.forEach((c, j) => {
            const horner = poly.evalExt([c, new Uint32Array(len), new Uint32Array(len), new Uint32Array(len)], x);
            expect(want[p]?.[j]).to.deep.equal(horner);
          }),
        );
      }
      expect(() => k.evalAtPoints([new Uint32Array(2)], [[field.P, 0, 0, 0]])).to.throw(RangeError);
      expect(() => k.evalAtPoints([new Uint32Array(2), new Uint32Array(3)], [[1, 0, 0, 0]])).to.throw(RangeError);
    });

    it("an extension polynomial's value from its coordinates' values equals Horner's", function () {
      for (const len of [1, 5, 128]) {
        const c: poly.ExtVec = [randomElements(len), randomElements(len), randomElements(len), randomElements(len)];
        const [a = 0, b = 0, d = 0, e = 0] = randomElements(4);
        const x: field.Ext = [a, b, d, e];
        const [coords = []] = poly.evalBaseAtPoints(c, [x]);
        expect(poly.fromCoordinateValues(coords)).to.deep.equal(poly.evalExt(c, x));
      }
    });
  });

  describe("FRI folding", function () {
    it("foldRows equals the TypeScript foldRow on random rows, challenges and points (f = 2..16)", function () {
      for (const f of [2, 4, 8, 16]) {
        const count = 37;
        const rows = randomElements(4 * f * count);
        rows[0] = 0;
        rows[1] = field.P - 1;
        const xInv = randomElements(count);
        xInv[0] = 1;
        for (const beta of [[0, 0, 0, 0], [1, 0, 0, 0], Array.from(randomElements(4))]) {
          const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = beta;
          const run = (): field.Ext[] => fri.foldRows(rows, f, [b0, b1, b2, b3], xInv);
          const want = reference(run);
          expect(run(), `f ${f}, beta ${beta.join(",")}`).to.deep.equal(want);
          expect(want[3]).to.deep.equal(
            fri.foldRow(rows.subarray(12 * f, 16 * f), f, [b0, b1, b2, b3], xInv[3] as number),
          );
        }
      }
      expect(() => k.foldRows(new Uint32Array(24), 3, [0, 0, 0, 0], new Uint32Array(2), 1)).to.throw(RangeError);
      expect(() => k.foldRows(new Uint32Array(8), 2, [field.P, 0, 0, 0], new Uint32Array(1), 1)).to.throw(RangeError);
    });
  });

  describe("constraint composition", function () {
    /** Random LDE columns, a few entries set to 0, 1 and p − 1 (the edges of the lane-wise arithmetic). */
    const randomLde = (N: number): Uint32Array[] =>
      Array.from({ length: air.TRACE_WIDTH }, (_, j) => {
        const c = randomElements(N);
        c[j % N] = 0;
        c[(3 * j + 1) % N] = 1;
        c[(5 * j + 2) % N] = field.P - 1;
        return c;
      });
    const randomAlphas = (): field.Ext[] =>
      Array.from({ length: air.NUM_CONSTRAINTS }, (): field.Ext => {
        const [a = 0, b = 0, c = 0, d = 0] = randomElements(4);
        return [a, b, c, d];
      });

    it("the kernel equals the TypeScript evaluator on random traces and challenges (several domains)", function () {
      const domains: [number, number][] = [
        [64, 32],
        [128, 128],
        [256, 128],
        [1024, 128],
        [1024, 512],
        [2048, 512],
        [2048, 1024],
      ];
      let trial = 0;
      for (const [N, QN] of domains) {
        for (const shift of [DOMAIN_OFFSET, field.GENERATOR, 5]) {
          const lde = randomLde(N);
          const alphas = randomAlphas();
          const limit = BigInt.asUintN(64, BigInt(0x9e3779b9 * ++trial) * 0x1234567n);
          const commitment = poseidon2.commitAmount(BigInt(trial), Array.from(randomElements(5)));
          const coeffs = air.periodicCoefficients(limit);
          const run = (): field.Ext[] => {
            const q = air.composeQuotient(lde, N, QN, shift, coeffs, commitment, alphas);
            return Array.from({ length: QN }, (_, i) => field.eget(q, i));
          };
          expect(run(), `N ${N}, QN ${QN}, shift ${shift}`).to.deep.equal(reference(run));
        }
      }
    });

    it("the kernel validates its inputs", function () {
      const lde = randomLde(64);
      const table = new Uint32Array(27 * 32);
      const coeffs = new Uint32Array(16 + 4 * 61 + 8);
      const ell = new Uint32Array(32);
      expect(k.composeCompliance(lde, 32, table, ell, coeffs)).to.have.length(4);
      expect(() => k.composeCompliance(lde.slice(1), 32, table, ell, coeffs)).to.throw(RangeError);
      expect(() => k.composeCompliance(lde, 16, table, ell, coeffs)).to.throw(RangeError);
      expect(() => k.composeCompliance(lde, 128, table, ell, coeffs)).to.throw(RangeError);
      expect(() => k.composeCompliance(lde, 32, table.subarray(1), ell, coeffs)).to.throw(RangeError);
      expect(() => k.composeCompliance(lde, 32, table, ell, coeffs.subarray(1))).to.throw(RangeError);
    });
  });

  describe("DEEP polynomial (prover)", function () {
    it("the kernel equals the TypeScript polynomial arithmetic of poly.ts", function () {
      const ext4 = (): field.Ext => {
        const [a = 0, b = 0, c = 0, d = 0] = randomElements(4);
        return [a, b, c, d];
      };
      const extVec = (D: number): poly.ExtVec => [
        randomElements(D),
        randomElements(D),
        randomElements(D),
        randomElements(D),
      ];
      for (const [D, W, K] of [
        [128, 24, 3],
        [256, 24, 2],
        [2, 3, 1],
        [64, 5, 4],
      ] as const) {
        const trace = Array.from({ length: W }, () => randomElements(D));
        const chunks = Array.from({ length: K }, () => extVec(D));
        const mask = extVec(D);
        const coef = Array.from({ length: W + K + 4 }, ext4);
        const [sigma, mu, z, zw] = coef.slice(W + K) as [field.Ext, field.Ext, field.Ext, field.Ext];
        const one: field.Ext = [1, 0, 0, 0];
        const s1 = poly.extZeros(D);
        trace.forEach((t, j) => poly.extAxpyBase(s1, coef[j] as field.Ext, t));
        const atZ = poly.extZeros(D);
        poly.extAxpy(atZ, one, s1);
        chunks.forEach((c, k) => poly.extAxpy(atZ, coef[W + k] as field.Ext, c));
        const want = poly.extZeros(D);
        poly.extAxpy(want, one, poly.divideByLinear(poly.extSubConstant(atZ, poly.evalExt(atZ, z)), z));
        const shifted = poly.extZeros(D);
        poly.extAxpy(shifted, sigma, s1);
        poly.extAxpy(want, one, poly.divideByLinear(poly.extSubConstant(shifted, poly.evalExt(shifted, zw)), zw));
        poly.extAxpy(want, mu, mask);
        const got = k.deepPolynomial(trace, chunks, mask, coef);
        expect(
          got.map((c) => Array.from(c)),
          `D ${D}, W ${W}, K ${K}`,
        ).to.deep.equal(want.map((c) => Array.from(c)));
      }
      expect(() => k.deepPolynomial([new Uint32Array(4)], [], poly.extZeros(2), [])).to.throw(RangeError);
    });
  });

  describe("quotient at an extension point (verifier)", function () {
    it("the kernel equals the TypeScript constraint evaluation on random frames, points and challenges", function () {
      const ext4 = (): field.Ext => {
        const [a = 0, b = 0, c = 0, d = 0] = randomElements(4);
        return [a, b, c, d];
      };
      for (let trial = 0; trial < 25; trial++) {
        const limit = BigInt.asUintN(64, BigInt(trial + 1) * 0x9e3779b97f4a7c15n);
        const statement = { limit, commitment: poseidon2.commitAmount(BigInt(trial), Array.from(randomElements(5))) };
        const a = complianceAir(statement, new Uint8Array(32));
        const traceZ = Array.from({ length: air.TRACE_WIDTH }, ext4);
        const traceZw = Array.from({ length: air.TRACE_WIDTH }, ext4);
        if (trial === 1) traceZ[0] = [0, 0, 0, 0];
        if (trial === 2) traceZw[5] = [field.P - 1, field.P - 1, field.P - 1, field.P - 1];
        const z = trial === 3 ? ([2, 0, 0, 0] as field.Ext) : ext4();
        const alphas = Array.from({ length: air.NUM_CONSTRAINTS }, ext4);
        const run = (): field.Ext => a.quotientAt(traceZ, traceZw, z, alphas);
        expect(run(), `trial ${trial}`).to.deep.equal(reference(run));
      }
      expect(() => k.quotientAtPoint(new Uint32Array(10))).to.throw(RangeError);
    });

    it("the DEEP values at the query points equal the extension arithmetic of field.ts", function () {
      const ext4 = (): field.Ext => {
        const [a = 0, b = 0, c = 0, d = 0] = randomElements(4);
        return [a, b, c, d];
      };
      for (const [W, K, count] of [
        [24, 3, 31],
        [24, 1, 1],
        [5, 4, 7],
      ] as const) {
        const xs = randomElements(count);
        const rows = randomElements(count * W);
        const comp = randomElements(count * 4 * (K + 1));
        const ext = Array.from({ length: W + K + 6 }, ext4);
        const coef = new Uint32Array(4 * ext.length);
        ext.forEach((e, j) => coef.set(e, 4 * j));
        const [shifted, mask, atZ, s1zw, z, zw] = ext.slice(W + K) as [
          field.Ext,
          field.Ext,
          field.Ext,
          field.Ext,
          field.Ext,
          field.Ext,
        ];
        const want = Array.from(xs, (x, i) => {
          let s1: field.Ext = [0, 0, 0, 0];
          for (let j = 0; j < W; j++) s1 = field.eadd(s1, field.escale(ext[j] as field.Ext, rows[i * W + j] as number));
          let s3: field.Ext = [0, 0, 0, 0];
          const at = i * 4 * (K + 1);
          const q = (m: number): field.Ext => [
            comp[at + 4 * m] as number,
            comp[at + 4 * m + 1] as number,
            comp[at + 4 * m + 2] as number,
            comp[at + 4 * m + 3] as number,
          ];
          for (let m = 0; m < K; m++) s3 = field.eadd(s3, field.emul(ext[W + m] as field.Ext, q(m)));
          const a = field.emul(field.esub(field.eadd(s1, s3), atZ), field.einv(field.esub(field.ext(x), z)));
          const b = field.emul(field.emul(shifted, field.esub(s1, s1zw)), field.einv(field.esub(field.ext(x), zw)));
          return field.eadd(field.eadd(a, b), field.emul(mask, q(K)));
        });
        expect(k.deepValues(xs, W, K, rows, comp, coef), `W ${W}, K ${K}`).to.deep.equal(want);
        // a zero denominator: the kernel declines (the TypeScript path then throws, as field.einv does)
        const onZ = xs.slice();
        onZ[0] = z[0];
        const zBase = coef.slice();
        zBase.set([z[0], 0, 0, 0], 4 * (W + K + 4));
        expect(k.deepValues(onZ, W, K, rows, comp, zBase)).to.equal(null);
      }
      expect(() =>
        k.deepValues(new Uint32Array(1), 1, 1, new Uint32Array(2), new Uint32Array(8), new Uint32Array(32)),
      ).to.throw(RangeError);
    });
  });

  describe("whole proofs", function () {
    const policy = policyFromLimit("order_total.cap", 1_000_000n);
    const inputs = randomPublicInputs(policy);
    const presets: [string, ProofOptions][] = [
      ["test", TEST_OPTIONS],
      ...PRESET_NAMES.map((name): [string, ProofOptions] => [name, PRESETS[name]]),
    ];

    for (const [name, options] of presets) {
      it(`are byte-identical with the kernels on and off (${name})`, function () {
        for (const s of [1, 2]) {
          const prove = (): Uint8Array =>
            proveComplianceWith({
              amount: 1234n * BigInt(s),
              publicInputs: inputs,
              options,
              rng: seededWords(s),
              blinding: blindingFrom(seededWords(100 + s)),
            }).proofBytes;
          const off = reference(prove);
          const on = prove();
          expect(Buffer.from(on).equals(Buffer.from(off)), `${name} seed ${s}`).to.equal(true);
        }
      });
    }

    it("are byte-identical for a batch proof", function () {
      const b = syntheticBatch([5n, null, 9999n, 10_000n], { policy: AML_10000 });
      const prove = (): string =>
        proveBatchWithHooks(b.statement, b.witness, TEST_OPTIONS, { rng: seededWords(9) }).proofB64;
      expect(prove()).to.equal(reference(prove));
    });
  });

  describe("freshness", function () {
    let dir: string;
    /** A copy of the build in `dir` under `name`, with `stamp` instead of its own when given. */
    const copyBuild = (name: string, stamp?: string): string => {
      const to = path.join(dir, name);
      mkdirSync(to, { recursive: true });
      copyFileSync(path.join(dir, WASM_FILE), path.join(to, WASM_FILE));
      copyFileSync(path.join(dir, STAMP_FILE), path.join(to, STAMP_FILE));
      if (stamp !== undefined) writeFileSync(path.join(to, STAMP_FILE), `${stamp}\n`);
      return to;
    };
    before(function () {
      dir = mkdtempSync(path.join(tmpdir(), "ves-wasm-"));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
      reloadWasmKernels();
    });

    it("uses a fresh build, stamped with the hash of the current sources", function () {
      buildWasm(dir);
      expect(readFileSync(path.join(dir, STAMP_FILE), "utf8").trim()).to.equal(sourcesHash());
      const r = loadWasmKernels(dir);
      expect(r.note).to.equal(null);
      expect(Array.from((r.kernels as Kernels).ntt(Uint32Array.of(1, 2, 3, 4)))).to.deep.equal(
        Array.from(reference(() => poly.ntt(Uint32Array.of(1, 2, 3, 4)))),
      );
    });

    it("refuses a missing build, a tampered stamp and a build older than its sources", function () {
      expect(loadWasmKernels(path.join(dir, "missing")).note).to.match(/no WebAssembly kernels/);
      expect(loadWasmKernels(copyBuild("copy")).note).to.equal(null);
      const tampered = loadWasmKernels(copyBuild("stale", "0".repeat(64)));
      expect(tampered.kernels).to.equal(null);
      expect(tampered.note).to.match(/older than their sources/);
      // the same build against edited sources
      const sources = path.join(dir, "sources");
      cpSync(ASSEMBLY, sources, { recursive: true });
      expect(loadWasmKernels(dir, sources).kernels).to.not.equal(null);
      writeFileSync(
        path.join(sources, "index.ts"),
        `${readFileSync(path.join(sources, "index.ts"), "utf8")}\n// edit\n`,
      );
      expect(loadWasmKernels(dir, sources).note).to.match(/older than their sources/);
      // a corrupt module under a fresh stamp is a note too, never a crash
      const corrupt = copyBuild("corrupt");
      writeFileSync(path.join(corrupt, WASM_FILE), "not wasm");
      expect(loadWasmKernels(corrupt).note).to.match(/do not load/);
    });

    it("falls back to TypeScript with a single note, and VES_STARK_WASM=0 turns the kernels off", function () {
      const stale = copyBuild("stale2", "f".repeat(64));
      const saved = { dir: process.env.VES_STARK_WASM_DIR, flag: process.env.VES_STARK_WASM };
      const notes: string[] = [];
      const emit = process.emitWarning;
      process.emitWarning = ((w: string | Error) => notes.push(String(w))) as typeof process.emitWarning;
      try {
        delete process.env.VES_STARK_WASM; // the suite may run with VES_STARK_WASM=0 (the TypeScript path)
        process.env.VES_STARK_WASM_DIR = stale;
        setWasmKernelsEnabled(undefined);
        reloadWasmKernels();
        expect(wasmKernels()).to.equal(null);
        expect(wasmKernels()).to.equal(null);
        // the prover still works, on the TypeScript path
        expect(Array.from(poly.ntt(Uint32Array.of(5, 6)))).to.have.length(2);
        expect(notes).to.have.length(1);
        expect(notes[0]).to.match(/older than their sources.*TypeScript/);
        process.env.VES_STARK_WASM_DIR = dir;
        reloadWasmKernels();
        expect(wasmKernels()).to.not.equal(null);
        process.env.VES_STARK_WASM = "0";
        expect(wasmKernels()).to.equal(null);
        expect(notes).to.have.length(1);
      } finally {
        process.emitWarning = emit;
        if (saved.dir === undefined) delete process.env.VES_STARK_WASM_DIR;
        else process.env.VES_STARK_WASM_DIR = saved.dir;
        if (saved.flag === undefined) delete process.env.VES_STARK_WASM;
        else process.env.VES_STARK_WASM = saved.flag;
        setWasmKernelsEnabled(true);
        reloadWasmKernels();
      }
    });
  });
});
