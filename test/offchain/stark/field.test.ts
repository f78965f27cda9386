/**
 * Tests of the KoalaBear base field and its degree-4 extension: constants, arithmetic against BigInt, inverses,
 * roots of unity and the extension's defining relation.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import { field as F } from "../../../offchain/stark";
import { fcOptions } from "./support/fixtures";

const p = BigInt(F.P);
const felt = fc.integer({ min: 0, max: F.P - 1 });
const extArb = fc.tuple(felt, felt, felt, felt);

describe("stark field", function () {
  describe("base field", function () {
    it("has modulus 2^31 - 2^24 + 1 with two-adicity 24", function () {
      expect(F.P).to.equal(2 ** 31 - 2 ** 24 + 1);
      expect((F.P - 1) % 2 ** 24).to.equal(0);
      expect(((F.P - 1) / 2 ** 24) % 2).to.equal(1);
    });

    it("multiplies like BigInt on random and edge operands", function () {
      const edges = [0, 1, 2, F.P - 1, F.P - 2, 2 ** 30, 2 ** 24, F.P >> 1];
      for (const a of edges) for (const b of edges) expect(BigInt(F.mul(a, b))).to.equal((BigInt(a) * BigInt(b)) % p);
      fc.assert(
        fc.property(felt, felt, (a, b) => BigInt(F.mul(a, b)) === (BigInt(a) * BigInt(b)) % p),
        fcOptions(20000),
      );
    });

    it("adds, subtracts and negates modulo p", function () {
      fc.assert(
        fc.property(felt, felt, (a, b) => {
          expect(BigInt(F.add(a, b))).to.equal((BigInt(a) + BigInt(b)) % p);
          expect(BigInt(F.sub(a, b))).to.equal((((BigInt(a) - BigInt(b)) % p) + p) % p);
          expect(F.add(a, F.neg(a))).to.equal(0);
        }),
        fcOptions(2000),
      );
    });

    it("inverts every non-zero element and refuses zero with a RangeError", function () {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: F.P - 1 }), (a) => F.mul(a, F.inv(a)) === 1),
        fcOptions(500),
      );
      expect(() => F.inv(0)).to.throw(RangeError);
    });

    it("batch-inverts like element-wise inversion", function () {
      const v = Uint32Array.from([1, 2, 3, F.P - 1, 123456789]);
      const expected = Array.from(v, (x) => F.inv(x));
      expect(Array.from(F.batchInvert(v))).to.deep.equal(expected);
      expect(() => F.batchInvert(Uint32Array.from([1, 0]))).to.throw(RangeError);
    });

    it("uses a generator of the whole multiplicative group", function () {
      // p − 1 = 2^24 · 127: g generates iff g^((p−1)/2) ≠ 1 and g^((p−1)/127) ≠ 1
      expect(F.pow(F.GENERATOR, (F.P - 1) / 2)).to.equal(F.P - 1);
      expect(F.pow(F.GENERATOR, (F.P - 1) / 127)).to.not.equal(1);
    });

    it("gives primitive 2^k-th roots of unity up to the two-adicity", function () {
      for (const k of [1, 5, 10, 24]) {
        const w = F.rootOfUnity(k);
        expect(F.pow(w, 2 ** k)).to.equal(1);
        expect(F.pow(w, 2 ** (k - 1))).to.equal(F.P - 1);
      }
      expect(() => F.rootOfUnity(25)).to.throw(RangeError);
    });

    it("reduces integers and bigints into the field", function () {
      expect(F.reduce(-1)).to.equal(F.P - 1);
      expect(F.reduce(BigInt(F.P) * 3n + 5n)).to.equal(5);
      expect(F.isCanonical(F.P)).to.equal(false);
      expect(F.isCanonical(F.P - 1)).to.equal(true);
    });
  });

  describe("extension field", function () {
    it("uses a non-residue W, so X^4 − W is irreducible", function () {
      // p ≡ 1 (mod 4): X^4 − W is irreducible iff W is not a square
      expect(F.P % 4).to.equal(1);
      expect(F.pow(F.EXT_W, (F.P - 1) / 2)).to.equal(F.P - 1);
    });

    it("satisfies X^4 = W", function () {
      const x: F.Ext = [0, 1, 0, 0];
      expect(F.epow(x, 4)).to.deep.equal([F.EXT_W, 0, 0, 0]);
    });

    it("is a commutative ring with distributivity", function () {
      fc.assert(
        fc.property(extArb, extArb, extArb, (a, b, c) => {
          expect(F.emul(a, b)).to.deep.equal(F.emul(b, a));
          expect(F.emul(F.emul(a, b), c)).to.deep.equal(F.emul(a, F.emul(b, c)));
          expect(F.emul(a, F.eadd(b, c))).to.deep.equal(F.eadd(F.emul(a, b), F.emul(a, c)));
        }),
        fcOptions(300),
      );
    });

    it("inverts non-zero elements, alone and in batches", function () {
      fc.assert(
        fc.property(extArb, (a) => {
          if (F.eisZero(a)) return;
          expect(F.emul(a, F.einv(a))).to.deep.equal([1, 0, 0, 0]);
        }),
        fcOptions(300),
      );
      const vals: F.Ext[] = [
        [1, 2, 3, 4],
        [0, 0, 0, 7],
        [F.P - 1, 0, 1, 0],
      ];
      F.ebatchInvert(vals).forEach((v, i) => expect(F.emul(v, vals[i] as F.Ext)).to.deep.equal([1, 0, 0, 0]));
      expect(() => F.einv([0, 0, 0, 0])).to.throw(RangeError);
    });

    it("has multiplicative order dividing p^4 − 1 (Frobenius sanity)", function () {
      const a: F.Ext = [3, 1, 4, 1];
      expect(F.epow(a, p ** 4n - 1n)).to.deep.equal([1, 0, 0, 0]);
      // a^p ≠ a for an element outside the base field
      expect(F.epow(a, p)).to.not.deep.equal(a);
    });
  });
});
