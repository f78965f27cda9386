/**
 * The sequencer's protocol logic, independent of HTTP: ingest (ves-protocol.md §7), commitments and inclusion proofs
 * (§8), agent keys (§5) and API-key authentication (§10). Routes in `api.ts` are thin adapters over this class.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

import {
  REASON,
  agentKeyInvalidReason,
  buildCommitment,
  buildMerkleTree,
  buildReceipt,
  bytesToHex,
  ed25519Node,
  inclusionProof,
  leafHash,
  normalizeUuid,
  parseEnvelope,
  schemaValidationReason,
  deriveEventHashes,
  bytesEqual,
  type Ed25519Signer,
  type MerkleTree,
  type SequencerReceipt,
  type VesEvent,
} from "../ves";
import { AppError } from "../common";
import { contentHash, envelopeText, normalizeEnvelope } from "./envelope";
import { nowRfc3339 } from "./store/time";
import type {
  AgentKey,
  ApiKeyRecord,
  AppendOutcome,
  EventCandidate,
  SequencerStore,
  StoredCommitment,
  StoredReceipt,
  StreamRef,
} from "./store/types";

/** The nil UUID: the bootstrap admin's tenant. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** Who is calling, after authentication. */
export interface Principal {
  readonly tenantId: string;
  readonly storeIds: readonly string[];
  readonly read: boolean;
  readonly write: boolean;
  readonly admin: boolean;
  readonly agentId: string | null;
  /** The configured bootstrap admin: every tenant, every permission. */
  readonly bootstrap: boolean;
}

/** A permission on a tenant (and optionally a store). */
export type Permission = "read" | "write" | "admin";

/** A sequencer failure with its HTTP status and stable code. */
export class SequencerError extends AppError {
  override readonly name = "SequencerError";
  constructor(status: number, code: string, message: string) {
    super(code, message, { status });
  }
  /** The HTTP status. */
  get status(): number {
    return this.options.status ?? 500;
  }
}

/** A receipt in the ingest response's camelCase form (§7.6). */
export type ReceiptJson = SequencerReceipt;

/** The ingest response (§7.6). */
export interface IngestResponseJson {
  batchId: string;
  eventsAccepted: number;
  eventsRejected: number;
  sequenceStart: bigint | null;
  sequenceEnd: bigint | null;
  headSequence: bigint;
  rejections?: { event_id: string; reason: string; message: string }[];
  receipts?: ReceiptJson[];
}

/** Counters the service reports to metrics. */
export interface SequencerHooks {
  onIngest?(accepted: number, rejected: number, replayed: number, rejections: readonly string[]): void;
  onCommitment?(commitment: StoredCommitment): void;
}

/** Dependencies and settings of the service. */
export interface SequencerServiceOptions {
  readonly store: SequencerStore;
  readonly signingSeed: Uint8Array;
  readonly sequencerId?: string;
  readonly adminApiKey: string;
  readonly keyCacheMs: number;
  readonly strictFormat: boolean;
  readonly hooks?: SequencerHooks;
}

const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const hex = (b: Uint8Array) => bytesToHex(b);

/** A stable sequencer id derived from the receipt-signing public key (UUID-shaped). */
export function deriveSequencerId(publicKey: Uint8Array): string {
  const h = Buffer.from(sha256(Buffer.concat([Buffer.from("VES_SEQUENCER_ID_V1"), publicKey]))).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The camelCase receipt of a stored one. */
export function receiptJson(eventId: string, r: StoredReceipt): ReceiptJson {
  const out: ReceiptJson = {
    sequencerId: r.sequencerId,
    eventId,
    sequenceNumber: r.sequenceNumber,
    sequencedAt: r.sequencedAt,
    receiptHash: hex(r.receiptHash),
    signatureAlg: r.signature === null ? "none" : "ed25519",
    sequencerSignature: r.signature === null ? "" : hex(r.signature),
    sequencerKeyVersion: r.keyVersion,
  };
  if (r.signature !== null) out.receiptSignatureScheme = 1;
  return out;
}

/** Whether an agent key is usable now, and if not the reference's message (§5.1). */
export function agentKeyProblem(key: AgentKey | null, now: number): string | undefined {
  if (key === null) return "Agent key not found";
  if (key.status === "revoked" || (key.revokedAt !== null && Date.parse(key.revokedAt) <= now)) {
    return "Agent key has been revoked";
  }
  if (key.validTo !== null && now > Date.parse(key.validTo)) return "Agent key has expired";
  if (key.validFrom !== null && now < Date.parse(key.validFrom)) return "Agent key is not yet valid";
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const asUuid = (v: unknown): string | undefined =>
  typeof v === "string" && UUID_RE.test(v) ? normalizeUuid(v) : undefined;

/** The sequencer. */
export class SequencerService {
  readonly store: SequencerStore;
  readonly sequencerId: string;
  readonly publicKey: Uint8Array;
  private readonly signer: Ed25519Signer;
  private readonly adminKeyHash: Uint8Array;
  private readonly keyCache = new Map<string, { key: AgentKey | null; at: number }>();
  private readonly trees = new Map<string, MerkleTree>();

  constructor(private readonly options: SequencerServiceOptions) {
    this.store = options.store;
    const seed = options.signingSeed;
    this.publicKey = ed25519Node.publicKey(seed);
    // A prepared signer: `ed25519Node.sign(msg, seed)` rebuilds the private key object per call (about 15x slower).
    this.signer = ed25519Node.signer(seed);
    this.sequencerId = options.sequencerId ?? deriveSequencerId(this.publicKey);
    this.adminKeyHash = sha256(options.adminApiKey);
  }

  // Authentication ---------------------------------------------------------------------------------------------------

  /**
   * Resolves the credential of a request: `Authorization: ApiKey <key>`, a bare `Authorization: ss_…`, or `X-API-Key`.
   * @throws SequencerError 401 `missing_auth` / `invalid_api_key`.
   */
  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Principal> {
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const authz = header("authorization");
    let key: string | undefined;
    if (authz !== undefined) {
      const m = /^ApiKey\s+(\S+)$/i.exec(authz.trim());
      if (m) key = m[1];
      else if (/^ss_\S+$/.test(authz.trim())) key = authz.trim();
      else throw new SequencerError(401, "invalid_api_key", "Authorization must be `ApiKey <key>`");
    } else {
      key = header("x-api-key");
    }
    if (key === undefined || key === "") throw new SequencerError(401, "missing_auth", "an API key is required");
    const hash = sha256(key);
    if (timingSafeEqual(hash, this.adminKeyHash)) {
      return { tenantId: NIL_UUID, storeIds: [], read: true, write: true, admin: true, agentId: null, bootstrap: true };
    }
    const record = await this.store.getApiKey(hash);
    if (record === null || !record.active)
      throw new SequencerError(401, "invalid_api_key", "unknown or revoked API key");
    return {
      tenantId: record.tenantId,
      storeIds: record.storeIds,
      read: record.canRead || record.canWrite || record.canAdmin,
      write: record.canWrite || record.canAdmin,
      admin: record.canAdmin,
      agentId: record.agentId,
      bootstrap: false,
    };
  }

  /** Whether a principal holds a permission on a tenant (and store). */
  can(p: Principal, perm: Permission, tenantId: string, storeId?: string): boolean {
    if (p.bootstrap) return true;
    if (p.tenantId !== tenantId) return false;
    if (storeId !== undefined && p.storeIds.length > 0 && !p.storeIds.includes(storeId)) return false;
    return p[perm];
  }

  /** @throws SequencerError 403 when the principal lacks the permission. */
  require(p: Principal, perm: Permission, tenantId: string, storeId?: string): void {
    if (!this.can(p, perm, tenantId, storeId)) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", `${perm} permission on this tenant/store is required`);
    }
  }

  /** @throws SequencerError 403 unless the caller is the bootstrap admin. */
  requireBootstrap(p: Principal): void {
    if (!p.bootstrap) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "the bootstrap admin key is required");
  }

  /** Creates an API key for a tenant; the key is returned once and only its SHA-256 is stored. */
  async createApiKey(
    p: Principal,
    input: {
      tenantId: string;
      agentId: string | null;
      storeIds: string[];
      read: boolean;
      write: boolean;
      admin: boolean;
    },
  ): Promise<{ apiKey: string; keyHashPrefix: string }> {
    this.require(p, "admin", input.tenantId);
    const apiKey = `ss_${input.tenantId.replace(/-/g, "").slice(0, 8)}${randomBytes(24).toString("base64url")}`;
    const record: ApiKeyRecord = {
      keyHash: sha256(apiKey),
      tenantId: input.tenantId,
      storeIds: input.storeIds,
      canRead: input.read || input.write || input.admin,
      canWrite: input.write || input.admin,
      canAdmin: input.admin,
      agentId: input.agentId,
      active: true,
      createdAt: nowRfc3339(),
    };
    await this.store.insertApiKey(record);
    return { apiKey, keyHashPrefix: hex(record.keyHash).slice(0, 12) };
  }

  // Agent keys -------------------------------------------------------------------------------------------------------

  private async agentKey(tenantId: string, agentId: string, keyId: number): Promise<AgentKey | null> {
    const id = `${tenantId}/${agentId}/${keyId}`;
    const now = Date.now();
    const hit = this.keyCache.get(id);
    if (hit !== undefined && now - hit.at < this.options.keyCacheMs) return hit.key;
    const key = await this.store.getAgentKey(tenantId, agentId, keyId);
    if (this.keyCache.size > 10_000) this.keyCache.clear();
    this.keyCache.set(id, { key, at: now });
    return key;
  }

  /** Registers an agent's Ed25519 key (admin of the tenant). @throws SequencerError 409 if it exists. */
  async registerAgentKey(p: Principal, key: Omit<AgentKey, "status" | "revokedAt" | "createdAt">): Promise<AgentKey> {
    this.require(p, "admin", key.tenantId);
    if (key.validFrom !== null && key.validTo !== null && Date.parse(key.validFrom) > Date.parse(key.validTo)) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "validFrom must not be after validTo");
    }
    const full: AgentKey = { ...key, status: "active", revokedAt: null, createdAt: nowRfc3339() };
    if (!(await this.store.insertAgentKey(full))) {
      throw new SequencerError(409, "KEY_ALREADY_EXISTS", `key ${key.keyId} of agent ${key.agentId} already exists`);
    }
    this.keyCache.delete(`${key.tenantId}/${key.agentId}/${key.keyId}`);
    return full;
  }

  /** Lists an agent's keys (read permission on the tenant). */
  async listAgentKeys(p: Principal, tenantId: string, agentId: string): Promise<AgentKey[]> {
    this.require(p, "read", tenantId);
    return this.store.listAgentKeys(tenantId, agentId);
  }

  /** Revokes an agent key (admin of the tenant). @throws SequencerError 404 if unknown. */
  async revokeAgentKey(p: Principal, tenantId: string, agentId: string, keyId: number): Promise<AgentKey> {
    this.require(p, "admin", tenantId);
    const key = await this.store.revokeAgentKey(tenantId, agentId, keyId, nowRfc3339());
    if (key === null) throw new SequencerError(404, "NOT_FOUND", `no key ${keyId} for agent ${agentId}`);
    this.keyCache.delete(`${tenantId}/${agentId}/${keyId}`);
    return key;
  }

  // Ingest ----------------------------------------------------------------------------------------------------------

  /**
   * Ingests a request body (§7): the outer shape, count and sizes fail the whole request; everything about one
   * envelope is a per-event rejection; accepted events are sequenced atomically and answered with signed receipts.
   */
  async ingest(p: Principal, body: unknown): Promise<IngestResponseJson> {
    // 1. Outer shape, count and sizes (whole request).
    if (!isObject(body)) throw new SequencerError(422, "INVALID_REQUEST", "the body must be a JSON object");
    const agentId = asUuid(body.agentId);
    if (agentId === undefined) throw new SequencerError(422, "INVALID_REQUEST", "agentId must be a UUID");
    const raw = body.events;
    if (!Array.isArray(raw)) throw new SequencerError(422, "INVALID_REQUEST", "events must be an array");
    if (raw.length === 0) throw new SequencerError(400, "INVALID_FIELD_VALUE", "events must not be empty");
    if (raw.length > 1000) throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `${raw.length} events, over 1000`);
    if (p.agentId !== null && p.agentId !== agentId) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "Agent mismatch");
    }

    // 2. Parse every envelope; collect per-event rejections.
    const n = raw.length;
    const rejected = new Map<number, { reason: string; message: string }>();
    const events: (VesEvent | undefined)[] = new Array(n);
    const ids: string[] = raw.map((e) => (isObject(e) && typeof e.event_id === "string" ? e.event_id : ""));
    for (let i = 0; i < n; i++) {
      const r = parseEnvelope(raw[i], { strict: this.options.strictFormat });
      if (r.ok) {
        events[i] = r.event;
        ids[i] = r.event.eventId;
        continue;
      }
      if (r.rejection.status === 413)
        throw new SequencerError(413, "PAYLOAD_TOO_LARGE", `events[${i}]: ${r.rejection.message}`);
      const reason = r.rejection.reason.startsWith(`${REASON.MALFORMED}: `)
        ? schemaValidationReason(r.rejection.reason.slice(REASON.MALFORMED.length + 2))
        : r.rejection.reason;
      rejected.set(i, { reason, message: r.rejection.message });
    }

    // 3. One stream, one agent (whole request), then write permission on that stream.
    let stream: StreamRef | undefined;
    for (let i = 0; i < n; i++) {
      const e = raw[i];
      const t = isObject(e) ? asUuid(e.tenant_id) : undefined;
      const s = isObject(e) ? asUuid(e.store_id) : undefined;
      if (t === undefined || s === undefined) continue;
      if (stream === undefined) stream = { tenantId: t, storeId: s };
      else if (stream.tenantId !== t || stream.storeId !== s) {
        throw new SequencerError(400, "INVALID_FIELD_VALUE", `events[${i}] is not in the stream of the first event`);
      }
      const a = isObject(e) ? asUuid(e.source_agent_id) : undefined;
      if (a !== undefined && a !== agentId) {
        throw new SequencerError(400, "INVALID_FIELD_VALUE", `events[${i}].source_agent_id does not match agentId`);
      }
    }
    if (stream !== undefined) this.require(p, "write", stream.tenantId, stream.storeId);
    else if (!p.write) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "write permission is required");

    // 4. Duplicate event ids within the request.
    const firstIndex = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      if (events[i] === undefined) continue;
      const id = ids[i]!;
      if (firstIndex.has(id)) {
        rejected.set(i, { reason: REASON.DUPLICATE_EVENT_ID, message: `Event ${id} duplicated in batch` });
      } else firstIndex.set(id, i);
    }

    // 5. Already stored: an exact replay answers with the original receipt, before any key or signature check.
    const replays = new Map<number, StoredReceipt>();
    const normal = new Map<number, ReturnType<typeof normalizeEnvelope>>();
    const live = [...firstIndex.values()].filter((i) => !rejected.has(i));
    const stored = await this.store.getEventsById(live.map((i) => ids[i]!));
    for (const i of live) {
      const env = normalizeEnvelope(events[i]!);
      normal.set(i, env);
      const prior = stored.get(ids[i]!);
      if (prior === undefined) continue;
      const same =
        stream !== undefined &&
        prior.tenantId === stream.tenantId &&
        prior.storeId === stream.storeId &&
        Buffer.compare(prior.contentHash, contentHash(env)) === 0;
      if (same) replays.set(i, prior.receipt);
      else {
        const differs = prior.tenantId === stream?.tenantId && prior.storeId === stream?.storeId;
        rejected.set(i, {
          reason: REASON.DUPLICATE_EVENT_ID,
          message: differs ? "Event ID already exists with different contents" : "Event ID already exists",
        });
      }
    }

    // 6. Hashes, key validity at now, and the signature, in the reference's order (§7.2 step 3).
    const now = Date.now();
    const signingHashes = new Map<number, Uint8Array>();
    for (const i of live) {
      if (rejected.has(i) || replays.has(i)) continue;
      const e = events[i]!;
      const hashes = deriveEventHashes(e);
      signingHashes.set(i, hashes.eventSigningHash);
      if (e.payloadKind === 0 && !bytesEqual(hashes.payloadPlainHash, e.payloadPlainHash)) {
        rejected.set(i, { reason: REASON.INVALID_PAYLOAD_HASH, message: "payload_plain_hash does not match" });
        continue;
      }
      if (e.payloadKind === 1 && !bytesEqual(hashes.payloadCipherHash, e.payloadCipherHash)) {
        rejected.set(i, { reason: REASON.INVALID_CIPHER_HASH, message: "payload_cipher_hash does not match" });
        continue;
      }
      const key = await this.agentKey(e.tenantId, e.sourceAgentId, e.agentKeyId);
      const problem = agentKeyProblem(key, now);
      if (problem !== undefined) {
        rejected.set(i, { reason: agentKeyInvalidReason(problem), message: problem });
        continue;
      }
      const scheme = e.agentSignatureScheme ?? 0;
      if (
        (scheme !== 0 && scheme !== 1) ||
        !ed25519Node.verify(e.agentSignature, hashes.eventSigningHash, key!.publicKey)
      ) {
        rejected.set(i, {
          reason: REASON.INVALID_SIGNATURE,
          message: "Ed25519 signature does not verify under the agent key",
        });
      }
    }

    // 7. Duplicate command ids within the request.
    const commands = new Set<string>();
    for (const i of live) {
      if (rejected.has(i) || replays.has(i)) continue;
      const c = events[i]!.commandId;
      if (c === undefined) continue;
      if (commands.has(c)) {
        rejected.set(i, { reason: REASON.DUPLICATE_COMMAND_ID, message: `Command ${c} duplicated in batch` });
      } else commands.add(c);
    }

    // 8. Sequence the survivors atomically.
    const order = live.filter((i) => !rejected.has(i) && !replays.has(i));
    const outcomes = new Map<number, AppendOutcome>();
    let head = 0n;
    if (stream !== undefined && order.length > 0) {
      const candidates: EventCandidate[] = order.map((i) => {
        const e = events[i]!;
        const env = normal.get(i)!;
        return {
          eventId: e.eventId,
          sourceAgentId: e.sourceAgentId,
          agentKeyId: e.agentKeyId,
          entityType: e.entityType,
          entityId: e.entityId,
          eventType: e.eventType,
          ...(e.commandId === undefined ? {} : { commandId: e.commandId }),
          ...(e.baseVersion === undefined ? {} : { baseVersion: e.baseVersion }),
          eventSigningHash: signingHashes.get(i)!,
          agentSignature: e.agentSignature,
          contentHash: contentHash(env),
          envelopeJson: envelopeText(env),
        };
      });
      const byId = new Map(order.map((i) => [events[i]!.eventId, events[i]!]));
      const result = await this.store.appendEvents(stream, candidates, (c, seq) =>
        this.receiptFor(byId.get(c.eventId)!, seq),
      );
      order.forEach((i, k) => outcomes.set(i, result.outcomes[k]!));
      head = result.headSequence;
    } else if (stream !== undefined) {
      head = await this.store.headSequence(stream);
    }

    // 9. The response, in request order.
    const response: IngestResponseJson = {
      batchId: randomUUID(),
      eventsAccepted: 0,
      eventsRejected: 0,
      sequenceStart: null,
      sequenceEnd: null,
      headSequence: head,
    };
    const rejections: NonNullable<IngestResponseJson["rejections"]> = [];
    const receipts: ReceiptJson[] = [];
    let replayed = 0;
    for (let i = 0; i < n; i++) {
      const r = rejected.get(i);
      const replay = replays.get(i);
      const outcome = outcomes.get(i);
      if (r !== undefined) rejections.push({ event_id: ids[i]!, reason: r.reason, message: r.message });
      else if (replay !== undefined) {
        receipts.push(receiptJson(ids[i]!, replay));
        replayed++;
      } else if (outcome?.kind === "rejected") {
        rejections.push({ event_id: ids[i]!, reason: outcome.reason, message: outcome.message });
      } else if (outcome !== undefined) {
        receipts.push(receiptJson(ids[i]!, outcome.receipt));
        if (outcome.kind === "replay") replayed++;
        else {
          response.eventsAccepted++;
          const seq = outcome.receipt.sequenceNumber;
          if (response.sequenceStart === null) response.sequenceStart = seq;
          response.sequenceEnd = seq;
        }
      }
    }
    response.eventsRejected = rejections.length;
    if (rejections.length > 0) response.rejections = rejections;
    if (receipts.length > 0) response.receipts = receipts;
    this.options.hooks?.onIngest?.(
      response.eventsAccepted,
      rejections.length,
      replayed,
      rejections.map((r) => r.reason.split(":")[0]!),
    );
    return response;
  }

  private receiptFor(event: VesEvent, sequenceNumber: bigint): StoredReceipt {
    const sequencedAt = nowRfc3339();
    const r = buildReceipt({ event, sequenceNumber, sequencerId: this.sequencerId, sequencedAt, signer: this.signer });
    return {
      sequencerId: this.sequencerId,
      sequenceNumber,
      sequencedAt,
      receiptHash: new Uint8Array(Buffer.from(r.receiptHash, "hex")),
      signature: new Uint8Array(Buffer.from(r.sequencerSignature, "hex")),
      keyVersion: r.sequencerKeyVersion,
    };
  }

  // Commitments and proofs -------------------------------------------------------------------------------------------

  /**
   * Commits `[start, end]` of a stream (§8.2); the same range again returns the same commitment.
   * @throws SequencerError 400 when the range cannot be committed.
   */
  async commit(
    stream: StreamRef,
    start: bigint,
    end: bigint,
  ): Promise<{ commitment: StoredCommitment; created: boolean }> {
    const batchId = randomUUID();
    const result = await this.store.createCommitment(stream, start, end, batchId, (s, range, leaves, prev) => {
      const c = buildCommitment({
        tenantId: s.tenantId,
        storeId: s.storeId,
        sequenceStart: range.start,
        prevStateRoot: prev,
        leaves: leaves.map((l) =>
          leafHash({
            tenantId: s.tenantId,
            storeId: s.storeId,
            sequenceNumber: l.sequenceNumber,
            eventSigningHash: l.eventSigningHash,
            agentSignature: l.agentSignature,
          }),
        ),
      });
      this.trees.set(batchId, c.tree);
      return {
        batchId,
        tenantId: s.tenantId,
        storeId: s.storeId,
        vesVersion: 1,
        treeDepth: c.treeDepth,
        leafCount: c.leafCount,
        paddedLeafCount: c.paddedLeafCount,
        merkleRoot: c.merkleRoot,
        prevStateRoot: c.prevStateRoot,
        newStateRoot: c.newStateRoot,
        sequenceStart: c.sequenceStart,
        sequenceEnd: c.sequenceEnd,
      };
    });
    if (result.kind === "rejected") {
      this.trees.delete(batchId);
      throw new SequencerError(400, "INVALID_FIELD_VALUE", result.message);
    }
    if (result.kind === "created") this.options.hooks?.onCommitment?.(result.commitment);
    return { commitment: result.commitment, created: result.kind === "created" };
  }

  /** The Merkle tree of a commitment, rebuilt from the stored leaves once and cached. */
  async treeOf(c: StoredCommitment): Promise<MerkleTree> {
    const cached = this.trees.get(c.batchId);
    if (cached !== undefined) return cached;
    const stream = { tenantId: c.tenantId, storeId: c.storeId };
    const leaves = await this.store.leafInputs(stream, c.sequenceStart, c.sequenceEnd);
    const tree = buildMerkleTree(
      leaves.map((l) =>
        leafHash({
          ...stream,
          sequenceNumber: l.sequenceNumber,
          eventSigningHash: l.eventSigningHash,
          agentSignature: l.agentSignature,
        }),
      ),
    );
    if (Buffer.compare(tree.root, c.merkleRoot) !== 0) {
      throw new SequencerError(500, "INTERNAL_ERROR", `stored events no longer match commitment ${c.batchId}`);
    }
    if (this.trees.size >= 256) this.trees.delete(this.trees.keys().next().value as string);
    this.trees.set(c.batchId, tree);
    return tree;
  }

  /** The inclusion proof of a sequence number in its commitment. */
  async proof(c: StoredCommitment, sequenceNumber: bigint) {
    const tree = await this.treeOf(c);
    return inclusionProof(tree, Number(sequenceNumber - c.sequenceStart));
  }
}
