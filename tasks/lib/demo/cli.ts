/**
 * `stateset-sync` as the demo's agents use it: the installed bin as a child process, one agent home each, JSON output.
 */
import { execFile } from "node:child_process";
import path from "node:path";

import { parseJsonExact, type ExactJsonValue } from "../../../offchain/ves";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
const SYNC_BIN = path.join(ROOT, "bin", "stateset-sync");

/** One run of the CLI. */
export interface SyncRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: { readonly [k: string]: ExactJsonValue } | undefined;
}

/** Runs `stateset-sync --home HOME ARGS…` with `env` added to a clean environment. */
export function syncRun(home: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<SyncRun> {
  return new Promise((resolve) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("STATESET_")) clean[k] = v;
    execFile(
      process.execPath,
      [SYNC_BIN, "--home", home, ...args],
      { cwd: ROOT, env: { ...clean, ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        let json: SyncRun["json"];
        try {
          json = parseJsonExact(stdout.trim()) as SyncRun["json"];
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** Runs the CLI and fails with its message unless it exits 0. */
export async function syncOk(
  home: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ readonly [k: string]: ExactJsonValue }> {
  const r = await syncRun(home, [...args, "--json"], env);
  if (r.code !== 0 || r.json === undefined) {
    throw new Error(`stateset-sync ${args[0]} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.json;
}
