/**
 * Registry tasks: `registry:status` prints the SetRegistry's state; `registry:authorize` grants or revokes a
 * sequencer (as the owner, account #0 of the selected network). The registry address comes from Ignition's record for
 * the network's chain id unless `--address` is given; code must exist at it. Thin adapters over offchain/common.
 */
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { TaskUsageError, cleanAction } from "./lib/action";

interface AddressArg {
  address?: string;
}

interface StatusArgs extends AddressArg {
  json: boolean;
}

interface AuthorizeArgs extends AddressArg {
  sequencer: string;
  revoke: boolean;
}

/** Connects to the registry of the selected network, as `signerIndex`'s account or read-only. */
async function openRegistry(hre: HardhatRuntimeEnvironment, args: AddressArg, signerIndex?: number) {
  const { connectRegistry, readRegistryAddress } = await import("../offchain/common");
  const { chainId } = await hre.ethers.provider.getNetwork();
  const address = args.address ?? readRegistryAddress(hre.config.paths.root, chainId);
  if (!hre.ethers.isAddress(address)) throw new TaskUsageError(`--address is not an address: ${address}`);
  const runner = signerIndex === undefined ? hre.ethers.provider : (await hre.ethers.getSigners())[signerIndex];
  if (runner === undefined) throw new TaskUsageError(`the network has no account #${signerIndex}`);
  return connectRegistry(address, runner);
}

task("registry:status", "Prints the SetRegistry's owner, sequencers, flags, counters and streams")
  .addOptionalParam("address", "Registry address (default: Ignition's record for this chain)", undefined, types.string)
  .addFlag("json", "Print JSON instead of text")
  .setAction(
    cleanAction(async (args: StatusArgs, hre) => {
      const { formatRegistryStatus, readRegistryStatus, registryStatusToJson } = await import("../offchain/common");
      const registry = await openRegistry(hre, args);
      const status = await readRegistryStatus(registry);
      console.log(args.json ? registryStatusToJson(status) : formatRegistryStatus(status));
    }),
  );

task("registry:authorize", "Grants (or with --revoke, revokes) a sequencer's right to commit; run as the owner")
  .addParam("sequencer", "Sequencer address", undefined, types.string)
  .addFlag("revoke", "Revoke instead of grant")
  .addOptionalParam("address", "Registry address (default: Ignition's record for this chain)", undefined, types.string)
  .setAction(
    cleanAction(async (args: AuthorizeArgs, hre) => {
      if (!hre.ethers.isAddress(args.sequencer))
        throw new TaskUsageError(`--sequencer is not an address: ${args.sequencer}`);
      const registry = await openRegistry(hre, args, 0);
      const sequencer = hre.ethers.getAddress(args.sequencer);
      const tx = await registry.setSequencerAuthorization(sequencer, !args.revoke);
      const receipt = await tx.wait();
      const now = await registry.authorizedSequencers(sequencer);
      console.log(
        `${args.revoke ? "revoked" : "authorized"} ${sequencer} in tx ${tx.hash} (block ${receipt?.blockNumber}); ` +
          `authorized now: ${now}; sequencers: ${await registry.authorizedSequencerCount()}`,
      );
    }),
  );
