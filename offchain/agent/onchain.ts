/**
 * On-chain verification of events by any agent holding a read-only API key of the stream (`stateset-sync verify
 * <event-id> --onchain`, `--all`; `npx hardhat ves:verify`). Each event goes through four steps, each reported as
 * passed, failed or skipped (a skipped step is never counted as passed):
 *
 * 1. `signature` (the envelope's payload hash and Ed25519 signature under the agent's registered key) and `receipt`
 *    (the sequencer's receipt signature);
 * 2. `inclusion (off-chain)` (the Merkle proof against the commitment) and `inclusion (on-chain)` (the commitment's
 *    root against SetRegistry's `eventsRoot`, and the contract's `verifyVesInclusion` on a locally computed leaf);
 * 3. `state-root chain`: every commitment of the stream from its first one up to the event's, linked root to root
 *    and sequence to sequence, each equal to its on-chain record and to its `BatchStreamLinked` log;
 * 4. `batch proof` (the validity proof covering the event, verified, its hash equal to the on-chain proof record)
 *    and `event proof` (a per-event compliance proof, verified and checked against the sequencer's stored record).
 *
 * The chain settings live in `<home>/chain.json` (`stateset-sync init --rpc-url URL --registry ADDRESS`), else the
 * devnet's defaults: `http://127.0.0.1:8545` and the registry of its Ignition record.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { JsonRpcProvider, Network } from "ethers";

import { DEVNET_CHAIN_ID, connectRegistry, isAppError, readRegistryAddress } from "../common";
import {
  batchProofHashHex,
  parsePolicy,
  readBatchBundle,
  validateBundle,
  verifyBatch,
  verifyCompliance,
  type Policy,
} from "../stark";
import {
  bytesToHex,
  eventLeafHash,
  eventSigningHash,
  normalizeUuid,
  parseCommitment,
  parseEnvelope,
  parseInclusionProof,
  toBytes32Hex,
  verifyCommitment,
  type CommitmentWire,
  type VesEvent,
} from "../ves";
import type { SetRegistry } from "../../typechain-types";
import type { Agent, VerifyStep } from "./agent";
import { HttpFailure, type JsonObject, type SequencerClient } from "./client";
import type { HomePaths } from "./config";
import { AgentError } from "./errors";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
/** The devnet's JSON-RPC endpoint (`npx hardhat devnet`). */
export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
/** The chain settings file in an agent home. */
export const CHAIN_FILE = "chain.json";

/** Where the chain and the registry are. */
export interface ChainSettings {
  readonly rpcUrl: string;
  readonly registryAddress: string;
}

/** The outcome of one step. */
export type StepStatus = "passed" | "failed" | "skipped";

/** One step of an on-chain verification. */
export interface OnchainStep {
  readonly step: OnchainStepName;
  readonly status: StepStatus;
  readonly detail: string;
}

/** The steps, in order. */
export const ONCHAIN_STEPS = [
  "signature",
  "receipt",
  "inclusion (off-chain)",
  "inclusion (on-chain)",
  "state-root chain",
  "batch proof",
  "event proof",
] as const;
export type OnchainStepName = (typeof ONCHAIN_STEPS)[number];

/** What the verification of one event found. */
export interface OnchainVerifyResult {
  readonly eventId: string;
  readonly ok: boolean;
  readonly sequenceNumber: bigint | null;
  readonly batchId: string | null;
  /** The first failed step, or null. */
  readonly failedStep: OnchainStepName | null;
  readonly steps: readonly OnchainStep[];
}

/** What `--all` found. */
export interface OnchainStreamResult {
  readonly ok: boolean;
  readonly tenantId: string;
  readonly storeId: string;
  readonly registryAddress: string;
  readonly eventsChecked: number;
  readonly commitmentsChecked: number;
  /** Per step: how many events passed, failed, were skipped. */
  readonly summary: Readonly<Record<OnchainStepName, Record<StepStatus, number>>>;
  /** The first event (by sequence number) with a failed step, with that step. */
  readonly firstBroken: {
    readonly eventId: string;
    readonly sequenceNumber: bigint | null;
    readonly step: OnchainStepName;
    readonly detail: string;
  } | null;
  readonly events: readonly OnchainVerifyResult[];
}

/** The policy batch proofs are checked against unless given: aml.threshold at 1,000,000 minor units. */
export const DEFAULT_POLICY: Policy = { id: "aml.threshold", threshold: 1_000_000n };

// Chain settings -------------------------------------------------------------------------------------------------------

function checkSettings(s: Partial<ChainSettings>, where: string): void {
  if (s.rpcUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(s.rpcUrl)) {
    throw new AgentError("INVALID_CONFIG", `${where}: rpcUrl must be an http(s) URL, got "${s.rpcUrl}"`);
  }
  if (s.registryAddress !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(s.registryAddress)) {
    throw new AgentError("INVALID_CONFIG", `${where}: registry must be a 0x-prefixed 20-byte address`);
  }
}

/** Writes `<home>/chain.json` (mode 0600); either value may be left out (the default then applies). */
export function saveChainSettings(paths: HomePaths, settings: Partial<ChainSettings>): string {
  checkSettings(settings, "init");
  const file = path.join(paths.home, CHAIN_FILE);
  const out: Record<string, string | number> = { version: 1 };
  if (settings.rpcUrl !== undefined) out.rpcUrl = settings.rpcUrl;
  if (settings.registryAddress !== undefined) out.registryAddress = settings.registryAddress;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/**
 * The chain settings: explicit values, else `STATESET_RPC_URL` / `STATESET_REGISTRY_ADDRESS`, else `chain.json`, else
 * the devnet's URL and Ignition record.
 * @throws AgentError INVALID_CONFIG for a malformed value or file, NOT_CONFIGURED when no registry is known.
 */
export function resolveChainSettings(
  paths: HomePaths,
  env: NodeJS.ProcessEnv,
  explicit: Partial<ChainSettings> = {},
): ChainSettings {
  const file = path.join(paths.home, CHAIN_FILE);
  let saved: Partial<ChainSettings> = {};
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      throw new AgentError("INVALID_CONFIG", `${file} is not valid JSON`);
    }
    const o = (parsed ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!["version", "rpcUrl", "registryAddress"].includes(k)) {
        throw new AgentError("INVALID_CONFIG", `${file}: unknown key "${k}"`);
      }
    }
    saved = {
      ...(typeof o.rpcUrl === "string" ? { rpcUrl: o.rpcUrl } : {}),
      ...(typeof o.registryAddress === "string" ? { registryAddress: o.registryAddress } : {}),
    };
    checkSettings(saved, file);
  }
  const fromEnv: Partial<ChainSettings> = {
    ...(env.STATESET_RPC_URL ? { rpcUrl: env.STATESET_RPC_URL } : {}),
    ...(env.STATESET_REGISTRY_ADDRESS ? { registryAddress: env.STATESET_REGISTRY_ADDRESS } : {}),
  };
  checkSettings(fromEnv, "environment");
  checkSettings(explicit, "options");
  const rpcUrl = explicit.rpcUrl ?? fromEnv.rpcUrl ?? saved.rpcUrl ?? DEFAULT_RPC_URL;
  let registryAddress = explicit.registryAddress ?? fromEnv.registryAddress ?? saved.registryAddress;
  if (registryAddress === undefined) {
    try {
      registryAddress = readRegistryAddress(PROJECT_ROOT, DEVNET_CHAIN_ID);
    } catch (e) {
      throw new AgentError("NOT_CONFIGURED", `no registry address: ${(e as Error).message}`, {
        hint: "stateset-sync init --rpc-url URL --registry ADDRESS (or --registry on verify)",
      });
    }
  }
  return { rpcUrl, registryAddress };
}

// Verification ---------------------------------------------------------------------------------------------------------

/** Per-stream facts shared by the events of one run (commitments, on-chain records, logs, proofs). */
class StreamContext {
  private commitments: CommitmentWire[] | undefined;
  private links: Map<string, string> | undefined;
  private readonly chainChecks = new Map<string, OnchainStep>();
  private readonly batchProofs = new Map<string, OnchainStep>();
  private batchProofRoutes: boolean | undefined;
  private readonly records = new Map<string, ReturnType<SetRegistry["getBatchCommitment"]>>();

  constructor(
    readonly client: SequencerClient,
    readonly registry: SetRegistry,
    readonly tenantId: string,
    readonly storeId: string,
    readonly policy: Policy,
  ) {}

  /** SetRegistry's record of a batch (read once per run). */
  record(batchId32: string): ReturnType<SetRegistry["getBatchCommitment"]> {
    let r = this.records.get(batchId32);
    if (r === undefined) {
      r = this.registry.getBatchCommitment(batchId32);
      this.records.set(batchId32, r);
    }
    return r;
  }

  get commitmentCount(): number {
    return this.commitments?.length ?? 0;
  }

  /** Every commitment of the stream, oldest first. */
  async allCommitments(): Promise<CommitmentWire[]> {
    if (this.commitments !== undefined) return this.commitments;
    const out: CommitmentWire[] = [];
    let after: bigint | undefined;
    for (;;) {
      const page = await this.client.get("/api/v1/ves/commitments", {
        tenant_id: this.tenantId,
        store_id: this.storeId,
        anchored: "all",
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      const list = Array.isArray(page.commitments) ? page.commitments : [];
      for (const raw of list) {
        const c = parseCommitment(raw);
        if (!c.ok) throw new AgentError("BAD_RESPONSE", `a commitment of the stream does not parse: ${c.message}`);
        out.push(c.value);
      }
      if (page.has_more !== true || list.length === 0) break;
      after = out.at(-1)!.sequence_start;
    }
    out.sort((a, b) => (a.sequence_start < b.sequence_start ? -1 : a.sequence_start > b.sequence_start ? 1 : 0));
    this.commitments = out;
    return out;
  }

  /** batchId (bytes32, lowercase) → prevStateRoot of its `BatchStreamLinked` log. */
  private async streamLinks(): Promise<Map<string, string>> {
    if (this.links !== undefined) return this.links;
    const filter = this.registry.filters.BatchStreamLinked(
      undefined,
      toBytes32Hex(this.tenantId),
      toBytes32Hex(this.storeId),
    );
    const logs = await this.registry.queryFilter(filter, 0, "latest");
    const links = new Map<string, string>();
    for (const log of logs) {
      const id = log.args.batchId.toLowerCase();
      if (links.has(id)) links.set(id, "duplicate");
      else links.set(id, log.args.prevStateRoot.toLowerCase());
    }
    this.links = links;
    return links;
  }

  /** Step 3 for the commitment `batchId`: the chain from the stream's first commitment up to it. */
  async stateRootChain(batchId: string): Promise<OnchainStep> {
    const cached = this.chainChecks.get(batchId);
    if (cached !== undefined) return cached;
    const step = await this.checkChain(batchId);
    this.chainChecks.set(batchId, step);
    return step;
  }

  private async checkChain(batchId: string): Promise<OnchainStep> {
    const fail = (detail: string): OnchainStep => ({ step: "state-root chain", status: "failed", detail });
    const all = await this.allCommitments();
    const end = all.findIndex((c) => c.batch_id === batchId);
    if (end < 0) return fail(`batch ${batchId} is not among the stream's commitments`);
    const links = await this.streamLinks();
    let prev: CommitmentWire | undefined;
    for (const c of all.slice(0, end + 1)) {
      const id = toBytes32Hex(c.batch_id);
      const v = verifyCommitment(c);
      if (!v.ok) return fail(`batch ${c.batch_id}: ${v.message}`);
      if (prev !== undefined) {
        if (c.prev_state_root !== prev.new_state_root) {
          return fail(`batch ${c.batch_id}: prev_state_root is not batch ${prev.batch_id}'s new_state_root`);
        }
        if (c.sequence_start !== prev.sequence_end + 1n) {
          return fail(`batch ${c.batch_id}: starts at ${c.sequence_start}, after ${prev.sequence_end}`);
        }
      } else if (c.sequence_start !== 1n) {
        return fail(`the stream's first commitment starts at ${c.sequence_start}, not 1`);
      }
      const rec = await this.record(id);
      if (rec.timestamp === 0n)
        return fail(`batch ${c.batch_id} is not anchored in registry ${await this.registry.getAddress()}`);
      const mismatch =
        rec.eventsRoot.toLowerCase() !== `0x${c.merkle_root}`
          ? "eventsRoot"
          : rec.newStateRoot.toLowerCase() !== `0x${c.new_state_root}`
            ? "newStateRoot"
            : rec.sequenceStart !== c.sequence_start || rec.sequenceEnd !== c.sequence_end
              ? "sequence range"
              : rec.eventCount !== BigInt(c.leaf_count)
                ? "eventCount"
                : undefined;
      if (mismatch !== undefined)
        return fail(`batch ${c.batch_id}: the on-chain ${mismatch} differs from the commitment`);
      const linked = links.get(id.toLowerCase());
      if (linked === undefined) return fail(`batch ${c.batch_id}: no BatchStreamLinked log for this stream`);
      if (linked === "duplicate") return fail(`batch ${c.batch_id}: more than one BatchStreamLinked log`);
      if (linked !== `0x${c.prev_state_root}`) {
        return fail(`batch ${c.batch_id}: the BatchStreamLinked log's prevStateRoot differs from the commitment`);
      }
      prev = c;
    }
    const first = all[0]!;
    return {
      step: "state-root chain",
      status: "passed",
      detail:
        `${end + 1} commitment(s) from ${first.batch_id} (sequence 1) to ${batchId} linked root to root, ` +
        "each equal to its on-chain record and BatchStreamLinked log",
    };
  }

  /** Step 4a for the commitment `c`. */
  async batchProof(c: CommitmentWire): Promise<OnchainStep> {
    const cached = this.batchProofs.get(c.batch_id);
    if (cached !== undefined) return cached;
    const step = await this.checkBatchProof(c);
    this.batchProofs.set(c.batch_id, step);
    return step;
  }

  private async checkBatchProof(c: CommitmentWire): Promise<OnchainStep> {
    const name = "batch proof" as const;
    if (this.batchProofRoutes === false) {
      return { step: name, status: "skipped", detail: "skipped: the sequencer serves no batch proofs" };
    }
    let list: JsonObject;
    try {
      list = await this.client.get(`/api/v1/ves/validity/${c.batch_id}/proofs`);
    } catch (e) {
      if (e instanceof HttpFailure && e.httpStatus === 404) {
        this.batchProofRoutes = false;
        return { step: name, status: "skipped", detail: "skipped: the sequencer serves no batch proofs" };
      }
      throw e;
    }
    this.batchProofRoutes = true;
    const proofs = (Array.isArray(list.proofs) ? list.proofs : []) as JsonObject[];
    const onchain = await this.registry.starkProofs(toBytes32Hex(c.batch_id));
    if (proofs.length === 0) {
      return onchain.timestamp === 0n
        ? { step: name, status: "skipped", detail: `skipped: no batch proof of batch ${c.batch_id} yet` }
        : { step: name, status: "failed", detail: "the chain records a proof the sequencer does not serve" };
    }
    const fail = (detail: string): OnchainStep => ({ step: name, status: "failed", detail });
    const record = proofs.at(-1)!;
    const full = await this.client.get(`/api/v1/ves/validity/proofs/${String(record.proofId)}`);
    let proofHash: string;
    try {
      proofHash = batchProofHashHex(readBatchBundle(full.bundle).proofBytes);
    } catch (e) {
      return fail(`the bundle of proof ${String(record.proofId)} does not read: ${(e as Error).message}`);
    }
    const verdict = verifyBatch(full.bundle, {
      commitment: c,
      policy: this.policy,
    });
    if (!verdict.valid)
      return fail(`proof ${String(record.proofId)} does not verify: ${verdict.reason} (${verdict.detail})`);
    if (proofHash !== String(record.proofHash)) return fail("the bundle's proof hash differs from the stored record");
    if (onchain.timestamp === 0n) return fail(`no on-chain proof record for batch ${c.batch_id}`);
    if (onchain.proofHash.toLowerCase() !== `0x${proofHash}`)
      return fail("the on-chain proofHash differs from the bundle's");
    if (onchain.allCompliant !== verdict.allCompliant)
      return fail("the on-chain allCompliant differs from the proof's");
    return {
      step: name,
      status: "passed",
      detail:
        `proof ${String(record.proofId)} valid (${verdict.allCompliant ? "all compliant" : `${verdict.compliantCount} of ${verdict.inScopeCount} in scope compliant`}, ` +
        `${verdict.proofSize} bytes); hash equal to the on-chain record`,
    };
  }
}

/** The chain id at `rpcUrl`. @throws AgentError UNREACHABLE (exit 3) when the endpoint does not answer. */
async function chainIdOf(rpcUrl: string): Promise<bigint> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { result?: unknown };
    if (typeof body.result !== "string" || !/^0x[0-9a-fA-F]+$/.test(body.result)) throw new Error("no chain id");
    return BigInt(body.result);
  } catch (e) {
    throw new AgentError("UNREACHABLE", `cannot reach the chain at ${rpcUrl}: ${(e as Error).message}`, {
      hint: "start the devnet (npx hardhat devnet) or give --rpc-url",
    });
  }
}

/** Options of a verification run. */
export interface OnchainOptions {
  readonly chain: ChainSettings;
  /** The policy batch proofs must prove (default aml.threshold 1,000,000). */
  readonly policy?: Policy;
}

/** An open verification session: one provider, one registry, one stream context. */
export class OnchainVerifier {
  private constructor(
    private readonly agent: Agent,
    private readonly provider: JsonRpcProvider,
    private readonly ctx: StreamContext,
    readonly registryAddress: string,
  ) {}

  /** Connects to the chain and checks that the registry has code. */
  static async open(agent: Agent, options: OnchainOptions): Promise<OnchainVerifier> {
    // The chain id is read once here, so the provider never polls (or logs) for a network it cannot reach.
    const network = Network.from(await chainIdOf(options.chain.rpcUrl));
    const provider = new JsonRpcProvider(options.chain.rpcUrl, network, { staticNetwork: network, cacheTimeout: -1 });
    try {
      const registry = await connectRegistry(options.chain.registryAddress, provider);
      const ctx = new StreamContext(
        agent.sequencerClient(),
        registry,
        agent.config.tenantId,
        agent.config.storeId,
        options.policy ?? DEFAULT_POLICY,
      );
      return new OnchainVerifier(agent, provider, ctx, options.chain.registryAddress);
    } catch (e) {
      provider.destroy();
      if (isAppError(e)) throw new AgentError("UNREACHABLE", e.message, { exitCode: e.exitCode });
      throw e;
    }
  }

  close(): void {
    this.provider.destroy();
  }

  /** Verifies one event through the four steps. */
  async verifyEvent(eventIdInput: string): Promise<OnchainVerifyResult> {
    const base = await this.agent.verify(eventIdInput);
    const eventId = base.eventId;
    const steps: OnchainStep[] = [];
    const add = (step: OnchainStepName, status: StepStatus, detail: string) => steps.push({ step, status, detail });
    const group = (names: readonly string[]): VerifyStep[] => base.steps.filter((s) => names.includes(s.step));
    const fromBase = (step: OnchainStepName, names: readonly string[], missing: string) => {
      const found = group(names);
      const bad = found.find((s) => !s.ok);
      if (bad !== undefined) add(step, "failed", `${bad.step}: ${bad.detail}`);
      else if (found.length < names.length) add(step, "failed", missing);
      else add(step, "passed", found.map((s) => s.detail).join("; "));
    };
    fromBase("signature", ["event", "agent key", "payload hash and signature"], "the event could not be read");
    if (steps[0]!.status === "passed") fromBase("receipt", ["receipt"], "no receipt");
    if (base.batchId !== null)
      fromBase("inclusion (off-chain)", ["commitment", "inclusion proof"], "no inclusion proof");
    else if (steps[0]!.status === "passed")
      add("inclusion (off-chain)", "failed", "the event is not in a commitment yet");
    const done = (): OnchainVerifyResult => {
      const failed = steps.find((s) => s.status === "failed");
      return {
        eventId,
        ok: failed === undefined,
        sequenceNumber: base.sequenceNumber,
        batchId: base.batchId,
        failedStep: failed?.step ?? null,
        steps,
      };
    };
    if (steps.some((s) => s.status === "failed") || base.batchId === null || base.sequenceNumber === null)
      return done();
    const seq = base.sequenceNumber;
    const batchId = base.batchId;

    // 2. On-chain inclusion: the commitment's root is SetRegistry's eventsRoot, and the contract accepts the path for
    //    the leaf computed here from the verified event.
    const item = await this.ctx.client.get(`/api/v1/ves/events/${eventId}`);
    const parsed = parseEnvelope(item.envelope);
    const event = (parsed as { ok: true; event: VesEvent }).event;
    const cp = parseCommitment(await this.ctx.client.get(`/api/v1/ves/commitments/${batchId}`));
    const pp = parseInclusionProof(
      await this.ctx.client.get(`/api/v1/ves/proofs/${seq}`, {
        tenant_id: this.ctx.tenantId,
        store_id: this.ctx.storeId,
        batch_id: batchId,
      }),
    );
    if (!parsed.ok || !cp.ok || !pp.ok) {
      add("inclusion (on-chain)", "failed", "the event, commitment or proof changed between reads");
      return done();
    }
    const id = toBytes32Hex(batchId);
    const rec = await this.ctx.record(id);
    if (rec.timestamp === 0n) {
      add("inclusion (on-chain)", "failed", `batch ${batchId} is not anchored in registry ${this.registryAddress}`);
      return done();
    }
    if (rec.eventsRoot.toLowerCase() !== `0x${cp.value.merkle_root}`) {
      add(
        "inclusion (on-chain)",
        "failed",
        `the commitment's merkle_root differs from SetRegistry's eventsRoot of ${batchId}`,
      );
      return done();
    }
    const leaf = `0x${bytesToHex(eventLeafHash(event, seq))}`;
    const included = await this.ctx.registry.verifyVesInclusion(
      id,
      leaf,
      pp.value.proof_path.map((h) => `0x${h}`),
      BigInt(pp.value.leaf_index),
    );
    if (!included) {
      add("inclusion (on-chain)", "failed", "SetRegistry.verifyVesInclusion rejects the event's leaf and path");
      return done();
    }
    add(
      "inclusion (on-chain)",
      "passed",
      `eventsRoot of ${batchId} matches; verifyVesInclusion(leaf ${pp.value.leaf_index}) is true`,
    );

    // 3. The stream's state-root chain up to this commitment.
    steps.push(await this.ctx.stateRootChain(batchId));

    // 4. Proofs.
    steps.push(await this.ctx.batchProof(cp.value));
    steps.push(await this.eventProof(eventId, event, seq));
    return done();
  }

  /** Step 4b: a per-event compliance proof, where the sequencer holds one. */
  private async eventProof(eventId: string, event: VesEvent, seq: bigint): Promise<OnchainStep> {
    const name = "event proof" as const;
    let list: JsonObject;
    try {
      list = await this.ctx.client.get(`/api/v1/ves/compliance/${eventId}/proofs`);
    } catch (e) {
      if (e instanceof HttpFailure && e.httpStatus === 404) {
        return { step: name, status: "skipped", detail: "skipped: the sequencer serves no per-event proofs" };
      }
      throw e;
    }
    const proofs = (Array.isArray(list.proofs) ? list.proofs : []) as JsonObject[];
    if (proofs.length === 0)
      return { step: name, status: "skipped", detail: "skipped: no per-event proof of this event" };
    const record = proofs.at(-1)!;
    const id = String(record.proofId);
    const fail = (detail: string): OnchainStep => ({ step: name, status: "failed", detail });
    const full = await this.ctx.client.get(`/api/v1/ves/compliance/proofs/${id}`);
    let read: ReturnType<typeof validateBundle>;
    let policy: Policy;
    try {
      read = validateBundle(full.bundle);
      policy = parsePolicy(read.bundle.publicInputs.policyId, read.bundle.publicInputs.policyParams);
    } catch (e) {
      return fail(`the bundle of proof ${id} does not read: ${(e as Error).message}`);
    }
    const inputs = read.bundle.publicInputs;
    if (
      inputs.eventId !== event.eventId ||
      BigInt(inputs.sequenceNumber) !== seq ||
      inputs.eventSigningHash !== bytesToHex(eventSigningHash(event))
    ) {
      return fail(`proof ${id} is about another event (its public inputs do not name this one)`);
    }
    const verdict = verifyCompliance({ proofBytes: read.proofBytes, publicInputs: inputs, expectedPolicy: policy });
    if (!verdict.valid) return fail(`proof ${id} does not verify: ${verdict.reason}`);
    if (read.bundle.proofHash !== String(record.proofHash)) {
      return fail("the bundle's proof hash differs from the sequencer's stored record");
    }
    return {
      step: name,
      status: "passed",
      detail: `proof ${id} (${inputs.policyId}) valid; equal to the stored record`,
    };
  }

  /** `--all`: every event of the stream, oldest first; reports the first broken link. */
  async verifyStream(onProgress: (m: string) => void = () => undefined): Promise<OnchainStreamResult> {
    const ids: { eventId: string; seq: bigint | null }[] = [];
    let from = 1n;
    for (;;) {
      const page = await this.ctx.client.get("/api/v1/ves/events", {
        tenant_id: this.ctx.tenantId,
        store_id: this.ctx.storeId,
        from,
        limit: 1000,
      });
      const events = (Array.isArray(page.events) ? page.events : []) as JsonObject[];
      for (const e of events) {
        ids.push({
          eventId: normalizeUuid(String(e.event_id)),
          seq: typeof e.sequence_number === "bigint" ? e.sequence_number : null,
        });
      }
      if (page.has_more !== true || events.length === 0) break;
      from = typeof page.next === "bigint" ? page.next : BigInt(String(page.next));
    }
    const summary = Object.fromEntries(ONCHAIN_STEPS.map((s) => [s, { passed: 0, failed: 0, skipped: 0 }])) as Record<
      OnchainStepName,
      Record<StepStatus, number>
    >;
    const results: OnchainVerifyResult[] = [];
    for (const [i, { eventId }] of ids.entries()) {
      const r = await this.verifyEvent(eventId);
      results.push(r);
      for (const s of r.steps) summary[s.step][s.status]++;
      if ((i + 1) % 25 === 0 || i + 1 === ids.length) onProgress(`verified ${i + 1} of ${ids.length} events`);
    }
    const broken = results.find((r) => !r.ok);
    const brokenStep = broken?.steps.find((s) => s.status === "failed");
    return {
      ok: results.length > 0 && broken === undefined,
      tenantId: this.ctx.tenantId,
      storeId: this.ctx.storeId,
      registryAddress: this.registryAddress,
      eventsChecked: results.length,
      commitmentsChecked: this.ctx.commitmentCount,
      summary,
      firstBroken:
        broken === undefined
          ? null
          : {
              eventId: broken.eventId,
              sequenceNumber: broken.sequenceNumber,
              step: brokenStep?.step ?? "signature",
              detail: brokenStep?.detail ?? "",
            },
      events: results,
    };
  }
}

/** Human lines of one event's verification. */
export function formatOnchainResult(r: OnchainVerifyResult): string[] {
  const mark = (s: StepStatus) => (s === "passed" ? "✓" : s === "failed" ? "✗" : "-");
  return [
    `Verify ${r.eventId} on-chain${r.sequenceNumber === null ? "" : ` (sequence ${r.sequenceNumber})`}`,
    ...r.steps.map((s) => `  ${mark(s.status)} ${s.step}: ${s.detail}`),
    r.ok ? "Verified." : `Verification FAILED at step: ${r.failedStep}.`,
  ];
}

/** Human lines of a stream's verification. */
export function formatStreamResult(r: OnchainStreamResult): string[] {
  return [
    `Verify stream ${r.tenantId}/${r.storeId} on-chain (registry ${r.registryAddress})`,
    `  ${r.eventsChecked} events, ${r.commitmentsChecked} commitments`,
    ...ONCHAIN_STEPS.map((s) => {
      const c = r.summary[s];
      return `  ${s.padEnd(22)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
    }),
    r.firstBroken === null
      ? r.ok
        ? "Verified."
        : "Verification FAILED: the stream has no events."
      : `Verification FAILED: first broken link at event ${r.firstBroken.eventId} (sequence ${String(r.firstBroken.sequenceNumber)}), step ${r.firstBroken.step}: ${r.firstBroken.detail}`,
  ];
}
