/**
 * Hash vectors and hash completeness (stark-reference.md §7 "Hash completeness", §9.3–§9.5): policy hashes, the
 * public-input hashes (unbound and bound), proof-hash domains and the bundle hash; perturbing any field changes the
 * hash it belongs to.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  batchProofHash,
  bytesToHex,
  complianceProofHash,
  hexToBytes,
  jcsExact,
  policyHash,
} from "../../../offchain/ves";
import {
  TEST_OPTIONS,
  boundPublicInputsHash,
  bundleHash,
  makeBundle,
  parsePolicy,
  policyHashHex,
  publicInputsHash,
  type CompliancePublicInputs,
} from "../../../offchain/stark";
import { knownInputsJcs, proveComplianceWith, seededWords } from "../../../offchain/stark/testing";
import vectors from "../../vectors/stark-hashes.json";
import { exampleInputs, fcOptions } from "./support/fixtures";

/** The vector file stores u64 parameters as strings; JSON numbers in the preimage are exact integers. */
function exactParams(params: Record<string, string>): Record<string, bigint | string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, /^[0-9]+$/.test(v) ? BigInt(v) : v]));
}

describe("stark hashes", function () {
  describe("vectors", function () {
    it("reproduces the §9.3 policy hashes", function () {
      for (const v of vectors.policyHashes) {
        const params = exactParams(v.policyParams as unknown as Record<string, string>);
        expect(bytesToHex(policyHash(v.policyId, params)), v.policyId).to.equal(v.hash);
        if (v.policyId === "aml.threshold" || v.policyId === "order_total.cap") {
          expect(policyHashHex(parsePolicy(v.policyId, params))).to.equal(v.hash);
        }
      }
    });

    it("reproduces the §9.4 canonical JSON and publicInputsHash 98e956eb…", function () {
      const inputs = vectors.publicInputs.inputs as CompliancePublicInputs;
      expect(jcsExact(inputs)).to.equal(vectors.publicInputs.jcs);
      expect(publicInputsHash(inputs)).to.equal(vectors.publicInputs.publicInputsHash);
      expect(publicInputsHash(exampleInputs())).to.equal(vectors.publicInputs.publicInputsHash);
    });

    it("prints public inputs from the known key order exactly as jcsExact, or leaves them to it", function () {
      const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
      const uuid = fc.uuid().map((u) => u.toLowerCase());
      const u64 = fc.oneof(
        fc.constantFrom(0, -0, 1, Number.MAX_SAFE_INTEGER, 2 ** 53, 0xffffffff, 2 ** 32, -1, 1.5),
        fc.bigInt({ min: -1n, max: (1n << 64n) + 1n }),
        { weight: 3, arbitrary: fc.nat() },
      );
      const odd = fc.oneof(
        fc.constantFrom<unknown>(undefined, null, "", "A".repeat(64), "\u2028", '"', [], {}, true, NaN, Infinity),
        fc.string(),
        hex.map((h) => h.toUpperCase()),
      );
      const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 40, arbitrary: a }, odd);
      const params = fc.oneof(
        { weight: 3, arbitrary: fc.record({ cap: u64 }) },
        { weight: 3, arbitrary: fc.record({ threshold: u64 }) },
        fc.dictionary(fc.string(), u64, { maxKeys: 2 }),
        odd,
      );
      const inputs = fc
        .record(
          {
            eventId: maybe(uuid),
            tenantId: maybe(uuid),
            storeId: maybe(uuid),
            sequenceNumber: maybe(u64),
            payloadKind: maybe(u64),
            payloadPlainHash: maybe(hex),
            payloadCipherHash: maybe(hex),
            eventSigningHash: maybe(hex),
            policyId: maybe(fc.constantFrom("aml.threshold", "order_total.cap", "other")),
            policyParams: params,
            policyHash: maybe(hex),
            witnessCommitment: maybe(hex),
          },
          {
            requiredKeys: [
              "eventId",
              "tenantId",
              "storeId",
              "sequenceNumber",
              "payloadKind",
              "payloadPlainHash",
              "payloadCipherHash",
              "eventSigningHash",
              "policyId",
              "policyParams",
              "policyHash",
            ],
          },
        )
        .chain((r) =>
          fc.tuple(fc.integer({ min: 0, max: 9 }), fc.string()).map(([n, key]) => {
            if (n === 0) return { ...r, [key === "" ? "extra" : key]: 1 };
            if (n === 1) return Object.assign(Object.create(null) as object, r);
            return r;
          }),
        );
      let known = 0;
      fc.assert(
        fc.property(inputs, (value) => {
          const fast = knownInputsJcs(value);
          let generic: string;
          try {
            generic = jcsExact(value);
          } catch {
            expect(fast).to.equal(null);
            return;
          }
          if (fast !== null) {
            known++;
            expect(fast).to.equal(generic);
          }
        }),
        fcOptions(2000),
      );
      expect(known).to.be.greaterThan(100);
      expect(knownInputsJcs(exampleInputs())).to.equal(jcsExact(exampleInputs()));
      expect(knownInputsJcs(vectors.publicInputs.inputs)).to.equal(vectors.publicInputs.jcs);
    });

    it("reproduces the §9.5 proof-hash domains", function () {
      const msg = hexToBytes(vectors.proofHashDomains.message);
      expect(bytesToHex(complianceProofHash(msg))).to.equal(vectors.proofHashDomains.compliance);
      expect(bytesToHex(batchProofHash(msg))).to.equal(vectors.proofHashDomains.batch);
    });
  });

  describe("completeness", function () {
    const base = exampleInputs();
    const perturbed: Record<string, unknown> = {
      eventId: "00000000-0000-4000-8000-000000000000",
      tenantId: "00000000-0000-4000-8000-000000000001",
      storeId: "00000000-0000-4000-8000-000000000002",
      sequenceNumber: 43,
      payloadKind: 0,
      payloadPlainHash: "ab".repeat(32),
      payloadCipherHash: "ac".repeat(32),
      eventSigningHash: "ad".repeat(32),
      policyId: "order_total.cap",
      policyParams: { threshold: 10001 },
      policyHash: "ae".repeat(32),
    };

    it("changes publicInputsHash when any of the 11 fields changes", function () {
      expect(Object.keys(perturbed).sort()).to.deep.equal(Object.keys(base).sort());
      const h = publicInputsHash(base);
      for (const [k, v] of Object.entries(perturbed)) {
        expect(publicInputsHash({ ...base, [k]: v } as CompliancePublicInputs), k).to.not.equal(h);
      }
    });

    it("excludes witnessCommitment from publicInputsHash and includes it in boundPublicInputsHash", function () {
      const a = { ...base, witnessCommitment: "01".repeat(32) };
      const b = { ...base, witnessCommitment: "02".repeat(32) };
      expect(publicInputsHash(a)).to.equal(publicInputsHash(base));
      expect(boundPublicInputsHash(a)).to.not.equal(boundPublicInputsHash(b));
      expect(() => boundPublicInputsHash(base)).to.throw();
    });

    it("gives distinct policy hashes for distinct limits and policies, deterministically", function () {
      const hs = new Set<string>();
      for (const id of ["aml.threshold", "order_total.cap"]) {
        for (const limit of [0n, 1n, 9999n, 10000n, (1n << 64n) - 1n]) {
          const h = policyHashHex(parsePolicy(id, { [id === "aml.threshold" ? "threshold" : "cap"]: limit }));
          expect(policyHashHex(parsePolicy(id, { [id === "aml.threshold" ? "threshold" : "cap"]: limit }))).to.equal(h);
          hs.add(h);
        }
      }
      expect(hs.size).to.equal(10);
    });

    it("changes the bundle hash when any bundle field changes", function () {
      const proof = proveComplianceWith({ amount: 7n, publicInputs: base, options: TEST_OPTIONS, rng: seededWords(3) });
      const bundle = makeBundle(proof);
      const { bundleHash: h, ...body } = bundle;
      expect(bundleHash(body)).to.equal(h);
      const changes: Record<string, unknown> = {
        version: 2,
        proofType: "snark",
        proofVersion: 2,
        proofB64: `${body.proofB64.slice(0, -4)}AAAA`,
        proofHash: "00".repeat(32),
        publicInputs: { ...body.publicInputs, sequenceNumber: 1 },
        publicInputsHash: "00".repeat(32),
        boundPublicInputsHash: "00".repeat(32),
        witnessCommitmentHex: "00".repeat(32),
        metadata: { ...body.metadata, proving_time_ms: body.metadata.proving_time_ms + 1 },
      };
      expect(Object.keys(changes).sort()).to.deep.equal(Object.keys(body).sort());
      for (const [k, v] of Object.entries(changes)) expect(bundleHash({ ...body, [k]: v }), k).to.not.equal(h);
    });
  });
});
