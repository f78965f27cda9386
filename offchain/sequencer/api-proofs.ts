/**
 * The proof routes (ves-protocol.md §9.1 "Validity and compliance proofs", JSON camelCase) over `ProofService`:
 *
 * - `POST /api/v1/admin/prover-keys` — a prover key (bootstrap admin only; shown once).
 * - Compliance, per event: `GET /api/v1/ves/compliance/{event_id}/inputs?policy_id&policy_limit`,
 *   `GET|POST /api/v1/ves/compliance/{event_id}/proofs`, `GET /api/v1/ves/compliance/proofs/{proof_id}[/verify]`.
 * - Validity, per commitment: `GET /api/v1/ves/validity/pending?limit`, `GET /api/v1/ves/validity/{batch_id}/inputs`,
 *   `GET /api/v1/ves/validity/{batch_id}/events`, `GET|POST /api/v1/ves/validity/{batch_id}/proofs`,
 *   `POST /api/v1/ves/validity/{batch_id}/claim[/renew|/release] {proverId, leaseMs}`,
 *   `GET /api/v1/ves/validity/proofs/{proof_id}[/verify]`.
 */
import type { FastifyRequest } from "fastify";

import { policyHashHex, policyParams, rawLimit } from "../stark";
import { amountFieldOf, bytesToHex, normalizeUuid, parseJsonExact, type ExactJsonValue } from "../ves";
import { apiKeyJson, type AdminRouteContext, type SequencerApp } from "./api-admin";
import {
  MAX_LEASE_MS,
  MAX_PENDING,
  ProofService,
  claimJson,
  policyArg,
  proofJson,
  type ProofServiceOptions,
} from "./proofs";
import type { ProofKind } from "./store/proofs";
import type { StoredCommitment, StoredEvent } from "./store/types";

const hex = (b: Uint8Array) => bytesToHex(b);
const PROVER_ID = { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._:-]+$" } as const;
const LIMIT = {
  anyOf: [
    { type: "string", pattern: "^[0-9]{1,20}$" },
    { type: "integer", minimum: 0 },
  ],
} as const;

/** The commitment fields of the validity inputs (camelCase, hex without `0x`). */
function commitmentInputs(c: StoredCommitment): Record<string, unknown> {
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
function eventInputs(e: StoredEvent): Record<string, unknown> {
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
function eventJson(e: StoredEvent): Record<string, unknown> {
  return {
    sequenceNumber: e.sequenceNumber,
    eventId: e.eventId,
    eventSigningHash: hex(e.eventSigningHash),
    agentSignature: hex(e.agentSignature),
    envelope: parseJsonExact(e.envelopeJson),
  };
}

/** Registers the proof routes on `app`; returns the proof service they use. */
export function registerProofRoutes(
  app: SequencerApp,
  ctx: AdminRouteContext,
  options: ProofServiceOptions = {},
): ProofService {
  const { service, auth, sendJson, security, uuidSchema } = ctx;
  const proofs = new ProofService(service, options);
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
  const param = (req: FastifyRequest, name: string) => normalizeUuid((req.params as Record<string, string>)[name]!);
  const submitInput = (req: FastifyRequest) => {
    const b = req.body as { bundle: unknown; proverId?: string; policyId?: string; policyLimit?: unknown };
    return {
      bundle: b.bundle,
      proverId: b.proverId ?? null,
      expected: b.policyId === undefined ? null : policyArg(b.policyId, b.policyLimit),
    };
  };

  app.post(
    "/api/v1/admin/prover-keys",
    {
      schema: {
        summary: "Create a prover key (bootstrap admin): the proof routes across tenants, nothing else; shown once",
        security,
        body: {
          type: "object",
          properties: {
            label: { type: "string", maxLength: 256 },
            rate_limit: { type: "integer", minimum: 1, maximum: 1_000_000 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as { label?: string; rate_limit?: number | bigint };
      const created = await proofs.createProverKey(await auth(req), {
        label: b.label ?? null,
        rateLimit: b.rate_limit === undefined ? null : Number(b.rate_limit),
      });
      return sendJson(
        reply,
        { api_key: created.apiKey, ...apiKeyJson(created.info), message: "Store this key now: it is not shown again" },
        201,
      );
    },
  );

  // Compliance (per event) ---------------------------------------------------------------------------------------
  app.get(
    "/api/v1/ves/compliance/:event_id/inputs",
    {
      schema: {
        summary: "The unbound public inputs of a compliance proof of this event under a policy (raw limit)",
        security,
        params: eventParams,
        querystring: policyQuery,
      },
    },
    async (req, reply) => {
      const q = req.query as { policy_id: string; policy_limit: string };
      const p = await auth(req);
      const policy = policyArg(q.policy_id, q.policy_limit);
      return sendJson(reply, await proofs.complianceInputs(p, param(req, "event_id"), policy));
    },
  );

  const listRoute = (kind: ProofKind, path: string, paramName: string) =>
    app.get(
      path,
      {
        schema: {
          summary: `The accepted ${kind} proofs of this ${kind === "compliance" ? "event" : "commitment"}, oldest first`,
          security,
          params: paramName === "event_id" ? eventParams : batchParams,
        },
      },
      async (req, reply) => {
        const list = await proofs.listProofs(await auth(req), kind, param(req, paramName));
        return sendJson(reply, { proofs: list.map((x) => proofJson(x, false)), count: list.length });
      },
    );
  listRoute("compliance", "/api/v1/ves/compliance/:event_id/proofs", "event_id");
  listRoute("validity", "/api/v1/ves/validity/:batch_id/proofs", "batch_id");

  app.post(
    "/api/v1/ves/compliance/:event_id/proofs",
    {
      schema: {
        summary:
          "Submit a compliance proof bundle of this event (prover): verified against the stored event and the policy " +
          "before it is stored; refusals are 422 with the failing check's code",
        security,
        params: eventParams,
        body: submitBody,
      },
    },
    async (req, reply) => {
      const record = await proofs.submitCompliance(await auth(req), param(req, "event_id"), submitInput(req));
      return sendJson(reply, proofJson(record, false), 201);
    },
  );

  const proofRoutes = (kind: ProofKind) => {
    app.get(
      `/api/v1/ves/${kind}/proofs/:proof_id`,
      { schema: { summary: `One accepted ${kind} proof with its bundle`, security, params: proofParams } },
      async (req, reply) =>
        sendJson(reply, proofJson(await proofs.getProof(await auth(req), kind, param(req, "proof_id")), true)),
    );
    app.get(
      `/api/v1/ves/${kind}/proofs/:proof_id/verify`,
      { schema: { summary: `Verify a stored ${kind} proof again`, security, params: proofParams } },
      async (req, reply) => {
        const { proof, check } = await proofs.verifyStored(await auth(req), kind, param(req, "proof_id"));
        return sendJson(reply, { ...proofJson(proof, false), ...check });
      },
    );
  };
  proofRoutes("compliance");
  proofRoutes("validity");

  // Validity (per commitment) ------------------------------------------------------------------------------------
  app.get(
    "/api/v1/ves/validity/pending",
    {
      schema: {
        summary: "Commitments without a validity proof, oldest first, across tenants, with their leases (prover)",
        security,
        querystring: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: MAX_PENDING } } },
      },
    },
    async (req, reply) => {
      const q = req.query as { limit?: number };
      const list = await proofs.pending(await auth(req), q.limit ?? 100);
      const pending = list.map((x) => ({ ...commitmentInputs(x.commitment), claim: claimJson(x.claim) }));
      return sendJson(reply, { pending, count: pending.length });
    },
  );

  app.get(
    "/api/v1/ves/validity/:batch_id/inputs",
    {
      schema: {
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
      },
    },
    async (req, reply) => {
      const q = req.query as { policy_id?: string; policy_limit?: string };
      const p = await auth(req);
      const policy = q.policy_id === undefined ? null : policyArg(q.policy_id, q.policy_limit);
      const { commitment, events } = await proofs.commitmentEvents(p, param(req, "batch_id"));
      return sendJson(reply, {
        ...commitmentInputs(commitment),
        policy:
          policy === null
            ? null
            : {
                policyId: policy.id,
                policyParams: policyParams(policy),
                policyHash: policyHashHex(policy),
                policyLimit: rawLimit(policy),
              },
        events: events.map(eventInputs),
      });
    },
  );

  app.get(
    "/api/v1/ves/validity/:batch_id/events",
    {
      schema: {
        summary: "The events this commitment covers, in sequence order, with envelopes (prover, or read permission)",
        security,
        params: batchParams,
      },
    },
    async (req, reply) => {
      const { commitment, events } = await proofs.commitmentEvents(await auth(req), param(req, "batch_id"));
      return sendJson(reply, { commitment: commitmentInputs(commitment), events: events.map(eventJson) });
    },
  );

  app.post(
    "/api/v1/ves/validity/:batch_id/proofs",
    {
      schema: {
        summary:
          "Submit a batch proof of this commitment (prover): verified against the commitment's events, roots and " +
          "the policy before it is stored; 501 BATCH_PROOFS_UNAVAILABLE while the sequencer has no batch verifier",
        security,
        params: batchParams,
        body: submitBody,
      },
    },
    async (req, reply) => {
      const record = await proofs.submitValidity(await auth(req), param(req, "batch_id"), submitInput(req));
      return sendJson(reply, proofJson(record, false), 201);
    },
  );

  const claimBody = {
    type: "object",
    required: ["proverId"],
    properties: { proverId: PROVER_ID, leaseMs: { type: "integer", minimum: 1, maximum: MAX_LEASE_MS } },
  } as const;
  for (const [action, suffix] of [
    ["claim", ""],
    ["renew", "/renew"],
    ["release", "/release"],
  ] as const) {
    app.post(
      `/api/v1/ves/validity/:batch_id/claim${suffix}`,
      {
        schema: {
          summary:
            action === "claim"
              ? "Lease this commitment for proving (prover): 200 with the lease, 409 CLAIM_HELD if another holds it"
              : `${action === "renew" ? "Extend" : "Give up"} this prover's lease (409 CLAIM_NOT_HELD otherwise)`,
          security,
          params: batchParams,
          body: claimBody,
        },
      },
      async (req, reply) => {
        const b = req.body as { proverId: string; leaseMs?: number };
        const claim = await proofs.claim(
          await auth(req),
          action,
          param(req, "batch_id"),
          b.proverId,
          b.leaseMs ?? 60_000,
        );
        return sendJson(reply, { claim: claimJson(claim), released: action === "release" });
      },
    );
  }
  return proofs;
}
