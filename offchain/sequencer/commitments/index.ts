/**
 * offchain/sequencer/commitments: the commit worker, commitments, inclusion proofs, anchored marks and the anchor lease routes.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { anchorRoutes } from "./anchor-routes";
export { commitmentJson } from "./json";
export { leaseRoutes } from "./lease-routes";
export { commitmentRoutes, inclusionProofRoutes } from "./routes";
export { CommitmentService } from "./service";
export { CommitWorker, type CommitWorkerOptions } from "./worker";
