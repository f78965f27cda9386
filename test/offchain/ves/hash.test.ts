/**
 * Tests of every VES hash: domain constants (§4.1), the §12.1 and §12.3 vectors, preimage sizes, proof hashes, and a
 * property check against the naive preimage builder for random field values.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  DOMAIN,
  PAD_LEAF,
  ZERO_HASH,
  batchProofHash,
  bytesToHex,
  complianceProofHash,
  eventSigningHash,
  eventSigningPreimage,
  hexToBytes,
  leafHash,
  nodeHash,
  parseJsonExact,
  payloadAad,
  payloadAadPreimage,
  payloadCipherHash,
  payloadPlainHash,
  payloadPlainHashSalted,
  policyHash,
  popChallenge,
  receiptHash,
  recipientsHash,
  stateRoot,
  streamId,
  validityProofHash,
  type EventSigningFields,
} from "../../../offchain/ves";
import derived from "../../vectors/ves-protocol-derived.json";
import repo from "../../vectors/ves-protocol-repo.json";
import { fcOptions } from "./support/fc";
import * as naive from "./support/naive";

/** §4.1's table: constant, byte length, hex. */
const DOMAIN_TABLE: [keyof typeof DOMAIN, number, string | undefined][] = [
  ["PAYLOAD_PLAIN", 20, "5645535f5041594c4f41445f504c41494e5f5631"],
  ["PAYLOAD_AAD", 18, "5645535f5041594c4f41445f4141445f5631"],
  ["PAYLOAD_CIPHER", 21, "5645535f5041594c4f41445f4349504845525f5631"],
  ["RECIPIENTS", 17, "5645535f524543495049454e54535f5631"],
  ["EVENTSIG", 15, "5645535f4556454e545349475f5631"],
  ["LEAF", 11, "5645535f4c4541465f5631"],
  ["PAD_LEAF", 15, "5645535f5041445f4c4541465f5631"],
  ["NODE", 11, "5645535f4e4f44455f5631"],
  ["STREAM", 13, "5645535f53545245414d5f5631"],
  ["RECEIPT", 14, "5645535f524543454950545f5631"],
  ["STATE_ROOT", 17, "5645535f53544154455f524f4f545f5631"],
  ["POP", 10, "5645535f504f505f5631"],
  ["VALIDITY_PROOF_HASH", 35, undefined],
  ["COMPLIANCE_PROOF_HASH", 37, undefined],
  ["COMPLIANCE_POLICY_HASH", 38, undefined],
];

function fieldsOf(f: naive.WireFields): EventSigningFields {
  return {
    vesVersion: f.ves_version,
    tenantId: f.tenant_id,
    storeId: f.store_id,
    eventId: f.event_id,
    sourceAgentId: f.source_agent_id,
    agentKeyId: f.agent_key_id,
    entityType: f.entity_type,
    entityId: f.entity_id,
    eventType: f.event_type,
    createdAt: f.created_at,
    payloadKind: f.payload_kind,
    payloadPlainHash: hexToBytes(f.payload_plain_hash),
    payloadCipherHash: hexToBytes(f.payload_cipher_hash),
  };
}

describe("ves hash", function () {
  it("uses the §4.1 domain prefixes with their true byte lengths", function () {
    for (const [name, length, hex] of DOMAIN_TABLE) {
      const bytes = Buffer.from(DOMAIN[name], "ascii");
      expect(bytes.length, name).to.equal(length);
      if (hex !== undefined) expect(bytes.toString("hex"), name).to.equal(hex);
    }
  });

  it("derives PAD_LEAF from its domain", function () {
    expect(bytesToHex(PAD_LEAF)).to.equal(repo.pad_leaf);
    expect(bytesToHex(PAD_LEAF)).to.equal(naive.PAD.toString("hex"));
  });

  describe("event signing hash", function () {
    it("reproduces the repository's cross-platform vector (§12.1)", function () {
      const v = repo.event_signing_hash;
      const preimage = eventSigningPreimage(fieldsOf(v.fields));
      expect(preimage.length).to.equal(v.preimage_bytes);
      expect(bytesToHex(preimage)).to.equal(v.preimage);
      expect(naive.signingPreimage(v.fields).toString("hex")).to.equal(v.preimage);
      expect(bytesToHex(eventSigningHash(fieldsOf(v.fields)))).to.equal(v.event_signing_hash);
    });

    it("reproduces the full plaintext event of §12.3 B", function () {
      const v = derived.full_plaintext_event;
      const plain = bytesToHex(payloadPlainHash(v.fields.payload));
      const wire = { ...v.fields, payload_plain_hash: plain, payload_cipher_hash: bytesToHex(ZERO_HASH) };
      const preimage = eventSigningPreimage(fieldsOf(wire));
      expect(preimage.length).to.equal(v.preimage_bytes);
      expect(bytesToHex(preimage)).to.equal(v.preimage);
      const signing = eventSigningHash(fieldsOf(wire));
      expect(bytesToHex(signing)).to.equal(v.event_signing_hash);
      const seq = BigInt(v.sequence_number);
      const common = { tenantId: v.fields.tenant_id, storeId: v.fields.store_id, sequenceNumber: seq };
      const signature = hexToBytes(v.agent_signature);
      expect(bytesToHex(leafHash({ ...common, eventSigningHash: signing, agentSignature: signature }))).to.equal(
        v.leaf_hash,
      );
      expect(bytesToHex(receiptHash({ ...common, eventId: v.fields.event_id, eventSigningHash: signing }))).to.equal(
        v.receipt_hash,
      );
      expect(bytesToHex(streamId(v.fields.tenant_id, v.fields.store_id))).to.equal(v.stream_id);
    });

    it("matches the naive builder for random fields, Unicode strings included", function () {
      const uuid = fc.uuid();
      const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
      const fields = fc.record({
        ves_version: fc.integer({ min: 0, max: 0xffffffff }),
        tenant_id: uuid,
        store_id: uuid,
        event_id: uuid,
        source_agent_id: uuid,
        agent_key_id: fc.integer({ min: 0, max: 0xffffffff }),
        entity_type: fc.string({ unit: "grapheme", maxLength: 20 }),
        entity_id: fc.string({ unit: "binary", maxLength: 20 }),
        event_type: fc.string({ maxLength: 20 }),
        created_at: fc.string({ unit: "grapheme-ascii", maxLength: 30 }),
        payload_kind: fc.integer({ min: 0, max: 1 }),
        payload_plain_hash: hash,
        payload_cipher_hash: hash,
      });
      fc.assert(
        fc.property(fields, (f) => {
          const preimage = naive.signingPreimage(f);
          expect(bytesToHex(eventSigningPreimage(fieldsOf(f)))).to.equal(preimage.toString("hex"));
          expect(bytesToHex(eventSigningHash(fieldsOf(f)))).to.equal(naive.sha(preimage).toString("hex"));
          const strings = [f.entity_type, f.entity_id, f.event_type, f.created_at];
          expect(preimage.length).to.equal(171 + strings.reduce((n, s) => n + Buffer.byteLength(s), 0));
        }),
        fcOptions(150),
      );
    });
  });

  describe("payload hashes", function () {
    it("hashes plaintext payloads as §12.3 A", function () {
      for (const v of derived.payload_plain_hash) {
        const payload: unknown = JSON.parse(v.payload);
        expect(bytesToHex(payloadPlainHash(payload)), v.payload).to.equal(v.hash);
        expect(naive.plainHash(payload).toString("hex")).to.equal(v.hash);
      }
    });

    it("hashes salted payloads as §12.3 A", function () {
      for (const v of derived.payload_plain_hash_salted) {
        const payload: unknown = JSON.parse(v.payload);
        expect(bytesToHex(payloadPlainHashSalted(payload, hexToBytes(v.salt)))).to.equal(v.hash);
        expect(naive.plainHash(payload, v.salt).toString("hex")).to.equal(v.hash);
      }
      expect(() => payloadPlainHashSalted({}, new Uint8Array(15))).to.throw(RangeError, "16 bytes");
    });

    it("builds the AAD preimage without a version field (134 bytes + strings)", function () {
      const f = derived.full_plaintext_event.fields;
      const ctx = fieldsOf({ ...f, payload_plain_hash: "11".repeat(32), payload_cipher_hash: "00".repeat(32) });
      const preimage = payloadAadPreimage(ctx, hexToBytes("11".repeat(32)));
      const naivePre = naive.aadPreimage({ ...f, payload_plain_hash: "11".repeat(32) });
      expect(bytesToHex(preimage)).to.equal(naivePre.toString("hex"));
      expect(preimage.length).to.equal(134 + "InventoryItem".length + "WIDGET-001".length + 8 + 20);
      expect(bytesToHex(payloadAad(ctx, hexToBytes("11".repeat(32))))).to.equal(naive.sha(naivePre).toString("hex"));
    });

    it("hashes recipients in the binary length-prefixed form, in array order", function () {
      const entries = [
        { recipientKid: 2, enc: new Uint8Array(32).fill(1), ct: new Uint8Array(48).fill(2) },
        { recipientKid: 9, enc: new Uint8Array(32).fill(3), ct: new Uint8Array(48).fill(4) },
      ];
      const wire = entries.map((e) => ({
        recipient_kid: e.recipientKid,
        enc_b64u: Buffer.from(e.enc).toString("base64url"),
        ct_b64u: Buffer.from(e.ct).toString("base64url"),
      }));
      expect(bytesToHex(recipientsHash(entries))).to.equal(naive.recipientsHashOf(wire).toString("hex"));
      expect(bytesToHex(recipientsHash([...entries].reverse()))).to.not.equal(bytesToHex(recipientsHash(entries)));
    });

    it("builds the cipher-hash preimage with the literal version 1 and the length prefix (121 + len ct)", function () {
      const nonce = Buffer.alloc(12, 7);
      const aad = Buffer.alloc(32, 8);
      const ct = Buffer.from("ciphertext without tag");
      const tag = Buffer.alloc(16, 9);
      const rHash = Buffer.alloc(32, 10);
      const preimage = naive.cipherPreimage(nonce, aad, ct, tag, rHash);
      expect(preimage.length).to.equal(121 + ct.length);
      const ours = payloadCipherHash({ nonce, payloadAad: aad, ciphertext: ct, tag, recipientsHash: rHash });
      expect(bytesToHex(ours)).to.equal(naive.sha(preimage).toString("hex"));
      expect(() =>
        payloadCipherHash({ nonce: aad, payloadAad: aad, ciphertext: ct, tag, recipientsHash: rHash }),
      ).to.throw(RangeError, "nonce");
    });
  });

  describe("commitment hashes", function () {
    it("builds 147-byte leaf, 102-byte receipt and 133-byte state-root preimages", function () {
      const t = "64527dd3-a654-4410-9327-e58a1492ce77";
      const s = "91def158-819a-4461-b5c9-7759750ad157";
      const e = "861910c9-7a1d-4b6f-83d6-51bbf4ae2849";
      const signing = Buffer.alloc(32, 5);
      const sig = Buffer.alloc(64, 6);
      const seq = (1n << 63n) + 5n;
      const leafPre = naive.leafPreimage(t, s, seq, signing, sig);
      const receiptPre = naive.receiptPreimage(t, s, e, seq, signing);
      expect(leafPre.length).to.equal(repo.preimage_sizes.leaf);
      expect(receiptPre.length).to.equal(repo.preimage_sizes.receipt);
      const common = { tenantId: t, storeId: s, sequenceNumber: seq, eventSigningHash: signing };
      expect(bytesToHex(leafHash({ ...common, agentSignature: sig }))).to.equal(naive.sha(leafPre).toString("hex"));
      expect(bytesToHex(receiptHash({ ...common, eventId: e }))).to.equal(naive.sha(receiptPre).toString("hex"));
      const stream = naive.streamIdOf(t, s);
      const prev = Buffer.alloc(32, 1);
      const root = Buffer.alloc(32, 2);
      const statePre = naive.stateRootPreimage(stream, prev, root, 7n, 9n, 3);
      expect(statePre.length).to.equal(133);
      const ours = stateRoot({
        streamId: stream,
        prevStateRoot: prev,
        merkleRoot: root,
        sequenceStart: 7n,
        sequenceEnd: 9n,
        leafCount: 3,
      });
      expect(bytesToHex(ours)).to.equal(naive.sha(statePre).toString("hex"));
      expect(bytesToHex(streamId(t.toUpperCase(), s.replace(/-/g, "")))).to.equal(stream.toString("hex"));
    });

    it("orders node children", function () {
      const a = new Uint8Array(32).fill(1);
      const b = new Uint8Array(32).fill(2);
      expect(bytesToHex(nodeHash(a, b))).to.equal(
        naive.sha(Buffer.from("VES_NODE_V1"), Buffer.from(a), Buffer.from(b)).toString("hex"),
      );
      expect(bytesToHex(nodeHash(a, b))).to.not.equal(bytesToHex(nodeHash(b, a)));
      expect(() => nodeHash(a, new Uint8Array(31))).to.throw(RangeError, "right");
    });
  });

  describe("policy, proof and PoP hashes", function () {
    it("hashes the §12.3 G policy with exact JCS", function () {
      for (const v of derived.policy_hash) {
        expect(bytesToHex(policyHash(v.policy_id, parseJsonExact(v.policy_params)))).to.equal(v.hash);
      }
    });

    it("hashes proofs under their domains (stark-reference §9.5)", function () {
      const proof = Uint8Array.of(1, 2, 3);
      expect(bytesToHex(complianceProofHash(proof))).to.equal(
        "8ad96056c0381fced95f271135f64ca65582ea54de7c22537feb80a48fe4cf77",
      );
      expect(bytesToHex(batchProofHash(proof))).to.equal(
        "9ea87636bd7ade6d40f5faa1dae05e3ff456fc53808d48b664d3ba2cbcf3bb7b",
      );
      expect(bytesToHex(validityProofHash(proof))).to.equal(
        naive.sha(Buffer.from("STATESET_VES_VALIDITY_PROOF_HASH_V1"), Buffer.from(proof)).toString("hex"),
      );
    });

    it("derives the proof-of-possession challenge of §12.3 G", function () {
      for (const v of derived.pop_challenge) {
        expect(bytesToHex(popChallenge(hexToBytes(v.public_key)))).to.equal(v.challenge);
      }
      expect(() => popChallenge(new Uint8Array(0))).to.throw(RangeError);
    });
  });
});
