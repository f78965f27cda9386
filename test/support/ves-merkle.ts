/**
 * A deliberately naive VES v1 Merkle tree for contract tests (ves-protocol.md §4.2 items 9-11, §4.3), written
 * independently of offchain/ves so the on-chain verifier is checked against a second implementation.
 */
import { createHash } from "node:crypto";

const NODE_PREFIX = Buffer.from("VES_NODE_V1", "ascii");
/** PAD_LEAF = sha256("VES_PAD_LEAF_V1"). */
export const PAD_LEAF = "0x" + createHash("sha256").update("VES_PAD_LEAF_V1").digest("hex");

/** sha256("VES_NODE_V1" ‖ left ‖ right) over 0x-hex words. */
export function vesNode(left: string, right: string): string {
  const h = createHash("sha256");
  h.update(NODE_PREFIX)
    .update(Buffer.from(left.slice(2), "hex"))
    .update(Buffer.from(right.slice(2), "hex"));
  return "0x" + h.digest("hex");
}

/** Builds every level of the padded tree: levels[0] are the padded leaves, the last level is [root]. */
export function vesLevels(leaves: string[]): string[][] {
  if (leaves.length === 0) throw new RangeError("a VES tree needs at least one leaf");
  let width = 1;
  while (width < leaves.length) width *= 2;
  const levels: string[][] = [[...leaves, ...Array<string>(width - leaves.length).fill(PAD_LEAF)]];
  while (levels[levels.length - 1]!.length > 1) {
    const prev = levels[levels.length - 1]!;
    const next: string[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(vesNode(prev[i]!, prev[i + 1]!));
    levels.push(next);
  }
  return levels;
}

/** Root of the padded tree. */
export function vesRoot(leaves: string[]): string {
  const levels = vesLevels(leaves);
  return levels[levels.length - 1]![0]!;
}

/** Sibling path, leaf level first, for the leaf at `index`. */
export function vesProof(leaves: string[], index: number): string[] {
  const levels = vesLevels(leaves);
  const path: string[] = [];
  let i = index;
  for (let d = 0; d < levels.length - 1; d++) {
    path.push(levels[d]![i ^ 1]!);
    i >>= 1;
  }
  return path;
}
