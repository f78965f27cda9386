/**
 * Parse-and-validate of untrusted envelopes and ingest requests (ves-protocol.md §2.1, §6.3, §7.1–§7.2, §7.5).
 * Checks run in the reference's order and fail with its reason strings and limits; structural failures that the
 * reference reports as an HTTP error for the whole request carry that status instead of 200.
 */
import {
  base64UrlToBytes,
  describeValue,
  hexToBytes,
  isUuid,
  isWellFormedString,
  normalizeUuid,
  utf8ByteLength,
  utf8Encode,
} from "./encoding";
import { ZERO_HASH, VES_VERSION, type PayloadKind, type RecipientEntry } from "./hash";
import { assertJsonValue, stringifyJsonExact, toDoubleJson, type ExactJsonValue, type JsonValue } from "./jcs";
import { U32_MAX, U64_MAX, integerOf, isObject, own, type JsonObject } from "./shape";
import type {
  HpkeParamsWire,
  PayloadEncrypted,
  PayloadEncryptedWire,
  RecipientWire,
  Rejection,
  RejectionStatus,
  SignatureBundleWire,
  VesEvent,
  VesEventEnvelope,
} from "./types";

/** The per-event rejection reasons of §7.5 (the parts before any colon). */
export const REASON = {
  DUPLICATE_EVENT_ID: "duplicate_event_id",
  DUPLICATE_COMMAND_ID: "duplicate_command_id",
  INVALID_PAYLOAD_HASH: "invalid_payload_hash",
  INVALID_CIPHER_HASH: "invalid_cipher_hash",
  INVALID_SIGNATURE: "invalid_signature",
  AGENT_KEY_INVALID: "agent_key_invalid",
  UNSUPPORTED_VERSION: "unsupported_version",
  SCHEMA_VALIDATION: "schema_validation",
  VERSION_CONFLICT: "version_conflict",
  /** Library reason for a request the reference refuses with 422 (missing key or wrong JSON type). */
  MALFORMED: "malformed",
  /** Library reason for a request the reference refuses with 413 (payload over 1 MiB, too many events). */
  PAYLOAD_TOO_LARGE: "payload_too_large",
  /** Library reason for a request the reference refuses with 400 (mixed streams, agent mismatch, empty). */
  INVALID_REQUEST: "invalid_request",
} as const;

/** `schema_validation: <field>`, the structural rejection of §7.5. */
export function schemaValidationReason(field: string): string {
  return `${REASON.SCHEMA_VALIDATION}: ${field}`;
}

/** `agent_key_invalid: <message>`. */
export function agentKeyInvalidReason(message: string): string {
  return `${REASON.AGENT_KEY_INVALID}: ${message}`;
}

/** `version_conflict: expected X, actual Y`. */
export function versionConflictReason(expected: bigint, actual: bigint): string {
  return `${REASON.VERSION_CONFLICT}: expected ${expected}, actual ${actual}`;
}

/** The reference's limits (§7.1, §14). */
export const LIMITS = {
  ENTITY_TYPE_MAX_BYTES: 128,
  ENTITY_ID_MAX_BYTES: 512,
  EVENT_TYPE_MAX_BYTES: 256,
  /**
   * Largest `payload` or `payload_encrypted`, measured as compact JSON bytes. The reference measures serde_json's
   * output, which can print a non-integer or huge number a byte or two differently from JavaScript (`1e21` vs
   * `1e+21`); for payloads of strings and safe integers the two sizes are equal.
   */
  MAX_EVENT_PAYLOAD_BYTES: 1024 * 1024,
  MAX_EVENTS_PER_BATCH: 1000,
  MAX_BODY_BYTES: 10 * 1024 * 1024,
  /** Longest proof path the reference's verify endpoint accepts. */
  MAX_PROOF_PATH: 64,
} as const;

/** Allowed values of the `payload_encrypted` fields under the reference's `legacy` profile (§6.3). */
export const ENCRYPTION_PARAMS = {
  ENC_VERSIONS: [1, 2, 3] as readonly number[],
  AEAD: "AES-256-GCM",
  HPKE_MODES: ["base", "hybrid-base", "pqc-base"] as readonly string[],
  HPKE_KEMS: ["X25519-HKDF-SHA256", "x25519+mlkem768", "mlkem768"] as readonly string[],
  HPKE_KDF: "HKDF-SHA256",
  HPKE_AEAD: "AES-256-GCM",
  NONCE_BYTES: 12,
  TAG_BYTES: 16,
  ENC_BYTES: 32,
  WRAPPED_DEK_BYTES: 48,
} as const;

/** Options of the envelope checks. */
export interface EnvelopeOptions {
  /** `VES_STRICT_FORMAT_VALIDATION`: hex must be `0x` + lowercase of the exact length, base64url unpadded. */
  readonly strict?: boolean;
}

/** Result of `parseEnvelope`: the typed wire envelope and its decoded form, or the rejection. */
export type EnvelopeParseResult =
  | { readonly ok: true; readonly envelope: VesEventEnvelope; readonly event: VesEvent }
  | { readonly ok: false; readonly rejection: Rejection };

class Reject extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.message);
  }
}

function reject(status: RejectionStatus, reason: string, message: string): never {
  throw new Reject({ status, reason, message });
}

function malformed(field: string, message: string): never {
  return reject(422, `${REASON.MALFORMED}: ${field}`, `${field}: ${message}`);
}

function schema(field: string, message: string): never {
  return reject(200, schemaValidationReason(field), `${field}: ${message}`);
}

function readU32(obj: JsonObject, key: string, path = key): number {
  const n = integerOf(own(obj, key), U32_MAX);
  if (n === undefined) malformed(path, `expected an integer in 0..4294967295, got ${describeValue(own(obj, key))}`);
  return Number(n);
}

function readOptionalU64(obj: JsonObject, key: string): bigint | undefined {
  const raw = own(obj, key);
  if (raw === undefined || raw === null) return undefined;
  const n = integerOf(raw, U64_MAX);
  if (n === undefined) malformed(key, `expected an integer in 0..2^64-1, got ${describeValue(raw)}`);
  return n;
}

function readString(obj: JsonObject, key: string, path = key): string {
  const raw = own(obj, key);
  if (typeof raw !== "string") malformed(path, `expected a string, got ${describeValue(raw)}`);
  if (!isWellFormedString(raw)) malformed(path, "string has a lone UTF-16 surrogate");
  return raw;
}

function readUuid(obj: JsonObject, key: string): string {
  const raw = readString(obj, key);
  if (!isUuid(raw)) malformed(key, `expected a UUID, got ${describeValue(raw)}`);
  return raw;
}

function readHex(obj: JsonObject, key: string, bytes: number): string {
  const raw = readString(obj, key);
  try {
    hexToBytes(raw, { length: bytes });
  } catch (e) {
    malformed(key, (e as Error).message);
  }
  return raw;
}

function readObject(obj: JsonObject, key: string, path = key): JsonObject {
  const raw = own(obj, key);
  if (!isObject(raw)) malformed(path, `expected an object, got ${describeValue(raw)}`);
  return raw;
}

function readByteArray(obj: JsonObject, key: string, path: string): number[] | undefined {
  const raw = own(obj, key);
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) malformed(path, "expected an array of byte values");
  return raw.map((b, i) => {
    const n = integerOf(b, 255n);
    if (n === undefined) malformed(`${path}[${i}]`, `expected a byte value, got ${describeValue(b)}`);
    return Number(n);
  });
}

function readPayloadEncryptedWire(obj: JsonObject): PayloadEncryptedWire {
  const pe = readObject(obj, "payload_encrypted");
  const p = (k: string): string => `payload_encrypted.${k}`;
  const hpke = readObject(pe, "hpke", p("hpke"));
  const hpkeWire: HpkeParamsWire = {
    mode: readString(hpke, "mode", p("hpke.mode")),
    kem: readString(hpke, "kem", p("hpke.kem")),
    kdf: readString(hpke, "kdf", p("hpke.kdf")),
    aead: readString(hpke, "aead", p("hpke.aead")),
  };
  const recipientsRaw = own(pe, "recipients");
  if (!Array.isArray(recipientsRaw)) malformed(p("recipients"), "expected an array");
  const recipients: RecipientWire[] = recipientsRaw.map((r: unknown, i) => {
    const path = p(`recipients[${i}]`);
    if (!isObject(r)) malformed(path, "expected an object");
    return {
      recipient_kid: readU32(r, "recipient_kid", `${path}.recipient_kid`),
      enc_b64u: readString(r, "enc_b64u", `${path}.enc_b64u`),
      ct_b64u: readString(r, "ct_b64u", `${path}.ct_b64u`),
    };
  });
  return {
    enc_version: readU32(pe, "enc_version", p("enc_version")),
    aead: readString(pe, "aead", p("aead")),
    nonce_b64u: readString(pe, "nonce_b64u", p("nonce_b64u")),
    ciphertext_b64u: readString(pe, "ciphertext_b64u", p("ciphertext_b64u")),
    tag_b64u: readString(pe, "tag_b64u", p("tag_b64u")),
    hpke: hpkeWire,
    recipients,
  };
}

function readPayload(obj: JsonObject): JsonValue | undefined {
  const raw = own(obj, "payload");
  if (raw === undefined || raw === null) return undefined;
  try {
    // Validate it is JSON (exact form allowed), then map integers to doubles as the sequencer's JCS does.
    assertJsonValue(raw, true);
  } catch (e) {
    malformed("payload", (e as Error).message);
  }
  return toDoubleJson(raw as ExactJsonValue);
}

/** Size of the compact JSON text of a value, as the reference measures payload limits. */
function compactJsonBytes(value: unknown): number {
  return utf8Encode(stringifyJsonExact(value)).length;
}

/**
 * `compactJsonBytes` of a payload `readPayload` returned: it passed the JSON checks and holds no bigint, so its compact
 * text is exactly what JSON.stringify prints (well-formed, hence its UTF-8 length is Buffer.byteLength's).
 */
function payloadJsonBytes(payload: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(payload), "utf8");
}

/** Phase 1, the shape check that Axum's JSON extractor does (422 on failure). */
function readEnvelopeShape(input: unknown): VesEventEnvelope {
  if (!isObject(input)) malformed("envelope", `expected a JSON object, got ${describeValue(input)}`);
  const kindRaw = own(input, "payload_kind");
  const kind = integerOf(kindRaw, 1n);
  if (kind === undefined) malformed("payload_kind", `expected 0 or 1, got ${describeValue(kindRaw)}`);
  const envelope: VesEventEnvelope = {
    ves_version: readU32(input, "ves_version"),
    event_id: readUuid(input, "event_id"),
    tenant_id: readUuid(input, "tenant_id"),
    store_id: readUuid(input, "store_id"),
    source_agent_id: readUuid(input, "source_agent_id"),
    agent_key_id: readU32(input, "agent_key_id"),
    entity_type: readString(input, "entity_type"),
    entity_id: readString(input, "entity_id"),
    event_type: readString(input, "event_type"),
    created_at: readString(input, "created_at"),
    payload_kind: Number(kind) as PayloadKind,
    payload_plain_hash: readHex(input, "payload_plain_hash", 32),
    payload_cipher_hash: readHex(input, "payload_cipher_hash", 32),
    agent_signature: readHex(input, "agent_signature", 64),
  };
  const payload = readPayload(input);
  if (payload !== undefined) envelope.payload = payload;
  const pe = own(input, "payload_encrypted");
  if (pe !== undefined && pe !== null) envelope.payload_encrypted = readPayloadEncryptedWire(input);
  const commandId = own(input, "command_id");
  if (commandId !== undefined && commandId !== null) envelope.command_id = readUuid(input, "command_id");
  const baseVersion = readOptionalU64(input, "base_version");
  if (baseVersion !== undefined) envelope.base_version = baseVersion;
  const scheme = own(input, "agent_signature_scheme");
  if (scheme !== undefined && scheme !== null) {
    const n = integerOf(scheme, 3n);
    if (n === undefined) malformed("agent_signature_scheme", `expected 0..3, got ${describeValue(scheme)}`);
    envelope.agent_signature_scheme = Number(n);
  }
  const bundleRaw = own(input, "agent_signature_bundle");
  if (bundleRaw !== undefined && bundleRaw !== null) {
    const b = readObject(input, "agent_signature_bundle");
    const bundle: SignatureBundleWire = {};
    const ed = readByteArray(b, "ed25519_signature", "agent_signature_bundle.ed25519_signature");
    const ml = readByteArray(b, "ml_dsa_65_signature", "agent_signature_bundle.ml_dsa_65_signature");
    if (ed !== undefined) bundle.ed25519_signature = ed;
    if (ml !== undefined) bundle.ml_dsa_65_signature = ml;
    envelope.agent_signature_bundle = bundle;
  }
  return envelope;
}

function checkStringBytes(field: string, value: string, max: number): void {
  const n = utf8ByteLength(value);
  if (n < 1 || n > max) reject(400, schemaValidationReason(field), `${field} must be 1..${max} UTF-8 bytes, got ${n}`);
}

/** Phase 2, the ingest handler's limits (400 for string lengths, 413 for payload size). */
function checkHandlerLimits(envelope: VesEventEnvelope): void {
  checkStringBytes("entity_type", envelope.entity_type, LIMITS.ENTITY_TYPE_MAX_BYTES);
  checkStringBytes("entity_id", envelope.entity_id, LIMITS.ENTITY_ID_MAX_BYTES);
  checkStringBytes("event_type", envelope.event_type, LIMITS.EVENT_TYPE_MAX_BYTES);
  for (const key of ["payload", "payload_encrypted"] as const) {
    const value = envelope[key];
    if (value === undefined) continue;
    const size = key === "payload" ? payloadJsonBytes(value as JsonValue) : compactJsonBytes(value);
    if (size > LIMITS.MAX_EVENT_PAYLOAD_BYTES) {
      reject(413, REASON.PAYLOAD_TOO_LARGE, `${key} is ${size} bytes, over ${LIMITS.MAX_EVENT_PAYLOAD_BYTES}`);
    }
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** True if the string parses as RFC 3339 the way chrono's `parse_from_rfc3339` accepts it (leap second 60 allowed). */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  if (day > days || hour > 23 || minute > 59 || second > 60) return false;
  if (m[8] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

function strictHex(field: string, value: string, bytes: number): void {
  if (!new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`).test(value)) {
    schema(field, `strict format needs 0x and ${bytes * 2} lowercase hex digits, got ${describeValue(value)}`);
  }
}

function decodeB64(field: string, value: string, strict: boolean): Uint8Array {
  try {
    return base64UrlToBytes(value, { strict });
  } catch (e) {
    return schema(field, (e as Error).message);
  }
}

/**
 * Checks `payload_encrypted` as the sequencer does (§6.3) and decodes it.
 * @returns the decoded structure, or a `schema_validation: payload_encrypted.<field>` rejection.
 */
export function decodePayloadEncrypted(
  wire: PayloadEncryptedWire,
  options: EnvelopeOptions = {},
): { ok: true; value: PayloadEncrypted } | { ok: false; rejection: Rejection } {
  try {
    return { ok: true, value: decodePayloadEncryptedOrThrow(wire, options.strict === true) };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, rejection: e.rejection };
    throw e;
  }
}

function decodePayloadEncryptedOrThrow(wire: PayloadEncryptedWire, strict: boolean): PayloadEncrypted {
  const p = (k: string): string => `payload_encrypted.${k}`;
  const P = ENCRYPTION_PARAMS;
  if (!P.ENC_VERSIONS.includes(wire.enc_version)) schema(p("enc_version"), `must be 1..3, got ${wire.enc_version}`);
  if (wire.aead !== P.AEAD) schema(p("aead"), `must be ${P.AEAD}, got ${describeValue(wire.aead)}`);
  if (!P.HPKE_MODES.includes(wire.hpke.mode)) schema(p("hpke.mode"), `unsupported ${describeValue(wire.hpke.mode)}`);
  if (!P.HPKE_KEMS.includes(wire.hpke.kem)) schema(p("hpke.kem"), `unsupported ${describeValue(wire.hpke.kem)}`);
  if (wire.hpke.kdf !== P.HPKE_KDF) schema(p("hpke.kdf"), `must be ${P.HPKE_KDF}, got ${describeValue(wire.hpke.kdf)}`);
  if (wire.hpke.aead !== P.HPKE_AEAD) schema(p("hpke.aead"), `must be ${P.HPKE_AEAD}`);
  const nonce = decodeB64(p("nonce_b64u"), wire.nonce_b64u, strict);
  if (nonce.length !== P.NONCE_BYTES) schema(p("nonce_b64u"), `must decode to 12 bytes, got ${nonce.length}`);
  const ciphertext = decodeB64(p("ciphertext_b64u"), wire.ciphertext_b64u, strict);
  if (ciphertext.length === 0) schema(p("ciphertext_b64u"), "must not be empty");
  const tag = decodeB64(p("tag_b64u"), wire.tag_b64u, strict);
  if (tag.length !== P.TAG_BYTES) schema(p("tag_b64u"), `must decode to 16 bytes, got ${tag.length}`);
  if (wire.recipients.length === 0) schema(p("recipients"), "at least one recipient is required");
  const recipients: RecipientEntry[] = [];
  let previousKid = -1;
  wire.recipients.forEach((r, i) => {
    const at = p(`recipients[${i}]`);
    if (r.recipient_kid <= previousKid) {
      schema(p("recipients"), `recipient kids must be strictly ascending, got ${r.recipient_kid} after ${previousKid}`);
    }
    previousKid = r.recipient_kid;
    const enc = decodeB64(`${at}.enc_b64u`, r.enc_b64u, strict);
    if (enc.length !== P.ENC_BYTES) schema(`${at}.enc_b64u`, `must decode to 32 bytes, got ${enc.length}`);
    const ct = decodeB64(`${at}.ct_b64u`, r.ct_b64u, strict);
    if (ct.length !== P.WRAPPED_DEK_BYTES) schema(`${at}.ct_b64u`, `must decode to 48 bytes, got ${ct.length}`);
    recipients.push({ recipientKid: r.recipient_kid, enc, ct });
  });
  return {
    encVersion: wire.enc_version,
    aead: wire.aead,
    hpke: { ...wire.hpke },
    nonce,
    ciphertext,
    tag,
    recipients,
  };
}

/** Phase 3, `validate_event`'s structural checks in the reference's order (per-event rejections). */
function validateEvent(envelope: VesEventEnvelope, strict: boolean): VesEvent {
  if (envelope.ves_version !== VES_VERSION) {
    reject(200, REASON.UNSUPPORTED_VERSION, `ves_version must be ${VES_VERSION}, got ${envelope.ves_version}`);
  }
  const kind = envelope.payload_kind;
  if (kind === 0 && envelope.payload === undefined) schema("payload", "payload_kind 0 needs a non-null payload");
  if (kind === 0 && envelope.payload_encrypted !== undefined) {
    schema("payload_encrypted", "payload_kind 0 must not carry payload_encrypted");
  }
  if (kind === 1 && envelope.payload_encrypted === undefined) {
    schema("payload_encrypted", "payload_kind 1 needs payload_encrypted");
  }
  if (kind === 1 && envelope.payload !== undefined) schema("payload", "payload_kind 1 must not carry payload");
  const payloadPlainHash = hexToBytes(envelope.payload_plain_hash, { length: 32 });
  const payloadCipherHash = hexToBytes(envelope.payload_cipher_hash, { length: 32 });
  const agentSignature = hexToBytes(envelope.agent_signature, { length: 64 });
  if (kind === 0 && !payloadCipherHash.every((b, i) => b === ZERO_HASH[i])) {
    schema("payload_cipher_hash", "must be 32 zero bytes for a plaintext event");
  }
  if (strict) {
    strictHex("payload_plain_hash", envelope.payload_plain_hash, 32);
    strictHex("payload_cipher_hash", envelope.payload_cipher_hash, 32);
    strictHex("agent_signature", envelope.agent_signature, 64);
  }
  const payloadEncrypted =
    envelope.payload_encrypted === undefined
      ? undefined
      : decodePayloadEncryptedOrThrow(envelope.payload_encrypted, strict);
  if (!isRfc3339(envelope.created_at)) {
    schema("created_at", `must be an RFC 3339 date-time, got ${describeValue(envelope.created_at)}`);
  }
  const event: {
    -readonly [K in keyof VesEvent]: VesEvent[K];
  } = {
    vesVersion: envelope.ves_version,
    tenantId: normalizeUuid(envelope.tenant_id),
    storeId: normalizeUuid(envelope.store_id),
    eventId: normalizeUuid(envelope.event_id),
    sourceAgentId: normalizeUuid(envelope.source_agent_id),
    agentKeyId: envelope.agent_key_id,
    entityType: envelope.entity_type,
    entityId: envelope.entity_id,
    eventType: envelope.event_type,
    createdAt: envelope.created_at,
    payloadKind: kind,
    payloadPlainHash,
    payloadCipherHash,
    agentSignature,
  };
  if (envelope.payload !== undefined) event.payload = envelope.payload;
  if (payloadEncrypted !== undefined) event.payloadEncrypted = payloadEncrypted;
  if (envelope.command_id !== undefined) event.commandId = normalizeUuid(envelope.command_id);
  if (envelope.base_version !== undefined) event.baseVersion = envelope.base_version;
  if (envelope.agent_signature_scheme !== undefined) event.agentSignatureScheme = envelope.agent_signature_scheme;
  return event;
}

/**
 * Turns untrusted JSON (from JSON.parse or parseJsonExact) into a typed envelope, applying the reference's checks up
 * to but excluding the hash and signature checks (see `verifyEnvelope`). Unknown keys and the sequencer-assigned
 * `sequence_number` / `sequenced_at` are dropped; payload integers become doubles, as the sequencer hashes them.
 */
export function parseEnvelope(input: unknown, options: EnvelopeOptions = {}): EnvelopeParseResult {
  try {
    const envelope = readEnvelopeShape(input);
    checkHandlerLimits(envelope);
    const event = validateEvent(envelope, options.strict === true);
    return { ok: true, envelope, event };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, rejection: e.rejection };
    throw e;
  }
}

/** Result of `parseIngestRequest`: a request-level failure, or one parse result per event. */
export type IngestRequestParseResult =
  | { readonly ok: true; readonly agentId: string; readonly events: readonly EnvelopeParseResult[] }
  | { readonly ok: false; readonly status: 400 | 413 | 422; readonly message: string };

/**
 * Parses an ingest request body with the handler's whole-request checks (§7.1): shape (422), non-empty (400), at
 * most 1000 events and payload sizes (413), string lengths, one stream and `source_agent_id == agentId` (400).
 * Per-event rejections (status 200) stay in `events`.
 */
export function parseIngestRequest(input: unknown, options: EnvelopeOptions = {}): IngestRequestParseResult {
  if (!isObject(input)) return { ok: false, status: 422, message: "request body must be a JSON object" };
  const agentId = own(input, "agentId");
  if (typeof agentId !== "string" || !isUuid(agentId)) {
    return { ok: false, status: 422, message: `agentId must be a UUID, got ${describeValue(agentId)}` };
  }
  const events = own(input, "events");
  if (!Array.isArray(events)) return { ok: false, status: 422, message: "events must be an array" };
  const results = events.map((e) => parseEnvelope(e, options));
  for (const [i, r] of results.entries()) {
    if (!r.ok && r.rejection.status === 422) {
      return { ok: false, status: 422, message: `events[${i}]: ${r.rejection.message}` };
    }
  }
  if (events.length === 0) return { ok: false, status: 400, message: "events must not be empty" };
  if (events.length > LIMITS.MAX_EVENTS_PER_BATCH) {
    return { ok: false, status: 413, message: `${events.length} events, over ${LIMITS.MAX_EVENTS_PER_BATCH}` };
  }
  const first = events[0] as JsonObject;
  const tenant = normalizeUuid(first.tenant_id as string);
  const store = normalizeUuid(first.store_id as string);
  const agent = normalizeUuid(agentId);
  for (const [i, e] of (events as JsonObject[]).entries()) {
    if (normalizeUuid(e.tenant_id as string) !== tenant || normalizeUuid(e.store_id as string) !== store) {
      return { ok: false, status: 400, message: `events[${i}] is not in the stream of events[0]` };
    }
    if (normalizeUuid(e.source_agent_id as string) !== agent) {
      return { ok: false, status: 400, message: `events[${i}].source_agent_id does not match agentId` };
    }
  }
  for (const [i, r] of results.entries()) {
    if (!r.ok && r.rejection.status !== 200) {
      return { ok: false, status: r.rejection.status as 400 | 413, message: `events[${i}]: ${r.rejection.message}` };
    }
  }
  return { ok: true, agentId, events: results };
}
