/**
 * The few VES v1 hashes the explorer recomputes in the browser with WebCrypto SHA-256, ported from offchain/ves
 * (ves-protocol.md §4.2): the event signing hash from an envelope's fields, the receipt hash, the Merkle leaf, nodes
 * and PAD_LEAF, folding an inclusion proof into a root with the shape checks offchain/ves enforces, and the on-chain
 * root read (`SetRegistry.getBatchCommitment` by raw `eth_call`, no library).
 */

const encoder = new TextEncoder();

/** ASCII domain prefixes (raw bytes, no length, no terminator), as offchain/ves/hash.ts `DOMAIN`. */
export const DOMAIN = {
  EVENTSIG: "VES_EVENTSIG_V1",
  RECEIPT: "VES_RECEIPT_V1",
  LEAF: "VES_LEAF_V1",
  PAD_LEAF: "VES_PAD_LEAF_V1",
  NODE: "VES_NODE_V1",
};

/** Concatenates byte arrays. */
export function concatBytes(...parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** SHA-256 of the concatenation of the parts (WebCrypto). */
export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concatBytes(...parts)));
}

/** Lowercase hex of bytes. */
export function bytesToHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Bytes of a hex string (optional `0x`); `length` in bytes when given.
 * @throws TypeError for anything else.
 */
export function hexToBytes(hex, length) {
  const body = typeof hex === "string" && hex.startsWith("0x") ? hex.slice(2) : hex;
  if (typeof body !== "string" || body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new TypeError(`not hex: ${String(hex).slice(0, 80)}`);
  }
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(body.slice(2 * i, 2 * i + 2), 16);
  if (length !== undefined && out.length !== length) {
    throw new TypeError(`expected ${length} bytes of hex, got ${out.length}`);
  }
  return out;
}

/**
 * The 16 bytes of a hyphenated (or simple) UUID.
 * @throws TypeError for anything else.
 */
export function uuidToBytes(uuid) {
  const simple = typeof uuid === "string" ? uuid.replace(/-/g, "") : "";
  if (!/^[0-9a-fA-F]{32}$/.test(simple)) throw new TypeError(`not a UUID: ${String(uuid).slice(0, 80)}`);
  return hexToBytes(simple, 16);
}

/** U32_BE. */
export function u32be(value) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`not a u32: ${value}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

/** U64_BE of a bigint (or a safe integer number). */
export function u64be(value) {
  const v = BigInt(value);
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`not a u64: ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

/** ENC_STR(s) = U32_BE(byte length of UTF-8(s)) ‖ UTF-8(s). */
export function encStr(value) {
  if (typeof value !== "string") throw new TypeError(`expected a string, got ${typeof value}`);
  const bytes = encoder.encode(value);
  return concatBytes(u32be(bytes.length), bytes);
}

/**
 * The event signing hash (§4.2 item 6) of a REST envelope: H("VES_EVENTSIG_V1" ‖ U32(ves_version) ‖ tenant ‖ store ‖
 * event ‖ agent ‖ U32(key id) ‖ ENC_STR(entity type, entity id, event type, created_at) ‖ U32(payload kind) ‖ payload
 * plain hash ‖ payload cipher hash).
 */
export async function eventSigningHash(envelope) {
  return sha256(
    encoder.encode(DOMAIN.EVENTSIG),
    u32be(Number(envelope.ves_version)),
    uuidToBytes(envelope.tenant_id),
    uuidToBytes(envelope.store_id),
    uuidToBytes(envelope.event_id),
    uuidToBytes(envelope.source_agent_id),
    u32be(Number(envelope.agent_key_id)),
    encStr(envelope.entity_type),
    encStr(envelope.entity_id),
    encStr(envelope.event_type),
    encStr(envelope.created_at),
    u32be(Number(envelope.payload_kind)),
    hexToBytes(envelope.payload_plain_hash, 32),
    hexToBytes(envelope.payload_cipher_hash, 32),
  );
}

/** Receipt hash H("VES_RECEIPT_V1" ‖ tenant ‖ store ‖ event ‖ U64_BE(seq) ‖ signing hash) (§4.2 item 7). */
export async function receiptHash({ tenantId, storeId, eventId, sequenceNumber, eventSigningHash: signing }) {
  return sha256(
    encoder.encode(DOMAIN.RECEIPT),
    uuidToBytes(tenantId),
    uuidToBytes(storeId),
    uuidToBytes(eventId),
    u64be(sequenceNumber),
    signing,
  );
}

/** Merkle leaf H("VES_LEAF_V1" ‖ tenant ‖ store ‖ U64_BE(seq) ‖ signing hash ‖ agent signature) (§4.2 item 8). */
export async function leafHash({ tenantId, storeId, sequenceNumber, eventSigningHash: signing, agentSignature }) {
  if (signing.length !== 32) throw new TypeError("the event signing hash must be 32 bytes");
  if (agentSignature.length !== 64) throw new TypeError("the agent signature must be 64 bytes");
  return sha256(
    encoder.encode(DOMAIN.LEAF),
    uuidToBytes(tenantId),
    uuidToBytes(storeId),
    u64be(sequenceNumber),
    signing,
    agentSignature,
  );
}

/** Internal node H("VES_NODE_V1" ‖ left ‖ right) (§4.2 item 10). */
export async function nodeHash(left, right) {
  if (left.length !== 32 || right.length !== 32) throw new TypeError("Merkle nodes are 32 bytes");
  return sha256(encoder.encode(DOMAIN.NODE), left, right);
}

/** PAD_LEAF = H("VES_PAD_LEAF_V1"), the filler of the tree's padding. */
export async function padLeaf() {
  return sha256(encoder.encode(DOMAIN.PAD_LEAF));
}

/** The smallest power of two ≥ n (n ≥ 1). */
export function nextPowerOfTwo(n) {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Folds a leaf up its proof path (§4.3): at depth d the sibling is on the right when bit d of the index is 0. Returns
 * every step (`{ depth, left, right, parent, siblingOnRight }`, hex) so the page can draw the path, and the root.
 */
export async function foldProof(leaf, leafIndex, path) {
  const steps = [];
  let current = leaf;
  let index = leafIndex;
  for (let d = 0; d < path.length; d++) {
    const sibling = path[d];
    const siblingOnRight = index % 2 === 0;
    const [left, right] = siblingOnRight ? [current, sibling] : [sibling, current];
    const parent = await nodeHash(left, right);
    steps.push({
      depth: d,
      left: bytesToHex(left),
      right: bytesToHex(right),
      parent: bytesToHex(parent),
      siblingOnRight,
    });
    current = parent;
    index = Math.floor(index / 2);
  }
  return { root: current, steps };
}

/**
 * Verifies an inclusion proof as offchain/ves `verifyInclusionProof` does: index below the leaf count, exactly
 * log2(padded count) siblings, directions (when given) matching the index bits, and the folded root equal to
 * `merkleRoot`. Returns `{ ok, reason?, message?, root, steps }` with the same failure reasons.
 */
export async function verifyInclusion({ leafHash: leaf, leafIndex, proofPath, directions, merkleRoot, leafCount }) {
  const padded = nextPowerOfTwo(leafCount);
  const depth = Math.log2(padded);
  const base = { root: null, steps: [] };
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= leafCount) {
    return {
      ...base,
      ok: false,
      reason: "index_out_of_range",
      message: `leaf index ${leafIndex} is not in 0..${leafCount - 1}`,
    };
  }
  if (proofPath.length !== depth) {
    return {
      ...base,
      ok: false,
      reason: "path_length_mismatch",
      message: `proof has ${proofPath.length} siblings, tree depth is ${depth}`,
    };
  }
  if (directions !== undefined) {
    const consistent =
      directions.length === depth &&
      directions.every((isLeft, d) => isLeft === (Math.floor(leafIndex / 2 ** d) % 2 === 0));
    if (!consistent) {
      return {
        ...base,
        ok: false,
        reason: "direction_mismatch",
        message: `directions do not match leaf index ${leafIndex}`,
      };
    }
  }
  const { root, steps } = await foldProof(leaf, leafIndex, proofPath);
  if (bytesToHex(root) !== bytesToHex(merkleRoot)) {
    return { ok: false, reason: "root_mismatch", message: "recomputed root differs from merkle_root", root, steps };
  }
  return { ok: true, root, steps };
}

/** Selector of `getBatchCommitment(bytes32)` (keccak-256 of the signature, first 4 bytes; checked by the tests). */
export const GET_BATCH_COMMITMENT_SELECTOR = "0x7271b18a";

/** The on-chain bytes32 of a UUID: its 16 bytes, then 16 zero bytes (§4.2 item 14). */
export function uuidToBytes32Hex(uuid) {
  return bytesToHex(uuidToBytes(uuid)) + "0".repeat(32);
}

/**
 * Reads a batch's commitment from SetRegistry with a raw JSON-RPC `eth_call` of `getBatchCommitment(bytes32)`:
 * `{ exists, eventsRoot, newStateRoot, sequenceStart, sequenceEnd, eventCount }` (roots as hex without 0x).
 * @throws Error when the RPC fails or answers an error.
 */
export async function readOnChainCommitment(rpcUrl, registry, batchId) {
  const data = GET_BATCH_COMMITMENT_SELECTOR + uuidToBytes32Hex(batchId);
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: registry, data }, "latest"] }),
  });
  if (!res.ok) throw new Error(`the chain RPC answered HTTP ${res.status}`);
  const body = await res.json();
  if (body.error !== undefined) throw new Error(`eth_call failed: ${String(body.error.message ?? body.error.code)}`);
  const out = hexToBytes(String(body.result));
  if (out.length < 6 * 32) throw new Error(`eth_call returned ${out.length} bytes, expected ${6 * 32}`);
  const word = (i) => out.subarray(32 * i, 32 * i + 32);
  const uint = (i) => BigInt("0x" + bytesToHex(word(i)));
  return {
    exists: uint(5) !== 0n,
    eventsRoot: bytesToHex(word(0)),
    newStateRoot: bytesToHex(word(1)),
    sequenceStart: uint(2),
    sequenceEnd: uint(3),
    eventCount: uint(4),
  };
}
