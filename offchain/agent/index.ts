/**
 * offchain/agent: the agent side of VES (the `stateset-sync` CLI's library): configuration in a home directory, keys,
 * a SQLite outbox, typed commerce events with amount commitments, push with per-event settlement, verified pull,
 * status, entity history, off-chain verification and decryption. Every operation returns a typed result or throws an
 * AgentError {code, message, retryable, hint}; nothing here prints or exits. This file is the part's only import surface.
 */
export {
  Agent,
  REDACTED,
  deriveEventId,
  initAgent,
  redactedConfig,
  type AgentOptions,
  type AppendInput,
  type AppendResult,
  type DecryptResultView,
  type DoctorCheck,
  type DoctorResult,
  type HistoryEvent,
  type HistoryResult,
  type InitInput,
  type InitResult,
  type OutboxEntry,
  type PublishResult,
  type PullResult,
  type PushRejection,
  type PushResult,
  type QuarantineEntry,
  type RegisterResult,
  type RevocationState,
  type StatusResult,
  type VerifyResult,
  type VerifyStep,
} from "./agent";
export {
  DEFAULT_KEYS,
  DEFAULT_SYNC,
  SETTABLE_KEYS,
  isConfigured,
  loadConfig,
  resolveHome,
  validateConfig,
  type HomePaths,
  type KeySettings,
  type RecipientConfig,
  type SyncConfig,
  type SyncSettings,
} from "./config";
export {
  AgentError,
  NOT_CONFIGURED_MESSAGE,
  isAgentError,
  type AgentErrorCode,
  type AgentErrorOptions,
} from "./errors";
export { deriveKid, type PublicKeys } from "./keys";
export type { OutboxCounts, OutboxStatus, PulledRow, QuarantinedRow } from "./outbox";
export {
  EVENT_TYPES,
  SCHEMAS_DIR,
  amountCommitmentProblem,
  entityTypeOf,
  eventSchema,
  PAYLOAD_VALIDATORS_FILE,
  payloadValidatorKind,
  payloadValidatorsSource,
  usablePrecompiled,
  validatePayload,
  withAmountCommitment,
  type PrecompiledValidators,
  type ValidatorKind,
} from "./payloads";
export { runCli as runSyncCli, type CliIo as SyncCliIo } from "./cli/program";
export { createMcpServer, runMcpServer, toolError, type McpServerOptions, type ToolError } from "./mcp/server";
export { DEFAULT_GUARDRAILS, checkGuardrails, type McpGuardrails } from "./mcp/settings";
export {
  inclusionProof,
  streamHead,
  waitForEvent,
  type InclusionProofView,
  type StreamHead,
  type WaitResult,
} from "./reads";
