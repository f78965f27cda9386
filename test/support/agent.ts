/**
 * Helpers of the agent suites: a real sequencer (SQLite) on a loopback port, API keys minted through its admin route,
 * agent homes in temporary directories, and `stateset-sync` run in-process (captured output) or as the installed
 * binary (a real child process).
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { runSyncCli } from "../../offchain/agent";
import type { Sequencer } from "../../offchain/sequencer";
import { parseJsonExact } from "../../offchain/ves";
import { ADMIN_KEY, BACKENDS, client, startSequencer, type Client } from "./sequencer";

export const ROOT = path.resolve(__dirname, "..", "..");
export const BIN = path.join(ROOT, "bin", "stateset-sync");

/** A running sequencer with a tenant, a store and a tenant-admin key. */
export interface Stack {
  readonly seq: Sequencer;
  readonly url: string;
  readonly bootstrap: Client;
  readonly tenantId: string;
  readonly storeId: string;
  readonly tenantAdminKey: string;
  apiKeyFor(agentId: string, options?: { readOnly?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a SQLite sequencer (no commit worker) and mints a tenant-admin key. */
export async function startStack(flags: Record<string, unknown> = {}): Promise<Stack> {
  const setup = await BACKENDS[0]!.setup();
  const { seq, url } = await startSequencer(setup, flags);
  const bootstrap = client(url, ADMIN_KEY);
  const tenantId = randomUUID();
  const storeId = randomUUID();
  const mint = async (agentId: string, body: Record<string, unknown>): Promise<string> => {
    const r = await bootstrap.post(`/api/v1/agents/${agentId}/api-keys`, { tenantId, ...body });
    expect(r.status, r.text).to.equal(200);
    return r.json.apiKey as unknown as string;
  };
  const tenantAdminKey = await mint(randomUUID(), { admin: true });
  return {
    seq,
    url,
    bootstrap,
    tenantId,
    storeId,
    tenantAdminKey,
    apiKeyFor: (agentId, options = {}) => mint(agentId, options.readOnly === true ? { readOnly: true } : {}),
    stop: async () => {
      await seq.stop();
      await setup.cleanup();
    },
  };
}

/** The result of one CLI run. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as exact JSON, when it is JSON. */
  readonly json: Record<string, never> & Record<string, unknown>;
}

function parsed(stdout: string): Run["json"] {
  try {
    return parseJsonExact(stdout.trim()) as unknown as Run["json"];
  } catch {
    return undefined as unknown as Run["json"];
  }
}

/** Runs `stateset-sync` in-process in `cwd` with `env` (nothing from the test process's environment). */
export async function sync(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  stdin = "",
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runSyncCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    cwd,
    readStdin: () => stdin,
  });
  return { code, stdout, stderr, json: parsed(stdout) };
}

/** Runs the installed binary as a child process. */
export function syncBin(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr, json: parsed(stdout) });
      },
    );
  });
}

/** A temporary working directory. */
export function tempDir(prefix = "ves-agent-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An initialised agent home with registered keys, as a new user would set it up through the CLI. */
export interface AgentHome {
  readonly dir: string;
  readonly agentId: string;
  readonly env: NodeJS.ProcessEnv;
  /** The env plus the tenant-admin credential. */
  readonly adminEnv: NodeJS.ProcessEnv;
  run(args: readonly string[], stdin?: string): Promise<Run>;
}

/** init → keys:generate → keys:register through the CLI; checks each step's exit code. */
export async function setUpAgent(stack: Stack, dir: string, options: { register?: boolean } = {}): Promise<AgentHome> {
  const agentId = randomUUID();
  const env = { STATESET_API_KEY: await stack.apiKeyFor(agentId) };
  const adminEnv = { ...env, STATESET_ADMIN_API_KEY: stack.tenantAdminKey };
  const run = (args: readonly string[], stdin?: string) => sync(args, dir, env, stdin);
  const init = await run([
    "init",
    "--sequencer-url",
    stack.url,
    "--tenant-id",
    stack.tenantId,
    "--store-id",
    stack.storeId,
    "--agent-id",
    agentId,
    "--json",
  ]);
  expect(init.code, init.stderr).to.equal(0);
  const keys = await run(["keys:generate", "--json"]);
  expect(keys.code, keys.stderr).to.equal(0);
  if (options.register !== false) {
    const reg = await sync(["keys:register", "--json"], dir, adminEnv);
    expect(reg.code, reg.stderr).to.equal(0);
  }
  return { dir, agentId, env, adminEnv, run };
}
