/**
 * Helpers of the anchor suites: the devnet as a real `hardhat devnet` child process on a loopback port (its chain in
 * memory, the registry deployed through Ignition, account #1 the authorized sequencer), raw JSON-RPC calls (mining,
 * snapshots, SIGSTOP/SIGCONT), commitments made through a real sequencer, anchor configurations for tests, and a
 * condition poller with generous deadlines (never fixed sleeps).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { resolveAnchorConfig, type AnchorConfig } from "../../offchain/anchor";
import { DEVNET_CHAIN_ID, REGISTRY_FUTURE_ID } from "../../offchain/common";
import * as ves from "../../offchain/ves";
import { ADMIN_KEY, ingest, newAgent, type Agent, type Client } from "./sequencer";

export const ROOT = path.resolve(__dirname, "..", "..");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");

/** Hardhat's public test keys: #0 owner, #1 the authorized sequencer, #2 an unauthorized account. */
export const KEYS = {
  owner: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcaf784d7bf4f2ff80",
  sequencer: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  stranger: "0x5de4111afa1a4b94908f83103eb1d1706367c2e68ca870fc3fb9a804cdab365a",
} as const;
export const SEQUENCER_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** A running devnet child process. */
export interface Devnet {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly registry: string;
  readonly deployments: string;
  output(): string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

/** Starts `hardhat devnet --port 0` with its own deployments folder; resolves once it says it is ready. */
export async function startDevnet(): Promise<Devnet> {
  const deployments = mkdtempSync(path.join(tmpdir(), "ves-anchor-devnet-"));
  const env: NodeJS.ProcessEnv = { ...process.env, VES__DEPLOYMENTS_DIR: deployments };
  delete env.HARDHAT_NETWORK;
  delete env.DEVNET__BLOCK_MS;
  const proc = spawn(HARDHAT, ["devnet", "--port", "0"], { cwd: ROOT, env });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`devnet did not start in 150 s:\n${out}`)), 150_000);
    const check = () => {
      if (out.includes("devnet: ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on("data", check);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited early with ${code}:\n${out}`));
    });
  });
  const url = /serving JSON-RPC at (http:\/\/[0-9.]+:\d+)/.exec(out)?.[1];
  const registry = /SetRegistry deployed at (0x[0-9a-fA-F]{40})/.exec(out)?.[1];
  if (url === undefined || registry === undefined) throw new Error(`cannot read the devnet's address:\n${out}`);
  let id = 0;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  };
  return {
    proc,
    url,
    registry,
    deployments,
    output: () => out,
    rpc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGCONT");
        const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
        proc.kill("SIGINT");
        await exited;
      }
      rmSync(deployments, { recursive: true, force: true });
    },
  };
}

export { DEVNET_CHAIN_ID, REGISTRY_FUTURE_ID };

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${(last as Error).message}`}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An anchor configuration for tests: fast cycles, port 0, its own state file, proofs off unless overridden. */
export function anchorConfig(
  devnet: Devnet,
  sequencerUrl: string,
  dir: string,
  extra: Record<string, string> = {},
): AnchorConfig {
  return resolveAnchorConfig(
    {},
    {
      ANCHOR__RPC_URL: devnet.url,
      ANCHOR__REGISTRY_ADDRESS: devnet.registry,
      ANCHOR__SIGNER_KEY: KEYS.sequencer,
      ANCHOR__SEQUENCER_URL: sequencerUrl,
      ANCHOR__SEQUENCER_API_KEY: ADMIN_KEY,
      ANCHOR__STATE_FILE: path.join(dir, `anchor-${Math.random().toString(36).slice(2)}.db`),
      ANCHOR__PORT: "0",
      ANCHOR__INTERVAL_MS: "150",
      ANCHOR__CONFIRMATIONS: "1",
      ANCHOR__PROOFS: "false",
      ANCHOR__RPC_TIMEOUT_MS: "2000",
      ANCHOR__HTTP_TIMEOUT_MS: "3000",
      ANCHOR__BACKOFF_BASE_MS: "200",
      ANCHOR__BACKOFF_MAX_MS: "2000",
      ANCHOR__BREAKER_THRESHOLD: "3",
      ANCHOR__BREAKER_RESET_MS: "1000",
      ANCHOR__LEASE_MS: "3000",
      ANCHOR__LOG_LEVEL: "silent",
      ...extra,
    },
  );
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A stream of a fresh agent and the commitments made on it so far. */
export interface Stream {
  readonly agent: Agent;
  next: bigint;
}

/** A new stream (tenant, store) with a registered agent. */
export async function newStream(admin: Client): Promise<Stream> {
  return { agent: await newAgent(admin), next: 1n };
}

/** Ingests `n` events on `s` and commits them; returns the commitment's batch id. */
export async function commit(admin: Client, s: Stream, n = 2): Promise<string> {
  const events = [];
  for (let i = 0; i < n; i++) events.push(await s.agent.event());
  const r = await ingest(admin, s.agent, events);
  expect(r.status, r.text).to.equal(200);
  const c = await admin.post("/api/v1/ves/commitments", {
    tenant_id: s.agent.tenantId,
    store_id: s.agent.storeId,
    sequence_start: s.next,
    sequence_end: s.next + BigInt(n) - 1n,
  });
  expect(c.status, c.text).to.equal(200);
  s.next += BigInt(n);
  return (c.json as Record<string, unknown>).batch_id as string;
}

/** The sequencer's view of a commitment (chain_tx_hash null until anchored). */
export async function commitmentOf(admin: Client, batchId: string): Promise<Record<string, unknown>> {
  const r = await admin.get(`/api/v1/ves/commitments/${batchId}`);
  expect(r.status, r.text).to.equal(200);
  return r.json as Record<string, unknown>;
}

/** The tx hash the sequencer recorded for a batch (0x), or undefined while unanchored. */
export async function anchoredTx(admin: Client, batchId: string): Promise<string | undefined> {
  const c = await commitmentOf(admin, batchId);
  return typeof c.chain_tx_hash === "string" ? `0x${c.chain_tx_hash}` : undefined;
}

/** The bytes32 form of a UUID. */
export const id32 = (uuid: string) => ves.toBytes32Hex(uuid);

/** GETs a JSON document from an anchor's listener. */
export async function getJson(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
