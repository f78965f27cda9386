/**
 * Who is calling and what they may do: the `Principal` authentication yields, the bootstrap and command-line
 * operator principals, and the permission checks every concern's service applies (`can`, `requirePermission`,
 * `requireBootstrap`, `requireTenantWideAdmin`, `permissionRank`).
 */
import { SequencerError } from "../errors";

/** The nil UUID: the bootstrap admin's tenant. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** Who is calling, after authentication. */
export interface Principal {
  readonly tenantId: string;
  readonly storeIds: readonly string[];
  readonly read: boolean;
  readonly write: boolean;
  readonly admin: boolean;
  readonly agentId: string | null;
  /** A prover key: the proof routes across tenants (`proofs/service.ts`), nothing else. Absent: false. */
  readonly prover?: boolean;
  /** The configured bootstrap admin: every tenant, every permission. */
  readonly bootstrap: boolean;
  /** Who this is in the audit log: `bootstrap-admin`, `api-key:<prefix>`, `jwt:<sub>[/<agent>]` or `cli:<user>`. */
  readonly actor: string;
  /** The hash prefix of the API key used, null for JWTs, the bootstrap admin and the CLI. */
  readonly keyPrefix: string | null;
  /**
   * The credential's own rate-limit bucket: `key:<prefix>` for an API key, `jwt:<sub>:<agent or ->` for JWTs (every
   * token of one agent shares it), null for the exempt bootstrap admin and CLI.
   */
  readonly rateBucket: string | null;
  /** The key's own rate limit (requests per window), if it has one. */
  readonly rateLimit: number | null;
}

/** A permission on a tenant (and optionally a store). */
export type Permission = "read" | "write" | "admin";

/** A principal with the bootstrap admin's rights (every tenant, every permission), audited as `actor`. */
export function bootstrapPrincipal(actor: string): Principal {
  return {
    tenantId: NIL_UUID,
    storeIds: [],
    read: true,
    write: true,
    admin: true,
    agentId: null,
    bootstrap: true,
    actor,
    keyPrefix: null,
    rateBucket: null,
    rateLimit: null,
  };
}

/** The operator at the command line: bootstrap rights, audited as `cli:<user>`. */
export function operatorPrincipal(user: string): Principal {
  return bootstrapPrincipal(`cli:${user}`);
}

/** Whether a principal holds a permission on a tenant (and store). */
export function can(p: Principal, perm: Permission, tenantId: string, storeId?: string): boolean {
  if (p.bootstrap) return true;
  if (p.tenantId !== tenantId) return false;
  if (storeId !== undefined && p.storeIds.length > 0 && !p.storeIds.includes(storeId)) return false;
  return p[perm];
}

/** @throws SequencerError 403 when the principal lacks the permission. */
export function requirePermission(p: Principal, perm: Permission, tenantId: string, storeId?: string): void {
  if (!can(p, perm, tenantId, storeId)) {
    throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", `${perm} permission on this tenant/store is required`);
  }
}

/** @throws SequencerError 403 unless the caller is the bootstrap admin. */
export function requireBootstrap(p: Principal): void {
  if (!p.bootstrap) throw new SequencerError(403, "INSUFFICIENT_PERMISSIONS", "the bootstrap admin key is required");
}

/**
 * Tenant-wide resources (agent signing keys, payload schemas) act on every store of the tenant: a store-scoped
 * admin key does not change them, like stores and the audit log.
 * @throws SequencerError 403 unless `p` administers the whole tenant.
 */
export function requireTenantWideAdmin(p: Principal, tenantId: string, what: string): void {
  requirePermission(p, "admin", tenantId);
  if (!p.bootstrap && p.storeIds.length > 0) {
    throw new SequencerError(
      403,
      "INSUFFICIENT_PERMISSIONS",
      `${what} needs a tenant-wide admin key (this key is limited to some stores)`,
    );
  }
}

/** A key's permission level: read 1, read_write 2, admin 3, prover 4 (only the bootstrap admin holds prover keys). */
export function permissionRank(r: {
  canRead: boolean;
  canWrite: boolean;
  canAdmin: boolean;
  canProve?: boolean;
}): number {
  if (r.canProve === true) return 4;
  return r.canAdmin ? 3 : r.canWrite ? 2 : r.canRead ? 1 : 0;
}
