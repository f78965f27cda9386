/**
 * Differential tests of the node:crypto HPKE path (`hpkeSeal`/`hpkeOpen`, used by VES-ENC-1) against the reference,
 * @hpke/core (`hpkeSealReference`/`hpkeOpenReference`), on random inputs from a fixed seed: byte-identical output for
 * a fixed ephemeral key, each side opening the other's output, and both refusing the same tampered inputs and
 * small-order keys. Also the X25519 public keys against @noble/curves and an in-place change of a cached key.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  bytesToHex,
  hpkeOpen,
  hpkeOpenReference,
  hpkeSeal,
  hpkeSealReference,
  x25519Keygen,
  x25519PublicKey,
  x25519PublicKeyReference,
  type HpkeAead,
} from "../../../offchain/ves";
import { fcOptions } from "./support/fc";

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const key = () => fc.uint8Array({ minLength: 32, maxLength: 32 });
const aead = () => fc.constantFrom<HpkeAead>("AES-256-GCM", "AES-128-GCM");

/** Resolves to "ok" or "refused" (the error itself differs between the libraries). */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    () => "refused",
  );

// Points of order 1, 2, 4 and 8 on Curve25519 (and a non-canonical encoding of one): every agreement with them is
// all zero, which RFC 9180 §7.1.4 requires the KEM to refuse.
const SMALL_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((h) => Uint8Array.from(Buffer.from(h, "hex")));

describe("ves HPKE: node:crypto path against @hpke/core", function () {
  this.timeout(60_000);

  it("derives the same X25519 public keys as @noble/curves", function () {
    fc.assert(
      fc.property(key(), (sk) => {
        expect(bytesToHex(x25519PublicKey(sk))).to.equal(bytesToHex(x25519PublicKeyReference(sk)));
      }),
      fcOptions(50),
    );
  });

  it("seals byte for byte like @hpke/core with a fixed ephemeral key, and each opens the other's output", async function () {
    await fc.assert(
      fc.asyncProperty(
        key(),
        key(),
        bytes(0, 64),
        bytes(0, 32),
        bytes(0, 80),
        aead(),
        async (skR, skE, info, aad, plaintext, suite) => {
          const pkR = x25519PublicKey(skR);
          const input = { recipientPublicKey: pkR, info, aad, plaintext, aead: suite, ephemeralSecretKey: skE };
          const fast = await hpkeSeal(input);
          const ref = await hpkeSealReference(input);
          expect(bytesToHex(fast.enc)).to.equal(bytesToHex(ref.enc));
          expect(bytesToHex(fast.ct)).to.equal(bytesToHex(ref.ct));
          const open = { recipientSecretKey: skR, info, aad, aead: suite };
          expect(bytesToHex(await hpkeOpen({ ...open, ...ref }))).to.equal(bytesToHex(plaintext));
          expect(bytesToHex(await hpkeOpenReference({ ...open, ...fast }))).to.equal(bytesToHex(plaintext));
        },
      ),
      fcOptions(150),
    );
  });

  it("opens with random ephemeral keys in both directions", async function () {
    await fc.assert(
      fc.asyncProperty(bytes(0, 48), bytes(0, 48), aead(), async (info, plaintext, suite) => {
        const recipient = x25519Keygen();
        const input = { recipientPublicKey: recipient.publicKey, info, aad: new Uint8Array(0), plaintext, aead: suite };
        const open = { recipientSecretKey: recipient.secretKey, info, aad: new Uint8Array(0), aead: suite };
        const fast = await hpkeSeal(input);
        const ref = await hpkeSealReference(input);
        expect(bytesToHex(await hpkeOpenReference({ ...open, ...fast }))).to.equal(bytesToHex(plaintext));
        expect(bytesToHex(await hpkeOpen({ ...open, ...ref }))).to.equal(bytesToHex(plaintext));
      }),
      fcOptions(100),
    );
  });

  it("refuses exactly what @hpke/core refuses: a changed enc, ct, info, AAD or key", async function () {
    const recipient = x25519Keygen();
    const other = x25519Keygen();
    const info = Uint8Array.of(1, 2, 3);
    const aad = Uint8Array.of(4, 5);
    const sealed = await hpkeSeal({
      recipientPublicKey: recipient.publicKey,
      info,
      aad,
      plaintext: new Uint8Array(32),
    });
    const base = { recipientSecretKey: recipient.secretKey, enc: sealed.enc, ct: sealed.ct, info, aad };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("enc", "ct", "info", "aad", "key"), fc.nat(), async (what, at) => {
        const flip = (b: Uint8Array) => {
          const out = Uint8Array.from(b.length === 0 ? [0] : b);
          out[at % out.length] = (out[at % out.length] as number) ^ (1 << (at % 8));
          return out;
        };
        const input =
          what === "key"
            ? { ...base, recipientSecretKey: other.secretKey }
            : { ...base, [what]: flip(base[what as "enc" | "ct" | "info" | "aad"]) };
        const [fast, ref] = [await outcome(hpkeOpen(input)), await outcome(hpkeOpenReference(input))];
        expect(fast, what).to.equal(ref);
        // A flipped bit of enc may only change it to another valid point; every other change must be refused.
        if (what !== "enc") expect(fast, what).to.equal("refused");
      }),
      fcOptions(60),
    );
  });

  it("refuses small-order recipient keys and encapsulated keys, as @hpke/core does", async function () {
    const recipient = x25519Keygen();
    const info = new Uint8Array(0);
    const aad = new Uint8Array(0);
    for (const point of SMALL_ORDER) {
      const seal = { recipientPublicKey: point, info, aad, plaintext: new Uint8Array(32) };
      expect(await outcome(hpkeSeal(seal))).to.equal("refused");
      expect(await outcome(hpkeSealReference(seal))).to.equal("refused");
      const open = { recipientSecretKey: recipient.secretKey, enc: point, ct: new Uint8Array(48), info, aad };
      expect(await outcome(hpkeOpen(open))).to.equal("refused");
      expect(await outcome(hpkeOpenReference(open))).to.equal("refused");
    }
  });

  it("does not reuse a cached key after the caller changes its bytes in place", async function () {
    const a = x25519Keygen();
    const b = x25519Keygen();
    const info = new Uint8Array(0);
    const aad = new Uint8Array(0);
    const plaintext = new Uint8Array(32).fill(9);
    // One array, first holding a's public key, then b's: the second seal must be to b.
    const recipientPublicKey = Uint8Array.from(a.publicKey);
    const toA = await hpkeSeal({ recipientPublicKey, info, aad, plaintext });
    recipientPublicKey.set(b.publicKey);
    const toB = await hpkeSeal({ recipientPublicKey, info, aad, plaintext });
    expect(await outcome(hpkeOpenReference({ recipientSecretKey: a.secretKey, ...toA, info, aad }))).to.equal("ok");
    expect(await outcome(hpkeOpenReference({ recipientSecretKey: b.secretKey, ...toB, info, aad }))).to.equal("ok");
    // The same for the recipient's secret key.
    const secret = Uint8Array.from(a.secretKey);
    expect(await outcome(hpkeOpen({ recipientSecretKey: secret, ...toA, info, aad }))).to.equal("ok");
    secret.set(b.secretKey);
    expect(await outcome(hpkeOpen({ recipientSecretKey: secret, ...toA, info, aad }))).to.equal("refused");
    expect(await outcome(hpkeOpen({ recipientSecretKey: secret, ...toB, info, aad }))).to.equal("ok");
  });
});
