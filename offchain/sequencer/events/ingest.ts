/**
 * The ingest pipeline (ves-protocol.md §7): the outer shape, count and sizes fail the whole request; everything about
 * one envelope is a per-event rejection; accepted events are sequenced atomically and answered with signed receipts.
 * Its steps, in order: parse → authorise → validate (duplicates, replays, payload schemas) → verify signatures →
 * sequence and store → receipts (the response). Authorisation comes before validation because validation reads the
 * database (replays, schemas), which only a caller allowed to write the stream may cause.
 */
import { randomUUID } from "node:crypto";

import {
  REASON,
  agentKeyInvalidReason,
  bytesEqual,
  deriveEventHashes,
  ed25519Node,
  eventSigningHash,
  payloadPlainHash,
  payloadPlainHashOfJcs,
  schemaValidationReason,
  ZERO_HASH,
  type EventHashes,
  type VesEvent,
} from "../../ves";
import type { Logger } from "../../common";
import type { AgentKey, AppendOutcome, SequencerStore } from "../store";
import type { Principal } from "../auth";
import { agentKeyProblem, type AgentKeyService } from "../keys";
import type { ReceiptKeys } from "../keys";
import { describeProblems, type SchemaMode, type SchemaRegistry } from "../schemas";
import { canonicalEnvelope, eventCandidate, normalizeEnvelope, type CanonicalEnvelope } from "./envelope";
import {
  authorise,
  parseRequest,
  pending,
  rejectDuplicateCommands,
  rejectDuplicateIds,
  type IngestBatch,
} from "./ingest-request";
import { receiptJson, type Presigned, type Presigner, type ReceiptJson } from "./receipts";
import type { VerifyItem, VerifyPool } from "./verify-pool";

/** Requests with at least this many signatures to check use the worker pool. */
const VERIFY_POOL_MIN = 16;

/**
 * The hashes the signature step compares and verifies: `deriveEventHashes` of the event, without the stream id it
 * does not need, and for a plaintext event from the payload's `jcs` text that `canonicalEnvelope` already printed.
 */
function checkedHashes(
  e: VesEvent,
  canonical: CanonicalEnvelope | undefined,
): Pick<EventHashes, "payloadPlainHash" | "payloadCipherHash" | "eventSigningHash"> {
  if (e.payloadKind !== 0 && e.payloadEncrypted !== undefined) return deriveEventHashes(e);
  const jcsText = canonical?.payloadJcs;
  return {
    payloadPlainHash: jcsText === undefined ? payloadPlainHash(e.payload) : payloadPlainHashOfJcs(jcsText),
    payloadCipherHash: ZERO_HASH,
    eventSigningHash: eventSigningHash(e),
  };
}

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

/** Counts of one ingest request, for metrics: rejections by reason (without details). */
export type OnIngest = (accepted: number, rejected: number, replayed: number, rejections: readonly string[]) => void;

/** What the pipeline needs. */
export interface IngestDeps {
  readonly store: Pick<SequencerStore, "getEventsById" | "appendEvents" | "headSequence">;
  readonly agentKeys: AgentKeyService;
  readonly receiptKeys: ReceiptKeys;
  readonly presigner: Presigner;
  readonly schemas: SchemaRegistry;
  readonly strictFormat: boolean;
  /** How payloads are checked against registered schemas (default `enforce`). */
  readonly schemaMode?: SchemaMode;
  /** Worker threads for the signature checks of large requests; inline when absent. */
  readonly verifyPool?: VerifyPool;
  readonly logger?: Logger;
  readonly onIngest?: OnIngest;
}

/** The outcome of the append, by request index, and the stream's head after it. */
interface Sequenced {
  readonly outcomes: Map<number, AppendOutcome>;
  readonly head: bigint;
}

/** Ingests requests. */
export class IngestPipeline {
  constructor(private readonly deps: IngestDeps) {}

  /** Receipts used as presigned on the worker pool, and those signed inline instead, since start. */
  presignStats(): { hits: number; misses: number } {
    return this.deps.presigner.stats();
  }

  /** Ingests a request body (see the file header). */
  async ingest(p: Principal, body: unknown): Promise<IngestResponseJson> {
    const batch = parseRequest(p, body, this.deps.strictFormat);
    authorise(batch, p);
    await this.validate(batch);
    const presigned = await this.verifySignatures(batch);
    try {
      rejectDuplicateCommands(batch);
      const sequenced = await this.sequenceAndStore(batch, presigned);
      return this.respond(batch, sequenced);
    } finally {
      // A request that appended nothing gives its planned numbers back (after an append this does nothing).
      if (presigned !== undefined) this.deps.presigner.abandon(presigned.ticket);
    }
  }

  /**
   * Validate: duplicate ids within the request; events already stored (an exact replay answers with the original
   * receipt, before any key or signature check; another content is a duplicate); payloads against their event
   * type's active schema (§7.1 step 8).
   */
  private async validate(b: IngestBatch): Promise<void> {
    rejectDuplicateIds(b);
    const { live, ids, events, rejected, replays, normal, stream } = b;
    const stored = await this.deps.store.getEventsById(live.map((i) => ids[i]!));
    for (const i of live) {
      const env = canonicalEnvelope(normalizeEnvelope(events[i]!));
      normal.set(i, env);
      const prior = stored.get(ids[i]!);
      if (prior === undefined) continue;
      const same =
        stream !== undefined &&
        prior.tenantId === stream.tenantId &&
        prior.storeId === stream.storeId &&
        Buffer.compare(prior.contentHash, env.hash) === 0;
      if (same) replays.set(i, prior.receipt);
      else {
        const differs = prior.tenantId === stream?.tenantId && prior.storeId === stream?.storeId;
        rejected.set(i, {
          reason: REASON.DUPLICATE_EVENT_ID,
          message: differs ? "Event ID already exists with different contents" : "Event ID already exists",
        });
      }
    }
    await this.validatePayloads(b);
  }

  /**
   * Plaintext payloads against their event type's active schema (`enforce`: reject, `required`: reject, and reject
   * event types without an active schema too, `warn`: log). Encrypted payloads pass: they cannot be read here.
   */
  private async validatePayloads(b: IngestBatch): Promise<void> {
    const mode = this.deps.schemaMode ?? "enforce";
    if (mode === "disabled") return;
    for (const i of b.live) {
      if (!pending(b, i)) continue;
      const e = b.events[i]!;
      if (e.payloadKind !== 0 || e.payload === undefined) continue;
      const check = await this.deps.schemas.validate(e.tenantId, e.eventType, e.payload);
      if (check.valid && check.schema === null && mode === "required") {
        const message = `no active schema for ${e.eventType}`;
        b.rejected.set(i, { reason: schemaValidationReason(message), message });
        continue;
      }
      if (check.valid) continue;
      const message = `payload does not match schema ${check.schema.schemaId} (version ${check.schema.version}): ${describeProblems(check.problems)}`;
      if (mode === "enforce" || mode === "required") b.rejected.set(i, { reason: "schema_validation", message });
      else {
        this.deps.logger?.warn(
          { eventId: e.eventId, schemaId: check.schema.schemaId, problems: check.problems },
          "payload does not match its schema (schemaValidation=warn: accepted)",
        );
      }
    }
  }

  /**
   * Verify signatures: hashes, key validity at now, and the signature, in the reference's order (§7.2 step 3). The
   * signatures of a large request are checked on the worker pool, beside the main thread; small ones inline. On the
   * pool, the receipts these events are expected to get are signed there too, meanwhile (see `Presigner`).
   */
  private async verifySignatures(b: IngestBatch): Promise<Presigned | undefined> {
    const { live, events, rejected, signingHashes } = b;
    const now = Date.now();
    const toVerify: (VerifyItem & { i: number })[] = [];
    const keys = new Map<string, { key: AgentKey | null; problem: string | undefined }>();
    for (const i of live) {
      if (!pending(b, i)) continue;
      const e = events[i]!;
      const hashes = checkedHashes(e, b.normal.get(i));
      signingHashes.set(i, hashes.eventSigningHash);
      if (e.payloadKind === 0 && !bytesEqual(hashes.payloadPlainHash, e.payloadPlainHash)) {
        rejected.set(i, { reason: REASON.INVALID_PAYLOAD_HASH, message: "payload_plain_hash does not match" });
        continue;
      }
      if (e.payloadKind === 1 && !bytesEqual(hashes.payloadCipherHash, e.payloadCipherHash)) {
        rejected.set(i, { reason: REASON.INVALID_CIPHER_HASH, message: "payload_cipher_hash does not match" });
        continue;
      }
      // One lookup per key and request (a request has one stream and agent; `now` is the request's).
      const keyId = `${e.tenantId}/${e.sourceAgentId}/${e.agentKeyId}`;
      let checked = keys.get(keyId);
      if (checked === undefined) {
        const key = await this.deps.agentKeys.lookup(e.tenantId, e.sourceAgentId, e.agentKeyId);
        checked = { key, problem: agentKeyProblem(key, now) };
        keys.set(keyId, checked);
      }
      const { key, problem } = checked;
      if (problem !== undefined) {
        rejected.set(i, { reason: agentKeyInvalidReason(problem), message: problem });
        continue;
      }
      const scheme = e.agentSignatureScheme ?? 0;
      if (scheme !== 0 && scheme !== 1) {
        rejected.set(i, { reason: REASON.INVALID_SIGNATURE, message: `signature scheme ${scheme} is not supported` });
        continue;
      }
      toVerify.push({ i, signature: e.agentSignature, message: hashes.eventSigningHash, publicKey: key!.publicKey });
    }
    const pool = this.deps.verifyPool;
    let presigned: Presigned | undefined;
    let valid: boolean[];
    if (pool !== undefined && toVerify.length >= VERIFY_POOL_MIN) {
      // One message per worker: its share of the checks and of the receipts to presign.
      const { presigner } = this.deps;
      const plan = b.stream === undefined ? undefined : await presigner.plan(b.stream, toVerify, events);
      let answer: Awaited<ReturnType<typeof pool.verifyAndSign>>;
      try {
        answer = await pool.verifyAndSign(toVerify, plan);
      } catch (e) {
        if (plan !== undefined) presigner.abandon(plan.ticket);
        throw e;
      }
      valid = answer.valid;
      if (plan !== undefined) presigned = presigner.complete(plan, answer.signatures);
    } else valid = toVerify.map((v) => ed25519Node.verify(v.signature, v.message, v.publicKey));
    toVerify.forEach((v, k) => {
      if (valid[k] !== true) {
        rejected.set(v.i, {
          reason: REASON.INVALID_SIGNATURE,
          message: "Ed25519 signature does not verify under the agent key",
        });
      }
    });
    return presigned;
  }

  /** Sequence and store: the survivors appended atomically, each with its (presigned or inline) receipt. */
  private async sequenceAndStore(b: IngestBatch, presigned: Presigned | undefined): Promise<Sequenced> {
    const { stream, events, signingHashes, normal } = b;
    const { store, receiptKeys, presigner } = this.deps;
    const order = b.live.filter((i) => pending(b, i));
    const outcomes = new Map<number, AppendOutcome>();
    if (stream === undefined) return { outcomes, head: 0n };
    if (order.length === 0) return { outcomes, head: await store.headSequence(stream) };
    const candidates = order.map((i) => eventCandidate(events[i]!, signingHashes.get(i)!, normal.get(i)!));
    // Planned requests on a stream append in plan order, so that their presigned receipts meet the numbers they get.
    if (presigned !== undefined) await presigner.turn(presigned.ticket);
    const result = await store.appendEvents(stream, candidates, (c, seq) => {
      const pre = presigned?.receipts.get(c.eventId);
      if (pre === undefined || pre.sequenceNumber !== seq || !bytesEqual(pre.eventSigningHash, c.eventSigningHash)) {
        return receiptKeys.receiptFor(stream, c, seq);
      }
      return receiptKeys.receipt(seq, pre.receiptHash, pre.signature);
    });
    // The guesses of later requests follow the head the store reached (rejections, other writers). Hits are counted
    // from the stored receipts, not in the factory: a retried transaction (PostgreSQL) calls it again.
    if (presigned !== undefined) {
      let hits = 0;
      let misses = 0;
      result.outcomes.forEach((o, k) => {
        if (o.kind !== "accepted") return;
        const pre = presigned.receipts.get(candidates[k]!.eventId);
        if (pre !== undefined && o.receipt.signature !== null && bytesEqual(o.receipt.signature, pre.signature)) hits++;
        else misses++;
      });
      presigner.appended(presigned.ticket, result.headSequence, hits, misses);
    }
    order.forEach((i, k) => outcomes.set(i, result.outcomes[k]!));
    return { outcomes, head: result.headSequence };
  }

  /** Receipts: the response, in request order, with a receipt or a rejection per event. */
  private respond(b: IngestBatch, { outcomes, head }: Sequenced): IngestResponseJson {
    const { ids, rejected, replays } = b;
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
    for (let i = 0; i < ids.length; i++) {
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
    this.deps.onIngest?.(
      response.eventsAccepted,
      rejections.length,
      replayed,
      rejections.map((r) => r.reason.split(":")[0]!),
    );
    return response;
  }
}
