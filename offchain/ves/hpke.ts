/**
 * RFC 9180 HPKE on node:crypto, limited to what VES-ENC-1 needs: base mode (0x00), single shot (sequence 0),
 * DHKEM(X25519, HKDF-SHA256) (0x0020), HKDF-SHA256 (0x0001) and AES-128-GCM (0x0001) or AES-256-GCM (0x0002).
 *
 * Every step runs synchronously in OpenSSL: one X25519 agreement (plus the ephemeral key generation or the
 * recipient's public key), six HMAC-SHA256 calls and one AES-GCM operation. This replaces @hpke/core on the hot path
 * (WebCrypto key imports and a chain of awaits per call, about 4 ms); `hpke-reference.ts` keeps @hpke/core as the
 * reference the tests compare this code with, byte for byte.
 */
import {
  createCipheriv,
  createDecipheriv,
  hash as oneShotHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";

import { assertBytes } from "./encoding";

/** HPKE AEADs usable with `hpkeSeal`/`hpkeOpen`; VES-ENC-1 uses AES-256-GCM, RFC 9180 A.1 uses AES-128-GCM. */
export type HpkeAead = "AES-128-GCM" | "AES-256-GCM";

/** Length of an X25519 secret key, public key, `enc` and DH output. */
export const X25519_KEY_BYTES = 32;
const TAG_BYTES = 16;
const NONCE_BYTES = 12;

const ascii = (s: string): Buffer => Buffer.from(s, "latin1");
const HPKE_V1 = ascii("HPKE-v1");
const EMPTY = Buffer.alloc(0);
const MODE_BASE = 0x00;
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const ONE = Buffer.from([0x01]);

interface AeadParams {
  readonly cipher: "aes-128-gcm" | "aes-256-gcm";
  readonly nk: number;
  /** "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id. */
  readonly suiteId: Buffer;
  /** LabeledExtract("", "psk_id_hash", "") for this suite: the same for every base-mode call. */
  readonly pskIdHash: Buffer;
}

/** suite_id of the KEM: "KEM" ‖ I2OSP(0x0020, 2). */
const KEM_SUITE_ID = Buffer.concat([ascii("KEM"), Buffer.from([0x00, 0x20])]);

const BLOCK = 64;
const IPAD = 0x36;
const OPAD = 0x5c;

/** The inner and outer pad blocks of an HMAC-SHA256 key of at most one block (RFC 2104). */
function hmacPads(key: Uint8Array): { inner: Buffer; outer: Buffer } {
  const inner = Buffer.alloc(BLOCK, IPAD);
  const outer = Buffer.alloc(BLOCK, OPAD);
  for (let i = 0; i < key.length; i++) {
    inner[i] = (key[i] as number) ^ IPAD;
    outer[i] = (key[i] as number) ^ OPAD;
  }
  return { inner, outer };
}
const EMPTY_KEY_PADS = hmacPads(EMPTY);

/**
 * HMAC-SHA256(key, parts…) with two one-shot hashes, H(K⊕opad ‖ H(K⊕ipad ‖ parts)): the keys here (an empty salt,
 * a PRK or a shared secret) are at most 32 bytes, and crypto.hash skips the per-call Hmac object of createHmac.
 */
function hmac(key: Buffer, ...parts: readonly Uint8Array[]): Buffer {
  if (key.length > BLOCK) throw new RangeError("HMAC key longer than a block");
  const { inner, outer } = key.length === 0 ? EMPTY_KEY_PADS : hmacPads(key);
  const innerHash = oneShotHash("sha256", Buffer.concat([inner, ...parts]), "buffer");
  return oneShotHash("sha256", Buffer.concat([outer, innerHash]), "buffer");
}

/** LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm). */
function labeledExtract(suiteId: Buffer, salt: Buffer, label: Buffer, ikm: Uint8Array): Buffer {
  // HKDF-Extract is HMAC keyed by the salt; an empty salt and HashLen zero bytes are the same HMAC key.
  return hmac(salt, HPKE_V1, suiteId, label, ikm);
}

/** LabeledExpand(prk, label, info, L) for L ≤ 32: one HKDF-Expand block, T(1) = HMAC(prk, labeled_info ‖ 0x01). */
function labeledExpand(suiteId: Buffer, prk: Buffer, label: Buffer, info: Uint8Array, length: number): Buffer {
  const lengthPrefix = Buffer.from([length >> 8, length & 0xff]);
  const t1 = hmac(prk, lengthPrefix, HPKE_V1, suiteId, label, info, ONE);
  return length === t1.length ? t1 : t1.subarray(0, length);
}

const LABEL = {
  eaePrk: ascii("eae_prk"),
  sharedSecret: ascii("shared_secret"),
  pskIdHash: ascii("psk_id_hash"),
  infoHash: ascii("info_hash"),
  secret: ascii("secret"),
  key: ascii("key"),
  baseNonce: ascii("base_nonce"),
} as const;

function aeadParams(cipher: AeadParams["cipher"], nk: number, aeadId: number): AeadParams {
  const suiteId = Buffer.concat([ascii("HPKE"), Buffer.from([0x00, 0x20, 0x00, 0x01, 0x00, aeadId])]);
  return { cipher, nk, suiteId, pskIdHash: labeledExtract(suiteId, EMPTY, LABEL.pskIdHash, EMPTY) };
}

const AEADS: Record<HpkeAead, AeadParams> = {
  "AES-128-GCM": aeadParams("aes-128-gcm", 16, 0x01),
  "AES-256-GCM": aeadParams("aes-256-gcm", 32, 0x02),
};

function aeadOf(aead: HpkeAead | undefined): AeadParams {
  const params = AEADS[aead ?? "AES-256-GCM"];
  if (params === undefined) throw new RangeError(`unsupported HPKE AEAD ${String(aead)}`);
  return params;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// Keys cross into OpenSSL as JWK: node imports and exports OKP JWKs with the raw-key calls, while DER (PKCS#8, SPKI)
// goes through OpenSSL 3's decoder framework, which costs about ten X25519 multiplications per key.

/** A KeyObject for a raw 32-byte X25519 secret key (the import computes its public key: one base multiplication). */
export function x25519PrivateKeyObject(secretKey: Uint8Array): KeyObject {
  const d = asBuffer(secretKey).toString("base64url");
  try {
    // `x` must be present in a private JWK but node derives the public key from `d`; "AA" is never read.
    return createPrivateKey({ key: { kty: "OKP", crv: "X25519", d, x: "AA" }, format: "jwk" });
  } catch {
    // A node that checks `x` against `d`: the slower PKCS#8 import (RFC 8410 prefix) gives the same key.
    const pkcs8 = Buffer.concat([PKCS8_X25519_PREFIX, secretKey]);
    return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  }
}

/** A KeyObject for a raw 32-byte X25519 public key. */
export function x25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  const x = asBuffer(publicKey).toString("base64url");
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x }, format: "jwk" });
}

/** The raw 32 bytes of an X25519 public KeyObject (or of the public half of a private one). */
export function x25519RawPublicKey(key: KeyObject): Buffer {
  const jwk = (key.type === "private" ? createPublicKey(key) : key).export({ format: "jwk" });
  return Buffer.from(jwk.x ?? "", "base64url");
}

interface CachedKey {
  /** A copy of the caller's bytes when the entry was made: an in-place change of the array misses the cache. */
  readonly bytes: Buffer;
  readonly key: KeyObject;
  /** The raw public key (of the secret key, for a private entry). */
  readonly publicKey: Buffer;
}

// Imported keys, per caller array: an agent encrypts to the same recipients and decrypts with the same secret key
// many times, and an import costs an X25519 multiplication (secret) or a JWK round trip (public). A WeakMap entry
// lives only as long as the caller's array, so no key outlives the caller's own copy.
const privateKeys = new WeakMap<Uint8Array, CachedKey>();
const publicKeys = new WeakMap<Uint8Array, CachedKey>();

function cachedPrivateKey(secretKey: Uint8Array): CachedKey {
  const hit = privateKeys.get(secretKey);
  if (hit !== undefined && timingSafeEqual(hit.bytes, secretKey)) return hit;
  const key = x25519PrivateKeyObject(secretKey);
  const entry = { bytes: Buffer.from(secretKey), key, publicKey: x25519RawPublicKey(key) };
  privateKeys.set(secretKey, entry);
  return entry;
}

function cachedPublicKey(publicKey: Uint8Array): CachedKey {
  const hit = publicKeys.get(publicKey);
  if (hit !== undefined && hit.bytes.equals(publicKey)) return hit;
  const entry = {
    bytes: Buffer.from(publicKey),
    key: x25519PublicKeyObject(publicKey),
    publicKey: Buffer.from(publicKey),
  };
  publicKeys.set(publicKey, entry);
  return entry;
}

/** The X25519 public key of a raw 32-byte secret (RFC 7748, clamped). */
export function x25519PublicKeyFast(secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(x25519RawPublicKey(x25519PrivateKeyObject(secretKey)));
}

/** A fresh X25519 key pair from OpenSSL's generator, as raw bytes. */
export function x25519KeygenFast(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const jwk = generateKeyPairSync("x25519").privateKey.export({ format: "jwk" });
  return {
    secretKey: new Uint8Array(Buffer.from(jwk.d ?? "", "base64url")),
    publicKey: new Uint8Array(Buffer.from(jwk.x ?? "", "base64url")),
  };
}

/** DH(sk, pk) with the RFC 9180 §7.1.4 check: an all-zero output (a small-order public key) is an error. */
function dh(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch (e) {
    throw new Error("X25519 agreement failed (small-order public key)", { cause: e });
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new Error("X25519 agreement failed (small-order public key)");
  return shared;
}

/** ExtractAndExpand(dh, kem_context) of DHKEM(X25519, HKDF-SHA256): the 32-byte shared secret. */
function kemSharedSecret(dhOut: Buffer, enc: Uint8Array, pkR: Uint8Array): Buffer {
  const eaePrk = labeledExtract(KEM_SUITE_ID, EMPTY, LABEL.eaePrk, dhOut);
  return labeledExpand(KEM_SUITE_ID, eaePrk, LABEL.sharedSecret, Buffer.concat([enc, pkR]), 32);
}

/** KeySchedule in base mode: the AEAD key and base nonce (the exporter secret is not needed). */
function keySchedule(p: AeadParams, sharedSecret: Buffer, info: Uint8Array): { key: Buffer; nonce: Buffer } {
  const infoHash = labeledExtract(p.suiteId, EMPTY, LABEL.infoHash, info);
  const context = Buffer.concat([Buffer.from([MODE_BASE]), p.pskIdHash, infoHash]);
  const secret = labeledExtract(p.suiteId, sharedSecret, LABEL.secret, EMPTY);
  return {
    key: labeledExpand(p.suiteId, secret, LABEL.key, context, p.nk),
    nonce: labeledExpand(p.suiteId, secret, LABEL.baseNonce, context, NONCE_BYTES),
  };
}

/** Inputs of a single-shot HPKE base-mode seal with DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256. */
export interface HpkeSealInput {
  readonly recipientPublicKey: Uint8Array;
  readonly info: Uint8Array;
  readonly aad: Uint8Array;
  readonly plaintext: Uint8Array;
  readonly aead?: HpkeAead;
  /** Fixed ephemeral secret key, for known-answer tests only; random otherwise. */
  readonly ephemeralSecretKey?: Uint8Array;
}

/** Inputs of a single-shot HPKE base-mode open. */
export interface HpkeOpenInput {
  readonly recipientSecretKey: Uint8Array;
  readonly enc: Uint8Array;
  readonly info: Uint8Array;
  readonly aad: Uint8Array;
  readonly ct: Uint8Array;
  readonly aead?: HpkeAead;
}

/**
 * Single-shot HPKE base-mode seal (sequence 0), synchronously: returns the encapsulated key and the ciphertext with
 * its tag.
 * @throws RangeError for bad lengths; Error when the recipient key is a small-order point.
 */
export function hpkeSealSync(input: HpkeSealInput): { enc: Uint8Array; ct: Uint8Array } {
  assertBytes(input.recipientPublicKey, "recipientPublicKey", X25519_KEY_BYTES);
  assertBytes(input.info, "info");
  assertBytes(input.aad, "aad");
  assertBytes(input.plaintext, "plaintext");
  const p = aeadOf(input.aead);
  // Encap: an ephemeral key pair, DH with the recipient's key, enc = pkE.
  let skE: KeyObject;
  let pkE: KeyObject;
  if (input.ephemeralSecretKey === undefined) {
    ({ privateKey: skE, publicKey: pkE } = generateKeyPairSync("x25519"));
  } else {
    assertBytes(input.ephemeralSecretKey, "ephemeralSecretKey", X25519_KEY_BYTES);
    skE = x25519PrivateKeyObject(input.ephemeralSecretKey);
    pkE = createPublicKey(skE);
  }
  const enc = x25519RawPublicKey(pkE);
  const recipient = cachedPublicKey(input.recipientPublicKey);
  const shared = kemSharedSecret(dh(skE, recipient.key), enc, recipient.publicKey);
  // Sequence 0: the nonce is the base nonce.
  const { key, nonce } = keySchedule(p, shared, input.info);
  const cipher = createCipheriv(p.cipher, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(input.aad);
  const first = cipher.update(input.plaintext);
  const last = cipher.final();
  const ct = new Uint8Array(first.length + last.length + TAG_BYTES);
  ct.set(first, 0);
  ct.set(last, first.length);
  ct.set(cipher.getAuthTag(), first.length + last.length);
  return { enc: new Uint8Array(enc), ct };
}

/**
 * Single-shot HPKE base-mode open (sequence 0), synchronously.
 * @throws RangeError for bad lengths; Error when the ciphertext, `enc`, `info`, AAD or key does not match.
 */
export function hpkeOpenSync(input: HpkeOpenInput): Uint8Array {
  assertBytes(input.recipientSecretKey, "recipientSecretKey", X25519_KEY_BYTES);
  assertBytes(input.enc, "enc");
  assertBytes(input.info, "info");
  assertBytes(input.aad, "aad");
  assertBytes(input.ct, "ct");
  const p = aeadOf(input.aead);
  if (input.enc.length !== X25519_KEY_BYTES) throw new Error(`enc must be 32 bytes, got ${input.enc.length}`);
  if (input.ct.length < TAG_BYTES) throw new Error(`ciphertext of ${input.ct.length} bytes is shorter than its tag`);
  // Decap: DH(skR, pkE), kem_context = enc ‖ pkR.
  const recipient = cachedPrivateKey(input.recipientSecretKey);
  const shared = kemSharedSecret(dh(recipient.key, x25519PublicKeyObject(input.enc)), input.enc, recipient.publicKey);
  const { key, nonce } = keySchedule(p, shared, input.info);
  const body = input.ct.length - TAG_BYTES;
  const decipher = createDecipheriv(p.cipher, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(input.aad);
  decipher.setAuthTag(input.ct.subarray(body));
  let first: Buffer;
  let last: Buffer;
  try {
    first = decipher.update(input.ct.subarray(0, body));
    last = decipher.final();
  } catch (e) {
    throw new Error("HPKE open failed: AEAD authentication failed", { cause: e });
  }
  const pt = new Uint8Array(first.length + last.length);
  pt.set(first, 0);
  pt.set(last, first.length);
  return pt;
}
