/** The key every per-stream table shares (events, counters, commitments), used by several slices. */

/** A stream: the pair (tenant, store), UUIDs in lowercase hyphenated form. */
export interface StreamRef {
  readonly tenantId: string;
  readonly storeId: string;
}
