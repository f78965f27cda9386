/**
 * `npx hardhat devnet`: the local L2 devnet. A Hardhat network node on 127.0.0.1:8545 with the Set L2 chain id,
 * optional interval mining (`DEVNET__BLOCK_MS`), and the SetRegistry deployed through its Ignition module with
 * account #0 as owner and account #1 as the authorized sequencer. The chain lives in memory, so every start resets
 * Ignition's deployment folder for the chain and records the new address there.
 */
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { TaskUsageError, cleanAction } from "./lib/action";

interface DevnetArgs {
  hostname: string;
  port: number;
  logRpc: boolean;
}

/** Parses DEVNET__BLOCK_MS: unset or empty means automine, else a positive integer interval in milliseconds. */
function parseBlockMs(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new TaskUsageError(`DEVNET__BLOCK_MS must be a positive integer number of milliseconds, got "${raw}"`);
  }
  return ms;
}

async function startDevnet(args: DevnetArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  const { rm } = await import("node:fs/promises");
  const { getAddress } = await import("ethers");
  const { createProvider } = await import("hardhat/internal/core/providers/construction");
  const { JsonRpcServer } = await import("hardhat/internal/hardhat-network/jsonrpc/server");
  const { deploy } = await import("@nomicfoundation/ignition-core");
  const { HardhatArtifactResolver } = await import("@nomicfoundation/hardhat-ignition/helpers");
  const { default: SetRegistryModule } = await import("../deploy/modules/SetRegistry");
  const { REGISTRY_FUTURE_ID, deploymentDir, readRegistryAddress } = await import("../offchain/common");

  // 1. Validate the environment and build the contracts (offline solcjs).
  const blockMs = parseBlockMs(process.env.DEVNET__BLOCK_MS);
  await hre.run("compile", { quiet: true });

  // 2. An in-memory chain with the devnet's mining mode; the chain id and hardfork come from hardhat.config.ts.
  const chainId = BigInt(hre.config.networks.hardhat.chainId);
  const networkConfig = {
    ...hre.config.networks.hardhat,
    mining:
      blockMs === undefined
        ? { auto: true, interval: 0, mempool: { order: "priority" } }
        : {
            auto: false,
            interval: blockMs,
            mempool: { order: "priority" },
          },
    loggingEnabled: args.logRpc,
  };
  const provider = await createProvider(
    { ...hre.config, networks: { ...hre.config.networks, hardhat: networkConfig } },
    "hardhat",
    hre.artifacts,
  );

  // 3. Serve JSON-RPC.
  const server = new JsonRpcServer({ hostname: args.hostname, port: args.port, provider });
  let listening: { address: string; port: number };
  try {
    listening = await server.listen();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE") {
      throw new Error(`port ${args.port} on ${args.hostname} is already in use (another devnet or node running?)`);
    }
    throw e;
  }
  const url = `http://${listening.address}:${listening.port}`;
  console.log(`devnet: chain ${chainId} serving JSON-RPC at ${url}`);
  console.log(
    `devnet: ${blockMs === undefined ? "automine (a block per transaction)" : `a block every ${blockMs} ms`}`,
  );

  // 4. Fresh Ignition deployment folder for this chain: the previous chain instance is gone.
  const dir = deploymentDir(hre.config.paths.root, chainId);
  await rm(dir, { recursive: true, force: true });
  const accounts = (await provider.request({ method: "eth_accounts" })) as string[];
  const result = await deploy({
    config: { ...hre.config.ignition, requiredConfirmations: 1 },
    provider,
    artifactResolver: new HardhatArtifactResolver(hre),
    deploymentDir: dir,
    ignitionModule: SetRegistryModule,
    deploymentParameters: {},
    accounts,
  });
  if (result.type !== "SUCCESSFUL_DEPLOYMENT") {
    await server.close();
    throw new Error(`SetRegistry deployment failed: ${JSON.stringify(result, null, 2)}`);
  }
  const address = readRegistryAddress(hre.config.paths.root, chainId);
  const code = (await provider.request({ method: "eth_getCode", params: [address, "latest"] })) as string;
  if (code === "0x") throw new Error(`deployment recorded ${address} but it holds no code`);

  console.log(`devnet: SetRegistry (${REGISTRY_FUTURE_ID}) deployed at ${address}`);
  console.log(`devnet:   owner      account #0 ${getAddress(accounts[0] ?? "")}`);
  console.log(`devnet:   sequencer  account #1 ${getAddress(accounts[1] ?? "")}`);
  console.log(`devnet:   recorded in ${dir}`);
  console.log("devnet: accounts use Hardhat's public test mnemonic; never send real funds to them");
  console.log("devnet: ready; use `--network setDevnet` in other tasks; Ctrl-C stops");

  // 5. Run until a signal, then close the server cleanly.
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      console.log(`\ndevnet: ${signal} received, stopping`);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  console.log("devnet: stopped");
}

task("devnet", "Starts the local L2 devnet (chain 84532001) with the SetRegistry deployed")
  .addOptionalParam("hostname", "Address to listen on", "127.0.0.1", types.string)
  .addOptionalParam("port", "Port to listen on", 8545, types.int)
  .addFlag("logRpc", "Log every JSON-RPC call")
  .setAction(
    cleanAction(async (args: DevnetArgs, hre) => {
      if (hre.network.name !== "hardhat") {
        throw new TaskUsageError("the devnet runs its own in-memory chain; do not pass --network");
      }
      await startDevnet(args, hre);
    }),
  );
