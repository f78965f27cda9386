/**
 * Soundness of batch proofs against a malicious prover. Trace forgeries go through the instrumented prover
 * (testing.ts `proveBatchWithHooks`) which writes a dishonest trace and claim into the real prover; each is rejected
 * by the verifier, and the direct AIR check names the constraint the forged trace violates. Statement forgeries
 * (events reordered, dropped, duplicated, a changed signing hash, other roots, another batch) are proven as stated and
 * rejected by the verifier's recomputation of leaves, padded Merkle root and state root (the reference's F5) with
 * the failing check named. The reference's F3 attack (limit limbs not tied to the public limit) is replayed at test
 * and production options. Budget: about 15 s.
 */
import { randomUUID } from "node:crypto";

import { expect } from "chai";

import {
  type AcceptableOptions,
  type BatchAirStatement,
  type BatchClaim,
  type BatchEventWitness,
  type BatchProofBundle,
  type BatchStatement,
  DEFAULT_ACCEPTABLE,
  PRODUCTION_OPTIONS,
  type ProofOptions,
  TEST_OPTIONS,
  batchBundleHash,
  batchStatementHash,
  parseBatchStatement,
  verifyBatch,
} from "../../../../offchain/stark";
import {
  type BatchProverHooks,
  batchConstraintViolations,
  buildBatchTraceUnchecked,
  proveBatchWithHooks,
} from "../../../../offchain/stark/testing";
import { TEST_ACCEPTABLE, type SyntheticBatch, expectationOf, syntheticBatch } from "./support";

const U64_MAX = (1n << 64n) - 1n;

function reasonOf(v: ReturnType<typeof verifyBatch>): string {
  return v.valid ? "VALID" : v.reason;
}

/** The AIR statement of a (possibly forged) statement and claim. */
function airOf(statement: BatchStatement, claim: BatchClaim): BatchAirStatement {
  const p = parseBatchStatement(statement);
  return {
    limit: p.limit,
    numEvents: statement.events.length,
    allowed: p.allowed,
    commitments: p.commitments,
    compliantCount: claim.compliantCount,
  };
}

/** The honest per-event witnesses of a synthetic batch (flag = allowed and compliant). */
function honestEvents(b: SyntheticBatch, limit: bigint): BatchEventWitness[] {
  return b.statement.events.map((e, i) => {
    const o = b.witness.openings[i];
    if (e.reason !== "none" || o === null || o === undefined) return { amount: 0n, blinding: [0, 0, 0, 0, 0], flag: 0 };
    return { amount: o.amount, blinding: o.blinding, flag: o.amount <= limit ? 1 : 0 };
  });
}

/** Proves a forged trace and claim; asserts the verifier rejects it and returns the violated constraint names. */
function forgeTrace(
  b: SyntheticBatch,
  events: readonly BatchEventWitness[],
  claim: BatchClaim,
  opts: { traceLimit?: bigint; options?: ProofOptions; acceptable?: AcceptableOptions } = {},
): string[] {
  const p = parseBatchStatement(b.statement);
  const trace = buildBatchTraceUnchecked(opts.traceLimit ?? p.limit, events);
  const hooks: BatchProverHooks = { trace, claim };
  const bundle = proveBatchWithHooks(b.statement, b.witness, opts.options ?? TEST_OPTIONS, hooks);
  expect(bundle.claim).to.deep.equal(claim);
  const verdict = verifyBatch(bundle, expectationOf(b), opts.acceptable ?? TEST_ACCEPTABLE);
  expect(reasonOf(verdict), "a forged batch proof verified").to.not.equal("VALID");
  return batchConstraintViolations(trace, airOf(b.statement, claim)).map((v) => v.name);
}

/** Proves a statement as given (the prover's own root checks skipped) with an honest trace for it. */
function proveAsStated(statement: BatchStatement, b: SyntheticBatch): BatchProofBundle {
  // the openings follow the (reordered, dropped, duplicated) events by their commitment
  const byCommitment = new Map(b.statement.events.map((e, i) => [e.amountCommitment, b.witness.openings[i] ?? null]));
  const openings = statement.events.map((e) => byCommitment.get(e.amountCommitment) ?? null);
  return proveBatchWithHooks(statement, { openings }, TEST_OPTIONS, { skipStatementChecks: true });
}

function withEvents(st: BatchStatement, events: BatchStatement["events"]): BatchStatement {
  return { ...st, events };
}

describe("stark batch proofs against a malicious prover", function () {
  this.timeout(60_000);

  describe("forged traces", function () {
    it("the F3 attack: limit digits of 2^64 − 1 instead of the public limit, all flagged compliant", function () {
      // the reference's demonstration: aml.threshold 10000, amounts 5000, 50 000 000, 7000, 999 999
      const b = syntheticBatch([5000n, 50_000_000n, 7000n, 999_999n]);
      const events = honestEvents(b, U64_MAX).map((e) => ({ ...e, flag: 1 as const }));
      const claim = { inScopeCount: 4, compliantCount: 4, allCompliant: true };
      const violated = forgeTrace(b, events, claim, { traceLimit: U64_MAX });
      expect(violated).to.include("carry-chain");
    });

    it("the F3 attack is rejected at production options by the default verifier", function () {
      const b = syntheticBatch([5000n, 50_000_000n, 7000n, 999_999n]);
      const events = honestEvents(b, U64_MAX).map((e) => ({ ...e, flag: 1 as const }));
      const claim = { inScopeCount: 4, compliantCount: 4, allCompliant: true };
      const violated = forgeTrace(b, events, claim, {
        traceLimit: U64_MAX,
        options: PRODUCTION_OPTIONS,
        acceptable: DEFAULT_ACCEPTABLE,
      });
      expect(violated).to.include("carry-chain");
    });

    it("f_i = 1 for an over-limit amount (the carry out of the top digit)", function () {
      const b = syntheticBatch([100n, 10000n, 200n]);
      const events = honestEvents(b, 9999n).map((e) => ({ ...e, flag: 1 as const }));
      const violated = forgeTrace(b, events, { inScopeCount: 3, compliantCount: 3, allCompliant: true });
      expect(violated).to.deep.equal(["no-carry-out"]);
    });

    it("f_i = 1 for a compliant amount that does not open C_i", function () {
      const b = syntheticBatch([20000n, 300n]);
      const events = honestEvents(b, 9999n);
      const forged = [
        { ...(events[0] as BatchEventWitness), amount: 5000n, flag: 1 as const },
        events[1] as BatchEventWitness,
      ];
      const violated = forgeTrace(b, forged, { inScopeCount: 2, compliantCount: 2, allCompliant: true });
      expect(violated.every((v) => v.startsWith("commitment-output-lane-"))).to.equal(true);
      expect(violated).to.have.length.greaterThan(0);
    });

    it("f_i = 1 for an event whose reason forces 0 (no opening)", function () {
      const b = syntheticBatch([1n, { reason: "not_a_recipient" }]);
      const events = honestEvents(b, 9999n);
      events[1] = { amount: 5n, blinding: [1, 2, 3, 4, 5], flag: 1 };
      const violated = forgeTrace(b, events, { inScopeCount: 2, compliantCount: 2, allCompliant: true });
      expect(violated).to.include("flag-allowed");
    });

    it("a claimed count above the flags", function () {
      const b = syntheticBatch([1n, 20000n, 3n]);
      const violated = forgeTrace(b, honestEvents(b, 9999n), {
        inScopeCount: 3,
        compliantCount: 3,
        allCompliant: true,
      });
      expect(violated).to.deep.equal(["count-total"]);
    });

    it("a flag raised only on the output row of an over-limit event", function () {
      const b = syntheticBatch([1n, 20000n]);
      const p = parseBatchStatement(b.statement);
      const trace = buildBatchTraceUnchecked(p.limit, honestEvents(b, 9999n));
      (trace[24] as Uint32Array)[32 + 28] = 1; // F on row 28 of block 1 only
      const claim = { inScopeCount: 2, compliantCount: 1, allCompliant: false };
      const bundle = proveBatchWithHooks(b.statement, b.witness, TEST_OPTIONS, { trace, claim });
      expect(reasonOf(verifyBatch(bundle, expectationOf(b), TEST_ACCEPTABLE))).to.not.equal("VALID");
      expect(batchConstraintViolations(trace, airOf(b.statement, claim)).map((v) => v.name)).to.include(
        "flag-constant",
      );
    });
  });

  describe("forged statements", function () {
    let b: SyntheticBatch;
    before(function () {
      b = syntheticBatch([1n, 2n, null, 4n]);
    });

    function rejectedAs(statement: BatchStatement, expectation = expectationOf(b)): string {
      return reasonOf(verifyBatch(proveAsStated(statement, b), expectation, TEST_ACCEPTABLE));
    }

    it("events reordered", function () {
      const ev = b.statement.events;
      const swapped = [ev[1], ev[0], ev[2], ev[3]].map((e, i) => ({
        ...(e as BatchStatement["events"][number]),
        sequenceNumber: String(1 + i),
      }));
      expect(rejectedAs(withEvents(b.statement, swapped))).to.equal("MERKLE_ROOT_MISMATCH");
    });

    it("an event dropped", function () {
      const dropped = { ...withEvents(b.statement, b.statement.events.slice(0, 3)), sequenceEnd: "3" };
      expect(rejectedAs(dropped)).to.equal("MERKLE_ROOT_MISMATCH");
      // a self-consistent statement of the first three events is about another commitment
      const three = syntheticBatch([1n, 2n, null]);
      const consistent: BatchStatement = {
        ...b.statement,
        events: b.statement.events.slice(0, 3),
        sequenceEnd: "3",
        merkleRoot: parseBatchStatement({ ...dropped }).computedMerkleRoot,
        newStateRoot: parseBatchStatement({ ...dropped }).computedNewStateRoot,
      };
      expect(three.statement.events).to.have.length(3);
      expect(rejectedAs(consistent)).to.equal("SEQUENCE_RANGE_MISMATCH");
    });

    it("an event duplicated", function () {
      const ev = b.statement.events;
      const dup = ev.map((e, i) =>
        i === 1 ? { ...(ev[0] as BatchStatement["events"][number]), sequenceNumber: "2" } : e,
      );
      expect(() => parseBatchStatement(withEvents(b.statement, dup))).to.throw(/duplicate/);
      const fresh = dup.map((e, i) => (i === 1 ? { ...e, eventId: randomUUID() } : e));
      expect(rejectedAs(withEvents(b.statement, fresh))).to.equal("MERKLE_ROOT_MISMATCH");
    });

    it("one changed signing hash (F5)", function () {
      const ev = b.statement.events.map((e, i) => (i === 2 ? { ...e, eventSigningHash: "11".repeat(32) } : e));
      expect(rejectedAs(withEvents(b.statement, ev))).to.equal("MERKLE_ROOT_MISMATCH");
    });

    it("another merkle root, new state root or previous state root", function () {
      expect(rejectedAs({ ...b.statement, merkleRoot: "22".repeat(32) })).to.equal("MERKLE_ROOT_MISMATCH");
      expect(rejectedAs({ ...b.statement, newStateRoot: "22".repeat(32) })).to.equal("NEW_STATE_ROOT_MISMATCH");
      const prev = { ...b.statement, prevStateRoot: "33".repeat(32) };
      const consistent = { ...prev, newStateRoot: parseBatchStatement(prev).computedNewStateRoot };
      expect(rejectedAs(consistent)).to.equal("PREV_STATE_ROOT_MISMATCH");
    });

    it("a proof for one batch presented for another", function () {
      const other = syntheticBatch([1n, 2n, null, 4n]);
      const bundle = proveAsStated(b.statement, b);
      expect(reasonOf(verifyBatch(bundle, expectationOf(other), TEST_ACCEPTABLE))).to.equal("BATCH_MISMATCH");
      // the same proof bytes under the other batch's statement and claim (re-sealed) fail the STARK
      const moved = { ...bundle, statement: other.statement, statementHash: batchStatementHash(other.statement) };
      const { bundleHash: _h, ...rest } = moved;
      const sealed = { ...moved, bundleHash: batchBundleHash(rest) };
      expect(reasonOf(verifyBatch(sealed, expectationOf(other), TEST_ACCEPTABLE))).to.equal("OOD_CONSTRAINT_MISMATCH");
    });
  });
});
