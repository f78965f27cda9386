/**
 * The `ComplianceProofBundle` JSON (stark-reference.md §4.1, with this project's changes): version 1, proofType
 * "stark", proofVersion 3 (this implementation's byte format, not the reference's Winterfell format 2), proofB64
 * (standard base64 with padding), proofHash, publicInputs (bound: with witnessCommitment, never an amount or an
 * amount binding hash), publicInputsHash, boundPublicInputsHash, witnessCommitmentHex, metadata (snake_case) and
 * bundleHash = SHA-256("STATESET_VES_COMPLIANCE_PROOF_BUNDLE_HASH_V1" ‖ JCS(every other field)). The bundle is meant
 * to be shared: it holds neither the amount nor the blinding.
 */
import { bytesToHex, complianceProofHash, jcsExactBytes, sha256 } from "../ves";
import { NUM_CONSTRAINTS, TRACE_LENGTH } from "./air";
import { type ComplianceProof } from "./compliance";
import { StarkError } from "./errors";
import { type CompliancePublicInputs, boundPublicInputsHash, parsePublicInputs, publicInputsHash } from "./inputs";
import { type ProofOptions, securityLevels } from "./security";

/** Bundle format version. */
export const BUNDLE_VERSION = 1;
/** proofVersion of this implementation's proofs. */
export const PROOF_VERSION = 3;
/** The version string written into bundle metadata. */
export const PROVER_VERSION = "ves-stark-ts/0.1.0";
const BUNDLE_DOMAIN = "STATESET_VES_COMPLIANCE_PROOF_BUNDLE_HASH_V1";

/**
 * The keys of the bundle metadata, in order: the reference's five plus the two security figures of the proof's
 * options, side by side (the conjectured bits the verifier's floor uses, and the provable bits of the same
 * parameters, see security.ts). One list, so that a bundle schema can use it.
 */
export const BUNDLE_METADATA_FIELDS = Object.freeze([
  "proving_time_ms",
  "num_constraints",
  "trace_length",
  "proof_size",
  "prover_version",
  "conjectured_security_bits",
  "provable_security_bits",
] as const);

/** Bundle metadata (snake_case keys as in the reference; keys: BUNDLE_METADATA_FIELDS). */
export interface BundleMetadata {
  readonly proving_time_ms: number;
  readonly num_constraints: number;
  readonly trace_length: number;
  readonly proof_size: number;
  readonly prover_version: string;
  /** Winterfell's conjectured security of the proof's options (bits). */
  readonly conjectured_security_bits: number;
  /** Provable security of the same options: the larger of the unique- and list-decoding bounds (bits). */
  readonly provable_security_bits: number;
}

/** The two security figures the metadata carries for proofs made with `options`. */
export function metadataSecurity(
  options: ProofOptions,
): Pick<BundleMetadata, "conjectured_security_bits" | "provable_security_bits"> {
  const levels = securityLevels(options, TRACE_LENGTH);
  return { conjectured_security_bits: levels.conjectured, provable_security_bits: levels.provable };
}

/** A shareable compliance proof bundle. */
export interface ComplianceProofBundle {
  readonly version: number;
  readonly proofType: "stark";
  readonly proofVersion: number;
  readonly proofB64: string;
  readonly proofHash: string;
  readonly publicInputs: CompliancePublicInputs;
  readonly publicInputsHash: string;
  readonly boundPublicInputsHash: string;
  readonly witnessCommitmentHex: string;
  readonly metadata: BundleMetadata;
  readonly bundleHash: string;
}

/** bundleHash over every field except bundleHash. */
export function bundleHash(b: Omit<ComplianceProofBundle, "bundleHash">): string {
  const { bundleHash: _drop, ...rest } = b as ComplianceProofBundle;
  return bytesToHex(sha256(new TextEncoder().encode(BUNDLE_DOMAIN), jcsExactBytes(rest)));
}

/** Builds the bundle for a proof. */
export function makeBundle(p: ComplianceProof): ComplianceProofBundle {
  const body: Omit<ComplianceProofBundle, "bundleHash"> = {
    version: BUNDLE_VERSION,
    proofType: "stark",
    proofVersion: PROOF_VERSION,
    proofB64: Buffer.from(p.proofBytes).toString("base64"),
    proofHash: bytesToHex(complianceProofHash(p.proofBytes)),
    publicInputs: p.publicInputs,
    publicInputsHash: publicInputsHash(p.publicInputs),
    boundPublicInputsHash: boundPublicInputsHash(p.publicInputs),
    witnessCommitmentHex: p.witnessCommitmentHex,
    metadata: {
      proving_time_ms: Math.round(p.provingTimeMs),
      num_constraints: NUM_CONSTRAINTS,
      trace_length: TRACE_LENGTH,
      proof_size: p.proofBytes.length,
      prover_version: PROVER_VERSION,
      ...metadataSecurity(p.options),
    },
  };
  return { ...body, bundleHash: bundleHash(body) };
}

/** Strict standard base64 (with padding) decoding; undefined if the text is not canonical base64. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) return undefined;
  return new Uint8Array(bytes);
}

/**
 * Validates a bundle's self-consistency (versions, proof hash, sizes, commitment, policy hash, both input hashes,
 * bundle hash) and returns the decoded proof bytes. It does not verify the STARK: call verifyCompliance for that.
 * @throws StarkError INVALID_BUNDLE (or an input error code for bad public inputs).
 */
export function validateBundle(value: unknown): { bundle: ComplianceProofBundle; proofBytes: Uint8Array } {
  const bad = (msg: string): StarkError => new StarkError("INVALID_BUNDLE", msg);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("bundle must be a JSON object");
  const b = value as ComplianceProofBundle;
  if (b.version !== BUNDLE_VERSION) throw bad(`unsupported bundle version ${String(b.version)}`);
  if (b.proofType !== "stark") throw bad(`unsupported proofType ${String(b.proofType)}`);
  if (b.proofVersion !== PROOF_VERSION) throw bad(`unsupported proofVersion ${String(b.proofVersion)}`);
  const proofBytes = decodeBase64Strict(b.proofB64);
  if (proofBytes === undefined) throw bad("proofB64 is not canonical base64");
  if (b.proofHash !== bytesToHex(complianceProofHash(proofBytes))) throw bad("proofHash does not match the proof");
  if (typeof b.metadata !== "object" || b.metadata === null || b.metadata.proof_size !== proofBytes.length) {
    throw bad("metadata.proof_size does not match the proof");
  }
  const { inputs } = parsePublicInputs(b.publicInputs);
  if (inputs.witnessCommitment === undefined || inputs.witnessCommitment !== b.witnessCommitmentHex) {
    throw bad("publicInputs.witnessCommitment must equal witnessCommitmentHex");
  }
  if (b.publicInputsHash !== publicInputsHash(inputs)) throw bad("publicInputsHash does not match the inputs");
  if (b.boundPublicInputsHash !== boundPublicInputsHash(inputs)) throw bad("boundPublicInputsHash does not match");
  if (b.bundleHash !== bundleHash(b)) throw bad("bundleHash does not match the bundle");
  return { bundle: b, proofBytes };
}
