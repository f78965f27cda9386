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

/** A running devnet: its JSON-RPC URL, chain id, registry address and accounts, and how to stop it. */
export interface DevnetHandle {
  url: string;
  chainId: bigint;
  registryAddress: string;
  accounts: string[];
  deploymentDir: string;
  blockMs: number | undefined;
  close(): Promise<void>;
}

/** Starts the devnet's chain and JSON-RPC server and deploys the registry; `close()` stops the server. */
export async function launchDevnet(args: DevnetArgs, hre: HardhatRuntimeEnvironment): Promise<DevnetHandle> {
  const { rm } = await import("node:fs/promises");
  const { getAddress } = await import("ethers");
  const { createProvider } = await import("hardhat/internal/core/providers/construction");
  const { JsonRpcServer } = await import("hardhat/internal/hardhat-network/jsonrpc/server");
  const { deploy } = await import("@nomicfoundation/ignition-core");
  const { HardhatArtifactResolver } = await import("@nomicfoundation/hardhat-ignition/helpers");
  const { default: SetRegistryModule } = await import("../deploy/modules/SetRegistry");
  const { deploymentDir, readRegistryAddress } = await import("../offchain/common");

  // 1. Validate the environment and build the contracts (offline solcjs).
  const blockMs = parseBlockMs(process.env.DEVNET__BLOCK_MS);
  await hre.run("compile", { quiet: true });

  // 2. An in-memory chain with the devnet's mining mode; the chain id and hardfork come from hardhat.config.ts.
  const chainId = BigInt(hre.config.networks.hardhat.chainId);
  const mempool = { order: "priority" };
  const networkConfig = {
    ...hre.config.networks.hardhat,
    mining: blockMs === undefined ? { auto: true, interval: 0, mempool } : { auto: false, interval: blockMs, mempool },
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
    if ((e as { code?: string }).code === "EADDRINUSE") {
      throw new TaskUsageError(`port ${args.port} on ${args.hostname} is already in use (another devnet or node?)`);
    }
    throw e;
  }

  // 4. Fresh Ignition deployment folder for this chain: the previous chain instance is gone.
  try {
    const dir = deploymentDir(hre.config.paths.root, chainId);
    await rm(dir, { recursive: true, force: true });
    const accounts = ((await provider.request({ method: "eth_accounts" })) as string[]).map((a) => getAddress(a));
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
      throw new Error(`SetRegistry deployment failed: ${JSON.stringify(result, null, 2)}`);
    }
    const registryAddress = readRegistryAddress(hre.config.paths.root, chainId);
    const code = (await provider.request({ method: "eth_getCode", params: [registryAddress, "latest"] })) as string;
    if (code === "0x") throw new Error(`deployment recorded ${registryAddress} but it holds no code`);
    return {
      url: `http://${listening.address}:${listening.port}`,
      chainId,
      registryAddress,
      accounts,
      deploymentDir: dir,
      blockMs,
      close: () => server.close(),
    };
  } catch (e) {
    await server.close();
    throw e;
  }
}

async function runDevnet(args: DevnetArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  const devnet = await launchDevnet(args, hre);
  const mining =
    devnet.blockMs === undefined ? "automine (a block per transaction)" : `a block every ${devnet.blockMs} ms`;
  console.log(`devnet: chain ${devnet.chainId} serving JSON-RPC at ${devnet.url}, ${mining}`);
  console.log(`devnet: SetRegistry deployed at ${devnet.registryAddress}`);
  console.log(`devnet:   owner      account #0 ${devnet.accounts[0]}`);
  console.log(`devnet:   sequencer  account #1 ${devnet.accounts[1]}`);
  console.log(`devnet:   recorded in ${devnet.deploymentDir}`);
  console.log("devnet: accounts use Hardhat's public test mnemonic; never send real funds to them");
  console.log("devnet: ready; use `--network setDevnet` in other tasks; Ctrl-C stops");

  // Run until a signal, then close the server cleanly.
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      console.log(`\ndevnet: ${signal} received, stopping`);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await devnet.close();
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
      await runDevnet(args, hre);
    }),
  );
