/**
 * Batch compliance proofs with an honest prover (test options, small batches): all compliant, some violations,
 * mixed in-scope and out-of-scope events, reason codes, one event, amounts above 2^32 and u64 extremes, sizes 1, 7
 * and 128; the verifier's checks against the expected commitment, policy and options; the statement builder from
 * signed VES events (plaintext and encrypted) and its cross-check against the events. Budget: about 20 s.
 */
import { randomBytes, randomUUID } from "node:crypto";

import { expect } from "chai";

import {
  type BatchProofBundle,
  type BatchStatement,
  DEFAULT_ACCEPTABLE,
  PRODUCTION_OPTIONS,
  TEST_OPTIONS,
  batchBundleHash,
  buildBatchStatement,
  decryptBatchPayloads,
  policyFromLimit,
  proveBatch,
  verifyBatch,
} from "../../../../offchain/stark";
import { type PulledEvent, amountCommitmentHex, blindingToHex } from "../../../../offchain/stark";
import {
  type VesEvent,
  buildEnvelope,
  commitEvents,
  commitmentToWire,
  parseJsonExact,
  stringifyJsonExact,
  x25519Keygen,
} from "../../../../offchain/ves";
import { blindingFrom, seededWords } from "../../../../offchain/stark/testing";
import { AML_10000, TEST_ACCEPTABLE, type EventSpec, expectationOf, syntheticBatch } from "./support";

const U64_MAX = (1n << 64n) - 1n;

function proveAndVerify(specs: readonly EventSpec[], policy = AML_10000) {
  const b = syntheticBatch(specs, { policy });
  const bundle = proveBatch(b.statement, b.witness, TEST_OPTIONS);
  const verdict = verifyBatch(parseJsonExact(stringifyJsonExact(bundle as never)), expectationOf(b), TEST_ACCEPTABLE);
  if (!verdict.valid) expect.fail(`${verdict.reason}: ${verdict.detail}`);
  return { b, bundle, verdict };
}

/** Re-signs a tampered bundle (recomputes bundleHash) so that the check under test is the one that fires. */
function resealed(
  bundle: BatchProofBundle,
  change: (b: { -readonly [K in keyof BatchProofBundle]: BatchProofBundle[K] }) => void,
) {
  const copy = JSON.parse(JSON.stringify(bundle)) as { -readonly [K in keyof BatchProofBundle]: BatchProofBundle[K] };
  change(copy);
  const { bundleHash: _d, ...rest } = copy;
  copy.bundleHash = batchBundleHash(rest);
  return copy;
}

describe("stark batch proofs", function () {
  this.timeout(60_000);

  describe("honest batches", function () {
    it("all compliant, mixed with out-of-scope events (7 events)", function () {
      const { verdict, bundle } = proveAndVerify([0n, 9999n, null, 1n, null, 5000n, 1234n]);
      expect(verdict).to.include({ valid: true, numEvents: 7, inScopeCount: 5, compliantCount: 5, allCompliant: true });
      expect(bundle.metadata).to.include({ num_events: 7, trace_length: 256, trace_width: 26 });
      if (verdict.valid) expect(verdict.policyLimit).to.equal(10000n); // the raw limit, not threshold − 1
    });

    it("some violations: the count is public and all_compliant is 0", function () {
      const { verdict } = proveAndVerify([10000n, 9999n, 50_000_000n, null, 999_999n]);
      expect(verdict).to.include({ inScopeCount: 4, compliantCount: 1, allCompliant: false });
    });

    it("in-scope events without a valid opening get f = 0 and their reason", function () {
      const { verdict, bundle } = proveAndVerify([
        5n,
        { reason: "no_commitment" },
        { reason: "not_a_recipient" },
        { reason: "invalid_amount" },
        { reason: "opening_mismatch" },
      ]);
      expect(verdict).to.include({ inScopeCount: 5, compliantCount: 1, allCompliant: false });
      expect(bundle.statement.events.map((e) => e.reason)).to.deep.equal([
        "none",
        "no_commitment",
        "not_a_recipient",
        "invalid_amount",
        "opening_mismatch",
      ]);
    });

    it("one event, above 2^32", function () {
      const cap = policyFromLimit("order_total.cap", 1n << 40n);
      const { verdict } = proveAndVerify([(1n << 32n) + 7n], cap);
      expect(verdict).to.include({ numEvents: 1, compliantCount: 1, allCompliant: true });
    });

    it("u64 extremes: amount and cap 2^64 − 1, amount 2^64 − 2 under threshold 2^64 − 1, and over it", function () {
      const cap = policyFromLimit("order_total.cap", U64_MAX);
      expect(proveAndVerify([U64_MAX, 0n, U64_MAX - 1n], cap).verdict).to.include({ compliantCount: 3 });
      const aml = policyFromLimit("aml.threshold", U64_MAX);
      const { verdict } = proveAndVerify([U64_MAX - 1n, U64_MAX, 1n << 63n], aml);
      expect(verdict).to.include({ compliantCount: 2, allCompliant: false });
    });

    it("a batch without in-scope events is all-compliant with a count of 0", function () {
      expect(proveAndVerify([null, null]).verdict).to.include({
        inScopeCount: 0,
        compliantCount: 0,
        allCompliant: true,
      });
    });

    it("128 events", function () {
      const specs = Array.from({ length: 128 }, (_, i) => (i % 9 === 4 ? null : BigInt(i * 77)));
      const { verdict, bundle } = proveAndVerify(specs);
      expect(verdict).to.include({ numEvents: 128, inScopeCount: 114, compliantCount: 114, allCompliant: true });
      expect(bundle.metadata.trace_length).to.equal(4096);
    });
  });

  describe("the verifier", function () {
    let b: ReturnType<typeof syntheticBatch>;
    let bundle: BatchProofBundle;
    before(function () {
      b = syntheticBatch([100n, 20000n, null]);
      bundle = proveBatch(b.statement, b.witness, TEST_OPTIONS);
    });
    const reason = (v: ReturnType<typeof verifyBatch>): string => (v.valid ? "VALID" : v.reason);

    it("requires the expected commitment: batch, stream, range and the three roots", function () {
      const e = expectationOf(b);
      const other = "ab".repeat(32);
      const cases: [Partial<typeof e.commitment>, string][] = [
        [{ batch_id: randomUUID() }, "BATCH_MISMATCH"],
        [{ tenant_id: randomUUID() }, "STREAM_MISMATCH"],
        [{ store_id: randomUUID() }, "STREAM_MISMATCH"],
        [{ sequence_end: 4n }, "SEQUENCE_RANGE_MISMATCH"],
        [{ merkle_root: other }, "MERKLE_ROOT_MISMATCH"],
        [{ prev_state_root: other }, "PREV_STATE_ROOT_MISMATCH"],
        [{ new_state_root: other }, "NEW_STATE_ROOT_MISMATCH"],
      ];
      for (const [change, want] of cases) {
        const v = verifyBatch(bundle, { ...e, commitment: { ...e.commitment, ...change } }, TEST_ACCEPTABLE);
        expect(
          reason(v),
          JSON.stringify(change, (_k, x: unknown) => (typeof x === "bigint" ? String(x) : x)),
        ).to.equal(want);
      }
      expect(
        reason(
          verifyBatch(
            bundle,
            { ...e, commitment: { ...e.commitment, merkle_root: `0x${e.commitment.merkle_root}` } },
            TEST_ACCEPTABLE,
          ),
        ),
      ).to.equal("VALID");
    });

    it("requires the expected policy, limit and currency", function () {
      const e = expectationOf(b);
      expect(
        reason(verifyBatch(bundle, { ...e, policy: policyFromLimit("order_total.cap", 10000n) }, TEST_ACCEPTABLE)),
      ).to.equal("POLICY_MISMATCH");
      expect(
        reason(verifyBatch(bundle, { ...e, policy: policyFromLimit("aml.threshold", 1000n) }, TEST_ACCEPTABLE)),
      ).to.equal("LIMIT_MISMATCH");
      expect(reason(verifyBatch(bundle, { ...e, currency: "EUR" }, TEST_ACCEPTABLE))).to.equal("CURRENCY_MISMATCH");
      expect(() => verifyBatch(bundle, { commitment: e.commitment } as never, TEST_ACCEPTABLE)).to.throw(TypeError);
    });

    it("checks the options against the allow-list before the statement", function () {
      expect(reason(verifyBatch(bundle, expectationOf(b)))).to.equal("UNACCEPTABLE_OPTIONS");
      expect(reason(verifyBatch(bundle, expectationOf(b), { options: [TEST_OPTIONS], minSecurityBits: 100 }))).to.equal(
        "INSUFFICIENT_SECURITY",
      );
    });

    it("refuses a tampered bundle, claim or statement", function () {
      const e = expectationOf(b);
      expect(
        reason(verifyBatch({ ...bundle, claim: { ...bundle.claim, compliantCount: 2 } }, e, TEST_ACCEPTABLE)),
      ).to.equal("INVALID_BUNDLE");
      const claim = resealed(bundle, (x) => (x.claim = { inScopeCount: 3, compliantCount: 1, allCompliant: false }));
      expect(reason(verifyBatch(claim, e, TEST_ACCEPTABLE))).to.equal("INVALID_CLAIM");
      const all = resealed(bundle, (x) => (x.claim = { inScopeCount: 2, compliantCount: 1, allCompliant: true }));
      expect(reason(verifyBatch(all, e, TEST_ACCEPTABLE))).to.equal("INVALID_CLAIM");
      const two = resealed(bundle, (x) => (x.claim = { inScopeCount: 2, compliantCount: 2, allCompliant: true }));
      expect(reason(verifyBatch(two, e, TEST_ACCEPTABLE))).to.equal("OOD_CONSTRAINT_MISMATCH");
      const count = resealed(bundle, (x) => (x.claim = { inScopeCount: 2, compliantCount: 0, allCompliant: false }));
      expect(reason(verifyBatch(count, e, TEST_ACCEPTABLE))).to.equal("OOD_CONSTRAINT_MISMATCH");
      const hash = resealed(bundle, (x) => (x.statementHash = "00".repeat(32)));
      expect(reason(verifyBatch(hash, e, TEST_ACCEPTABLE))).to.equal("INVALID_BUNDLE");
      const extra = resealed(bundle, (x) => ((x.statement as unknown as Record<string, unknown>).note = "x"));
      expect(reason(verifyBatch(extra, e, TEST_ACCEPTABLE))).to.equal("INVALID_STATEMENT");
      expect(reason(verifyBatch({ ...bundle, proofB64: bundle.proofB64.slice(4) }, e, TEST_ACCEPTABLE))).to.equal(
        "INVALID_BUNDLE",
      );
      expect(reason(verifyBatch("garbage", e, TEST_ACCEPTABLE))).to.equal("INVALID_BUNDLE");
    });

    it("binds every statement field into the transcript (a re-sealed edit fails the STARK)", function () {
      const e = expectationOf(b);
      const scope = resealed(bundle, (x) => {
        const st = x.statement as unknown as { events: { eventType: string }[] };
        (st.events[2] as { eventType: string }).eventType = "inventory.moved";
        x.statementHash = "";
      });
      // statementHash must be recomputed for the edit to reach the STARK
      expect(reason(verifyBatch(scope, e, TEST_ACCEPTABLE))).to.equal("INVALID_BUNDLE");
    });
  });

  describe("production options", function () {
    it("proves 8 events at ≥ 100 conjectured bits and the default verifier accepts them", function () {
      const b = syntheticBatch([1n, 2n, 3n, 20000n, null, 6n, 7n, 8n]);
      const bundle = proveBatch(b.statement, b.witness, PRODUCTION_OPTIONS);
      const v = verifyBatch(bundle, expectationOf(b), DEFAULT_ACCEPTABLE);
      expect(v).to.include({ valid: true, compliantCount: 6, allCompliant: false });
      expect(bundle.metadata.security_bits).to.be.at.least(100);
      expect(reason(verifyBatch(bundle, expectationOf(b), TEST_ACCEPTABLE))).to.equal("UNACCEPTABLE_OPTIONS");
    });
    const reason = (v: ReturnType<typeof verifyBatch>): string => (v.valid ? "VALID" : v.reason);
  });

  describe("statements from VES events", function () {
    const tenantId = randomUUID();
    const storeId = randomUUID();
    const agentId = randomUUID();
    const seed = new Uint8Array(randomBytes(32));
    const prover = x25519Keygen();
    const other = x25519Keygen();
    const rng = seededWords(99);

    async function event(eventType: string, payload: unknown, recipients?: { kid: number; publicKey: Uint8Array }[]) {
      return buildEnvelope({
        tenantId,
        storeId,
        sourceAgentId: agentId,
        agentKeyId: 1,
        entityType: eventType.split(".")[0] as string,
        entityId: randomUUID(),
        eventType,
        payload,
        signingKey: seed,
        ...(recipients === undefined ? {} : { recipients }),
      });
    }

    function committed(amount: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
      const blinding = blindingFrom(rng);
      return {
        total: amount,
        currency: "USD",
        amountCommitment: amountCommitmentHex(BigInt(amount), blinding),
        amountBlinding: blindingToHex(blinding),
        ...extra,
      };
    }

    it("classifies plaintext and encrypted events, proves, and cross-checks against the events", async function () {
      const built = [
        await event("order.created", committed(5000)),
        await event("inventory.adjusted", { sku: "a", delta: 3 }),
        await event("order.created", committed(20000)),
        await event("order.created", { total: 10, currency: "USD" }),
        await event("order.created", committed(7, { total: 8 })),
        await event("order.created", committed(9, { currency: "EUR" })),
        await event("payment.captured", { ...committed(1), amount: -1 }),
        await event("order.created", committed(4000), [{ kid: 7, publicKey: prover.publicKey }]),
        await event("order.created", committed(4000), [{ kid: 8, publicKey: other.publicKey }]),
      ];
      const events: PulledEvent[] = built.map((x, i) => ({
        sequence_number: BigInt(i + 1),
        event_id: x.event.eventId,
        envelope: JSON.parse(JSON.stringify(x.envelope)) as unknown,
      }));
      const vesEvents: VesEvent[] = built.map((x) => x.event);
      const batchId = randomUUID();
      const commitment = commitmentToWire(commitEvents(vesEvents, { sequenceStart: 1n }), {
        batchId,
        committedAt: new Date().toISOString(),
      });
      const decrypted = await decryptBatchPayloads(events, { kid: 7, secretKey: prover.secretKey });
      expect(decrypted.size).to.equal(1);
      const { statement, witness } = buildBatchStatement({
        commitment,
        events: [...events].reverse(),
        policy: AML_10000,
        currency: "USD",
        decrypted,
      });
      expect(statement.events.map((e) => `${e.scope}/${e.reason}`)).to.deep.equal([
        "in_scope/none",
        "out_of_scope/no_amount_field",
        "in_scope/none",
        "in_scope/no_commitment",
        "in_scope/opening_mismatch",
        "out_of_scope/other_currency",
        "in_scope/invalid_amount",
        "in_scope/none",
        "in_scope/not_a_recipient",
      ]);
      const bundle = proveBatch(statement, witness, TEST_OPTIONS);
      const expected = { commitment, policy: AML_10000, currency: "USD", events };
      const v = verifyBatch(bundle, expected, TEST_ACCEPTABLE);
      expect(v).to.include({ valid: true, inScopeCount: 7, compliantCount: 2, allCompliant: false });
      // a statement that hides a plaintext commitment (claims no_commitment) is caught by the events check
      const lying: BatchStatement = {
        ...statement,
        events: statement.events.map((e, i) =>
          i === 2 ? { ...e, reason: "no_commitment", amountCommitment: null } : e,
        ),
      };
      const lyingBundle = proveBatch(lying, witness, TEST_OPTIONS);
      const lv = verifyBatch(lyingBundle, expected, TEST_ACCEPTABLE);
      expect(lv.valid ? "VALID" : lv.reason).to.equal("EVENT_MISMATCH");
      expect(verifyBatch(lyingBundle, { ...expected, events: undefined } as never, TEST_ACCEPTABLE).valid).to.equal(
        true,
      );
    });

    it("refuses events that are not exactly the commitment's", async function () {
      const built = [await event("order.created", committed(1)), await event("order.created", committed(2))];
      const events: PulledEvent[] = built.map((x, i) => ({ sequence_number: BigInt(i + 1), envelope: x.envelope }));
      const commitment = commitmentToWire(
        commitEvents(
          built.map((x) => x.event),
          { sequenceStart: 1n },
        ),
        {
          batchId: randomUUID(),
          committedAt: new Date().toISOString(),
        },
      );
      const args = { commitment, policy: AML_10000, currency: "USD" };
      expect(() => buildBatchStatement({ ...args, events: events.slice(0, 1) })).to.throw(/missing/);
      expect(() => buildBatchStatement({ ...args, events: [...events, events[0] as PulledEvent] })).to.throw(/twice/);
      const swapped = [
        { ...(events[0] as PulledEvent), sequence_number: 2n },
        { ...(events[1] as PulledEvent), sequence_number: 1n },
      ];
      expect(() => buildBatchStatement({ ...args, events: swapped })).to.throw(/MERKLE_ROOT_MISMATCH/);
    });
  });
});
