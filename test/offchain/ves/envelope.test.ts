/**
 * Tests of envelopes: parse-and-validate with the reference's rejection reasons, statuses and limits (§7.1, §7.2,
 * §7.5, §6.3), the ingest request and REST response parsers, the builder, the verifier (every signed field matters),
 * decryption by envelope, and receipts.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  LIMITS,
  buildEnvelope,
  buildReceipt,
  bytesToHex,
  decryptEnvelope,
  ed25519Node,
  ed25519Noble,
  envelopeToJson,
  hexToBytes,
  isRfc3339,
  parseCommitment,
  parseEnvelope,
  parseInclusionProof,
  parseIngestRequest,
  parseIngestResponse,
  parseJsonExact,
  parseReceipt,
  verifyEnvelope,
  verifyEvent,
  verifyReceipt,
  x25519PublicKey,
  type VesEventEnvelope,
} from "../../../offchain/ves";
import derived from "../../vectors/ves-protocol-derived.json";
import repo from "../../vectors/ves-protocol-repo.json";
import { fcOptions } from "./support/fc";

const B = derived.full_plaintext_event;
const SECRET = hexToBytes(B.secret_key);
const PUBLIC = hexToBytes(B.public_key);
const ALICE = hexToBytes(repo.x25519[0]?.secret_key ?? "");
const IDENTITY = {
  tenantId: B.fields.tenant_id,
  storeId: B.fields.store_id,
  sourceAgentId: B.fields.source_agent_id,
  agentKeyId: 1,
};

type Json = Record<string, unknown>;

/** A fresh JSON copy of an envelope, as a server would receive it. */
function wire(envelope: VesEventEnvelope): Json {
  return JSON.parse(envelopeToJson(envelope)) as Json;
}

async function plainEnvelope(): Promise<VesEventEnvelope> {
  const built = await buildEnvelope({
    ...IDENTITY,
    eventId: B.fields.event_id,
    entityType: B.fields.entity_type,
    entityId: B.fields.entity_id,
    eventType: B.fields.event_type,
    createdAt: B.fields.created_at,
    payload: B.fields.payload,
    signingKey: SECRET,
  });
  return built.envelope;
}

async function encryptedEnvelope(): Promise<VesEventEnvelope> {
  const built = await buildEnvelope({
    ...IDENTITY,
    entityType: "return",
    entityId: "RET-5",
    eventType: "refund.issued",
    payload: { amount: 4990 },
    recipients: [{ kid: 2, publicKey: x25519PublicKey(ALICE) }],
    signingKey: SECRET,
  });
  return built.envelope;
}

function rejectionOf(input: unknown, strict = false): { reason: string; status: number } | "ok" {
  const r = parseEnvelope(input, { strict });
  return r.ok ? "ok" : { reason: r.rejection.reason, status: r.rejection.status };
}

describe("ves envelope", function () {
  let plain: VesEventEnvelope;
  let encrypted: VesEventEnvelope;

  before(async function () {
    plain = await plainEnvelope();
    encrypted = await encryptedEnvelope();
  });

  describe("builder", function () {
    it("builds the §12.3 B event byte for byte", function () {
      expect(plain.payload_plain_hash).to.equal(`0x${derived.payload_plain_hash[4]?.hash}`);
      expect(plain.agent_signature).to.equal(`0x${B.agent_signature}`);
      expect(plain.payload_cipher_hash).to.equal(`0x${"00".repeat(32)}`);
      expect(plain.payload_kind).to.equal(0);
    });

    it("signs with either Ed25519 path or a prepared signer identically", async function () {
      const common = { ...IDENTITY, entityType: "a", entityId: "b", eventType: "c", payload: { x: 1 } };
      const fixed = { eventId: B.fields.event_id, createdAt: "2025-01-01T00:00:00Z" };
      const a = await buildEnvelope({ ...common, ...fixed, signingKey: SECRET, ed25519: ed25519Node });
      const b = await buildEnvelope({ ...common, ...fixed, signingKey: SECRET, ed25519: ed25519Noble });
      const c = await buildEnvelope({ ...common, ...fixed, signingKey: ed25519Noble.signer(SECRET) });
      expect(a.envelope.agent_signature).to.equal(b.envelope.agent_signature);
      expect(a.envelope.agent_signature).to.equal(c.envelope.agent_signature);
    });

    it("fills in a random event id and the current time", async function () {
      const a = await buildEnvelope({
        ...IDENTITY,
        entityType: "a",
        entityId: "b",
        eventType: "c",
        payload: 1,
        signingKey: SECRET,
      });
      const b = await buildEnvelope({
        ...IDENTITY,
        entityType: "a",
        entityId: "b",
        eventType: "c",
        payload: 1,
        signingKey: SECRET,
      });
      expect(a.envelope.event_id).to.not.equal(b.envelope.event_id);
      expect(isRfc3339(a.envelope.created_at)).to.equal(true);
    });

    it("refuses fields the sequencer would reject", async function () {
      const base = {
        ...IDENTITY,
        entityType: "a",
        entityId: "b",
        eventType: "c",
        payload: { x: 1 },
        signingKey: SECRET,
      };
      const errorOf = (p: Promise<unknown>) =>
        p.then(
          () => "ok",
          (e: Error) => `${e.name}: ${e.message}`,
        );
      expect(await errorOf(buildEnvelope({ ...base, entityType: "x".repeat(129) }))).to.match(
        /^RangeError: .*entity_type/,
      );
      expect(await errorOf(buildEnvelope({ ...base, payload: null }))).to.match(/^TypeError: payload/);
      expect(await errorOf(buildEnvelope({ ...base, payload: { when: new Date() } }))).to.match(/^TypeError: Date/);
      expect(await errorOf(buildEnvelope({ ...base, tenantId: "nope" }))).to.match(/^TypeError: invalid UUID/);
      expect(await errorOf(buildEnvelope({ ...base, createdAt: "yesterday" }))).to.match(/^RangeError: .*created_at/);
    });
  });

  describe("parseEnvelope", function () {
    it("accepts a built envelope in strict mode and decodes it", function () {
      const r = parseEnvelope(wire(plain), { strict: true });
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(r.event.tenantId).to.equal(B.fields.tenant_id);
      expect(bytesToHex(r.event.agentSignature)).to.equal(B.agent_signature);
    });

    it("ignores unknown keys and the sequencer-assigned fields", function () {
      const r = parseEnvelope({ ...wire(plain), extra: 1, sequence_number: 5, sequenced_at: "x" });
      expect(r.ok && Object.keys(r.envelope)).to.not.include.members(["extra", "sequence_number", "sequenced_at"]);
    });

    it("keeps base_version exact beyond 2^53 and treats null optionals as absent", function () {
      const text = envelopeToJson({ ...plain, base_version: 18446744073709551615n });
      const r = parseEnvelope(parseJsonExact(text));
      expect(r.ok && r.event.baseVersion).to.equal(18446744073709551615n);
      const n = parseEnvelope({ ...wire(plain), command_id: null, base_version: null });
      expect(n.ok && n.event.commandId === undefined && n.event.baseVersion === undefined).to.equal(true);
    });

    const cases: [string, (e: Json) => void, string, number][] = [
      ["a ves_version other than 1", (e) => (e.ves_version = 2), "unsupported_version", 200],
      ["a missing event_id", (e) => delete e.event_id, "malformed: event_id", 422],
      ["a malformed tenant_id", (e) => (e.tenant_id = "tenant"), "malformed: tenant_id", 422],
      ["a string agent_key_id", (e) => (e.agent_key_id = "1"), "malformed: agent_key_id", 422],
      ["an agent_key_id beyond u32", (e) => (e.agent_key_id = 2 ** 32), "malformed: agent_key_id", 422],
      ["a non-string created_at", (e) => (e.created_at = 0), "malformed: created_at", 422],
      ["payload_kind 2", (e) => (e.payload_kind = 2), "malformed: payload_kind", 422],
      ["a short payload_plain_hash", (e) => (e.payload_plain_hash = "0x1234"), "malformed: payload_plain_hash", 422],
      ["a non-hex signature", (e) => (e.agent_signature = "zz".repeat(64)), "malformed: agent_signature", 422],
      ["a negative base_version", (e) => (e.base_version = -1), "malformed: base_version", 422],
      ["agent_signature_scheme 4", (e) => (e.agent_signature_scheme = 4), "malformed: agent_signature_scheme", 422],
      ["an empty entity_type", (e) => (e.entity_type = ""), "schema_validation: entity_type", 400],
      ["a 129-byte entity_type", (e) => (e.entity_type = "x".repeat(129)), "schema_validation: entity_type", 400],
      [
        "a 130-byte entity_type of 65 characters",
        (e) => (e.entity_type = "é".repeat(65)),
        "schema_validation: entity_type",
        400,
      ],
      ["a 513-byte entity_id", (e) => (e.entity_id = "x".repeat(513)), "schema_validation: entity_id", 400],
      ["a 257-byte event_type", (e) => (e.event_type = "x".repeat(257)), "schema_validation: event_type", 400],
      [
        "a payload over 1 MiB",
        (e) => (e.payload = { s: "x".repeat(LIMITS.MAX_EVENT_PAYLOAD_BYTES) }),
        "payload_too_large",
        413,
      ],
      ["kind 0 without a payload", (e) => delete e.payload, "schema_validation: payload", 200],
      ["kind 0 with a null payload", (e) => (e.payload = null), "schema_validation: payload", 200],
      [
        "a non-zero cipher hash on kind 0",
        (e) => (e.payload_cipher_hash = `0x${"01".repeat(32)}`),
        "schema_validation: payload_cipher_hash",
        200,
      ],
      ["a month 13", (e) => (e.created_at = "2025-13-01T00:00:00Z"), "schema_validation: created_at", 200],
      [
        "29 February of a common year",
        (e) => (e.created_at = "2025-02-29T00:00:00Z"),
        "schema_validation: created_at",
        200,
      ],
      ["a time without offset", (e) => (e.created_at = "2025-01-01T00:00:00"), "schema_validation: created_at", 200],
      ["a date only", (e) => (e.created_at = "2025-01-01"), "schema_validation: created_at", 200],
    ];
    for (const [name, mutate, reason, status] of cases) {
      it(`rejects ${name} with "${reason}" (${status})`, function () {
        const e = wire(plain);
        mutate(e);
        expect(rejectionOf(e)).to.deep.equal({ reason, status });
      });
    }

    it("accepts the byte-length limits exactly and a 1 MiB payload", function () {
      const e = wire(plain);
      e.entity_type = "é".repeat(64);
      e.entity_id = "x".repeat(512);
      e.event_type = "😀".repeat(64);
      const filler = LIMITS.MAX_EVENT_PAYLOAD_BYTES - JSON.stringify({ s: "" }).length;
      e.payload = { s: "x".repeat(filler) };
      expect(rejectionOf(e)).to.equal("ok");
    });

    it("accepts RFC 3339 forms chrono accepts", function () {
      for (const t of [
        "2024-02-29T23:59:60.5+05:30",
        "2025-01-01 00:00:00z",
        "2025-12-20T17:51:10.243Z",
        "2025-01-01T00:00:00-00:00",
      ]) {
        expect(isRfc3339(t), t).to.equal(true);
      }
      for (const t of [
        "2025-01-01T24:00:00Z",
        "2025-01-01T00:00:00+24:00",
        "2025-1-01T00:00:00Z",
        "2025-01-01T00:00:00.Z",
      ]) {
        expect(isRfc3339(t), t).to.equal(false);
      }
    });

    it("applies strict format validation only when asked", function () {
      const upper = {
        ...wire(plain),
        agent_signature: (wire(plain).agent_signature as string).toUpperCase().replace("0X", "0x"),
      };
      const bare = { ...wire(plain), payload_plain_hash: (wire(plain).payload_plain_hash as string).slice(2) };
      expect(rejectionOf(upper)).to.equal("ok");
      expect(rejectionOf(bare)).to.equal("ok");
      expect(rejectionOf(upper, true)).to.deep.equal({ reason: "schema_validation: agent_signature", status: 200 });
      expect(rejectionOf(bare, true)).to.deep.equal({ reason: "schema_validation: payload_plain_hash", status: 200 });
    });

    describe("payload_encrypted (§6.3)", function () {
      const pe = (e: Json): Json => e.payload_encrypted as Json;
      const r0 = (e: Json): Json => (pe(e).recipients as Json[])[0] as Json;
      const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64url");
      const cases: [string, (e: Json) => void, string][] = [
        ["kind 1 without payload_encrypted", (e) => delete e.payload_encrypted, "schema_validation: payload_encrypted"],
        ["kind 1 with a payload", (e) => (e.payload = { a: 1 }), "schema_validation: payload"],
        ["enc_version 4", (e) => (pe(e).enc_version = 4), "schema_validation: payload_encrypted.enc_version"],
        ["another AEAD", (e) => (pe(e).aead = "AES-128-GCM"), "schema_validation: payload_encrypted.aead"],
        [
          "HPKE auth mode",
          (e) => ((pe(e).hpke as Json).mode = "auth"),
          "schema_validation: payload_encrypted.hpke.mode",
        ],
        [
          "a P-256 KEM",
          (e) => ((pe(e).hpke as Json).kem = "P256-HKDF-SHA256"),
          "schema_validation: payload_encrypted.hpke.kem",
        ],
        [
          "HKDF-SHA512",
          (e) => ((pe(e).hpke as Json).kdf = "HKDF-SHA512"),
          "schema_validation: payload_encrypted.hpke.kdf",
        ],
        ["an 11-byte nonce", (e) => (pe(e).nonce_b64u = b64(11)), "schema_validation: payload_encrypted.nonce_b64u"],
        [
          "an empty ciphertext",
          (e) => (pe(e).ciphertext_b64u = ""),
          "schema_validation: payload_encrypted.ciphertext_b64u",
        ],
        ["a 15-byte tag", (e) => (pe(e).tag_b64u = b64(15)), "schema_validation: payload_encrypted.tag_b64u"],
        [
          "a standard-alphabet tag",
          (e) => (pe(e).tag_b64u = "++++++++++++++++++++++"),
          "schema_validation: payload_encrypted.tag_b64u",
        ],
        ["no recipients", (e) => (pe(e).recipients = []), "schema_validation: payload_encrypted.recipients"],
        [
          "duplicate kids",
          (e) => (pe(e).recipients = [r0(e), r0(e)]),
          "schema_validation: payload_encrypted.recipients",
        ],
        [
          "a 31-byte enc",
          (e) => (r0(e).enc_b64u = b64(31)),
          "schema_validation: payload_encrypted.recipients[0].enc_b64u",
        ],
        [
          "a 47-byte ct",
          (e) => (r0(e).ct_b64u = b64(47)),
          "schema_validation: payload_encrypted.recipients[0].ct_b64u",
        ],
      ];
      for (const [name, mutate, reason] of cases) {
        it(`rejects ${name}`, function () {
          const e = wire(encrypted);
          mutate(e);
          expect(rejectionOf(e)).to.deep.equal({ reason, status: 200 });
        });
      }

      it("rejects descending kids and a recipient without its key id", function () {
        const e = wire(encrypted);
        const second = { ...r0(e), recipient_kid: 1 };
        pe(e).recipients = [r0(e), second];
        expect(rejectionOf(e)).to.deep.equal({
          reason: "schema_validation: payload_encrypted.recipients",
          status: 200,
        });
        const f = wire(encrypted);
        delete r0(f).recipient_kid;
        expect(rejectionOf(f)).to.deep.equal({
          reason: "malformed: payload_encrypted.recipients[0].recipient_kid",
          status: 422,
        });
      });

      it("accepts padded base64url unless strict", function () {
        const e = wire(encrypted);
        pe(e).tag_b64u = `${pe(e).tag_b64u as string}==`;
        expect(rejectionOf(e)).to.equal("ok");
        expect(rejectionOf(e, true)).to.deep.equal({
          reason: "schema_validation: payload_encrypted.tag_b64u",
          status: 200,
        });
      });
    });
  });

  describe("verifyEnvelope", function () {
    it("accepts built envelopes, plaintext and encrypted", function () {
      expect(verifyEnvelope(wire(plain), PUBLIC).ok).to.equal(true);
      expect(verifyEnvelope(wire(encrypted), PUBLIC, { strict: true }).ok).to.equal(true);
    });

    it("fails any change of any signed field", function () {
      type Field =
        | "event_id"
        | "tenant_id"
        | "store_id"
        | "source_agent_id"
        | "entity_type"
        | "entity_id"
        | "event_type"
        | "created_at"
        | "payload_plain_hash"
        | "payload_cipher_hash"
        | "agent_signature";
      const stringFields: Field[] = [
        "event_id",
        "tenant_id",
        "store_id",
        "source_agent_id",
        "entity_type",
        "entity_id",
      ];
      stringFields.push("event_type", "created_at", "payload_plain_hash", "payload_cipher_hash", "agent_signature");
      const hexDigits = "0123456789abcdef";
      const fields = [...stringFields, "agent_key_id", "payload", "ves_version"] as const;
      fc.assert(
        fc.property(fc.constantFrom(...fields), fc.nat(), fc.boolean(), (field, at, useEncrypted) => {
          const e = wire(useEncrypted ? encrypted : plain);
          if (field === "agent_key_id") {
            e.agent_key_id = (e.agent_key_id as number) ^ (1 << (at % 32));
            if ((e.agent_key_id as number) < 0) e.agent_key_id = (e.agent_key_id as number) >>> 0;
          } else if (field === "payload") {
            if (useEncrypted) return; // The encrypted payload is covered by the cipher hash below.
            e.payload = { ...(e.payload as Json), delta: 100 + 1 + (at % 1000) };
          } else if (field === "ves_version") {
            e.ves_version = 2 + (at % 100);
          } else {
            const s = e[field] as string;
            const prefixed = field.endsWith("_hash") || field === "agent_signature";
            const isHex = prefixed || (field.endsWith("_id") && field !== "entity_id");
            const positions = [...s]
              .map((c, j) => ((isHex && !hexDigits.includes(c)) || (prefixed && j < 2) ? -1 : j))
              .filter((j) => j >= 0);
            if (field === "created_at") positions.splice(0, positions.length, ...[17, 18]); // seconds digits
            const i = positions[at % positions.length] as number;
            const c = s[i] as string;
            const replacement = isHex || field === "created_at" ? (c === "1" ? "2" : "1") : c === "a" ? "b" : "a";
            e[field] = s.slice(0, i) + replacement + s.slice(i + 1);
          }
          const r = verifyEnvelope(e, PUBLIC);
          expect(r.ok, field).to.equal(false);
          if (!r.ok) {
            expect(r.rejection.reason).to.be.oneOf([
              "invalid_signature",
              "invalid_payload_hash",
              "invalid_cipher_hash",
              "schema_validation: payload_cipher_hash",
              "unsupported_version",
            ]);
          }
        }),
        fcOptions(120),
      );
    });

    it("fails any change of the encrypted structure with invalid_cipher_hash", function () {
      fc.assert(
        fc.property(
          fc.constantFrom("nonce_b64u", "ciphertext_b64u", "tag_b64u", "enc_b64u", "ct_b64u", "recipient_kid"),
          fc.nat(),
          (field, at) => {
            const e = wire(encrypted);
            const pe = e.payload_encrypted as Json;
            const r0 = (pe.recipients as Json[])[0] as Json;
            const target = field === "enc_b64u" || field === "ct_b64u" ? r0 : pe;
            if (field === "recipient_kid") r0.recipient_kid = 3 + (at % 100);
            else {
              const bytes = Buffer.from(target[field] as string, "base64url");
              bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ 0x80;
              target[field] = bytes.toString("base64url");
            }
            const r = verifyEnvelope(e, PUBLIC);
            expect(r.ok || r.rejection.reason, field).to.equal("invalid_cipher_hash");
          },
        ),
        fcOptions(60),
      );
    });

    it("fails under another key or an unsupported signature scheme", function () {
      const other = ed25519Node.publicKey(new Uint8Array(32).fill(1));
      const r = verifyEnvelope(wire(plain), other);
      expect(r.ok || r.rejection.reason).to.equal("invalid_signature");
      const pqc = verifyEnvelope({ ...wire(plain), agent_signature_scheme: 2 }, PUBLIC);
      expect(pqc.ok || pqc.rejection.message).to.match(/scheme 2/);
    });

    it("reports parse rejections before any hashing", function () {
      const r = verifyEnvelope({ ...wire(plain), ves_version: 7 }, PUBLIC);
      expect(r.ok || r.rejection.reason).to.equal("unsupported_version");
    });
  });

  describe("decryptEnvelope", function () {
    it("decrypts for the recipient after checking the cipher hash", async function () {
      const r = await decryptEnvelope(wire(encrypted), 2, ALICE);
      expect(r.ok && r.payload).to.deep.equal({ amount: 4990 });
    });

    it("refuses plaintext events, a changed cipher hash and wrong keys", async function () {
      expect((await decryptEnvelope(wire(plain), 2, ALICE)).ok || "").to.equal("");
      const tampered = { ...wire(encrypted), payload_cipher_hash: `0x${"ab".repeat(32)}` };
      const t = await decryptEnvelope(tampered, 2, ALICE);
      expect(t.ok || t.reason).to.equal("invalid_cipher_hash");
      const w = await decryptEnvelope(wire(encrypted), 2, new Uint8Array(32).fill(5));
      expect(w.ok || w.reason).to.equal("key_unwrap_failed");
      const p = await decryptEnvelope(wire(plain), 2, ALICE);
      expect(p.ok || p.reason).to.equal("not_encrypted");
    });
  });

  describe("parseIngestRequest", function () {
    it("keeps per-event rejections inside a valid request", function () {
      const bad = { ...wire(plain), ves_version: 2 };
      const r = parseIngestRequest({ agentId: B.fields.source_agent_id.toUpperCase(), events: [wire(plain), bad] });
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(r.events.map((e) => e.ok)).to.deep.equal([true, false]);
    });

    it("fails the whole request the way the handler does", function () {
      const agentId = B.fields.source_agent_id;
      const statusOf = (body: unknown) => {
        const r = parseIngestRequest(body);
        return r.ok ? 200 : r.status;
      };
      expect(statusOf([])).to.equal(422);
      expect(statusOf({ agentId: "x", events: [] })).to.equal(422);
      expect(statusOf({ agentId, events: [] })).to.equal(400);
      expect(statusOf({ agentId, events: [{ ...wire(plain), payload_kind: 5 }] })).to.equal(422);
      expect(statusOf({ agentId, events: Array(1001).fill(wire(plain)) })).to.equal(413);
      expect(statusOf({ agentId, events: [wire(plain), { ...wire(plain), store_id: B.fields.tenant_id }] })).to.equal(
        400,
      );
      expect(statusOf({ agentId: B.fields.event_id, events: [wire(plain)] })).to.equal(400);
      expect(statusOf({ agentId, events: [{ ...wire(plain), entity_id: "" }] })).to.equal(400);
      expect(statusOf({ agentId, events: [{ ...wire(plain), payload: { s: "x".repeat(2 ** 20) } }] })).to.equal(413);
    });
  });

  describe("receipts and REST forms", function () {
    it("builds, parses and verifies signed and unsigned receipts", function () {
      const parsed = parseEnvelope(wire(plain));
      if (!parsed.ok) throw new Error("fixture");
      const sequencer = ed25519Node.signer(new Uint8Array(32).fill(3));
      const common = {
        event: parsed.event,
        sequenceNumber: 1n,
        sequencerId: "seq-1",
        sequencedAt: "2025-01-01T00:00:01+00:00",
      };
      const signed = buildReceipt({ ...common, signer: sequencer });
      const unsigned = buildReceipt(common);
      expect(signed.receiptHash).to.equal(B.receipt_hash);
      expect(unsigned.signatureAlg).to.equal("none");
      const roundTrip = parseReceipt(JSON.parse(JSON.stringify({ ...signed, sequenceNumber: 1 })));
      expect(roundTrip.ok && roundTrip.value.sequenceNumber).to.equal(1n);
      expect(verifyReceipt(signed, parsed.event, sequencer.publicKey).ok).to.equal(true);
      expect(verifyReceipt(unsigned, parsed.event).ok).to.equal(true);
      expect(verifyReceipt(unsigned, parsed.event, sequencer.publicKey).ok).to.equal(false);
      expect(verifyReceipt({ ...signed, sequenceNumber: 2n }, parsed.event, sequencer.publicKey).ok).to.equal(false);
      expect(verifyReceipt(signed, parsed.event, PUBLIC).ok).to.equal(false);
      expect(parseReceipt({ ...signed, receiptHash: `0x${signed.receiptHash}` }).ok).to.equal(false);
    });

    it("parses an ingest response with exact sequence numbers", function () {
      const text = `{"batchId":"${B.fields.event_id}","eventsAccepted":1,"eventsRejected":1,"sequenceStart":9007199254740993,"sequenceEnd":9007199254740993,"headSequence":9007199254740993,"rejections":[{"event_id":"x","reason":"invalid_signature","message":"m"}]}`;
      const r = parseIngestResponse(parseJsonExact(text));
      expect(r.ok && r.value.sequenceStart).to.equal(9007199254740993n);
      expect(r.ok && r.value.rejections?.[0]?.reason).to.equal("invalid_signature");
      const empty = parseIngestResponse({ ...(parseJsonExact(text) as Json), sequenceStart: null, sequenceEnd: null });
      expect(empty.ok && empty.value.sequenceStart).to.equal(null);
      expect(parseIngestResponse({ ...(parseJsonExact(text) as Json), headSequence: -1 }).ok).to.equal(false);
    });

    it("parses REST commitments and proofs and rejects 0x hashes there", function () {
      const commitment = {
        batch_id: B.fields.event_id,
        tenant_id: B.fields.tenant_id,
        store_id: B.fields.store_id,
        ves_version: 1,
        tree_depth: 0,
        leaf_count: 1,
        padded_leaf_count: 1,
        merkle_root: B.leaf_hash,
        prev_state_root: "00".repeat(32),
        new_state_root: "11".repeat(32),
        sequence_start: 1,
        sequence_end: 1,
        committed_at: "2025-01-01T00:00:00Z",
      };
      expect(parseCommitment(commitment).ok).to.equal(true);
      expect(parseCommitment({ ...commitment, merkle_root: `0x${B.leaf_hash}` }).ok).to.equal(false);
      const proof = {
        sequence_number: 1,
        batch_id: B.fields.event_id,
        merkle_root: B.leaf_hash,
        leaf_hash: B.leaf_hash,
        leaf_index: 0,
        proof_path: [],
        directions: [],
      };
      expect(parseInclusionProof(proof).ok).to.equal(true);
      expect(
        parseInclusionProof({ ...proof, proof_path: Array(65).fill(B.leaf_hash), directions: Array(65).fill(true) }).ok,
      ).to.equal(false);
      expect(parseInclusionProof({ ...proof, directions: [true] }).ok).to.equal(false);
      expect(parseInclusionProof({ ...proof, proof_path: ["0x00"], directions: [true] }).ok).to.equal(false);
    });
  });

  it("verifies with the event's own decoded form", function () {
    const parsed = parseEnvelope(wire(plain));
    expect(parsed.ok && verifyEvent(parsed.event, PUBLIC, ed25519Noble).ok).to.equal(true);
  });
});
