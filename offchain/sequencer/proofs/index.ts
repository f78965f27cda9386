/**
 * offchain/sequencer/proofs: validity and compliance proofs: claims, verification on submit, storage and routes.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { proofRoutes } from "./routes";
