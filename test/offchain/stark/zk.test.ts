/**
 * The reference's two privacy attacks against our proofs (stark-reference.md §0, §8): F2, recovering the amount from
 * the out-of-domain frame or the query openings, and F1, inverting the witness commitment. Each attack is first shown
 * to work where it should (on a proof made with the zero-knowledge randomisers disabled, or with the blinding in
 * hand), then shown to fail against real proofs.
 */
import { expect } from "chai";

import {
  DOMAIN_OFFSET,
  TEST_OPTIONS,
  air,
  deserializeProof,
  field as F,
  poly,
  poseidon2 as P2,
  deriveParams,
  replayChallenges,
  serializeProof,
  type StarkProof,
} from "../../../offchain/stark";
import { proveAir, seededWords } from "../../../offchain/stark/testing";

const LIMIT = 1_000_000n;
const AMOUNT = 424_242n;
const BLINDING = [9, 8, 7, 6, 5];
const CONTEXT = new Uint8Array(32);
const STATEMENT = { limit: LIMIT, commitment: P2.commitAmount(AMOUNT, BLINDING) };
// columns that depend only on the amount and the public limit (not on the blinding)
const AMOUNT_COLUMNS = [
  air.COL.A0,
  air.COL.A1,
  air.COL.D0,
  air.COL.D1,
  air.COL.CARRY,
  air.COL.K0,
  air.COL.K1,
  air.COL.K2,
];
const CANDIDATES = Array.from({ length: 41 }, (_, i) => AMOUNT - 20n + BigInt(i));

function makeProof(disableZk: boolean, seed: number): StarkProof {
  const proof = proveAir({ amount: AMOUNT, blinding: BLINDING, limit: LIMIT }, STATEMENT, CONTEXT, TEST_OPTIONS, {
    rng: seededWords(seed),
    disableZk,
  });
  // attack the bytes, as an outsider would
  return deserializeProof(serializeProof(proof));
}

/** Unrandomised interpolants of the amount-only columns for a candidate amount. */
function candidateColumns(amount: bigint): Uint32Array[] {
  const trace = air.buildTraceUnchecked({ amount, blinding: [0, 0, 0, 0, 0], limit: LIMIT });
  return AMOUNT_COLUMNS.map((c) => poly.intt((trace[c] as Uint32Array).slice()));
}

/** F2 via the OOD frame: the candidates whose column polynomials match the proof's values at z. */
function oodAttack(proof: StarkProof): bigint[] {
  const { z } = replayChallenges(proof, STATEMENT, CONTEXT);
  const zPow = poly.extPowers(z, air.TRACE_LENGTH);
  return CANDIDATES.filter((a) =>
    candidateColumns(a).every((coeffs, i) =>
      F.eeq(poly.evalBaseAtPowers(coeffs, zPow), proof.ood.traceZ[AMOUNT_COLUMNS[i] as number] as F.Ext),
    ),
  );
}

/** F2 via the query openings: the candidates whose column polynomials match the opened trace rows. */
function openingAttack(proof: StarkProof): bigint[] {
  const { positions } = replayChallenges(proof, STATEMENT, CONTEXT);
  const N = deriveParams(TEST_OPTIONS, air.TRACE_LENGTH).ldeSize;
  const wN = F.rootOfUnity(Math.log2(N));
  const xs = positions.map((p) => F.mul(DOMAIN_OFFSET, F.pow(wN, p)));
  return CANDIDATES.filter((a) =>
    candidateColumns(a).every((coeffs, i) =>
      xs.every(
        (x, q) => poly.evalBase(coeffs, x) === (proof.traceOpening.rows[q] as Uint32Array)[AMOUNT_COLUMNS[i] as number],
      ),
    ),
  );
}

describe("stark zero knowledge", function () {
  it("opens the trace at positions inside the attack's LDE domain", function () {
    const N = deriveParams(TEST_OPTIONS, air.TRACE_LENGTH).ldeSize;
    const { positions } = replayChallenges(makeProof(false, 1), STATEMENT, CONTEXT);
    expect(positions.length).to.be.greaterThan(0);
    expect(positions.every((p) => p >= 0 && p < N)).to.equal(true);
  });

  describe("F2: amount recovery from the proof", function () {
    it("recovers the amount from the OOD frame of an unrandomised proof (the attack works)", function () {
      expect(oodAttack(makeProof(true, 2))).to.deep.equal([AMOUNT]);
    });

    it("recovers nothing from the OOD frame of a real proof", function () {
      for (const seed of [3, 4, 5]) expect(oodAttack(makeProof(false, seed))).to.deep.equal([]);
    });

    it("recovers the amount from the openings of an unrandomised proof (the attack works)", function () {
      expect(openingAttack(makeProof(true, 6))).to.deep.equal([AMOUNT]);
    });

    it("recovers nothing from the openings of a real proof", function () {
      for (const seed of [7, 8]) expect(openingAttack(makeProof(false, seed))).to.deep.equal([]);
    });

    it("fails the reference's ratio formula (column value over the first-row selector)", function () {
      // reference: amount = ood[amount column] / ood[is_first]; our carrier K0 holds the limb on row 0
      const proof = makeProof(false, 9);
      const { z } = replayChallenges(proof, STATEMENT, CONTEXT);
      const firstRow = poly.intt(Uint32Array.from({ length: air.TRACE_LENGTH }, (_, r) => (r === 0 ? 1 : 0)));
      const sel = poly.evalBaseAtPowers(firstRow, poly.extPowers(z, air.TRACE_LENGTH));
      const ratio = F.emul(proof.ood.traceZ[air.COL.K0] as F.Ext, F.einv(sel));
      expect(ratio).to.not.deep.equal([P2.amountLimbs(AMOUNT)[0], 0, 0, 0]);
    });

    it("randomises every opened and out-of-domain value between two proofs of the same statement", function () {
      const a = makeProof(false, 10);
      const b = makeProof(false, 11);
      for (let j = 0; j < air.TRACE_WIDTH; j++) expect(a.ood.traceZ[j]).to.not.deep.equal(b.ood.traceZ[j]);
      expect(Buffer.from(a.traceRoot.buffer).equals(Buffer.from(b.traceRoot.buffer))).to.equal(false);
    });
  });

  describe("F1: commitment inversion", function () {
    it("finds the amount by brute force only with the blinding (the search works)", function () {
      const hits = CANDIDATES.filter((a) =>
        P2.commitAmount(a, BLINDING).every((v, i) => v === STATEMENT.commitment[i]),
      );
      expect(hits).to.deep.equal([AMOUNT]);
    });

    it("finds nothing by brute force without the blinding", function () {
      for (const guess of [
        [0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1],
      ]) {
        const hits = CANDIDATES.filter((a) => P2.commitAmount(a, guess).every((v, i) => v === STATEMENT.commitment[i]));
        expect(hits).to.deep.equal([]);
      }
    });

    it("has no per-lane structure: each commitment lane depends on every amount limb and blinding lane", function () {
      const base = P2.commitAmount(AMOUNT, BLINDING);
      const variants = [
        P2.commitAmount(AMOUNT + 1n, BLINDING),
        P2.commitAmount(AMOUNT + (1n << 22n), BLINDING),
        P2.commitAmount(AMOUNT + (1n << 44n), BLINDING),
        ...BLINDING.map((_, i) =>
          P2.commitAmount(
            AMOUNT,
            BLINDING.map((b, j) => (j === i ? b + 1 : b)),
          ),
        ),
      ];
      for (const v of variants) for (let j = 0; j < 8; j++) expect(v[j]).to.not.equal(base[j]);
    });
  });
});
