/**
 * Anchor tasks: `anchor:start` runs the anchor service in the Hardhat process (the same service as the `set-anchor`
 * bin; configuration from these flags and `ANCHOR__*` variables, the RPC URL defaulting to the selected network's);
 * `anchor:verify --batch ID` compares the registry's record of a batch (and its proof) with the sequencer's
 * commitment (and proof), exiting 1 on any difference. Thin adapters over offchain/anchor.
 */
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { TaskUsageError, cleanAction } from "./lib/action";

interface AnchorStartArgs {
  sequencerUrl?: string;
  registryAddress?: string;
  stateFile?: string;
  port?: number;
  confirmations?: number;
  intervalMs?: number;
}

interface AnchorVerifyArgs {
  batch: string;
  sequencerUrl?: string;
  registryAddress?: string;
  json: boolean;
}

/** The selected network's JSON-RPC URL, unless it is the in-process Hardhat network. */
function networkUrl(hre: HardhatRuntimeEnvironment): string | undefined {
  const c = hre.network.config as { url?: unknown };
  return typeof c.url === "string" ? c.url : undefined;
}

task("anchor:start", "Runs the anchor service: sequencer commitments (and proofs) to the SetRegistry")
  .addOptionalParam("sequencerUrl", "Sequencer base URL", undefined, types.string)
  .addOptionalParam("registryAddress", "Registry address (default: Ignition's record)", undefined, types.string)
  .addOptionalParam("stateFile", "SQLite state file", undefined, types.string)
  .addOptionalParam("port", "Health/metrics port", undefined, types.int)
  .addOptionalParam("confirmations", "Confirmations before reporting", undefined, types.int)
  .addOptionalParam("intervalMs", "Pause between cycles", undefined, types.int)
  .setAction(
    cleanAction(async (args: AnchorStartArgs, hre) => {
      const { createAnchor, resolveAnchorConfig } = await import("../offchain/anchor");
      const flags: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(args)) if (v !== undefined) flags[k] = v;
      const url = networkUrl(hre);
      if (url !== undefined && process.env.ANCHOR__RPC_URL === undefined) flags.rpcUrl = url;
      if (process.env.ANCHOR__CHAIN_ID === undefined && hre.network.config.chainId !== undefined) {
        flags.chainId = hre.network.config.chainId;
      }
      const service = createAnchor(resolveAnchorConfig(flags));
      const listening = await service.start();
      console.error(`anchor: health and metrics on ${listening}; Ctrl-C stops`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await service.stop();
    }),
  );

task("anchor:verify", "Compares a batch's on-chain record with the sequencer's commitment and proof")
  .addParam("batch", "Batch id (UUID)", undefined, types.string)
  .addOptionalParam("sequencerUrl", "Sequencer base URL (default ANCHOR__SEQUENCER_URL)", undefined, types.string)
  .addOptionalParam("registryAddress", "Registry address (default: Ignition's record)", undefined, types.string)
  .addFlag("json", "Print JSON")
  .setAction(
    cleanAction(async (args: AnchorVerifyArgs, hre) => {
      const { verifyAnchoredBatch } = await import("../offchain/anchor");
      if (!/^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$/.test(args.batch)) {
        throw new TaskUsageError(`--batch must be a UUID, got ${args.batch}`);
      }
      const rpcUrl = networkUrl(hre) ?? process.env.ANCHOR__RPC_URL;
      if (rpcUrl === undefined) throw new TaskUsageError("use --network with a JSON-RPC URL (e.g. setDevnet)");
      const report = await verifyAnchoredBatch({
        batchId: args.batch,
        rpcUrl,
        chainId: BigInt(hre.network.config.chainId ?? 84532001),
        registryAddress: args.registryAddress,
        sequencerUrl: args.sequencerUrl,
        env: process.env,
      });
      console.log(args.json ? JSON.stringify(report, null, 2) : report.lines.join("\n"));
      if (!report.ok) process.exitCode = 1;
    }),
  );
