/**
 * offchain/sequencer/explorer: the explorer page and its routes.
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { registerExplorer, type ExplorerOptions } from "./routes";
