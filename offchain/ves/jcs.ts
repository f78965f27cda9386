/**
 * RFC 8785 canonical JSON in the two flavours VES uses (ves-protocol.md §3, stark-reference.md §1.3):
 * `jcs` for event payloads, where every number goes through an IEEE double and is printed the ES6 way (as the
 * sequencer hashes them), and `jcsExact` for STARK policy parameters and public inputs, where u64 integers keep every
 * digit. Also a lossless JSON parser (bigint for integers beyond 2^53) and an exact, non-canonical JSON printer.
 */
import { canonicalize } from "json-canonicalize";

import { describeValue, isWellFormedString, utf8Encode } from "./encoding";

/** A JSON value as JSON.parse produces it (numbers are IEEE doubles). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON value that may carry exact integers as bigint (what `parseJsonExact` produces). */
export type ExactJsonValue =
  null | boolean | number | bigint | string | ExactJsonValue[] | { [key: string]: ExactJsonValue };

/** Deepest nesting accepted by the parser and the canonicalizers (serde_json's default recursion limit). */
export const MAX_JSON_DEPTH = 128;

const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The path of a value inside the guarded root (`$`, `.key`, `[i]`), built only when an error names it. */
function pathOf(segments: readonly (string | number)[]): string {
  let out = "$";
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : `.${s}`;
  return out;
}

/**
 * Walks a value and throws a TypeError (RangeError for numbers out of range) at the first thing a canonicalizer
 * would silently mangle: undefined, functions, symbols, bigint (unless allowed), non-finite numbers, Dates and other
 * non-plain objects, sparse arrays, lone surrogates, symbol keys, cycles, or nesting beyond MAX_JSON_DEPTH.
 * `at` holds the path segments down to `value` (pushed and popped on the way; a path string is only made to throw).
 */
function guard(value: unknown, at: (string | number)[], allowBigint: boolean, stack: Set<object>): void {
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "string") {
    if (!isWellFormedString(value)) throw new TypeError(`lone UTF-16 surrogate in the string at ${pathOf(at)}`);
    return;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`non-finite number ${value} at ${pathOf(at)} is not JSON`);
    return;
  }
  if (typeof value === "bigint") {
    if (!allowBigint) {
      throw new TypeError(
        `bigint ${value} at ${pathOf(at)}: payload JSON numbers are doubles; convert it or use jcsExact`,
      );
    }
    if (value < I64_MIN || value > U64_MAX) {
      throw new RangeError(`integer ${value} at ${pathOf(at)} is outside the i64/u64 range`);
    }
    return;
  }
  if (typeof value !== "object") throw new TypeError(`${typeof value} at ${pathOf(at)} is not JSON`);
  if (at.length >= MAX_JSON_DEPTH) throw new RangeError(`JSON nesting deeper than ${MAX_JSON_DEPTH} at ${pathOf(at)}`);
  if (stack.has(value)) throw new TypeError(`circular reference at ${pathOf(at)}`);
  stack.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      at.push(i);
      if (!(i in value)) throw new TypeError(`sparse array hole at ${pathOf(at)}`);
      guard(value[i], at, allowBigint, stack);
      at.pop();
    }
  } else {
    if (!isPlainObject(value)) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw new TypeError(`${kind} at ${pathOf(at)} is not a plain JSON object`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw new TypeError(`symbol-keyed property at ${pathOf(at)}`);
    for (const key of Object.keys(value)) {
      if (!isWellFormedString(key)) throw new TypeError(`lone UTF-16 surrogate in a key at ${pathOf(at)}`);
      const child = (value as Record<string, unknown>)[key];
      at.push(key);
      if (child === undefined) throw new TypeError(`undefined at ${pathOf(at)} is not JSON`);
      guard(child, at, allowBigint, stack);
      at.pop();
    }
  }
  stack.delete(value);
}

/**
 * Checks that a value is JSON a canonicalizer prints faithfully (bigint in the i64/u64 range only when `allowBigint`);
 * the checks of `jcs` / `jcsExact` / `stringifyJsonExact` without printing anything.
 * @throws TypeError/RangeError as those functions do.
 */
export function assertJsonValue(value: unknown, allowBigint: boolean): void {
  guard(value, [], allowBigint, new Set());
}

/**
 * RFC 8785 canonical JSON of an event payload, byte-identical to the sequencer's (keys in UTF-16 order, numbers as
 * ES6 doubles, minimal escapes).
 * @throws TypeError for values JSON cannot represent exactly (undefined, bigint, Date, NaN, functions, ...).
 */
export function jcs(value: unknown): string {
  assertJsonValue(value, false);
  return canonicalize(value);
}

/** UTF-8 bytes of `jcs(value)`. */
export function jcsBytes(value: unknown): Uint8Array {
  return utf8Encode(jcs(value));
}

function exactNumber(value: number, at: readonly (string | number)[]): string {
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new RangeError(`number ${value} at ${pathOf(at)} may have lost digits; pass integers beyond 2^53 as bigint`);
  }
  return JSON.stringify(value);
}

/** Canonical exact JSON of a guarded value; `at` holds the path segments down to it (for the error only). */
function writeExact(value: unknown, at: (string | number)[]): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return exactNumber(value, at);
  if (typeof value === "bigint") return value.toString();
  // Loops and string appends rather than map/join: this prints every stored envelope (the sequencer's hot path).
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      at.push(i);
      out += (i === 0 ? "" : ",") + writeExact(value[i], at);
      at.pop();
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    at.push(k);
    out += `${i === 0 ? "" : ","}${JSON.stringify(k)}:${writeExact(record[k], at)}`;
    at.pop();
  }
  return `${out}}`;
}

/**
 * RFC 8785 canonical JSON with exact integers (serde_jcs): bigint values (i64/u64 range) print every digit, as in the
 * policy-hash vector `{"threshold":18446744073709551615}`; other numbers print as in `jcs`.
 * @throws TypeError for non-JSON values; RangeError for an unsafe integer given as a number (it may have lost digits).
 */
export function jcsExact(value: unknown): string {
  assertJsonValue(value, true);
  return writeExact(value, []);
}

/** UTF-8 bytes of `jcsExact(value)`. */
export function jcsExactBytes(value: unknown): Uint8Array {
  return utf8Encode(jcsExact(value));
}

/**
 * JSON text of a value that may hold bigint (printed exactly), in its own key order; with `indent`, pretty-printed.
 * For output only; it is not canonical.
 * @throws TypeError for values that are not JSON.
 */
export function stringifyJsonExact(value: unknown, indent = 0): string {
  assertJsonValue(value, true);
  const pad = " ".repeat(indent);
  const write = (v: unknown, prefix: string): string => {
    if (v === null || typeof v === "boolean" || typeof v === "string" || typeof v === "number") {
      return JSON.stringify(v);
    }
    if (typeof v === "bigint") return v.toString();
    const inner = prefix + pad;
    const sep = indent > 0 ? `,\n${inner}` : ",";
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      const items = v.map((item) => write(item, inner));
      return indent > 0 ? `[\n${inner}${items.join(sep)}\n${prefix}]` : `[${items.join(sep)}]`;
    }
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 0) return "{}";
    const colon = indent > 0 ? ": " : ":";
    const items = keys.map((k) => `${JSON.stringify(k)}${colon}${write(record[k], inner)}`);
    return indent > 0 ? `{\n${inner}${items.join(sep)}\n${prefix}}` : `{${items.join(sep)}}`;
  };
  return write(value, "");
}

/**
 * Replaces every bigint in a parsed value by the nearest double, as the sequencer does when it canonicalizes a payload
 * (every number goes through f64); the result is what `jcs` hashes.
 */
export function toDoubleJson(value: ExactJsonValue): JsonValue {
  if (typeof value === "bigint") return Number(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(toDoubleJson);
  const out: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value)) {
    defineJsonProperty(out, key, toDoubleJson(value[key] as ExactJsonValue));
  }
  return out;
}

function defineJsonProperty(target: object, key: string, value: unknown): void {
  // defineProperty rather than assignment for "__proto__", so that it stays an ordinary own property; assignment
  // (far faster) makes the same own, enumerable, writable, configurable data property for every other key.
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else (target as Record<string, unknown>)[key] = value;
}

/**
 * Parses RFC 8259 JSON without losing integer precision: integers outside the safe range become bigint, all other
 * numbers are doubles. Stricter than JSON.parse where serde_json is: lone surrogate escapes, duplicate keys and
 * nesting beyond MAX_JSON_DEPTH are rejected.
 * @throws SyntaxError with the offending position.
 */
export function parseJsonExact(text: string): ExactJsonValue {
  if (typeof text !== "string") throw new TypeError(`JSON text must be a string, got ${describeValue(text)}`);
  return new ExactJsonParser(text).parseDocument();
}

class ExactJsonParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): ExactJsonValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail("unexpected data after the JSON value");
    return value;
  }

  private fail(message: string): never {
    throw new SyntaxError(`${message} at position ${this.pos}`);
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): ExactJsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.parseObject(depth + 1);
      case "[":
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString();
      case "t":
        return this.parseLiteral("true", true);
      case "f":
        return this.parseLiteral("false", false);
      case "n":
        return this.parseLiteral("null", null);
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.parseNumber();
        return this.fail(c === undefined ? "unexpected end of JSON" : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private parseLiteral<T extends ExactJsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`invalid literal, expected ${word}`);
    this.pos += word.length;
    return value;
  }

  private parseNumber(): number | bigint {
    const match = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos, this.pos + 4096));
    if (match === null) this.fail("invalid number");
    const token = match[0];
    this.pos += token.length;
    if (match[1] === undefined && match[2] === undefined) {
      const asNumber = Number(token);
      if (Number.isSafeInteger(asNumber)) return asNumber;
      return BigInt(token);
    }
    const value = Number(token);
    if (!Number.isFinite(value)) this.fail(`number ${token} is out of range`);
    return value;
  }

  private parseString(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail("unterminated string");
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        break;
      }
      if (c < 0x20) this.fail("unescaped control character in a string");
      if (c === 0x5c) {
        out += t.slice(runStart, this.pos);
        out += this.parseEscape();
        runStart = this.pos;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = t.charCodeAt(this.pos + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) this.fail("lone UTF-16 surrogate in a string");
        this.pos += 2;
        continue;
      }
      if (c >= 0xdc00 && c <= 0xdfff) this.fail("lone UTF-16 surrogate in a string");
      this.pos++;
    }
    return out;
  }

  private parseEscape(): string {
    const t = this.text;
    const e = t[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "/":
        return "/";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "u": {
        const unit = this.readHex4();
        if (unit >= 0xdc00 && unit <= 0xdfff) this.fail("lone low surrogate escape");
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (t[this.pos] !== "\\" || t[this.pos + 1] !== "u") this.fail("lone high surrogate escape");
          this.pos += 2;
          const low = this.readHex4();
          if (!(low >= 0xdc00 && low <= 0xdfff)) this.fail("high surrogate escape not followed by a low one");
          return String.fromCharCode(unit, low);
        }
        return String.fromCharCode(unit);
      }
      default:
        this.pos -= 1;
        return this.fail("invalid escape in a string");
    }
  }

  private readHex4(): number {
    const digits = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail("invalid \\u escape");
    this.pos += 4;
    return parseInt(digits, 16);
  }

  private parseArray(depth: number): ExactJsonValue[] {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    const out: ExactJsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === "]") return out;
      if (c !== ",") {
        this.pos--;
        this.fail("expected , or ] in an array");
      }
    }
  }

  private parseObject(depth: number): { [key: string]: ExactJsonValue } {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    const out: { [key: string]: ExactJsonValue } = {};
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail("expected a string key");
      const keyAt = this.pos;
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        this.pos = keyAt;
        this.fail(`duplicate key ${JSON.stringify(key)}`);
      }
      this.skipWhitespace();
      if (this.text[this.pos] !== ":") this.fail("expected : after a key");
      this.pos++;
      this.skipWhitespace();
      defineJsonProperty(out, key, this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === "}") return out;
      if (c !== ",") {
        this.pos--;
        this.fail("expected , or } in an object");
      }
    }
  }
}
