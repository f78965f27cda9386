/**
 * Tests of FRI on its own: honest low-degree polynomials pass, polynomials above the degree bound and tampered
 * openings or remainders fail.
 */
import { expect } from "chai";

import { Transcript, field as F, fri, merkle, poly, type MatrixOpening } from "../../../offchain/stark";
import { seededWords } from "../../../offchain/stark/testing";

const rng = seededWords(5);

interface Run {
  shape: fri.FriShape;
  commitment: fri.FriCommitment;
  positions: number[];
  firstValues: F.Ext[];
  betas: F.Ext[];
  openings: MatrixOpening[];
}

const N = 256;
const D = 32;

function commitAndOpen(degree: number): Run {
  const coeffs = poly.extZeros(D * 2);
  for (let c = 0; c < 4; c++) for (let i = 0; i < degree; i++) (coeffs[c] as Uint32Array)[i] = F.sampleBase(rng);
  const shape = fri.friShape(D, N, 2, 2);
  const t = new Transcript("fri-test");
  const commitment = fri.friCommit(coeffs, shape, F.GENERATOR, t);
  // replay to learn the betas
  const v = new Transcript("fri-test");
  const betas = commitment.trees.map((tree) => {
    v.absorbWords("fri-root", merkle.treeRoot(tree));
    return v.challengeExt();
  });
  const positions = merkle.uniqueSorted(t.queryPositions(20, N), N);
  const layer0 = commitment.layers[0] as poly.ExtVec;
  const firstValues = positions.map((p) => F.eget(layer0, p));
  return { shape, commitment, positions, firstValues, betas, openings: fri.friOpen(commitment, shape, positions) };
}

function check(r: Run, overrides: Partial<Run> = {}): fri.FriFailure | null {
  const x = { ...r, ...overrides };
  return fri.friVerify(
    x.shape,
    N,
    F.GENERATOR,
    x.commitment.trees.map(merkle.treeRoot),
    x.betas,
    x.commitment.remainder,
    x.openings,
    x.positions,
    x.firstValues,
  );
}

describe("stark fri", function () {
  it("plans layers down to the remainder bound", function () {
    const shape = fri.friShape(128, 1024, 3, 4);
    expect(shape.domainSizes).to.deep.equal([1024]);
    expect(shape.remainderBound).to.equal(16);
    expect(fri.friShape(64, 512, 2, 3).domainSizes).to.deep.equal([512, 128]);
  });

  it("accepts a polynomial within the degree bound", function () {
    expect(check(commitAndOpen(D))).to.equal(null);
  });

  it("rejects a polynomial above the degree bound", function () {
    const r = commitAndOpen(2 * D);
    // the honest remainder is truncated to the bound, so the folded values cannot all match it
    expect(check(r)).to.not.equal(null);
  });

  it("rejects a wrong first-layer value, a tampered coset, a wrong beta and a tampered remainder", function () {
    const r = commitAndOpen(D);
    const wrong = r.firstValues.slice();
    wrong[0] = F.eadd(wrong[0] as F.Ext, [1, 0, 0, 0]);
    expect(check(r, { firstValues: wrong })).to.equal("FRI_FOLDING_MISMATCH");
    const rows = r.openings[0]!.rows.map((row) => row.slice());
    (rows[0] as Uint32Array)[0] = F.add((rows[0] as Uint32Array)[0] as number, 1);
    expect(check(r, { openings: [{ ...r.openings[0]!, rows }, ...r.openings.slice(1)] })).to.equal(
      "FRI_COMMITMENT_MISMATCH",
    );
    expect(check(r, { betas: [F.eadd(r.betas[0] as F.Ext, [1, 0, 0, 0]), ...r.betas.slice(1)] })).to.not.equal(null);
    const rem = r.commitment.remainder.slice();
    rem[1] = F.eadd(rem[1] as F.Ext, [0, 1, 0, 0]);
    expect(check(r, { commitment: { ...r.commitment, remainder: rem } })).to.equal("FRI_REMAINDER_MISMATCH");
  });

  it("folds a coset to the folded polynomial's value", function () {
    // F(X) = a + bX: folding by 2 with beta gives a + beta·b at x^2
    const a: F.Ext = [3, 0, 0, 0];
    const b: F.Ext = [5, 1, 0, 0];
    const x = 12345;
    const values: F.Ext[] = [F.eadd(a, F.escale(b, x)), F.eadd(a, F.escale(b, F.neg(x)))];
    const beta: F.Ext = [7, 0, 2, 0];
    expect(fri.foldCoset(values, x, beta)).to.deep.equal(F.eadd(a, F.emul(beta, b)));
  });
});
