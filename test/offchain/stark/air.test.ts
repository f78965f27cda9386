/**
 * Tests of the compliance AIR and of the prover/verifier pair against a malicious prover: forged traces for false
 * statements (amount over the limit, non-binary bits, wrong recomposition, borrow set, hash state not matching the
 * commitment, upper limb non-zero) are proven with the real prover through its trace hook, and the verifier must
 * reject every one of them.
 */
import { expect } from "chai";

import {
  PRODUCTION_OPTIONS,
  TEST_OPTIONS,
  air,
  field as F,
  poly,
  poseidon2 as P2,
  verifyAir,
  type AcceptableOptions,
} from "../../../offchain/stark";
import { proveAir, seededWords } from "../../../offchain/stark/testing";
import {
  type Forgery,
  MINUS_ONE,
  hashColumns,
  honestStatement,
  proveForged,
  violatedConstraints,
} from "./support/forge";
import { TEST_ACCEPTABLE } from "./support/fixtures";

const CONTEXT = new Uint8Array(32).fill(7);
const BLINDING = [101, 202, 303, 404, 505];
const LIMIT = 9999n;

function forged(amount: bigint, limit = LIMIT): Forgery {
  return {
    trace: air.buildTraceUnchecked({ amount, blinding: BLINDING, limit }),
    statement: honestStatement(amount, BLINDING, limit),
  };
}

function rejects(f: Forgery, acceptable: AcceptableOptions = TEST_ACCEPTABLE, options = TEST_OPTIONS): string {
  const proof = proveForged(f, CONTEXT, options);
  const verdict = verifyAir(proof, f.statement, CONTEXT, acceptable);
  expect(verdict.valid, "a forged proof verified").to.equal(false);
  return verdict.valid ? "" : verdict.reason;
}

describe("stark air", function () {
  describe("honest traces", function () {
    it("satisfy every constraint for boundary amounts and limits", function () {
      const cases: [bigint, bigint][] = [
        [0n, 0n],
        [0n, 9999n],
        [9999n, 9999n],
        [(1n << 22n) - 1n, 1n << 22n],
        [1n << 44n, (1n << 44n) + 1n],
        [(1n << 64n) - 1n, (1n << 64n) - 1n],
        [0x1234567890abcdefn, 0xfedcba9876543210n],
      ];
      for (const [amount, limit] of cases) {
        const trace = air.buildTrace({ amount, blinding: BLINDING, limit });
        expect(
          [...violatedConstraints(trace, honestStatement(amount, BLINDING, limit))],
          `${amount} ≤ ${limit}`,
        ).to.deep.equal([]);
      }
    });

    it("have the declared shape and put the hash output on row 28", function () {
      expect(air.TRACE_WIDTH).to.equal(24);
      expect(air.TRACE_LENGTH).to.equal(32);
      expect(air.NUM_CONSTRAINTS).to.equal(49);
      const trace = air.buildTrace({ amount: 5000n, blinding: BLINDING, limit: LIMIT });
      const out = trace.slice(0, 8).map((c) => c[air.OUTPUT_ROW]);
      expect(out).to.deep.equal(Array.from(P2.commitAmount(5000n, BLINDING)));
    });

    it("refuse an over-limit witness in the honest builder", function () {
      expect(() => air.buildTrace({ amount: 10000n, blinding: BLINDING, limit: LIMIT })).to.throw(RangeError);
    });

    it("prove and verify at production options", function () {
      const st = honestStatement(5000n, BLINDING, LIMIT);
      const proof = proveAir({ amount: 5000n, blinding: BLINDING, limit: LIMIT }, st, CONTEXT, PRODUCTION_OPTIONS, {
        rng: seededWords(1),
      });
      expect(verifyAir(proof, st, CONTEXT, { options: [PRODUCTION_OPTIONS], minSecurityBits: 100 })).to.deep.equal({
        valid: true,
      });
    });
  });

  describe("prover composition", function () {
    it("agrees with the generic constraint evaluator at every quotient-domain point", function () {
      const rng = seededWords(99);
      const N = 256;
      const QN = 128;
      const g = F.GENERATOR;
      const lde = Array.from({ length: air.TRACE_WIDTH }, () =>
        Uint32Array.from({ length: N }, () => F.sampleBase(rng)),
      );
      const alphas = Array.from({ length: air.NUM_CONSTRAINTS }, (): F.Ext => [
        F.sampleBase(rng),
        F.sampleBase(rng),
        F.sampleBase(rng),
        F.sampleBase(rng),
      ]);
      const limit = 0x0123456789abcdefn;
      const commitment = P2.commitAmount(77n, BLINDING);
      const coeffs = air.periodicCoefficients(limit);
      const q = air.composeQuotient(lde, N, QN, g, coeffs, commitment, alphas);
      const wQ = F.rootOfUnity(Math.log2(QN));
      for (const i of [0, 1, 17, 64, 127]) {
        const x = F.mul(g, F.pow(wQ, i));
        const li = i * (N / QN);
        const cur = lde.map((c) => F.ext(c[li] as number));
        const nxt = lde.map((c) => F.ext(c[(li + N / air.TRACE_LENGTH) % N] as number));
        const per = coeffs.map((c) => F.ext(poly.evalBase(c, x)));
        const vals = new Array<F.Ext>(air.NUM_CONSTRAINTS);
        air.evaluateConstraints(air.EXT_RING, cur, nxt, per, Array.from(commitment, F.ext), vals);
        const expected = air.combineExt(vals, alphas, air.divisorInversesExt(F.ext(x)));
        expect(F.eget(q, i), `point ${i}`).to.deep.equal(expected);
      }
    });
  });

  describe("malicious prover", function () {
    it("cannot prove an amount over the limit: the borrow out of the top digit is set", function () {
      const f = forged(LIMIT + 1n);
      expect([...violatedConstraints(f.trace, f.statement)]).to.deep.equal([45]);
      rejects(f);
    });

    it("cannot prove u64::MAX under a small limit", function () {
      const f = forged((1n << 64n) - 1n, 1n);
      expect(violatedConstraints(f.trace, f.statement).has(45)).to.equal(true);
      rejects(f);
    });

    it("cannot hide the borrow with a non-binary diff digit", function () {
      // amount 10001 with limit 10000: diff digit 0 = −1 makes every carry equation hold
      const limit = 10000n;
      const f = forged(10001n, limit);
      const t = f.trace;
      for (const c of [air.COL.D0, air.COL.D1]) (t[c] as Uint32Array).fill(0);
      (t[air.COL.D0] as Uint32Array)[0] = MINUS_ONE;
      (t[air.COL.CARRY] as Uint32Array).fill(0);
      expect([...violatedConstraints(t, f.statement)]).to.deep.equal([22]);
      rejects(f);
    });

    it("rejects a non-binary amount bit even when the digit value is right", function () {
      // amount bits that recompose to 2 at digit 0 with a1 = 0 and a0 = 2
      const f = forged(2n, 9n);
      (f.trace[air.COL.A0] as Uint32Array)[0] = 2;
      (f.trace[air.COL.A1] as Uint32Array)[0] = 0;
      expect([...violatedConstraints(f.trace, f.statement)]).to.deep.equal([20]);
      rejects(f);
    });

    it("cannot recompose a different amount than the bits (carriers claim an over-limit amount)", function () {
      // bits and diff of a compliant 5000; hash input and carriers of 50 000 000
      const big = 50_000_000n;
      const compliant = air.buildTraceUnchecked({ amount: 5000n, blinding: BLINDING, limit: LIMIT });
      const over = air.buildTraceUnchecked({ amount: big, blinding: BLINDING, limit: LIMIT });
      const trace = compliant.map((c, j) => (j < 16 || j >= air.COL.K0 ? (over[j] as Uint32Array) : c));
      const f: Forgery = { trace, statement: honestStatement(big, BLINDING, LIMIT) };
      const bad = violatedConstraints(trace, f.statement);
      expect(bad.size).to.be.greaterThan(0);
      expect([...bad].every((i) => (i >= 17 && i <= 19) || i >= 45)).to.equal(true);
      rejects(f);
    });

    it("cannot feed the hash a different amount than the carriers", function () {
      const big = 50_000_000n;
      const compliant = air.buildTraceUnchecked({ amount: 5000n, blinding: BLINDING, limit: LIMIT });
      const over = air.buildTraceUnchecked({ amount: big, blinding: BLINDING, limit: LIMIT });
      const trace = compliant.map((c, j) => (j < 16 ? (over[j] as Uint32Array) : c));
      const f: Forgery = { trace, statement: honestStatement(big, BLINDING, LIMIT) };
      // limbs 0 and 1 differ (5000 vs 50 000 000), limb 2 is 0 in both
      expect([...violatedConstraints(trace, f.statement)]).to.deep.equal([26, 27]);
      rejects(f);
    });

    it("cannot claim a commitment the hash state does not produce", function () {
      const f = forged(5000n);
      const other = P2.commitAmount(5000n, [1, 2, 3, 4, 5]);
      const st = { limit: LIMIT, commitment: other };
      expect([...violatedConstraints(f.trace, st)]).to.deep.equal([37, 38, 39, 40, 41, 42, 43, 44]);
      expect(rejects({ trace: f.trace, statement: st })).to.be.a("string");
    });

    it("cannot break the Poseidon2 round chain", function () {
      const f = forged(5000n);
      const s3 = f.trace[3] as Uint32Array;
      s3[10] = (s3[10] as number) ^ 1;
      const bad = violatedConstraints(f.trace, f.statement);
      expect([...bad].every((i) => i < 16)).to.equal(true);
      expect(bad.size).to.be.greaterThan(0);
      rejects(f);
    });

    it("cannot put a non-zero upper limb (an amount of 2^64 or more) into the hash", function () {
      // hash input limb 2 = 2^20 (amount 2^64 + 5000): the bits can only account for 20 bits of limb 2
      const amount = 5000n;
      const limbs = P2.amountLimbs(amount);
      const input = [limbs[0], limbs[1], limbs[2] + 2 ** 20, ...BLINDING, P2.COMMIT_TAG, 0, 0, 0, 0, 0, 0, 0];
      const { columns, commitment } = hashColumns(input);
      const trace = air.buildTraceUnchecked({ amount, blinding: BLINDING, limit: LIMIT });
      columns.forEach((c, j) => (trace[j] = c));
      const k2 = trace[air.COL.K2] as Uint32Array;
      for (let r = 0; r < air.TRACE_LENGTH; r++) k2[r] = (k2[r] as number) + 2 ** 20;
      const f: Forgery = { trace, statement: { limit: LIMIT, commitment } };
      expect([...violatedConstraints(trace, f.statement)]).to.deep.equal([48]);
      rejects(f);
    });

    it("cannot start the carry chain with a carry", function () {
      // amount 10000 with limit 9999 and carry-in 1 at digit 0 would need carry-in −1; with +1 the sum overshoots
      const f = forged(LIMIT);
      (f.trace[air.COL.CARRY] as Uint32Array)[0] = 1;
      expect(violatedConstraints(f.trace, f.statement).has(25)).to.equal(true);
      rejects(f);
    });

    it("is rejected at production options as well", function () {
      const reason = rejects(
        forged(LIMIT + 1n),
        { options: [PRODUCTION_OPTIONS], minSecurityBits: 100 },
        PRODUCTION_OPTIONS,
      );
      expect(reason).to.be.oneOf(["OOD_CONSTRAINT_MISMATCH", "FRI_FOLDING_MISMATCH", "FRI_REMAINDER_MISMATCH"]);
    });
  });
});
