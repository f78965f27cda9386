/** JSON schemas of the proof routes (`routes.ts`). */
import { errorSchema, security, uuidSchema } from "../http";
import type { ProofKind } from "../store";
import { MAX_LEASE_MS, MAX_PENDING } from "./service";

const PROVER_ID = { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._:-]+$" } as const;
const LIMIT = {
  anyOf: [
    { type: "string", pattern: "^[0-9]{1,20}$" },
    { type: "integer", minimum: 0 },
  ],
} as const;
const eventParams = { type: "object", required: ["event_id"], properties: { event_id: uuidSchema } } as const;
const batchParams = { type: "object", required: ["batch_id"], properties: { batch_id: uuidSchema } } as const;
const proofParams = { type: "object", required: ["proof_id"], properties: { proof_id: uuidSchema } } as const;
const policyQuery = {
  type: "object",
  required: ["policy_id", "policy_limit"],
  properties: {
    policy_id: { type: "string", maxLength: 64 },
    policy_limit: { type: "string", pattern: "^[0-9]{1,20}$" },
  },
} as const;
const submitBody = {
  type: "object",
  required: ["bundle"],
  properties: {
    bundle: { type: "object" },
    proverId: PROVER_ID,
    policyId: { type: "string", maxLength: 64 },
    policyLimit: LIMIT,
  },
} as const;
const claimBody = {
  type: "object",
  required: ["proverId"],
  properties: { proverId: PROVER_ID, leaseMs: { type: "integer", minimum: 1, maximum: MAX_LEASE_MS } },
} as const;

export const proverKeySchema = {
  summary: "Create a prover key (bootstrap admin): the proof routes across tenants, nothing else; shown once",
  security,
  body: {
    type: "object",
    properties: {
      label: { type: "string", maxLength: 256 },
      rate_limit: { type: "integer", minimum: 1, maximum: 1_000_000 },
    },
  },
};

export const complianceInputsSchema = {
  summary: "The unbound public inputs of a compliance proof of this event under a policy (raw limit)",
  security,
  params: eventParams,
  querystring: policyQuery,
};

/** The schema of a proof list route: per event (compliance) or per commitment (validity). */
export const listProofsSchema = (kind: ProofKind) => ({
  summary: `The accepted ${kind} proofs of this ${kind === "compliance" ? "event" : "commitment"}, oldest first`,
  security,
  params: kind === "compliance" ? eventParams : batchParams,
});

export const submitComplianceSchema = {
  summary:
    "Submit a compliance proof bundle of this event (prover): verified against the stored event and the policy " +
    "before it is stored; refusals are 422 with the failing check's code",
  security,
  params: eventParams,
  body: submitBody,
};

export const getProofSchema = (kind: ProofKind) => ({
  summary: `One accepted ${kind} proof with its bundle`,
  security,
  params: proofParams,
});

export const verifyProofSchema = (kind: ProofKind) => ({
  summary: `Verify a stored ${kind} proof again`,
  security,
  params: proofParams,
});

export const pendingSchema = {
  summary: "Commitments without a validity proof, oldest first, across tenants, with their leases (prover)",
  security,
  querystring: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: MAX_PENDING } } },
};

export const validityInputsSchema = {
  summary:
    "The public inputs of a batch statement about this commitment: the commitment (range, merkle_root, " +
    "prev/new state roots) and per event its scope, amount commitment (plaintext payloads), signing hash and " +
    "agent signature; with policy_id and policy_limit, the policy, its hash and raw limit",
  security,
  params: batchParams,
  querystring: {
    type: "object",
    properties: {
      policy_id: { type: "string", maxLength: 64 },
      policy_limit: { type: "string", pattern: "^[0-9]{1,20}$" },
    },
  },
  response: {
    200: {
      type: "object",
      required: ["batchId", "merkleRoot", "prevStateRoot", "newStateRoot", "policy", "events"],
      properties: {
        batchId: { type: "string" },
        tenantId: { type: "string" },
        storeId: { type: "string" },
        sequenceStart: { type: "integer" },
        sequenceEnd: { type: "integer" },
        leafCount: { type: "integer" },
        paddedLeafCount: { type: "integer" },
        treeDepth: { type: "integer" },
        merkleRoot: { type: "string", description: "64 hex digits" },
        prevStateRoot: { type: "string" },
        newStateRoot: { type: "string" },
        committedAt: { type: "string" },
        policy: {
          description: "null unless policy_id and policy_limit are given",
          anyOf: [
            { type: "null" },
            {
              type: "object",
              required: ["policyId", "policyParams", "policyHash", "policyLimit"],
              properties: {
                policyId: { type: "string", enum: ["aml.threshold", "order_total.cap"] },
                policyParams: { type: "object", description: "{threshold} or {cap}: the raw limit" },
                policyHash: { type: "string" },
                policyLimit: { type: "integer", description: "the raw limit (u64)" },
              },
            },
          ],
        },
        events: {
          type: "array",
          description: "in sequence order, one per event of the commitment",
          items: {
            type: "object",
            required: ["sequenceNumber", "eventId", "scope", "amountCommitment", "eventSigningHash", "agentSignature"],
            properties: {
              sequenceNumber: { type: "integer" },
              eventId: { type: "string" },
              eventType: { type: "string" },
              scope: { type: "string", enum: ["in_scope", "out_of_scope"] },
              amountField: { type: ["string", "null"] },
              payloadKind: { type: "integer", enum: [0, 1] },
              amountCommitment: {
                type: ["string", "null"],
                description: "C of a plaintext payload (64 hex); null when encrypted (only recipients can read it)",
              },
              eventSigningHash: { type: "string" },
              agentSignature: { type: "string" },
            },
          },
        },
      },
    },
    "4xx": errorSchema,
  },
};

export const validityEventsSchema = {
  summary: "The events this commitment covers, in sequence order, with envelopes (prover, or read permission)",
  security,
  params: batchParams,
};

export const submitValiditySchema = {
  summary:
    "Submit a batch proof of this commitment (prover): verified against the commitment's events, roots and " +
    "the policy before it is stored; 501 BATCH_PROOFS_UNAVAILABLE while the sequencer has no batch verifier",
  security,
  params: batchParams,
  body: submitBody,
};

/** The schema of a lease route: claim, renew or release. */
export const claimSchema = (action: "claim" | "renew" | "release") => ({
  summary:
    action === "claim"
      ? "Lease this commitment for proving (prover): 200 with the lease, 409 CLAIM_HELD if another holds it"
      : `${action === "renew" ? "Extend" : "Give up"} this prover's lease (409 CLAIM_NOT_HELD otherwise)`,
  security,
  params: batchParams,
  body: claimBody,
});

/**
 * A u64 as a JSON integer or a decimal string, range-checked by the handler (400 INVALID_FIELD_VALUE). The route turns
 * an integer into its decimal string before validation (`routes.ts`): the app coerces types, so an integer branch
 * would read a string such as "0x10" or "1e3" as a number, and an integer above 2^53 arrives as a bigint, which no
 * JSON-schema type matches.
 */
const U64 = { type: "string", pattern: "^[0-9]{1,20}$" } as const;

/** The anchor of a validity proof as the proof routes show it. */
const anchorSchema = {
  type: ["object", "null"],
  description: "the on-chain transaction that anchored this validity proof (null: not anchored, or compliance)",
  required: ["chainId", "txHash", "blockNumber", "anchoredAt"],
  properties: {
    chainId: { type: "integer" },
    txHash: { type: "string", description: "0x and 64 hex digits" },
    blockNumber: { type: "integer" },
    anchoredAt: { type: "string", format: "date-time" },
  },
} as const;

/** A stored proof as the proof routes show it (without the bundle), with its anchor. */
const proofRecordProperties = {
  proofId: { type: "string" },
  proofType: { type: "string", enum: ["compliance", "validity"] },
  tenantId: { type: "string" },
  storeId: { type: "string" },
  batchId: { type: ["string", "null"] },
  eventId: { type: ["string", "null"] },
  policyId: { type: "string" },
  policyHash: { type: "string" },
  policyLimit: { type: "integer" },
  allCompliant: { type: "boolean" },
  compliantCount: { type: "integer" },
  proofHash: { type: "string" },
  proofSize: { type: "integer" },
  provingTimeMs: { type: "integer" },
  securityBits: { type: "integer" },
  proverId: { type: ["string", "null"] },
  submittedAt: { type: "string" },
  anchor: anchorSchema,
} as const;

export const markProofAnchoredSchema = {
  summary:
    "Record the transaction that anchored a validity proof (anchor service; bootstrap admin): 200 with the record " +
    "(status anchored, or already_anchored for the same transaction); 409 PROOF_ALREADY_ANCHORED when another " +
    "transaction is recorded; 404 PROOF_NOT_FOUND for an unknown or compliance proof",
  security,
  params: proofParams,
  body: {
    type: "object",
    required: ["chainId", "txHash", "blockNumber"],
    additionalProperties: false,
    properties: {
      chainId: { ...U64, description: "the chain id (u64, from 1): a JSON integer or a decimal string" },
      txHash: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" },
      blockNumber: { ...U64, description: "the block of the transaction (u64): a JSON integer or a decimal string" },
    },
  },
  response: {
    200: {
      type: "object",
      required: ["proofId", "status", "anchor"],
      properties: { ...proofRecordProperties, status: { type: "string", enum: ["anchored", "already_anchored"] } },
    },
    "4xx": errorSchema,
  },
};

export const unmarkProofAnchoredSchema = {
  summary:
    "Clear the anchor of a validity proof whose block was reorganised away (anchor service; bootstrap admin): 200 " +
    "with status unanchored, or not_anchored when none was recorded (unchanged); 404 PROOF_NOT_FOUND",
  security,
  params: proofParams,
  response: {
    200: {
      type: "object",
      required: ["status", "proof"],
      properties: {
        status: { type: "string", enum: ["unanchored", "not_anchored"] },
        proof: { type: "object", properties: proofRecordProperties },
      },
    },
    "4xx": errorSchema,
  },
};
