/**
 * Byte encodings of VES v1 (ves-protocol.md §1): UUIDs as 16 raw bytes, big-endian u32/u64, length-prefixed UTF-8
 * strings, hex with and without `0x`, and unpadded base64url. Pure functions over Uint8Array; no I/O.
 */

const HEX_DIGITS = /^[0-9a-fA-F]*$/;
const HEX_LOWER = /^[0-9a-f]*$/;
const UUID_HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UUID_SIMPLE = /^[0-9a-fA-F]{32}$/;
const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;
const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;
const utf8Encoder = new TextEncoder();

/** Shortens a value for an error message so that huge inputs do not flood logs. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint") text = `${value}n`;
  else if (value instanceof Uint8Array) text = `Uint8Array(${value.length})`;
  else if (value === undefined) text = "undefined";
  else if (typeof value === "function" || typeof value === "symbol") text = String(typeof value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Throws a TypeError unless `value` is a Uint8Array, optionally of exactly `length` bytes (RangeError otherwise). */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array, got ${describeValue(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

/** Concatenates byte arrays into a new Uint8Array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** True if both byte arrays have the same length and contents. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Copies any Uint8Array view (a Buffer included) into a plain, unshared Uint8Array. */
export function toPlainBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** Decodes the canonical 36-character hyphenated form without regular expressions; undefined if it is not one. */
function hyphenatedUuidToBytes(uuid: string): Uint8Array | undefined {
  if (uuid.length !== 36) return undefined;
  const out = new Uint8Array(16);
  let j = 0;
  for (let i = 0; i < 36;) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (uuid.charCodeAt(i) !== 45) return undefined;
      i++;
      continue;
    }
    const hi = nibble(uuid.charCodeAt(i));
    const lo = nibble(uuid.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[j++] = (hi << 4) | lo;
    i += 2;
  }
  return out;
}

/** Returns the 16-byte UUID of the hyphenated, simple, braced or `urn:uuid:` form, in any case. */
export function uuidToBytes(uuid: string): Uint8Array {
  if (typeof uuid !== "string") throw new TypeError(`UUID must be a string, got ${describeValue(uuid)}`);
  const fast = hyphenatedUuidToBytes(uuid);
  if (fast !== undefined) return fast;
  let body = uuid;
  if (body.length === 45 && body.slice(0, 9).toLowerCase() === "urn:uuid:") body = body.slice(9);
  else if (body.length === 38 && body.startsWith("{") && body.endsWith("}")) body = body.slice(1, -1);
  let simple: string;
  if (UUID_HYPHENATED.test(body)) simple = body.replace(/-/g, "");
  else if (UUID_SIMPLE.test(body)) simple = body;
  else throw new TypeError(`invalid UUID ${describeValue(uuid)}`);
  return hexToBytesUnchecked(simple);
}

/** True if `value` is a string in one of the UUID forms `uuidToBytes` accepts. */
export function isUuid(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    uuidToBytes(value);
    return true;
  } catch {
    return false;
  }
}

/** True if both strings are valid UUIDs (in any accepted form) with the same 16 bytes. */
export function uuidEquals(a: string, b: string): boolean {
  return isUuid(a) && isUuid(b) && bytesEqual(uuidToBytes(a), uuidToBytes(b));
}

/** Formats 16 bytes as a lowercase hyphenated UUID. */
export function bytesToUuid(bytes: Uint8Array): string {
  assertBytes(bytes, "UUID bytes", 16);
  const hex = bytesToHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True if the string is already the lowercase hyphenated form (what `normalizeUuid` returns unchanged). */
function isLowerHyphenatedUuid(uuid: string): boolean {
  if (typeof uuid !== "string" || uuid.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = uuid.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Rewrites any accepted UUID form as lowercase hyphenated. */
export function normalizeUuid(uuid: string): string {
  // The common case, already normal, is returned as is (the same string the round trip through bytes prints).
  if (isLowerHyphenatedUuid(uuid)) return uuid;
  return bytesToUuid(uuidToBytes(uuid));
}

/** The on-chain bytes32 form of a UUID: its 16 bytes left-aligned, followed by 16 zero bytes (§4.2 item 14). */
export function uuidToBytes32(uuid: string): Uint8Array {
  const out = new Uint8Array(32);
  out.set(uuidToBytes(uuid), 0);
  return out;
}

/** Encodes an unsigned 32-bit integer as 4 big-endian bytes. */
export function u32be(value: number): Uint8Array {
  assertU32(value, "u32 value");
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** Encodes an unsigned 64-bit integer (bigint) as 8 big-endian bytes. */
export function u64be(value: bigint): Uint8Array {
  assertU64(value, "u64 value");
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, false);
  return out;
}

/** Reads a big-endian u32 at `offset`. */
export function readU32be(bytes: Uint8Array, offset = 0): number {
  assertBytes(bytes, "bytes");
  if (!Number.isInteger(offset) || offset < 0 || offset + 4 > bytes.length) {
    throw new RangeError(`cannot read a u32 at offset ${offset} of ${bytes.length} bytes`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

/** Reads a big-endian u64 at `offset` as a bigint. */
export function readU64be(bytes: Uint8Array, offset = 0): bigint {
  assertBytes(bytes, "bytes");
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > bytes.length) {
    throw new RangeError(`cannot read a u64 at offset ${offset} of ${bytes.length} bytes`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, false);
}

/** Throws unless `value` is an integer number in 0..2^32-1. */
export function assertU32(value: unknown, name: string): asserts value is number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new RangeError(`${name} must be an integer in 0..4294967295, got ${value}`);
  }
}

/** Throws unless `value` is a bigint in 0..2^64-1. */
export function assertU64(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== "bigint") throw new TypeError(`${name} must be a bigint, got ${describeValue(value)}`);
  if (value < 0n || value > U64_MAX) throw new RangeError(`${name} must be in 0..2^64-1, got ${value}`);
}

const nativeIsWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** True if the string has no lone UTF-16 surrogate, i.e. it has an exact UTF-8 encoding. */
export function isWellFormedString(value: string): boolean {
  if (nativeIsWellFormed !== undefined) return nativeIsWellFormed.call(value);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** UTF-8 bytes of a string; rejects lone surrogates, which have no UTF-8 form and would be silently replaced. */
export function utf8Encode(value: string): Uint8Array {
  if (typeof value !== "string") throw new TypeError(`expected a string, got ${describeValue(value)}`);
  if (!isWellFormedString(value)) throw new TypeError(`string has a lone UTF-16 surrogate: ${describeValue(value)}`);
  return utf8Encoder.encode(value);
}

/** Number of bytes of the UTF-8 encoding of a (well-formed) string. */
export function utf8ByteLength(value: string): number {
  return utf8Encode(value).length;
}

/** ENC_STR(s) = U32_BE(byte length of UTF-8(s)) ‖ UTF-8(s), with no normalization. */
export function encStr(value: string): Uint8Array {
  if (typeof value !== "string") throw new TypeError(`expected a string, got ${describeValue(value)}`);
  if (!isWellFormedString(value)) throw new TypeError(`string has a lone UTF-16 surrogate: ${describeValue(value)}`);
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const out = new Uint8Array(4 + value.length * 3);
  const { written } = utf8Encoder.encodeInto(value, out.subarray(4));
  new DataView(out.buffer).setUint32(0, written, false);
  return out.subarray(0, 4 + written);
}

/**
 * Builds a preimage in one buffer: fields are appended in order with the VES encodings (raw bytes, U32_BE, U64_BE,
 * UUID, ENC_STR). `capacity` must cover the worst case (ENC_STR needs 4 + 3 bytes per UTF-16 code unit).
 */
export class ByteWriter {
  private readonly buf: Uint8Array;
  private pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  /** Appends raw bytes. */
  bytes(value: Uint8Array): this {
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Appends U32_BE(value). */
  u32(value: number): this {
    assertU32(value, "u32 value");
    const b = this.buf;
    b[this.pos] = value >>> 24;
    b[this.pos + 1] = (value >>> 16) & 0xff;
    b[this.pos + 2] = (value >>> 8) & 0xff;
    b[this.pos + 3] = value & 0xff;
    this.pos += 4;
    return this;
  }

  /** Appends U64_BE(value). */
  u64(value: bigint): this {
    return this.bytes(u64be(value));
  }

  /** Appends the 16 bytes of a UUID. */
  uuid(value: string): this {
    return this.bytes(uuidToBytes(value));
  }

  /** Appends ENC_STR(value). */
  str(value: string): this {
    if (typeof value !== "string") throw new TypeError(`expected a string, got ${describeValue(value)}`);
    if (!isWellFormedString(value)) throw new TypeError(`string has a lone UTF-16 surrogate: ${describeValue(value)}`);
    const { read, written } = utf8Encoder.encodeInto(value, this.buf.subarray(this.pos + 4));
    if (read !== value.length) throw new RangeError(`ByteWriter capacity ${this.buf.length} is too small`);
    this.u32(written);
    this.pos += written;
    return this;
  }

  /** The bytes written so far (a view of the internal buffer). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Lowercase hex without a prefix. */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes(bytes, "bytes");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Lowercase hex with a `0x` prefix (the event envelope's output form). */
export function bytesTo0xHex(bytes: Uint8Array): string {
  return `0x${bytesToHex(bytes)}`;
}

/** Where a `0x` prefix may appear in hex input. */
export type HexPrefixRule = "optional" | "required" | "forbidden";

/** Options for `hexToBytes`. */
export interface HexOptions {
  /** Exact decoded length in bytes; RangeError on mismatch. */
  readonly length?: number;
  /** `0x` handling; default `optional`. */
  readonly prefix?: HexPrefixRule;
  /** Require lowercase digits; default false. */
  readonly lowercase?: boolean;
}

/** Decodes hex (optionally `0x`-prefixed, any case unless `lowercase`) into bytes; TypeError/RangeError if invalid. */
export function hexToBytes(hex: string, options: HexOptions = {}): Uint8Array {
  if (typeof hex !== "string") throw new TypeError(`hex must be a string, got ${describeValue(hex)}`);
  const prefixRule = options.prefix ?? "optional";
  const hasPrefix = hex.startsWith("0x");
  if (hasPrefix && prefixRule === "forbidden") throw new TypeError(`hex must not start with 0x: ${describeValue(hex)}`);
  if (!hasPrefix && prefixRule === "required") throw new TypeError(`hex must start with 0x: ${describeValue(hex)}`);
  const body = hasPrefix ? hex.slice(2) : hex;
  if (!(options.lowercase === true ? HEX_LOWER : HEX_DIGITS).test(body)) {
    const what = options.lowercase === true ? "lowercase hex digits" : "hex digits";
    throw new TypeError(`expected ${what}, got ${describeValue(hex)}`);
  }
  if (body.length % 2 !== 0) throw new TypeError(`hex has an odd number of digits: ${describeValue(hex)}`);
  if (options.length !== undefined && body.length !== options.length * 2) {
    throw new RangeError(`expected ${options.length} bytes of hex, got ${body.length / 2}: ${describeValue(hex)}`);
  }
  return hexToBytesUnchecked(body);
}

function hexToBytesUnchecked(body: string): Uint8Array {
  return toPlainBytes(Buffer.from(body, "hex"));
}

/** Unpadded base64url (RFC 4648 §5) of the bytes. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  assertBytes(bytes, "bytes");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/** Options for `base64UrlToBytes`. */
export interface Base64UrlOptions {
  /** Reject `=` padding (the reference's strict mode); default false, which accepts correct padding. */
  readonly strict?: boolean;
}

/**
 * Decodes base64url. The standard `+`/`/` alphabet, whitespace, wrong padding and non-zero trailing bits are rejected
 * (TypeError); padding is accepted unless `strict`.
 */
export function base64UrlToBytes(text: string, options: Base64UrlOptions = {}): Uint8Array {
  if (typeof text !== "string") throw new TypeError(`base64url must be a string, got ${describeValue(text)}`);
  let body = text;
  if (text.endsWith("=")) {
    if (options.strict === true) throw new TypeError(`base64url must be unpadded: ${describeValue(text)}`);
    body = text.replace(/=+$/, "");
    const pad = text.length - body.length;
    if (text.length % 4 !== 0 || pad > 2) {
      throw new TypeError(`base64url has wrong padding: ${describeValue(text)}`);
    }
  }
  if (!BASE64URL_CHARS.test(body)) throw new TypeError(`not base64url: ${describeValue(text)}`);
  if (body.length % 4 === 1) throw new TypeError(`base64url has an impossible length: ${describeValue(text)}`);
  const bytes = Buffer.from(body, "base64url");
  // Canonical form only: the decoder would otherwise ignore non-zero trailing bits.
  if (bytes.toString("base64url") !== body) {
    throw new TypeError(`base64url has non-zero trailing bits: ${describeValue(text)}`);
  }
  return toPlainBytes(bytes);
}
