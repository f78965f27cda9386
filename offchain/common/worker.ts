/**
 * Worker threads running one of our TypeScript modules, however this process runs TypeScript: under a bin (the
 * launcher's compiled-code loader, bin/launcher.js) or under ts-node (tests, Hardhat, benches). The worker installs
 * the same loader as its parent and then requires `entry`, which talks to the parent through `parentPort`.
 */
import path from "node:path";
import { Worker } from "node:worker_threads";

const ROOT = path.resolve(__dirname, "..", "..");

// Runs in the worker: the parent's loader first, then the module.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const boot = workerData.__vesWorker;
if (boot.launcher !== null) require(boot.launcher).register(boot.name);
else if (boot.tsNode) require("ts-node/register/transpile-only");
require(boot.entry);
`;

/**
 * Starts a worker thread running `entry` (an absolute path to a `.ts` or `.js` module of this repository).
 * `data` reaches the module as `workerData` (with one extra key, `__vesWorker`).
 */
export function startModuleWorker(entry: string, data: Record<string, unknown> = {}): Worker {
  const launched = process.env.VES_CLI_ENTRY;
  const boot = {
    entry,
    name: launched ?? "worker",
    launcher: launched === undefined ? null : path.join(ROOT, "bin", "launcher.js"),
    tsNode: entry.endsWith(".ts"),
  };
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, __vesWorker: boot } });
}
