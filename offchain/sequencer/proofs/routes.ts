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
 * - Anchoring (anchor service, bootstrap admin): `POST|DELETE /api/v1/ves/validity/proofs/{proof_id}/anchored`.
 */
import type { FastifyRequest } from "fastify";

import { policyHashHex, policyParams, rawLimit } from "../../stark";
import { normalizeUuid } from "../../ves";
import type { RouteContext, RoutePlugin, SequencerApp } from "../http";
import type { ProofKind } from "../store";
import { apiKeyJson } from "../tenants";
import { markProofAnchored, unmarkProofAnchored, type ProofAnchorInput } from "./anchor";
import { claimJson, commitmentInputs, eventInputs, proofJson, proverEventJson } from "./json";
import {
  claimSchema,
  complianceInputsSchema,
  getProofSchema,
  listProofsSchema,
  markProofAnchoredSchema,
  pendingSchema,
  proverKeySchema,
  submitComplianceSchema,
  submitValiditySchema,
  unmarkProofAnchoredSchema,
  validityEventsSchema,
  validityInputsSchema,
  verifyProofSchema,
} from "./route-schemas";
import { ProofService, policyArg } from "./service";

/** What every group of proof routes uses. */
interface ProofRouteContext extends RouteContext {
  readonly proofs: ProofService;
}

const param = (req: FastifyRequest, name: string) => normalizeUuid((req.params as Record<string, string>)[name]!);
const submitInput = (req: FastifyRequest) => {
  const b = req.body as { bundle: unknown; proverId?: string; policyId?: string; policyLimit?: unknown };
  return {
    bundle: b.bundle,
    proverId: b.proverId ?? null,
    expected: b.policyId === undefined ? null : policyArg(b.policyId, b.policyLimit),
  };
};

/** `POST /api/v1/admin/prover-keys`. */
function proverKeyRoutes(app: SequencerApp, { proofs, auth, sendJson }: ProofRouteContext): void {
  app.post("/api/v1/admin/prover-keys", { schema: proverKeySchema }, async (req, reply) => {
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
  });
}

/** Compliance inputs, the proof lists of both kinds, compliance submission, and reading and re-verifying proofs. */
function complianceRoutes(app: SequencerApp, { proofs, auth, sendJson }: ProofRouteContext): void {
  app.get("/api/v1/ves/compliance/:event_id/inputs", { schema: complianceInputsSchema }, async (req, reply) => {
    const q = req.query as { policy_id: string; policy_limit: string };
    const p = await auth(req);
    const policy = policyArg(q.policy_id, q.policy_limit);
    return sendJson(reply, await proofs.complianceInputs(p, param(req, "event_id"), policy));
  });

  const listRoute = (kind: ProofKind, path: string, paramName: string) =>
    app.get(path, { schema: listProofsSchema(kind) }, async (req, reply) => {
      const list = await proofs.listProofs(await auth(req), kind, param(req, paramName));
      return sendJson(reply, { proofs: list.map((x) => proofJson(x, false)), count: list.length });
    });
  listRoute("compliance", "/api/v1/ves/compliance/:event_id/proofs", "event_id");
  listRoute("validity", "/api/v1/ves/validity/:batch_id/proofs", "batch_id");

  app.post("/api/v1/ves/compliance/:event_id/proofs", { schema: submitComplianceSchema }, async (req, reply) => {
    const record = await proofs.submitCompliance(await auth(req), param(req, "event_id"), submitInput(req));
    return sendJson(reply, proofJson(record, false), 201);
  });

  const proofRoutes = (kind: ProofKind) => {
    app.get(`/api/v1/ves/${kind}/proofs/:proof_id`, { schema: getProofSchema(kind) }, async (req, reply) =>
      sendJson(reply, proofJson(await proofs.getProof(await auth(req), kind, param(req, "proof_id")), true)),
    );
    app.get(`/api/v1/ves/${kind}/proofs/:proof_id/verify`, { schema: verifyProofSchema(kind) }, async (req, reply) => {
      const { proof, check } = await proofs.verifyStored(await auth(req), kind, param(req, "proof_id"));
      return sendJson(reply, { ...proofJson(proof, false), ...check });
    });
  };
  proofRoutes("compliance");
  proofRoutes("validity");
}

/** Validity: pending commitments, their inputs and events, submission, and provers' leases. */
function validityRoutes(app: SequencerApp, { proofs, auth, sendJson }: ProofRouteContext): void {
  app.get("/api/v1/ves/validity/pending", { schema: pendingSchema }, async (req, reply) => {
    const q = req.query as { limit?: number };
    const list = await proofs.pending(await auth(req), q.limit ?? 100);
    const pending = list.map((x) => ({ ...commitmentInputs(x.commitment), claim: claimJson(x.claim) }));
    return sendJson(reply, { pending, count: pending.length });
  });

  app.get("/api/v1/ves/validity/:batch_id/inputs", { schema: validityInputsSchema }, async (req, reply) => {
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
  });

  app.get("/api/v1/ves/validity/:batch_id/events", { schema: validityEventsSchema }, async (req, reply) => {
    const { commitment, events } = await proofs.commitmentEvents(await auth(req), param(req, "batch_id"));
    return sendJson(reply, { commitment: commitmentInputs(commitment), events: events.map(proverEventJson) });
  });

  app.post("/api/v1/ves/validity/:batch_id/proofs", { schema: submitValiditySchema }, async (req, reply) => {
    const record = await proofs.submitValidity(await auth(req), param(req, "batch_id"), submitInput(req));
    return sendJson(reply, proofJson(record, false), 201);
  });

  for (const [action, suffix] of [
    ["claim", ""],
    ["renew", "/renew"],
    ["release", "/release"],
  ] as const) {
    app.post(`/api/v1/ves/validity/:batch_id/claim${suffix}`, { schema: claimSchema(action) }, async (req, reply) => {
      const b = req.body as { proverId: string; leaseMs?: number };
      const claim = await proofs.claim(
        await auth(req),
        action,
        param(req, "batch_id"),
        b.proverId,
        b.leaseMs ?? 60_000,
      );
      return sendJson(reply, { claim: claimJson(claim), released: action === "release" });
    });
  }
}

/** Recording and clearing the transaction that anchored a validity proof (anchor service, bootstrap admin). */
function anchorRoutes(app: SequencerApp, { service, auth, sendJson }: ProofRouteContext): void {
  const path = "/api/v1/ves/validity/proofs/:proof_id/anchored";
  // Integers (bigints above 2^53) are validated as their decimal strings (route-schemas.ts, `U64`).
  const preValidation = async (req: FastifyRequest) => {
    const b = req.body as Record<string, unknown> | null;
    if (typeof b !== "object" || b === null) return;
    for (const k of ["chainId", "blockNumber"]) {
      const v = b[k];
      if (typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v))) b[k] = v.toString();
    }
  };
  app.post(path, { schema: markProofAnchoredSchema, preValidation }, async (req, reply) => {
    const p = await auth(req);
    const out = await markProofAnchored(service, p, param(req, "proof_id"), req.body as ProofAnchorInput);
    return sendJson(reply, { ...proofJson(out.proof, false), status: out.status });
  });
  app.delete(path, { schema: unmarkProofAnchoredSchema }, async (req, reply) => {
    const out = await unmarkProofAnchored(service, await auth(req), param(req, "proof_id"));
    return sendJson(reply, { status: out.status, proof: proofJson(out.proof, false) });
  });
}

/** Registers the proof routes over a `ProofService` of the context's sequencer service. */
export const proofRoutes: RoutePlugin = async (app, ctx) => {
  const proofs = new ProofService(ctx.service, {});
  const proofCtx: ProofRouteContext = { ...ctx, proofs };
  proverKeyRoutes(app, proofCtx);
  complianceRoutes(app, proofCtx);
  validityRoutes(app, proofCtx);
  anchorRoutes(app, proofCtx);
};
