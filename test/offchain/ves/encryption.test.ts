/**
 * Tests of VES-ENC-1: RFC 9180 A.1 through the HPKE wrapper and a hand-written key schedule, X25519 and AES-GCM
 * vectors, encrypt/decrypt round trips, tamper detection on every field, and recipient handling.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  aes256GcmOpen,
  aes256GcmSeal,
  bytesToHex,
  concatBytes,
  decodePayloadEncrypted,
  decryptPayload,
  encryptPayload,
  hexToBytes,
  hpkeOpen,
  hpkeSeal,
  jcs,
  jcsBytes,
  payloadAad,
  payloadCipherHash,
  recipientsHash,
  x25519Keygen,
  x25519PublicKey,
  type EventContext,
  type PayloadEncrypted,
} from "../../../offchain/ves";
import derived from "../../vectors/ves-protocol-derived.json";
import repo from "../../vectors/ves-protocol-repo.json";
import rfc9180 from "../../vectors/ves-rfc9180.json";
import { fcOptions } from "./support/fc";
import * as naive from "./support/naive";

const CONTEXT: EventContext = {
  tenantId: "00000000-0000-0000-0000-000000000001",
  storeId: "00000000-0000-0000-0000-000000000002",
  eventId: "11111111-1111-1111-1111-111111111111",
  sourceAgentId: "22222222-2222-2222-2222-222222222222",
  agentKeyId: 1,
  entityType: "InventoryItem",
  entityId: "WIDGET-001",
  eventType: "Adjusted",
  createdAt: "2025-01-01T00:00:00Z",
};

const ALICE = hexToBytes(repo.x25519[0]?.secret_key ?? "");
const BOB = hexToBytes(repo.x25519[1]?.secret_key ?? "");

function decoded(wire: Parameters<typeof decodePayloadEncrypted>[0]): PayloadEncrypted {
  const r = decodePayloadEncrypted(wire, { strict: true });
  if (!r.ok) throw new Error(r.rejection.message);
  return r.value;
}

async function encryptForAliceAndBob(payload: unknown = { amount: 4990, reason: "damaged" }) {
  const result = await encryptPayload({
    payload,
    context: CONTEXT,
    recipients: [
      { kid: 9, publicKey: x25519PublicKey(BOB) },
      { kid: 2, publicKey: x25519PublicKey(ALICE) },
    ],
  });
  return { result, pe: decoded(result.payloadEncrypted) };
}

describe("ves encryption", function () {
  describe("RFC 9180 A.1 (X25519, HKDF-SHA256, AES-128-GCM, base mode)", function () {
    const v = rfc9180;
    const enc0 = v.encryptions[0] as (typeof v.encryptions)[number];

    it("seals to the published enc and ciphertext with the fixed ephemeral key", async function () {
      const sealed = await hpkeSeal({
        recipientPublicKey: hexToBytes(v.pkRm),
        info: hexToBytes(v.info),
        aad: hexToBytes(enc0.aad),
        plaintext: hexToBytes(enc0.pt),
        aead: "AES-128-GCM",
        ephemeralSecretKey: hexToBytes(v.skEm),
      });
      expect(bytesToHex(sealed.enc)).to.equal(v.enc);
      expect(bytesToHex(sealed.ct)).to.equal(enc0.ct);
    });

    it("opens the published ciphertext and refuses a wrong info or AAD", async function () {
      const input = {
        recipientSecretKey: hexToBytes(v.skRm),
        enc: hexToBytes(v.enc),
        info: hexToBytes(v.info),
        aad: hexToBytes(enc0.aad),
        ct: hexToBytes(enc0.ct),
        aead: "AES-128-GCM" as const,
      };
      expect(bytesToHex(await hpkeOpen(input))).to.equal(enc0.pt);
      let failures = 0;
      for (const bad of [
        { ...input, info: new Uint8Array(0) },
        { ...input, aad: hexToBytes("436f756e742d31") },
      ]) {
        await hpkeOpen(bad).catch(() => failures++);
      }
      expect(failures).to.equal(2);
    });

    it("matches the published key schedule when computed by hand", function () {
      const ks = naive.hpkeRecipientSchedule(naive.hx(v.skRm), naive.hx(v.enc), naive.hx(v.info), 1);
      expect(ks.sharedSecret.toString("hex")).to.equal(v.shared_secret);
      expect(ks.key.toString("hex")).to.equal(v.key);
      expect(ks.baseNonce.toString("hex")).to.equal(v.base_nonce);
      expect(ks.exporterSecret.toString("hex")).to.equal(v.exporter_secret);
      expect(naive.x25519Public(naive.hx(v.skRm)).toString("hex")).to.equal(v.pkRm);
      expect(bytesToHex(x25519PublicKey(hexToBytes(v.skEm)))).to.equal(v.pkEm);
    });
  });

  describe("primitives", function () {
    it("derives the §12.1 X25519 public keys (recipient_3 corrected)", function () {
      for (const k of repo.x25519) {
        expect(bytesToHex(x25519PublicKey(hexToBytes(k.secret_key)))).to.equal(k.public_key);
        expect(naive.x25519Public(naive.hx(k.secret_key)).toString("hex")).to.equal(k.public_key);
      }
      const fresh = x25519Keygen();
      expect(bytesToHex(x25519PublicKey(fresh.secretKey))).to.equal(bytesToHex(fresh.publicKey));
    });

    it("reproduces the AES-256-GCM test case of §12.3 G", function () {
      for (const t of derived.aes_256_gcm) {
        const key = hexToBytes(t.key);
        const nonce = hexToBytes(t.nonce);
        const sealed = aes256GcmSeal(key, nonce, hexToBytes(t.plaintext), hexToBytes(t.aad));
        expect(bytesToHex(sealed.ciphertext)).to.equal(t.ciphertext);
        expect(bytesToHex(sealed.tag)).to.equal(t.tag);
        const opened = aes256GcmOpen(key, nonce, sealed.ciphertext, sealed.tag, hexToBytes(t.aad));
        expect(bytesToHex(opened)).to.equal(t.plaintext);
        expect(() => aes256GcmOpen(key, nonce, sealed.ciphertext, sealed.tag, Uint8Array.of(1))).to.throw();
      }
    });
  });

  describe("encryptPayload / decryptPayload", function () {
    it("writes the §6.2 structure with recipients sorted by kid", async function () {
      const { result, pe } = await encryptForAliceAndBob();
      const wire = result.payloadEncrypted;
      expect(wire.enc_version).to.equal(1);
      expect(wire.aead).to.equal("AES-256-GCM");
      expect(wire.hpke).to.deep.equal({
        mode: "base",
        kem: "X25519-HKDF-SHA256",
        kdf: "HKDF-SHA256",
        aead: "AES-256-GCM",
      });
      expect(wire.recipients.map((r) => r.recipient_kid)).to.deep.equal([2, 9]);
      expect(pe.nonce).to.have.length(12);
      expect(pe.tag).to.have.length(16);
      expect(pe.recipients.map((r) => [r.enc.length, r.ct.length])).to.deep.equal([
        [32, 48],
        [32, 48],
      ]);
      // The ciphertext covers salt(16) ‖ JCS(payload).
      expect(pe.ciphertext.length).to.equal(16 + jcsBytes({ amount: 4990, reason: "damaged" }).length);
      expect(bytesToHex(result.payloadAad)).to.equal(bytesToHex(payloadAad(CONTEXT, result.payloadPlainHash)));
      expect(bytesToHex(result.recipientsHash)).to.equal(bytesToHex(recipientsHash(pe.recipients)));
      const cipherHash = payloadCipherHash({
        ...pe,
        payloadAad: result.payloadAad,
        recipientsHash: result.recipientsHash,
      });
      expect(bytesToHex(result.payloadCipherHash)).to.equal(bytesToHex(cipherHash));
    });

    it("lets every recipient, and only them, recover the payload", async function () {
      const { result, pe } = await encryptForAliceAndBob();
      const input = { payloadEncrypted: pe, context: CONTEXT, payloadPlainHash: result.payloadPlainHash };
      for (const [kid, sk] of [
        [2, ALICE],
        [9, BOB],
      ] as const) {
        const out = await decryptPayload({ ...input, recipientKid: kid, recipientSecretKey: sk });
        expect(out.ok && out.payload).to.deep.equal({ amount: 4990, reason: "damaged" });
        expect(out.ok && bytesToHex(out.salt)).to.equal(bytesToHex(result.salt));
      }
      const wrongKey = await decryptPayload({ ...input, recipientKid: 2, recipientSecretKey: BOB });
      expect(wrongKey.ok || wrongKey.reason).to.equal("key_unwrap_failed");
      const unknown = await decryptPayload({ ...input, recipientKid: 5, recipientSecretKey: ALICE });
      expect(unknown.ok || unknown.reason).to.equal("recipient_not_found");
    });

    it("round-trips random payloads for random recipient sets", async function () {
      const keys = [x25519Keygen(), x25519Keygen(), x25519Keygen()];
      await fc.assert(
        fc.asyncProperty(
          fc.jsonValue().filter((v) => v !== null),
          fc.subarray([0, 1, 2], { minLength: 1 }),
          async (payload, chosen) => {
            const recipients = chosen.map((i) => ({
              kid: 100 - i,
              publicKey: (keys[i] as { publicKey: Uint8Array }).publicKey,
            }));
            const result = await encryptPayload({ payload, context: CONTEXT, recipients });
            const pe = decoded(result.payloadEncrypted);
            for (const i of chosen) {
              const out = await decryptPayload({
                payloadEncrypted: pe,
                context: CONTEXT,
                payloadPlainHash: result.payloadPlainHash,
                recipientKid: 100 - i,
                recipientSecretKey: (keys[i] as { secretKey: Uint8Array }).secretKey,
              });
              expect(out.ok, out.ok ? "" : out.message).to.equal(true);
              if (out.ok) expect(jcs(out.payload)).to.equal(jcs(payload));
            }
          },
        ),
        fcOptions(25),
      );
    });

    it("detects tampering with the nonce, ciphertext, tag, recipients or any AAD field", async function () {
      const { result, pe } = await encryptForAliceAndBob({ note: "tamper me", n: 1 });
      const base = { payloadEncrypted: pe, context: CONTEXT, payloadPlainHash: result.payloadPlainHash };
      const flip = (bytes: Uint8Array, at: number): Uint8Array => {
        const out = Uint8Array.from(bytes);
        out[at % out.length] = (out[at % out.length] as number) ^ 0x01;
        return out;
      };
      type Tamper = "nonce" | "ciphertext" | "tag" | "enc" | "ct" | "plainHash" | keyof EventContext;
      const tampers: Tamper[] = [
        "nonce",
        "ciphertext",
        "tag",
        "enc",
        "ct",
        "plainHash",
        "eventId",
        "tenantId",
        "storeId",
      ];
      tampers.push("sourceAgentId", "agentKeyId", "entityType", "entityId", "eventType", "createdAt");
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...tampers), fc.nat(), async (what, at) => {
          let input = { ...base, recipientKid: 2, recipientSecretKey: ALICE };
          let cipherInputs = { ...pe, payloadAad: result.payloadAad };
          const r0 = pe.recipients[0] as PayloadEncrypted["recipients"][number];
          if (what === "nonce" || what === "ciphertext" || what === "tag") {
            const payloadEncrypted = { ...pe, [what]: flip(pe[what], at) };
            input = { ...input, payloadEncrypted };
            cipherInputs = { ...cipherInputs, [what]: payloadEncrypted[what] };
          } else if (what === "enc" || what === "ct") {
            const recipients = [{ ...r0, [what]: flip(r0[what], at) }, ...pe.recipients.slice(1)];
            input = { ...input, payloadEncrypted: { ...pe, recipients } };
            cipherInputs = { ...cipherInputs, recipients };
          } else if (what === "plainHash") {
            input = { ...input, payloadPlainHash: flip(result.payloadPlainHash, at) };
          } else if (what === "agentKeyId") {
            input = { ...input, context: { ...CONTEXT, agentKeyId: CONTEXT.agentKeyId + 1 + (at % 1000) } };
          } else {
            const s = CONTEXT[what];
            // One character, never a UUID's hyphen (that would make it malformed rather than different).
            const positions = [...s].map((c, j) => (c === "-" && what.endsWith("Id") ? -1 : j)).filter((j) => j >= 0);
            const i = positions[at % positions.length] as number;
            const changed = s.slice(0, i) + (s[i] === "a" ? "b" : "a") + s.slice(i + 1);
            input = { ...input, context: { ...CONTEXT, [what]: changed } };
          }
          const out = await decryptPayload(input);
          expect(out.ok, what).to.equal(false);
          // Structure tampering also changes the signed cipher hash.
          if (["nonce", "ciphertext", "tag", "enc", "ct"].includes(what)) {
            const recomputed = payloadCipherHash({
              ...cipherInputs,
              recipientsHash: recipientsHash(cipherInputs.recipients),
            });
            expect(bytesToHex(recomputed)).to.not.equal(bytesToHex(result.payloadCipherHash));
          }
        }),
        fcOptions(60),
      );
    });

    it("refuses a payload whose salted hash does not match the claimed one", async function () {
      // A sender that encrypts one payload but claims the hash of another, consistently with the AAD.
      const salt = new Uint8Array(16).fill(3);
      const dek = new Uint8Array(32).fill(4);
      const nonce = new Uint8Array(12).fill(5);
      const claimed = naive.plainHash({ amount: 1 }, Buffer.from(salt).toString("hex"));
      const aad = payloadAad(CONTEXT, claimed);
      const { ciphertext, tag } = aes256GcmSeal(dek, nonce, concatBytes(salt, jcsBytes({ amount: 2 })), aad);
      const sealed = await hpkeSeal({
        recipientPublicKey: x25519PublicKey(ALICE),
        info: aad,
        aad: new Uint8Array(0),
        plaintext: dek,
      });
      const pe: PayloadEncrypted = {
        encVersion: 1,
        aead: "AES-256-GCM",
        hpke: { mode: "base", kem: "X25519-HKDF-SHA256", kdf: "HKDF-SHA256", aead: "AES-256-GCM" },
        nonce,
        ciphertext,
        tag,
        recipients: [{ recipientKid: 1, enc: sealed.enc, ct: sealed.ct }],
      };
      const out = await decryptPayload({
        payloadEncrypted: pe,
        context: CONTEXT,
        payloadPlainHash: claimed,
        recipientKid: 1,
        recipientSecretKey: ALICE,
      });
      expect(out.ok || out.reason).to.equal("invalid_payload_hash");
    });

    it("validates recipients and fixed randomness", async function () {
      const pk = x25519PublicKey(ALICE);
      const attempt = (recipients: { kid: number; publicKey: Uint8Array }[], salt?: Uint8Array) =>
        encryptPayload({ payload: {}, context: CONTEXT, recipients, ...(salt ? { randomness: { salt } } : {}) }).then(
          () => "ok",
          (e: Error) => `${e.name}: ${e.message}`,
        );
      expect(await attempt([])).to.match(/^RangeError: .*at least one recipient/);
      expect(
        await attempt([
          { kid: 1, publicKey: pk },
          { kid: 1, publicKey: pk },
        ]),
      ).to.match(/^RangeError: duplicate recipient kid 1/);
      expect(await attempt([{ kid: -1, publicKey: pk }])).to.match(/^RangeError/);
      expect(await attempt([{ kid: 1, publicKey: pk.subarray(1) }])).to.match(/^RangeError: recipient 1 public key/);
      expect(await attempt([{ kid: 1, publicKey: pk }], new Uint8Array(8))).to.match(/^RangeError: salt/);
    });
  });
});
