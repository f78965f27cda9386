/**
 * The audit log: every administrative change is appended with its actor, tenant and target; tenant admins (with a
 * tenant-wide key) read their tenant's entries, the bootstrap admin reads everything.
 */
import { SequencerError } from "../errors";
import { nowRfc3339 } from "../store";
import type { AuditEntry, SequencerStore } from "../store";
import { requireBootstrap, requirePermission, type Principal } from "../auth";

/** Appends and lists audit entries. */
export class AuditLog {
  constructor(private readonly store: Pick<SequencerStore, "appendAudit" | "listAudit">) {}

  /** Appends an audit entry for an action of `p`. */
  async record(
    p: Principal,
    action: string,
    tenantId: string | null,
    target: string | null,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    // Details are plain JSON: exact integers are written as decimal strings.
    const plain = JSON.parse(
      JSON.stringify(details, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    ) as Record<string, unknown>;
    await this.store.appendAudit({ at: nowRfc3339(), actor: p.actor, action, tenantId, target, details: plain });
  }

  /** The audit log, newest first: one tenant's (its admin) or everything (bootstrap admin). */
  async list(p: Principal, options: { tenantId?: string; beforeId?: bigint; limit: number }): Promise<AuditEntry[]> {
    if (options.tenantId === undefined) requireBootstrap(p);
    else requirePermission(p, "admin", options.tenantId);
    // The tenant's log names every key and store of the tenant: a store-scoped admin does not read it.
    if (!p.bootstrap && p.storeIds.length > 0) {
      throw new SequencerError(
        403,
        "INSUFFICIENT_PERMISSIONS",
        "the audit log needs a tenant-wide admin key (this key is limited to some stores)",
      );
    }
    return this.store.listAudit(options);
  }
}
