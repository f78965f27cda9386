/**
 * The commitment rule of ves-protocol.md §8.2, written once over a per-stream transaction (`StreamTx`,
 * store/stream-tx.ts) that each backend provides under its own lock.
 */
import type { StreamTx } from "../store/stream-tx";
import type { StreamRef } from "../store/stream";

import type { CommitmentBuilder, CreateCommitmentResult, StoredCommitment } from "./store";

/** Creates a commitment inside the stream's transaction (see `CommitmentsStore.createCommitment`). */
export async function createCommitmentInTx(
  tx: StreamTx,
  stream: StreamRef,
  start: bigint,
  end: bigint,
  batchId: string,
  committedAt: string,
  build: CommitmentBuilder,
): Promise<CreateCommitmentResult> {
  // 1. A valid range.
  if (start < 1n || end < start) return { kind: "rejected", message: `invalid range ${start}..${end}` };
  // 2. The same start again: the same end is idempotent, another end is an error.
  const same = await tx.commitmentStartingAt(start);
  if (same !== null) {
    if (same.sequenceEnd === end) return { kind: "existing", commitment: same };
    return {
      kind: "rejected",
      message: `a commitment already starts at ${start} and ends at ${same.sequenceEnd}, not ${end}`,
    };
  }
  // 3. Continuity with the stream's previous commitment.
  const latest = await tx.latestCommitment();
  if (latest !== null && start !== latest.sequenceEnd + 1n) {
    return {
      kind: "rejected",
      message: `range must start at ${latest.sequenceEnd + 1n}, right after commitment ${latest.batchId}`,
    };
  }
  // 4. Every event of the range must be stored.
  const head = await tx.head();
  if (end > head) return { kind: "rejected", message: `range ${start}..${end} passes the stream head ${head}` };
  const leaves = await tx.leafInputs(start, end);
  const expected = end - start + 1n;
  if (BigInt(leaves.length) !== expected) {
    return {
      kind: "rejected",
      message: `VES commitment range ${start}..=${end} contains ${leaves.length} events but expected ${expected}`,
    };
  }
  // 5. Tree, roots, and the new row.
  const prev = latest?.newStateRoot ?? new Uint8Array(32);
  const commitment: StoredCommitment = {
    ...build(stream, { start, end }, leaves, prev),
    committedAt,
    chainId: null,
    chainTxHash: null,
    chainBlockNumber: null,
    anchoredAt: null,
  };
  if (commitment.batchId !== batchId) throw new Error("commitment builder changed the batch id");
  await tx.insertCommitment(commitment);
  return { kind: "created", commitment };
}
