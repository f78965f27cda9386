/**
 * offchain/common: configuration, errors, chain helpers and small utilities shared by the services and tasks.
 * This file is the part's only import surface.
 */
export { AppError, ExitCode, isAppError } from "./errors";
export { DEVNET_CHAIN_ID, REGISTRY_FUTURE_ID, deploymentDir, readRegistryAddress } from "./deployment";
export {
  connectRegistry,
  formatRegistryStatus,
  readRegistryStatus,
  registryStatusToJson,
  type RegistryStatus,
  type StreamStatus,
} from "./registry";
export {
  describeOptions,
  envName,
  flagName,
  loadConfig,
  type ConfigOf,
  type OptionSpec,
  type OptionType,
  type OptionsSpec,
} from "./config";
export { REDACTED_PATHS, createLogger, type Logger } from "./log";
export { startModuleWorker } from "./worker";
