/**
 * A proof worker thread (started by pool.ts through offchain/common's startModuleWorker): runs each task it receives
 * and answers `{ id, result }` or `{ id, error }`. Messages never carry amounts back; errors carry messages only.
 */
import { parentPort } from "node:worker_threads";

import { runProofTask, type ProofTask } from "./tasks";

parentPort?.on("message", (msg: { id: number; task: ProofTask }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: runProofTask(msg.task) });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
