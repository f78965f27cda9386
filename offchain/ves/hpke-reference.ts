/**
 * The reference HPKE path: RFC 9180 base mode through @hpke/core (WebCrypto), as VES-ENC-1 ran before the
 * node:crypto implementation in `hpke.ts`. Tests compare the two byte for byte and the benchmark prints this path as
 * the baseline; production code calls `hpke.ts`.
 */
import type { webcrypto } from "node:crypto";
import { createRequire } from "node:module";

import type { CipherSuite } from "@hpke/core";
import type * as NobleCurves from "@noble/curves/ed25519.js";

import { assertBytes, toPlainBytes } from "./encoding";
import { X25519_KEY_BYTES, type HpkeAead, type HpkeOpenInput, type HpkeSealInput } from "./hpke";

let suites: Promise<Record<HpkeAead, CipherSuite>> | undefined;

/** The two suites, with @hpke/core loaded on first use (the CLIs that import offchain/ves never pay for it). */
async function suiteFor(aead: HpkeAead | undefined): Promise<CipherSuite> {
  suites ??= import("@hpke/core").then(({ Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 }) => ({
    "AES-128-GCM": new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() }),
    "AES-256-GCM": new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() }),
  }));
  return (await suites)[aead ?? "AES-256-GCM"];
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return toPlainBytes(bytes).buffer as ArrayBuffer;
}

/** The X25519 public key of a 32-byte secret through @noble/curves. */
export function x25519PublicKeyReference(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, "X25519 secret key", X25519_KEY_BYTES);
  // @noble/curves loads here, on first use, like @hpke/core above.
  const { x25519 } = createRequire(__filename)("@noble/curves/ed25519.js") as typeof NobleCurves;
  return x25519.getPublicKey(secretKey);
}

/** Single-shot HPKE base-mode seal (sequence 0) through @hpke/core. */
export async function hpkeSealReference(input: HpkeSealInput): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  assertBytes(input.recipientPublicKey, "recipientPublicKey", X25519_KEY_BYTES);
  const suite = await suiteFor(input.aead);
  const recipientPublicKey = await suite.kem.importKey("raw", toArrayBuffer(input.recipientPublicKey), true);
  let ekm: webcrypto.CryptoKeyPair | undefined;
  if (input.ephemeralSecretKey !== undefined) {
    const publicBytes = x25519PublicKeyReference(input.ephemeralSecretKey);
    ekm = {
      privateKey: await suite.kem.importKey("raw", toArrayBuffer(input.ephemeralSecretKey), false),
      publicKey: await suite.kem.importKey("raw", toArrayBuffer(publicBytes), true),
    };
  }
  const sealed = await suite.seal(
    { recipientPublicKey, info: input.info, ...(ekm === undefined ? {} : { ekm }) },
    input.plaintext,
    input.aad,
  );
  return { enc: new Uint8Array(sealed.enc), ct: new Uint8Array(sealed.ct) };
}

/**
 * Single-shot HPKE base-mode open (sequence 0) through @hpke/core.
 * @throws the library's error when the ciphertext, `enc`, `info` or key does not match.
 */
export async function hpkeOpenReference(input: HpkeOpenInput): Promise<Uint8Array> {
  assertBytes(input.recipientSecretKey, "recipientSecretKey", X25519_KEY_BYTES);
  const suite = await suiteFor(input.aead);
  const recipientKey = await suite.kem.importKey("raw", toArrayBuffer(input.recipientSecretKey), false);
  const pt = await suite.open({ recipientKey, enc: input.enc, info: input.info }, input.ct, input.aad);
  return new Uint8Array(pt);
}
