/**
 * Commitments (ves-protocol.md §8.2) and inclusion proofs: sealing a sequence range of a stream into a Merkle
 * commitment chained to the previous state root, and proving an event's place in it from a cached tree.
 */
import { randomUUID } from "node:crypto";

import { buildCommitment, buildMerkleTree, inclusionProof, leafHash, type MerkleTree } from "../../ves";
import { SequencerError } from "../errors";
import type { SequencerStore, StoredCommitment, StreamRef } from "../store";

/** Called with every newly created commitment (metrics). */
export type OnCommitment = (commitment: StoredCommitment) => void;

/** Commitments and their trees. */
export class CommitmentService {
  private readonly trees = new Map<string, MerkleTree>();

  constructor(
    private readonly store: Pick<SequencerStore, "createCommitment" | "leafInputs">,
    private readonly onCommitment?: OnCommitment,
  ) {}

  /**
   * Commits `[start, end]` of a stream (§8.2); the same range again returns the same commitment.
   * @throws SequencerError 400 when the range cannot be committed.
   */
  async commit(
    stream: StreamRef,
    start: bigint,
    end: bigint,
  ): Promise<{ commitment: StoredCommitment; created: boolean }> {
    const batchId = randomUUID();
    const result = await this.store.createCommitment(stream, start, end, batchId, (s, range, leaves, prev) => {
      const c = buildCommitment({
        tenantId: s.tenantId,
        storeId: s.storeId,
        sequenceStart: range.start,
        prevStateRoot: prev,
        leaves: leaves.map((l) =>
          leafHash({
            tenantId: s.tenantId,
            storeId: s.storeId,
            sequenceNumber: l.sequenceNumber,
            eventSigningHash: l.eventSigningHash,
            agentSignature: l.agentSignature,
          }),
        ),
      });
      this.trees.set(batchId, c.tree);
      return {
        batchId,
        tenantId: s.tenantId,
        storeId: s.storeId,
        vesVersion: 1,
        treeDepth: c.treeDepth,
        leafCount: c.leafCount,
        paddedLeafCount: c.paddedLeafCount,
        merkleRoot: c.merkleRoot,
        prevStateRoot: c.prevStateRoot,
        newStateRoot: c.newStateRoot,
        sequenceStart: c.sequenceStart,
        sequenceEnd: c.sequenceEnd,
      };
    });
    if (result.kind === "rejected") {
      this.trees.delete(batchId);
      throw new SequencerError(400, "INVALID_FIELD_VALUE", result.message);
    }
    if (result.kind === "created") this.onCommitment?.(result.commitment);
    return { commitment: result.commitment, created: result.kind === "created" };
  }

  /** The Merkle tree of a commitment, rebuilt from the stored leaves once and cached. */
  async treeOf(c: StoredCommitment): Promise<MerkleTree> {
    const cached = this.trees.get(c.batchId);
    if (cached !== undefined) return cached;
    const stream = { tenantId: c.tenantId, storeId: c.storeId };
    const leaves = await this.store.leafInputs(stream, c.sequenceStart, c.sequenceEnd);
    const tree = buildMerkleTree(
      leaves.map((l) =>
        leafHash({
          ...stream,
          sequenceNumber: l.sequenceNumber,
          eventSigningHash: l.eventSigningHash,
          agentSignature: l.agentSignature,
        }),
      ),
    );
    if (Buffer.compare(tree.root, c.merkleRoot) !== 0) {
      throw new SequencerError(500, "INTERNAL_ERROR", `stored events no longer match commitment ${c.batchId}`);
    }
    if (this.trees.size >= 256) this.trees.delete(this.trees.keys().next().value as string);
    this.trees.set(c.batchId, tree);
    return tree;
  }

  /** The inclusion proof of a sequence number in its commitment. */
  async proof(c: StoredCommitment, sequenceNumber: bigint) {
    const tree = await this.treeOf(c);
    return inclusionProof(tree, Number(sequenceNumber - c.sequenceStart));
  }
}
