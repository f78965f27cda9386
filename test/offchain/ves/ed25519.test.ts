/**
 * Tests of the two Ed25519 paths: RFC 8032 and §12.1 vectors, identical keys and signatures on random input, and
 * identical dalek-style verification on crafted edge cases (non-canonical S and A, small- and mixed-order keys).
 */
import { createHash } from "node:crypto";

import { ed25519 as noble } from "@noble/curves/ed25519.js";
import { expect } from "chai";
import * as fc from "fast-check";

import { bytesToHex, ed25519Keygen, ed25519Node, ed25519Noble, hexToBytes, type Ed25519 } from "../../../offchain/ves";
import repo from "../../vectors/ves-protocol-repo.json";
import rfc8032 from "../../vectors/ves-rfc8032.json";
import { fcOptions } from "./support/fc";

const IMPLS: Ed25519[] = [ed25519Node, ed25519Noble];
const L = noble.Point.Fn.ORDER;
const P = 2n ** 255n - 19n;

function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

function leToBigint(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString("hex") || "0"}`);
}

/** Verification result of both paths, which must agree. */
function verifyBoth(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const [a, b] = IMPLS.map((impl) => impl.verify(signature, message, publicKey));
  expect(a, "node and noble disagree").to.equal(b);
  return a as boolean;
}

describe("ves ed25519", function () {
  for (const impl of IMPLS) {
    describe(`${impl.name} path`, function () {
      it("reproduces RFC 8032 §7.1 keys and signatures", function () {
        for (const v of rfc8032.vectors) {
          const sk = hexToBytes(v.secret_key);
          const msg = hexToBytes(v.message);
          expect(bytesToHex(impl.publicKey(sk)), v.name).to.equal(v.public_key);
          expect(bytesToHex(impl.sign(msg, sk)), v.name).to.equal(v.signature);
          expect(bytesToHex(impl.signer(sk).sign(msg)), v.name).to.equal(v.signature);
          expect(impl.verify(hexToBytes(v.signature), msg, hexToBytes(v.public_key)), v.name).to.equal(true);
        }
      });

      it("derives the §12.1 public keys", function () {
        for (const v of repo.ed25519) {
          expect(bytesToHex(impl.publicKey(hexToBytes(v.secret_key)))).to.equal(v.public_key);
          expect(bytesToHex(impl.signer(hexToBytes(v.secret_key)).publicKey)).to.equal(v.public_key);
        }
      });

      it("rejects inputs of the wrong size with a RangeError", function () {
        const z = new Uint8Array(32);
        expect(() => impl.publicKey(new Uint8Array(31))).to.throw(RangeError, "32 bytes");
        expect(() => impl.sign(z, new Uint8Array(64))).to.throw(RangeError, "32 bytes");
        expect(() => impl.verify(new Uint8Array(63), z, z)).to.throw(RangeError, "64 bytes");
        expect(() => impl.verify(new Uint8Array(64), z, new Uint8Array(33))).to.throw(RangeError, "32 bytes");
        expect(() => impl.sign("abc" as unknown as Uint8Array, z)).to.throw(TypeError);
      });
    });
  }

  it("gives identical keys and signatures on both paths, and both verify them", function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), (sk, msg) => {
        const pk = ed25519Node.publicKey(sk);
        expect(bytesToHex(ed25519Noble.publicKey(sk))).to.equal(bytesToHex(pk));
        const sig = ed25519Node.sign(msg, sk);
        expect(bytesToHex(ed25519Noble.sign(msg, sk))).to.equal(bytesToHex(sig));
        expect(verifyBoth(sig, msg, pk)).to.equal(true);
      }),
      fcOptions(40),
    );
  });

  it("rejects any single-bit change of signature, message or key on both paths", function () {
    const sk = hexToBytes(repo.ed25519[0]?.secret_key ?? "");
    const pk = ed25519Node.publicKey(sk);
    const msg = createHash("sha256").update("event signing hash").digest();
    const sig = ed25519Node.sign(msg, sk);
    fc.assert(
      fc.property(
        fc.constantFrom("signature", "message", "key"),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (what, at, bit) => {
          const s = Uint8Array.from(sig);
          const m = Uint8Array.from(msg);
          const k = Uint8Array.from(pk);
          const target = what === "signature" ? s : what === "message" ? m : k;
          target[at % target.length] = (target[at % target.length] as number) ^ (1 << bit);
          expect(verifyBoth(s, m, k)).to.equal(false);
        },
      ),
      fcOptions(60),
    );
  });

  describe("edge cases, decided as ed25519-dalek verify and OpenSSL do", function () {
    const msg = Uint8Array.of(1, 2, 3);

    it("rejects a non-canonical S (S + L)", function () {
      const sk = hexToBytes(rfc8032.vectors[0]?.secret_key ?? "");
      const pk = ed25519Node.publicKey(sk);
      const sig = ed25519Node.sign(msg, sk);
      const s = leToBigint(sig.subarray(32));
      const malleated = new Uint8Array([...sig.subarray(0, 32), ...le32(s + L)]);
      expect(verifyBoth(sig, msg, pk)).to.equal(true);
      expect(verifyBoth(malleated, msg, pk)).to.equal(false);
    });

    it("accepts R = [S]B under the identity key (no small-order key rejection), on both paths", function () {
      const identity = noble.Point.ZERO.toBytes();
      const sig = new Uint8Array([...noble.Point.BASE.multiply(12345n).toBytes(), ...le32(12345n)]);
      expect(verifyBoth(sig, msg, identity)).to.equal(true);
    });

    it("accepts a non-canonical encoding of a key, hashing its raw bytes", function () {
      const nonCanonicalIdentity = le32(P + 1n);
      const sig = new Uint8Array([...noble.Point.BASE.multiply(777n).toBytes(), ...le32(777n)]);
      expect(verifyBoth(sig, msg, nonCanonicalIdentity)).to.equal(true);
    });

    it("rejects a non-canonical encoding of R", function () {
      const sig = new Uint8Array([...le32(P + 1n), ...le32(0n)]);
      const canonical = new Uint8Array([...noble.Point.ZERO.toBytes(), ...le32(0n)]);
      expect(verifyBoth(canonical, msg, noble.Point.ZERO.toBytes())).to.equal(true);
      expect(verifyBoth(sig, msg, noble.Point.ZERO.toBytes())).to.equal(false);
    });

    it("uses the cofactorless equation for mixed-order keys, like OpenSSL", function () {
      // A = a·B + T with T of order 8: honest-looking signatures verify only when k ≡ 0 (mod 8).
      const torsion = noble.Point.fromHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
      const { scalar } = noble.utils.getExtendedPublicKey(new Uint8Array(32).fill(9));
      const aBytes = noble.Point.BASE.multiply(scalar).add(torsion).toBytes();
      let accepted = 0;
      for (let i = 1; i <= 24; i++) {
        const m = Uint8Array.of(i);
        const r = 1000n + BigInt(i);
        const rBytes = noble.Point.BASE.multiply(r).toBytes();
        const h = createHash("sha512").update(rBytes).update(aBytes).update(m).digest();
        const k = leToBigint(h) % L;
        const sig = new Uint8Array([...rBytes, ...le32((r + k * scalar) % L)]);
        const ok = verifyBoth(sig, m, aBytes);
        expect(ok, `k mod 8 = ${k % 8n}`).to.equal(k % 8n === 0n);
        if (ok) accepted++;
      }
      expect(accepted).to.be.lessThan(24);
    });

    it("returns false for a key that is not on the curve", function () {
      let y = 2n;
      while (noble.utils.isValidPublicKey(le32(y), true)) y++;
      const sk = hexToBytes(rfc8032.vectors[0]?.secret_key ?? "");
      expect(verifyBoth(ed25519Node.sign(msg, sk), msg, le32(y))).to.equal(false);
    });
  });

  it("generates working key pairs", function () {
    for (const impl of IMPLS) {
      const { secretKey, publicKey } = ed25519Keygen(impl);
      expect(secretKey).to.have.length(32);
      const sig = impl.sign(msg32(), secretKey);
      expect(verifyBoth(sig, msg32(), publicKey)).to.equal(true);
    }
  });
});

function msg32(): Uint8Array {
  return new Uint8Array(32).fill(0xab);
}
