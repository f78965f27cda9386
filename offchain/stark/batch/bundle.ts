/**
 * The batch proof bundle JSON (version 1): proofType "stark-batch", proofVersion (this implementation's byte
 * format), proofB64 (standard base64), proofHash = SHA-256("STATESET_VES_BATCH_PROOF_HASH_V1" ‖ proof bytes), the
 * statement and its hash, the claim (inScopeCount, compliantCount, allCompliant), metadata (snake_case) and
 * bundleHash = SHA-256("STATESET_VES_BATCH_PROOF_BUNDLE_HASH_V1" ‖ JCS(every other field)). It holds no amount and
 * no blinding.
 */
import { type ExactJsonValue, batchProofHash, bytesToHex, jcsExactBytes, sha256 } from "../../ves";
import { PROOF_VERSION, PROVER_VERSION, decodeBase64Strict } from "../bundle";
import { StarkError } from "../errors";
import type { BatchClaim, BatchStatement } from "./statement";

/** Batch bundle format version. */
export const BATCH_BUNDLE_VERSION = 1;
/** proofType of batch bundles. */
export const BATCH_PROOF_TYPE = "stark-batch";
const BUNDLE_DOMAIN = "STATESET_VES_BATCH_PROOF_BUNDLE_HASH_V1";

/** Batch bundle metadata (snake_case as the per-event bundle's). */
export interface BatchBundleMetadata {
  readonly proving_time_ms: number;
  readonly num_constraints: number;
  readonly trace_length: number;
  readonly trace_width: number;
  readonly num_events: number;
  readonly proof_size: number;
  readonly prover_version: string;
  /** Conjectured security in bits. */
  readonly security_bits: number;
  /** Provable security in bits. */
  readonly provable_security_bits: number;
}

/** A shareable batch proof. */
export interface BatchProofBundle {
  readonly version: number;
  readonly proofType: typeof BATCH_PROOF_TYPE;
  readonly proofVersion: number;
  readonly proofB64: string;
  readonly proofHash: string;
  readonly statement: BatchStatement;
  readonly statementHash: string;
  readonly claim: BatchClaim;
  readonly metadata: BatchBundleMetadata;
  readonly bundleHash: string;
}

/** bundleHash over every field except bundleHash. */
export function batchBundleHash(b: Omit<BatchProofBundle, "bundleHash">): string {
  const { bundleHash: _drop, ...rest } = b as BatchProofBundle;
  return bytesToHex(sha256(new TextEncoder().encode(BUNDLE_DOMAIN), jcsExactBytes(rest as unknown as ExactJsonValue)));
}

/** The batch proof hash (hex) of proof bytes. */
export function batchProofHashHex(proofBytes: Uint8Array): string {
  return bytesToHex(batchProofHash(proofBytes));
}

/** Assembles a bundle (computes the proof hash and the bundle hash). */
export function makeBatchBundle(
  proofBytes: Uint8Array,
  statement: BatchStatement,
  statementHash: string,
  claim: BatchClaim,
  metadata: Omit<BatchBundleMetadata, "proof_size" | "prover_version">,
): BatchProofBundle {
  const body: Omit<BatchProofBundle, "bundleHash"> = {
    version: BATCH_BUNDLE_VERSION,
    proofType: BATCH_PROOF_TYPE,
    proofVersion: PROOF_VERSION,
    proofB64: Buffer.from(proofBytes).toString("base64"),
    proofHash: batchProofHashHex(proofBytes),
    statement,
    statementHash,
    claim,
    metadata: { ...metadata, proof_size: proofBytes.length, prover_version: PROVER_VERSION },
  };
  return { ...body, bundleHash: batchBundleHash(body) };
}

const BUNDLE_KEYS = [
  "version",
  "proofType",
  "proofVersion",
  "proofB64",
  "proofHash",
  "statement",
  "statementHash",
  "claim",
  "metadata",
  "bundleHash",
];

/**
 * Checks a bundle's envelope (fields, versions, base64, proof hash, proof size, claim shape, bundle hash) and returns
 * the proof bytes. The statement itself is checked by verifyBatch.
 * @throws StarkError INVALID_BUNDLE.
 */
export function readBatchBundle(value: unknown): { bundle: BatchProofBundle; proofBytes: Uint8Array } {
  const bad = (msg: string): StarkError => new StarkError("INVALID_BUNDLE", msg);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("bundle must be a JSON object");
  const b = value as BatchProofBundle;
  for (const k of Object.keys(b)) if (!BUNDLE_KEYS.includes(k)) throw bad(`unknown bundle field ${k}`);
  if (b.version !== BATCH_BUNDLE_VERSION) throw bad(`unsupported bundle version ${String(b.version)}`);
  if (b.proofType !== BATCH_PROOF_TYPE) throw bad(`unsupported proofType ${String(b.proofType)}`);
  if (b.proofVersion !== PROOF_VERSION) throw bad(`unsupported proofVersion ${String(b.proofVersion)}`);
  if (typeof b.proofB64 !== "string") throw bad("proofB64 must be a string");
  const proofBytes = decodeBase64Strict(b.proofB64);
  if (proofBytes === undefined) throw bad("proofB64 is not canonical base64");
  if (b.proofHash !== batchProofHashHex(proofBytes)) throw bad("proofHash does not match the proof");
  const m = b.metadata as unknown as Record<string, unknown> | null;
  if (typeof m !== "object" || m === null || m.proof_size !== proofBytes.length) {
    throw bad("metadata.proof_size does not match the proof");
  }
  const c = b.claim as unknown as Record<string, unknown> | null;
  if (
    typeof c !== "object" ||
    c === null ||
    Object.keys(c).length !== 3 ||
    !Number.isSafeInteger(c.inScopeCount) ||
    !Number.isSafeInteger(c.compliantCount) ||
    typeof c.allCompliant !== "boolean"
  ) {
    throw bad("claim must be {inScopeCount, compliantCount, allCompliant}");
  }
  if (typeof b.bundleHash !== "string" || b.bundleHash !== batchBundleHash(b)) {
    throw bad("bundleHash does not match the bundle");
  }
  return { bundle: b, proofBytes };
}
