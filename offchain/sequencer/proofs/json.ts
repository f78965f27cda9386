/** The JSON forms of the proof routes (camelCase, hex without `0x`): stored proofs, leases, commitments and events. */
import { amountFieldOf, bytesTo0xHex, bytesToHex, parseJsonExact, type ExactJsonValue } from "../../ves";
import type { ProofClaim, StoredProof } from "../store";
import type { StoredCommitment, StoredEvent } from "../store";

const hex = (b: Uint8Array) => bytesToHex(b);

/** The commitment fields of the validity inputs (camelCase, hex without `0x`). */
export function commitmentInputs(c: StoredCommitment): Record<string, unknown> {
  return {
    batchId: c.batchId,
    tenantId: c.tenantId,
    storeId: c.storeId,
    sequenceStart: c.sequenceStart,
    sequenceEnd: c.sequenceEnd,
    leafCount: c.leafCount,
    paddedLeafCount: c.paddedLeafCount,
    treeDepth: c.treeDepth,
    merkleRoot: hex(c.merkleRoot),
    prevStateRoot: hex(c.prevStateRoot),
    newStateRoot: hex(c.newStateRoot),
    committedAt: c.committedAt,
  };
}

/**
 * One event's public part of the batch statement, from the stored envelope: scope by the amount-field table
 * (`in_scope` when the event type has an amount field), the amount commitment C of a plaintext payload, the signing
 * hash and the agent signature. Encrypted payloads show `amountCommitment: null`: only recipients can read it.
 */
export function eventInputs(e: StoredEvent): Record<string, unknown> {
  const env = parseJsonExact(e.envelopeJson) as Record<string, ExactJsonValue>;
  const eventType = typeof env.event_type === "string" ? env.event_type : "";
  const field = amountFieldOf(eventType);
  const payload = env.payload;
  const plain = typeof payload === "object" && payload !== null && !Array.isArray(payload) ? payload : null;
  const c = plain?.amountCommitment;
  return {
    sequenceNumber: e.sequenceNumber,
    eventId: e.eventId,
    eventType,
    scope: field === undefined ? "out_of_scope" : "in_scope",
    amountField: field ?? null,
    payloadKind: Number(env.payload_kind ?? 0),
    amountCommitment: typeof c === "string" && /^[0-9a-f]{64}$/.test(c) ? c : null,
    eventSigningHash: hex(e.eventSigningHash),
    agentSignature: hex(e.agentSignature),
  };
}

/** The REST form of an event for the prover: envelope, hashes, sequence. */
export function proverEventJson(e: StoredEvent): Record<string, unknown> {
  return {
    sequenceNumber: e.sequenceNumber,
    eventId: e.eventId,
    eventSigningHash: hex(e.eventSigningHash),
    agentSignature: hex(e.agentSignature),
    envelope: parseJsonExact(e.envelopeJson),
  };
}

/**
 * The JSON form of a stored proof (camelCase; hashes as hex without `0x`, but the anchoring transaction's hash with
 * `0x`, as the chain and the anchor route take it); `withBundle` adds the bundle.
 */
export function proofJson(p: StoredProof, withBundle: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    proofId: p.proofId,
    proofType: p.kind,
    tenantId: p.tenantId,
    storeId: p.storeId,
    batchId: p.batchId,
    eventId: p.eventId,
    policyId: p.policyId,
    policyHash: bytesToHex(p.policyHash),
    policyLimit: p.policyLimit,
    allCompliant: p.allCompliant,
    compliantCount: p.compliantCount,
    proofHash: bytesToHex(p.proofHash),
    proofSize: p.proofSize,
    provingTimeMs: p.provingTimeMs,
    securityBits: p.securityBits,
    proverId: p.proverId,
    submittedAt: p.submittedAt,
    anchor:
      p.anchor === null
        ? null
        : {
            chainId: p.anchor.chainId,
            txHash: bytesTo0xHex(p.anchor.txHash),
            blockNumber: p.anchor.blockNumber,
            anchoredAt: p.anchor.anchoredAt,
          },
  };
  if (withBundle) out.bundle = parseJsonExact(p.bundleJson);
  return out;
}

/** The JSON form of a lease. */
export function claimJson(c: ProofClaim | null): Record<string, unknown> | null {
  if (c === null) return null;
  return {
    batchId: c.batchId,
    proverId: c.proverId,
    claimedAt: c.claimedAt,
    expiresAt: new Date(c.expiresAtMs).toISOString(),
  };
}
