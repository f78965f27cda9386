/**
 * Security levels and the zero-knowledge degree rule (issue 10, items 8 and 10): the conjectured and provable
 * figures of every preset against test/vectors/stark-security.json and against a second, straightforward
 * implementation written here (error probabilities instead of bits); Winterfell's own proven-security test cases;
 * the trace randomiser degree h ≥ 2q + 2·4 for every accepted option set, down to a real proof; the bundle metadata.
 */
import { expect } from "chai";

import {
  BUNDLE_METADATA_FIELDS,
  DEFAULT_ACCEPTABLE,
  HIGH_PROVABLE_OPTIONS,
  HIGH_SECURITY_OPTIONS,
  PRESETS,
  PRESET_NAMES,
  PRODUCTION_OPTIONS,
  type ProofOptions,
  air,
  conjecturedSecurity,
  deriveParams,
  deserializeProof,
  isAcceptable,
  makeBundle,
  minTraceRandomizer,
  proveCompliance,
  provenSecurityBits,
  securityLevels,
  validateBundle,
} from "../../../offchain/stark";
import vectors from "../../vectors/stark-security.json";
import { exampleInputs } from "./support/fixtures";

const TRACE = air.TRACE_LENGTH;
const KOALABEAR_EXT_BITS = 31 * 4;
const COLLISION_BITS = 128;

interface Case {
  readonly extBits: number;
  readonly n: number; // Winterfell's trace domain size (here: the committed degree bound D)
  readonly blowup: number;
  readonly queries: number;
  readonly grinding: number;
  readonly folding: number;
  readonly layers: number;
}

// ----- a second implementation: each soundness error as a probability; the largest one sets the bits
function bitsOf(errors: number[]): number {
  return Math.floor(-Math.log2(Math.max(...errors)));
}

function refUniqueDecoding(c: Case): number {
  const field = 2 ** c.extBits;
  const lde = c.n * c.blowup;
  const constraintDegree = c.blowup + 1;
  const errors = [1 / field, (constraintDegree * (c.n + 1) + c.n - 1) / field, lde / field];
  if (c.layers > 0) errors.push(((c.folding - 1) * (lde + 1)) / field);
  const queryError = (1 + (c.n + 2) / lde) / 2;
  errors.push(queryError ** c.queries / 2 ** c.grinding);
  return Math.min(bitsOf(errors), COLLISION_BITS);
}

function refListDecoding(c: Case): number {
  const field = 2 ** c.extBits;
  const lde = c.n * c.blowup;
  const rho = 1 / c.blowup;
  const constraintDegree = c.blowup + 1;
  const mMax = Math.min(Math.ceil(1 / (2 * (Math.sqrt(1 + 2 / c.n) - 1))), 1000);
  let best = 0;
  for (let m = 3; m < mMax; m++) {
    const slack = rho - (2 * m) / lde;
    if (slack <= 0) continue; // the list size is unbounded: no security at this m
    const list = m / slack;
    const errors = [
      list / field,
      (list * list * (constraintDegree * (c.n + 1) + c.n - 1)) / field,
      (((0.5 * (m + 0.5) ** 7) / rho ** 1.5) * lde * lde) / field,
      ((1 + 1 / (2 * m)) * Math.sqrt(rho)) ** c.queries / 2 ** c.grinding,
    ];
    best = Math.max(best, bitsOf(errors));
  }
  return Math.min(best, COLLISION_BITS);
}

function refConjectured(o: ProofOptions, ldeSize: number): number {
  let queryBits = o.numQueries * o.blowupLog2;
  if (queryBits >= 80) queryBits += o.grindingBits;
  return Math.min(Math.min(KOALABEAR_EXT_BITS - Math.log2(ldeSize), queryBits) - 1, COLLISION_BITS);
}

/** FRI layers of our protocol: fold by 2^foldingLog2 while the degree bound exceeds 2^remainderLog2. */
function ourLayers(o: ProofOptions, degreeBound: number): number {
  let layers = 0;
  for (let d = degreeBound; d > 2 ** o.remainderLog2 && d >= 2 ** o.foldingLog2; d /= 2 ** o.foldingLog2) layers++;
  return layers;
}

describe("stark security levels", function () {
  it("every preset's conjectured and provable figures match the vectors and an independent implementation", function () {
    expect(vectors.presets.map((p) => p.name)).to.deep.equal([...PRESET_NAMES]);
    for (const v of vectors.presets) {
      const o = v.options as ProofOptions;
      expect(PRESETS[v.name as keyof typeof PRESETS], v.name).to.deep.equal(o);
      const p = deriveParams(o, TRACE);
      expect([p.degreeBound, p.ldeSize], v.name).to.deep.equal([v.degreeBound, v.ldeSize]);
      const c: Case = {
        extBits: KOALABEAR_EXT_BITS,
        n: v.degreeBound,
        blowup: v.ldeSize / v.degreeBound,
        queries: o.numQueries,
        grinding: o.grindingBits,
        folding: 2 ** o.foldingLog2,
        layers: ourLayers(o, v.degreeBound),
      };
      const expected = {
        conjectured: v.conjectured,
        provable: v.provable,
        uniqueDecoding: v.uniqueDecoding,
        listDecoding: v.listDecoding,
      };
      expect(securityLevels(o, TRACE), v.name).to.deep.equal(expected);
      expect(conjecturedSecurity(o, TRACE), v.name).to.equal(v.conjectured);
      const ud = refUniqueDecoding(c);
      const ld = refListDecoding(c);
      expect(
        { conjectured: refConjectured(o, v.ldeSize), provable: Math.max(ud, ld), uniqueDecoding: ud, listDecoding: ld },
        `${v.name} (independent implementation)`,
      ).to.deep.equal(expected);
    }
  });

  it("reproduces the proven-security cases of Winterfell's own test suite", function () {
    for (const w of vectors.winterfell) {
      // Winterfell's FriOptions::num_fri_layers on the LDE domain
      let layers = 0;
      for (let d = w.traceLength * w.blowup; d > (w.remainderMaxDegree + 1) * w.blowup; d /= w.folding) layers++;
      const c: Case = {
        extBits: 64 * w.extensionDegree,
        n: w.traceLength,
        blowup: w.blowup,
        queries: w.queries,
        grinding: w.grinding,
        folding: w.folding,
        layers,
      };
      const got = provenSecurityBits({
        extensionFieldBits: c.extBits,
        traceDomainSize: c.n,
        blowup: c.blowup,
        numQueries: c.queries,
        grindingBits: c.grinding,
        foldingFactor: c.folding,
        numFriLayers: layers,
        collisionBits: COLLISION_BITS,
      });
      const label = JSON.stringify(w);
      if (w.uniqueDecoding !== null) {
        expect(got.uniqueDecoding, label).to.equal(w.uniqueDecoding);
        expect(refUniqueDecoding(c), label).to.equal(w.uniqueDecoding);
      }
      if (w.listDecoding !== null) {
        expect(got.listDecoding, label).to.equal(w.listDecoding);
        expect(refListDecoding(c), label).to.equal(w.listDecoding);
      }
    }
  });

  it("high-provable reaches 100 provable bits by unique decoding and the verifier's allow-list accepts it", function () {
    const levels = securityLevels(HIGH_PROVABLE_OPTIONS, TRACE);
    expect(levels.uniqueDecoding).to.be.at.least(100);
    expect(levels.conjectured).to.be.at.least(100);
    expect(securityLevels(PRODUCTION_OPTIONS, TRACE).provable).to.be.below(100); // the honest label
    for (const o of [PRODUCTION_OPTIONS, HIGH_SECURITY_OPTIONS, HIGH_PROVABLE_OPTIONS]) {
      expect(isAcceptable(o, TRACE, DEFAULT_ACCEPTABLE)).to.equal(true);
    }
  });
});

describe("stark zero-knowledge degree rule", function () {
  it("h = D − n ≥ 2q + 2·4 for every accepted option set, with D the smallest such power of two", function () {
    expect(minTraceRandomizer(45)).to.equal(98);
    const violations: string[] = [];
    for (const n of [16, 32, 64]) {
      for (let q = 1; q <= 255; q++) {
        for (let b = 2; b <= 6; b++) {
          const p = deriveParams(
            { numQueries: q, blowupLog2: b, grindingBits: 0, foldingLog2: 3, remainderLog2: 4 },
            n,
          );
          const need = 2 * q + 2 * 4;
          const ok =
            p.traceRandomizer >= need &&
            p.traceRandomizer === p.degreeBound - n &&
            p.degreeBound / 2 - n < need && // D is minimal
            p.ldeSize === p.degreeBound * 2 ** b &&
            // the composition masks keep q + 1 coefficients per base coordinate
            p.degreeBound - p.chunkSize >= q + 1 &&
            p.numChunks * p.chunkSize >= 3 * (p.degreeBound - 1) + 1;
          if (!ok) violations.push(`n=${n} q=${q} blowupLog2=${b}: ${JSON.stringify(p)}`);
        }
      }
    }
    expect(violations).to.deep.equal([]);
  });

  it("a proof at a query count the old rule under-covered (q = 45) is committed at the raised degree", function () {
    const options: ProofOptions = { numQueries: 45, blowupLog2: 2, grindingBits: 0, foldingLog2: 3, remainderLog2: 4 };
    const proof = deserializeProof(
      proveCompliance({ amount: 5000n, publicInputs: exampleInputs(), options }).proofBytes,
    );
    // the FRI shape carries the committed degree bound: remainder length × folding^layers
    const degreeBound = proof.remainder.length * 8 ** proof.friRoots.length;
    expect(degreeBound).to.equal(256);
    expect(degreeBound - TRACE).to.be.at.least(2 * 45 + 2 * 4);
  });
});

describe("stark bundle security metadata", function () {
  it("carries the conjectured and the provable bits side by side", function () {
    const proof = proveCompliance({ amount: 7n, publicInputs: exampleInputs() });
    const bundle = makeBundle(proof);
    expect(bundle.metadata.conjectured_security_bits).to.equal(102);
    expect(bundle.metadata.provable_security_bits).to.equal(56);
    expect(Object.keys(bundle.metadata)).to.deep.equal([...BUNDLE_METADATA_FIELDS]);
    expect(validateBundle(bundle).proofBytes).to.deep.equal(proof.proofBytes);
  });
});
