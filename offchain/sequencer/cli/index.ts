/**
 * offchain/sequencer/cli: the operator command line (`stateset-sequencer`).
 * The only file other parts of the sequencer import from this folder (eslint enforces it); the rest is internal.
 */
export { runCli, type CliIo } from "./main";
