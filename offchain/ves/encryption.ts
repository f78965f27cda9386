/**
 * VES-ENC-1 payload encryption as the reference code does it (ves-protocol.md §6): AES-256-GCM over
 * salt(16) ‖ JCS(payload) with the payload AAD, and the 32-byte DEK wrapped per recipient with RFC 9180 HPKE base mode
 * (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, info = payload AAD, empty seal AAD). HPKE runs on
 * node:crypto (`hpke.ts`); @hpke/core stays as the reference the tests compare it with (`hpke-reference.ts`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import {
  assertBytes,
  assertU32,
  bytesEqual,
  bytesToBase64Url,
  concatBytes,
  toPlainBytes,
  utf8Encode,
} from "./encoding";
import {
  DOMAIN,
  payloadAad,
  payloadCipherHash,
  payloadPlainHashSalted,
  recipientsHash,
  sha256,
  type EventContext,
  type RecipientEntry,
} from "./hash";
import {
  X25519_KEY_BYTES,
  hpkeOpenSync,
  hpkeSealSync,
  x25519KeygenFast,
  x25519PublicKeyFast,
  type HpkeOpenInput,
  type HpkeSealInput,
} from "./hpke";
import { jcsBytes, type JsonValue } from "./jcs";
import type { HpkeParamsWire, PayloadEncrypted, PayloadEncryptedWire } from "./types";

export type { HpkeAead, HpkeOpenInput, HpkeSealInput } from "./hpke";

/** The `hpke` object this implementation writes (§6.2). */
export const HPKE_PARAMS: Readonly<HpkeParamsWire> = Object.freeze({
  mode: "base",
  kem: "X25519-HKDF-SHA256",
  kdf: "HKDF-SHA256",
  aead: "AES-256-GCM",
});

/** The `enc_version` this implementation writes. */
export const ENC_VERSION = 1;
const SALT_BYTES = 16;
const DEK_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const EMPTY = new Uint8Array(0);
const PAYLOAD_PLAIN = utf8Encode(DOMAIN.PAYLOAD_PLAIN);

/** An X25519 key pair for receiving encrypted payloads. */
export interface X25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** The X25519 public key of a 32-byte secret (RFC 7748, clamped). */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, "X25519 secret key", X25519_KEY_BYTES);
  return x25519PublicKeyFast(secretKey);
}

/** Generates a random X25519 key pair. */
export function x25519Keygen(): X25519KeyPair {
  return x25519KeygenFast();
}

/** Single-shot HPKE base-mode seal (sequence 0); returns the encapsulated key and the ciphertext with its tag. */
export async function hpkeSeal(input: HpkeSealInput): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  return Promise.resolve(hpkeSealSync(input));
}

/**
 * Single-shot HPKE base-mode open (sequence 0).
 * @throws Error when the ciphertext, `enc`, `info`, AAD or key does not match.
 */
export async function hpkeOpen(input: HpkeOpenInput): Promise<Uint8Array> {
  return Promise.resolve(hpkeOpenSync(input));
}

/** AES-256-GCM encryption with a 16-byte tag; returns the ciphertext and the tag separately. */
export function aes256GcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  assertBytes(key, "AES-256 key", DEK_BYTES);
  assertBytes(nonce, "nonce", NONCE_BYTES);
  assertBytes(plaintext, "plaintext");
  assertBytes(aad, "aad");
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = toPlainBytes(Buffer.concat([cipher.update(plaintext), cipher.final()]));
  return { ciphertext, tag: toPlainBytes(cipher.getAuthTag()) };
}

/**
 * AES-256-GCM decryption of a ciphertext and its separate 16-byte tag.
 * @throws Error when authentication fails.
 */
export function aes256GcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  assertBytes(key, "AES-256 key", DEK_BYTES);
  assertBytes(nonce, "nonce", NONCE_BYTES);
  assertBytes(ciphertext, "ciphertext");
  assertBytes(tag, "tag", TAG_BYTES);
  assertBytes(aad, "aad");
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return toPlainBytes(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

/** A recipient of an encrypted payload: its key id and X25519 public key. */
export interface EncryptionRecipient {
  readonly kid: number;
  readonly publicKey: Uint8Array;
}

/** Fixed randomness for known-answer vectors; every omitted value is drawn from the CSPRNG. */
export interface EncryptionRandomness {
  readonly salt?: Uint8Array;
  readonly dek?: Uint8Array;
  readonly nonce?: Uint8Array;
  /** One ephemeral X25519 secret per recipient, in ascending kid order. */
  readonly ephemeralSecretKeys?: readonly Uint8Array[];
}

/** Inputs of `encryptPayload`. */
export interface EncryptPayloadInput {
  /** Any JSON value; checked at run time like `jcs` input. */
  readonly payload: unknown;
  /** The event fields bound into the AAD. */
  readonly context: EventContext;
  readonly recipients: readonly EncryptionRecipient[];
  readonly randomness?: EncryptionRandomness;
}

/** Everything `encryptPayload` produces for the envelope. */
export interface EncryptPayloadResult {
  readonly payloadEncrypted: PayloadEncryptedWire;
  /** The salted plain hash that goes into `payload_plain_hash`. */
  readonly payloadPlainHash: Uint8Array;
  readonly payloadAad: Uint8Array;
  readonly recipientsHash: Uint8Array;
  readonly payloadCipherHash: Uint8Array;
  readonly salt: Uint8Array;
}

function randomOr(given: Uint8Array | undefined, random: Uint8Array, name: string): Uint8Array {
  if (given === undefined) return toPlainBytes(random);
  assertBytes(given, name, random.length);
  return given;
}

/**
 * Encrypts a payload for the recipients (sorted by kid, which must be unique) and returns `payload_encrypted` with
 * the salted plain hash, the AAD, the recipients hash and the cipher hash.
 * @throws TypeError/RangeError for bad recipients, keys or fixed randomness; TypeError for a non-JSON payload.
 */
export async function encryptPayload(input: EncryptPayloadInput): Promise<EncryptPayloadResult> {
  // 1. Recipients: at least one, u32 kids, unique, ascending; 32-byte X25519 keys.
  if (!Array.isArray(input.recipients) || input.recipients.length === 0) {
    throw new RangeError("an encrypted payload needs at least one recipient");
  }
  const recipients = [...input.recipients].sort((a, b) => a.kid - b.kid);
  recipients.forEach((r, i) => {
    assertU32(r.kid, `recipients[${i}].kid`);
    assertBytes(r.publicKey, `recipient ${r.kid} public key`, X25519_KEY_BYTES);
    if (i > 0 && recipients[i - 1]?.kid === r.kid) throw new RangeError(`duplicate recipient kid ${r.kid}`);
  });
  const rnd = input.randomness ?? {};
  if (rnd.ephemeralSecretKeys !== undefined && rnd.ephemeralSecretKeys.length !== recipients.length) {
    throw new RangeError(`need ${recipients.length} ephemeral keys, got ${rnd.ephemeralSecretKeys.length}`);
  }
  // 2. Randomness: salt, DEK and nonce.
  // One CSPRNG call for all three (each value a copy of its own: they leave in the result).
  const drawn = randomBytes(SALT_BYTES + DEK_BYTES + NONCE_BYTES);
  const salt = randomOr(rnd.salt, drawn.subarray(0, SALT_BYTES), "salt");
  const dek = randomOr(rnd.dek, drawn.subarray(SALT_BYTES, SALT_BYTES + DEK_BYTES), "dek");
  const nonce = randomOr(rnd.nonce, drawn.subarray(SALT_BYTES + DEK_BYTES), "nonce");
  // 3. Salted plain hash and AAD (the AAD binds the claimed plain hash).
  const canonical = jcsBytes(input.payload);
  // payloadPlainHashSalted(payload, salt), on the canonical bytes already at hand.
  const plainHash = sha256(PAYLOAD_PLAIN, salt, canonical);
  const aad = payloadAad(input.context, plainHash);
  // 4. Content encryption: AES-256-GCM(salt ‖ JCS(payload)) with AAD = payload AAD.
  const { ciphertext, tag } = aes256GcmSeal(dek, nonce, concatBytes(salt, canonical), aad);
  // 5. Key wrapping: HPKE seal of the DEK per recipient, info = AAD, empty seal AAD.
  const entries: RecipientEntry[] = [];
  for (const [i, r] of recipients.entries()) {
    const ephemeralSecretKey = rnd.ephemeralSecretKeys?.[i];
    const sealed = hpkeSealSync({
      recipientPublicKey: r.publicKey,
      info: aad,
      aad: EMPTY,
      plaintext: dek,
      ...(ephemeralSecretKey === undefined ? {} : { ephemeralSecretKey }),
    });
    entries.push({ recipientKid: r.kid, enc: sealed.enc, ct: sealed.ct });
  }
  // 6. Recipients hash and cipher hash.
  const rHash = recipientsHash(entries);
  const cHash = payloadCipherHash({ nonce, payloadAad: aad, ciphertext, tag, recipientsHash: rHash });
  return {
    payloadEncrypted: {
      enc_version: ENC_VERSION,
      aead: HPKE_PARAMS.aead,
      nonce_b64u: bytesToBase64Url(nonce),
      ciphertext_b64u: bytesToBase64Url(ciphertext),
      tag_b64u: bytesToBase64Url(tag),
      hpke: { ...HPKE_PARAMS },
      recipients: entries.map((e) => ({
        recipient_kid: e.recipientKid,
        enc_b64u: bytesToBase64Url(e.enc),
        ct_b64u: bytesToBase64Url(e.ct),
      })),
    },
    payloadPlainHash: plainHash,
    payloadAad: aad,
    recipientsHash: rHash,
    payloadCipherHash: cHash,
    salt,
  };
}

/** Why a recipient could not recover a payload. */
export type DecryptFailure =
  "recipient_not_found" | "key_unwrap_failed" | "decryption_failed" | "invalid_plaintext" | "invalid_payload_hash";

/** Outcome of `decryptPayload`. */
export type DecryptResult =
  | { readonly ok: true; readonly payload: JsonValue; readonly salt: Uint8Array }
  | { readonly ok: false; readonly reason: DecryptFailure; readonly message: string };

/** Inputs of `decryptPayload`. */
export interface DecryptPayloadInput {
  readonly payloadEncrypted: PayloadEncrypted;
  readonly context: EventContext;
  /** The envelope's claimed (salted) `payload_plain_hash`, bound into the AAD and checked at the end. */
  readonly payloadPlainHash: Uint8Array;
  readonly recipientKid: number;
  readonly recipientSecretKey: Uint8Array;
}

const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * Decrypts an encrypted payload as one recipient (§6.4): unwrap the DEK with HPKE, AES-GCM-open the content, split
 * the salt, parse the JSON and check H(PLAIN ‖ salt ‖ JCS(payload)) against the claimed plain hash.
 */
export async function decryptPayload(input: DecryptPayloadInput): Promise<DecryptResult> {
  assertU32(input.recipientKid, "recipientKid");
  assertBytes(input.recipientSecretKey, "recipientSecretKey", X25519_KEY_BYTES);
  assertBytes(input.payloadPlainHash, "payloadPlainHash", 32);
  const pe = input.payloadEncrypted;
  // 1. Find the recipient entry by kid.
  const entry = pe.recipients.find((r) => r.recipientKid === input.recipientKid);
  if (entry === undefined) {
    return { ok: false, reason: "recipient_not_found", message: `no recipient with kid ${input.recipientKid}` };
  }
  const aad = payloadAad(input.context, input.payloadPlainHash);
  // 2. HPKE-open the DEK with info = AAD and an empty AAD.
  let dek: Uint8Array;
  try {
    dek = hpkeOpenSync({
      recipientSecretKey: input.recipientSecretKey,
      enc: entry.enc,
      info: aad,
      aad: EMPTY,
      ct: entry.ct,
    });
  } catch (e) {
    return { ok: false, reason: "key_unwrap_failed", message: `HPKE open failed: ${(e as Error).message}` };
  }
  if (dek.length !== DEK_BYTES) {
    return { ok: false, reason: "key_unwrap_failed", message: `unwrapped DEK is ${dek.length} bytes, not 32` };
  }
  // 3. AES-256-GCM-open ct ‖ tag with the AAD.
  let plaintext: Uint8Array;
  try {
    plaintext = aes256GcmOpen(dek, pe.nonce, pe.ciphertext, pe.tag, aad);
  } catch {
    return { ok: false, reason: "decryption_failed", message: "AES-256-GCM authentication failed" };
  }
  // 4. Split off the salt and parse the JSON.
  if (plaintext.length <= SALT_BYTES) {
    return { ok: false, reason: "invalid_plaintext", message: `plaintext of ${plaintext.length} bytes has no JSON` };
  }
  const salt = plaintext.slice(0, SALT_BYTES);
  let payload: JsonValue;
  let rehash: Uint8Array;
  try {
    payload = JSON.parse(utf8Fatal.decode(plaintext.subarray(SALT_BYTES))) as JsonValue;
    rehash = payloadPlainHashSalted(payload, salt);
  } catch (e) {
    return { ok: false, reason: "invalid_plaintext", message: `payload is not JSON: ${(e as Error).message}` };
  }
  // 5. Check the salted plain hash of the re-canonicalized payload.
  if (!bytesEqual(rehash, input.payloadPlainHash)) {
    return { ok: false, reason: "invalid_payload_hash", message: "salted payload hash does not match" };
  }
  return { ok: true, payload, salt };
}
