/**
 * VES v1 wire types (snake_case envelope of ves-protocol.md §2.1 and §6.2, camelCase ingest request and response of
 * §7.6, REST commitments and inclusion proofs of §8.3 and §9.1) and their decoded, binary counterparts.
 * u64 values are bigint; hashes stay hex strings in wire types and are Uint8Array in decoded ones.
 */
import type { EventContext, PayloadKind, RecipientEntry } from "./hash";
import type { ExactJsonValue, JsonValue } from "./jcs";

/** The `hpke` parameters object of `payload_encrypted`. */
export interface HpkeParamsWire {
  mode: string;
  kem: string;
  kdf: string;
  aead: string;
}

/** One `payload_encrypted.recipients[]` entry. */
export interface RecipientWire {
  recipient_kid: number;
  enc_b64u: string;
  ct_b64u: string;
}

/** `payload_encrypted` in its JSON form (§6.2). */
export interface PayloadEncryptedWire {
  enc_version: number;
  aead: string;
  nonce_b64u: string;
  ciphertext_b64u: string;
  tag_b64u: string;
  hpke: HpkeParamsWire;
  recipients: RecipientWire[];
}

/** PQC signature bundle: byte values as JSON arrays (serde `Vec<u8>`). */
export interface SignatureBundleWire {
  ed25519_signature?: number[];
  ml_dsa_65_signature?: number[];
}

/** The VES event envelope in its REST wire form (§2.1), snake_case keys. */
export interface VesEventEnvelope {
  ves_version: number;
  event_id: string;
  tenant_id: string;
  store_id: string;
  source_agent_id: string;
  agent_key_id: number;
  entity_type: string;
  entity_id: string;
  event_type: string;
  created_at: string;
  payload_kind: PayloadKind;
  payload?: JsonValue;
  payload_encrypted?: PayloadEncryptedWire;
  payload_plain_hash: string;
  payload_cipher_hash: string;
  agent_signature: string;
  command_id?: string;
  base_version?: bigint;
  agent_signature_scheme?: number;
  agent_signature_bundle?: SignatureBundleWire;
}

/** `payload_encrypted` decoded: binary fields and recipients in array order. */
export interface PayloadEncrypted {
  readonly encVersion: number;
  readonly aead: string;
  readonly hpke: Readonly<HpkeParamsWire>;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
  readonly recipients: readonly RecipientEntry[];
}

/** An envelope decoded for hashing: UUIDs lowercase hyphenated, hashes and signature as bytes. */
export interface VesEvent extends EventContext {
  readonly vesVersion: number;
  readonly payloadKind: PayloadKind;
  readonly payload?: JsonValue;
  readonly payloadEncrypted?: PayloadEncrypted;
  readonly payloadPlainHash: Uint8Array;
  readonly payloadCipherHash: Uint8Array;
  readonly agentSignature: Uint8Array;
  readonly commandId?: string;
  readonly baseVersion?: bigint;
  /** 0 or absent = Ed25519, 1 = Ed25519, 2 = ML-DSA-65, 3 = hybrid. */
  readonly agentSignatureScheme?: number;
}

/** HTTP status the reference gives a failure: 200 = per-event rejection in a 200 response, others fail the request. */
export type RejectionStatus = 200 | 400 | 413 | 422;

/** Why an event (or a request) is refused: the reference's reason string (§7.5), a message and the status. */
export interface Rejection {
  readonly reason: string;
  readonly message: string;
  readonly status: RejectionStatus;
}

/** `POST /api/v1/ves/events/ingest` request body (§2.1): camelCase top level, snake_case envelopes. */
export interface IngestRequest {
  agentId: string;
  events: VesEventEnvelope[];
}

/** One `rejections[]` item of the ingest response (snake_case). */
export interface IngestRejection {
  event_id: string;
  reason: string;
  message: string;
}

/** A sequencer receipt as the ingest response carries it (camelCase, hex without `0x`). */
export interface SequencerReceipt {
  sequencerId: string;
  eventId: string;
  sequenceNumber: bigint;
  sequencedAt: string;
  receiptHash: string;
  signatureAlg: string;
  sequencerSignature: string;
  sequencerKeyVersion: number;
  receiptSignatureScheme?: number;
  receiptSignatureBundle?: ExactJsonValue;
}

/** The ingest response (§7.6); `rejections` and `receipts` are omitted when empty. */
export interface IngestResponse {
  batchId: string;
  eventsAccepted: number;
  eventsRejected: number;
  sequenceStart: bigint | null;
  sequenceEnd: bigint | null;
  headSequence: bigint;
  rejections?: IngestRejection[];
  receipts?: SequencerReceipt[];
}

/** A VES commitment in its REST form (§9.1), hashes as hex without `0x`. */
export interface CommitmentWire {
  batch_id: string;
  tenant_id: string;
  store_id: string;
  ves_version: number;
  tree_depth: number;
  leaf_count: number;
  padded_leaf_count: number;
  merkle_root: string;
  prev_state_root: string;
  new_state_root: string;
  sequence_start: bigint;
  sequence_end: bigint;
  committed_at: string;
}

/** An inclusion proof in its REST form (§8.3): siblings leaf-up; `directions[d]` true = current node is the left child. */
export interface InclusionProofWire {
  sequence_number: bigint;
  batch_id: string;
  merkle_root: string;
  leaf_hash: string;
  leaf_index: number;
  proof_path: string[];
  directions: boolean[];
}

/** Outcome of parsing untrusted JSON into a typed value. */
export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };
