/**
 * Merkle vector commitment over BLAKE3-256 with domain-separated keyed hashing (one key for leaves, one for
 * internal nodes), batch openings that share authentication nodes, and optional per-leaf salts (the prover puts
 * random salt words in front of each leaf so that unopened leaves reveal nothing). Trees use heap indexing: node 1 is
 * the root, leaves sit at indices count .. 2·count − 1.
 */
import { MAX_WORDS, blake3Words, labelKey } from "./blake3";
import { log2 } from "./poly";
import { wasmKernels } from "./wasm";

/** A 256-bit digest as 8 little-endian 32-bit words. */
export type Digest = Uint32Array;

/** Words per digest. */
export const DIGEST_WORDS = 8;
/** Collision resistance of BLAKE3-256 in bits (the cap on conjectured security). */
export const HASH_COLLISION_BITS = 128;

const LEAF_KEY = labelKey("ves-stark/v1/merkle-leaf");
const NODE_KEY = labelKey("ves-stark/v1/merkle-node");

/** A committed tree: all node hashes, heap-indexed. */
export interface MerkleTree {
  readonly leafCount: number;
  readonly nodes: Uint32Array;
}

/** Hashes a leaf of `count` words starting at `offset`. */
export function hashLeaf(words: Uint32Array, offset: number, count: number, out: Uint32Array, outOffset = 0): void {
  blake3Words(words, offset, count, out, outOffset, LEAF_KEY);
}

/** Hashes two adjacent digests (16 words at `offset`) into a parent. */
function hashNode(words: Uint32Array, offset: number, out: Uint32Array, outOffset: number): void {
  blake3Words(words, offset, 16, out, outOffset, NODE_KEY);
}

/**
 * Builds a tree over `leafCount` leaves (a power of two) of `leafWords` words each; `writeLeaf(i, buf)` fills the
 * words of leaf i into `buf`. With the WebAssembly kernels loaded, the leaves are gathered row after row and hashed
 * there (identical nodes).
 */
export function buildTree(
  leafCount: number,
  leafWords: number,
  writeLeaf: (index: number, buf: Uint32Array) => void,
): MerkleTree {
  log2(leafCount);
  const k = wasmKernels();
  if (k !== null && Number.isInteger(leafWords) && leafWords >= 0 && leafWords <= MAX_WORDS) {
    const rows = new Uint32Array(leafCount * leafWords);
    for (let i = 0; i < leafCount; i++) writeLeaf(i, rows.subarray(i * leafWords, (i + 1) * leafWords));
    return { leafCount, nodes: k.merkleNodes(rows, leafCount, leafWords, LEAF_KEY, NODE_KEY) };
  }
  const nodes = new Uint32Array(2 * leafCount * DIGEST_WORDS);
  const buf = new Uint32Array(leafWords);
  for (let i = 0; i < leafCount; i++) {
    writeLeaf(i, buf);
    hashLeaf(buf, 0, leafWords, nodes, (leafCount + i) * DIGEST_WORDS);
  }
  for (let k = leafCount - 1; k >= 1; k--) hashNode(nodes, 2 * k * DIGEST_WORDS, nodes, k * DIGEST_WORDS);
  return { leafCount, nodes };
}

/**
 * buildTree over salted rows of columns (all of length leafCount): leaf i is salts[i·saltWords ..] followed by
 * word i of each column. One WebAssembly call gathers and hashes them when the kernels are loaded.
 */
export function buildTreeOfColumns(
  salts: Uint32Array,
  saltWords: number,
  columns: readonly Uint32Array[],
  leafCount: number,
): MerkleTree {
  log2(leafCount);
  if (salts.length !== leafCount * saltWords || columns.some((c) => c.length !== leafCount)) {
    throw new RangeError(`salts and columns must cover ${leafCount} leaves`);
  }
  const width = columns.length;
  const k = wasmKernels();
  if (k !== null && saltWords + width <= MAX_WORDS && leafCount > 0) {
    return { leafCount, nodes: k.merkleNodesOfColumns(salts, saltWords, columns, LEAF_KEY, NODE_KEY) };
  }
  return buildTree(leafCount, saltWords + width, (i, buf) => {
    for (let s = 0; s < saltWords; s++) buf[s] = salts[i * saltWords + s] as number;
    for (let j = 0; j < width; j++) buf[saltWords + j] = (columns[j] as Uint32Array)[i] as number;
  });
}

/** The root digest of a tree. */
export function treeRoot(tree: MerkleTree): Digest {
  return tree.nodes.slice(DIGEST_WORDS, 2 * DIGEST_WORDS);
}

/** Sorted, de-duplicated copy of leaf indices; throws a RangeError for an index outside the tree. */
export function uniqueSorted(indices: readonly number[], leafCount: number): number[] {
  if (indices.length > 128) {
    const all = [...new Set(indices)].sort((a, b) => a - b);
    for (const i of all) {
      if (!Number.isInteger(i) || i < 0 || i >= leafCount)
        throw new RangeError(`leaf index ${i} outside 0..${leafCount - 1}`);
    }
    return all;
  }
  // insertion sort dropping repeats (query positions: a few dozen numbers)
  const out: number[] = [];
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j] as number;
    if (!Number.isInteger(i) || i < 0 || i >= leafCount)
      throw new RangeError(`leaf index ${i} outside 0..${leafCount - 1}`);
    let k = out.length;
    while (k > 0 && (out[k - 1] as number) > i) k--;
    if (k > 0 && out[k - 1] === i) continue;
    // shift the larger ones up by one in place (splice allocated the array of removed elements)
    out.push(i);
    for (let m = out.length - 1; m > k; m--) out[m] = out[m - 1] as number;
    out[k] = i;
  }
  return out;
}

/**
 * The authentication nodes for a batch opening of the given (sorted, unique) leaf indices, in the canonical order
 * the verifier consumes them: level by level from the leaves up, ascending index within a level.
 */
export function openBatch(tree: MerkleTree, sortedLeaves: readonly number[]): Digest[] {
  const out: Digest[] = [];
  let level = sortedLeaves.map((i) => i + tree.leafCount);
  while (level.length > 0 && (level[0] as number) > 1) {
    const parents: number[] = [];
    for (let j = 0; j < level.length; j++) {
      const k = level[j] as number;
      const sib = k ^ 1;
      if ((k & 1) === 0 && level[j + 1] === sib) {
        j++;
      } else {
        out.push(tree.nodes.slice(sib * DIGEST_WORDS, (sib + 1) * DIGEST_WORDS));
      }
      const parent = k >> 1;
      if (parents[parents.length - 1] !== parent) parents.push(parent);
    }
    level = parents;
  }
  return out;
}

/**
 * Recomputes the root from leaf digests (one per sorted, unique leaf index) and the batch's authentication nodes;
 * true if it equals `root` and every node was used.
 */
export function verifyBatch(
  root: Digest,
  leafCount: number,
  sortedLeaves: readonly number[],
  leafDigests: readonly Digest[],
  authNodes: readonly Digest[],
): boolean {
  if (sortedLeaves.length === 0 || sortedLeaves.length !== leafDigests.length) return false;
  const flat = new Uint32Array(leafDigests.length * DIGEST_WORDS);
  for (let j = 0; j < leafDigests.length; j++) {
    const d = leafDigests[j] as Digest;
    if (d.length !== DIGEST_WORDS) return false;
    flat.set(d, j * DIGEST_WORDS);
  }
  return verifyBatchFlat(root, leafCount, sortedLeaves, flat, authNodes);
}

const pairScratch = new Uint32Array(2 * DIGEST_WORDS);

/**
 * verifyBatch with the leaf digests packed in one array (8 words each, in the order of `sortedLeaves`), which it
 * overwrites: every shared node is hashed once, level by level, without allocating per node.
 */
export function verifyBatchFlat(
  root: Digest,
  leafCount: number,
  sortedLeaves: readonly number[],
  digests: Uint32Array,
  authNodes: readonly Digest[],
): boolean {
  const count = sortedLeaves.length;
  // a root of other than 8 words is no digest (the kernel refuses it too): never compare only its first 8 words
  if (count === 0 || root.length !== DIGEST_WORDS || digests.length !== count * DIGEST_WORDS) return false;
  const level = new Int32Array(count);
  for (let j = 0; j < count; j++) level[j] = (sortedLeaves[j] as number) + leafCount;
  const scratch = pairScratch;
  let size = count;
  let next = 0;
  while ((level[0] as number) > 1) {
    let out = 0;
    for (let j = 0; j < size; j++) {
      const k = level[j] as number;
      const hOff = j * DIGEST_WORDS;
      if ((k & 1) === 0 && j + 1 < size && level[j + 1] === (k ^ 1)) {
        scratch.set(digests.subarray(hOff, hOff + 2 * DIGEST_WORDS), 0);
        j++;
      } else {
        const sib = authNodes[next++];
        if (sib === undefined || sib.length !== DIGEST_WORDS) return false;
        const mine = (k & 1) === 0 ? 0 : DIGEST_WORDS;
        for (let w = 0; w < DIGEST_WORDS; w++) scratch[mine + w] = digests[hOff + w] as number;
        scratch.set(sib, DIGEST_WORDS - mine);
      }
      hashNode(scratch, 0, digests, out * DIGEST_WORDS);
      level[out++] = k >> 1;
    }
    size = out;
  }
  if (next !== authNodes.length || size !== 1) return false;
  for (let i = 0; i < DIGEST_WORDS; i++) if (digests[i] !== root[i]) return false;
  return true;
}

/**
 * verifyBatch of leaves given as rows: `rows` holds one row of `leafWords` words per sorted, unique leaf index, row
 * after row; each is hashed as a leaf, then the root is recomputed from the authentication nodes (a list of digests,
 * or one array of them, 8 words each). With the WebAssembly kernels loaded, one call hashes the leaves and the levels four at a time (identical verdicts).
 */
export function verifyRows(
  root: Digest,
  leafCount: number,
  sortedLeaves: readonly number[],
  rows: Uint32Array,
  leafWords: number,
  authNodes: readonly Digest[] | Uint32Array,
): boolean {
  const count = sortedLeaves.length;
  if (rows.length !== count * leafWords) return false;
  const k = wasmKernels();
  if (k !== null && kernelTakes(leafCount, sortedLeaves, leafWords)) {
    return k.verifyRows(root, leafCount, sortedLeaves, rows, leafWords, authNodes, LEAF_KEY, NODE_KEY);
  }
  const digests = new Uint32Array(count * DIGEST_WORDS);
  for (let i = 0; i < count; i++) hashLeaf(rows, i * leafWords, leafWords, digests, i * DIGEST_WORDS);
  return verifyBatchFlat(root, leafCount, sortedLeaves, digests, digestList(authNodes));
}

/** Authentication nodes given as one array of 8-word digests, as a list of digests (views); a list as it is. */
function digestList(nodes: readonly Digest[] | Uint32Array): readonly Digest[] {
  if (!(nodes instanceof Uint32Array)) return nodes;
  if (nodes.length % DIGEST_WORDS !== 0) return [nodes];
  return Array.from({ length: nodes.length / DIGEST_WORDS }, (_, i) =>
    nodes.subarray(i * DIGEST_WORDS, (i + 1) * DIGEST_WORDS),
  );
}

/** Whether the verification kernel takes these arguments (else the TypeScript path runs, with the same verdict). */
function kernelTakes(leafCount: number, sortedLeaves: readonly number[], leafWords: number): boolean {
  if (!Number.isInteger(leafWords) || leafWords < 0 || leafWords > MAX_WORDS) return false;
  if (!Number.isInteger(leafCount) || leafCount < 1 || leafCount > 2 ** 30) return false;
  for (let j = 0; j < sortedLeaves.length; j++) {
    const i = sortedLeaves[j] as number;
    if (!Number.isInteger(i) || i < 0 || i >= leafCount || (j > 0 && i <= (sortedLeaves[j - 1] as number)))
      return false;
  }
  return true;
}
