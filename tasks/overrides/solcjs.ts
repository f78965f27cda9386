/**
 * Offline Solidity compiler: hands Hardhat the emscripten build shipped in the npm `solc` package instead of letting
 * it download a native compiler (which fails with HH502 without network access). The npm version is pinned exactly
 * and must equal `solidity.version` in hardhat.config.ts; a mismatch is an error rather than a silent download.
 */
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";

interface GetSolcBuildArgs {
  solcVersion: string;
}

interface SolcBuild {
  compilerPath: string;
  isSolcJs: boolean;
  version: string;
  longVersion: string;
}

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: GetSolcBuildArgs): Promise<SolcBuild> => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pinned = (require("solc/package.json") as { version: string }).version;
  if (args.solcVersion !== pinned) {
    throw new Error(
      `solc ${args.solcVersion} was requested but the npm package "solc" is ${pinned}; ` +
        `set solidity.version in hardhat.config.ts to ${pinned} or pin the npm package to ${args.solcVersion}`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  // Hardhat wraps this path with solc/wrapper, so it must be the emscripten soljson.js, not solc's index.js.
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: pinned,
    longVersion: solc.version(),
  };
});
