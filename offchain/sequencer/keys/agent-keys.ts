/**
 * Agents' Ed25519 signing keys (ves-protocol.md §5): registration and revocation (tenant-wide admin), listing, the
 * cached lookup ingest uses per event, and the validity rule (`agentKeyProblem`).
 */
import { bytesToHex } from "../../ves";
import { SequencerError } from "../errors";
import { nowRfc3339 } from "../store";
import type { AgentKey, SequencerStore } from "../store";
import { requirePermission, requireTenantWideAdmin, type Principal } from "../auth";
import type { AuditLog } from "../tenants";

/** The store methods agent keys use. */
export type AgentKeyStoreSlice = Pick<
  SequencerStore,
  "getAgentKey" | "insertAgentKey" | "listAgentKeys" | "revokeAgentKey"
>;

/** The REST form of an agent key (snake_case, public key as hex without `0x`). */
export function agentKeyJson(k: AgentKey): Record<string, unknown> {
  return {
    tenant_id: k.tenantId,
    agent_id: k.agentId,
    key_id: k.keyId,
    public_key: bytesToHex(k.publicKey),
    status: k.status,
    valid_from: k.validFrom,
    valid_to: k.validTo,
    revoked_at: k.revokedAt,
    created_at: k.createdAt,
  };
}

/** Whether an agent key is usable now, and if not the reference's message (§5.1). */
export function agentKeyProblem(key: AgentKey | null, now: number): string | undefined {
  if (key === null) return "Agent key not found";
  if (key.status === "revoked" || (key.revokedAt !== null && Date.parse(key.revokedAt) <= now)) {
    return "Agent key has been revoked";
  }
  if (key.validTo !== null && now > Date.parse(key.validTo)) return "Agent key has expired";
  if (key.validFrom !== null && now < Date.parse(key.validFrom)) return "Agent key is not yet valid";
  return undefined;
}

/** Agent keys, with a lookup cache of `keyCacheMs`. */
export class AgentKeyService {
  private readonly cache = new Map<string, { key: AgentKey | null; at: number }>();

  constructor(
    private readonly store: AgentKeyStoreSlice,
    private readonly audit: AuditLog,
    private readonly keyCacheMs: number,
  ) {}

  /** A key by tenant, agent and key id (null: none), cached for `keyCacheMs`. */
  async lookup(tenantId: string, agentId: string, keyId: number): Promise<AgentKey | null> {
    const id = `${tenantId}/${agentId}/${keyId}`;
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit !== undefined && now - hit.at < this.keyCacheMs) return hit.key;
    const key = await this.store.getAgentKey(tenantId, agentId, keyId);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { key, at: now });
    return key;
  }

  /** Registers an agent's Ed25519 key (admin of the tenant). @throws SequencerError 409 if it exists. */
  async register(p: Principal, key: Omit<AgentKey, "status" | "revokedAt" | "createdAt">): Promise<AgentKey> {
    requireTenantWideAdmin(p, key.tenantId, "registering agent keys");
    if (key.validFrom !== null && key.validTo !== null && Date.parse(key.validFrom) > Date.parse(key.validTo)) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "validFrom must not be after validTo");
    }
    const full: AgentKey = { ...key, status: "active", revokedAt: null, createdAt: nowRfc3339() };
    if (!(await this.store.insertAgentKey(full))) {
      throw new SequencerError(409, "KEY_ALREADY_EXISTS", `key ${key.keyId} of agent ${key.agentId} already exists`);
    }
    this.cache.delete(`${key.tenantId}/${key.agentId}/${key.keyId}`);
    await this.audit.record(p, "agent_key.register", key.tenantId, `${key.agentId}/${key.keyId}`, {
      public_key: bytesToHex(key.publicKey),
      valid_from: key.validFrom,
      valid_to: key.validTo,
    });
    return full;
  }

  /** Lists an agent's keys (read permission on the tenant). */
  async list(p: Principal, tenantId: string, agentId: string): Promise<AgentKey[]> {
    requirePermission(p, "read", tenantId);
    return this.store.listAgentKeys(tenantId, agentId);
  }

  /** Revokes an agent key (admin of the tenant). @throws SequencerError 404 if unknown. */
  async revoke(p: Principal, tenantId: string, agentId: string, keyId: number): Promise<AgentKey> {
    requireTenantWideAdmin(p, tenantId, "revoking agent keys");
    const key = await this.store.revokeAgentKey(tenantId, agentId, keyId, nowRfc3339());
    if (key === null) throw new SequencerError(404, "NOT_FOUND", `no key ${keyId} for agent ${agentId}`);
    this.cache.delete(`${tenantId}/${agentId}/${keyId}`);
    await this.audit.record(p, "agent_key.revoke", tenantId, `${agentId}/${keyId}`);
    return key;
  }
}
