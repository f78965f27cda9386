/**
 * Tests of the NTT and polynomial helpers against naive evaluation.
 */
import { expect } from "chai";

import { field as F, poly } from "../../../offchain/stark";
import { seededWords } from "../../../offchain/stark/testing";

const rng = seededWords(7);
const randomPoly = (n: number): Uint32Array => Uint32Array.from({ length: n }, () => F.sampleBase(rng));

describe("stark poly", function () {
  it("computes the NTT as evaluations at powers of the root of unity", function () {
    for (const logN of [0, 1, 3, 6]) {
      const n = 1 << logN;
      const c = randomPoly(n);
      const evals = poly.ntt(c.slice());
      const w = F.rootOfUnity(logN);
      for (let i = 0; i < n; i++) expect(evals[i]).to.equal(poly.evalBase(c, F.pow(w, i)));
    }
  });

  it("computes large NTTs (sequential butterfly groups) and extreme inputs exactly", function () {
    const inputs = [
      randomPoly(1 << 12),
      new Uint32Array(1 << 12).fill(F.P - 1),
      Uint32Array.from({ length: 1 << 12 }, (_, i) => (i & 1) * (F.P - 1)),
    ];
    for (const c of inputs) {
      const evals = poly.ntt(c.slice());
      const w = F.rootOfUnity(12);
      for (const i of [0, 1, 2, 1000, 2048, 4095]) expect(evals[i]).to.equal(poly.evalBase(c, F.pow(w, i)));
      expect(Array.from(poly.intt(evals))).to.deep.equal(Array.from(c));
    }
  });

  it("inverts the NTT", function () {
    const c = randomPoly(256);
    expect(Array.from(poly.intt(poly.ntt(c.slice())))).to.deep.equal(Array.from(c));
  });

  it("evaluates on a coset and interpolates back", function () {
    const c = randomPoly(32);
    const evals = poly.cosetEvaluate(c, F.GENERATOR, 128);
    const w = F.rootOfUnity(7);
    for (const i of [0, 1, 77, 127]) expect(evals[i]).to.equal(poly.evalBase(c, F.mul(F.GENERATOR, F.pow(w, i))));
    const back = poly.cosetInterpolate(evals, F.GENERATOR);
    expect(Array.from(back.subarray(0, 32))).to.deep.equal(Array.from(c));
    expect(back.subarray(32).every((v) => v === 0)).to.equal(true);
  });

  it("rejects non-power-of-two sizes with a RangeError", function () {
    expect(() => poly.ntt(new Uint32Array(12))).to.throw(RangeError);
    expect(() => poly.cosetEvaluate(new Uint32Array(9), 3, 8)).to.throw(RangeError);
  });

  it("divides by (X − z) exactly when z is a root", function () {
    const z: F.Ext = [5, 6, 7, 8];
    const c: poly.ExtVec = [randomPoly(16), randomPoly(16), randomPoly(16), randomPoly(16)];
    const shifted = poly.extSubConstant(c, poly.evalExt(c, z));
    const q = poly.divideByLinear(shifted, z);
    const x: F.Ext = [1, 2, 3, 4];
    // (X − z)·q(X) = c(X) − c(z) at a random point
    expect(F.emul(F.esub(x, z), poly.evalExt(q, x))).to.deep.equal(poly.evalExt(shifted, x));
  });

  it("evaluates base polynomials at extension points from precomputed powers", function () {
    const c = randomPoly(20);
    const x: F.Ext = [9, 8, 7, 6];
    const lifted: poly.ExtVec = [c, new Uint32Array(20), new Uint32Array(20), new Uint32Array(20)];
    expect(poly.evalBaseAtPowers(c, poly.extPowers(x, 20))).to.deep.equal(poly.evalExt(lifted, x));
  });
});
