/**
 * The batch statement: the public inputs of one batch compliance proof, their strict validation, their hash, the
 * recomputation of the commitment they claim (ves-protocol.md §4.2 items 8, 11 and 13, through offchain/ves), and
 * the builder that derives a statement and its witness from VES events as the sequencer's pull route returns them,
 * a commitment record and a policy.
 *
 * JSON form (camelCase, version 1; every u64 a decimal string, hashes 64 lowercase hex, signatures 128):
 *   { version, batchId, tenantId, storeId, sequenceStart, sequenceEnd, policyId, policyParams, policyHash,
 *     policyLimit (raw threshold or cap), effectiveLimit (L), currency (ISO 4217), merkleRoot, prevStateRoot,
 *     newStateRoot, events: [{ sequenceNumber, eventId, eventType, scope, reason, amountCommitment | null,
 *     eventSigningHash, agentSignature }] }
 * Events are in sequence order, one per sequence number of [sequenceStart, sequenceEnd]. An `in_scope` event with
 * reason `none` carries the commitment C_i it may be proven against; any other reason forces f_i = 0 in the AIR.
 */
import {
  AMOUNT_BLINDING_FIELD,
  AMOUNT_COMMITMENT_FIELD,
  type ExactJsonValue,
  type JsonValue,
  amountFieldOf,
  buildCommitment,
  bytesEqual,
  bytesToHex,
  decryptEnvelope,
  eventSigningHash,
  hexToBytes,
  jcsExactBytes,
  leafHash,
  normalizeUuid,
  parseEnvelope,
  sha256,
} from "../../ves";
import { StarkError } from "../errors";
import { blindingFromHex, commitmentFromHex, commitmentToHex } from "../opening";
import { type Policy, asU64, effectiveLimit, parsePolicy, policyHashHex, policyParams, rawLimit } from "../policy";
import { COMMIT_LANES, commitAmount } from "../poseidon2";
import { type BatchAirStatement, MAX_BATCH_EVENTS } from "./air";

/** Version of the statement JSON. */
export const BATCH_STATEMENT_VERSION = 1;
/** Domain of the statement hash SHA-256(domain ‖ JCS(statement)). */
export const BATCH_STATEMENT_DOMAIN = "STATESET_VES_BATCH_STATEMENT_HASH_V1";

/** Whether an event's type carries an amount the policy applies to. */
export type BatchScope = "in_scope" | "out_of_scope";
/** Reasons of in-scope events: `none` = a commitment to prove against; the others force f_i = 0. */
export const IN_SCOPE_REASONS = [
  "none",
  "no_commitment",
  "invalid_amount",
  "opening_mismatch",
  "not_a_recipient",
] as const;
/** Reasons of out-of-scope events. */
export const OUT_OF_SCOPE_REASONS = ["no_amount_field", "other_currency"] as const;
/** A per-event public reason code. */
export type BatchReason = (typeof IN_SCOPE_REASONS)[number] | (typeof OUT_OF_SCOPE_REASONS)[number];

/** One event of a batch statement (public). */
export interface BatchEventInputs {
  readonly sequenceNumber: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly scope: BatchScope;
  readonly reason: BatchReason;
  /** C_i (64 hex) for reason `none`; the payload's (unopenable) commitment or null otherwise; null out of scope. */
  readonly amountCommitment: string | null;
  readonly eventSigningHash: string;
  readonly agentSignature: string;
}

/** The public statement of a batch proof (JSON form). */
export interface BatchStatement {
  readonly version: number;
  readonly batchId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequenceStart: string;
  readonly sequenceEnd: string;
  readonly policyId: string;
  readonly policyParams: { readonly [key: string]: ExactJsonValue };
  readonly policyHash: string;
  readonly policyLimit: string;
  readonly effectiveLimit: string;
  readonly currency: string;
  readonly merkleRoot: string;
  readonly prevStateRoot: string;
  readonly newStateRoot: string;
  readonly events: readonly BatchEventInputs[];
}

/** What the proof claims about the statement's events (public outputs). */
export interface BatchClaim {
  /** Number of in-scope events. */
  readonly inScopeCount: number;
  /** Σ f_i: in-scope events proven compliant. */
  readonly compliantCount: number;
  /** ∏ f_i over in-scope events: compliantCount = inScopeCount. */
  readonly allCompliant: boolean;
}

/** A validated statement with its derived values. */
export interface ParsedBatchStatement {
  readonly statement: BatchStatement;
  readonly policy: Policy;
  readonly limit: bigint;
  readonly sequenceStart: bigint;
  readonly sequenceEnd: bigint;
  /** Per event: 1 for in_scope with reason none. */
  readonly allowed: Uint8Array;
  /** Per event 8 commitment lanes (zero unless allowed). */
  readonly commitments: Uint32Array;
  readonly inScopeCount: number;
  /** The Merkle root of the events' leaves (hex). */
  readonly computedMerkleRoot: string;
  /** The new state root those leaves give chained to prevStateRoot (hex). */
  readonly computedNewStateRoot: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const U64 = /^(0|[1-9][0-9]{0,19})$/;
const CURRENCY = /^[A-Z]{3}$/;
const STATEMENT_KEYS = [
  "version",
  "batchId",
  "tenantId",
  "storeId",
  "sequenceStart",
  "sequenceEnd",
  "policyId",
  "policyParams",
  "policyHash",
  "policyLimit",
  "effectiveLimit",
  "currency",
  "merkleRoot",
  "prevStateRoot",
  "newStateRoot",
  "events",
];
const EVENT_KEYS = [
  "sequenceNumber",
  "eventId",
  "eventType",
  "scope",
  "reason",
  "amountCommitment",
  "eventSigningHash",
  "agentSignature",
];

function bad(message: string): StarkError {
  return new StarkError("INVALID_BATCH_STATEMENT", message);
}

function checkKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw bad(`${what}: unknown field ${k}`);
  for (const k of keys) if (!(k in o)) throw bad(`${what}: missing field ${k}`);
}

function u64(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !U64.test(v) || BigInt(v) >= 1n << 64n)
    throw bad(`${what} must be a decimal u64 string`);
  return BigInt(v);
}

function str(v: unknown, re: RegExp, what: string): string {
  if (typeof v !== "string" || !re.test(v)) throw bad(`${what} is malformed`);
  return v;
}

/**
 * Validates a statement strictly (shape, formats, one event per sequence number in order, scope/reason/commitment
 * consistency, policy, policy hash and limits) and recomputes the Merkle root of the events' leaves and the new state
 * root they give chained to prevStateRoot. The caller compares them with the statement's and the commitment's roots
 * (batchRootsMatch): that is the F5 fix, the statement is about exactly the committed events.
 * @throws StarkError INVALID_BATCH_STATEMENT (or a policy error code).
 */
export function parseBatchStatement(value: unknown): ParsedBatchStatement {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("statement must be an object");
  const o = value as Record<string, unknown>;
  checkKeys(o, STATEMENT_KEYS, "statement");
  if (o.version !== BATCH_STATEMENT_VERSION) throw bad(`unsupported statement version ${String(o.version)}`);
  for (const k of ["batchId", "tenantId", "storeId"]) str(o[k], UUID, k);
  for (const k of ["policyHash", "merkleRoot", "prevStateRoot", "newStateRoot"]) str(o[k], HEX64, k);
  str(o.currency, CURRENCY, "currency");
  const start = u64(o.sequenceStart, "sequenceStart");
  const end = u64(o.sequenceEnd, "sequenceEnd");
  // policy
  const policy = parsePolicy(o.policyId, o.policyParams);
  if (o.policyHash !== policyHashHex(policy)) throw new StarkError("INVALID_POLICY_HASH", "policyHash mismatch");
  if (u64(o.policyLimit, "policyLimit") !== rawLimit(policy)) throw bad("policyLimit is not the policy's limit");
  const limit = effectiveLimit(policy);
  if (u64(o.effectiveLimit, "effectiveLimit") !== limit) throw bad("effectiveLimit is not the policy's");
  // events
  if (!Array.isArray(o.events)) throw bad("events must be an array");
  const n = o.events.length;
  if (n < 1 || n > MAX_BATCH_EVENTS) throw bad(`a batch has 1..${MAX_BATCH_EVENTS} events, got ${n}`);
  if (end < start || end - start + 1n !== BigInt(n)) throw bad("the sequence range does not match the event count");
  const allowed = new Uint8Array(n);
  const commitments = new Uint32Array(COMMIT_LANES * n);
  let inScopeCount = 0;
  const leaves: Uint8Array[] = [];
  const ids = new Set<string>();
  o.events.forEach((ev: unknown, i) => {
    const what = `events[${i}]`;
    if (typeof ev !== "object" || ev === null || Array.isArray(ev)) throw bad(`${what} must be an object`);
    const e = ev as Record<string, unknown>;
    checkKeys(e, EVENT_KEYS, what);
    const seq = u64(e.sequenceNumber, `${what}.sequenceNumber`);
    if (seq !== start + BigInt(i)) throw bad(`${what}.sequenceNumber must be ${start + BigInt(i)}`);
    const id = str(e.eventId, UUID, `${what}.eventId`);
    if (ids.has(id)) throw bad(`${what}.eventId is a duplicate`);
    ids.add(id);
    if (typeof e.eventType !== "string" || e.eventType.length < 1 || e.eventType.length > 256) {
      throw bad(`${what}.eventType is malformed`);
    }
    const signing = str(e.eventSigningHash, HEX64, `${what}.eventSigningHash`);
    const signature = str(e.agentSignature, HEX128, `${what}.agentSignature`);
    const c = e.amountCommitment;
    if (c !== null) str(c, HEX64, `${what}.amountCommitment`);
    if (e.scope === "in_scope") {
      if (!(IN_SCOPE_REASONS as readonly unknown[]).includes(e.reason)) throw bad(`${what}.reason is not in-scope`);
      inScopeCount++;
      if (e.reason === "none") {
        if (c === null) throw bad(`${what}: reason none needs an amountCommitment`);
        try {
          commitments.set(commitmentFromHex(c as string), COMMIT_LANES * i);
        } catch {
          throw bad(`${what}.amountCommitment has a non-canonical lane`);
        }
        allowed[i] = 1;
      }
    } else if (e.scope === "out_of_scope") {
      if (!(OUT_OF_SCOPE_REASONS as readonly unknown[]).includes(e.reason)) {
        throw bad(`${what}.reason is not out-of-scope`);
      }
      if (c !== null) throw bad(`${what}: an out-of-scope event has no amountCommitment`);
    } else {
      throw bad(`${what}.scope must be in_scope or out_of_scope`);
    }
    leaves.push(
      leafHash({
        tenantId: o.tenantId as string,
        storeId: o.storeId as string,
        sequenceNumber: seq,
        eventSigningHash: hexToBytes(signing),
        agentSignature: hexToBytes(signature),
      }),
    );
  });
  // the commitment these events produce
  const commitment = buildCommitment({
    tenantId: o.tenantId as string,
    storeId: o.storeId as string,
    sequenceStart: start,
    leaves,
    prevStateRoot: hexToBytes(o.prevStateRoot as string),
  });
  return {
    statement: value as BatchStatement,
    policy,
    limit,
    sequenceStart: start,
    sequenceEnd: end,
    allowed,
    commitments,
    inScopeCount,
    computedMerkleRoot: bytesToHex(commitment.merkleRoot),
    computedNewStateRoot: bytesToHex(commitment.newStateRoot),
  };
}

/** Which recomputed root differs from the statement's, if any. */
export function batchRootsMismatch(p: ParsedBatchStatement): "MERKLE_ROOT_MISMATCH" | "NEW_STATE_ROOT_MISMATCH" | null {
  if (p.computedMerkleRoot !== p.statement.merkleRoot) return "MERKLE_ROOT_MISMATCH";
  if (p.computedNewStateRoot !== p.statement.newStateRoot) return "NEW_STATE_ROOT_MISMATCH";
  return null;
}

/** The statement hash SHA-256("STATESET_VES_BATCH_STATEMENT_HASH_V1" ‖ JCS(statement)), hex. */
export function batchStatementHash(statement: BatchStatement): string {
  return bytesToHex(
    sha256(new TextEncoder().encode(BATCH_STATEMENT_DOMAIN), jcsExactBytes(statement as unknown as ExactJsonValue)),
  );
}

/** The AIR statement of a parsed statement and a claimed compliant count. */
export function airStatementOf(p: ParsedBatchStatement, compliantCount: number): BatchAirStatement {
  return {
    limit: p.limit,
    numEvents: p.statement.events.length,
    allowed: p.allowed,
    commitments: p.commitments,
    compliantCount,
  };
}

// BUILDING A STATEMENT FROM VES EVENTS
// ================================================================================================

/** An event as the sequencer's pull route returns it (`GET /api/v1/ves/events`), JSON parsed exactly. */
export interface PulledEvent {
  readonly sequence_number: bigint | number | string;
  readonly event_id?: string;
  readonly envelope: unknown;
}

/** The commitment record fields the statement needs (the sequencer's REST commitment form). */
export interface BatchCommitmentRecord {
  readonly batch_id: string;
  readonly tenant_id: string;
  readonly store_id: string;
  readonly merkle_root: string;
  readonly prev_state_root: string;
  readonly new_state_root: string;
  readonly sequence_start: bigint | number | string;
  readonly sequence_end: bigint | number | string;
}

/** The private witness of a batch: per event an opening when the statement's reason is `none`. */
export interface BatchWitness {
  readonly openings: readonly ({ readonly amount: bigint; readonly blinding: readonly number[] } | null)[];
}

/** Inputs of buildBatchStatement. */
export interface BuildBatchStatementInput {
  readonly commitment: BatchCommitmentRecord;
  /** The commitment's events (any order; exactly one per sequence number of the range). */
  readonly events: readonly PulledEvent[];
  readonly policy: Policy;
  /** ISO 4217 currency of the policy's limit; amounts in another currency are out of scope. */
  readonly currency: string;
  /** Decrypted payloads of encrypted events by event id (decryptBatchPayloads); others are `not_a_recipient`. */
  readonly decrypted?: ReadonlyMap<string, JsonValue>;
  /** Extra amount-field table entries (event type or `<prefix>.*` → field). */
  readonly amountFields?: Readonly<Record<string, string>>;
}

function seqOf(v: bigint | number | string, what: string): bigint {
  const s = typeof v === "string" ? v : typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s === "bigint") {
    if (s < 0n || s >= 1n << 64n) throw new StarkError("INVALID_BATCH_STATEMENT", `${what} is not a u64`);
    return s;
  }
  if (typeof s !== "string" || !U64.test(s)) throw new StarkError("INVALID_BATCH_STATEMENT", `${what} is not a u64`);
  return BigInt(s);
}

function field(payload: JsonValue | undefined, key: string): unknown {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  return Object.hasOwn(payload, key) ? (payload as Record<string, unknown>)[key] : undefined;
}

/** How an event enters a batch statement, and its opening when it has one. */
export type Classified = Pick<BatchEventInputs, "scope" | "reason" | "amountCommitment"> & {
  readonly opening: { readonly amount: bigint; readonly blinding: readonly number[] } | null;
};

/** Scope, reason, C_i and opening of one event from its (plaintext or decrypted) payload. */
export function classifyEvent(
  eventType: string,
  payload: JsonValue | undefined,
  decryptable: boolean,
  input: Pick<BuildBatchStatementInput, "currency" | "amountFields">,
): Classified {
  const amountField = amountFieldOf(eventType, input.amountFields ?? {});
  if (amountField === undefined) {
    return { scope: "out_of_scope", reason: "no_amount_field", amountCommitment: null, opening: null };
  }
  if (!decryptable) return { scope: "in_scope", reason: "not_a_recipient", amountCommitment: null, opening: null };
  const currency = field(payload, "currency");
  if (currency !== undefined && currency !== input.currency) {
    return { scope: "out_of_scope", reason: "other_currency", amountCommitment: null, opening: null };
  }
  const c = field(payload, AMOUNT_COMMITMENT_FIELD);
  if (c === undefined) return { scope: "in_scope", reason: "no_commitment", amountCommitment: null, opening: null };
  let lanes: Uint32Array;
  try {
    lanes = commitmentFromHex(c as string);
  } catch {
    return { scope: "in_scope", reason: "opening_mismatch", amountCommitment: null, opening: null };
  }
  const cHex = c as string;
  const amount = asU64(field(payload, amountField));
  if (amount === undefined) {
    return { scope: "in_scope", reason: "invalid_amount", amountCommitment: cHex, opening: null };
  }
  let blinding: number[];
  try {
    blinding = blindingFromHex(field(payload, AMOUNT_BLINDING_FIELD));
  } catch {
    return { scope: "in_scope", reason: "opening_mismatch", amountCommitment: cHex, opening: null };
  }
  if (commitmentToHex(commitAmount(amount, blinding)) !== commitmentToHex(lanes)) {
    return { scope: "in_scope", reason: "opening_mismatch", amountCommitment: cHex, opening: null };
  }
  return { scope: "in_scope", reason: "none", amountCommitment: cHex, opening: { amount, blinding } };
}

/**
 * Builds the statement and witness of a commitment's batch from its events (as pulled from the sequencer), a
 * policy and its currency. Plaintext payloads are read directly; encrypted ones through `decrypted`.
 * @throws StarkError INVALID_BATCH_STATEMENT when the events are not exactly the commitment's (missing, extra,
 * duplicated, another stream, an invalid envelope) or do not reproduce its roots.
 */
export function buildBatchStatement(input: BuildBatchStatementInput): {
  statement: BatchStatement;
  witness: BatchWitness;
} {
  const c = input.commitment;
  const start = seqOf(c.sequence_start, "sequence_start");
  const end = seqOf(c.sequence_end, "sequence_end");
  const tenantId = normalizeUuid(c.tenant_id);
  const storeId = normalizeUuid(c.store_id);
  if (end < start || end - start + 1n > BigInt(MAX_BATCH_EVENTS)) {
    throw new StarkError("INVALID_BATCH_STATEMENT", `a batch has 1..${MAX_BATCH_EVENTS} events`);
  }
  const bySeq = new Map<bigint, PulledEvent>();
  for (const e of input.events) {
    const seq = seqOf(e.sequence_number, "sequence_number");
    if (bySeq.has(seq)) throw new StarkError("INVALID_BATCH_STATEMENT", `sequence ${seq} appears twice`);
    if (seq < start || seq > end)
      throw new StarkError("INVALID_BATCH_STATEMENT", `sequence ${seq} is outside the batch`);
    bySeq.set(seq, e);
  }
  const events: BatchEventInputs[] = [];
  const openings: BatchWitness["openings"][number][] = [];
  for (let seq = start; seq <= end; seq++) {
    const pulled = bySeq.get(seq);
    if (pulled === undefined) throw new StarkError("INVALID_BATCH_STATEMENT", `sequence ${seq} is missing`);
    const parsed = parseEnvelope(pulled.envelope);
    if (!parsed.ok) {
      throw new StarkError("INVALID_BATCH_STATEMENT", `sequence ${seq}: invalid envelope (${parsed.rejection.reason})`);
    }
    const ev = parsed.event;
    if (ev.tenantId !== tenantId || ev.storeId !== storeId) {
      throw new StarkError("INVALID_BATCH_STATEMENT", `sequence ${seq} is in another stream`);
    }
    const encrypted = ev.payloadKind === 1;
    const payload = encrypted ? input.decrypted?.get(ev.eventId) : ev.payload;
    const cls = classifyEvent(ev.eventType, payload, !encrypted || payload !== undefined, input);
    events.push({
      sequenceNumber: seq.toString(),
      eventId: ev.eventId,
      eventType: ev.eventType,
      scope: cls.scope,
      reason: cls.reason,
      amountCommitment: cls.amountCommitment,
      eventSigningHash: bytesToHex(eventSigningHash(ev)),
      agentSignature: bytesToHex(ev.agentSignature),
    });
    openings.push(cls.opening);
  }
  const policy = input.policy;
  const statement: BatchStatement = {
    version: BATCH_STATEMENT_VERSION,
    batchId: normalizeUuid(c.batch_id),
    tenantId,
    storeId,
    sequenceStart: start.toString(),
    sequenceEnd: end.toString(),
    policyId: policy.id,
    policyParams: policyParams(policy),
    policyHash: policyHashHex(policy),
    policyLimit: rawLimit(policy).toString(),
    effectiveLimit: effectiveLimit(policy).toString(),
    currency: input.currency,
    merkleRoot: c.merkle_root.toLowerCase().replace(/^0x/, ""),
    prevStateRoot: c.prev_state_root.toLowerCase().replace(/^0x/, ""),
    newStateRoot: c.new_state_root.toLowerCase().replace(/^0x/, ""),
    events,
  };
  const mismatch = batchRootsMismatch(parseBatchStatement(statement));
  if (mismatch !== null) {
    throw new StarkError("INVALID_BATCH_STATEMENT", `${mismatch}: the events do not reproduce the commitment`);
  }
  return { statement, witness: { openings } };
}

/**
 * Decrypts the encrypted payloads of pulled events as one HPKE recipient; events this recipient cannot open are left
 * out (they become `not_a_recipient`). Plaintext events are skipped.
 */
export async function decryptBatchPayloads(
  events: readonly PulledEvent[],
  recipient: { readonly kid: number; readonly secretKey: Uint8Array },
): Promise<Map<string, JsonValue>> {
  const out = new Map<string, JsonValue>();
  for (const e of events) {
    const parsed = parseEnvelope(e.envelope);
    if (!parsed.ok || parsed.event.payloadKind !== 1) continue;
    const r = await decryptEnvelope(e.envelope, recipient.kid, recipient.secretKey);
    if (r.ok) out.set(r.event.eventId, r.payload);
  }
  return out;
}

/** True if two 32-byte hex roots are equal (either may carry 0x). */
export function sameRoot(a: string, b: string): boolean {
  try {
    return bytesEqual(hexToBytes(a, { length: 32 }), hexToBytes(b, { length: 32 }));
  } catch {
    return false;
  }
}
