/** JSON schemas of the key routes (`keys/routes.ts`): the sequencer's receipt keys and agents' signing keys. */
import { security, uuidSchema } from "../http";

const KEY_ID = { type: "integer", minimum: 0, maximum: 4294967295 } as const;

export const sequencerKeySchema = {
  summary:
    "Every receipt-signing public key with its version (this sequencer's first, then imported sequencers'); " +
    "a receipt verifies under the key of its sequencerId and sequencerKeyVersion",
};

export const registerAgentKeySchema = {
  summary: "Register an agent's Ed25519 key (tenant admin)",
  security,
  body: {
    type: "object",
    required: ["tenantId", "agentId", "keyId", "publicKey"],
    properties: {
      tenantId: uuidSchema,
      agentId: uuidSchema,
      keyId: KEY_ID,
      publicKey: { type: "string", pattern: "^(0x)?[0-9a-fA-F]{64}$" },
      validFrom: { type: "string", format: "date-time" },
      validTo: { type: "string", format: "date-time" },
    },
  },
};

export const listAgentKeysSchema = {
  summary: "List an agent's keys",
  security,
  querystring: {
    type: "object",
    required: ["tenant_id", "agent_id"],
    properties: { tenant_id: uuidSchema, agent_id: uuidSchema },
  },
};

export const revokeAgentKeySchema = {
  summary: "Revoke an agent key (tenant admin); its new events are rejected",
  security,
  body: {
    type: "object",
    required: ["tenantId", "agentId", "keyId"],
    properties: { tenantId: uuidSchema, agentId: uuidSchema, keyId: KEY_ID },
  },
};
