/**
 * The four `ves` commands (inspect, commit, decrypt, keygen): each reads its input, runs the protocol library and
 * returns the JSON document to print. Failures are AppErrors with exit code 1 (invalid input or proof).
 */
import { AppError } from "../../common";
import {
  buildReceipt,
  bytesEqual,
  bytesToHex,
  commitEvents,
  commitmentProof,
  decryptEnvelope,
  defaultEd25519,
  deriveEventHashes,
  ed25519Keygen,
  eventLeafHash,
  eventSigningPreimage,
  parseEnvelope,
  x25519Keygen,
  type ExactJsonValue,
  type VesEvent,
} from "../index";
import { readJsonInput, readSecretKey, type CliIo } from "./io";

/** What a command hands back: the JSON to print and, when the input failed a check, the error line and exit code. */
export interface CommandResult {
  readonly output?: ExactJsonValue;
  readonly failure?: AppError;
}

function parseEvent(input: unknown, strict: boolean, label: string): VesEvent {
  const parsed = parseEnvelope(input, { strict });
  if (!parsed.ok) {
    const r = parsed.rejection;
    throw new AppError("VES_INVALID_EVENT", `${label} is rejected: ${r.reason} (${r.message})`);
  }
  return parsed.event;
}

/** Options of `ves inspect`. */
export interface InspectOptions {
  readonly sequence?: bigint;
  readonly publicKey?: Uint8Array;
  readonly strict?: boolean;
}

/** `ves inspect`: every derived value of one envelope; fails (after printing) if a hash or the signature is wrong. */
export function inspectCommand(io: CliIo, file: string, options: InspectOptions): CommandResult {
  const event = parseEvent(readJsonInput(io, file), options.strict === true, "the event");
  const hashes = deriveEventHashes(event);
  const problems: string[] = [];
  const out: Record<string, ExactJsonValue> = {
    event_id: event.eventId,
    payload_kind: event.payloadKind,
  };
  if (event.payloadKind === 0) {
    const matches = bytesEqual(hashes.payloadPlainHash, event.payloadPlainHash);
    if (!matches) problems.push("invalid_payload_hash");
    out.payload_plain_hash = {
      claimed: bytesToHex(event.payloadPlainHash),
      recomputed: bytesToHex(hashes.payloadPlainHash),
      matches,
    };
    out.payload_cipher_hash = bytesToHex(event.payloadCipherHash);
  } else {
    const matches = bytesEqual(hashes.payloadCipherHash, event.payloadCipherHash);
    if (!matches) problems.push("invalid_cipher_hash");
    out.payload_plain_hash = bytesToHex(event.payloadPlainHash);
    out.payload_aad = bytesToHex(hashes.payloadAad ?? new Uint8Array(0));
    out.recipients_hash = bytesToHex(hashes.recipientsHash ?? new Uint8Array(0));
    out.recipient_kids = (event.payloadEncrypted?.recipients ?? []).map((r) => r.recipientKid);
    out.payload_cipher_hash = {
      claimed: bytesToHex(event.payloadCipherHash),
      recomputed: bytesToHex(hashes.payloadCipherHash),
      matches,
    };
  }
  out.event_signing_preimage = bytesToHex(eventSigningPreimage(event));
  out.event_signing_hash = bytesToHex(hashes.eventSigningHash);
  if (options.publicKey !== undefined) {
    const scheme = event.agentSignatureScheme ?? 0;
    const signatureValid =
      (scheme === 0 || scheme === 1) &&
      defaultEd25519.verify(event.agentSignature, hashes.eventSigningHash, options.publicKey);
    out.signature_valid = signatureValid;
    if (!signatureValid) problems.push("invalid_signature");
  }
  out.stream_id = bytesToHex(hashes.streamId);
  if (options.sequence !== undefined) {
    out.sequence_number = options.sequence;
    out.leaf_hash = bytesToHex(eventLeafHash(event, options.sequence));
    out.receipt_hash = buildReceipt({
      event,
      sequenceNumber: options.sequence,
      sequencerId: "",
      sequencedAt: "",
    }).receiptHash;
  }
  out.valid = problems.length === 0;
  if (problems.length === 0) return { output: out };
  return { output: out, failure: new AppError("VES_EVENT_INVALID", `the event fails: ${problems.join(", ")}`) };
}

/** Options of `ves commit`. */
export interface CommitOptions {
  readonly start: bigint;
  readonly prevStateRoot?: Uint8Array;
  readonly strict?: boolean;
}

/** `ves commit`: leaves, root, depth, every inclusion proof and the new state root of envelopes taken as start, … */
export function commitCommand(io: CliIo, file: string, options: CommitOptions): CommandResult {
  const input = readJsonInput(io, file);
  if (!Array.isArray(input)) throw new AppError("VES_INVALID_INPUT", `${file} must hold a JSON array of envelopes`);
  if (input.length === 0) throw new AppError("VES_INVALID_INPUT", `${file} holds no envelopes`);
  const events = input.map((e, i) => parseEvent(e, options.strict === true, `event ${i}`));
  let commitment;
  try {
    commitment = commitEvents(events, {
      sequenceStart: options.start,
      ...(options.prevStateRoot === undefined ? {} : { prevStateRoot: options.prevStateRoot }),
    });
  } catch (e) {
    throw new AppError("VES_INVALID_INPUT", (e as Error).message);
  }
  const proofs = events.map((_, i) => {
    const seq = commitment.sequenceStart + BigInt(i);
    const p = commitmentProof(commitment, seq);
    return {
      sequence_number: seq,
      leaf_index: p.leafIndex,
      leaf_hash: bytesToHex(p.leafHash),
      proof_path: p.proofPath.map(bytesToHex),
      directions: [...p.directions],
    };
  });
  return {
    output: {
      tenant_id: commitment.tenantId,
      store_id: commitment.storeId,
      stream_id: bytesToHex(commitment.streamId),
      sequence_start: commitment.sequenceStart,
      sequence_end: commitment.sequenceEnd,
      leaf_count: commitment.leafCount,
      padded_leaf_count: commitment.paddedLeafCount,
      tree_depth: commitment.treeDepth,
      leaves: commitment.leaves.map((leaf, i) => ({
        sequence_number: commitment.sequenceStart + BigInt(i),
        event_id: events[i]?.eventId ?? "",
        leaf_hash: bytesToHex(leaf),
      })),
      merkle_root: bytesToHex(commitment.merkleRoot),
      prev_state_root: bytesToHex(commitment.prevStateRoot),
      new_state_root: bytesToHex(commitment.newStateRoot),
      proofs,
    },
  };
}

/** Options of `ves decrypt`. */
export interface DecryptOptions {
  readonly recipientKid: number;
  readonly secretKeyFile?: string;
  readonly strict?: boolean;
}

/** `ves decrypt`: the payload of an encrypted envelope, after the cipher-hash, AEAD and salted-hash checks. */
export async function decryptCommand(io: CliIo, file: string, options: DecryptOptions): Promise<CommandResult> {
  const secretKey = readSecretKey(io, options.secretKeyFile);
  const input = readJsonInput(io, file);
  const result = await decryptEnvelope(input, options.recipientKid, secretKey, { strict: options.strict === true });
  if (!result.ok) throw new AppError("VES_DECRYPT_FAILED", `cannot decrypt: ${result.reason} (${result.message})`);
  return { output: result.payload };
}

/** `ves keygen`: a new Ed25519 signing key pair, or with `x25519` an encryption key pair, as hex. */
export function keygenCommand(options: { readonly x25519?: boolean }): CommandResult {
  const pair = options.x25519 === true ? x25519Keygen() : ed25519Keygen();
  return {
    output: {
      algorithm: options.x25519 === true ? "x25519" : "ed25519",
      secret_key: bytesToHex(pair.secretKey),
      public_key: bytesToHex(pair.publicKey),
    },
  };
}
