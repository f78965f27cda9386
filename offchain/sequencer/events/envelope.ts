/**
 * The sequencer's normal form of an envelope: re-rendered from its decoded event (lowercase UUIDs, `0x` lowercase
 * hex, unpadded base64url, the payload as a JSON value), so two submissions of the same event compare equal however
 * they were spelled, and any difference in a field that matters makes them differ (exact-replay detection, §7.2).
 */
import {
  bytesTo0xHex,
  bytesToBase64Url,
  isWellFormedString,
  jcs,
  jcsExact,
  sha256,
  utf8Encode,
  type ExactJsonValue,
  type VesEvent,
  type VesEventEnvelope,
} from "../../ves";
import type { EventCandidate } from "../store";

/** The normalized wire envelope of a decoded event. */
export function normalizeEnvelope(event: VesEvent): VesEventEnvelope {
  const env: VesEventEnvelope = {
    ves_version: event.vesVersion,
    event_id: event.eventId,
    tenant_id: event.tenantId,
    store_id: event.storeId,
    source_agent_id: event.sourceAgentId,
    agent_key_id: event.agentKeyId,
    entity_type: event.entityType,
    entity_id: event.entityId,
    event_type: event.eventType,
    created_at: event.createdAt,
    payload_kind: event.payloadKind,
    payload_plain_hash: bytesTo0xHex(event.payloadPlainHash),
    payload_cipher_hash: bytesTo0xHex(event.payloadCipherHash),
    agent_signature: bytesTo0xHex(event.agentSignature),
  };
  if (event.payload !== undefined) env.payload = event.payload;
  const pe = event.payloadEncrypted;
  if (pe !== undefined) {
    env.payload_encrypted = {
      enc_version: pe.encVersion,
      aead: pe.aead,
      nonce_b64u: bytesToBase64Url(pe.nonce),
      ciphertext_b64u: bytesToBase64Url(pe.ciphertext),
      tag_b64u: bytesToBase64Url(pe.tag),
      hpke: { ...pe.hpke },
      recipients: pe.recipients.map((r) => ({
        recipient_kid: r.recipientKid,
        enc_b64u: bytesToBase64Url(r.enc),
        ct_b64u: bytesToBase64Url(r.ct),
      })),
    };
  }
  if (event.commandId !== undefined) env.command_id = event.commandId;
  if (event.baseVersion !== undefined) env.base_version = event.baseVersion;
  if (event.agentSignatureScheme !== undefined) env.agent_signature_scheme = event.agentSignatureScheme;
  return env;
}

/** The stored form of a normalized envelope: its canonical JSON (u64 values exact) and the SHA-256 of that text. */
export interface CanonicalEnvelope {
  readonly json: string;
  /** Equal for two submissions iff they are the same event (exact-replay detection). */
  readonly hash: Uint8Array;
  /** `jcs` of the payload (plaintext events), printed once here and reused for its hash. */
  readonly payloadJcs?: string;
}

/**
 * The keys a normalized envelope may have besides `payload`, in the order `jcsExact` prints them (sorted the same way,
 * by UTF-16 code units, once at load).
 */
const ENVELOPE_KEYS = [
  "ves_version",
  "event_id",
  "tenant_id",
  "store_id",
  "source_agent_id",
  "agent_key_id",
  "entity_type",
  "entity_id",
  "event_type",
  "created_at",
  "payload_kind",
  "payload_plain_hash",
  "payload_cipher_hash",
  "agent_signature",
  "payload_encrypted",
  "command_id",
  "base_version",
  "agent_signature_scheme",
].sort() as (keyof VesEventEnvelope)[];
const KNOWN_KEYS = new Set<string>([...ENVELOPE_KEYS, "payload"]);
const U64_MAX = (1n << 64n) - 1n;

/**
 * `jcsExact` of the envelope without its payload, printed from the known key order (no per-event sort, no guard walk
 * of fields that are already checked); any envelope it is not sure about (an unknown key, a string that is not
 * well-formed, a number that is not a safe integer, a u64 out of range, `payload_encrypted`) goes through `jcsExact`
 * itself, which prints or throws exactly as before.
 */
function canonicalFields(envelope: VesEventEnvelope): string {
  const generic = () => {
    const { payload: _payload, ...rest } = envelope;
    return jcsExact(rest as unknown as ExactJsonValue);
  };
  for (const k in envelope) if (!KNOWN_KEYS.has(k)) return generic();
  let out = "";
  for (const k of ENVELOPE_KEYS) {
    const v = envelope[k];
    if (v === undefined) {
      if (k in envelope) return generic();
      continue;
    }
    let text: string;
    if (typeof v === "string" && isWellFormedString(v)) text = JSON.stringify(v);
    else if (typeof v === "number" && Number.isSafeInteger(v)) text = String(v);
    else if (typeof v === "bigint" && v >= 0n && v <= U64_MAX) text = v.toString();
    else return generic();
    out += `${out === "" ? "{" : ","}"${k}":${text}`;
  }
  return `${out === "" ? "{" : out}}`;
}

/**
 * Canonicalizes a normalized envelope once: the text to store and the content hash to compare. The payload is printed
 * the way its hash sees it (JCS over doubles, §3); every other field exactly (`base_version` is a u64).
 */
export function canonicalEnvelope(envelope: VesEventEnvelope): CanonicalEnvelope {
  const fields = canonicalFields(envelope);
  if (envelope.payload === undefined) return { json: fields, hash: sha256(utf8Encode(fields)) };
  const payloadJcs = jcs(envelope.payload);
  const json = `${fields.slice(0, -1)},"payload":${payloadJcs}}`;
  return { json, hash: sha256(utf8Encode(json)), payloadJcs };
}

/** The store candidate of a checked event, from its signing hash and canonical envelope. */
export function eventCandidate(
  e: VesEvent,
  eventSigningHash: Uint8Array,
  canonical: CanonicalEnvelope,
): EventCandidate {
  return {
    eventId: e.eventId,
    sourceAgentId: e.sourceAgentId,
    agentKeyId: e.agentKeyId,
    entityType: e.entityType,
    entityId: e.entityId,
    eventType: e.eventType,
    ...(e.commandId === undefined ? {} : { commandId: e.commandId }),
    ...(e.baseVersion === undefined ? {} : { baseVersion: e.baseVersion }),
    eventSigningHash,
    agentSignature: e.agentSignature,
    contentHash: canonical.hash,
    envelopeJson: canonical.json,
  };
}
