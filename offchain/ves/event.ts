/**
 * Signed VES events: a builder that turns (identity, entity, event type, payload, optional recipients, key) into a
 * complete envelope, the derivation of every hash of one envelope, a verifier that recomputes them and checks the
 * Ed25519 signature in the sequencer's order (ves-protocol.md §7.2 step 3), recipient decryption, and receipts.
 */
import { randomUUID } from "node:crypto";

import { defaultEd25519, type Ed25519, type Ed25519Signer } from "./ed25519";
import { assertBytes, bytesEqual, bytesTo0xHex, bytesToHex, hexToBytes, uuidEquals } from "./encoding";
import { decryptPayload, encryptPayload, type EncryptionRandomness, type EncryptionRecipient } from "./encryption";
import {
  ZERO_HASH,
  VES_VERSION,
  eventSigningHash,
  payloadAad,
  payloadCipherHash,
  payloadPlainHash,
  receiptHash,
  recipientsHash,
  streamId,
  type EventContext,
} from "./hash";
import { stringifyJsonExact, type JsonValue } from "./jcs";
import type { Rejection, SequencerReceipt, VesEvent, VesEventEnvelope } from "./types";
import { REASON, parseEnvelope, type EnvelopeOptions } from "./validate";

/** Inputs of `buildEnvelope`. */
export interface BuildEnvelopeInput {
  readonly tenantId: string;
  readonly storeId: string;
  readonly sourceAgentId: string;
  readonly agentKeyId: number;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  /** Any JSON value but null; checked at run time (undefined, bigint, Date, NaN... are rejected with a TypeError). */
  readonly payload: unknown;
  /** The agent's 32-byte Ed25519 seed, or a prepared signer. */
  readonly signingKey: Uint8Array | Ed25519Signer;
  /** Encrypt the payload (VES-ENC-1) for these recipients; plaintext when absent or empty. */
  readonly recipients?: readonly EncryptionRecipient[];
  /** Defaults to a random UUIDv4. */
  readonly eventId?: string;
  /** The exact string to sign; defaults to the current time as `toISOString()`. */
  readonly createdAt?: string;
  readonly commandId?: string;
  readonly baseVersion?: bigint;
  /** Ed25519 implementation used for a raw seed; defaults to node:crypto. */
  readonly ed25519?: Ed25519;
  /** Fixed encryption randomness, for known-answer vectors only. */
  readonly encryptionRandomness?: EncryptionRandomness;
}

/** Every value derived from one envelope (recomputed where the sequencer recomputes it). */
export interface EventHashes {
  /** Recomputed from the payload for kind 0; the claimed (salted) hash for kind 1, which only recipients can check. */
  readonly payloadPlainHash: Uint8Array;
  /** Kind 1 only: the AAD built from the claimed plain hash. */
  readonly payloadAad?: Uint8Array;
  /** Kind 1 only. */
  readonly recipientsHash?: Uint8Array;
  /** Recomputed cipher hash (32 zero bytes for kind 0). */
  readonly payloadCipherHash: Uint8Array;
  /** Signing hash over the envelope's fields and its claimed hashes. */
  readonly eventSigningHash: Uint8Array;
  readonly streamId: Uint8Array;
}

/** A built envelope with its decoded form and hashes (and the salt for encrypted events). */
export interface BuiltEnvelope {
  readonly envelope: VesEventEnvelope;
  readonly event: VesEvent;
  readonly hashes: EventHashes;
  readonly salt?: Uint8Array;
}

/** The AAD/signing context of a decoded event. */
export function eventContextOf(event: EventContext): EventContext {
  return {
    tenantId: event.tenantId,
    storeId: event.storeId,
    eventId: event.eventId,
    sourceAgentId: event.sourceAgentId,
    agentKeyId: event.agentKeyId,
    entityType: event.entityType,
    entityId: event.entityId,
    eventType: event.eventType,
    createdAt: event.createdAt,
  };
}

/** Recomputes every hash of a decoded event (§4.2 items 1–6 and 12). */
export function deriveEventHashes(event: VesEvent): EventHashes {
  const signing = eventSigningHash(event);
  const stream = streamId(event.tenantId, event.storeId);
  if (event.payloadKind === 0 || event.payloadEncrypted === undefined) {
    return {
      payloadPlainHash: payloadPlainHash(event.payload),
      payloadCipherHash: ZERO_HASH,
      eventSigningHash: signing,
      streamId: stream,
    };
  }
  const pe = event.payloadEncrypted;
  const aad = payloadAad(event, event.payloadPlainHash);
  const rHash = recipientsHash(pe.recipients);
  return {
    payloadPlainHash: event.payloadPlainHash,
    payloadAad: aad,
    recipientsHash: rHash,
    payloadCipherHash: payloadCipherHash({
      nonce: pe.nonce,
      payloadAad: aad,
      ciphertext: pe.ciphertext,
      tag: pe.tag,
      recipientsHash: rHash,
    }),
    eventSigningHash: signing,
    streamId: stream,
  };
}

/**
 * Builds a complete signed envelope: payload hash (or VES-ENC-1 encryption for the recipients), signing hash, Ed25519
 * signature; the result is re-parsed with the sequencer's checks before it is returned.
 * @throws TypeError/RangeError for invalid fields (bad UUID, string lengths, null payload, recipients, keys).
 */
export async function buildEnvelope(input: BuildEnvelopeInput): Promise<BuiltEnvelope> {
  if (input.payload === null || input.payload === undefined) throw new TypeError("payload must not be null");
  const signer =
    input.signingKey instanceof Uint8Array
      ? (input.ed25519 ?? defaultEd25519).signer(input.signingKey)
      : input.signingKey;
  // 1. Identity and context (the exact created_at string is what gets signed).
  const context: EventContext = {
    tenantId: input.tenantId,
    storeId: input.storeId,
    eventId: input.eventId ?? randomUUID(),
    sourceAgentId: input.sourceAgentId,
    agentKeyId: input.agentKeyId,
    entityType: input.entityType,
    entityId: input.entityId,
    eventType: input.eventType,
    createdAt: input.createdAt ?? new Date().toISOString(),
  };
  // 2. Payload hashes: plaintext, or encrypted for the recipients.
  const encrypted = input.recipients !== undefined && input.recipients.length > 0;
  const enc = encrypted
    ? await encryptPayload({
        payload: input.payload,
        context,
        recipients: input.recipients ?? [],
        ...(input.encryptionRandomness === undefined ? {} : { randomness: input.encryptionRandomness }),
      })
    : undefined;
  const plainHash = enc?.payloadPlainHash ?? payloadPlainHash(input.payload);
  const cipherHash = enc?.payloadCipherHash ?? ZERO_HASH;
  // 3. Signing hash and signature.
  const signingHash = eventSigningHash({
    ...context,
    vesVersion: VES_VERSION,
    payloadKind: encrypted ? 1 : 0,
    payloadPlainHash: plainHash,
    payloadCipherHash: cipherHash,
  });
  const signature = signer.sign(signingHash);
  // 4. Wire form.
  const envelope: VesEventEnvelope = {
    ves_version: VES_VERSION,
    event_id: context.eventId,
    tenant_id: context.tenantId,
    store_id: context.storeId,
    source_agent_id: context.sourceAgentId,
    agent_key_id: context.agentKeyId,
    entity_type: context.entityType,
    entity_id: context.entityId,
    event_type: context.eventType,
    created_at: context.createdAt,
    payload_kind: encrypted ? 1 : 0,
    payload_plain_hash: bytesTo0xHex(plainHash),
    payload_cipher_hash: bytesTo0xHex(cipherHash),
    agent_signature: bytesTo0xHex(signature),
  };
  if (enc === undefined) envelope.payload = input.payload as JsonValue;
  else envelope.payload_encrypted = enc.payloadEncrypted;
  if (input.commandId !== undefined) envelope.command_id = input.commandId;
  if (input.baseVersion !== undefined) envelope.base_version = input.baseVersion;
  // 5. Self-check with the sequencer's structural rules.
  const parsed = parseEnvelope(envelope, { strict: true });
  if (!parsed.ok) throw new RangeError(`built envelope is invalid: ${parsed.rejection.message}`);
  const built = { envelope: parsed.envelope, event: parsed.event, hashes: deriveEventHashes(parsed.event) };
  return enc === undefined ? built : { ...built, salt: enc.salt };
}

/** Outcome of `verifyEvent` / `verifyEnvelope`: the derived hashes, and the rejection when a check fails. */
export type EventVerifyResult =
  | { readonly ok: true; readonly event: VesEvent; readonly hashes: EventHashes }
  | { readonly ok: false; readonly rejection: Rejection; readonly event?: VesEvent; readonly hashes?: EventHashes };

/**
 * Recomputes the payload hash (kind 0) or the cipher hash (kind 1) and checks the Ed25519 signature over the signing
 * hash, failing with `invalid_payload_hash`, `invalid_cipher_hash` or `invalid_signature`.
 */
export function verifyEvent(
  event: VesEvent,
  publicKey: Uint8Array,
  ed25519: Ed25519 = defaultEd25519,
): EventVerifyResult {
  assertBytes(publicKey, "publicKey", 32);
  const hashes = deriveEventHashes(event);
  const fail = (reason: string, message: string): EventVerifyResult => ({
    ok: false,
    rejection: { status: 200, reason, message },
    event,
    hashes,
  });
  if (event.payloadKind === 0 && !bytesEqual(hashes.payloadPlainHash, event.payloadPlainHash)) {
    return fail(REASON.INVALID_PAYLOAD_HASH, "payload_plain_hash does not match the payload's JCS hash");
  }
  if (event.payloadKind === 1 && !bytesEqual(hashes.payloadCipherHash, event.payloadCipherHash)) {
    return fail(REASON.INVALID_CIPHER_HASH, "payload_cipher_hash does not match the encrypted payload");
  }
  const scheme = event.agentSignatureScheme ?? 0;
  if (scheme !== 0 && scheme !== 1) {
    return fail(REASON.INVALID_SIGNATURE, `signature scheme ${scheme} is not supported (Ed25519 only)`);
  }
  if (!ed25519.verify(event.agentSignature, hashes.eventSigningHash, publicKey)) {
    return fail(REASON.INVALID_SIGNATURE, "Ed25519 signature does not verify under the agent key");
  }
  return { ok: true, event, hashes };
}

/** Parses untrusted JSON with `parseEnvelope`, then runs `verifyEvent`: every check of §7.2 step 3 but key lookup. */
export function verifyEnvelope(
  input: unknown,
  publicKey: Uint8Array,
  options: EnvelopeOptions & { readonly ed25519?: Ed25519 } = {},
): EventVerifyResult {
  const parsed = parseEnvelope(input, options);
  if (!parsed.ok) return { ok: false, rejection: parsed.rejection };
  return verifyEvent(parsed.event, publicKey, options.ed25519);
}

/** Outcome of `decryptEnvelope`. */
export type DecryptEnvelopeResult =
  | { readonly ok: true; readonly payload: JsonValue; readonly salt: Uint8Array; readonly event: VesEvent }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/**
 * Decrypts an encrypted envelope as one recipient, after the structural checks and the cipher-hash check; the
 * payload is returned only if its salted hash matches `payload_plain_hash`.
 */
export async function decryptEnvelope(
  input: unknown,
  recipientKid: number,
  recipientSecretKey: Uint8Array,
  options: EnvelopeOptions = {},
): Promise<DecryptEnvelopeResult> {
  const parsed = parseEnvelope(input, options);
  if (!parsed.ok) return { ok: false, reason: parsed.rejection.reason, message: parsed.rejection.message };
  const event = parsed.event;
  if (event.payloadKind !== 1 || event.payloadEncrypted === undefined) {
    return { ok: false, reason: "not_encrypted", message: "payload_kind is 0: the payload is plaintext" };
  }
  const hashes = deriveEventHashes(event);
  if (!bytesEqual(hashes.payloadCipherHash, event.payloadCipherHash)) {
    return { ok: false, reason: REASON.INVALID_CIPHER_HASH, message: "payload_cipher_hash does not match" };
  }
  const result = await decryptPayload({
    payloadEncrypted: event.payloadEncrypted,
    context: event,
    payloadPlainHash: event.payloadPlainHash,
    recipientKid,
    recipientSecretKey,
  });
  return result.ok ? { ok: true, payload: result.payload, salt: result.salt, event } : result;
}

/** JSON text of an envelope (bigint `base_version` printed exactly), optionally indented. */
export function envelopeToJson(envelope: VesEventEnvelope, indent = 0): string {
  return stringifyJsonExact(envelope, indent);
}

/** Inputs of `buildReceipt`. */
export interface BuildReceiptInput {
  readonly event: VesEvent;
  readonly sequenceNumber: bigint;
  readonly sequencerId: string;
  readonly sequencedAt: string;
  /** Signs the receipt hash; without it the receipt says `signatureAlg: "none"`. */
  readonly signer?: Ed25519Signer;
}

/** Builds a sequencer receipt: receipt hash (§4.2 item 7), optionally Ed25519-signed (§5.3). */
export function buildReceipt(input: BuildReceiptInput): SequencerReceipt {
  const hash = receiptHash({
    tenantId: input.event.tenantId,
    storeId: input.event.storeId,
    eventId: input.event.eventId,
    sequenceNumber: input.sequenceNumber,
    eventSigningHash: eventSigningHash(input.event),
  });
  const receipt: SequencerReceipt = {
    sequencerId: input.sequencerId,
    eventId: input.event.eventId,
    sequenceNumber: input.sequenceNumber,
    sequencedAt: input.sequencedAt,
    receiptHash: bytesToHex(hash),
    signatureAlg: input.signer === undefined ? "none" : "ed25519",
    sequencerSignature: input.signer === undefined ? "" : bytesToHex(input.signer.sign(hash)),
    sequencerKeyVersion: 0,
  };
  if (input.signer !== undefined) receipt.receiptSignatureScheme = 1;
  return receipt;
}

/**
 * Checks a receipt against the event it acknowledges: same event id, the recomputed receipt hash, and with a
 * sequencer key an `ed25519` signature over that hash.
 */
export function verifyReceipt(
  receipt: SequencerReceipt,
  event: VesEvent,
  sequencerPublicKey?: Uint8Array,
  ed25519: Ed25519 = defaultEd25519,
): { ok: true } | { ok: false; message: string } {
  if (!uuidEquals(receipt.eventId, event.eventId)) {
    return { ok: false, message: `receipt is for event ${receipt.eventId}, not ${event.eventId}` };
  }
  const expected = receiptHash({
    tenantId: event.tenantId,
    storeId: event.storeId,
    eventId: event.eventId,
    sequenceNumber: receipt.sequenceNumber,
    eventSigningHash: eventSigningHash(event),
  });
  let claimed: Uint8Array;
  try {
    claimed = hexToBytes(receipt.receiptHash, { length: 32 });
  } catch (e) {
    return { ok: false, message: `receiptHash: ${(e as Error).message}` };
  }
  if (!bytesEqual(claimed, expected)) return { ok: false, message: "receiptHash does not match the event" };
  if (sequencerPublicKey === undefined) return { ok: true };
  if (receipt.signatureAlg !== "ed25519") {
    return { ok: false, message: `receipt signature algorithm is ${receipt.signatureAlg}, not ed25519` };
  }
  let signature: Uint8Array;
  try {
    signature = hexToBytes(receipt.sequencerSignature, { length: 64 });
  } catch (e) {
    return { ok: false, message: `sequencerSignature: ${(e as Error).message}` };
  }
  return ed25519.verify(signature, expected, sequencerPublicKey)
    ? { ok: true }
    : { ok: false, message: "sequencer signature does not verify" };
}
