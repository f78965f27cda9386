/**
 * Compliance proofs end to end (stark-reference.md §7): policy semantics and boundaries, tampering and substitution
 * of every public input, the options allow-list, and the opening artifact.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  DEFAULT_ACCEPTABLE,
  PRODUCTION_OPTIONS,
  amountCommitmentHex,
  blindingToHex,
  randomBlinding,
  TEST_OPTIONS,
  checkOpening,
  commitmentToHex,
  isStarkError,
  policyFromLimit,
  parsePublicInputs,
  policyHashHex,
  proveCompliance,
  verifyCompliance,
  type ComplianceProof,
  type CompliancePublicInputs,
  type Policy,
} from "../../../offchain/stark";
import * as stark from "../../../offchain/stark";
import { proveComplianceWith, seededWords } from "../../../offchain/stark/testing";
import { EXAMPLE_POLICY, TEST_ACCEPTABLE, exampleInputs, fcOptions } from "./support/fixtures";

const U64_MAX = (1n << 64n) - 1n;
let seed = 1;
const prove = (amount: bigint, inputs: unknown, options = TEST_OPTIONS): ComplianceProof =>
  proveComplianceWith({ amount, publicInputs: inputs, options, rng: seededWords(seed++) });
/** The policy an honest verifier expects for a proof: the one it was made for (tests override it in `extra`). */
const policyOf = (p: ComplianceProof): Policy => parsePublicInputs(p.publicInputs).policy;
const verify = (p: ComplianceProof, inputs: unknown = p.publicInputs, extra: object = {}) =>
  verifyCompliance(
    { proofBytes: p.proofBytes, publicInputs: inputs, expectedPolicy: policyOf(p), ...extra },
    TEST_ACCEPTABLE,
  );

function refusal(amount: bigint, inputs: unknown): string {
  try {
    prove(amount, inputs);
  } catch (e) {
    if (isStarkError(e)) return e.code;
    throw e;
  }
  return "PROVED";
}

function reason(v: ReturnType<typeof verify>): string {
  return v.valid ? "VALID" : v.reason;
}

describe("stark compliance", function () {
  describe("policy semantics", function () {
    it("proves and verifies every amount below an aml threshold, including threshold − 1 and 0", function () {
      const inputs = exampleInputs("aml.threshold", 10000n);
      for (const amount of [0n, 1n, 5000n, 9999n])
        expect(reason(verify(prove(amount, inputs))), `${amount}`).to.equal("VALID");
    });

    it("refuses amount = threshold and amounts above it", function () {
      const inputs = exampleInputs("aml.threshold", 10000n);
      for (const amount of [10000n, 10001n, U64_MAX]) expect(refusal(amount, inputs)).to.equal("AMOUNT_NOT_COMPLIANT");
    });

    it("rejects an aml threshold of 0", function () {
      expect(refusal(0n, exampleInputs("aml.threshold", 0n))).to.equal("INVALID_THRESHOLD");
    });

    it("proves amount = cap for order_total.cap and refuses cap + 1", function () {
      const inputs = exampleInputs("order_total.cap", 50000n);
      expect(reason(verify(prove(50000n, inputs)))).to.equal("VALID");
      expect(refusal(50001n, inputs)).to.equal("AMOUNT_NOT_COMPLIANT");
    });

    it("proves u64::MAX under a cap of u64::MAX and amounts across all limbs", function () {
      expect(reason(verify(prove(U64_MAX, exampleInputs("order_total.cap", U64_MAX))))).to.equal("VALID");
      const inputs = exampleInputs("aml.threshold", U64_MAX);
      for (const amount of [(1n << 22n) + 3n, (1n << 44n) + 5n, (1n << 63n) + 7n, U64_MAX - 1n]) {
        expect(reason(verify(prove(amount, inputs))), `${amount}`).to.equal("VALID");
      }
    });

    it("proves exactly the amounts the native policy accepts (property)", function () {
      fc.assert(
        fc.property(
          fc.bigInt({ min: 0n, max: U64_MAX }),
          fc.bigInt({ min: 1n, max: U64_MAX }),
          fc.constantFrom("aml.threshold", "order_total.cap"),
          (amount, limit, policyId) => {
            const inputs = exampleInputs(policyId, limit);
            const compliant = policyId === "aml.threshold" ? amount < limit : amount <= limit;
            const outcome = refusal(amount, inputs);
            expect(outcome).to.equal(compliant ? "PROVED" : "AMOUNT_NOT_COMPLIANT");
          },
        ),
        fcOptions(12),
      );
    });

    it("proves and verifies at production options with the default verifier", function () {
      const p = proveCompliance({ amount: 1234n, publicInputs: exampleInputs() });
      const v = verifyCompliance({
        proofBytes: p.proofBytes,
        publicInputs: p.publicInputs,
        expectedPolicy: policyOf(p),
      });
      expect(v.valid).to.equal(true);
      if (v.valid) {
        // both figures, labelled: conjectured (the floor's) and provable, which is far lower for production options
        const levels = stark.securityLevels(PRODUCTION_OPTIONS, stark.air.TRACE_LENGTH);
        expect(v.securityBits).to.be.at.least(100);
        expect([v.securityBits, v.provableSecurityBits]).to.deep.equal([levels.conjectured, levels.provable]);
        expect(v.provableSecurityBits).to.be.below(v.securityBits);
      }
    });
  });

  describe("tampering and substitution", function () {
    const inputs = exampleInputs("aml.threshold", 10000n);
    const proof = prove(5000n, inputs);

    it("rejects a proof checked against another policy or limit (incl. a downgrade 10000 → 1000)", function () {
      expect(
        reason(verify(proof, proof.publicInputs, { expectedPolicy: policyFromLimit("order_total.cap", 10000n) })),
      ).to.equal("POLICY_MISMATCH");
      expect(
        reason(verify(proof, proof.publicInputs, { expectedPolicy: policyFromLimit("aml.threshold", 1000n) })),
      ).to.equal("LIMIT_MISMATCH");
      // inputs rewritten to the stricter policy (with a consistent policy hash): the STARK no longer verifies
      const policy = policyFromLimit("aml.threshold", 1000n);
      const stricter = { ...proof.publicInputs, policyParams: { threshold: 1000 }, policyHash: policyHashHex(policy) };
      expect(reason(verify(proof, stricter))).to.equal("LIMIT_MISMATCH");
      expect(verify(proof, stricter, { expectedPolicy: policy }).valid).to.equal(false);
      const otherPolicy = policyFromLimit("order_total.cap", 9999n);
      const cap = {
        ...proof.publicInputs,
        policyId: "order_total.cap",
        policyParams: { cap: 9999 },
        policyHash: policyHashHex(otherPolicy),
      };
      expect(reason(verify(proof, cap))).to.equal("POLICY_MISMATCH");
      expect(verify(proof, cap, { expectedPolicy: otherPolicy }).valid).to.equal(false);
    });

    it("rejects a tampered, an all-zero and another amount's witness commitment", function () {
      const c = proof.witnessCommitmentHex;
      const flipped = (c[0] === "0" ? "1" : "0") + c.slice(1);
      const other = prove(5001n, inputs).witnessCommitmentHex;
      for (const w of [flipped, "0".repeat(64), other]) {
        const bad = { ...proof.publicInputs, witnessCommitment: w };
        expect(verify(proof, bad).valid, w).to.equal(false);
        expect(verify(proof, inputs, { witnessCommitmentHex: w }).valid, w).to.equal(false);
      }
    });

    it("fails fast when the inputs' commitment differs from the supplied one, or none is given", function () {
      const other = prove(5001n, inputs).witnessCommitmentHex;
      expect(reason(verify(proof, proof.publicInputs, { witnessCommitmentHex: other }))).to.equal(
        "WITNESS_COMMITMENT_MISMATCH",
      );
      expect(reason(verify(proof, inputs))).to.equal("MISSING_WITNESS_COMMITMENT");
      expect(reason(verify(proof, inputs, { witnessCommitmentHex: proof.witnessCommitmentHex }))).to.equal("VALID");
      expect(reason(verify(proof, inputs, { witnessCommitmentHex: "ff".repeat(32) }))).to.equal(
        "INVALID_WITNESS_COMMITMENT",
      );
    });

    it("binds every public input: changing any field invalidates the proof", function () {
      const changes: Partial<Record<keyof CompliancePublicInputs, unknown>> = {
        eventId: "123e4567-e89b-12d3-a456-426614174001",
        tenantId: "550e8400-e29b-41d4-a716-446655440001",
        storeId: "6ba7b810-9dad-11d1-80b4-00c04fd430c9",
        sequenceNumber: 43,
        payloadKind: 0,
        payloadPlainHash: "12".repeat(32),
        payloadCipherHash: "23".repeat(32),
        eventSigningHash: "34".repeat(32),
      };
      for (const [k, v] of Object.entries(changes)) {
        expect(reason(verify(proof, { ...proof.publicInputs, [k]: v })), k).to.not.equal("VALID");
      }
      expect(reason(verify(proof))).to.equal("VALID");
    });

    it("rejects a wrong, empty or case-changed policy hash", function () {
      const ph = proof.publicInputs.policyHash;
      expect(reason(verify(proof, { ...proof.publicInputs, policyHash: "ab".repeat(32) }))).to.equal(
        "INVALID_POLICY_HASH",
      );
      expect(reason(verify(proof, { ...proof.publicInputs, policyHash: "" }))).to.equal("INVALID_HEX");
      expect(reason(verify(proof, { ...proof.publicInputs, policyHash: ph.toUpperCase() }))).to.equal("INVALID_HEX");
    });

    it("rejects hex with uppercase letters, wrong length, non-hex characters or spaces", function () {
      const h = proof.publicInputs.payloadPlainHash;
      for (const bad of [
        "AB".repeat(32),
        `${h.slice(2)}aB`,
        h.slice(2),
        `${h}00`,
        `g${h.slice(1)}`,
        ` ${h.slice(1)}`,
        `0x${h.slice(2)}`,
      ]) {
        expect(reason(verify(proof, { ...proof.publicInputs, payloadPlainHash: bad })), bad).to.equal("INVALID_HEX");
        expect(reason(verify(proof, { ...proof.publicInputs, witnessCommitment: bad }))).to.equal("INVALID_HEX");
      }
    });

    it("rejects unknown policies, missing or unexpected parameters, and an amount binding hash", function () {
      const pi = proof.publicInputs;
      expect(reason(verify(proof, { ...pi, policyId: "agent.budget.v1" }))).to.equal("UNSUPPORTED_POLICY");
      expect(reason(verify(proof, { ...pi, policyParams: {} }))).to.equal("MISSING_POLICY_PARAM");
      expect(reason(verify(proof, { ...pi, policyParams: { threshold: 10000, cap: 1 } }))).to.equal(
        "INVALID_POLICY_PARAM",
      );
      expect(reason(verify(proof, { ...pi, policyParams: { threshold: "10000" } }))).to.equal("INVALID_POLICY_PARAM");
      expect(reason(verify(proof, { ...pi, amountBindingHash: "44".repeat(32) }))).to.equal("INVALID_PUBLIC_INPUTS");
      expect(reason(verify(proof, { ...pi, eventId: "not-a-uuid" }))).to.equal("INVALID_PUBLIC_INPUTS");
    });

    it("rejects proofs made with options outside the verifier's allow-list", function () {
      const expectedPolicy = policyOf(proof);
      const v = verifyCompliance({ proofBytes: proof.proofBytes, publicInputs: proof.publicInputs, expectedPolicy });
      expect(reason(v)).to.equal("UNACCEPTABLE_OPTIONS");
      const strict = verifyCompliance(
        { proofBytes: proof.proofBytes, publicInputs: proof.publicInputs, expectedPolicy },
        { options: [TEST_OPTIONS], minSecurityBits: 100 },
      );
      expect(reason(strict)).to.equal("INSUFFICIENT_SECURITY");
      expect(DEFAULT_ACCEPTABLE.options).to.deep.include(PRODUCTION_OPTIONS);
    });
  });

  describe("opening artifact", function () {
    const inputs = exampleInputs();
    const proof = prove(4242n, inputs);

    it("opens the witness commitment to the amount for a party holding it", function () {
      expect(checkOpening(proof.opening, proof.publicInputs)).to.equal(4242n);
      expect(proof.opening.witnessCommitmentHex).to.equal(proof.witnessCommitmentHex);
    });

    it("rejects an opening for another event, another amount or another blinding", function () {
      const code = (o: unknown): string => {
        try {
          checkOpening(o, proof.publicInputs);
          return "OK";
        } catch (e) {
          return isStarkError(e) ? e.code : "THREW";
        }
      };
      expect(code({ ...proof.opening, eventId: "123e4567-e89b-12d3-a456-426614174009" })).to.equal("INVALID_OPENING");
      expect(code({ ...proof.opening, amount: "4243" })).to.equal("WITNESS_COMMITMENT_MISMATCH");
      const b = proof.opening.blinding;
      expect(code({ ...proof.opening, blinding: (b[0] === "0" ? "1" : "0") + b.slice(1) })).to.equal(
        "WITNESS_COMMITMENT_MISMATCH",
      );
      expect(code({ ...proof.opening, blinding: "zz" })).to.equal("INVALID_OPENING");
    });

    it("keeps the amount and blinding out of the bound public inputs", function () {
      const json = JSON.stringify(proof.publicInputs);
      expect(json).to.not.match(/(?<![0-9a-fA-F])4242(?![0-9a-fA-F])/); // not inside a hex digest
      expect(json).to.not.include(proof.opening.blinding);
      expect(proof.publicInputs.witnessCommitment).to.equal(
        commitmentToHex(Uint32Array.from(proof.witnessCommitmentHex.match(/.{8}/g)!.map((h) => parseInt(h, 16)))),
      );
    });
  });

  describe("the verifier's policy and the prover's randomness", function () {
    it("never takes the policy from the prover: a 2^64 − 1 cap fails against the expected one, none is refused", function () {
      const generous = prove(123456n, exampleInputs("order_total.cap", U64_MAX));
      expect(reason(verify(generous))).to.equal("VALID");
      expect(reason(verify(generous, generous.publicInputs, { expectedPolicy: EXAMPLE_POLICY }))).to.equal(
        "POLICY_MISMATCH",
      );
      const capped = policyFromLimit("order_total.cap", 10000n);
      expect(reason(verify(generous, generous.publicInputs, { expectedPolicy: capped }))).to.equal("LIMIT_MISMATCH");
      const loose = verifyCompliance as (args: object, acceptable?: object) => unknown;
      const args = { proofBytes: generous.proofBytes, publicInputs: generous.publicInputs };
      expect(() => loose(args, TEST_ACCEPTABLE)).to.throw(TypeError, /expectedPolicy/);
      expect(() => loose({ ...args, expectedPolicy: undefined }, TEST_ACCEPTABLE)).to.throw(TypeError);
      expect(() => loose({ ...args, expectedPolicy: { id: "order_total.cap", cap: 5 } }, TEST_ACCEPTABLE)).to.throw(
        TypeError,
      );
      expect(() => loose({ ...args, expectedPolicy: { id: "other", cap: 5n } }, TEST_ACCEPTABLE)).to.throw(TypeError);
    });

    it("keeps chosen blindings and randomness off the public API (testing.ts only)", function () {
      const api = stark as unknown as Record<string, unknown>;
      for (const name of ["seededWords", "proveAir", "proveComplianceWith", "proveComplianceWithRandomness"]) {
        expect(api[name], name).to.equal(undefined);
      }
      // a caller passing the old knobs gets a fresh CSPRNG blinding anyway
      const known = [1, 2, 3, 4, 5];
      const loose = proveCompliance as (args: object) => ComplianceProof;
      const p = loose({ amount: 7n, publicInputs: exampleInputs(), options: TEST_OPTIONS, blinding: known });
      expect(p.witnessCommitmentHex).to.not.equal(amountCommitmentHex(7n, known));
      expect(p.opening.blinding).to.not.equal(blindingToHex(known));
      const q = loose({ amount: 7n, publicInputs: exampleInputs(), options: TEST_OPTIONS, rng: seededWords(5) });
      const r = loose({ amount: 7n, publicInputs: exampleInputs(), options: TEST_OPTIONS, rng: seededWords(5) });
      expect(q.witnessCommitmentHex).to.not.equal(r.witnessCommitmentHex);
      const draw = randomBlinding as (...a: unknown[]) => number[];
      expect(draw(seededWords(5))).to.not.deep.equal(draw(seededWords(5)));
    });

    it("keeps the pure commitment public: amountCommitmentHex(amount, blinding) is the proof's C", function () {
      const blinding = randomBlinding();
      const p = proveComplianceWith({ amount: 99n, publicInputs: exampleInputs(), options: TEST_OPTIONS, blinding });
      expect(amountCommitmentHex(99n, blinding)).to.equal(p.witnessCommitmentHex);
      expect(amountCommitmentHex(99n, blinding)).to.match(/^[0-9a-f]{64}$/);
      expect(blindingToHex(blinding)).to.match(/^[0-9a-f]{40}$/);
      expect(reason(verify(p))).to.equal("VALID");
      expect(() => amountCommitmentHex(1n << 64n, blinding)).to.throw(RangeError);
      expect(() => amountCommitmentHex(1n, [1, 2, 3])).to.throw(RangeError);
    });
  });
});
