/**
 * offchain/prover (`ves-prover`): the prover service of issue 13 — leases unproven commitments from the sequencer,
 * decrypts and checks amount openings, proves, verifies its own proofs and submits them. This file is the part's only
 * import surface.
 */
export { PROVER_OPTIONS, resolveProverConfig, type ProverConfig, type ProverOptions } from "./config";
export { ProverService, SequencerCallError, type SkipReason } from "./service";
export { runProverCli } from "./cli/main";
