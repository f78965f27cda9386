/**
 * The sequencer's normal form of an envelope: re-rendered from its decoded event (lowercase UUIDs, `0x` lowercase
 * hex, unpadded base64url, the payload as a JSON value), so two submissions of the same event compare equal however
 * they were spelled, and any difference in a field that matters makes them differ (exact-replay detection, §7.2).
 */
import {
  bytesTo0xHex,
  bytesToBase64Url,
  jcsExactBytes,
  sha256,
  stringifyJsonExact,
  type ExactJsonValue,
  type VesEvent,
  type VesEventEnvelope,
} from "../ves";

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

/** The normalized envelope as JSON text (u64 values exact). */
export function envelopeText(envelope: VesEventEnvelope): string {
  return stringifyJsonExact(envelope as unknown as ExactJsonValue);
}

/** SHA-256 over the canonical JSON of the normalized envelope: equal iff the submissions are the same event. */
export function contentHash(envelope: VesEventEnvelope): Uint8Array {
  return sha256(jcsExactBytes(envelope as unknown as ExactJsonValue));
}
