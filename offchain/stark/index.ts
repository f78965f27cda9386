/**
 * offchain/stark (ves-stark): a STARK prover and verifier for per-event compliance over KoalaBear with a degree-4
 * extension, Poseidon2 witness commitments proven inside the AIR, BLAKE3 Merkle commitments and FRI, with
 * zero-knowledge randomisation. Pure: no I/O outside cli/. This file is the part's only import surface (testing.ts
 * holds the test-only knobs, chosen blinding and randomness, for test/ and bench/ only).
 */
export * as field from "./field";
export * as poly from "./poly";
export * as merkle from "./merkle";
export * as fri from "./fri";
export * as poseidon2 from "./poseidon2";
export * as air from "./air";
export { blake3Words, blake3Bytes, wordsToBytes, bytesToWords } from "./blake3";
export { Transcript } from "./transcript";
export { StarkError, isStarkError, type StarkErrorCode } from "./errors";
export {
  DEFAULT_ACCEPTABLE,
  HIGH_PROVABLE_OPTIONS,
  HIGH_SECURITY_OPTIONS,
  PRESETS,
  PRESET_NAMES,
  PRODUCTION_OPTIONS,
  TEST_OPTIONS,
  conjecturedSecurity,
  deriveParams,
  isAcceptable,
  minTraceRandomizer,
  optionsEqual,
  provenSecurityBits,
  securityLevels,
  validateOptions,
  type AcceptableOptions,
  type DerivedParams,
  type PresetName,
  type ProofOptions,
  type ProvenSecurityBits,
  type ProvenSecurityInputs,
  type SecurityLevels,
} from "./security";
export { DOMAIN_OFFSET, PROTOCOL_ID, SALT_WORDS, type MatrixOpening, type OodFrame, type StarkProof } from "./proof";
export { ProverError } from "./prover";
export { replayChallenges, verifyAir, type ReplayedChallenges, type StarkFailure, type StarkVerdict } from "./verifier";
export {
  MAX_PROOF_BYTES,
  PROOF_FORMAT_VERSION,
  deserializeProof,
  readProofOptions,
  serializeProof,
} from "./serialization";
export { cryptoWords, type WordSource } from "./random";
export {
  POLICY_IDS,
  effectiveLimit,
  isCompliant,
  isPolicyId,
  parsePolicy,
  policiesEqual,
  policyFromLimit,
  policyHashHex,
  policyParams,
  rawLimit,
  type Policy,
  type PolicyId,
} from "./policy";
export {
  boundPublicInputsHash,
  isHex64,
  parsePublicInputs,
  publicInputsHash,
  randomPublicInputs,
  unboundInputs,
  type CompliancePublicInputs,
} from "./inputs";
export {
  OPENING_VERSION,
  amountCommitmentHex,
  blindingFromHex,
  blindingToHex,
  checkOpening,
  commitmentFromHex,
  commitmentToHex,
  makeOpening,
  randomBlinding,
  type CommitmentOpening,
} from "./opening";
export {
  bindingContext,
  proveCompliance,
  verifyCompliance,
  type ComplianceFailure,
  type ComplianceProof,
  type ComplianceVerdict,
  type ProveComplianceArgs,
  type VerifyComplianceArgs,
} from "./compliance";
export {
  BUNDLE_METADATA_FIELDS,
  BUNDLE_VERSION,
  MAX_BUNDLE_TEXT_LENGTH,
  MAX_PROOF_B64_LENGTH,
  PROOF_VERSION,
  PROVER_VERSION,
  bundleHash,
  decodeBase64Strict,
  makeBundle,
  metadataSecurity,
  parseBundle,
  validateBundle,
  type BundleMetadata,
  type ComplianceProofBundle,
} from "./bundle";
export * from "./batch";
