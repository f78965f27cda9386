/** Merkle trees (merkle.ts buildTree, buildTreeOfColumns) and batch verification of openings (verifyRows). */
import { CV4, KEY4 } from "./memory";
import { KEYED_HASH, NODE_FLAGS, compress, hashWords } from "./blake3";
import { compress4, hashWords4, loadBlock4, splatKey4, storeDigests4 } from "./blake3x4";

/**
 * Builds a heap-indexed Merkle tree (merkle.ts buildTree): `leafCount` leaves of `leafWords` ≤ 256 words each, row
 * after row at `leaves`, hashed with the leaf key; then every internal node k (from leafCount − 1 down to 1) from
 * nodes 2k and 2k + 1 with the node key. `nodes` receives 2·leafCount digests of 8 words (node 0 unused).
 */
export function merkleTree(
  leaves: usize,
  leafCount: u32,
  leafWords: u32,
  nodes: usize,
  leafKey: usize,
  nodeKey: usize,
): void {
  const rowBytes = (<usize>leafWords) << 2;
  memory.fill(nodes, 0, 32); // node 0 is unused (zero, as in merkle.ts)
  splatKey4(leafKey);
  let i: u32 = 0;
  for (; i + 4 <= leafCount; i += 4) {
    const p = leaves + <usize>i * rowBytes;
    const o = nodes + ((<usize>(leafCount + i)) << 5);
    hashWords4(p, p + rowBytes, p + 2 * rowBytes, p + 3 * rowBytes, leafWords, KEYED_HASH);
    storeDigests4(o, o + 32, o + 64, o + 96);
  }
  for (; i < leafCount; i++) {
    hashWords(leaves + <usize>i * rowBytes, leafWords, nodes + ((<usize>(leafCount + i)) << 5), leafKey, KEYED_HASH);
  }
  // level by level (node k from nodes 2k and 2k + 1, one block each), four nodes at a time
  splatKey4(nodeKey);
  for (let lo: u32 = leafCount >> 1; lo >= 1; lo >>= 1) {
    let k = lo;
    for (; k + 4 <= 2 * lo; k += 4) {
      const m = nodes + ((<usize>(2 * k)) << 5);
      const o = nodes + ((<usize>k) << 5);
      loadBlock4(m, m + 64, m + 128, m + 192, 16);
      compress4(KEY4, 64, NODE_FLAGS, CV4);
      storeDigests4(o, o + 32, o + 64, o + 96);
    }
    for (; k < 2 * lo; k++)
      compress(nodeKey, nodes + ((<usize>(2 * k)) << 5), 64, NODE_FLAGS, nodes + ((<usize>k) << 5));
  }
}

/**
 * Gathers salted leaves from columns: leaf i is the `saltWords` words at salts + 4·saltWords·i followed by word i of
 * each of the `width` columns (column j at cols + 4·leafCount·j), written row after row at `leaves`.
 */
export function gatherRows(salts: usize, saltWords: u32, cols: usize, width: u32, leafCount: u32, leaves: usize): void {
  const leafWords = saltWords + width;
  for (let i: u32 = 0; i < leafCount; i++) {
    const row = leaves + ((<usize>(i * leafWords)) << 2);
    const salt = salts + ((<usize>(i * saltWords)) << 2);
    for (let s: u32 = 0; s < saltWords; s++) store<u32>(row + ((<usize>s) << 2), load<u32>(salt + ((<usize>s) << 2)));
    let src = cols + ((<usize>i) << 2);
    const dst = row + ((<usize>saltWords) << 2);
    for (let j: u32 = 0; j < width; j++) {
      store<u32>(dst + ((<usize>j) << 2), load<u32>(src));
      src += (<usize>leafCount) << 2;
    }
  }
}

/**
 * Hashes `count` leaves of `leafWords` ≤ 256 words (row after row at `leaves`) with the 8-word key at `leafKey`, four
 * at a time; digest i (8 words) to out + 32·i (merkle.ts hashLeaf).
 */
export function hashLeaves(leaves: usize, count: u32, leafWords: u32, leafKey: usize, out: usize): void {
  const rowBytes = (<usize>leafWords) << 2;
  splatKey4(leafKey);
  let i: u32 = 0;
  for (; i + 4 <= count; i += 4) {
    const p = leaves + <usize>i * rowBytes;
    const o = out + ((<usize>i) << 5);
    hashWords4(p, p + rowBytes, p + 2 * rowBytes, p + 3 * rowBytes, leafWords, KEYED_HASH);
    storeDigests4(o, o + 32, o + 64, o + 96);
  }
  for (; i < count; i++)
    hashWords(leaves + <usize>i * rowBytes, leafWords, out + ((<usize>i) << 5), leafKey, KEYED_HASH);
}

/** Copies 32 bytes (a digest) with two vector moves (V8 runs small memory.copy as a call). */
export function copy32(dst: usize, src: usize): void {
  v128.store(dst, v128.load(src));
  v128.store(dst, v128.load(src, 16), 16);
}

/**
 * merkle.ts verifyBatchFlat: recomputes the root from `count` leaf digests (8 words each at `digests`, overwritten)
 * of the sorted, unique leaves whose heap indices (leafCount + leaf) are at `level` (i32, overwritten) and the
 * `authCount` authentication digests at `auth`, level by level, the parents of one level hashed four at a time
 * (`msgs` takes 16·count words). 1 if it equals the 8 words at `root` and every authentication node was used, else 0.
 */
export function verifyBatch(
  root: usize,
  count: u32,
  level: usize,
  digests: usize,
  auth: usize,
  authCount: u32,
  nodeKey: usize,
  msgs: usize,
): u32 {
  if (count == 0) return 0;
  splatKey4(nodeKey);
  let size = count;
  let next: u32 = 0;
  while (load<i32>(level) > 1) {
    let out: u32 = 0;
    for (let j: u32 = 0; j < size; j++) {
      const k = load<i32>(level + ((<usize>j) << 2));
      const m = msgs + ((<usize>out) << 6);
      const h = digests + ((<usize>j) << 5);
      if ((k & 1) == 0 && j + 1 < size && load<i32>(level + ((<usize>(j + 1)) << 2)) == (k ^ 1)) {
        copy32(m, h);
        copy32(m + 32, h + 32);
        j++;
      } else {
        if (next >= authCount) return 0;
        const sib = auth + ((<usize>next) << 5);
        next++;
        const mine: usize = (k & 1) == 0 ? 0 : 32;
        copy32(m + mine, h);
        copy32(m + 32 - mine, sib);
      }
      store<i32>(level + ((<usize>out) << 2), k >> 1);
      out++;
    }
    let i: u32 = 0;
    for (; i + 4 <= out; i += 4) {
      const m = msgs + ((<usize>i) << 6);
      const o = digests + ((<usize>i) << 5);
      loadBlock4(m, m + 64, m + 128, m + 192, 16);
      compress4(KEY4, 64, NODE_FLAGS, CV4);
      storeDigests4(o, o + 32, o + 64, o + 96);
    }
    for (; i < out; i++) compress(nodeKey, msgs + ((<usize>i) << 6), 64, NODE_FLAGS, digests + ((<usize>i) << 5));
    size = out;
  }
  if (next != authCount || size != 1) return 0;
  for (let w: usize = 0; w < 32; w += 4) if (load<u32>(digests + w) != load<u32>(root + w)) return 0;
  return 1;
}
