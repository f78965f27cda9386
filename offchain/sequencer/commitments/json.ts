/** The REST form of a commitment (ves-protocol.md §9.1), shared by the commitment, stream and export code. */
import { bytesToHex } from "../../ves";
import type { StoredCommitment } from "../store";

/** The REST form of a commitment (§9.1), hashes as hex without `0x`; `withChain` adds its anchoring. */
export function commitmentJson(c: StoredCommitment, withChain: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    batch_id: c.batchId,
    tenant_id: c.tenantId,
    store_id: c.storeId,
    ves_version: c.vesVersion,
    tree_depth: c.treeDepth,
    leaf_count: c.leafCount,
    padded_leaf_count: c.paddedLeafCount,
    merkle_root: bytesToHex(c.merkleRoot),
    prev_state_root: bytesToHex(c.prevStateRoot),
    new_state_root: bytesToHex(c.newStateRoot),
    sequence_start: c.sequenceStart,
    sequence_end: c.sequenceEnd,
    committed_at: c.committedAt,
  };
  if (!withChain) return base;
  return {
    ...base,
    chain_id: c.chainId,
    chain_tx_hash: c.chainTxHash === null ? null : bytesToHex(c.chainTxHash),
    chain_block_number: c.chainBlockNumber,
    anchored_at: c.anchoredAt,
    is_anchored: c.chainTxHash !== null,
  };
}
