/**
 * The `ComplianceProofBundle` JSON (stark-reference.md §4.1, with this project's changes): version 1, proofType
 * "stark", proofVersion 3 (this implementation's byte format, not the reference's Winterfell format 2), proofB64
 * (standard base64 with padding), proofHash, publicInputs (bound: with witnessCommitment, never an amount or an
 * amount binding hash), publicInputsHash, boundPublicInputsHash, witnessCommitmentHex, metadata (snake_case) and
 * bundleHash = SHA-256("STATESET_VES_COMPLIANCE_PROOF_BUNDLE_HASH_V1" ‖ JCS(every other field)). The bundle is meant
 * to be shared: it holds neither the amount nor the blinding.
 */
import { createRequire } from "node:module";

import type Ajv from "ajv";
import type { ValidateFunction } from "ajv";

import { bytesToHex, complianceProofHash, jcsExactBytes, parseJsonExact, sha256 } from "../ves";
import { NUM_CONSTRAINTS, TRACE_LENGTH } from "./air";
import { type ComplianceProof } from "./compliance";
import { StarkError, isStarkError } from "./errors";
import {
  type CompliancePublicInputs,
  PUBLIC_INPUT_FIELDS,
  boundPublicInputsHash,
  parsePublicInputs,
  publicInputsHash,
} from "./inputs";
import { type ProofOptions, securityLevels } from "./security";
import { MAX_PROOF_BYTES, readProofOptions } from "./serialization";

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

/** The longest accepted proofB64: the base64 length of a MAX_PROOF_BYTES proof. */
export const MAX_PROOF_B64_LENGTH = 4 * Math.ceil(MAX_PROOF_BYTES / 3);
/** The longest accepted bundle JSON text: the largest proofB64 plus 64 KiB for every other field and whitespace. */
export const MAX_BUNDLE_TEXT_LENGTH = MAX_PROOF_B64_LENGTH + 64 * 1024;

const HEX64 = "^[0-9a-f]{64}$";
const hex64 = { type: "string", pattern: HEX64 } as const;
const uint = (maximum: number): object => ({ type: "integer", minimum: 0, maximum });

/**
 * The bundle's JSON Schema: every field required, no other field (a plaintext `amount` is refused like any unknown
 * key), constant versions, strict hex, bounded integers and strings (so NaN, 1e300 or a lone surrogate are schema
 * failures, not exceptions further on). The public inputs' values are checked by parsePublicInputs afterwards.
 */
const BUNDLE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: [
    "version",
    "proofType",
    "proofVersion",
    "proofB64",
    "proofHash",
    "publicInputs",
    "publicInputsHash",
    "boundPublicInputsHash",
    "witnessCommitmentHex",
    "metadata",
    "bundleHash",
  ],
  properties: {
    version: { const: BUNDLE_VERSION },
    proofType: { const: "stark" },
    proofVersion: { const: PROOF_VERSION },
    proofB64: { type: "string", maxLength: MAX_PROOF_B64_LENGTH, pattern: "^[A-Za-z0-9+/]*={0,2}$" },
    proofHash: hex64,
    publicInputs: {
      type: "object",
      additionalProperties: false,
      required: [...PUBLIC_INPUT_FIELDS.filter((k) => k !== "witnessCommitment"), "witnessCommitment"],
      properties: Object.fromEntries(PUBLIC_INPUT_FIELDS.map((k) => [k, true])),
    },
    publicInputsHash: hex64,
    boundPublicInputsHash: hex64,
    witnessCommitmentHex: hex64,
    metadata: {
      type: "object",
      additionalProperties: false,
      required: [...BUNDLE_METADATA_FIELDS],
      properties: {
        proving_time_ms: uint(2 ** 31 - 1),
        num_constraints: uint(2 ** 16),
        trace_length: uint(2 ** 16),
        proof_size: uint(MAX_PROOF_BYTES),
        prover_version: { type: "string", minLength: 1, maxLength: 64, pattern: "^[\\x21-\\x7e]+$" },
        conjectured_security_bits: uint(256),
        provable_security_bits: uint(256),
      },
    },
    bundleHash: hex64,
  },
} as const;

let bundleValidator: ValidateFunction | undefined;

function schemaProblem(value: unknown): string | undefined {
  if (bundleValidator === undefined) {
    // ajv loads with the first bundle checked, not with this module (the CLIs' start, issue 17).
    const AjvClass = (createRequire(__filename)("ajv") as { default: typeof Ajv }).default;
    bundleValidator = new AjvClass({ allErrors: false, strict: true }).compile(BUNDLE_SCHEMA);
  }
  if (bundleValidator(value)) return undefined;
  const e = bundleValidator.errors?.[0];
  if (e === undefined) return "does not match the bundle schema";
  const where = e.instancePath === "" ? "bundle" : e.instancePath;
  // never a value: only the location, the rule and (for an unknown key) the key's name, escaped and shortened
  const extra = e.params as { additionalProperty?: unknown };
  const key =
    typeof extra.additionalProperty === "string" ? ` ${JSON.stringify(extra.additionalProperty.slice(0, 40))}` : "";
  return `${where} ${e.message ?? e.keyword}${key}`;
}

/**
 * Validates a bundle strictly and returns it with the decoded proof bytes: size first (proofB64 no longer than a
 * MAX_PROOF_BYTES proof, before anything is decoded or hashed), then the schema, the proof hash and size, the
 * metadata the verifier can recompute (constraint count, trace length, both security figures from the proof's own
 * options; proving_time_ms and prover_version are the prover's word, bounded but not trusted), the public inputs,
 * the commitment, both input hashes and the bundle hash. It does not verify the STARK: call verifyCompliance for that.
 * @throws StarkError PROOF_TOO_LARGE for an oversized proofB64, INVALID_BUNDLE for every other failure.
 */
export function validateBundle(value: unknown): { bundle: ComplianceProofBundle; proofBytes: Uint8Array } {
  const bad = (msg: string): StarkError => new StarkError("INVALID_BUNDLE", msg);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("bundle must be a JSON object");
  const b64: unknown = (value as { proofB64?: unknown }).proofB64;
  if (typeof b64 === "string" && b64.length > MAX_PROOF_B64_LENGTH) {
    throw new StarkError("PROOF_TOO_LARGE", `proofB64 of ${b64.length} characters exceeds ${MAX_PROOF_B64_LENGTH}`);
  }
  try {
    const problem = schemaProblem(value);
    if (problem !== undefined) throw bad(problem);
    const b = value as ComplianceProofBundle;
    const proofBytes = decodeBase64Strict(b.proofB64);
    if (proofBytes === undefined) throw bad("proofB64 is not canonical base64");
    if (b.proofHash !== bytesToHex(complianceProofHash(proofBytes))) throw bad("proofHash does not match the proof");
    const m = b.metadata;
    if (m.proof_size !== proofBytes.length) throw bad("metadata.proof_size does not match the proof");
    if (m.num_constraints !== NUM_CONSTRAINTS) throw bad("metadata.num_constraints does not match the AIR");
    if (m.trace_length !== TRACE_LENGTH) throw bad("metadata.trace_length does not match the AIR");
    const security = metadataSecurity(readProofOptions(proofBytes));
    if (
      m.conjectured_security_bits !== security.conjectured_security_bits ||
      m.provable_security_bits !== security.provable_security_bits
    ) {
      throw bad("metadata security bits do not match the proof's options");
    }
    const { inputs } = parsePublicInputs(b.publicInputs);
    if (inputs.witnessCommitment !== b.witnessCommitmentHex) {
      throw bad("publicInputs.witnessCommitment must equal witnessCommitmentHex");
    }
    if (b.publicInputsHash !== publicInputsHash(inputs)) throw bad("publicInputsHash does not match the inputs");
    if (b.boundPublicInputsHash !== boundPublicInputsHash(inputs)) throw bad("boundPublicInputsHash does not match");
    if (b.bundleHash !== bundleHash(b)) throw bad("bundleHash does not match the bundle");
    return { bundle: b, proofBytes };
  } catch (e) {
    if (isStarkError(e, "INVALID_BUNDLE")) throw e;
    // input errors, a bad proof header, or anything a hostile value provokes: all one code
    const detail = isStarkError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.name : "unexpected value";
    throw bad(`invalid bundle (${detail})`);
  }
}

/**
 * Parses and validates bundle JSON text (exact integers), refusing text longer than MAX_BUNDLE_TEXT_LENGTH before
 * parsing it.
 * @throws StarkError PROOF_TOO_LARGE or INVALID_BUNDLE.
 */
export function parseBundle(text: string): { bundle: ComplianceProofBundle; proofBytes: Uint8Array } {
  if (typeof text !== "string") throw new TypeError("bundle text must be a string");
  if (text.length > MAX_BUNDLE_TEXT_LENGTH) {
    throw new StarkError(
      "PROOF_TOO_LARGE",
      `bundle text of ${text.length} characters exceeds ${MAX_BUNDLE_TEXT_LENGTH}`,
    );
  }
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (e) {
    throw new StarkError("INVALID_BUNDLE", `bundle is not valid JSON: ${(e as Error).message}`);
  }
  return validateBundle(value);
}
