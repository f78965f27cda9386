/**
 * JSON schemas of the commitment routes: commit, list, one commitment, inclusion proofs (`routes.ts`), and the
 * anchor-service compatibility routes (`anchor-routes.ts`).
 */
import { security, streamQuery, u64String, uuidSchema } from "../http";

const HASH = { type: "string", pattern: "^[0-9a-fA-F]{64}$" } as const;
const batchParams = { type: "object", properties: { batch_id: uuidSchema } } as const;

export const commitSchema = {
  summary: "Commit a sequence range of a stream (idempotent for the same range)",
  security,
  body: {
    type: "object",
    required: ["tenant_id", "store_id", "sequence_start", "sequence_end"],
    properties: { tenant_id: uuidSchema, store_id: uuidSchema, sequence_start: {}, sequence_end: {} },
  },
};

export const listCommitmentsSchema = {
  summary: "A stream's commitments; without `anchored`, only unanchored ones (as the reference)",
  security,
  querystring: {
    ...streamQuery,
    properties: {
      ...streamQuery.properties,
      anchored: { type: "string", enum: ["true", "false", "all"] },
      after: u64String,
      limit: { type: "integer", minimum: 1, maximum: 1000 },
    },
  },
};

export const commitmentSchema = {
  summary: "One commitment with its anchoring",
  security,
  params: batchParams,
};

export const inclusionProofSchema = {
  summary: "Inclusion proof of an event in its commitment",
  security,
  params: { type: "object", properties: { sequence_number: u64String } },
  querystring: { ...streamQuery, properties: { ...streamQuery.properties, batch_id: uuidSchema } },
};

export const verifyProofSchema = {
  summary: "Verify an inclusion proof (plain hex, no 0x)",
  security,
  body: {
    type: "object",
    required: ["leaf_hash", "merkle_root", "proof_path", "leaf_index"],
    properties: {
      leaf_hash: HASH,
      merkle_root: HASH,
      proof_path: { type: "array", maxItems: 64, items: HASH },
      leaf_index: { type: "integer", minimum: 0, maximum: 2 ** 53 - 1 },
      leaf_count: { type: "integer", minimum: 1, maximum: 2 ** 31 },
    },
  },
};

export const pendingAnchorsSchema = {
  summary: "Unanchored commitments of every stream, oldest first (anchor service)",
  security,
  querystring: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: 5000 } } },
};

export const markAnchoredSchema = {
  summary: "Record the anchoring transaction of a commitment (anchor service)",
  security,
  params: batchParams,
  body: {
    type: "object",
    required: ["chain_tx_hash", "chain_id"],
    properties: {
      chain_tx_hash: { type: "string", pattern: "^(0x)?[0-9a-fA-F]{64}$" },
      chain_id: { type: "integer", minimum: 1, maximum: 4294967295 },
      block_number: { type: ["integer", "null"], minimum: 0 },
      gas_used: { type: ["integer", "null"], minimum: 0 },
    },
  },
};

export const unmarkAnchoredSchema = {
  summary: "Clear the anchoring of a commitment whose block was reorganised away (anchor service)",
  security,
  params: batchParams,
};

const HOLDER = { type: "string", minLength: 1, maxLength: 128 } as const;
const LEASE_MS = { type: "integer", minimum: 1000, maximum: 3_600_000 } as const;
const leaseBody = {
  type: "object",
  required: ["holderId", "leaseMs"],
  additionalProperties: false,
  properties: { holderId: HOLDER, leaseMs: LEASE_MS },
} as const;

export const takeLeaseSchema = {
  summary: "Take the anchor lease (one anchor process per sequencer)",
  security,
  body: leaseBody,
};

export const renewLeaseSchema = {
  summary: "Renew the caller's anchor lease (or re-take a lapsed one)",
  security,
  body: leaseBody,
};

export const releaseLeaseSchema = {
  summary: "Give the anchor lease up",
  security,
  body: { type: "object", required: ["holderId"], additionalProperties: false, properties: { holderId: HOLDER } },
};
