/**
 * verifyBatch: checks a batch proof bundle against what the verifier expects — the commitment record (batch id,
 * stream, sequence range, merkle_root, prev_state_root, new_state_root), the policy and its currency, and optionally
 * the events themselves — in this order: bundle envelope and size cap, options allow-list and security floor,
 * statement format, recomputed leaves / padded Merkle root / new state root (ves-protocol.md §4.2 items 8 and 13)
 * against the statement's and the commitment's, expected policy, claim consistency, the events' scopes and (for
 * plaintext payloads) commitments, then the STARK. Never throws for a bad bundle: every failure is a reason of a
 * closed union. It never imports the prover.
 */
import { hexToBytes, normalizeUuid, parseEnvelope } from "../../ves";
import { isStarkError } from "../errors";
import { type Policy, policiesEqual, rawLimit } from "../policy";
import { type AcceptableOptions, DEFAULT_ACCEPTABLE, optionsEqual, securityLevels } from "../security";
import { MAX_PROOF_BYTES, deserializeProof, readProofOptions } from "../serialization";
import { type StarkFailure, verifyStark } from "../verifier";
import { BATCH_WIDTH, MAX_BATCH_EVENTS, batchTraceLength } from "./air";
import { readBatchBundle } from "./bundle";
import { batchAir } from "./protocol";
import {
  type BatchCommitmentRecord,
  type PulledEvent,
  airStatementOf,
  batchRootsMismatch,
  batchStatementHash,
  classifyEvent,
  parseBatchStatement,
  sameRoot,
} from "./statement";

/** What the verifier requires of a batch proof. */
export interface BatchExpectation {
  /** The commitment the proof must be about (the sequencer's REST commitment form). */
  readonly commitment: BatchCommitmentRecord;
  /** The policy and limit the verifier requires (mandatory). */
  readonly policy: Policy;
  /** The currency of the policy's limit (checked when given). */
  readonly currency?: string;
  /**
   * The commitment's events as pulled from the sequencer (optional): their types must give the statement's scopes,
   * and for plaintext payloads the statement's reason and amountCommitment must be what the payload says.
   */
  readonly events?: readonly PulledEvent[];
}

/** Every reason a batch verification can fail (a closed union). */
export type BatchFailure =
  | StarkFailure
  | "INVALID_BUNDLE"
  | "PROOF_TOO_LARGE"
  | "UNSUPPORTED_VERSION"
  | "INVALID_STATEMENT"
  | "INVALID_POLICY_HASH"
  | "MERKLE_ROOT_MISMATCH"
  | "NEW_STATE_ROOT_MISMATCH"
  | "BATCH_MISMATCH"
  | "STREAM_MISMATCH"
  | "SEQUENCE_RANGE_MISMATCH"
  | "PREV_STATE_ROOT_MISMATCH"
  | "POLICY_MISMATCH"
  | "LIMIT_MISMATCH"
  | "CURRENCY_MISMATCH"
  | "INVALID_CLAIM"
  | "EVENT_MISMATCH";

/** A successful verification: everything `commitStarkProof` / `commitBatchWithStarkProof` needs. */
export interface BatchVerified {
  readonly valid: true;
  readonly batchId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequenceStart: bigint;
  readonly sequenceEnd: bigint;
  readonly policyId: string;
  readonly policyHash: string;
  /** The policy's raw limit (threshold or cap), as in commitStarkProof. */
  readonly policyLimit: bigint;
  readonly numEvents: number;
  readonly inScopeCount: number;
  readonly compliantCount: number;
  readonly allCompliant: boolean;
  readonly proofHash: string;
  readonly proofSize: number;
  readonly merkleRoot: string;
  readonly prevStateRoot: string;
  readonly newStateRoot: string;
  readonly securityBits: number;
  readonly provableSecurityBits: number;
}

/** Outcome of verifyBatch. */
export type BatchVerdict =
  BatchVerified | { readonly valid: false; readonly reason: BatchFailure; readonly detail: string };

function rejected(reason: BatchFailure, detail: string): BatchVerdict {
  return { valid: false, reason, detail };
}

function isPolicy(p: unknown): p is Policy {
  if (typeof p !== "object" || p === null) return false;
  const o = p as Record<string, unknown>;
  const limit = o.id === "aml.threshold" ? o.threshold : o.id === "order_total.cap" ? o.cap : undefined;
  return typeof limit === "bigint" && limit >= 0n && limit < 1n << 64n;
}

function u64Of(v: bigint | number | string): bigint | undefined {
  try {
    const b = BigInt(v);
    return b >= 0n && b < 1n << 64n ? b : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a batch proof bundle against the expected commitment and policy.
 * @throws TypeError only for arguments of the wrong type (a missing expected commitment or policy).
 */
export function verifyBatch(
  bundleValue: unknown,
  expected: BatchExpectation,
  acceptable: AcceptableOptions = DEFAULT_ACCEPTABLE,
): BatchVerdict {
  if (typeof expected !== "object" || expected === null) throw new TypeError("expected must be an object");
  if (!isPolicy(expected.policy)) throw new TypeError("expected.policy (the policy the verifier requires) is missing");
  const c = expected.commitment;
  if (typeof c !== "object" || c === null) throw new TypeError("expected.commitment is missing");
  try {
    // 1 ----- envelope, size cap, options
    const { bundle, proofBytes } = readBatchBundle(bundleValue);
    if (proofBytes.length > MAX_PROOF_BYTES) return rejected("PROOF_TOO_LARGE", `${proofBytes.length} bytes`);
    const events = (bundle.statement as { events?: unknown } | null)?.events;
    if (!Array.isArray(events) || events.length < 1 || events.length > MAX_BATCH_EVENTS) {
      return rejected("INVALID_STATEMENT", `a batch has 1..${MAX_BATCH_EVENTS} events`);
    }
    const n = batchTraceLength(events.length);
    const options = readProofOptions(proofBytes, n);
    if (!acceptable.options.some((a) => optionsEqual(a, options))) {
      return rejected("UNACCEPTABLE_OPTIONS", "the proof's options are not in the verifier's allow-list");
    }
    const levels = securityLevels(options, n);
    if (levels.conjectured < acceptable.minSecurityBits) {
      return rejected("INSUFFICIENT_SECURITY", `${levels.conjectured} bits`);
    }
    // 2 ----- the statement, and the commitment its events give
    const p = parseBatchStatement(bundle.statement);
    const st = p.statement;
    if (bundle.statementHash !== batchStatementHash(st)) return rejected("INVALID_BUNDLE", "statementHash mismatch");
    const ownRoots = batchRootsMismatch(p);
    if (ownRoots !== null) return rejected(ownRoots, "the statement's events do not give the statement's roots");
    // 3 ----- the commitment the verifier expects
    if (normalizeUuid(c.batch_id) !== st.batchId) return rejected("BATCH_MISMATCH", "the proof is for another batch");
    if (normalizeUuid(c.tenant_id) !== st.tenantId || normalizeUuid(c.store_id) !== st.storeId) {
      return rejected("STREAM_MISMATCH", "the proof is for another stream");
    }
    if (u64Of(c.sequence_start) !== p.sequenceStart || u64Of(c.sequence_end) !== p.sequenceEnd) {
      return rejected("SEQUENCE_RANGE_MISMATCH", "the proof covers another sequence range");
    }
    if (!sameRoot(c.merkle_root, p.computedMerkleRoot)) {
      return rejected("MERKLE_ROOT_MISMATCH", "the events do not give the commitment's merkle_root");
    }
    if (!sameRoot(c.prev_state_root, st.prevStateRoot)) {
      return rejected("PREV_STATE_ROOT_MISMATCH", "the proof chains from another prev_state_root");
    }
    if (!sameRoot(c.new_state_root, p.computedNewStateRoot)) {
      return rejected("NEW_STATE_ROOT_MISMATCH", "the events do not give the commitment's new_state_root");
    }
    // 4 ----- policy and currency
    if (expected.policy.id !== p.policy.id)
      return rejected("POLICY_MISMATCH", `${p.policy.id} ≠ ${expected.policy.id}`);
    if (!policiesEqual(expected.policy, p.policy)) return rejected("LIMIT_MISMATCH", "policy limit differs");
    if (expected.currency !== undefined && expected.currency !== st.currency) {
      return rejected("CURRENCY_MISMATCH", `${st.currency} ≠ ${expected.currency}`);
    }
    // 5 ----- the claim
    const claim = bundle.claim;
    const allowedCount = p.allowed.reduce((a, v) => a + v, 0);
    if (
      claim.inScopeCount !== p.inScopeCount ||
      claim.compliantCount < 0 ||
      claim.compliantCount > allowedCount ||
      claim.allCompliant !== (claim.compliantCount === p.inScopeCount)
    ) {
      return rejected("INVALID_CLAIM", "the claim does not fit the statement");
    }
    // 6 ----- the events, when given
    if (expected.events !== undefined) {
      const problem = eventsProblem(expected.events, p.statement.events, st.currency);
      if (problem !== null) return rejected("EVENT_MISMATCH", problem);
    }
    // 7 ----- the STARK
    const proof = deserializeProof(proofBytes, { traceLength: n, traceWidth: BATCH_WIDTH });
    const air = batchAir(airStatementOf(p, claim.compliantCount), claim, hexToBytes(bundle.statementHash));
    const verdict = verifyStark(proof, air, acceptable);
    if (!verdict.valid) return rejected(verdict.reason, "STARK verification failed");
    return {
      valid: true,
      batchId: st.batchId,
      tenantId: st.tenantId,
      storeId: st.storeId,
      sequenceStart: p.sequenceStart,
      sequenceEnd: p.sequenceEnd,
      policyId: p.policy.id,
      policyHash: st.policyHash,
      policyLimit: rawLimit(p.policy),
      numEvents: st.events.length,
      inScopeCount: claim.inScopeCount,
      compliantCount: claim.compliantCount,
      allCompliant: claim.allCompliant,
      proofHash: bundle.proofHash,
      proofSize: proofBytes.length,
      merkleRoot: st.merkleRoot,
      prevStateRoot: st.prevStateRoot,
      newStateRoot: st.newStateRoot,
      securityBits: levels.conjectured,
      provableSecurityBits: levels.provable,
    };
  } catch (e) {
    if (isStarkError(e)) {
      switch (e.code) {
        case "INVALID_BUNDLE":
        case "PROOF_TOO_LARGE":
        case "UNSUPPORTED_VERSION":
        case "MALFORMED_PROOF":
        case "INVALID_POLICY_HASH":
          return rejected(e.code, e.message);
        default:
          return rejected("INVALID_STATEMENT", e.message);
      }
    }
    throw e;
  }
}

/** Why pulled events contradict the statement's events (scope by event type; plaintext reason and C_i), or null. */
function eventsProblem(
  pulled: readonly PulledEvent[],
  inputs: readonly {
    readonly sequenceNumber: string;
    readonly eventId: string;
    readonly eventType: string;
    readonly scope: string;
    readonly reason: string;
    readonly amountCommitment: string | null;
    readonly eventSigningHash: string;
  }[],
  currency: string,
): string | null {
  if (pulled.length !== inputs.length) return `${pulled.length} events given for ${inputs.length}`;
  const bySeq = new Map<string, PulledEvent>();
  for (const e of pulled) bySeq.set(String(e.sequence_number), e);
  for (const s of inputs) {
    const e = bySeq.get(s.sequenceNumber);
    if (e === undefined) return `sequence ${s.sequenceNumber} is missing`;
    const parsed = parseEnvelope(e.envelope);
    if (!parsed.ok) return `sequence ${s.sequenceNumber}: invalid envelope`;
    const ev = parsed.event;
    if (ev.eventId !== s.eventId || ev.eventType !== s.eventType) {
      return `sequence ${s.sequenceNumber}: another event id or type`;
    }
    if (ev.payloadKind === 0) {
      const cls = classifyEvent(ev.eventType, ev.payload, true, { currency });
      if (cls.scope !== s.scope || cls.reason !== s.reason || cls.amountCommitment !== s.amountCommitment) {
        return `sequence ${s.sequenceNumber}: the plaintext payload gives ${cls.scope}/${cls.reason}`;
      }
    } else {
      const cls = classifyEvent(ev.eventType, undefined, false, { currency });
      if (cls.scope === "out_of_scope" && s.scope !== "out_of_scope") {
        return `sequence ${s.sequenceNumber}: the event type has no amount field`;
      }
      if (cls.scope === "in_scope" && s.reason === "no_amount_field") {
        return `sequence ${s.sequenceNumber}: the event type has an amount field`;
      }
    }
  }
  return null;
}
