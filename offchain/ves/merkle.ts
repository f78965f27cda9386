/**
 * The VES Merkle tree (ves-protocol.md §4.2 items 8–11, §4.3): leaves in sequence order padded with PAD_LEAF to a
 * power of two, domain-separated nodes, one leaf = root, inclusion proofs as siblings leaf-up with directions, and a
 * verifier that enforces `leaf_index < padded_leaf_count` and `len(path) == depth` (the reference's does not).
 */
import { assertBytes, bytesEqual } from "./encoding";
import { PAD_LEAF, ZERO_HASH, nodeHash } from "./hash";

/** Largest number of leaves (leaf_count is a u32 on-chain; this bound keeps indices exact and trees in memory). */
export const MAX_LEAVES = 2 ** 31;

/** The smallest power of two ≥ n (n ≥ 1). */
export function nextPowerOfTwo(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_LEAVES) throw new RangeError(`expected 1..2^31, got ${n}`);
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A built tree: `levels[0]` are the padded leaves, the last level is `[root]`. */
export interface MerkleTree {
  readonly leafCount: number;
  readonly paddedLeafCount: number;
  readonly depth: number;
  readonly root: Uint8Array;
  readonly levels: readonly (readonly Uint8Array[])[];
}

/**
 * Builds the padded tree over 32-byte leaves in sequence order.
 * @throws RangeError for an empty leaf list (a commitment cannot be empty) or a leaf that is not 32 bytes.
 */
export function buildMerkleTree(leaves: readonly Uint8Array[]): MerkleTree {
  if (!Array.isArray(leaves) || leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  leaves.forEach((leaf, i) => assertBytes(leaf, `leaves[${i}]`, 32));
  const padded = nextPowerOfTwo(leaves.length);
  let level: Uint8Array[] = [...leaves];
  while (level.length < padded) level.push(PAD_LEAF);
  const levels: Uint8Array[][] = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = new Array<Uint8Array>(level.length / 2);
    for (let i = 0; i < next.length; i++)
      next[i] = nodeHash(level[2 * i] as Uint8Array, level[2 * i + 1] as Uint8Array);
    levels.push(next);
    level = next;
  }
  return {
    leafCount: leaves.length,
    paddedLeafCount: padded,
    depth: levels.length - 1,
    root: level[0] as Uint8Array,
    levels,
  };
}

/** Merkle root of the leaves; 32 zero bytes for an empty list, as the reference computes internally. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return leaves.length === 0 ? ZERO_HASH : buildMerkleTree(leaves).root;
}

/** An inclusion proof: siblings from the leaf level up; `directions[d]` true = the current node is the left child. */
export interface InclusionProof {
  readonly leafIndex: number;
  readonly leafHash: Uint8Array;
  readonly proofPath: readonly Uint8Array[];
  readonly directions: readonly boolean[];
}

/** The inclusion proof of the leaf at `leafIndex` (0-based, < leaf count). */
export function inclusionProof(tree: MerkleTree, leafIndex: number): InclusionProof {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= tree.leafCount) {
    throw new RangeError(`leaf index must be in 0..${tree.leafCount - 1}, got ${leafIndex}`);
  }
  const proofPath: Uint8Array[] = [];
  const directions: boolean[] = [];
  let index = leafIndex;
  for (let d = 0; d < tree.depth; d++) {
    const level = tree.levels[d] as readonly Uint8Array[];
    const isLeft = index % 2 === 0;
    proofPath.push(level[isLeft ? index + 1 : index - 1] as Uint8Array);
    directions.push(isLeft);
    index = Math.floor(index / 2);
  }
  return { leafIndex, leafHash: tree.levels[0]?.[leafIndex] as Uint8Array, proofPath, directions };
}

/** Folds a leaf and its siblings into a root, taking the directions from the bits of `leafIndex` (§4.3). */
export function rootFromProof(leafHash: Uint8Array, leafIndex: number, proofPath: readonly Uint8Array[]): Uint8Array {
  assertBytes(leafHash, "leafHash", 32);
  let current = leafHash;
  let index = leafIndex;
  proofPath.forEach((sibling, d) => {
    assertBytes(sibling, `proofPath[${d}]`, 32);
    current = index % 2 === 0 ? nodeHash(current, sibling) : nodeHash(sibling, current);
    index = Math.floor(index / 2);
  });
  return current;
}

/** Inputs of `verifyInclusionProof`: the proof, the expected root and the tree's size (one of the two counts). */
export interface VerifyInclusionInput {
  readonly leafHash: Uint8Array;
  readonly leafIndex: number;
  readonly proofPath: readonly Uint8Array[];
  /** Checked against the bits of `leafIndex` when given. */
  readonly directions?: readonly boolean[];
  readonly merkleRoot: Uint8Array;
  /** Number of real leaves; also rejects indices that point into the padding. */
  readonly leafCount?: number;
  /** Power-of-two padded size, when the leaf count is unknown. */
  readonly paddedLeafCount?: number;
}

/** Why an inclusion proof fails. */
export type InclusionFailure = "index_out_of_range" | "path_length_mismatch" | "direction_mismatch" | "root_mismatch";

/** Outcome of `verifyInclusionProof`. */
export type InclusionCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: InclusionFailure; readonly message: string };

/**
 * Verifies an inclusion proof against a root, enforcing the tree shape: index within the leaf (or padded) count,
 * exactly `depth` siblings, directions consistent with the index.
 * @throws TypeError when neither `leafCount` nor `paddedLeafCount` is given, or for malformed byte inputs.
 */
export function verifyInclusionProof(input: VerifyInclusionInput): InclusionCheck {
  assertBytes(input.merkleRoot, "merkleRoot", 32);
  let padded: number;
  let bound: number;
  if (input.leafCount !== undefined) {
    padded = nextPowerOfTwo(input.leafCount);
    bound = input.leafCount;
    if (input.paddedLeafCount !== undefined && input.paddedLeafCount !== padded) {
      throw new RangeError(`paddedLeafCount ${input.paddedLeafCount} does not fit leafCount ${input.leafCount}`);
    }
  } else if (input.paddedLeafCount !== undefined) {
    padded = input.paddedLeafCount;
    if (nextPowerOfTwo(padded) !== padded) throw new RangeError(`paddedLeafCount ${padded} is not a power of two`);
    bound = padded;
  } else {
    throw new TypeError("verifyInclusionProof needs leafCount or paddedLeafCount");
  }
  const depth = Math.log2(padded);
  const i = input.leafIndex;
  if (!Number.isInteger(i) || i < 0 || i >= bound) {
    return { ok: false, reason: "index_out_of_range", message: `leaf index ${i} is not in 0..${bound - 1}` };
  }
  if (input.proofPath.length !== depth) {
    return {
      ok: false,
      reason: "path_length_mismatch",
      message: `proof has ${input.proofPath.length} siblings, tree depth is ${depth}`,
    };
  }
  if (input.directions !== undefined) {
    const dirs = input.directions;
    const consistent =
      dirs.length === depth && dirs.every((isLeft, d) => isLeft === (Math.floor(i / 2 ** d) % 2 === 0));
    if (!consistent) {
      return { ok: false, reason: "direction_mismatch", message: `directions do not match leaf index ${i}` };
    }
  }
  const root = rootFromProof(input.leafHash, i, input.proofPath);
  if (!bytesEqual(root, input.merkleRoot)) {
    return { ok: false, reason: "root_mismatch", message: "recomputed root differs from merkle_root" };
  }
  return { ok: true };
}
