/**
 * Tests of the VES byte encodings: the §12.1 primitive vectors, UUID forms, hex and base64url strictness, and
 * integer ranges.
 */
import { expect } from "chai";
import * as fc from "fast-check";

import {
  base64UrlToBytes,
  bytesTo0xHex,
  bytesToBase64Url,
  bytesToHex,
  bytesToUuid,
  encStr,
  hexToBytes,
  isUuid,
  normalizeUuid,
  readU32be,
  readU64be,
  u32be,
  u64be,
  uuidEquals,
  uuidToBytes,
  uuidToBytes32,
} from "../../../offchain/ves";
import repo from "../../vectors/ves-protocol-repo.json";
import { fcOptions } from "./support/fc";

describe("ves encoding", function () {
  describe("§12.1 vectors", function () {
    it("encodes u32 big-endian", function () {
      for (const [n, hex] of repo.u32_be) expect(bytesToHex(u32be(n as number))).to.equal(hex);
    });

    it("encodes u64 big-endian from bigint", function () {
      for (const [n, hex] of repo.u64_be) expect(bytesToHex(u64be(BigInt(n as string)))).to.equal(hex);
    });

    it("length-prefixes UTF-8 strings", function () {
      for (const [s, hex] of repo.enc_str) expect(bytesToHex(encStr(s as string))).to.equal(hex);
    });

    it("turns UUIDs into their 16 raw bytes and back", function () {
      for (const [u, hex] of repo.uuid_bytes) {
        expect(bytesToHex(uuidToBytes(u as string))).to.equal(hex);
        expect(bytesToUuid(hexToBytes(hex as string))).to.equal(u);
      }
    });

    it("left-aligns UUIDs in bytes32", function () {
      for (const v of repo.uuid_to_bytes32) expect(bytesToHex(uuidToBytes32(v.uuid))).to.equal(v.bytes32);
    });

    it("writes unpadded base64url and reads it back", function () {
      for (const [hex, b64] of repo.base64url) {
        expect(bytesToBase64Url(hexToBytes(hex as string))).to.equal(b64);
        expect(bytesToHex(base64UrlToBytes(b64 as string))).to.equal(hex);
      }
    });
  });

  describe("UUIDs", function () {
    const canonical = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

    it("accepts the hyphenated, simple, upper-case, braced and urn forms as the same bytes", function () {
      for (const form of [
        canonical,
        canonical.toUpperCase(),
        canonical.replace(/-/g, ""),
        `{${canonical}}`,
        `urn:uuid:${canonical}`,
      ]) {
        expect(bytesToHex(uuidToBytes(form)), form).to.equal("a1b2c3d4e5f67890abcdef1234567890");
        expect(normalizeUuid(form)).to.equal(canonical);
        expect(uuidEquals(form, canonical)).to.equal(true);
      }
    });

    it("rejects malformed UUIDs with a TypeError naming the value", function () {
      for (const bad of [
        "",
        "a1b2c3d4-e5f6-7890-abcd-ef123456789",
        "g1b2c3d4e5f67890abcdef1234567890",
        "a1b2c3d4e5f6-7890-abcd-ef1234567890",
      ]) {
        expect(() => uuidToBytes(bad)).to.throw(TypeError, "UUID");
        expect(isUuid(bad)).to.equal(false);
      }
      expect(uuidEquals("not-a-uuid", "not-a-uuid")).to.equal(false);
    });
  });

  describe("integers", function () {
    it("rejects u32 values out of range or not integers", function () {
      expect(() => u32be(-1)).to.throw(RangeError, "-1");
      expect(() => u32be(2 ** 32)).to.throw(RangeError, "4294967296");
      expect(() => u32be(1.5)).to.throw(RangeError);
      expect(() => u32be("1" as unknown as number)).to.throw(TypeError);
    });

    it("rejects u64 values that are not bigint or out of range", function () {
      expect(() => u64be(1 as unknown as bigint)).to.throw(TypeError, "bigint");
      expect(() => u64be(-1n)).to.throw(RangeError);
      expect(() => u64be(1n << 64n)).to.throw(RangeError, "18446744073709551616");
      expect(bytesToHex(u64be((1n << 64n) - 1n))).to.equal("ffffffffffffffff");
    });

    it("round-trips u32 and u64 through big-endian bytes", function () {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (a, b) => {
          expect(readU32be(u32be(a))).to.equal(a);
          expect(readU64be(u64be(b))).to.equal(b);
        }),
        fcOptions(200),
      );
    });
  });

  describe("strings", function () {
    it("counts UTF-8 bytes, not characters", function () {
      expect(bytesToHex(encStr("ä"))).to.equal("00000002c3a4");
      expect(bytesToHex(encStr("😀"))).to.equal("00000004f09f9880");
    });

    it("rejects lone surrogates instead of replacing them", function () {
      expect(() => encStr("a\ud800b")).to.throw(TypeError, "surrogate");
      expect(() => encStr("\udc00")).to.throw(TypeError, "surrogate");
    });
  });

  describe("hex", function () {
    it("accepts an optional 0x and any case by default", function () {
      expect(bytesToHex(hexToBytes("0xABcd"))).to.equal("abcd");
      expect(bytesToHex(hexToBytes("abcd"))).to.equal("abcd");
      expect(bytesTo0xHex(hexToBytes("abcd"))).to.equal("0xabcd");
    });

    it("enforces the prefix, case and length rules it is given", function () {
      expect(() => hexToBytes("abcd", { prefix: "required" })).to.throw(TypeError, "0x");
      expect(() => hexToBytes("0xabcd", { prefix: "forbidden" })).to.throw(TypeError, "0x");
      expect(() => hexToBytes("0xABCD", { lowercase: true })).to.throw(TypeError, "lowercase");
      expect(() => hexToBytes("abcd", { length: 3 })).to.throw(RangeError, "3 bytes");
      expect(() => hexToBytes("abc")).to.throw(TypeError, "odd");
      expect(() => hexToBytes("zz")).to.throw(TypeError, "hex");
      expect(() => hexToBytes("0X12")).to.throw(TypeError);
    });
  });

  describe("base64url", function () {
    it("rejects the standard alphabet, whitespace and impossible lengths", function () {
      expect(() => base64UrlToBytes("+/8")).to.throw(TypeError, "base64url");
      expect(() => base64UrlToBytes("AA AA")).to.throw(TypeError);
      expect(() => base64UrlToBytes("AAAAA")).to.throw(TypeError, "length");
    });

    it("accepts correct padding unless strict", function () {
      expect(bytesToHex(base64UrlToBytes("_w=="))).to.equal("ff");
      expect(() => base64UrlToBytes("_w==", { strict: true })).to.throw(TypeError, "unpadded");
      expect(() => base64UrlToBytes("_w=")).to.throw(TypeError, "padding");
      expect(() => base64UrlToBytes("AAAA====")).to.throw(TypeError, "padding");
    });

    it("rejects non-zero trailing bits", function () {
      expect(() => base64UrlToBytes("_x")).to.throw(TypeError, "trailing");
    });

    it("round-trips any bytes", function () {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
          const text = bytesToBase64Url(bytes);
          expect(text).to.match(/^[A-Za-z0-9_-]*$/);
          expect(bytesToHex(base64UrlToBytes(text, { strict: true }))).to.equal(bytesToHex(bytes));
        }),
        fcOptions(200),
      );
    });
  });
});
