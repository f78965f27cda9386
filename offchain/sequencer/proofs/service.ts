/**
 * Proofs stored, verified and served by the sequencer (issue 13), independent of HTTP (routes: `routes.ts`).
 *
 * Two families (ves-protocol.md §9.1 "Validity and compliance proofs"): per-event compliance proofs (offchain/stark
 * `verifyCompliance`) and per-commitment validity proofs (batch proofs; their verifier sits behind `BatchVerifier`).
 * Every submitted proof is verified before it is stored; one that does not verify, or is about another event, batch,
 * policy or roots, is refused with the failing check's code. A stored proof carries everything `commitStarkProof`
 * needs: batch id, proof hash, policy hash, the policy's raw limit, all-compliant, proof size and proving time.
 *
 * Who may do what: a prover key (`prover` permission, tenant nil, created by the bootstrap admin only) may list
 * commitments without a validity proof across tenants, claim them, read their events and inputs, and submit proofs —
 * nothing else (every other route requires read, write or admin, which it lacks). Tenant keys with read permission on
 * the stream may read inputs and stored proofs; the bootstrap admin may do everything.
 */
import { randomUUID } from "node:crypto";

import {
  DEFAULT_ACCEPTABLE,
  isStarkError,
  parsePolicy,
  policiesEqual,
  policyHashHex,
  policyParams,
  rawLimit,
  unboundInputs,
  validateBundle,
  verifyCompliance,
  type AcceptableOptions,
  type CompliancePublicInputs,
  type Policy,
} from "../../stark";
import { bytesToHex, hexToBytes, parseJsonExact, stringifyJsonExact, type ExactJsonValue } from "../../ves";
import { NIL_UUID, type Principal } from "../auth";
import { SequencerError } from "../errors";
import type { SequencerService } from "../service";
import type { ApiKeyInfo } from "../tenants";
import type { ClaimOutcome, PendingValidity, ProofClaim, ProofKind, StoredProof } from "../store";
import type { StoredCommitment, StoredEvent } from "../store";
import { DEFAULT_BATCH_VERIFIER, type BatchVerifier } from "./batch-verifier";

/** The longest lease a prover may take (ms). */
export const MAX_LEASE_MS = 3_600_000;
/** The most pending commitments one answer lists. */
export const MAX_PENDING = 500;
/** The most events one commitment's event list returns (a batch proof covers at most 1,024 events). */
export const MAX_BATCH_EVENTS_SERVED = 1024;

/** The policy a stored proof was accepted under. */
function parsePolicyOf(proof: StoredProof): Policy {
  return proof.policyId === "aml.threshold"
    ? { id: "aml.threshold", threshold: proof.policyLimit }
    : { id: "order_total.cap", cap: proof.policyLimit };
}

/** Options of the proof service. */
export interface ProofServiceOptions {
  /** The STARK options the sequencer accepts (default: the library's allow-list and floor). */
  readonly acceptable?: AcceptableOptions;
  readonly batchVerifier?: BatchVerifier | null;
}

/** A verification verdict as the API shows it. */
export interface ProofCheck {
  readonly valid: boolean;
  readonly reason: string | null;
  readonly detail: string | null;
}

const fail = (status: number, code: string, message: string) => new SequencerError(status, code, message);
const strip0x = (h: string) => (h.startsWith("0x") || h.startsWith("0X") ? h.slice(2) : h).toLowerCase();

/** Whether `p` is a prover key (or the bootstrap admin, who holds every permission). */
export function isProver(p: Principal): boolean {
  return p.bootstrap || p.prover === true;
}

/** @throws SequencerError 403 unless `p` is a prover key or the bootstrap admin. */
export function requireProver(p: Principal): void {
  if (!isProver(p)) throw fail(403, "INSUFFICIENT_PERMISSIONS", "the prover permission is required");
}

/** Parses a policy from an id and a raw limit (decimal string or integer). @throws SequencerError 400. */
export function policyArg(id: unknown, limit: unknown): Policy {
  const raw =
    typeof limit === "bigint"
      ? limit
      : typeof limit === "number" && Number.isSafeInteger(limit)
        ? BigInt(limit)
        : typeof limit === "string" && /^[0-9]{1,20}$/.test(limit)
          ? BigInt(limit)
          : undefined;
  if (raw === undefined) throw fail(400, "INVALID_FIELD_VALUE", "the policy limit must be an integer (minor units)");
  try {
    const params = id === "aml.threshold" ? { threshold: raw } : { cap: raw };
    return parsePolicy(id, params);
  } catch (e) {
    if (isStarkError(e)) throw fail(400, e.code, e.message);
    throw e;
  }
}

/**
 * The unbound public inputs of a compliance proof of `event` under `policy` (stark-reference.md §2.10), from the
 * stored envelope: the prover's and the sequencer's view of the same event.
 */
export function complianceInputsOf(event: StoredEvent, policy: Policy): CompliancePublicInputs {
  const env = parseJsonExact(event.envelopeJson) as Record<string, ExactJsonValue>;
  const hash = (k: string) => {
    const v = env[k];
    return typeof v === "string" ? strip0x(v) : "00".repeat(32);
  };
  return {
    eventId: event.eventId,
    tenantId: event.tenantId,
    storeId: event.storeId,
    sequenceNumber: event.sequenceNumber,
    payloadKind: Number(env.payload_kind ?? 0),
    payloadPlainHash: hash("payload_plain_hash"),
    payloadCipherHash: hash("payload_cipher_hash"),
    eventSigningHash: bytesToHex(event.eventSigningHash),
    policyId: policy.id,
    policyParams: policyParams(policy),
    policyHash: policyHashHex(policy),
  };
}

/** The sequencer's proof logic. */
export class ProofService {
  private readonly acceptable: AcceptableOptions;
  /** The batch verification step (null: validity submissions answer 501). */
  readonly batchVerifier: BatchVerifier | null;

  constructor(
    readonly service: SequencerService,
    options: ProofServiceOptions = {},
  ) {
    this.acceptable = options.acceptable ?? DEFAULT_ACCEPTABLE;
    this.batchVerifier = options.batchVerifier === undefined ? DEFAULT_BATCH_VERIFIER : options.batchVerifier;
  }

  private get store() {
    return this.service.store;
  }

  /**
   * Creates a prover key (bootstrap admin only): tenant nil, every store, no read, write or admin permission — only
   * the proof routes. Shown once; audited like any key.
   */
  async createProverKey(
    p: Principal,
    input: { readonly label?: string | null; readonly rateLimit?: number | null },
  ): Promise<{ apiKey: string; info: ApiKeyInfo }> {
    this.service.requireBootstrap(p);
    return this.service.createApiKey(p, {
      tenantId: NIL_UUID,
      agentId: null,
      storeIds: [],
      read: false,
      write: false,
      admin: false,
      prover: true,
      label: input.label ?? null,
      rateLimit: input.rateLimit ?? null,
    });
  }

  /** @throws SequencerError 403 unless `p` may read proofs of the stream (read permission, or a prover). */
  private requireRead(p: Principal, tenantId: string, storeId: string): void {
    if (isProver(p)) return;
    this.service.require(p, "read", tenantId, storeId);
  }

  /** An event the caller may read. @throws SequencerError 404 (also when out of scope), 403 none at all. */
  private async readableEvent(p: Principal, eventId: string): Promise<StoredEvent> {
    const event = (await this.store.getEventsById([eventId])).get(eventId);
    if (event === undefined || (!isProver(p) && !this.service.can(p, "read", event.tenantId, event.storeId))) {
      if (!isProver(p) && !p.read) throw fail(403, "INSUFFICIENT_PERMISSIONS", "read permission is required");
      throw fail(404, "EVENT_NOT_FOUND", `no event ${eventId}`);
    }
    return event;
  }

  /** A commitment the caller may read. @throws SequencerError 404 (also when out of scope), 403 none at all. */
  async readableCommitment(p: Principal, batchId: string): Promise<StoredCommitment> {
    const c = await this.store.getCommitment(batchId);
    if (c === null || (!isProver(p) && !this.service.can(p, "read", c.tenantId, c.storeId))) {
      if (!isProver(p) && !p.read) throw fail(403, "INSUFFICIENT_PERMISSIONS", "read permission is required");
      throw fail(404, "BATCH_NOT_FOUND", `no commitment ${batchId}`);
    }
    return c;
  }

  // Compliance (per event) -------------------------------------------------------------------------------------------

  /** The unbound public inputs of a compliance proof of an event under a policy. */
  async complianceInputs(p: Principal, eventId: string, policy: Policy): Promise<CompliancePublicInputs> {
    return complianceInputsOf(await this.readableEvent(p, eventId), policy);
  }

  /**
   * Verifies and stores a compliance proof of an event (prover or bootstrap admin).
   * @param expected the policy the submitter says it proves (optional; must then equal the bundle's).
   * @throws SequencerError 400 INVALID_BUNDLE / PROOF_TOO_LARGE, 404, 422 with the failing check's code
   * (EVENT_MISMATCH, PUBLIC_INPUTS_MISMATCH, POLICY_MISMATCH, LIMIT_MISMATCH or the verifier's reason).
   */
  async submitCompliance(
    p: Principal,
    eventId: string,
    input: { readonly bundle: unknown; readonly proverId: string | null; readonly expected: Policy | null },
  ): Promise<StoredProof> {
    requireProver(p);
    const event = await this.readableEvent(p, eventId);
    let parsed: ReturnType<typeof validateBundle>;
    try {
      parsed = validateBundle(input.bundle);
    } catch (e) {
      if (isStarkError(e)) throw fail(e.code === "PROOF_TOO_LARGE" ? 413 : 400, e.code, e.message);
      throw e;
    }
    const { bundle, proofBytes } = parsed;
    const inputs = bundle.publicInputs;
    const policy = parsePolicy(inputs.policyId, inputs.policyParams);
    if (input.expected !== null) {
      if (input.expected.id !== policy.id) throw fail(422, "POLICY_MISMATCH", `the proof is for ${policy.id}`);
      if (!policiesEqual(input.expected, policy)) throw fail(422, "LIMIT_MISMATCH", "the proof's limit differs");
    }
    if (inputs.eventId !== event.eventId) {
      throw fail(422, "EVENT_MISMATCH", `the proof is about event ${inputs.eventId}, not ${event.eventId}`);
    }
    const mine = complianceInputsOf(event, policy) as unknown as Record<string, unknown>;
    const theirs = unboundInputs(inputs) as unknown as Record<string, unknown>;
    for (const k of Object.keys(mine)) {
      const a = stringifyJsonExact(mine[k] as ExactJsonValue);
      const b = stringifyJsonExact((theirs[k] ?? null) as ExactJsonValue);
      if (a !== b) throw fail(422, "PUBLIC_INPUTS_MISMATCH", `publicInputs.${k} differs from the stored event's`);
    }
    const verdict = verifyCompliance(
      { proofBytes, publicInputs: inputs, witnessCommitmentHex: bundle.witnessCommitmentHex, expectedPolicy: policy },
      this.acceptable,
    );
    if (!verdict.valid) throw fail(422, verdict.reason, `the proof does not verify: ${verdict.detail}`);
    const record: StoredProof = {
      proofId: randomUUID(),
      kind: "compliance",
      tenantId: event.tenantId,
      storeId: event.storeId,
      batchId: event.batchId,
      eventId: event.eventId,
      policyId: policy.id,
      policyHash: hexToBytes(policyHashHex(policy)),
      policyLimit: rawLimit(policy),
      allCompliant: true,
      compliantCount: 1,
      proofHash: hexToBytes(bundle.proofHash),
      proofSize: proofBytes.length,
      provingTimeMs: Math.round(bundle.metadata.proving_time_ms),
      securityBits: verdict.securityBits,
      proverId: input.proverId,
      bundleJson: stringifyJsonExact(bundle as unknown as ExactJsonValue),
      submittedBy: p.actor,
      submittedAt: new Date().toISOString(),
      anchor: null,
    };
    await this.store.proofs.insertProof(record);
    await this.service.audit(p, "proof.accept", record.tenantId, record.proofId, {
      kind: record.kind,
      event_id: record.eventId,
      policy_id: record.policyId,
      proof_hash: bytesToHex(record.proofHash),
    });
    return record;
  }

  /** The proofs of an event (compliance) or a commitment (validity), oldest first. */
  async listProofs(p: Principal, kind: ProofKind, subjectId: string): Promise<StoredProof[]> {
    if (kind === "compliance") await this.readableEvent(p, subjectId);
    else await this.readableCommitment(p, subjectId);
    return this.store.proofs.listProofs(kind, subjectId);
  }

  /** One stored proof of a family. @throws SequencerError 404 (also another family's id, or out of scope). */
  async getProof(p: Principal, kind: ProofKind, proofId: string): Promise<StoredProof> {
    const proof = await this.store.proofs.getProof(proofId);
    if (
      proof === null ||
      proof.kind !== kind ||
      (!isProver(p) && !this.service.can(p, "read", proof.tenantId, proof.storeId))
    ) {
      if (!isProver(p) && !p.read) throw fail(403, "INSUFFICIENT_PERMISSIONS", "read permission is required");
      throw fail(404, "PROOF_NOT_FOUND", `no ${kind} proof ${proofId}`);
    }
    return proof;
  }

  /** Verifies a stored proof again, against its own record (policy, event or commitment). */
  async verifyStored(
    p: Principal,
    kind: ProofKind,
    proofId: string,
  ): Promise<{ proof: StoredProof; check: ProofCheck }> {
    const proof = await this.getProof(p, kind, proofId);
    const value = parseJsonExact(proof.bundleJson);
    if (kind === "compliance") {
      try {
        const { bundle, proofBytes } = validateBundle(value);
        const policy = parsePolicy(bundle.publicInputs.policyId, bundle.publicInputs.policyParams);
        const event = (await this.store.getEventsById([proof.eventId ?? ""])).get(proof.eventId ?? "");
        if (event === undefined) return { proof, check: { valid: false, reason: "EVENT_NOT_FOUND", detail: null } };
        const mine = stringifyJsonExact(complianceInputsOf(event, policy) as unknown as ExactJsonValue);
        const theirs = stringifyJsonExact(unboundInputs(bundle.publicInputs) as unknown as ExactJsonValue);
        if (mine !== theirs) return { proof, check: { valid: false, reason: "PUBLIC_INPUTS_MISMATCH", detail: null } };
        if (rawLimit(policy) !== proof.policyLimit || policyHashHex(policy) !== bytesToHex(proof.policyHash)) {
          return { proof, check: { valid: false, reason: "POLICY_MISMATCH", detail: null } };
        }
        const verdict = verifyCompliance(
          { proofBytes, publicInputs: bundle.publicInputs, expectedPolicy: policy },
          this.acceptable,
        );
        return verdict.valid
          ? { proof, check: { valid: true, reason: null, detail: null } }
          : { proof, check: { valid: false, reason: verdict.reason, detail: verdict.detail } };
      } catch (e) {
        if (isStarkError(e)) return { proof, check: { valid: false, reason: e.code, detail: e.message } };
        throw e;
      }
    }
    const verifier = this.batchVerifier;
    if (verifier === null) throw fail(501, "BATCH_PROOFS_UNAVAILABLE", "this sequencer cannot verify batch proofs");
    const commitment = await this.store.getCommitment(proof.batchId ?? "");
    if (commitment === null) return { proof, check: { valid: false, reason: "BATCH_NOT_FOUND", detail: null } };
    const verdict = verifier({
      commitment,
      events: await this.commitmentEventsOf(commitment),
      bundle: value,
      policy: parsePolicyOf(proof),
      acceptable: this.acceptable,
    });
    return verdict.valid
      ? { proof, check: { valid: true, reason: null, detail: null } }
      : { proof, check: { valid: false, reason: verdict.reason, detail: verdict.detail } };
  }

  // Validity (per commitment) ----------------------------------------------------------------------------------------

  /** Commitments without a validity proof, oldest first, across tenants, with their leases (prover only). */
  async pending(p: Principal, limit: number): Promise<PendingValidity[]> {
    requireProver(p);
    return this.store.proofs.pendingValidity(Math.min(Math.max(1, limit), MAX_PENDING));
  }

  private async commitmentEventsOf(c: StoredCommitment): Promise<StoredEvent[]> {
    const count = Number(c.sequenceEnd - c.sequenceStart + 1n);
    return this.store.listEvents(
      { tenantId: c.tenantId, storeId: c.storeId },
      c.sequenceStart,
      Math.min(count, MAX_BATCH_EVENTS_SERVED),
    );
  }

  /** The events a commitment covers, in sequence order (prover, or read permission on the stream). */
  async commitmentEvents(
    p: Principal,
    batchId: string,
  ): Promise<{ commitment: StoredCommitment; events: StoredEvent[] }> {
    const commitment = await this.readableCommitment(p, batchId);
    if (commitment.leafCount > MAX_BATCH_EVENTS_SERVED) {
      throw fail(422, "BATCH_TOO_LARGE", `a batch proof covers at most ${MAX_BATCH_EVENTS_SERVED} events`);
    }
    return { commitment, events: await this.commitmentEventsOf(commitment) };
  }

  /**
   * Takes, renews or releases a prover's lease on a commitment (prover only).
   * @throws SequencerError 400 bad lease, 404 no commitment, 409 `CLAIM_HELD` (another prover's live lease) or
   * `CLAIM_NOT_HELD` (renew/release of a lease this prover does not hold), `ALREADY_PROVEN` (claim of a proven one).
   */
  async claim(
    p: Principal,
    action: "claim" | "renew" | "release",
    batchId: string,
    proverId: string,
    leaseMs: number,
  ): Promise<ProofClaim | null> {
    requireProver(p);
    if (action !== "release" && (!Number.isSafeInteger(leaseMs) || leaseMs < 1 || leaseMs > MAX_LEASE_MS)) {
      throw fail(400, "INVALID_FIELD_VALUE", `leaseMs must be an integer from 1 to ${MAX_LEASE_MS}`);
    }
    const c = await this.store.getCommitment(batchId);
    if (c === null) throw fail(404, "BATCH_NOT_FOUND", `no commitment ${batchId}`);
    const now = Date.now();
    let out: ClaimOutcome;
    if (action === "claim") {
      const proofs = await this.store.proofs.listProofs("validity", batchId);
      if (proofs.length > 0) throw fail(409, "ALREADY_PROVEN", `commitment ${batchId} has a validity proof`);
      out = await this.store.proofs.claim(batchId, proverId, leaseMs, now, new Date(now).toISOString());
    } else if (action === "renew") {
      out = await this.store.proofs.renewClaim(batchId, proverId, leaseMs, now);
    } else {
      out = await this.store.proofs.releaseClaim(batchId, proverId);
    }
    if (!out.ok) {
      if (action === "claim" && out.claim !== null) {
        throw fail(409, "CLAIM_HELD", `prover ${out.claim.proverId} holds commitment ${batchId}`);
      }
      throw fail(409, "CLAIM_NOT_HELD", `prover ${proverId} holds no lease on commitment ${batchId}`);
    }
    return out.claim;
  }

  /**
   * Verifies and stores a validity (batch) proof of a commitment (prover or bootstrap admin). A proof from a prover
   * whose lease was lost is still accepted if it verifies.
   * @throws SequencerError 501 `BATCH_PROOFS_UNAVAILABLE` while no batch verifier is configured; 404; 422 with the
   * verifier's reason code.
   */
  async submitValidity(
    p: Principal,
    batchId: string,
    input: { readonly bundle: unknown; readonly proverId: string | null; readonly expected: Policy | null },
  ): Promise<StoredProof> {
    requireProver(p);
    const verifier = this.batchVerifier;
    if (verifier === null) {
      throw fail(501, "BATCH_PROOFS_UNAVAILABLE", "this sequencer cannot verify batch proofs yet: nothing was stored");
    }
    const { commitment, events } = await this.commitmentEvents(p, batchId);
    const verdict = verifier({
      commitment,
      events,
      bundle: input.bundle,
      policy: input.expected,
      acceptable: this.acceptable,
    });
    if (!verdict.valid) throw fail(422, verdict.reason, `the proof does not verify: ${verdict.detail}`);
    const record: StoredProof = {
      proofId: randomUUID(),
      kind: "validity",
      tenantId: commitment.tenantId,
      storeId: commitment.storeId,
      batchId,
      eventId: null,
      policyId: verdict.policy.id,
      policyHash: hexToBytes(policyHashHex(verdict.policy)),
      policyLimit: rawLimit(verdict.policy),
      allCompliant: verdict.allCompliant,
      compliantCount: verdict.compliantCount,
      proofHash: verdict.proofHash,
      proofSize: verdict.proofSize,
      provingTimeMs: verdict.provingTimeMs,
      securityBits: verdict.securityBits,
      proverId: input.proverId,
      bundleJson: stringifyJsonExact(input.bundle as ExactJsonValue),
      submittedBy: p.actor,
      submittedAt: new Date().toISOString(),
      anchor: null,
    };
    await this.store.proofs.insertProof(record);
    await this.service.audit(p, "proof.accept", record.tenantId, record.proofId, {
      kind: record.kind,
      batch_id: batchId,
      policy_id: record.policyId,
      proof_hash: bytesToHex(record.proofHash),
    });
    return record;
  }
}
