/**
 * Read-side client of the SetRegistry: connects to a deployed registry (checking that code exists at the address)
 * and gathers its state — owner, sequencers, flags, counters and the latest batch of every stream — from views and
 * logs.
 */
import type { ContractRunner, Provider } from "ethers";

import type { SetRegistry } from "../../typechain-types";
import { AppError, ExitCode } from "./errors";

// ethers and the TypeChain bindings load on first use, so the CLIs that import offchain/common start fast.

/** The latest batch of one stream, as the registry reports it. */
export interface StreamStatus {
  tenantId: string;
  storeId: string;
  latestBatchId: string;
  stateRoot: string;
  headSequence: bigint;
  hasProof: boolean;
}

/** A snapshot of the registry's state. */
export interface RegistryStatus {
  address: string;
  chainId: bigint;
  blockNumber: number;
  implementation: string;
  owner: string;
  paused: boolean;
  strictMode: boolean;
  legacyFunctionsEnabled: boolean;
  totalCommitments: bigint;
  totalStarkProofs: bigint;
  sequencerCount: bigint;
  sequencers: string[];
  streams: StreamStatus[];
}

/** EIP-1967 implementation slot: `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`. */
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

/**
 * Binds the registry ABI to `address` after checking that the address holds contract code.
 * @throws AppError `REGISTRY_NO_CODE` when there is no code (a stale address, or the wrong chain).
 */
export async function connectRegistry(address: string, runner: ContractRunner & { provider: Provider | null }) {
  const provider = runner.provider ?? (runner as unknown as Provider);
  const code = await provider.getCode(address).catch((cause: unknown) => {
    throw new AppError("CHAIN_UNREACHABLE", `cannot reach the chain to read code at ${address}`, {
      exitCode: ExitCode.UNREACHABLE,
      cause,
    });
  });
  if (code === "0x") {
    throw new AppError(
      "REGISTRY_NO_CODE",
      `no contract code at ${address}: the recorded deployment belongs to another chain instance ` +
        "(the devnet lives in memory; restart it with `npx hardhat devnet` and use --network setDevnet)",
      { exitCode: ExitCode.UNREACHABLE },
    );
  }
  const { SetRegistry__factory } = await import("../../typechain-types");
  return SetRegistry__factory.connect(address, runner);
}

/** Reads the registry's full status; sequencers and streams are rebuilt from logs, then confirmed by views. */
export async function readRegistryStatus(registry: SetRegistry): Promise<RegistryStatus> {
  const provider = registry.runner?.provider;
  if (!provider) throw new TypeError("registry must be connected to a runner with a provider");
  const address = await registry.getAddress();
  // getBlock("latest") asks the node; getBlockNumber() may answer from ethers' short-lived cache.
  const [network, latest, implSlot, owner, stats, extended, legacy] = await Promise.all([
    provider.getNetwork(),
    provider.getBlock("latest"),
    provider.getStorage(address, IMPLEMENTATION_SLOT),
    registry.owner(),
    registry.getRegistryStats(),
    registry.getExtendedRegistryStatus(),
    registry.legacyFunctionsEnabled(),
  ]);
  if (latest === null) throw new AppError("CHAIN_UNREACHABLE", "the node returned no latest block");
  const blockNumber = latest.number;

  // Sequencers: every address ever named in SequencerAuthorized, kept if still authorized.
  const authLogs = await registry.queryFilter(registry.filters.SequencerAuthorized(), 0, blockNumber);
  const candidates = [...new Set(authLogs.map((log) => log.args.sequencer))];
  const flags = candidates.length > 0 ? await registry.areSequencersAuthorized(candidates) : [];
  const sequencers = candidates.filter((_, i) => flags[i] === true);

  // Streams: every (tenant, store) named in BatchStreamLinked, with its latest batch.
  const linkLogs = await registry.queryFilter(registry.filters.BatchStreamLinked(), 0, blockNumber);
  const seen = new Map<string, { tenantId: string; storeId: string }>();
  for (const log of linkLogs) {
    seen.set(`${log.args.tenantId}:${log.args.storeId}`, { tenantId: log.args.tenantId, storeId: log.args.storeId });
  }
  const streams = await Promise.all(
    [...seen.values()].map(async ({ tenantId, storeId }) => {
      const [latestBatchId, stateRoot, headSequence, hasProof] = await registry.getTenantStoreSummary(
        tenantId,
        storeId,
      );
      return { tenantId, storeId, latestBatchId, stateRoot, headSequence, hasProof };
    }),
  );

  return {
    address,
    chainId: network.chainId,
    blockNumber,
    implementation: (await import("ethers")).getAddress(`0x${implSlot.slice(-40)}`),
    owner,
    paused: stats.isPaused,
    strictMode: stats.isStrictMode,
    legacyFunctionsEnabled: legacy,
    totalCommitments: stats.commitmentCount,
    totalStarkProofs: stats.proofCount,
    sequencerCount: extended.sequencerCount,
    sequencers,
    streams,
  };
}

/** Renders a status as indented human-readable text. */
export function formatRegistryStatus(s: RegistryStatus): string {
  const lines = [
    `SetRegistry ${s.address} on chain ${s.chainId} at block ${s.blockNumber}`,
    `  implementation  ${s.implementation}`,
    `  owner           ${s.owner}`,
    `  paused          ${s.paused}`,
    `  strict mode     ${s.strictMode}`,
    `  legacy funcs    ${s.legacyFunctionsEnabled}`,
    `  commitments     ${s.totalCommitments}`,
    `  stark proofs    ${s.totalStarkProofs}`,
    `  sequencers      ${s.sequencerCount}${s.sequencers.length > 0 ? "" : " (none)"}`,
    ...s.sequencers.map((a) => `    - ${a}`),
    `  streams         ${s.streams.length}${s.streams.length > 0 ? "" : " (none)"}`,
  ];
  for (const st of s.streams) {
    lines.push(
      `    - tenant ${st.tenantId}`,
      `      store  ${st.storeId}`,
      `      latest batch ${st.latestBatchId}, head sequence ${st.headSequence}, proof ${st.hasProof ? "yes" : "no"}`,
      `      state root   ${st.stateRoot}`,
    );
  }
  return lines.join("\n");
}

/** JSON form of a status (bigints as decimal strings). */
export function registryStatusToJson(s: RegistryStatus): string {
  return JSON.stringify(s, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
