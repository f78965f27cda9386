/**
 * Tests of both canonical-JSON flavours: RFC 8785 examples and the §12.1 vectors for `jcs`, the stark-reference
 * §9.3–§9.4 vectors for `jcsExact`, the guard against values a canonicalizer would mangle, and the lossless parser.
 */
import { createHash } from "node:crypto";

import { expect } from "chai";
import * as fc from "fast-check";

import {
  bytesToHex,
  jcs,
  jcsExact,
  parseJsonExact,
  policyHash,
  stringifyJsonExact,
  toDoubleJson,
  type ExactJsonValue,
} from "../../../offchain/ves";
import exact from "../../vectors/ves-jcs-exact.json";
import repo from "../../vectors/ves-protocol-repo.json";
import rfc8785 from "../../vectors/ves-rfc8785.json";
import { fcOptions } from "./support/fc";
import { naiveJcs } from "./support/naive";

function ieee(hex: string): number {
  return Buffer.from(hex, "hex").readDoubleBE(0);
}

describe("ves jcs", function () {
  describe("RFC 8785", function () {
    it("canonicalizes the §3.2.2 example from JSON.parse and from the exact parser", function () {
      const example = rfc8785.examples[0] as { input: string; canonical: string };
      expect(jcs(JSON.parse(example.input))).to.equal(example.canonical);
      expect(jcs(toDoubleJson(parseJsonExact(example.input)))).to.equal(example.canonical);
    });

    it("sorts properties by UTF-16 code units (§3.2.3)", function () {
      const example = rfc8785.examples[1] as { input: string; property_order: string[] };
      const out = jcs(JSON.parse(example.input));
      // Read the order from the text: JSON.parse of it would move "1" first again.
      const values = [...out.matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
      expect(values).to.deep.equal(example.property_order);
    });

    it("prints every Appendix B number the ES6 way", function () {
      for (const { ieee: bits, canonical } of rfc8785.numbers) {
        expect(jcs(ieee(bits)), bits).to.equal(canonical);
        expect(jcs([ieee(bits)]), bits).to.equal(`[${canonical}]`);
      }
    });

    it("rejects NaN and Infinity (Appendix B)", function () {
      for (const { ieee: bits } of rfc8785.invalid_numbers) {
        expect(() => jcs({ x: ieee(bits) })).to.throw(TypeError, "non-finite");
      }
    });
  });

  describe("§12.1 vectors", function () {
    it("canonicalizes every payload as the sequencer does", function () {
      for (const v of repo.jcs) {
        expect(jcs(JSON.parse(v.input)), v.input).to.equal(v.canonical);
        expect(naiveJcs(JSON.parse(v.input)), v.input).to.equal(v.canonical);
      }
    });

    it("prints u64 integers through a double, losing digits as the sequencer does", function () {
      expect(jcs(JSON.parse('{"n":12345678901234567890}'))).to.equal('{"n":12345678901234567000}');
      expect(jcs(toDoubleJson(parseJsonExact('{"n":12345678901234567890}')))).to.equal('{"n":12345678901234567000}');
    });
  });

  describe("guard", function () {
    class Custom {
      a = 1;
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const cases: [string, unknown, RegExp][] = [
      ["top-level undefined", undefined, /undefined/],
      ["undefined property", { a: undefined }, /undefined at \$\.a/],
      ["undefined element", [1, undefined], /undefined/],
      ["Date", { when: new Date(0) }, /Date at \$\.when/],
      ["bigint", { n: 1n }, /bigint/],
      ["NaN", [NaN], /non-finite/],
      ["Infinity", { x: -Infinity }, /non-finite/],
      ["function", { f: () => 1 }, /function/],
      ["symbol", { s: Symbol("x") }, /symbol/],
      ["Map", new Map(), /Map/],
      ["class instance", new Custom(), /Custom/],
      ["typed array", { b: new Uint8Array(2) }, /Uint8Array/],
      ["sparse array", sparse, /sparse/],
      ["cycle", cyclic, /circular/],
      ["lone surrogate value", { a: "\ud800" }, /surrogate/],
      ["lone surrogate key", { "\udfff": 1 }, /surrogate/],
      ["symbol key", { [Symbol("k")]: 1 }, /symbol-keyed/],
    ];

    for (const [name, value, message] of cases) {
      it(`rejects a ${name} in both flavours`, function () {
        expect(() => jcs(value)).to.throw(TypeError, message);
        if (name !== "bigint") expect(() => jcsExact(value)).to.throw(TypeError, message);
      });
    }

    it("rejects nesting deeper than 128", function () {
      let deep: unknown = 1;
      for (let i = 0; i < 128; i++) deep = [deep];
      expect(jcs(deep)).to.have.length(128 * 2 + 1);
      expect(() => jcs([deep])).to.throw(RangeError, "128");
    });

    it("accepts objects without a prototype and keeps a __proto__ key", function () {
      const bare = Object.create(null) as Record<string, unknown>;
      bare.b = 1;
      bare.a = 2;
      expect(jcs(bare)).to.equal('{"a":2,"b":1}');
      expect(jcs(JSON.parse('{"__proto__":1,"a":2}'))).to.equal('{"__proto__":1,"a":2}');
    });
  });

  describe("jcsExact", function () {
    it("reproduces every policy-hash preimage and hash of stark-reference §9.3", function () {
      for (const v of exact.policy_hashes) {
        const parsed = parseJsonExact(v.jcs) as { policyId: string; policyParams: ExactJsonValue };
        expect(jcsExact(parsed)).to.equal(v.jcs);
        expect(bytesToHex(policyHash(parsed.policyId, parsed.policyParams))).to.equal(v.hash);
      }
    });

    it("keeps every digit of 2^64-1 where jcs rounds it", function () {
      const params = parseJsonExact('{"threshold":18446744073709551615}');
      expect(jcsExact(params)).to.equal('{"threshold":18446744073709551615}');
      expect(jcs(toDoubleJson(params))).to.equal('{"threshold":18446744073709552000}');
    });

    it("reproduces the public-input hash of stark-reference §9.4 after reordering", function () {
      for (const v of exact.public_inputs) {
        const shuffled = Object.fromEntries(Object.entries(parseJsonExact(v.jcs) as object).reverse());
        const text = jcsExact(shuffled);
        expect(text).to.equal(v.jcs);
        expect(createHash("sha256").update(text).digest("hex")).to.equal(v.hash);
      }
    });

    it("rejects integers given as unsafe numbers and bigints outside i64/u64", function () {
      expect(() => jcsExact({ n: 2 ** 53 })).to.throw(RangeError, "bigint");
      expect(() => jcsExact({ n: 1n << 64n })).to.throw(RangeError, "range");
      expect(() => jcsExact({ n: -(1n << 63n) - 1n })).to.throw(RangeError, "range");
      expect(jcsExact({ n: -(1n << 63n) })).to.equal('{"n":-9223372036854775808}');
    });

    it("agrees with jcs except where a number is an unsafe integer", function () {
      const hasUnsafeInteger = (v: unknown): boolean =>
        typeof v === "number"
          ? Number.isInteger(v) && !Number.isSafeInteger(v)
          : typeof v === "object" && v !== null && Object.values(v).some(hasUnsafeInteger);
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          expect(jcs(v)).to.equal(naiveJcs(v));
          if (hasUnsafeInteger(v)) expect(() => jcsExact(v)).to.throw(RangeError, "bigint");
          else expect(jcsExact(v)).to.equal(jcs(v));
        }),
        fcOptions(300),
      );
    });
  });

  describe("parseJsonExact", function () {
    it("keeps integers beyond 2^53 as bigint and the rest as numbers", function () {
      const v = parseJsonExact('{"a":9007199254740991,"b":9007199254740993,"c":-18446744073709551615,"d":1.5,"e":1e2}');
      expect(v).to.deep.equal({ a: 9007199254740991, b: 9007199254740993n, c: -18446744073709551615n, d: 1.5, e: 100 });
    });

    it("rejects what serde_json rejects", function () {
      const bad = [
        '{"a":1,}',
        "[1,]",
        "01",
        "1.",
        ".5",
        "+1",
        "1e400",
        '"\\ud800"',
        '"\\udc00x"',
        '"\\ud800\\u0041"',
        '"a\u0001"',
        '{"a":1,"a":2}',
        "\ufeff{}",
        "nul",
        "[1] 2",
        '"\\x"',
        "",
      ];
      for (const text of bad) expect(() => parseJsonExact(text), JSON.stringify(text)).to.throw(SyntaxError);
    });

    it("decodes escapes and surrogate pairs", function () {
      expect(parseJsonExact('"\\u20ac\\ud83d\\ude00\\n\\/\\"\\\\"')).to.equal('€😀\n/"\\');
      expect(parseJsonExact(' [ true , false , null , "😀" ] ')).to.deep.equal([true, false, null, "😀"]);
    });

    it("limits nesting to 128 levels", function () {
      expect(() => parseJsonExact("[".repeat(128) + "]".repeat(128))).not.to.throw();
      expect(() => parseJsonExact("[".repeat(129) + "]".repeat(129))).to.throw(SyntaxError, "128");
    });

    it("keeps a __proto__ key as an own property", function () {
      const v = parseJsonExact('{"__proto__":{"x":1}}') as Record<string, unknown>;
      expect(Object.keys(v)).to.deep.equal(["__proto__"]);
      expect(Object.getPrototypeOf(v)).to.equal(Object.prototype);
    });

    it("agrees with JSON.parse on any JSON text once integers become doubles", function () {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          const text = JSON.stringify(v);
          expect(toDoubleJson(parseJsonExact(text))).to.deep.equal(JSON.parse(text));
        }),
        fcOptions(300),
      );
    });

    it("round-trips exact values through stringifyJsonExact", function () {
      const big = fc
        .bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n })
        .filter((n) => n > 2n ** 53n || n < -(2n ** 53n));
      const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.string(), fc.integer(), big);
      const value = fc.letrec<{ v: unknown }>((tie) => ({
        v: fc.oneof(
          { maxDepth: 3 },
          leaf,
          fc.array(tie("v"), { maxLength: 4 }),
          fc.dictionary(fc.string({ maxLength: 6 }), tie("v"), { maxKeys: 4 }),
        ),
      })).v;
      fc.assert(
        fc.property(value, (v) => {
          expect(parseJsonExact(stringifyJsonExact(v))).to.deep.equal(v);
          expect(parseJsonExact(stringifyJsonExact(v, 2))).to.deep.equal(v);
        }),
        fcOptions(200),
      );
    });

    it("pretty-prints like JSON.stringify when there is no bigint", function () {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          expect(stringifyJsonExact(v, 2)).to.equal(JSON.stringify(v, null, 2));
          expect(stringifyJsonExact(v)).to.equal(JSON.stringify(v));
        }),
        fcOptions(300),
      );
    });
  });
});
