/**
 * `npx hardhat ves:verify [--event <id> | --all]`: an agent's on-chain verification of what others wrote, through the
 * same code as `stateset-sync verify --onchain` (offchain/agent/onchain.ts). The agent home is `--home` (else
 * `$STATESET_HOME`, else `./.stateset`) with a read-only API key in `STATESET_API_KEY` or its api-key file; the chain
 * is `--rpc-url` / `--registry`, else the home's chain.json, else this network's URL and Ignition record.
 */
import { task, types } from "hardhat/config";

import { TaskUsageError, cleanAction } from "./lib/action";

interface VerifyArgs {
  event?: string;
  all: boolean;
  home?: string;
  rpcUrl?: string;
  registry?: string;
  json: boolean;
}

task("ves:verify", "Verifies an event (or a whole stream with --all) on-chain as any agent can")
  .addOptionalParam("event", "event id", undefined, types.string)
  .addFlag("all", "verify every event of the agent's stream and report the first broken link")
  .addOptionalParam("home", "agent home (default: $STATESET_HOME, else ./.stateset)", undefined, types.string)
  .addOptionalParam(
    "rpcUrl",
    "JSON-RPC URL (default: the home's chain.json, else this network's URL)",
    undefined,
    types.string,
  )
  .addOptionalParam(
    "registry",
    "SetRegistry address (default: chain.json, else the Ignition record)",
    undefined,
    types.string,
  )
  .addFlag("json", "print JSON")
  .setAction(
    cleanAction(async (args: VerifyArgs, hre) => {
      if ((args.event === undefined) === !args.all) throw new TaskUsageError("give --event <id> or --all");
      const { runSyncCli } = await import("../offchain/agent");
      const net = hre.network.config as { url?: string };
      const rpcUrl =
        args.rpcUrl ?? process.env.STATESET_RPC_URL ?? (hre.network.name === "hardhat" ? undefined : net.url);
      const cli = [
        ...(args.home === undefined ? [] : ["--home", args.home]),
        "verify",
        ...(args.event === undefined ? ["--all"] : [args.event, "--onchain"]),
        ...(rpcUrl === undefined ? [] : ["--rpc-url", rpcUrl]),
        ...(args.registry === undefined ? [] : ["--registry", args.registry]),
        ...(args.json ? ["--json"] : []),
      ];
      process.exitCode = await runSyncCli(cli);
    }),
  );
