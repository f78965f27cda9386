/**
 * The agent: one home directory (configuration, keys, outbox) and the operations on it. Every method returns a typed
 * result or throws an AgentError; nothing here prints or exits (the CLI and the MCP server are thin layers over it).
 */
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";

import {
  AMOUNT_BLINDING_FIELD,
  AMOUNT_COMMITMENT_FIELD,
  buildEnvelope,
  bytesToHex,
  bytesToUuid,
  decryptEnvelope,
  defaultEd25519,
  eventLeafHash,
  hexToBytes,
  isUuid,
  jcs,
  jcsExact,
  normalizeUuid,
  parseCommitment,
  parseEnvelope,
  parseInclusionProof,
  parseIngestResponse,
  parseReceipt,
  sha256,
  utf8Encode,
  uuidToBytes,
  verifyCommitment,
  verifyEvent,
  verifyInclusionAgainstCommitment,
  verifyReceipt,
  type Ed25519Signer,
  type EncryptionRecipient,
  type ExactJsonValue,
  type SequencerReceipt,
  type VesEvent,
  type VesEventEnvelope,
} from "../ves";
import { HttpFailure, SequencerClient, type JsonObject } from "./client";
import {
  DEFAULT_KEYS,
  DEFAULT_SYNC,
  checkRecipient,
  checkSequencerUrl,
  isConfigured,
  loadConfig,
  resolveHome,
  saveConfig,
  setConfigValue,
  validateConfig,
  type HomePaths,
  type RecipientConfig,
  type SyncConfig,
} from "./config";
import { AgentError, isAgentError } from "./errors";
import { KeyStore, type PublicKeys, type SigningKeyRecord } from "./keys";
import { Outbox, type OutboxCounts, type OutboxRow, type OutboxStatus, type PulledRow } from "./outbox";
import {
  EVENT_TYPES,
  amountCommitmentProblem,
  entityTypeOf,
  eventSchema,
  validatePayload,
  withAmountCommitment,
} from "./payloads";

/** Shown instead of a secret. */
export const REDACTED = "***redacted***";

/**
 * The event id of an agent's command: a UUID (version 8, RFC 9562 "custom") from
 * SHA-256("VES_AGENT_EVENT_ID_V1" ‖ agent_id (16 bytes) ‖ command_id (16 bytes)), first 16 bytes, with the version and
 * variant bits set. The same (agent, command) always gives the same event id, so a retried append, or a push of it
 * after a crash, is the same event to the sequencer.
 */
export function deriveEventId(agentId: string, commandId: string): string {
  if (!isUuid(agentId) || !isUuid(commandId)) throw new TypeError("agentId and commandId must be UUIDs");
  const h = sha256(
    new Uint8Array([
      ...utf8Encode("VES_AGENT_EVENT_ID_V1"),
      ...uuidToBytes(normalizeUuid(agentId)),
      ...uuidToBytes(normalizeUuid(commandId)),
    ]),
  ).slice(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return bytesToUuid(h);
}

/** Options of `Agent.open` and `initAgent`. */
export interface AgentOptions {
  /** The home directory (default: `STATESET_HOME`, else `<cwd>/.stateset`). */
  readonly home?: string;
  readonly cwd?: string;
  /** Where API keys are read from (`STATESET_API_KEY`, `STATESET_ADMIN_API_KEY`); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (the CLI writes them to stderr; none in JSON mode). */
  readonly onProgress?: (message: string) => void;
  /** Waits between retries (tests may shorten it); default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Inputs of `initAgent`. */
export interface InitInput {
  readonly sequencerUrl: string;
  readonly tenantId: string;
  readonly storeId: string;
  /** Default: the existing configuration's agent id with `force`, else a new random UUID. */
  readonly agentId?: string;
  readonly apiKeyFile?: string;
  readonly force?: boolean;
}

/** What `init` did. */
export interface InitResult {
  readonly home: string;
  readonly config: ExactJsonValue;
  readonly created: boolean;
}

/**
 * Writes a new configuration (refusing to overwrite one without `force`; with `force` the agent id and the other
 * settings are kept unless given, so existing keys stay usable).
 */
export function initAgent(input: InitInput, options: AgentOptions = {}): InitResult {
  const paths = resolveHome(options);
  let previous: SyncConfig | undefined;
  if (isConfigured(paths)) {
    if (input.force !== true) {
      throw new AgentError("ALREADY_CONFIGURED", `${paths.config} already exists`, {
        hint: "use --force to overwrite it (the agent id and keys are kept unless --agent-id is given)",
      });
    }
    try {
      previous = loadConfig(paths);
    } catch {
      previous = undefined;
    }
  }
  const config = validateConfig({
    version: 1,
    sequencerUrl: input.sequencerUrl,
    tenantId: input.tenantId,
    storeId: input.storeId,
    agentId: input.agentId ?? previous?.agentId ?? randomUUID(),
    apiKeyFile:
      input.apiKeyFile === undefined
        ? (previous?.apiKeyFile ?? null)
        : path.resolve(options.cwd ?? ".", input.apiKeyFile),
    adminApiKeyFile: previous?.adminApiKeyFile ?? null,
    recipients: previous?.recipients ?? [],
    amountFields: previous?.amountFields ?? {},
    sync: previous?.sync ?? DEFAULT_SYNC,
    keys: previous?.keys ?? DEFAULT_KEYS,
    mcp: previous?.mcp,
  });
  checkSequencerUrl(config.sequencerUrl);
  saveConfig(paths, config);
  // Keep the home out of version control when it sits in a repository's working directory.
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const gitignore = path.join(cwd, ".gitignore");
  if (path.dirname(paths.home) === cwd && existsSync(gitignore)) {
    const entry = `${path.basename(paths.home)}/`;
    const lines = readFileSync(gitignore, "utf8").split(/\r?\n/);
    if (!lines.includes(entry) && !lines.includes(path.basename(paths.home))) {
      appendFileSync(gitignore, `${lines.at(-1) === "" ? "" : "\n"}${entry}\n`);
    }
  }
  return {
    home: paths.home,
    config: redactedConfig(config, options.env ?? process.env),
    created: previous === undefined,
  };
}

/** The configuration as `config show` prints it: file paths, never key material. */
export function redactedConfig(config: SyncConfig, env: NodeJS.ProcessEnv): ExactJsonValue {
  const fromEnv = (name: string) => env[name] !== undefined && env[name] !== "";
  return {
    ...(JSON.parse(JSON.stringify(config)) as { [k: string]: ExactJsonValue }),
    apiKey: fromEnv("STATESET_API_KEY") || config.apiKeyFile !== null ? REDACTED : null,
    apiKeySource: fromEnv("STATESET_API_KEY") ? "STATESET_API_KEY" : (config.apiKeyFile ?? null),
    adminApiKey: fromEnv("STATESET_ADMIN_API_KEY") || config.adminApiKeyFile !== null ? REDACTED : null,
    adminApiKeySource: fromEnv("STATESET_ADMIN_API_KEY") ? "STATESET_ADMIN_API_KEY" : (config.adminApiKeyFile ?? null),
  };
}

/** Inputs of `append`. */
export interface AppendInput {
  /** Default for typed event types: the part before the dot (`order.created` → `order`). */
  readonly entityType?: string;
  readonly entityId: string;
  readonly eventType: string;
  /** A JSON object (integers beyond 2^53 as bigint). */
  readonly payload: ExactJsonValue;
  /** Recipients: names from the config, or `KID:X25519HEX`. Plaintext when empty. */
  readonly encryptFor?: readonly string[];
  /** A UUID; the event id derives from it, so appending the same command again returns the same event. */
  readonly commandId?: string;
  readonly baseVersion?: bigint;
}

/** One outbox entry as the API shows it (no envelope internals). */
export interface OutboxEntry {
  readonly localSeq: number;
  readonly eventId: string;
  readonly commandId: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly eventType: string;
  readonly payloadKind: 0 | 1;
  readonly agentKeyId: number;
  readonly status: OutboxStatus;
  readonly sequenceNumber: bigint | null;
  readonly rejection: { readonly reason: string; readonly message: string } | null;
  readonly retryCount: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly settledAt: string | null;
}

/** What `append` did. */
export interface AppendResult extends OutboxEntry {
  /** True when this command was already in the outbox (nothing new was written). */
  readonly duplicate: boolean;
  readonly recipientKids: readonly number[];
  readonly amountCommitment: string | null;
}

/** One rejected event of a push. */
export interface PushRejection {
  readonly eventId: string;
  readonly reason: string;
  readonly message: string;
}

/** What `push` did. */
export interface PushResult {
  /** Rows of an interrupted push found in `sending` and put back to `pending`. */
  readonly recovered: number;
  readonly requests: number;
  readonly acknowledged: number;
  /** Of the acknowledged: events the sequencer already held (answered with their original receipt). */
  readonly replayed: number;
  readonly rejected: readonly PushRejection[];
  /** Events left pending (receipt problems). */
  readonly pending: number;
  readonly problems: readonly string[];
  readonly revokedKeyIds: readonly number[];
  readonly notes: readonly string[];
}

/** A quarantined event in a pull result. */
export interface QuarantineEntry {
  readonly sequenceNumber: bigint;
  readonly eventId: string | null;
  readonly reason: string;
  readonly message: string;
}

/** What `pull` did. */
export interface PullResult {
  readonly from: bigint;
  readonly pulled: number;
  readonly stored: number;
  readonly quarantined: readonly QuarantineEntry[];
  readonly decrypted: number;
  readonly notRecipient: number;
  readonly nextCursor: bigint;
  readonly headSequence: bigint;
}

/** A due or pending revocation of a rotated key. */
export interface RevocationState {
  readonly keyId: number;
  readonly revokeAfter: string | null;
  readonly due: boolean;
  readonly waitingForPendingEvents: boolean;
  readonly adminCredential: boolean;
}

/** What `status` reports. */
export interface StatusResult {
  readonly agentId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequencerUrl: string;
  readonly connected: boolean;
  readonly connectionError: string | null;
  readonly outbox: OutboxCounts;
  readonly lastPushedSequence: bigint | null;
  readonly lastPulledSequence: bigint | null;
  readonly pulledEvents: number;
  readonly quarantinedEvents: number;
  readonly streamHead: bigint | null;
  readonly latestCommitment: {
    readonly batchId: string;
    readonly sequenceEnd: bigint;
    readonly newStateRoot: string;
    readonly anchored: boolean | null;
    readonly chainTxHash: string | null;
  } | null;
  readonly currentKeyId: number | null;
  readonly revocations: readonly RevocationState[];
  readonly notes: readonly string[];
}

/** One event of an entity's history, checked. */
export interface HistoryEvent {
  readonly sequenceNumber: bigint | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly sourceAgentId: string | null;
  readonly createdAt: string | null;
  readonly payloadKind: number | null;
  readonly payload: ExactJsonValue | null;
  readonly verified: boolean;
  readonly problem: string | null;
}

/** What `history` returns. */
export interface HistoryResult {
  readonly entityType: string;
  readonly entityId: string;
  readonly events: readonly HistoryEvent[];
  readonly count: number;
  readonly total: bigint | null;
  readonly currentVersion: bigint | null;
  readonly hasMore: boolean;
}

/** One step of `verify`. */
export interface VerifyStep {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What `verify` found. */
export interface VerifyResult {
  readonly eventId: string;
  readonly ok: boolean;
  readonly sequenceNumber: bigint | null;
  readonly batchId: string | null;
  readonly anchored: boolean | null;
  readonly steps: readonly VerifyStep[];
}

/** One check of `doctor`. */
export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  /** `error` fails doctor; `warning` is reported only. */
  readonly severity: "error" | "warning";
  readonly detail: string;
}

/** What `doctor` found. */
export interface DoctorResult {
  readonly ok: boolean;
  readonly reachable: boolean;
  readonly checks: readonly DoctorCheck[];
  readonly promoted?: { readonly checked: number; readonly promoted: number; readonly stillQuarantined: number };
  readonly revokedKeyIds: readonly number[];
}

/** What `keys:register` did. */
export interface RegisterResult {
  readonly keyId: number;
  readonly publicKey: string;
  readonly alreadyRegistered: boolean;
}

/** What `schemas:publish` did. */
export interface PublishResult {
  readonly published: readonly { readonly eventType: string; readonly schemaId: string; readonly version: number }[];
  readonly unchanged: readonly string[];
}

/** What `decrypt` returns. */
export interface DecryptResultView {
  readonly eventId: string;
  readonly source: "outbox" | "pulled" | "sequencer";
  readonly payloadKind: 0 | 1;
  readonly payload: ExactJsonValue;
}

const SLEEP = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nowIso = () => new Date().toISOString();

function entryOf(r: OutboxRow): OutboxEntry {
  return {
    localSeq: r.localSeq,
    eventId: r.eventId,
    commandId: r.commandId,
    entityType: r.entityType,
    entityId: r.entityId,
    eventType: r.eventType,
    payloadKind: r.payloadKind,
    agentKeyId: r.agentKeyId,
    status: r.status,
    sequenceNumber: r.sequenceNumber,
    rejection:
      r.rejectionReason === null
        ? null
        : { reason: r.rejectionReason, message: r.rejectionMessage ?? r.rejectionReason },
    retryCount: r.retryCount,
    lastError: r.lastError,
    createdAt: r.createdAt,
    settledAt: r.settledAt,
  };
}

function isObj(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: ExactJsonValue | undefined): string | null {
  return typeof v === "string" ? v : null;
}

function big(v: ExactJsonValue | undefined): bigint | null {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  return null;
}

/** A remote agent key (REST form). */
interface RemoteKey {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly status: string;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly revokedAt: string | null;
}

/** Why a received event cannot be stored, or what it holds when it can. */
type Inspection =
  | { readonly ok: true; readonly row: PulledRow }
  | { readonly ok: false; readonly reason: string; readonly message: string; readonly eventId: string | null };

/** An agent's home opened for work. */
export class Agent {
  readonly paths: HomePaths;
  config: SyncConfig;
  readonly keys: KeyStore;
  readonly outbox: Outbox;
  private readonly env: NodeJS.ProcessEnv;
  private readonly progress: (message: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly remoteKeys = new Map<string, RemoteKey[]>();
  private sequencerKeys: Map<string, Uint8Array> | undefined;
  private readonly signers = new Map<number, Ed25519Signer>();

  private constructor(paths: HomePaths, config: SyncConfig, options: AgentOptions) {
    this.paths = paths;
    this.config = config;
    this.env = options.env ?? process.env;
    this.progress = options.onProgress ?? (() => undefined);
    this.sleep = options.sleep ?? SLEEP;
    this.keys = new KeyStore(paths, config.agentId);
    this.outbox = new Outbox(paths.outbox);
  }

  /** Opens a configured home. @throws AgentError NOT_CONFIGURED / INVALID_CONFIG / OUTBOX_ERROR. */
  static open(options: AgentOptions = {}): Agent {
    const paths = resolveHome(options);
    return new Agent(paths, loadConfig(paths), options);
  }

  /** Closes the outbox database. */
  close(): void {
    this.outbox.close();
  }

  // Configuration ----------------------------------------------------------------------------------------------------

  /** The configuration with secrets redacted. */
  showConfig(): ExactJsonValue {
    return redactedConfig(this.config, this.env);
  }

  /** Sets one configuration key (see SETTABLE_KEYS) and saves the file. */
  setConfig(key: string, value: string): ExactJsonValue {
    if (key === "agent-id" || key === "tenant-id" || key === "store-id") {
      throw new AgentError("INVALID_INPUT", `${key} is fixed at init`, { hint: "run init --force to change it" });
    }
    this.config = setConfigValue(this.config, key, value);
    saveConfig(this.paths, this.config);
    return this.showConfig();
  }

  private apiKey(): string {
    const fromEnv = this.env.STATESET_API_KEY;
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv.trim();
    if (this.config.apiKeyFile !== null) return this.readKeyFile(this.config.apiKeyFile, "apiKeyFile");
    throw new AgentError("API_KEY_MISSING", "no API key: set STATESET_API_KEY or name a file with --api-key-file", {
      hint: "stateset-sync config set api-key-file PATH (the key needs read and write on the stream)",
    });
  }

  private adminKey(): string | undefined {
    const fromEnv = this.env.STATESET_ADMIN_API_KEY;
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv.trim();
    if (this.config.adminApiKeyFile !== null) return this.readKeyFile(this.config.adminApiKeyFile, "adminApiKeyFile");
    return undefined;
  }

  private requireAdminKey(what: string): string {
    const key = this.adminKey();
    if (key === undefined) {
      throw new AgentError("ADMIN_KEY_MISSING", `${what} needs a tenant-admin credential`, {
        hint: "set STATESET_ADMIN_API_KEY or stateset-sync config set admin-api-key-file PATH",
      });
    }
    return key;
  }

  private readKeyFile(file: string, what: string): string {
    let text: string;
    try {
      text = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new AgentError("API_KEY_MISSING", `cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code}`);
    }
    if (text === "") throw new AgentError("API_KEY_MISSING", `the ${what} ${file} is empty`);
    return text;
  }

  private client(): SequencerClient {
    return new SequencerClient(this.config.sequencerUrl, this.apiKey(), this.config.sync.requestTimeoutMs);
  }

  /** A client of the sequencer with the agent's API key, for reads this class does not wrap (used by mcp/). */
  sequencerClient(): SequencerClient {
    return this.client();
  }

  private adminClient(what: string): SequencerClient {
    return new SequencerClient(this.config.sequencerUrl, this.requireAdminKey(what), this.config.sync.requestTimeoutMs);
  }

  private publicClient(): SequencerClient {
    return new SequencerClient(this.config.sequencerUrl, undefined, this.config.sync.requestTimeoutMs);
  }

  // Keys -------------------------------------------------------------------------------------------------------------

  /** Generates the first signing and encryption keys. @throws AgentError KEYS_EXIST when a current key exists. */
  generateKeys(): PublicKeys {
    if (this.keys.currentSigning() !== undefined) {
      throw new AgentError("KEYS_EXIST", `agent ${this.config.agentId} already has a signing key`, {
        hint: "use keys:rotate for a new key",
      });
    }
    const now = nowIso();
    this.keys.addSigningKey(now);
    if (this.keys.currentEncryption() === undefined) this.keys.addEncryptionKey(now);
    this.keys.save();
    return this.keys.publicKeys();
  }

  /** The public keys (no private material). */
  listKeys(): PublicKeys {
    return this.keys.publicKeys();
  }

  /** The public keys in the form others put in their config (`{name, kid, x25519}`) plus the signing keys. */
  exportKeys(): ExactJsonValue {
    const pub = this.keys.publicKeys();
    const enc = this.keys.currentEncryption();
    return {
      agentId: pub.agentId,
      tenantId: this.config.tenantId,
      signingKeys: pub.signing.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey, status: k.status })),
      encryptionKeys: pub.encryption.map((k) => ({ kid: k.kid, x25519: k.x25519, current: k.current })),
      recipient:
        enc === undefined ? null : { name: `agent-${pub.agentId.slice(0, 8)}`, kid: enc.kid, x25519: enc.publicKey },
    };
  }

  private async fetchRemoteKeys(client: SequencerClient, agentId: string, fresh = false): Promise<RemoteKey[]> {
    const cached = this.remoteKeys.get(agentId);
    if (cached !== undefined && !fresh) return cached;
    const r = await client.get("/api/v1/agents/keys", { tenant_id: this.config.tenantId, agent_id: agentId });
    const list = Array.isArray(r.keys) ? r.keys : [];
    const keys: RemoteKey[] = [];
    for (const k of list) {
      if (!isObj(k)) continue;
      const keyId = big(k.key_id);
      const pk = str(k.public_key);
      if (keyId === null || pk === null) continue;
      keys.push({
        keyId: Number(keyId),
        publicKey: hexToBytes(pk, { length: 32 }),
        status: str(k.status) ?? "unknown",
        validFrom: str(k.valid_from),
        validTo: str(k.valid_to),
        revokedAt: str(k.revoked_at),
      });
    }
    this.remoteKeys.set(agentId, keys);
    return keys;
  }

  /** Registers a signing key (default: the current one) with the sequencer, using the admin credential. */
  async registerKey(keyId?: number): Promise<RegisterResult> {
    const k = keyId === undefined ? this.keys.requireSigning() : this.keys.signingKey(keyId);
    if (k === undefined) throw new AgentError("KEY_MISSING", `no local signing key ${keyId}`);
    const admin = this.adminClient("keys:register");
    let already = false;
    try {
      await admin.post("/api/v1/agents/keys", {
        tenantId: this.config.tenantId,
        agentId: this.config.agentId,
        keyId: k.keyId,
        publicKey: k.publicKey,
      });
    } catch (e) {
      if (!(e instanceof HttpFailure) || e.httpStatus !== 409) throw e;
      const remote = (await this.fetchRemoteKeys(admin, this.config.agentId, true)).find((r) => r.keyId === k.keyId);
      if (remote === undefined || bytesToHex(remote.publicKey) !== k.publicKey) {
        throw new AgentError(
          "INVALID_INPUT",
          `the sequencer holds a different key ${k.keyId} for agent ${this.config.agentId}`,
          { hint: "keys:rotate makes a new key id" },
        );
      }
      already = true;
    }
    k.registeredAt ??= nowIso();
    this.keys.save();
    return { keyId: k.keyId, publicKey: k.publicKey, alreadyRegistered: already };
  }

  /**
   * Rotates the signing key (and with `encryption` the X25519 key): a new key id, registered at once; the old key
   * signs nothing new and is revoked on the sequencer by the first push or doctor after the grace period, once no
   * pending event is signed with it.
   */
  async rotateKeys(options: { readonly encryption?: boolean } = {}): Promise<{
    readonly newKeyId: number;
    readonly oldKeyId: number;
    readonly revokeAfter: string;
    readonly newKid: number | null;
  }> {
    const old = this.keys.requireSigning();
    this.requireAdminKey("keys:rotate");
    const now = nowIso();
    const fresh = this.keys.addSigningKey(now);
    try {
      const admin = this.adminClient("keys:rotate");
      await admin.post("/api/v1/agents/keys", {
        tenantId: this.config.tenantId,
        agentId: this.config.agentId,
        keyId: fresh.keyId,
        publicKey: fresh.publicKey,
      });
    } catch (e) {
      this.keys.signing = this.keys.signing.filter((k) => k !== fresh);
      throw e;
    }
    fresh.registeredAt = nowIso();
    old.retiredAt = now;
    old.revokeAfter = new Date(Date.now() + this.config.keys.rotationGraceSeconds * 1000).toISOString();
    const kid = options.encryption === true ? this.keys.addEncryptionKey(now).kid : null;
    this.keys.save();
    return { newKeyId: fresh.keyId, oldKeyId: old.keyId, revokeAfter: old.revokeAfter, newKid: kid };
  }

  private revocationStates(): RevocationState[] {
    const unsettled = new Set(this.outbox.unsettledKeyIds());
    const admin = this.adminKey() !== undefined;
    const now = Date.now();
    return this.keys.signing
      .filter((k) => k.retiredAt !== null && k.revokedAt === null)
      .map((k) => ({
        keyId: k.keyId,
        revokeAfter: k.revokeAfter,
        due: k.revokeAfter === null || Date.parse(k.revokeAfter) <= now,
        waitingForPendingEvents: unsettled.has(k.keyId),
        adminCredential: admin,
      }));
  }

  /** Revokes rotated keys whose grace period is over and that sign no pending event; notes what it could not do. */
  private async settleRotations(notes: string[]): Promise<number[]> {
    const done: number[] = [];
    for (const r of this.revocationStates()) {
      if (!r.due || r.waitingForPendingEvents) continue;
      if (!r.adminCredential) {
        notes.push(
          `key ${r.keyId} is due for revocation on the sequencer, but no admin credential is configured ` +
            "(STATESET_ADMIN_API_KEY or admin-api-key-file)",
        );
        continue;
      }
      const k = this.keys.signingKey(r.keyId) as SigningKeyRecord;
      try {
        await this.adminClient("revocation").post("/api/v1/agents/keys/revoke", {
          tenantId: this.config.tenantId,
          agentId: this.config.agentId,
          keyId: r.keyId,
        });
      } catch (e) {
        if (!(e instanceof HttpFailure) || e.httpStatus !== 404) {
          notes.push(`key ${r.keyId} could not be revoked: ${(e as Error).message}`);
          continue;
        }
      }
      k.revokedAt = nowIso();
      this.keys.save();
      done.push(r.keyId);
    }
    return done;
  }

  // Append -----------------------------------------------------------------------------------------------------------

  private resolveRecipients(specs: readonly string[]): EncryptionRecipient[] {
    const out: RecipientConfig[] = [];
    for (const spec of specs) {
      const m = /^([0-9]{1,10}):([0-9a-fA-F]{64})$/.exec(spec);
      let r: RecipientConfig | undefined;
      if (m !== null) {
        r = checkRecipient({ name: `kid-${m[1]}`, kid: Number(m[1]), x25519: m[2] }, `--encrypt-for ${spec}`);
      } else {
        r = this.config.recipients.find((x) => x.name === spec);
        if (r === undefined) {
          throw new AgentError("INVALID_INPUT", `unknown recipient "${spec}"`, {
            hint: `name one of the configured recipients (${this.config.recipients.map((x) => x.name).join(", ") || "none"}) or give KID:X25519HEX`,
          });
        }
      }
      const same = out.find((x) => x.kid === r.kid);
      if (same !== undefined) {
        if (same.x25519 !== r.x25519) throw new AgentError("INVALID_INPUT", `recipient kid ${r.kid} is given twice`);
        continue;
      }
      out.push(r);
    }
    return out.map((r) => ({ kid: r.kid, publicKey: hexToBytes(r.x25519, { length: 32 }) }));
  }

  /**
   * Validates, commits the amount, signs (and encrypts) one event and stores it in the outbox as `pending`.
   * Idempotent per commandId: the same command returns the stored event; a different input under the same
   * commandId is COMMAND_CONFLICT.
   */
  async append(input: AppendInput): Promise<AppendResult> {
    const eventType = input.eventType;
    if (typeof eventType !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(eventType)) {
      throw new AgentError("INVALID_INPUT", `event type must be 1-128 characters of [A-Za-z0-9_.:-]`);
    }
    const typedEntity = entityTypeOf(eventType);
    const entityType = input.entityType ?? typedEntity;
    if (entityType === undefined || entityType === "") {
      throw new AgentError("INVALID_INPUT", "an entity type is required for an untyped event type", {
        hint: `typed event types: ${EVENT_TYPES.join(", ")}`,
      });
    }
    if (typedEntity !== undefined && entityType !== typedEntity) {
      throw new AgentError(
        "INVALID_INPUT",
        `${eventType} belongs to entity type "${typedEntity}", not "${entityType}"`,
      );
    }
    if (typeof input.entityId !== "string" || input.entityId === "") {
      throw new AgentError("INVALID_INPUT", "an entity id is required");
    }
    const payload = input.payload;
    if (!isObj(payload)) throw new AgentError("INVALID_INPUT", "the payload must be a JSON object");
    if (input.baseVersion !== undefined && (input.baseVersion < 0n || input.baseVersion >= 1n << 64n)) {
      throw new AgentError("INVALID_INPUT", "base version must be in 0..2^64-1");
    }
    if (input.commandId !== undefined && !isUuid(input.commandId)) {
      throw new AgentError("INVALID_INPUT", `command id must be a UUID, got ${JSON.stringify(input.commandId)}`);
    }
    for (const f of [AMOUNT_COMMITMENT_FIELD, AMOUNT_BLINDING_FIELD]) {
      if (Object.hasOwn(payload, f))
        throw new AgentError("INVALID_INPUT", `payload must not set ${f}: append computes it`);
    }
    validatePayload(eventType, payload);
    const recipients = this.resolveRecipients(input.encryptFor ?? []);
    const commandId = normalizeUuid(input.commandId ?? randomUUID());
    const eventId = deriveEventId(this.config.agentId, commandId);
    const inputHash = bytesToHex(
      sha256(
        utf8Encode(
          jcsExact({
            entityType,
            entityId: input.entityId,
            eventType,
            payload,
            recipients: recipients.map((r) => [r.kid, bytesToHex(r.publicKey)]).sort(),
            baseVersion: input.baseVersion === undefined ? null : input.baseVersion.toString(),
          }),
        ),
      ),
    );
    const existing = this.outbox.byEventId(eventId);
    if (existing !== undefined) {
      if (existing.inputHash !== inputHash) {
        throw new AgentError("COMMAND_CONFLICT", `command ${commandId} was already used for a different event`, {
          hint: "use a new commandId for a new action",
        });
      }
      return this.appendResult(existing, true);
    }
    const signing = this.keys.requireSigning();
    const withCommitment = withAmountCommitment(eventType, payload, this.config.amountFields);
    let built;
    try {
      built = await buildEnvelope({
        tenantId: this.config.tenantId,
        storeId: this.config.storeId,
        sourceAgentId: this.config.agentId,
        agentKeyId: signing.keyId,
        entityType,
        entityId: input.entityId,
        eventType,
        payload: withCommitment,
        signingKey: this.signerOf(signing),
        recipients,
        eventId,
        commandId,
        ...(input.baseVersion === undefined ? {} : { baseVersion: input.baseVersion }),
      });
    } catch (e) {
      throw new AgentError("INVALID_INPUT", `cannot build the event: ${(e as Error).message}`, { cause: e });
    }
    const row = this.outbox.insert({
      eventId,
      commandId,
      inputHash,
      entityType,
      entityId: input.entityId,
      eventType,
      agentKeyId: signing.keyId,
      payloadKind: built.envelope.payload_kind,
      envelope: built.envelope,
      payload: withCommitment,
      createdAt: built.envelope.created_at,
    });
    return this.appendResult(row, false);
  }

  /** One prepared signer per key (importing a private key costs more than signing). */
  private signerOf(k: SigningKeyRecord): Ed25519Signer {
    let signer = this.signers.get(k.keyId);
    if (signer === undefined) {
      signer = defaultEd25519.signer(this.keys.seedOf(k));
      this.signers.set(k.keyId, signer);
    }
    return signer;
  }

  private appendResult(row: OutboxRow, duplicate: boolean): AppendResult {
    const kids = (row.envelope.payload_encrypted?.recipients ?? []).map((r) => r.recipient_kid);
    const c = isObj(row.payload) ? row.payload.amountCommitment : undefined;
    return { ...entryOf(row), duplicate, recipientKids: kids, amountCommitment: typeof c === "string" ? c : null };
  }

  /** Outbox entries, oldest first. */
  outboxEntries(options: { readonly status?: OutboxStatus; readonly limit?: number; readonly offset?: number } = {}) {
    return this.outbox.list(options.status, options.limit ?? 100, options.offset ?? 0).map(entryOf);
  }

  /** Outbox counts by state. */
  outboxCounts(): OutboxCounts {
    return this.outbox.counts();
  }

  // Push -------------------------------------------------------------------------------------------------------------

  private async loadSequencerKeys(fresh = false): Promise<Map<string, Uint8Array>> {
    if (this.sequencerKeys !== undefined && !fresh) return this.sequencerKeys;
    const r = await this.publicClient().get("/api/v1/ves/sequencer-key");
    const map = new Map<string, Uint8Array>();
    for (const k of Array.isArray(r.keys) ? r.keys : []) {
      if (!isObj(k)) continue;
      const id = str(k.sequencer_id);
      const version = big(k.version);
      const pk = str(k.public_key);
      if (id === null || version === null || pk === null) continue;
      map.set(`${normalizeUuid(id)}/${version}`, hexToBytes(pk, { length: 32 }));
    }
    this.sequencerKeys = map;
    this.outbox.setState("sequencer_keys", JSON.stringify([...map.keys()]), nowIso());
    return map;
  }

  private async sequencerKeyFor(receipt: SequencerReceipt): Promise<Uint8Array | undefined> {
    const id = `${normalizeUuid(receipt.sequencerId)}/${receipt.sequencerKeyVersion}`;
    const known = (await this.loadSequencerKeys()).get(id);
    return known ?? (await this.loadSequencerKeys(true)).get(id);
  }

  private backoff(attempt: number): number {
    const { retryBaseMs, retryMaxMs } = this.config.sync;
    const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(exp / 2 + (Math.random() * exp) / 2);
  }

  /**
   * Sends every unsent event, in requests of at most `batchSize` (≤ 1000), until the outbox has none left; settles
   * each event from its own result (see outbox.ts). Whole-request failures: 401/403 stop with the error; 413 splits
   * the request; 429 waits for Retry-After; transport errors and 5xx back off exponentially, at most `maxRetries`
   * times in a row, then stop with the error (events stay `pending` with their retry count).
   */
  async push(): Promise<PushResult> {
    const recovered = this.outbox.recoverSending();
    if (recovered > 0) this.progress(`recovered ${recovered} events of an interrupted push; re-sending them`);
    const notes: string[] = [];
    const problems: string[] = [];
    const rejected: PushRejection[] = [];
    let acknowledged = 0;
    let replayed = 0;
    let requests = 0;
    const client = this.client();
    if (this.outbox.counts().pending > 0) {
      // Before anything is sent: the keys the pending events are signed with, and the receipt keys. A transport
      // failure here backs off like a failed request, and counts as a failed attempt of every pending event.
      for (let failures = 0; ;) {
        try {
          await this.checkSigningKeysRegistered(client);
          await this.loadSequencerKeys(true);
          break;
        } catch (e) {
          if (!(e instanceof HttpFailure) || !e.retryable) throw e;
          failures++;
          if (failures > this.config.sync.maxRetries) {
            this.outbox.notePendingFailure(e.message);
            throw e;
          }
          const wait = e.code === "RATE_LIMITED" ? (e.retryAfterMs ?? 1000) : this.backoff(failures);
          this.progress(`${e.message}; retrying in ${wait} ms (attempt ${failures + 1})`);
          await this.sleep(wait);
        }
      }
    }
    let failures = 0;
    const batchSize = Math.min(1000, this.config.sync.batchSize);
    const skip = new Set<string>();
    for (;;) {
      const requestId = randomUUID();
      const rows = this.outbox.claim(requestId, batchSize + skip.size).filter((r) => {
        if (!skip.has(r.eventId)) return true;
        this.outbox.release([r.eventId], r.lastError ?? "receipt problem", false);
        return false;
      });
      if (rows.length === 0) break;
      const batch = rows.slice(0, batchSize);
      if (rows.length > batch.length) {
        this.outbox.release(
          rows.slice(batchSize).map((r) => r.eventId),
          "not sent yet",
          false,
        );
      }
      try {
        const settled = await this.sendBatch(client, batch, requestId);
        requests += settled.requests;
        acknowledged += settled.acknowledged;
        replayed += settled.replayed;
        rejected.push(...settled.rejected);
        for (const p of settled.problems) {
          problems.push(p.message);
          skip.add(p.eventId);
        }
        failures = 0;
      } catch (e) {
        if (!(e instanceof HttpFailure)) {
          this.outbox.release(
            batch.map((r) => r.eventId),
            (e as Error).message,
            true,
          );
          throw e;
        }
        const countRetry = e.code === "UNREACHABLE" || e.code === "SEQUENCER_ERROR" || e.code === "BAD_RESPONSE";
        this.outbox.release(
          batch.map((r) => r.eventId),
          e.message,
          countRetry,
        );
        if (!e.retryable) throw e;
        failures++;
        if (failures > this.config.sync.maxRetries) throw e;
        const wait = e.code === "RATE_LIMITED" ? (e.retryAfterMs ?? 1000) : this.backoff(failures);
        this.progress(`${e.message}; retrying in ${wait} ms (attempt ${failures + 1})`);
        await this.sleep(wait);
      }
    }
    const revokedKeyIds = await this.settleRotations(notes);
    const counts = this.outbox.counts();
    return {
      recovered,
      requests,
      acknowledged,
      replayed,
      rejected,
      pending: counts.pending + counts.sending,
      problems,
      revokedKeyIds,
      notes,
    };
  }

  /** Refuses to push events signed with keys the sequencer does not hold as active (they would all be rejected). */
  private async checkSigningKeysRegistered(client: SequencerClient): Promise<void> {
    const remote = await this.fetchRemoteKeys(client, this.config.agentId, true);
    for (const keyId of this.outbox.unsettledKeyIds()) {
      const r = remote.find((k) => k.keyId === keyId);
      const local = this.keys.signingKey(keyId);
      if (r === undefined || (local !== undefined && bytesToHex(r.publicKey) !== local.publicKey)) {
        throw new AgentError(
          "KEY_NOT_REGISTERED",
          `signing key ${keyId} of agent ${this.config.agentId} is not registered on the sequencer; nothing was sent`,
          { hint: 'run "stateset-sync keys:register" (with a tenant-admin credential); pending events are kept' },
        );
      }
      if (r.status !== "active" || r.revokedAt !== null) {
        throw new AgentError(
          "KEY_NOT_REGISTERED",
          `signing key ${keyId} of agent ${this.config.agentId} is ${r.status} on the sequencer; nothing was sent`,
          { hint: "events signed with it cannot be accepted; pending events are kept" },
        );
      }
    }
  }

  private async sendBatch(
    client: SequencerClient,
    rows: readonly OutboxRow[],
    requestId: string,
  ): Promise<{
    requests: number;
    acknowledged: number;
    replayed: number;
    rejected: PushRejection[];
    problems: { eventId: string; message: string }[];
  }> {
    this.progress(`sending ${rows.length} events (request ${requestId})`);
    let body: JsonObject;
    try {
      body = await client.post("/api/v1/ves/events/ingest", {
        agentId: this.config.agentId,
        events: rows.map((r) => r.envelope as unknown as ExactJsonValue),
      });
    } catch (e) {
      if (e instanceof HttpFailure && e.httpStatus === 413) {
        if (rows.length === 1) {
          const now = nowIso();
          const row = rows[0]!;
          this.outbox.reject(row.eventId, "payload_too_large", e.message, now);
          return {
            requests: 1,
            acknowledged: 0,
            replayed: 0,
            rejected: [{ eventId: row.eventId, reason: "payload_too_large", message: e.message }],
            problems: [],
          };
        }
        this.progress(`request too large (${rows.length} events); splitting it`);
        const half = Math.ceil(rows.length / 2);
        const a = await this.sendBatch(client, rows.slice(0, half), requestId);
        const b = await this.sendBatch(client, rows.slice(half), requestId);
        return {
          requests: a.requests + b.requests + 1,
          acknowledged: a.acknowledged + b.acknowledged,
          replayed: a.replayed + b.replayed,
          rejected: [...a.rejected, ...b.rejected],
          problems: [...a.problems, ...b.problems],
        };
      }
      throw e;
    }
    const parsed = parseIngestResponse(body);
    if (!parsed.ok) {
      throw new HttpFailure(200, "BAD_RESPONSE", `the ingest response is malformed: ${parsed.message}`, {
        retryable: true,
      });
    }
    const response = parsed.value;
    const receipts = new Map((response.receipts ?? []).map((r) => [normalizeUuid(r.eventId), r]));
    const rejections = new Map((response.rejections ?? []).map((r) => [r.event_id.toLowerCase(), r]));
    const out = {
      requests: 1,
      acknowledged: 0,
      replayed: 0,
      rejected: [] as PushRejection[],
      problems: [] as { eventId: string; message: string }[],
    };
    const now = nowIso();
    const leftover: string[] = [];
    for (const row of rows) {
      const receipt = receipts.get(row.eventId);
      const rejection = rejections.get(row.eventId);
      if (receipt !== undefined) {
        const check = await this.checkReceipt(receipt, row.envelope);
        if (check !== undefined) {
          const message = `event ${row.eventId}: receipt does not verify (${check}); kept pending`;
          this.outbox.release([row.eventId], message, true);
          out.problems.push({ eventId: row.eventId, message });
          continue;
        }
        this.outbox.acknowledge(row.eventId, receipt.sequenceNumber, receiptToJson(receipt), now);
        out.acknowledged++;
        if (response.sequenceStart === null || receipt.sequenceNumber < response.sequenceStart) out.replayed++;
      } else if (rejection !== undefined) {
        this.outbox.reject(row.eventId, rejection.reason, rejection.message, now);
        out.rejected.push({ eventId: row.eventId, reason: rejection.reason, message: rejection.message });
      } else leftover.push(row.eventId);
    }
    if (leftover.length > 0) {
      const message = "the sequencer gave no result for this event";
      this.outbox.release(leftover, message, true);
      for (const id of leftover) out.problems.push({ eventId: id, message: `event ${id}: ${message}; kept pending` });
    }
    this.progress(
      `request ${requestId}: ${out.acknowledged} acknowledged (${out.replayed} already held), ${out.rejected.length} rejected`,
    );
    return out;
  }

  /** Verifies a receipt against the event it acknowledges and the sequencer's published key; the problem, if any. */
  private async checkReceipt(receipt: SequencerReceipt, envelope: VesEventEnvelope): Promise<string | undefined> {
    const parsed = parseEnvelope(envelope);
    if (!parsed.ok) return `stored envelope does not parse: ${parsed.rejection.message}`;
    const key = await this.sequencerKeyFor(receipt);
    if (key === undefined) {
      return `sequencer key ${receipt.sequencerId} version ${receipt.sequencerKeyVersion} is not published`;
    }
    const v = verifyReceipt(receipt, parsed.event, key);
    return v.ok ? undefined : v.message;
  }

  // Pull -------------------------------------------------------------------------------------------------------------

  /** Verifies one received event (hashes, agent signature under a published key valid at ingest, receipt). */
  private async inspect(client: SequencerClient, item: unknown): Promise<Inspection> {
    const fail = (reason: string, message: string, eventId: string | null): Inspection => ({
      ok: false,
      reason,
      message,
      eventId,
    });
    if (!isObj(item)) return fail("malformed_event", "the event is not an object", null);
    const claimedId = str(item.event_id);
    const seq = big(item.sequence_number);
    const parsed = parseEnvelope(item.envelope);
    if (!parsed.ok)
      return fail("malformed_envelope", `${parsed.rejection.reason}: ${parsed.rejection.message}`, claimedId);
    const event = parsed.event;
    if (event.tenantId !== this.config.tenantId || event.storeId !== this.config.storeId) {
      return fail("scope_mismatch", "the event belongs to another tenant or store", event.eventId);
    }
    if (claimedId === null || normalizeUuid(claimedId) !== event.eventId || seq === null) {
      return fail("event_identity_conflict", "event_id or sequence_number does not match the envelope", event.eventId);
    }
    const receiptParsed = parseReceipt(item.receipt);
    if (!receiptParsed.ok) return fail("receipt_invalid", receiptParsed.message, event.eventId);
    const receipt = receiptParsed.value;
    if (receipt.sequenceNumber !== seq) {
      return fail("receipt_invalid", `receipt is for sequence ${receipt.sequenceNumber}, not ${seq}`, event.eventId);
    }
    let keys = await this.fetchRemoteKeys(client, event.sourceAgentId);
    let key = keys.find((k) => k.keyId === event.agentKeyId);
    if (key === undefined) {
      keys = await this.fetchRemoteKeys(client, event.sourceAgentId, true);
      key = keys.find((k) => k.keyId === event.agentKeyId);
    }
    if (key === undefined) {
      return fail(
        "key_unresolved",
        `no published key ${event.agentKeyId} for agent ${event.sourceAgentId}`,
        event.eventId,
      );
    }
    // Key validity is judged at ingest (the receipt's sequencedAt), as the sequencer judged it.
    const at = Date.parse(receipt.sequencedAt);
    if (key.revokedAt !== null && Date.parse(key.revokedAt) <= at) {
      return fail("key_revoked", `key ${key.keyId} was revoked before the event was sequenced`, event.eventId);
    }
    if (
      (key.validFrom !== null && at < Date.parse(key.validFrom)) ||
      (key.validTo !== null && at > Date.parse(key.validTo))
    ) {
      return fail(
        "key_outside_validity_window",
        `key ${key.keyId} was not valid when the event was sequenced`,
        event.eventId,
      );
    }
    const v = verifyEvent(event, key.publicKey);
    if (!v.ok) {
      const reason =
        v.rejection.reason === "invalid_payload_hash"
          ? "payload_hash_invalid"
          : v.rejection.reason === "invalid_cipher_hash"
            ? "cipher_hash_invalid"
            : "signature_invalid";
      return fail(reason, v.rejection.message, event.eventId);
    }
    const seqKey = await this.sequencerKeyFor(receipt);
    if (seqKey === undefined) {
      return fail(
        "sequencer_key_unknown",
        `receipt key ${receipt.sequencerId} version ${receipt.sequencerKeyVersion} is not published`,
        event.eventId,
      );
    }
    const rv = verifyReceipt(receipt, event, seqKey);
    if (!rv.ok) return fail("receipt_invalid", rv.message, event.eventId);
    // Payload: plaintext, or decrypted when this agent is a recipient.
    let payload: ExactJsonValue | null = null;
    let decryption = "plaintext";
    if (event.payloadKind === 0) payload = (event.payload ?? null) as ExactJsonValue | null;
    else {
      const kids = new Set((event.payloadEncrypted?.recipients ?? []).map((r) => r.recipientKid));
      const mine = this.keys.decryptionKeys().filter((k) => kids.has(k.kid));
      decryption = "not_recipient";
      for (const k of mine) {
        const d = await decryptEnvelope(item.envelope, k.kid, k.secretKey);
        if (d.ok) {
          payload = d.payload as ExactJsonValue;
          decryption = "decrypted";
          break;
        }
        decryption = `decrypt_failed:${d.reason}`;
      }
    }
    if (payload !== null) {
      const problem = amountCommitmentProblem(event.eventType, payload, this.config.amountFields);
      if (problem !== undefined) return fail("amount_commitment_invalid", problem, event.eventId);
    }
    return {
      ok: true,
      row: {
        sequenceNumber: seq,
        eventId: event.eventId,
        sourceAgentId: event.sourceAgentId,
        entityType: event.entityType,
        entityId: event.entityId,
        eventType: event.eventType,
        payloadKind: event.payloadKind,
        envelope: item.envelope as ExactJsonValue,
        receipt: item.receipt as ExactJsonValue,
        batchId: str(item.batch_id),
        payload,
        decryption,
        pulledAt: nowIso(),
      },
    };
  }

  /**
   * Pulls the stream from the stored cursor (inclusive; persisted as the next sequence after each page), verifies
   * every event, stores the verified ones (decrypting those this agent is a recipient of) and quarantines the rest.
   */
  async pull(options: { readonly from?: bigint; readonly limit?: number } = {}): Promise<PullResult> {
    const client = this.client();
    const stored = this.outbox.getState("pull_cursor");
    const start = options.from ?? (stored === undefined ? 1n : BigInt(stored));
    let cursor = start;
    const pageSize = Math.min(1000, Math.max(1, options.limit ?? 1000));
    let pulled = 0;
    let storedCount = 0;
    let decrypted = 0;
    let notRecipient = 0;
    let head = 0n;
    const quarantined: QuarantineEntry[] = [];
    await this.loadSequencerKeys(true);
    for (;;) {
      const page = await client.get("/api/v1/ves/events", {
        tenant_id: this.config.tenantId,
        store_id: this.config.storeId,
        from: cursor,
        limit: pageSize,
      });
      const events = Array.isArray(page.events) ? page.events : [];
      head = big(page.head_sequence) ?? head;
      const next = big(page.next);
      if (next === null || next < cursor) throw new AgentError("BAD_RESPONSE", "the pull response has no valid next");
      const now = nowIso();
      const results: { item: ExactJsonValue; r: Inspection }[] = [];
      for (const item of events) results.push({ item, r: await this.inspect(client, item) });
      this.outbox.transaction(() => {
        for (const { item, r } of results) {
          if (r.ok) {
            this.outbox.storePulled(r.row);
            storedCount++;
            if (r.row.decryption === "decrypted") decrypted++;
            if (r.row.decryption === "not_recipient") notRecipient++;
          } else {
            const seq = isObj(item) ? (big(item.sequence_number) ?? -1n) : -1n;
            this.outbox.quarantine({
              sequenceNumber: seq,
              eventId: r.eventId,
              event: item,
              reason: r.reason,
              message: r.message,
              quarantinedAt: now,
            });
            quarantined.push({ sequenceNumber: seq, eventId: r.eventId, reason: r.reason, message: r.message });
          }
        }
        this.outbox.setState("pull_cursor", next.toString(), now);
      });
      pulled += events.length;
      cursor = next;
      this.progress(`pulled ${pulled} events (next ${cursor}, head ${head})`);
      if (page.has_more !== true || events.length === 0) break;
    }
    return {
      from: start,
      pulled,
      stored: storedCount,
      quarantined,
      decrypted,
      notRecipient,
      nextCursor: cursor,
      headSequence: head,
    };
  }

  /** Verified received events stored locally. */
  pulledEvents(options: { readonly limit?: number; readonly entityType?: string; readonly entityId?: string } = {}) {
    return this.outbox.pulled(options);
  }

  // Status, history, verify, decrypt ---------------------------------------------------------------------------------

  /** Local and remote state; `connected` is false (with the error) when the sequencer cannot be asked. */
  async status(): Promise<StatusResult> {
    const counts = this.outbox.counts();
    const cursor = this.outbox.getState("pull_cursor");
    const notes: string[] = [];
    const revocations = this.revocationStates();
    for (const r of revocations) {
      if (!r.adminCredential) {
        notes.push(
          `rotated key ${r.keyId} ${r.due ? "is due" : `will be due at ${r.revokeAfter}`} for revocation; no admin ` +
            "credential is configured to revoke it (STATESET_ADMIN_API_KEY or admin-api-key-file)",
        );
      }
    }
    let connected: boolean;
    let connectionError: string | null = null;
    let head: bigint | null = null;
    let latest: StatusResult["latestCommitment"] = null;
    try {
      const client = this.client();
      const h = await client.get("/api/v1/ves/head", {
        tenant_id: this.config.tenantId,
        store_id: this.config.storeId,
      });
      connected = true;
      head = big(h.head_sequence);
      const lc = h.latest_commitment;
      if (isObj(lc)) {
        const batchId = str(lc.batch_id) ?? "";
        let anchored: boolean | null = null;
        let tx: string | null = null;
        try {
          const c = await client.get(`/api/v1/ves/commitments/${batchId}`);
          anchored = c.is_anchored === true;
          tx = str(c.chain_tx_hash);
        } catch {
          anchored = null;
        }
        latest = {
          batchId,
          sequenceEnd: big(lc.sequence_end) ?? 0n,
          newStateRoot: str(lc.new_state_root) ?? "",
          anchored,
          chainTxHash: tx,
        };
      }
    } catch (e) {
      if (!isAgentError(e)) throw e;
      // Any HTTP answer (a 401, say) means the sequencer is reachable; only a transport failure is "not connected".
      connected = !(e instanceof HttpFailure && e.httpStatus === 0) && e.code !== "API_KEY_MISSING";
      connectionError = e.message;
    }
    if (counts.rejected > 0)
      notes.push(`${counts.rejected} events were rejected (stateset-sync outbox --status rejected)`);
    const q = this.outbox.quarantined().length;
    if (q > 0) notes.push(`${q} received events are quarantined (stateset-sync doctor --promote re-checks them)`);
    return {
      agentId: this.config.agentId,
      tenantId: this.config.tenantId,
      storeId: this.config.storeId,
      sequencerUrl: this.config.sequencerUrl,
      connected,
      connectionError,
      outbox: counts,
      lastPushedSequence: this.outbox.lastPushedSequence(),
      lastPulledSequence: cursor === undefined || BigInt(cursor) <= 1n ? null : BigInt(cursor) - 1n,
      pulledEvents: this.outbox.pulledCount(),
      quarantinedEvents: q,
      streamHead: head,
      latestCommitment: latest,
      currentKeyId: this.keys.currentSigning()?.keyId ?? null,
      revocations,
      notes,
    };
  }

  /** An entity's events through the sequencer's entity-history route, each one verified (and decrypted if possible). */
  async history(
    entityType: string,
    entityId: string,
    options: { readonly from?: bigint; readonly limit?: number } = {},
  ): Promise<HistoryResult> {
    const client = this.client();
    await this.loadSequencerKeys();
    const r = await client.get(
      `/api/v1/ves/entities/${encodeURIComponent(entityType)}/${encodeURIComponent(entityId)}`,
      {
        tenant_id: this.config.tenantId,
        store_id: this.config.storeId,
        from: options.from,
        limit: options.limit,
      },
    );
    const items = Array.isArray(r.events) ? r.events : [];
    const events: HistoryEvent[] = [];
    for (const item of items) {
      const i = await this.inspect(client, item);
      const env = isObj(item) && isObj(item.envelope) ? item.envelope : undefined;
      events.push({
        sequenceNumber: isObj(item) ? big(item.sequence_number) : null,
        eventId: isObj(item) ? str(item.event_id) : null,
        eventType: str(env?.event_type),
        sourceAgentId: str(env?.source_agent_id),
        createdAt: str(env?.created_at),
        payloadKind: env === undefined ? null : Number(big(env.payload_kind) ?? -1n),
        payload: i.ok ? i.row.payload : null,
        verified: i.ok,
        problem: i.ok ? null : `${i.reason}: ${i.message}`,
      });
    }
    return {
      entityType: str(r.entity_type) ?? entityType,
      entityId: str(r.entity_id) ?? entityId,
      events,
      count: events.length,
      total: big(r.total),
      currentVersion: big(r.current_version),
      hasMore: r.has_more === true,
    };
  }

  /**
   * Fetches an event, its receipt, its commitment and its inclusion proof and checks all of them off-chain: the
   * payload hash and agent signature under the published key, the receipt under the sequencer's key, the
   * commitment's state root, and the proof from the recomputed leaf to the commitment's root.
   */
  async verify(eventIdInput: string): Promise<VerifyResult> {
    if (!isUuid(eventIdInput)) throw new AgentError("INVALID_INPUT", `event id must be a UUID, got "${eventIdInput}"`);
    const eventId = normalizeUuid(eventIdInput);
    const client = this.client();
    const steps: VerifyStep[] = [];
    const step = (name: string, ok: boolean, detail: string) => {
      steps.push({ step: name, ok, detail });
      return ok;
    };
    const done = (seq: bigint | null, batch: string | null, anchored: boolean | null): VerifyResult => ({
      eventId,
      ok: steps.every((s) => s.ok),
      sequenceNumber: seq,
      batchId: batch,
      anchored,
      steps,
    });
    let item: JsonObject;
    try {
      item = await client.get(`/api/v1/ves/events/${eventId}`);
    } catch (e) {
      if (e instanceof HttpFailure && e.httpStatus === 404) {
        step("event", false, `the sequencer holds no event ${eventId} visible to this agent`);
        return done(null, null, null);
      }
      throw e;
    }
    const seq = big(item.sequence_number);
    const parsed = parseEnvelope(item.envelope);
    if (!step("event", parsed.ok && seq !== null, parsed.ok ? `sequence ${seq}` : "the envelope does not parse")) {
      return done(seq, null, null);
    }
    const event: VesEvent = (parsed as { ok: true; event: VesEvent }).event;
    const keys = await this.fetchRemoteKeys(client, event.sourceAgentId, true);
    const key = keys.find((k) => k.keyId === event.agentKeyId);
    if (
      !step(
        "agent key",
        key !== undefined,
        key === undefined
          ? `no published key ${event.agentKeyId} for agent ${event.sourceAgentId}`
          : `key ${event.agentKeyId} of agent ${event.sourceAgentId} (${key.status})`,
      )
    ) {
      return done(seq, null, null);
    }
    const v = verifyEvent(event, key!.publicKey);
    step(
      "payload hash and signature",
      v.ok,
      v.ok
        ? `${event.payloadKind === 0 ? "payload_plain_hash" : "payload_cipher_hash"} recomputed; Ed25519 signature valid`
        : `${v.rejection.reason}: ${v.rejection.message}`,
    );
    const rp = parseReceipt(item.receipt);
    if (!rp.ok) step("receipt", false, rp.message);
    else {
      const seqKey = await this.sequencerKeyFor(rp.value);
      const rv =
        seqKey === undefined
          ? { ok: false as const, message: "sequencer key not published" }
          : verifyReceipt(rp.value, event, seqKey);
      const same = rp.value.sequenceNumber === seq;
      step(
        "receipt",
        rv.ok && same,
        !same ? "receipt sequence differs" : rv.ok ? `signed by sequencer ${rp.value.sequencerId}` : rv.message,
      );
    }
    const batchId = str(item.batch_id);
    if (
      !step(
        "commitment",
        batchId !== null,
        batchId === null ? "the event is not in a commitment yet" : `batch ${batchId}`,
      )
    ) {
      return done(seq, null, null);
    }
    const cj = await client.get(`/api/v1/ves/commitments/${batchId}`);
    const cp = parseCommitment(cj);
    const cv = cp.ok ? verifyCommitment(cp.value) : { ok: false as const, message: cp.message };
    const anchored = cj.is_anchored === true;
    steps.pop();
    if (
      !step(
        "commitment",
        cv.ok,
        cv.ok && cp.ok
          ? `batch ${batchId}: sequences ${cp.value.sequence_start}..${cp.value.sequence_end}, state root consistent`
          : `batch ${batchId}: ${(cv as { message: string }).message}`,
      ) ||
      !cp.ok
    ) {
      return done(seq, batchId, anchored);
    }
    const pj = await client.get(`/api/v1/ves/proofs/${seq}`, {
      tenant_id: this.config.tenantId,
      store_id: this.config.storeId,
      batch_id: batchId ?? undefined,
    });
    const pp = parseInclusionProof(pj);
    if (!pp.ok) step("inclusion proof", false, pp.message);
    else {
      const iv = verifyInclusionAgainstCommitment(pp.value, cp.value, eventLeafHash(event, seq!));
      step(
        "inclusion proof",
        iv.ok,
        iv.ok
          ? `leaf ${pp.value.leaf_index} of ${cp.value.leaf_count} reaches merkle_root ${cp.value.merkle_root.slice(0, 16)}…`
          : `${(iv as { reason: string }).reason}: ${(iv as { message?: string }).message ?? ""}`,
      );
    }
    steps.push({
      step: "anchoring",
      ok: true,
      detail: anchored
        ? `anchored in transaction ${str(cj.chain_tx_hash)} on chain ${String(cj.chain_id)} (the on-chain check is not made here)`
        : "not anchored yet (informational)",
    });
    return done(seq, batchId, anchored);
  }

  /** The plaintext payload of an event: the agent's own (outbox), a received one, or one fetched and decrypted. */
  async decrypt(eventIdInput: string): Promise<DecryptResultView> {
    if (!isUuid(eventIdInput)) throw new AgentError("INVALID_INPUT", `event id must be a UUID, got "${eventIdInput}"`);
    const eventId = normalizeUuid(eventIdInput);
    const own = this.outbox.byEventId(eventId);
    if (own !== undefined) return { eventId, source: "outbox", payloadKind: own.payloadKind, payload: own.payload };
    const pulled = this.outbox.pulledByEventId(eventId);
    let envelope: unknown;
    if (pulled !== undefined) {
      if (pulled.payload !== null) {
        return { eventId, source: "pulled", payloadKind: pulled.payloadKind, payload: pulled.payload };
      }
      envelope = pulled.envelope;
    } else {
      const item = await this.client().get(`/api/v1/ves/events/${eventId}`);
      envelope = item.envelope;
    }
    const parsed = parseEnvelope(envelope);
    if (!parsed.ok) throw new AgentError("DECRYPT_FAILED", `event ${eventId} does not parse`);
    if (parsed.event.payloadKind === 0) {
      return { eventId, source: "sequencer", payloadKind: 0, payload: parsed.event.payload as ExactJsonValue };
    }
    const kids = new Set((parsed.event.payloadEncrypted?.recipients ?? []).map((r) => r.recipientKid));
    for (const k of this.keys.decryptionKeys().filter((x) => kids.has(x.kid))) {
      const d = await decryptEnvelope(envelope, k.kid, k.secretKey);
      if (d.ok)
        return {
          eventId,
          source: pulled === undefined ? "sequencer" : "pulled",
          payloadKind: 1,
          payload: d.payload as ExactJsonValue,
        };
    }
    throw new AgentError("DECRYPT_FAILED", `this agent is not a recipient of event ${eventId}`, {
      hint: `its recipients are kids ${[...kids].join(", ")}`,
    });
  }

  // Doctor, schemas --------------------------------------------------------------------------------------------------

  /** Checks the configuration, keys, credentials, reachability and registration; `promote` re-checks quarantine. */
  async doctor(options: { readonly promote?: boolean } = {}): Promise<DoctorResult> {
    const checks: DoctorCheck[] = [];
    const add = (name: string, ok: boolean, detail: string, severity: "error" | "warning" = "error") =>
      checks.push({ name, ok, severity, detail });
    add("config", true, `${this.paths.config} (agent ${this.config.agentId})`);
    const signing = this.keys.currentSigning();
    add(
      "signing key",
      signing !== undefined,
      signing === undefined ? "none: run keys:generate" : `key ${signing.keyId}`,
    );
    const enc = this.keys.currentEncryption();
    add(
      "encryption key",
      enc !== undefined,
      enc === undefined ? "none: run keys:generate" : `kid ${enc.kid}`,
      "warning",
    );
    const perms = this.keys.permissionProblems();
    add(
      "key file permissions",
      perms.length === 0,
      perms.length === 0 ? "0600 files in a 0700 directory" : perms.join("; "),
    );
    let apiKey = true;
    try {
      this.apiKey();
      add("API key", true, REDACTED);
    } catch (e) {
      apiKey = false;
      add("API key", false, (e as Error).message);
    }
    const admin = this.adminKey() !== undefined;
    const revocations = this.revocationStates();
    add(
      "admin credential",
      admin || revocations.length === 0,
      admin
        ? "configured (used only for keys:register, rotation revocations and schemas:publish)"
        : revocations.length > 0
          ? `not configured, but rotated key(s) ${revocations.map((r) => r.keyId).join(", ")} must be revoked on the sequencer`
          : "not configured (needed only for keys:register, rotation revocations and schemas:publish)",
      "warning",
    );
    let reachable = false;
    try {
      await this.publicClient().get("/health");
      reachable = true;
      add("sequencer reachable", true, this.config.sequencerUrl);
    } catch (e) {
      add("sequencer reachable", false, (e as Error).message);
    }
    let revokedKeyIds: number[] = [];
    let promoted: DoctorResult["promoted"];
    if (reachable) {
      try {
        const keys = await this.loadSequencerKeys(true);
        add(
          "sequencer receipt keys",
          keys.size > 0,
          keys.size > 0 ? `${keys.size} published key(s)` : "none published",
        );
      } catch (e) {
        add("sequencer receipt keys", false, (e as Error).message);
      }
      if (apiKey && signing !== undefined) {
        try {
          const remote = await this.fetchRemoteKeys(this.client(), this.config.agentId, true);
          const r = remote.find((k) => k.keyId === signing.keyId);
          const ok = r !== undefined && r.status === "active" && bytesToHex(r.publicKey) === signing.publicKey;
          add(
            "agent key registered",
            ok,
            r === undefined
              ? `key ${signing.keyId} is not registered: run keys:register`
              : bytesToHex(r.publicKey) !== signing.publicKey
                ? `the sequencer holds a different public key for key ${signing.keyId}`
                : `key ${signing.keyId} is ${r.status}`,
          );
        } catch (e) {
          add("agent key registered", false, (e as Error).message);
        }
      }
      const notes: string[] = [];
      revokedKeyIds = await this.settleRotations(notes);
      for (const n of notes) add("key rotation", false, n, "warning");
      if (revokedKeyIds.length > 0) add("key rotation", true, `revoked key(s) ${revokedKeyIds.join(", ")}`);
      if (options.promote === true && apiKey) promoted = await this.promote();
    }
    const q = this.outbox.quarantined().length;
    add("quarantine", q === 0, q === 0 ? "no quarantined events" : `${q} quarantined events`, "warning");
    return {
      ok: checks.every((c) => c.ok || c.severity === "warning"),
      reachable,
      checks,
      revokedKeyIds,
      ...(promoted === undefined ? {} : { promoted }),
    };
  }

  /** Re-verifies quarantined events with fresh keys; the ones that now verify are stored. */
  async promote(): Promise<{ checked: number; promoted: number; stillQuarantined: number }> {
    const client = this.client();
    this.remoteKeys.clear();
    await this.loadSequencerKeys(true);
    const rows = this.outbox.quarantined(100_000);
    let promoted = 0;
    for (const q of rows) {
      const r = await this.inspect(client, q.event);
      if (r.ok) {
        this.outbox.storePulled(r.row);
        promoted++;
      } else {
        this.outbox.quarantine({ ...q, reason: r.reason, message: r.message, quarantinedAt: nowIso() });
      }
    }
    return { checked: rows.length, promoted, stillQuarantined: rows.length - promoted };
  }

  /** Registers the typed event types' JSON Schemas with the sequencer (admin credential); unchanged ones are skipped. */
  async publishSchemas(eventTypes: readonly string[] = EVENT_TYPES): Promise<PublishResult> {
    const admin = this.adminClient("schemas:publish");
    const published: { eventType: string; schemaId: string; version: number }[] = [];
    const unchanged: string[] = [];
    for (const eventType of eventTypes) {
      const schema = eventSchema(eventType);
      if (schema === undefined) throw new AgentError("INVALID_INPUT", `no schema file for event type ${eventType}`);
      let current: JsonObject | undefined;
      try {
        current = await admin.get(`/api/v1/schemas/event-type/${encodeURIComponent(eventType)}/latest`, {
          tenant_id: this.config.tenantId,
        });
      } catch (e) {
        if (!(e instanceof HttpFailure) || e.httpStatus !== 404) throw e;
      }
      if (current !== undefined && jcs(plainJson(current.schema)) === jcs(plainJson(schema))) {
        unchanged.push(eventType);
        continue;
      }
      const r = await admin.post("/api/v1/schemas", {
        tenantId: this.config.tenantId,
        eventType,
        schema: schema as ExactJsonValue,
        description: `stateset-sync ${eventType} payload`,
      });
      published.push({
        eventType,
        schemaId: str(r.id) ?? str(r.schema_id) ?? "",
        version: Number(big(r.version) ?? 0n),
      });
    }
    return { published, unchanged };
  }
}

function plainJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x)));
}

/** A receipt back to its camelCase JSON (u64 as bigint). */
function receiptToJson(r: SequencerReceipt): ExactJsonValue {
  const out: { [k: string]: ExactJsonValue } = {
    sequencerId: r.sequencerId,
    eventId: r.eventId,
    sequenceNumber: r.sequenceNumber,
    sequencedAt: r.sequencedAt,
    receiptHash: r.receiptHash,
    signatureAlg: r.signatureAlg,
    sequencerSignature: r.sequencerSignature,
    sequencerKeyVersion: r.sequencerKeyVersion,
  };
  if (r.receiptSignatureScheme !== undefined) out.receiptSignatureScheme = r.receiptSignatureScheme;
  return out;
}
