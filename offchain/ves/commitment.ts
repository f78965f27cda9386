/**
 * VES commitments (ves-protocol.md §4.2 items 8–14, §8.2–§8.4): the leaves of a contiguous sequence range, the padded
 * Merkle tree, the new state root chained to the previous one, the REST forms of commitments and inclusion proofs,
 * their verification, the state-root chain check, and the bytes32 arguments of the on-chain `anchor` call.
 */
import { bytesEqual, bytesTo0xHex, bytesToHex, hexToBytes, normalizeUuid, uuidEquals, uuidToBytes32 } from "./encoding";
import { VES_VERSION, ZERO_HASH, eventSigningHash, leafHash, stateRoot, streamId } from "./hash";
import {
  buildMerkleTree,
  inclusionProof,
  nextPowerOfTwo,
  verifyInclusionProof,
  type InclusionCheck,
  type InclusionProof,
  type MerkleTree,
} from "./merkle";
import type { CommitmentWire, InclusionProofWire, VesEvent } from "./types";

const U64_MAX = (1n << 64n) - 1n;

/** Inputs of `buildCommitment`: the stream, the first sequence number and the leaves in sequence order. */
export interface BuildCommitmentInput {
  readonly tenantId: string;
  readonly storeId: string;
  readonly sequenceStart: bigint;
  readonly leaves: readonly Uint8Array[];
  /** The previous commitment's new state root; 32 zero bytes for the stream's first commitment. */
  readonly prevStateRoot?: Uint8Array;
}

/** A computed commitment with its tree (for proofs). */
export interface Commitment {
  readonly tenantId: string;
  readonly storeId: string;
  readonly streamId: Uint8Array;
  readonly sequenceStart: bigint;
  readonly sequenceEnd: bigint;
  readonly leafCount: number;
  readonly paddedLeafCount: number;
  readonly treeDepth: number;
  readonly leaves: readonly Uint8Array[];
  readonly merkleRoot: Uint8Array;
  readonly prevStateRoot: Uint8Array;
  readonly newStateRoot: Uint8Array;
  readonly tree: MerkleTree;
}

/**
 * Builds the commitment of leaves taken as sequences start, start+1, …: tree, root and new state root.
 * @throws RangeError for no leaves, a range past u64, or a bad previous state root.
 */
export function buildCommitment(input: BuildCommitmentInput): Commitment {
  const start = input.sequenceStart;
  if (typeof start !== "bigint" || start < 0n) throw new TypeError(`sequenceStart must be a u64 bigint, got ${start}`);
  const tree = buildMerkleTree(input.leaves);
  const end = start + BigInt(tree.leafCount) - 1n;
  if (end > U64_MAX) throw new RangeError(`sequence range ${start}..${end} passes 2^64-1`);
  const stream = streamId(input.tenantId, input.storeId);
  const prev = input.prevStateRoot ?? ZERO_HASH;
  const newRoot = stateRoot({
    streamId: stream,
    prevStateRoot: prev,
    merkleRoot: tree.root,
    sequenceStart: start,
    sequenceEnd: end,
    leafCount: tree.leafCount,
  });
  return {
    tenantId: normalizeUuid(input.tenantId),
    storeId: normalizeUuid(input.storeId),
    streamId: stream,
    sequenceStart: start,
    sequenceEnd: end,
    leafCount: tree.leafCount,
    paddedLeafCount: tree.paddedLeafCount,
    treeDepth: tree.depth,
    leaves: tree.levels[0]?.slice(0, tree.leafCount) ?? [],
    merkleRoot: tree.root,
    prevStateRoot: prev,
    newStateRoot: newRoot,
    tree,
  };
}

/** The Merkle leaf of an event at a sequence number (the signing hash recomputed from its fields). */
export function eventLeafHash(event: VesEvent, sequenceNumber: bigint): Uint8Array {
  return leafHash({
    tenantId: event.tenantId,
    storeId: event.storeId,
    sequenceNumber,
    eventSigningHash: eventSigningHash(event),
    agentSignature: event.agentSignature,
  });
}

/**
 * Commits decoded events of one stream taken as sequences start, start+1, ….
 * @throws RangeError if the events are empty or not all in one stream.
 */
export function commitEvents(
  events: readonly VesEvent[],
  options: { readonly sequenceStart: bigint; readonly prevStateRoot?: Uint8Array },
): Commitment {
  const first = events[0];
  if (first === undefined) throw new RangeError("a commitment needs at least one event");
  events.forEach((e, i) => {
    if (!uuidEquals(e.tenantId, first.tenantId) || !uuidEquals(e.storeId, first.storeId)) {
      throw new RangeError(`event ${i} (${e.eventId}) is not in the stream of event 0`);
    }
  });
  return buildCommitment({
    tenantId: first.tenantId,
    storeId: first.storeId,
    sequenceStart: options.sequenceStart,
    leaves: events.map((e, i) => eventLeafHash(e, options.sequenceStart + BigInt(i))),
    ...(options.prevStateRoot === undefined ? {} : { prevStateRoot: options.prevStateRoot }),
  });
}

/** The inclusion proof of one sequence number of a commitment. */
export function commitmentProof(
  commitment: Commitment,
  sequenceNumber: bigint,
): InclusionProof & { readonly sequenceNumber: bigint } {
  if (sequenceNumber < commitment.sequenceStart || sequenceNumber > commitment.sequenceEnd) {
    throw new RangeError(
      `sequence ${sequenceNumber} is outside ${commitment.sequenceStart}..${commitment.sequenceEnd}`,
    );
  }
  const proof = inclusionProof(commitment.tree, Number(sequenceNumber - commitment.sequenceStart));
  return { ...proof, sequenceNumber };
}

/** The REST form of a commitment (§9.1), hashes as hex without `0x`. */
export function commitmentToWire(
  commitment: Commitment,
  meta: { readonly batchId: string; readonly committedAt: string },
): CommitmentWire {
  return {
    batch_id: normalizeUuid(meta.batchId),
    tenant_id: commitment.tenantId,
    store_id: commitment.storeId,
    ves_version: VES_VERSION,
    tree_depth: commitment.treeDepth,
    leaf_count: commitment.leafCount,
    padded_leaf_count: commitment.paddedLeafCount,
    merkle_root: bytesToHex(commitment.merkleRoot),
    prev_state_root: bytesToHex(commitment.prevStateRoot),
    new_state_root: bytesToHex(commitment.newStateRoot),
    sequence_start: commitment.sequenceStart,
    sequence_end: commitment.sequenceEnd,
    committed_at: meta.committedAt,
  };
}

/** The REST form of an inclusion proof (§8.3). */
export function inclusionProofToWire(
  proof: InclusionProof,
  meta: { readonly sequenceNumber: bigint; readonly batchId: string; readonly merkleRoot: Uint8Array },
): InclusionProofWire {
  return {
    sequence_number: meta.sequenceNumber,
    batch_id: normalizeUuid(meta.batchId),
    merkle_root: bytesToHex(meta.merkleRoot),
    leaf_hash: bytesToHex(proof.leafHash),
    leaf_index: proof.leafIndex,
    proof_path: proof.proofPath.map(bytesToHex),
    directions: [...proof.directions],
  };
}

/** Outcome of the commitment checks. */
export type CommitmentCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * Checks a commitment's internal consistency: version 1, leaf_count = end − start + 1, padded count and depth, and
 * new_state_root recomputed from its fields.
 */
export function verifyCommitment(c: CommitmentWire): CommitmentCheck {
  if (c.ves_version !== VES_VERSION) return { ok: false, message: `ves_version ${c.ves_version} is not 1` };
  if (c.sequence_end < c.sequence_start) return { ok: false, message: "sequence_end is before sequence_start" };
  if (BigInt(c.leaf_count) !== c.sequence_end - c.sequence_start + 1n || c.leaf_count < 1) {
    return { ok: false, message: `leaf_count ${c.leaf_count} does not match ${c.sequence_start}..${c.sequence_end}` };
  }
  const padded = nextPowerOfTwo(c.leaf_count);
  if (c.padded_leaf_count !== padded) return { ok: false, message: `padded_leaf_count must be ${padded}` };
  if (c.tree_depth !== Math.log2(padded)) return { ok: false, message: `tree_depth must be ${Math.log2(padded)}` };
  const expected = stateRoot({
    streamId: streamId(c.tenant_id, c.store_id),
    prevStateRoot: hexToBytes(c.prev_state_root, { length: 32 }),
    merkleRoot: hexToBytes(c.merkle_root, { length: 32 }),
    sequenceStart: c.sequence_start,
    sequenceEnd: c.sequence_end,
    leafCount: c.leaf_count,
  });
  if (!bytesEqual(expected, hexToBytes(c.new_state_root, { length: 32 }))) {
    return { ok: false, message: "new_state_root does not match the commitment's fields" };
  }
  return { ok: true };
}

/**
 * Verifies a REST inclusion proof against a commitment: same batch and root, sequence inside the range with
 * leaf_index = sequence − start, optionally the expected leaf hash, and the Merkle path itself.
 */
export function verifyInclusionAgainstCommitment(
  proof: InclusionProofWire,
  commitment: CommitmentWire,
  expectedLeafHash?: Uint8Array,
): InclusionCheck | { readonly ok: false; readonly reason: "commitment_mismatch"; readonly message: string } {
  const mismatch = (message: string) => ({ ok: false as const, reason: "commitment_mismatch" as const, message });
  if (!uuidEquals(proof.batch_id, commitment.batch_id)) return mismatch("proof is for another batch");
  const root = hexToBytes(commitment.merkle_root, { length: 32 });
  if (!bytesEqual(hexToBytes(proof.merkle_root, { length: 32 }), root)) return mismatch("merkle_root differs");
  if (proof.sequence_number < commitment.sequence_start || proof.sequence_number > commitment.sequence_end) {
    return mismatch(`sequence ${proof.sequence_number} is outside the commitment`);
  }
  if (BigInt(proof.leaf_index) !== proof.sequence_number - commitment.sequence_start) {
    return mismatch(`leaf_index ${proof.leaf_index} does not match sequence ${proof.sequence_number}`);
  }
  const leaf = hexToBytes(proof.leaf_hash, { length: 32 });
  if (expectedLeafHash !== undefined && !bytesEqual(leaf, expectedLeafHash)) return mismatch("leaf_hash differs");
  return verifyInclusionProof({
    leafHash: leaf,
    leafIndex: proof.leaf_index,
    proofPath: proof.proof_path.map((h) => hexToBytes(h, { length: 32 })),
    directions: proof.directions,
    merkleRoot: root,
    leafCount: commitment.leaf_count,
  });
}

/**
 * Checks a stream's commitments in order: each is consistent, all share one stream, each starts right after the
 * previous one and chains its prev_state_root to the previous new_state_root. With `fromGenesis`, the first one's
 * prev_state_root must be 32 zero bytes.
 */
export function verifyStateRootChain(
  commitments: readonly CommitmentWire[],
  options: { readonly fromGenesis?: boolean } = {},
): CommitmentCheck {
  let previous: CommitmentWire | undefined;
  for (const [i, c] of commitments.entries()) {
    const own = verifyCommitment(c);
    if (!own.ok) return { ok: false, message: `commitment ${i}: ${own.message}` };
    if (previous === undefined) {
      if (options.fromGenesis === true && !bytesEqual(hexToBytes(c.prev_state_root), ZERO_HASH)) {
        return { ok: false, message: "the first commitment's prev_state_root is not zero" };
      }
    } else {
      if (!uuidEquals(c.tenant_id, previous.tenant_id) || !uuidEquals(c.store_id, previous.store_id)) {
        return { ok: false, message: `commitment ${i} is in another stream` };
      }
      if (c.sequence_start !== previous.sequence_end + 1n) {
        return {
          ok: false,
          message: `commitment ${i} starts at ${c.sequence_start}, not ${previous.sequence_end + 1n}`,
        };
      }
      if (!bytesEqual(hexToBytes(c.prev_state_root), hexToBytes(previous.new_state_root))) {
        return { ok: false, message: `commitment ${i}'s prev_state_root is not commitment ${i - 1}'s new_state_root` };
      }
    }
    previous = c;
  }
  return { ok: true };
}

/** `0x`-hex of a bytes32 value: a UUID left-aligned and zero-padded, or a 32-byte hash as is. */
export function toBytes32Hex(value: string | Uint8Array): string {
  if (typeof value === "string") return bytesTo0xHex(uuidToBytes32(value));
  if (value.length !== 32) throw new RangeError(`bytes32 needs 32 bytes, got ${value.length}`);
  return bytesTo0xHex(value);
}

/** Arguments of `anchor(batchId, tenantId, storeId, eventsRoot, stateRoot, sequenceStart, sequenceEnd, eventCount)`. */
export interface AnchorArgs {
  readonly batchId: string;
  readonly tenantId: string;
  readonly storeId: string;
  readonly eventsRoot: string;
  readonly stateRoot: string;
  readonly sequenceStart: bigint;
  readonly sequenceEnd: bigint;
  readonly eventCount: number;
}

/** The on-chain anchor arguments of a commitment (§8.4): UUIDs as bytes32, stateRoot = new_state_root. */
export function anchorArgs(c: CommitmentWire): AnchorArgs {
  return {
    batchId: toBytes32Hex(c.batch_id),
    tenantId: toBytes32Hex(c.tenant_id),
    storeId: toBytes32Hex(c.store_id),
    eventsRoot: toBytes32Hex(hexToBytes(c.merkle_root, { length: 32 })),
    stateRoot: toBytes32Hex(hexToBytes(c.new_state_root, { length: 32 })),
    sequenceStart: c.sequence_start,
    sequenceEnd: c.sequence_end,
    eventCount: c.leaf_count,
  };
}
