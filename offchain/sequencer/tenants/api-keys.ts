/**
 * API keys (ves-protocol.md §10): minting (the key is shown once, only its SHA-256 is stored), listing, revoking and
 * rotating, all under the key-scope rule `apiKeyWithinScope` — an admin sees and acts on only the keys it could have
 * minted itself.
 */
import { randomBytes } from "node:crypto";

import { bytesToHex } from "../../ves";
import { SequencerError } from "../errors";
import { nowRfc3339 } from "../store";
import { API_KEY_PREFIX_LENGTH, type ApiKeyRecord, type SequencerStore } from "../store";
import { sha256 } from "../auth";
import { can, permissionRank, requireBootstrap, requirePermission, type Principal } from "../auth";
import type { AuditLog } from "./audit";

/** An API key as administration shows it: never the key, only its hash prefix. */
export interface ApiKeyInfo {
  readonly keyHashPrefix: string;
  readonly tenantId: string;
  readonly storeIds: readonly string[];
  readonly permissions: "read" | "read_write" | "admin" | "prover";
  readonly agentId: string | null;
  readonly label: string | null;
  readonly rateLimit: number | null;
  readonly active: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** What a new API key may do. */
export interface ApiKeyScope {
  readonly tenantId: string;
  readonly agentId: string | null;
  readonly storeIds: readonly string[];
  readonly read: boolean;
  readonly write: boolean;
  readonly admin: boolean;
  /** A prover key (see `createProverKey` in proofs/service.ts). */
  readonly prover?: boolean;
  readonly label?: string | null;
  readonly rateLimit?: number | null;
}

/** The store methods API-key administration uses. */
export type ApiKeyStoreSlice = Pick<
  SequencerStore,
  "insertApiKey" | "listApiKeys" | "findApiKeysByPrefix" | "revokeApiKey" | "rotateApiKey"
>;

const prefixOf = (hash: Uint8Array) => bytesToHex(hash).slice(0, API_KEY_PREFIX_LENGTH);

/** The administrative view of a stored key record. */
export function apiKeyInfo(r: ApiKeyRecord): ApiKeyInfo {
  return {
    keyHashPrefix: prefixOf(r.keyHash),
    tenantId: r.tenantId,
    storeIds: r.storeIds,
    permissions: r.canProve === true ? "prover" : r.canAdmin ? "admin" : r.canWrite ? "read_write" : "read",
    agentId: r.agentId,
    label: r.label ?? null,
    rateLimit: r.rateLimit ?? null,
    active: r.active,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt ?? null,
    revokedAt: r.revokedAt ?? null,
  };
}

/**
 * Whether `p` may see and act on an existing API key: the rule minting uses. The key belongs to a tenant `p`
 * administers, its stores are a subset of `p`'s (an unscoped key is wider than any store-scoped one) and its
 * permissions are at most `p`'s. The bootstrap admin (and the CLI operator) holds every key.
 */
export function apiKeyWithinScope(p: Principal, r: ApiKeyRecord): boolean {
  if (p.bootstrap) return true;
  if (!can(p, "admin", r.tenantId)) return false;
  if (p.storeIds.length > 0 && (r.storeIds.length === 0 || r.storeIds.some((s) => !p.storeIds.includes(s)))) {
    return false;
  }
  return permissionRank(r) <= permissionRank({ canRead: p.read, canWrite: p.write, canAdmin: p.admin });
}

/** A fresh key and its record for `scope`. */
function newApiKeyRecord(scope: ApiKeyScope): { apiKey: string; record: ApiKeyRecord } {
  const apiKey = `ss_${scope.tenantId.replace(/-/g, "").slice(0, 8)}${randomBytes(24).toString("base64url")}`;
  const record: ApiKeyRecord = {
    keyHash: sha256(apiKey),
    tenantId: scope.tenantId,
    storeIds: [...scope.storeIds],
    canRead: scope.read || scope.write || scope.admin,
    canWrite: scope.write || scope.admin,
    canAdmin: scope.admin,
    canProve: scope.prover === true,
    agentId: scope.agentId,
    active: true,
    createdAt: nowRfc3339(),
    label: scope.label ?? null,
    rateLimit: scope.rateLimit ?? null,
    lastUsedAt: null,
    revokedAt: null,
  };
  return { apiKey, record };
}

/** A non-bootstrap admin may only hand out stores it holds itself. */
function checkDelegation(p: Principal, storeIds: readonly string[]): void {
  if (p.bootstrap || p.storeIds.length === 0) return;
  if (storeIds.length === 0 || storeIds.some((s) => !p.storeIds.includes(s))) {
    throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "a store-scoped admin can only grant its own stores");
  }
}

/** API-key administration. */
export class ApiKeyService {
  constructor(
    private readonly store: ApiKeyStoreSlice,
    private readonly audit: AuditLog,
  ) {}

  /** Creates an API key for a tenant; the key is returned once and only its SHA-256 is stored. */
  async create(p: Principal, scope: ApiKeyScope): Promise<{ apiKey: string; info: ApiKeyInfo }> {
    requirePermission(p, "admin", scope.tenantId);
    if (scope.prover === true) requireBootstrap(p);
    checkDelegation(p, scope.storeIds);
    const { apiKey, record } = newApiKeyRecord(scope);
    await this.store.insertApiKey(record);
    const info = apiKeyInfo(record);
    await this.audit.record(p, "api_key.create", scope.tenantId, info.keyHashPrefix, {
      permissions: info.permissions,
      store_ids: info.storeIds,
      agent_id: info.agentId,
      label: info.label,
      rate_limit: info.rateLimit,
    });
    return { apiKey, info };
  }

  /**
   * API keys of a tenant (every tenant for the bootstrap admin when `tenantId` is undefined), only those within the
   * caller's scope (`apiKeyWithinScope`): a store-scoped admin does not see wider keys.
   * @throws SequencerError 403 unless the caller administers the tenant.
   */
  async list(p: Principal, tenantId?: string): Promise<ApiKeyInfo[]> {
    if (tenantId === undefined) requireBootstrap(p);
    else requirePermission(p, "admin", tenantId);
    return (await this.store.listApiKeys(tenantId)).filter((r) => apiKeyWithinScope(p, r)).map(apiKeyInfo);
  }

  /**
   * The API keys within the caller's scope whose hash starts with `prefix` (lower-case hex). A key out of scope is
   * left out exactly like a nonexistent one, so its existence does not leak.
   * @throws SequencerError 403 when the caller administers no tenant (a read or read_write key).
   */
  async byPrefix(p: Principal, prefix: string): Promise<ApiKeyRecord[]> {
    if (!p.bootstrap && !p.admin) {
      throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "admin permission is required to manage API keys");
    }
    return (await this.store.findApiKeysByPrefix(prefix)).filter((r) => apiKeyWithinScope(p, r));
  }

  /**
   * The one key within the principal's scope whose hash starts with `prefix`.
   * @throws 400 bad prefix, 403 not an admin, 404 none (or out of scope), 409 ambiguous.
   */
  private async oneByPrefix(p: Principal, prefix: string): Promise<ApiKeyRecord> {
    const wanted = prefix.toLowerCase();
    if (!/^[0-9a-f]{8,12}$/.test(wanted)) {
      throw new SequencerError(400, "INVALID_FIELD_VALUE", "a key prefix is 8 to 12 hex characters");
    }
    const found = await this.byPrefix(p, wanted);
    if (found.length === 0) throw new SequencerError(404, "NOT_FOUND", `no API key ${wanted}`);
    if (found.length > 1) {
      throw new SequencerError(409, "AMBIGUOUS_KEY_PREFIX", `${found.length} keys start with ${wanted}; give more`);
    }
    return found[0]!;
  }

  /** Revokes an API key by hash prefix (admin of its tenant); revoking twice keeps the first time. */
  async revoke(p: Principal, prefix: string): Promise<ApiKeyInfo> {
    const record = await this.oneByPrefix(p, prefix);
    const revoked = await this.store.revokeApiKey(record.keyHash, nowRfc3339());
    if (revoked === null) throw new SequencerError(404, "NOT_FOUND", `no API key ${prefix}`);
    const info = apiKeyInfo(revoked);
    await this.audit.record(p, "api_key.revoke", revoked.tenantId, info.keyHashPrefix);
    return info;
  }

  /** Replaces an active key by a new one with the same scope (shown once) and revokes the old one, atomically. */
  async rotate(p: Principal, prefix: string): Promise<{ apiKey: string; info: ApiKeyInfo; replaced: string }> {
    const old = await this.oneByPrefix(p, prefix);
    if (!old.active) throw new SequencerError(409, "KEY_REVOKED", `API key ${prefix} is revoked`);
    const { apiKey, record } = newApiKeyRecord({
      tenantId: old.tenantId,
      agentId: old.agentId,
      storeIds: old.storeIds,
      read: old.canRead,
      write: old.canWrite,
      admin: old.canAdmin,
      prover: old.canProve === true,
      label: old.label ?? null,
      rateLimit: old.rateLimit ?? null,
    });
    const stored = await this.store.rotateApiKey(old.keyHash, record, nowRfc3339());
    if (stored === null) throw new SequencerError(409, "KEY_REVOKED", `API key ${prefix} was revoked meanwhile`);
    const info = apiKeyInfo(stored);
    const replaced = prefixOf(old.keyHash);
    await this.audit.record(p, "api_key.rotate", old.tenantId, info.keyHashPrefix, { replaced });
    return { apiKey, info, replaced };
  }
}
