/**
 * Round trips of every serialization (proof bytes, bundle JSON, opening JSON) and robustness of the parsers: empty,
 * garbage, truncated, bit-flipped, oversized and trailing-byte inputs are rejected with a typed error (StarkError) or
 * an invalid verdict, never anything else.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import { parseJsonExact, stringifyJsonExact } from "../../../offchain/ves";
import {
  type MatrixOpening,
  SALT_WORDS,
  type StarkProof,
  bindingContext,
  commitmentFromHex,
  effectiveLimit,
  field,
  verifyAir,
  MAX_PROOF_B64_LENGTH,
  MAX_PROOF_BYTES,
  StarkError,
  bundleHash,
  parseBundle,
  type ComplianceProofBundle,
  PRODUCTION_OPTIONS,
  TEST_OPTIONS,
  checkOpening,
  deserializeProof,
  isStarkError,
  makeBundle,
  proveCompliance,
  readProofOptions,
  serializeProof,
  validateBundle,
  verifyCompliance,
} from "../../../offchain/stark";
import { proveComplianceWith, seededWords } from "../../../offchain/stark/testing";
import { EXAMPLE_POLICY, TEST_ACCEPTABLE, exampleInputs, fcOptions } from "./support/fixtures";

const proof = proveComplianceWith({
  amount: 777n,
  publicInputs: exampleInputs(),
  options: TEST_OPTIONS,
  rng: seededWords(9),
});

/** The StarkError code a parse raises, "OK" if none; anything else fails the test. */
function parseCode(bytes: Uint8Array): string {
  try {
    deserializeProof(bytes);
    return "OK";
  } catch (e) {
    if (isStarkError(e)) return e.code;
    throw e;
  }
}

function verdict(bytes: Uint8Array): string {
  const v = verifyCompliance(
    { proofBytes: bytes, publicInputs: proof.publicInputs, expectedPolicy: EXAMPLE_POLICY },
    TEST_ACCEPTABLE,
  );
  return v.valid ? "VALID" : v.reason;
}

describe("stark serialization", function () {
  describe("proof bytes", function () {
    it("round-trips a proof byte for byte", function () {
      const parsed = deserializeProof(proof.proofBytes);
      expect(Buffer.from(serializeProof(parsed)).equals(Buffer.from(proof.proofBytes))).to.equal(true);
      expect(parsed.options).to.deep.equal(TEST_OPTIONS);
      expect(readProofOptions(proof.proofBytes)).to.deep.equal(TEST_OPTIONS);
      expect(verdict(proof.proofBytes)).to.equal("VALID");
    });

    it("round-trips a production proof", function () {
      const p = proveCompliance({ amount: 1n, publicInputs: exampleInputs(), options: PRODUCTION_OPTIONS });
      expect(Buffer.from(serializeProof(deserializeProof(p.proofBytes))).equals(Buffer.from(p.proofBytes))).to.equal(
        true,
      );
    });

    it("rejects empty and garbage bytes with MALFORMED_PROOF", function () {
      expect(parseCode(new Uint8Array(0))).to.equal("MALFORMED_PROOF");
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
          expect(parseCode(bytes)).to.be.oneOf(["MALFORMED_PROOF", "UNSUPPORTED_VERSION"]);
          expect(verdict(bytes)).to.not.equal("VALID");
        }),
        fcOptions(200),
      );
    });

    it("rejects every truncation", function () {
      const b = proof.proofBytes;
      for (let len = 0; len < b.length; len += Math.max(1, Math.floor(b.length / 300))) {
        expect(parseCode(b.slice(0, len)), `length ${len}`).to.equal("MALFORMED_PROOF");
      }
      expect(parseCode(b.slice(0, b.length - 1))).to.equal("MALFORMED_PROOF");
    });

    it("rejects trailing bytes and an unknown format version", function () {
      const longer = new Uint8Array(proof.proofBytes.length + 1);
      longer.set(proof.proofBytes);
      expect(parseCode(longer)).to.equal("MALFORMED_PROOF");
      const v2 = proof.proofBytes.slice();
      v2[4] = 2;
      expect(parseCode(v2)).to.equal("UNSUPPORTED_VERSION");
    });

    it("rejects single bit flips anywhere in the proof", function () {
      const b = proof.proofBytes;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: b.length * 8 - 1 }), (bit) => {
          const flipped = b.slice();
          flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
          expect(verdict(flipped), `bit ${bit}`).to.not.equal("VALID");
        }),
        fcOptions(300),
      );
    });

    it("refuses proofs over 10 MiB before parsing", function () {
      const big = new Uint8Array(MAX_PROOF_BYTES + 1);
      big.set(proof.proofBytes);
      expect(parseCode(big)).to.equal("PROOF_TOO_LARGE");
      expect(verdict(big)).to.equal("PROOF_TOO_LARGE");
      const exact = new Uint8Array(MAX_PROOF_BYTES);
      expect(parseCode(exact)).to.equal("MALFORMED_PROOF");
    });

    it("refuses non-canonical field elements", function () {
      // the first OOD value starts right after the 10-byte header and two 32-byte roots
      const b = proof.proofBytes.slice();
      new DataView(b.buffer).setUint32(10 + 64, 0x7f000001, true);
      expect(parseCode(b)).to.equal("MALFORMED_PROOF");
    });

    it("reads a parsed opening's leaves in one array only while its rows and salts are the views into it", function () {
      const statement = {
        limit: effectiveLimit(EXAMPLE_POLICY),
        commitment: commitmentFromHex(proof.witnessCommitmentHex),
      };
      const check = (p: StarkProof): string => {
        const v = verifyAir(p, statement, bindingContext(proof.publicInputs), TEST_ACCEPTABLE);
        return v.valid ? "VALID" : v.reason;
      };
      const parsed = deserializeProof(proof.proofBytes);
      for (const op of [parsed.traceOpening, parsed.compositionOpening, ...parsed.friOpenings]) {
        const width = (op.leaves?.length ?? 0) / op.rows.length;
        const joined = op.rows.flatMap((r, i) => [...(op.salts[i] as Uint32Array), ...r]);
        expect([...(op.leaves ?? [])]).to.deep.equal(joined);
        expect(width).to.equal((op.salts[0] as Uint32Array).length + (op.rows[0] as Uint32Array).length);
      }
      expect(check(parsed)).to.equal("VALID");
      // rows replaced by copies (one changed) while the parsed leaves ride along: the rows are what is verified
      const tampered = (op: MatrixOpening, salt: boolean): MatrixOpening => {
        const rows = op.rows.map((r) => r.slice());
        const salts = op.salts.map((r) => r.slice());
        const target = (salt ? salts[0] : rows[0]) as Uint32Array;
        target[0] = ((target[0] as number) + 1) % field.P;
        return { ...op, rows, salts };
      };
      const copied = (op: MatrixOpening): MatrixOpening => ({
        ...op,
        rows: op.rows.map((r) => r.slice()),
        salts: op.salts.map((r) => r.slice()),
      });
      expect(check({ ...parsed, traceOpening: copied(parsed.traceOpening) })).to.equal("VALID");
      expect(check({ ...parsed, traceOpening: tampered(parsed.traceOpening, false) })).to.equal(
        "TRACE_COMMITMENT_MISMATCH",
      );
      expect(check({ ...parsed, traceOpening: tampered(parsed.traceOpening, true) })).to.equal(
        "TRACE_COMMITMENT_MISMATCH",
      );
      expect(check({ ...parsed, compositionOpening: tampered(parsed.compositionOpening, false) })).to.equal(
        "COMPOSITION_COMMITMENT_MISMATCH",
      );
      const fri = parsed.friOpenings.map((op, l) => (l === 0 ? tampered(op, false) : op));
      expect(check({ ...parsed, friOpenings: fri })).to.not.equal("VALID");
      // a view changed in place changes the leaves with it
      const again = deserializeProof(proof.proofBytes);
      const row = again.traceOpening.rows[0] as Uint32Array;
      row[0] = ((row[0] as number) + 1) % field.P;
      expect(check(again)).to.equal("TRACE_COMMITMENT_MISMATCH");
      // rows never asked for: the leaves are what is verified (a changed word, a non-canonical one)
      const bump = (op: MatrixOpening, at: number, to?: number): void => {
        const leaves = op.leaves as Uint32Array;
        leaves[at] = to ?? ((leaves[at] as number) + 1) % field.P;
      };
      const leafChanged = deserializeProof(proof.proofBytes);
      bump(leafChanged.traceOpening, SALT_WORDS);
      expect(check(leafChanged)).to.equal("TRACE_COMMITMENT_MISMATCH");
      const saltChanged = deserializeProof(proof.proofBytes);
      bump(saltChanged.compositionOpening, 0);
      expect(check(saltChanged)).to.equal("COMPOSITION_COMMITMENT_MISMATCH");
      const friChanged = deserializeProof(proof.proofBytes);
      bump(friChanged.friOpenings[0] as MatrixOpening, 1);
      expect(check(friChanged)).to.equal("FRI_COMMITMENT_MISMATCH");
      const nonCanonical = deserializeProof(proof.proofBytes);
      bump(nonCanonical.traceOpening, SALT_WORDS, field.P);
      expect(check(nonCanonical)).to.equal("MALFORMED_PROOF");
      const friNonCanonical = deserializeProof(proof.proofBytes);
      bump(friNonCanonical.friOpenings[1] as MatrixOpening, 0, field.P);
      expect(check(friNonCanonical)).to.equal("MALFORMED_PROOF");
    });

    it("keeps a parsed opening's authentication nodes in one array, trusted only while they are its views", function () {
      const statement = {
        limit: effectiveLimit(EXAMPLE_POLICY),
        commitment: commitmentFromHex(proof.witnessCommitmentHex),
      };
      const check = (p: StarkProof): string => {
        const v = verifyAir(p, statement, bindingContext(proof.publicInputs), TEST_ACCEPTABLE);
        return v.valid ? "VALID" : v.reason;
      };
      // never asked for, asked for (views made) and copied: all verify
      expect(check(deserializeProof(proof.proofBytes))).to.equal("VALID");
      const asked = deserializeProof(proof.proofBytes);
      expect(asked.traceOpening.auth.every((d) => d instanceof Uint32Array && d.length === 8)).to.equal(true);
      expect(check(asked)).to.equal("VALID");
      expect(check({ ...asked, traceOpening: { ...asked.traceOpening } })).to.equal("VALID");
      expect(() => {
        (asked.traceOpening as { auth: unknown }).auth = [];
      }).to.throw(TypeError);
      // a node replaced in the list, or changed in place: what the list holds is verified
      const replaced = deserializeProof(proof.proofBytes);
      (replaced.compositionOpening.auth as Uint32Array[])[0] = new Uint32Array(8);
      expect(check(replaced)).to.equal("COMPOSITION_COMMITMENT_MISMATCH");
      const dropped = deserializeProof(proof.proofBytes);
      (dropped.traceOpening.auth as Uint32Array[]).pop();
      expect(check(dropped)).to.equal("TRACE_COMMITMENT_MISMATCH");
      const changed = deserializeProof(proof.proofBytes);
      const node = changed.traceOpening.auth[1] as Uint32Array;
      node[3] = (node[3] as number) ^ 1;
      expect(check(changed)).to.equal("TRACE_COMMITMENT_MISMATCH");
      const fri = deserializeProof(proof.proofBytes);
      (fri.friOpenings[0]?.auth as Uint32Array[])[0] = new Uint32Array(8);
      expect(check(fri)).to.equal("FRI_COMMITMENT_MISMATCH");
      // the serialized bytes are unchanged by the round trip
      expect(Buffer.from(serializeProof(asked)).equals(Buffer.from(proof.proofBytes))).to.equal(true);
    });
  });

  describe("bundle JSON", function () {
    const bundle = makeBundle(proof);

    it("round-trips through exact JSON and validates", function () {
      const text = stringifyJsonExact(bundle, 2);
      const back = parseJsonExact(text);
      const { bundle: b, proofBytes } = validateBundle(back);
      expect(Buffer.from(proofBytes).equals(Buffer.from(proof.proofBytes))).to.equal(true);
      expect(b.bundleHash).to.equal(bundle.bundleHash);
      expect(
        verifyCompliance({ proofBytes, publicInputs: b.publicInputs, expectedPolicy: EXAMPLE_POLICY }, TEST_ACCEPTABLE)
          .valid,
      ).to.equal(true);
    });

    it("holds neither the amount nor the blinding", function () {
      const text = JSON.stringify(bundle);
      expect(text).to.not.include(proof.opening.blinding);
      expect(text).to.not.match(/"amount"/);
    });

    it("rejects tampered bundles with INVALID_BUNDLE", function () {
      const code = (b: unknown): string => {
        try {
          validateBundle(b);
          return "OK";
        } catch (e) {
          if (isStarkError(e)) return e.code;
          throw e;
        }
      };
      expect(code(bundle)).to.equal("OK");
      expect(code({ ...bundle, proofVersion: 2 })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, proofB64: `${bundle.proofB64} ` })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, proofHash: "00".repeat(32) })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, witnessCommitmentHex: "00".repeat(32) })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, metadata: { ...bundle.metadata, proof_size: 1 } })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, metadata: { ...bundle.metadata, proving_time_ms: 99999 } })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, publicInputsHash: "00".repeat(32) })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, boundPublicInputsHash: "00".repeat(32) })).to.equal("INVALID_BUNDLE");
      expect(code("not an object")).to.equal("INVALID_BUNDLE");
    });
  });

  describe("strict bundles", function () {
    const bundle = makeBundle(proof);
    type Body = Omit<ComplianceProofBundle, "bundleHash">;
    /** A bundle whose bundleHash is recomputed after a change (so only the other checks can catch it). */
    const rehash = (b: Record<string, unknown>): unknown => {
      try {
        return { ...b, bundleHash: bundleHash(b as unknown as Body) };
      } catch {
        return b; // a value JCS cannot hash: keep the old hash
      }
    };
    const code = (b: unknown): string => {
      try {
        validateBundle(b);
        return "OK";
      } catch (e) {
        if (isStarkError(e)) return e.code;
        throw e;
      }
    };
    const deep = (depth: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < depth; i++) v = { a: v };
      return v;
    };
    const m = bundle.metadata as unknown as Record<string, unknown>;
    const pi = bundle.publicInputs as unknown as Record<string, unknown>;

    it("refuses unknown fields, a plaintext amount included, at every level", function () {
      expect(code(rehash({ ...bundle, amount: "777" }))).to.equal("INVALID_BUNDLE");
      expect(code(rehash({ ...bundle, metadata: { ...m, security_bits: 128 } }))).to.equal("INVALID_BUNDLE");
      expect(code(rehash({ ...bundle, metadata: { ...m, amount: 777 } }))).to.equal("INVALID_BUNDLE");
      expect(code(rehash({ ...bundle, publicInputs: { ...pi, amount: 777 } }))).to.equal("INVALID_BUNDLE");
      const { metadata: _m, ...noMetadata } = bundle;
      expect(code(rehash(noMetadata))).to.equal("INVALID_BUNDLE");
    });

    it("checks the metadata against the proof (security bits recomputed from its options, AIR sizes)", function () {
      expect(code(rehash({ ...bundle }))).to.equal("OK");
      const bits = m.conjectured_security_bits as number;
      for (const change of [
        { conjectured_security_bits: 128 },
        { conjectured_security_bits: bits + 1 },
        { provable_security_bits: 128 },
        { num_constraints: 1 },
        { trace_length: 1 },
        { proof_size: 1 },
      ]) {
        expect(code(rehash({ ...bundle, metadata: { ...m, ...change } })), JSON.stringify(change)).to.equal(
          "INVALID_BUNDLE",
        );
      }
    });

    it("maps hostile values (1e300, NaN, lone surrogates, deep nesting, bigints) to INVALID_BUNDLE", function () {
      const hostile: unknown[] = [1e300, -1e300, NaN, Infinity, -0.5, 2n ** 70n, "\ud800", "\udc00x", [], {}, null];
      for (const v of hostile) {
        for (const key of ["version", "proofVersion", "proofB64", "proofHash", "publicInputs", "metadata"]) {
          expect(code(rehash({ ...bundle, [key]: v })), `${key}: ${String(v)}`).to.equal("INVALID_BUNDLE");
        }
        for (const key of ["proving_time_ms", "proof_size", "prover_version", "conjectured_security_bits"]) {
          expect(code(rehash({ ...bundle, metadata: { ...m, [key]: v } })), key).to.equal("INVALID_BUNDLE");
        }
        for (const key of ["eventId", "sequenceNumber", "payloadKind", "policyParams", "witnessCommitment"]) {
          expect(code(rehash({ ...bundle, publicInputs: { ...pi, [key]: v } })), key).to.equal("INVALID_BUNDLE");
        }
      }
      expect(code(rehash({ ...bundle, ["\ud800"]: 1 }))).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, extra: deep(100_000) })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, publicInputs: { ...pi, policyParams: deep(100_000) } })).to.equal("INVALID_BUNDLE");
      expect(code({ ...bundle, metadata: deep(100_000) })).to.equal("INVALID_BUNDLE");
      expect(code([bundle])).to.equal("INVALID_BUNDLE");
    });

    it("maps any value at any field to INVALID_BUNDLE, never another error (property)", function () {
      const paths: string[][] = [
        ...Object.keys(bundle).map((k) => [k]),
        ...Object.keys(m).map((k) => ["metadata", k]),
        ...Object.keys(pi).map((k) => ["publicInputs", k]),
      ];
      fc.assert(
        fc.property(fc.constantFrom(...paths), fc.anything({ withBigInt: true, maxDepth: 3 }), (path, v) => {
          const [a, b] = path as [string, string | undefined];
          const body = bundle as unknown as Record<string, Record<string, unknown>>;
          const changed = b === undefined ? { ...bundle, [a]: v } : { ...bundle, [a]: { ...body[a], [b]: v } };
          expect(code(rehash(changed))).to.be.oneOf(["INVALID_BUNDLE", "OK"]);
        }),
        fcOptions(300),
      );
    });

    it("refuses an oversized proofB64 or bundle text before decoding it (PROOF_TOO_LARGE)", function () {
      const huge = "A".repeat(MAX_PROOF_B64_LENGTH + 4);
      expect(code({ ...bundle, proofB64: huge })).to.equal("PROOF_TOO_LARGE");
      expect(() => parseBundle(`{"proofB64":"${huge}"}`))
        .to.throw(StarkError)
        .with.property("code", "PROOF_TOO_LARGE");
      expect(() => parseBundle("{"))
        .to.throw(StarkError)
        .with.property("code", "INVALID_BUNDLE");
      expect(parseBundle(stringifyJsonExact(bundle)).bundle.bundleHash).to.equal(bundle.bundleHash);
    });
  });

  describe("opening JSON", function () {
    it("round-trips through exact JSON and still opens the commitment", function () {
      const back = parseJsonExact(stringifyJsonExact(proof.opening));
      expect(checkOpening(back, proof.publicInputs)).to.equal(777n);
    });
  });
});
