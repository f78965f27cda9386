/**
 * Hardhat configuration: the single source of the compiler version, the EVM target, the simulated hardfork and the
 * chain ids. The compiler is the npm `solc` package (tasks/overrides/solcjs.ts), so nothing is downloaded.
 */
import "@nomicfoundation/hardhat-toolbox";
import type { HardhatUserConfig } from "hardhat/config";

import "./tasks/overrides/solcjs";
import "./tasks/devnet";
import "./tasks/registry";
import "./tasks/demo";
import "./tasks/sequencer";
import "./tasks/prover";
import "./tasks/anchor";
import "./tasks/verify";

/** Exact version of the npm `solc` package (package.json pins the same). */
const SOLC_VERSION = "0.8.28";
/** One constant drives both the compiler's `evmVersion` and the simulated chain's hardfork, so they never drift. */
const EVM_TARGET = "cancun";
/** Chain id of the Set L2 used by the reference system; the local devnet and the in-process test chain use it. */
const DEVNET_CHAIN_ID = 84532001;
const DEVNET_URL = process.env.DEVNET__RPC_URL ?? "http://127.0.0.1:8545";

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: EVM_TARGET,
      // The 15-argument commitBatchWithStarkProof of the reference ABI needs the IR pipeline (stack depth).
      viaIR: true,
      optimizer: { enabled: true, runs: 10_000 },
      // Deterministic bytecode: the metadata hash depends on the machine's paths.
      metadata: { bytecodeHash: "none" },
    },
  },
  networks: {
    hardhat: {
      chainId: DEVNET_CHAIN_ID,
      hardfork: EVM_TARGET,
    },
    setDevnet: {
      url: DEVNET_URL,
      chainId: DEVNET_CHAIN_ID,
    },
  },
  paths: {
    ignition: "deploy",
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
  },
  mocha: {
    timeout: 120_000,
    reporter: "./test/support/summary-reporter.js",
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    offline: true,
  },
};

export default config;
