/**
 * offchain/sequencer/keys: agent signing keys and the sequencer's receipt keys.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { agentKeyJson, agentKeyProblem, AgentKeyService } from "./agent-keys";
export { deriveSequencerId, ReceiptKeys } from "./receipt-keys";
export { agentKeyRoutes, sequencerKeyRoutes } from "./routes";
