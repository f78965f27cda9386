/**
 * A deliberately naive second implementation of the VES byte rules, written straight from ves-protocol.md with
 * Buffer and node:crypto only (no code shared with offchain/ves): preimages, hashes, a recursive Merkle root, a tiny
 * JCS, and RFC 9180 HPKE base mode opened by hand. Tests use it as the independent cross-check of the library.
 */
import {
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
} from "node:crypto";

/** SHA-256 of the concatenation. */
export function sha(...parts: (Buffer | string)[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(typeof p === "string" ? Buffer.from(p, "utf8") : p);
  return h.digest();
}

/** Hex (with or without 0x) to Buffer. */
export function hx(hex: string): Buffer {
  return Buffer.from(hex.replace(/^0x/, ""), "hex");
}

/** UUID string to its 16 bytes. */
export function uuid(u: string): Buffer {
  return Buffer.from(u.replace(/-/g, ""), "hex");
}

/** U32_BE. */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** U64_BE. */
export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

/** ENC_STR. */
export function str(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([u32(b.length), b]);
}

/** RFC 8785 for JSON.parse values, as the RFC describes it for ECMAScript: sorted keys, JSON.stringify leaves. */
export function naiveJcs(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(naiveJcs).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${naiveJcs(o[k])}`)
    .join(",")}}`;
}

/** The envelope fields the preimages use, as they appear on the wire (snake_case). */
export interface WireFields {
  ves_version: number;
  tenant_id: string;
  store_id: string;
  event_id: string;
  source_agent_id: string;
  agent_key_id: number;
  entity_type: string;
  entity_id: string;
  event_type: string;
  created_at: string;
  payload_kind: number;
  payload_plain_hash: string;
  payload_cipher_hash: string;
}

/** Event signing preimage, field by field in the table order of §4.2 item 6. */
export function signingPreimage(f: WireFields): Buffer {
  return Buffer.concat([
    Buffer.from("VES_EVENTSIG_V1"),
    u32(f.ves_version),
    uuid(f.tenant_id),
    uuid(f.store_id),
    uuid(f.event_id),
    uuid(f.source_agent_id),
    u32(f.agent_key_id),
    str(f.entity_type),
    str(f.entity_id),
    str(f.event_type),
    str(f.created_at),
    u32(f.payload_kind),
    hx(f.payload_plain_hash),
    hx(f.payload_cipher_hash),
  ]);
}

/** Payload AAD preimage of §4.2 item 3 (no version field). */
export function aadPreimage(f: Omit<WireFields, "ves_version" | "payload_kind" | "payload_cipher_hash">): Buffer {
  return Buffer.concat([
    Buffer.from("VES_PAYLOAD_AAD_V1"),
    uuid(f.tenant_id),
    uuid(f.store_id),
    uuid(f.event_id),
    uuid(f.source_agent_id),
    u32(f.agent_key_id),
    str(f.entity_type),
    str(f.entity_id),
    str(f.event_type),
    str(f.created_at),
    hx(f.payload_plain_hash),
  ]);
}

/** Plain payload hash, optionally salted. */
export function plainHash(payload: unknown, saltHex?: string): Buffer {
  return sha(
    Buffer.from("VES_PAYLOAD_PLAIN_V1"),
    saltHex === undefined ? Buffer.alloc(0) : hx(saltHex),
    naiveJcs(payload),
  );
}

/** Recipients hash over base64url entries. */
export function recipientsHashOf(recipients: { recipient_kid: number; enc_b64u: string; ct_b64u: string }[]): Buffer {
  const parts: Buffer[] = [Buffer.from("VES_RECIPIENTS_V1")];
  for (const r of recipients) {
    const enc = Buffer.from(r.enc_b64u, "base64url");
    const ct = Buffer.from(r.ct_b64u, "base64url");
    parts.push(u32(r.recipient_kid), u32(enc.length), enc, u32(ct.length), ct);
  }
  return sha(...parts);
}

/** Cipher hash preimage of §4.2 item 5 (121 bytes + len(ct)). */
export function cipherPreimage(nonce: Buffer, aad: Buffer, ct: Buffer, tag: Buffer, rHash: Buffer): Buffer {
  return Buffer.concat([Buffer.from("VES_PAYLOAD_CIPHER_V1"), u32(1), nonce, aad, u32(ct.length), ct, tag, rHash]);
}

/** Receipt preimage (102 bytes). */
export function receiptPreimage(t: string, s: string, e: string, seq: bigint, signingHash: Buffer): Buffer {
  return Buffer.concat([Buffer.from("VES_RECEIPT_V1"), uuid(t), uuid(s), uuid(e), u64(seq), signingHash]);
}

/** Leaf preimage (147 bytes). */
export function leafPreimage(t: string, s: string, seq: bigint, signingHash: Buffer, signature: Buffer): Buffer {
  return Buffer.concat([Buffer.from("VES_LEAF_V1"), uuid(t), uuid(s), u64(seq), signingHash, signature]);
}

/** State-root preimage (133 bytes). */
export function stateRootPreimage(
  stream: Buffer,
  prev: Buffer,
  root: Buffer,
  start: bigint,
  end: bigint,
  count: number,
): Buffer {
  return Buffer.concat([Buffer.from("VES_STATE_ROOT_V1"), stream, prev, root, u64(start), u64(end), u32(count)]);
}

/** Stream id. */
export function streamIdOf(t: string, s: string): Buffer {
  return sha(Buffer.from("VES_STREAM_V1"), uuid(t), uuid(s));
}

/** PAD_LEAF. */
export const PAD = sha("VES_PAD_LEAF_V1");

/** Recursive Merkle root: pad to a power of two with PAD, hash halves. */
export function naiveRoot(leaves: Buffer[]): Buffer {
  let size = 1;
  while (size < leaves.length) size *= 2;
  const padded = [...leaves, ...Array<Buffer>(size - leaves.length).fill(PAD)];
  const rec = (xs: Buffer[]): Buffer =>
    xs.length === 1
      ? (xs[0] as Buffer)
      : sha(Buffer.from("VES_NODE_V1"), rec(xs.slice(0, xs.length / 2)), rec(xs.slice(xs.length / 2)));
  return rec(padded);
}

// --- RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, written out by hand -------------------------

const X25519_PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");
const X25519_SPKI = Buffer.from("302a300506032b656e032100", "hex");

function x25519(secret: Buffer, publicKey: Buffer): Buffer {
  return diffieHellman({
    privateKey: createPrivateKey({ key: Buffer.concat([X25519_PKCS8, secret]), format: "der", type: "pkcs8" }),
    publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI, publicKey]), format: "der", type: "spki" }),
  });
}

/** X25519 public key of a secret. */
export function x25519Public(secret: Buffer): Buffer {
  const priv = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, secret]), format: "der", type: "pkcs8" });
  return createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(-32);
}

function extract(salt: Buffer, ikm: Buffer): Buffer {
  return createHmac("sha256", salt.length === 0 ? Buffer.alloc(32) : salt)
    .update(ikm)
    .digest();
}

function expand(prk: Buffer, info: Buffer, length: number): Buffer {
  let t = Buffer.alloc(0);
  let out = Buffer.alloc(0);
  for (let i = 1; out.length < length; i++) {
    t = createHmac("sha256", prk)
      .update(Buffer.concat([t, info, Buffer.from([i])]))
      .digest();
    out = Buffer.concat([out, t]);
  }
  return out.subarray(0, length);
}

function labeledExtract(suite: Buffer, salt: Buffer, label: string, ikm: Buffer): Buffer {
  return extract(salt, Buffer.concat([Buffer.from("HPKE-v1"), suite, Buffer.from(label), ikm]));
}

function labeledExpand(suite: Buffer, prk: Buffer, label: string, info: Buffer, length: number): Buffer {
  const l = Buffer.alloc(2);
  l.writeUInt16BE(length);
  return expand(prk, Buffer.concat([l, Buffer.from("HPKE-v1"), suite, Buffer.from(label), info]), length);
}

/** The base-mode key schedule of a recipient: shared secret, AEAD key, base nonce and exporter secret. */
export function hpkeRecipientSchedule(
  skR: Buffer,
  enc: Buffer,
  info: Buffer,
  aeadId: 1 | 2,
): { sharedSecret: Buffer; key: Buffer; baseNonce: Buffer; exporterSecret: Buffer } {
  const kemSuite = Buffer.concat([Buffer.from("KEM"), Buffer.from([0x00, 0x20])]);
  const dh = x25519(skR, enc);
  const kemContext = Buffer.concat([enc, x25519Public(skR)]);
  const eaePrk = labeledExtract(kemSuite, Buffer.alloc(0), "eae_prk", dh);
  const sharedSecret = labeledExpand(kemSuite, eaePrk, "shared_secret", kemContext, 32);
  const suite = Buffer.concat([Buffer.from("HPKE"), Buffer.from([0x00, 0x20, 0x00, 0x01, 0x00, aeadId])]);
  const pskIdHash = labeledExtract(suite, Buffer.alloc(0), "psk_id_hash", Buffer.alloc(0));
  const infoHash = labeledExtract(suite, Buffer.alloc(0), "info_hash", info);
  const context = Buffer.concat([Buffer.from([0x00]), pskIdHash, infoHash]);
  const secret = labeledExtract(suite, sharedSecret, "secret", Buffer.alloc(0));
  return {
    sharedSecret,
    key: labeledExpand(suite, secret, "key", context, aeadId === 1 ? 16 : 32),
    baseNonce: labeledExpand(suite, secret, "base_nonce", context, 12),
    exporterSecret: labeledExpand(suite, secret, "exp", context, 32),
  };
}

/** AES-GCM open of ct‖tag (key length picks AES-128 or AES-256). */
export function aesGcmOpen(key: Buffer, nonce: Buffer, ctAndTag: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv(key.length === 16 ? "aes-128-gcm" : "aes-256-gcm", key, nonce);
  d.setAAD(aad);
  d.setAuthTag(ctAndTag.subarray(ctAndTag.length - 16));
  return Buffer.concat([d.update(ctAndTag.subarray(0, ctAndTag.length - 16)), d.final()]);
}

/** Single-shot HPKE open (sequence 0) by hand. */
export function hpkeOpenByHand(skR: Buffer, enc: Buffer, info: Buffer, aad: Buffer, ct: Buffer, aeadId: 1 | 2): Buffer {
  const { key, baseNonce } = hpkeRecipientSchedule(skR, enc, info, aeadId);
  return aesGcmOpen(key, baseNonce, ct, aad);
}
