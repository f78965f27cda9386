/**
 * Hash vectors and hash completeness (stark-reference.md §7 "Hash completeness", §9.3–§9.5): policy hashes, the
 * public-input hashes (unbound and bound), proof-hash domains and the bundle hash; perturbing any field changes the
 * hash it belongs to.
 */
import { expect } from "chai";

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
import { proveComplianceWith, seededWords } from "../../../offchain/stark/testing";
import vectors from "../../vectors/stark-hashes.json";
import { exampleInputs } from "./support/fixtures";

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
