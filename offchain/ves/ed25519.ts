/**
 * Ed25519 (RFC 8032, pure, no context) behind one interface with two implementations: a fast path on node:crypto
 * (OpenSSL) and a portable path on @noble/curves. Both verify the way the reference's ed25519-dalek `verify` does
 * (ves-protocol.md §5.1): canonical S required, keys decoded even from non-canonical encodings, the cofactorless
 * equation compared on R's bytes, no small-order key rejection; the tests hold both to identical results on random
 * and crafted inputs (non-canonical S, A and R, small- and mixed-order keys).
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { createRequire } from "node:module";

import type * as NobleCurves from "@noble/curves/ed25519.js";
import type * as NobleSha2 from "@noble/hashes/sha2.js";

import { assertBytes, bytesEqual, bytesToHex, toPlainBytes } from "./encoding";

/** Secret seed, public key and signature sizes in bytes. */
export const ED25519_SECRET_KEY_BYTES = 32;
/** Size of an Ed25519 public key in bytes. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
/** Size of an Ed25519 signature in bytes. */
export const ED25519_SIGNATURE_BYTES = 64;

/** A signer bound to one secret key (implementations may cache key material). */
export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  /** Signs the message (for VES, the 32-byte event signing hash). */
  sign(message: Uint8Array): Uint8Array;
}

/** One Ed25519 implementation: key derivation, signing and dalek-compatible verification. */
export interface Ed25519 {
  readonly name: "node" | "noble";
  /** The 32-byte public key of a 32-byte secret seed. */
  publicKey(secretKey: Uint8Array): Uint8Array;
  /** Deterministic signature of `message` under the seed. */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** True iff `signature` is valid for `message` under `publicKey`; false for any malformed key or signature. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** A signer that keeps the prepared key, for signing many messages with one key. */
  signer(secretKey: Uint8Array): Ed25519Signer;
}

/** A freshly generated Ed25519 key pair. */
export interface Ed25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

const PKCS8_PREFIX = Uint8Array.from(Buffer.from("302e020100300506032b657004220420", "hex"));
const SPKI_PREFIX = Uint8Array.from(Buffer.from("302a300506032b6570032100", "hex"));
/** L, the order of the base point (RFC 8032 §5.1): 2^252 + 27742317777372353535851937790883648493. */
const CURVE_ORDER = (1n << 252n) + 27742317777372353535851937790883648493n;
const PUBLIC_KEY_CACHE_LIMIT = 1024;

function checkSecret(secretKey: Uint8Array): void {
  assertBytes(secretKey, "Ed25519 secret key", ED25519_SECRET_KEY_BYTES);
}

function checkVerifyInputs(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void {
  assertBytes(signature, "Ed25519 signature", ED25519_SIGNATURE_BYTES);
  assertBytes(message, "message");
  assertBytes(publicKey, "Ed25519 public key", ED25519_PUBLIC_KEY_BYTES);
}

function nodePrivateKey(secretKey: Uint8Array): KeyObject {
  checkSecret(secretKey);
  const der = new Uint8Array(PKCS8_PREFIX.length + 32);
  der.set(PKCS8_PREFIX);
  der.set(secretKey, PKCS8_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
}

function nodePublicKeyBytes(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return toPlainBytes(spki.subarray(spki.length - ED25519_PUBLIC_KEY_BYTES));
}

const publicKeyCache = new Map<string, KeyObject>();

function nodePublicKey(publicKey: Uint8Array): KeyObject {
  const id = bytesToHex(publicKey);
  const cached = publicKeyCache.get(id);
  if (cached !== undefined) return cached;
  const der = new Uint8Array(SPKI_PREFIX.length + 32);
  der.set(SPKI_PREFIX);
  der.set(publicKey, SPKI_PREFIX.length);
  const key = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) {
    const oldest = publicKeyCache.keys().next();
    if (oldest.done !== true) publicKeyCache.delete(oldest.value);
  }
  publicKeyCache.set(id, key);
  return key;
}

/** Ed25519 on node:crypto (OpenSSL): the fast path. */
export const ed25519Node: Ed25519 = {
  name: "node",
  publicKey(secretKey) {
    return nodePublicKeyBytes(nodePrivateKey(secretKey));
  },
  sign(message, secretKey) {
    assertBytes(message, "message");
    return toPlainBytes(nodeSign(null, message, nodePrivateKey(secretKey)));
  },
  verify(signature, message, publicKey) {
    checkVerifyInputs(signature, message, publicKey);
    try {
      return nodeVerify(null, message, nodePublicKey(publicKey), signature);
    } catch {
      return false;
    }
  },
  signer(secretKey) {
    const key = nodePrivateKey(secretKey);
    const publicKey = nodePublicKeyBytes(key);
    return {
      publicKey,
      sign(message) {
        assertBytes(message, "message");
        return toPlainBytes(nodeSign(null, message, key));
      },
    };
  },
};

function bytesToBigintLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

/**
 * RFC 8032 §5.1.7 verification in its cofactorless form, as ed25519-dalek `verify` and OpenSSL do it: decode A
 * (non-canonical y accepted), require S < L, and compare the encoding of [S]B - [k]A with R's bytes.
 */
// @noble/curves loads on the portable path's first use, not with this module: the node path needs none of it, and
// loading it is most of a CLI's start (issue 17).
const lazyRequire = createRequire(__filename);
let nobleModules:
  { readonly ed25519: typeof NobleCurves.ed25519; readonly sha512: typeof NobleSha2.sha512 } | undefined;
function noble(): NonNullable<typeof nobleModules> {
  nobleModules ??= {
    ed25519: (lazyRequire("@noble/curves/ed25519.js") as typeof NobleCurves).ed25519,
    sha512: (lazyRequire("@noble/hashes/sha2.js") as typeof NobleSha2).sha512,
  };
  return nobleModules;
}

function nobleVerifyCofactorless(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const rBytes = signature.subarray(0, 32);
  const s = bytesToBigintLE(signature.subarray(32, 64));
  if (s >= CURVE_ORDER) return false;
  const { ed25519: nobleEd25519, sha512 } = noble();
  let a;
  try {
    a = nobleEd25519.Point.fromBytes(publicKey, true);
  } catch {
    return false;
  }
  const h = new Uint8Array(64 + message.length);
  h.set(rBytes, 0);
  h.set(publicKey, 32);
  h.set(message, 64);
  const k = bytesToBigintLE(sha512(h)) % CURVE_ORDER;
  const expectedR = nobleEd25519.Point.BASE.multiplyUnsafe(s).subtract(a.multiplyUnsafe(k));
  return bytesEqual(expectedR.toBytes(), rBytes);
}

/** Ed25519 on @noble/curves: the portable path, with the same verification rule as the node path. */
export const ed25519Noble: Ed25519 = {
  name: "noble",
  publicKey(secretKey) {
    checkSecret(secretKey);
    return noble().ed25519.getPublicKey(secretKey);
  },
  sign(message, secretKey) {
    checkSecret(secretKey);
    assertBytes(message, "message");
    return noble().ed25519.sign(message, secretKey);
  },
  verify(signature, message, publicKey) {
    checkVerifyInputs(signature, message, publicKey);
    return nobleVerifyCofactorless(signature, message, publicKey);
  },
  signer(secretKey) {
    checkSecret(secretKey);
    const seed = toPlainBytes(secretKey);
    const nobleEd25519 = noble().ed25519;
    const publicKey = nobleEd25519.getPublicKey(seed);
    return {
      publicKey,
      sign(message) {
        assertBytes(message, "message");
        return nobleEd25519.sign(message, seed);
      },
    };
  },
};

/** The default implementation (node:crypto). */
export const defaultEd25519: Ed25519 = ed25519Node;

/** Generates a random Ed25519 key pair (32-byte seed and public key). */
export function ed25519Keygen(impl: Ed25519 = defaultEd25519): Ed25519KeyPair {
  const secretKey = toPlainBytes(randomBytes(ED25519_SECRET_KEY_BYTES));
  return { secretKey, publicKey: impl.publicKey(secretKey) };
}
