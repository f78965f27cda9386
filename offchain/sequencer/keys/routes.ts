/**
 * The key routes: the sequencer's receipt-signing keys (`GET /api/v1/ves/sequencer-key`, a route the reference
 * lacks) and agents' Ed25519 keys (the reference's `POST /api/v1/agents/keys`, plus list and revoke).
 */
import { bytesToHex, hexToBytes, normalizeUuid } from "../../ves";
import type { RoutePlugin } from "../http";
import { agentKeyJson } from "./agent-keys";
import { listAgentKeysSchema, registerAgentKeySchema, revokeAgentKeySchema, sequencerKeySchema } from "./route-schemas";

/** Registers `GET /api/v1/ves/sequencer-key`. */
export const sequencerKeyRoutes: RoutePlugin = async (app, { service, sendJson }) => {
  app.get("/api/v1/ves/sequencer-key", { schema: sequencerKeySchema }, async (_req, reply) => {
    const keys = await service.sequencerKeys();
    return sendJson(reply, {
      sequencer_id: service.sequencerId,
      current_version: service.keyVersion,
      keys: keys.map((k) => ({
        sequencer_id: k.sequencerId,
        version: k.version,
        algorithm: "ed25519",
        public_key: bytesToHex(k.publicKey),
        current: k.sequencerId === service.sequencerId && k.version === service.keyVersion,
        origin: k.origin,
        created_at: k.createdAt,
      })),
    });
  });
};

/** Registers the agent-key routes. */
export const agentKeyRoutes: RoutePlugin = async (app, { service, auth, sendJson }) => {
  app.post("/api/v1/agents/keys", { schema: registerAgentKeySchema }, async (req, reply) => {
    const b = req.body as {
      tenantId: string;
      agentId: string;
      keyId: number | bigint;
      publicKey: string;
      validFrom?: string;
      validTo?: string;
    };
    const key = await service.registerAgentKey(await auth(req), {
      tenantId: normalizeUuid(b.tenantId),
      agentId: normalizeUuid(b.agentId),
      keyId: Number(b.keyId),
      publicKey: hexToBytes(b.publicKey, { length: 32 }),
      validFrom: b.validFrom ?? null,
      validTo: b.validTo ?? null,
    });
    return sendJson(reply, {
      success: true,
      tenantId: key.tenantId,
      agentId: key.agentId,
      keyId: key.keyId,
      keyAlgorithm: 1,
      message: "Agent key registered successfully",
    });
  });

  app.get("/api/v1/agents/keys", { schema: listAgentKeysSchema }, async (req, reply) => {
    const q = req.query as { tenant_id: string; agent_id: string };
    const keys = await service.listAgentKeys(await auth(req), normalizeUuid(q.tenant_id), normalizeUuid(q.agent_id));
    return sendJson(reply, { keys: keys.map(agentKeyJson), count: keys.length });
  });

  app.post("/api/v1/agents/keys/revoke", { schema: revokeAgentKeySchema }, async (req, reply) => {
    const b = req.body as { tenantId: string; agentId: string; keyId: number | bigint };
    const key = await service.revokeAgentKey(
      await auth(req),
      normalizeUuid(b.tenantId),
      normalizeUuid(b.agentId),
      Number(b.keyId),
    );
    return sendJson(reply, { success: true, key: agentKeyJson(key) });
  });
};
