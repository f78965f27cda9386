/**
 * Every SHA-256 hash of VES v1 with its domain prefix (ves-protocol.md §4.1–§4.2): payload plain hash (plain and
 * salted), payload AAD, recipients hash, cipher hash, event signing hash, receipt hash, Merkle leaf, PAD_LEAF, node,
 * stream id, state root, compliance policy hash, proof hashes and the key proof-of-possession challenge.
 */
import { hash as oneShotHash } from "node:crypto";

import {
  ByteWriter,
  assertBytes,
  assertU32,
  assertU64,
  concatBytes,
  toPlainBytes,
  u32be,
  u64be,
  utf8Encode,
  uuidToBytes,
} from "./encoding";
import { jcsBytes, jcsExactBytes, type ExactJsonValue } from "./jcs";

/** ASCII domain-separation prefixes (raw bytes, no length prefix, no terminator). */
export const DOMAIN = {
  PAYLOAD_PLAIN: "VES_PAYLOAD_PLAIN_V1",
  PAYLOAD_AAD: "VES_PAYLOAD_AAD_V1",
  PAYLOAD_CIPHER: "VES_PAYLOAD_CIPHER_V1",
  RECIPIENTS: "VES_RECIPIENTS_V1",
  EVENTSIG: "VES_EVENTSIG_V1",
  LEAF: "VES_LEAF_V1",
  PAD_LEAF: "VES_PAD_LEAF_V1",
  NODE: "VES_NODE_V1",
  STREAM: "VES_STREAM_V1",
  RECEIPT: "VES_RECEIPT_V1",
  STATE_ROOT: "VES_STATE_ROOT_V1",
  POP: "VES_POP_V1",
  VALIDITY_PROOF_HASH: "STATESET_VES_VALIDITY_PROOF_HASH_V1",
  COMPLIANCE_PROOF_HASH: "STATESET_VES_COMPLIANCE_PROOF_HASH_V1",
  BATCH_PROOF_HASH: "STATESET_VES_BATCH_PROOF_HASH_V1",
  COMPLIANCE_POLICY_HASH: "STATESET_VES_COMPLIANCE_POLICY_HASH_V1",
} as const;

const D = Object.fromEntries(Object.entries(DOMAIN).map(([k, v]) => [k, utf8Encode(v)])) as Record<
  keyof typeof DOMAIN,
  Uint8Array
>;

/** The current (and only) VES protocol version. */
export const VES_VERSION = 1;
/** The literal version number inside the cipher-hash preimage (used whatever `enc_version` says). */
const CIPHER_HASH_VERSION = 1;

/** SHA-256 of the concatenation of the parts. */
export function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  // One-shot hashing of one buffer is the fastest path node:crypto offers for these short preimages.
  const data = parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts);
  return toPlainBytes(oneShotHash("sha256", data, "buffer"));
}

/** 32 zero bytes: the cipher hash of a plaintext event and the genesis `prev_state_root`. */
export const ZERO_HASH: Uint8Array = new Uint8Array(32);

/** PAD_LEAF = H("VES_PAD_LEAF_V1"), the filler of the Merkle tree's padding. */
export const PAD_LEAF: Uint8Array = sha256(D.PAD_LEAF);

/** Payload kind 0 (plaintext `payload`) or 1 (VES-ENC-1 `payload_encrypted`). */
export type PayloadKind = 0 | 1;

/** The event identity and context fields that the AAD and the signing hash share. */
export interface EventContext {
  readonly tenantId: string;
  readonly storeId: string;
  readonly eventId: string;
  readonly sourceAgentId: string;
  readonly agentKeyId: number;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  /** The exact `created_at` string that is signed. */
  readonly createdAt: string;
}

/** Inputs of the event signing hash (§4.2 item 6). */
export interface EventSigningFields extends EventContext {
  readonly vesVersion: number;
  readonly payloadKind: number;
  readonly payloadPlainHash: Uint8Array;
  readonly payloadCipherHash: Uint8Array;
}

/** One recipient entry of `payload_encrypted`, base64url-decoded. */
export interface RecipientEntry {
  readonly recipientKid: number;
  /** HPKE encapsulated key (32 bytes for X25519). */
  readonly enc: Uint8Array;
  /** HPKE-sealed DEK with its tag (48 bytes). */
  readonly ct: Uint8Array;
}

/** Inputs of the cipher hash (§4.2 item 5). */
export interface CipherHashFields {
  readonly nonce: Uint8Array;
  readonly payloadAad: Uint8Array;
  /** AES-GCM ciphertext without its tag. */
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
  readonly recipientsHash: Uint8Array;
}

/** Plaintext payload hash H("VES_PAYLOAD_PLAIN_V1" ‖ UTF-8(JCS(payload))) (§4.2 item 1). */
export function payloadPlainHash(payload: unknown): Uint8Array {
  return sha256(D.PAYLOAD_PLAIN, jcsBytes(payload));
}

/** `payloadPlainHash` of a payload whose `jcs` text is already at hand (the sequencer prints it once per event). */
export function payloadPlainHashOfJcs(jcsText: string): Uint8Array {
  return sha256(D.PAYLOAD_PLAIN, utf8Encode(jcsText));
}

/** Salted payload hash H("VES_PAYLOAD_PLAIN_V1" ‖ salt(16) ‖ UTF-8(JCS(payload))) of encrypted events (§4.2 item 2). */
export function payloadPlainHashSalted(payload: unknown, salt: Uint8Array): Uint8Array {
  assertBytes(salt, "salt", 16);
  return sha256(D.PAYLOAD_PLAIN, salt, jcsBytes(payload));
}

/** A writer sized for a preimage of `fixed` bytes plus the context's four strings. */
function contextWriter(ctx: EventContext, fixed: number): ByteWriter {
  const strings = [ctx.entityType, ctx.entityId, ctx.eventType, ctx.createdAt];
  let capacity = fixed + 16 * 4 + 4 + 4 * 4;
  for (const s of strings) {
    if (typeof s !== "string") throw new TypeError(`event context strings must be strings, got ${typeof s}`);
    capacity += 3 * s.length;
  }
  return new ByteWriter(capacity);
}

/** Appends UUID(tenant) ‖ UUID(store) ‖ UUID(event) ‖ UUID(agent) ‖ U32_BE(key id) ‖ the four ENC_STRs. */
function writeContext(w: ByteWriter, ctx: EventContext): ByteWriter {
  assertU32(ctx.agentKeyId, "agentKeyId");
  return w
    .uuid(ctx.tenantId)
    .uuid(ctx.storeId)
    .uuid(ctx.eventId)
    .uuid(ctx.sourceAgentId)
    .u32(ctx.agentKeyId)
    .str(ctx.entityType)
    .str(ctx.entityId)
    .str(ctx.eventType)
    .str(ctx.createdAt);
}

/** The byte string whose hash is the payload AAD; there is no version field in it (§4.2 item 3, §15.1). */
export function payloadAadPreimage(ctx: EventContext, payloadPlainHash: Uint8Array): Uint8Array {
  assertBytes(payloadPlainHash, "payloadPlainHash", 32);
  const w = contextWriter(ctx, D.PAYLOAD_AAD.length + 32);
  return writeContext(w.bytes(D.PAYLOAD_AAD), ctx).bytes(payloadPlainHash).finish();
}

/** Payload AAD (32 bytes): the AES-GCM AAD and the HPKE `info` of an encrypted event (§4.2 item 3). */
export function payloadAad(ctx: EventContext, payloadPlainHash: Uint8Array): Uint8Array {
  return sha256(payloadAadPreimage(ctx, payloadPlainHash));
}

/** Recipients hash over the decoded entries in the given order, in the code's binary form (§4.2 item 4). */
export function recipientsHash(recipients: readonly RecipientEntry[]): Uint8Array {
  if (!Array.isArray(recipients)) throw new TypeError("recipients must be an array");
  const parts: Uint8Array[] = [D.RECIPIENTS];
  recipients.forEach((r, i) => {
    assertU32(r.recipientKid, `recipients[${i}].recipientKid`);
    assertBytes(r.enc, `recipients[${i}].enc`);
    assertBytes(r.ct, `recipients[${i}].ct`);
    parts.push(u32be(r.recipientKid), u32be(r.enc.length), r.enc, u32be(r.ct.length), r.ct);
  });
  return sha256(...parts);
}

/** Cipher hash H("VES_PAYLOAD_CIPHER_V1" ‖ U32_BE(1) ‖ nonce ‖ aad ‖ U32_BE(len ct) ‖ ct ‖ tag ‖ recipients hash). */
export function payloadCipherHash(fields: CipherHashFields): Uint8Array {
  assertBytes(fields.nonce, "nonce", 12);
  assertBytes(fields.payloadAad, "payloadAad", 32);
  assertBytes(fields.ciphertext, "ciphertext");
  assertBytes(fields.tag, "tag", 16);
  assertBytes(fields.recipientsHash, "recipientsHash", 32);
  return sha256(
    D.PAYLOAD_CIPHER,
    u32be(CIPHER_HASH_VERSION),
    fields.nonce,
    fields.payloadAad,
    u32be(fields.ciphertext.length),
    fields.ciphertext,
    fields.tag,
    fields.recipientsHash,
  );
}

/** The event signing preimage (171 bytes plus the four strings' byte lengths) of §4.2 item 6. */
export function eventSigningPreimage(fields: EventSigningFields): Uint8Array {
  assertU32(fields.vesVersion, "vesVersion");
  assertU32(fields.payloadKind, "payloadKind");
  assertBytes(fields.payloadPlainHash, "payloadPlainHash", 32);
  assertBytes(fields.payloadCipherHash, "payloadCipherHash", 32);
  const w = contextWriter(fields, D.EVENTSIG.length + 4 + 4 + 64);
  writeContext(w.bytes(D.EVENTSIG).u32(fields.vesVersion), fields);
  return w.u32(fields.payloadKind).bytes(fields.payloadPlainHash).bytes(fields.payloadCipherHash).finish();
}

/** Event signing hash: the 32 bytes the agent signs with Ed25519 (§4.2 item 6). */
export function eventSigningHash(fields: EventSigningFields): Uint8Array {
  return sha256(eventSigningPreimage(fields));
}

/** Inputs of the receipt hash (§4.2 item 7). */
export interface ReceiptHashFields {
  readonly tenantId: string;
  readonly storeId: string;
  readonly eventId: string;
  readonly sequenceNumber: bigint;
  readonly eventSigningHash: Uint8Array;
}

/** Receipt hash H("VES_RECEIPT_V1" ‖ tenant ‖ store ‖ event ‖ U64_BE(seq) ‖ signing hash); 102-byte preimage. */
export function receiptHash(fields: ReceiptHashFields): Uint8Array {
  assertU64(fields.sequenceNumber, "sequenceNumber");
  assertBytes(fields.eventSigningHash, "eventSigningHash", 32);
  return sha256(
    D.RECEIPT,
    uuidToBytes(fields.tenantId),
    uuidToBytes(fields.storeId),
    uuidToBytes(fields.eventId),
    u64be(fields.sequenceNumber),
    fields.eventSigningHash,
  );
}

/** Inputs of a Merkle leaf hash (§4.2 item 8). */
export interface LeafHashFields {
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequenceNumber: bigint;
  readonly eventSigningHash: Uint8Array;
  readonly agentSignature: Uint8Array;
}

/** Merkle leaf H("VES_LEAF_V1" ‖ tenant ‖ store ‖ U64_BE(seq) ‖ signing hash ‖ signature); 147-byte preimage. */
export function leafHash(fields: LeafHashFields): Uint8Array {
  assertU64(fields.sequenceNumber, "sequenceNumber");
  assertBytes(fields.eventSigningHash, "eventSigningHash", 32);
  assertBytes(fields.agentSignature, "agentSignature", 64);
  return sha256(
    D.LEAF,
    uuidToBytes(fields.tenantId),
    uuidToBytes(fields.storeId),
    u64be(fields.sequenceNumber),
    fields.eventSigningHash,
    fields.agentSignature,
  );
}

/** Internal Merkle node H("VES_NODE_V1" ‖ left ‖ right) (§4.2 item 10). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertBytes(left, "left", 32);
  assertBytes(right, "right", 32);
  return sha256(D.NODE, left, right);
}

/** Stream id H("VES_STREAM_V1" ‖ tenant ‖ store) (§4.2 item 12). */
export function streamId(tenantId: string, storeId: string): Uint8Array {
  return sha256(D.STREAM, uuidToBytes(tenantId), uuidToBytes(storeId));
}

/** Inputs of a commitment's new state root (§4.2 item 13). */
export interface StateRootFields {
  readonly streamId: Uint8Array;
  readonly prevStateRoot: Uint8Array;
  readonly merkleRoot: Uint8Array;
  readonly sequenceStart: bigint;
  readonly sequenceEnd: bigint;
  readonly leafCount: number;
}

/** New state root H("VES_STATE_ROOT_V1" ‖ stream ‖ prev ‖ root ‖ U64 start ‖ U64 end ‖ U32 count); 133 bytes. */
export function stateRoot(fields: StateRootFields): Uint8Array {
  assertBytes(fields.streamId, "streamId", 32);
  assertBytes(fields.prevStateRoot, "prevStateRoot", 32);
  assertBytes(fields.merkleRoot, "merkleRoot", 32);
  assertU64(fields.sequenceStart, "sequenceStart");
  assertU64(fields.sequenceEnd, "sequenceEnd");
  assertU32(fields.leafCount, "leafCount");
  return sha256(
    D.STATE_ROOT,
    fields.streamId,
    fields.prevStateRoot,
    fields.merkleRoot,
    u64be(fields.sequenceStart),
    u64be(fields.sequenceEnd),
    u32be(fields.leafCount),
  );
}

/**
 * Compliance policy hash H("STATESET_VES_COMPLIANCE_POLICY_HASH_V1" ‖ JCS({policyId, policyParams})), with u64
 * parameters printed exactly (pass them as bigint beyond 2^53).
 */
export function policyHash(policyId: string, policyParams: ExactJsonValue): Uint8Array {
  if (typeof policyId !== "string") throw new TypeError("policyId must be a string");
  return sha256(D.COMPLIANCE_POLICY_HASH, jcsExactBytes({ policyId, policyParams }));
}

/** Validity proof hash H("STATESET_VES_VALIDITY_PROOF_HASH_V1" ‖ proof bytes). */
export function validityProofHash(proof: Uint8Array): Uint8Array {
  assertBytes(proof, "proof");
  return sha256(D.VALIDITY_PROOF_HASH, proof);
}

/** Compliance proof hash H("STATESET_VES_COMPLIANCE_PROOF_HASH_V1" ‖ proof bytes). */
export function complianceProofHash(proof: Uint8Array): Uint8Array {
  assertBytes(proof, "proof");
  return sha256(D.COMPLIANCE_PROOF_HASH, proof);
}

/** Batch proof hash H("STATESET_VES_BATCH_PROOF_HASH_V1" ‖ proof bytes) (stark-reference.md §9.5). */
export function batchProofHash(proof: Uint8Array): Uint8Array {
  assertBytes(proof, "proof");
  return sha256(D.BATCH_PROOF_HASH, proof);
}

/** Key proof-of-possession challenge H("VES_POP_V1" ‖ public key bytes) (§4.2 item 15). */
export function popChallenge(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, "publicKey");
  if (publicKey.length === 0) throw new RangeError("publicKey must not be empty");
  return sha256(D.POP, publicKey);
}
