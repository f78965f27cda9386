/**
 * Parsers for the REST forms a client reads from the sequencer (ves-protocol.md §7.6, §8.3, §9.1): the ingest
 * response with its receipts, commitments and inclusion proofs. Hashes are hex without `0x`; u64 values become bigint.
 */
import { describeValue, hexToBytes, isUuid } from "./encoding";
import type { ExactJsonValue } from "./jcs";
import { U32_MAX, U64_MAX, integerOf, isObject, own, type JsonObject } from "./shape";
import type {
  CommitmentWire,
  InclusionProofWire,
  IngestRejection,
  IngestResponse,
  ParseResult,
  SequencerReceipt,
} from "./types";
import { LIMITS } from "./validate";

class Invalid extends Error {}

function need(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Invalid(message);
}

function str(obj: JsonObject, key: string, path: string): string {
  const v = own(obj, key);
  need(typeof v === "string", `${path}${key} must be a string, got ${describeValue(v)}`);
  return v;
}

function uuidField(obj: JsonObject, key: string, path: string): string {
  const v = str(obj, key, path);
  need(isUuid(v), `${path}${key} must be a UUID, got ${describeValue(v)}`);
  return v;
}

function restHexValue(v: unknown, name: string, bytes: number): string {
  need(typeof v === "string", `${name} must be a string, got ${describeValue(v)}`);
  try {
    hexToBytes(v, { length: bytes, prefix: "forbidden" });
  } catch (e) {
    throw new Invalid(`${name}: ${(e as Error).message}`);
  }
  return v;
}

function restHex(obj: JsonObject, key: string, path: string, bytes: number): string {
  return restHexValue(own(obj, key), `${path}${key}`, bytes);
}

function u32Field(obj: JsonObject, key: string, path: string): number {
  const n = integerOf(own(obj, key), U32_MAX);
  need(n !== undefined, `${path}${key} must be an integer in 0..4294967295, got ${describeValue(own(obj, key))}`);
  return Number(n);
}

function u64Field(obj: JsonObject, key: string, path: string): bigint {
  const n = integerOf(own(obj, key), U64_MAX);
  need(n !== undefined, `${path}${key} must be an integer in 0..2^64-1, got ${describeValue(own(obj, key))}`);
  return n;
}

function parsing<T>(build: () => T): ParseResult<T> {
  try {
    return { ok: true, value: build() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, message: e.message };
    throw e;
  }
}

function readReceipt(r: unknown, path: string): SequencerReceipt {
  need(isObject(r), `${path} must be an object`);
  const receipt: SequencerReceipt = {
    sequencerId: str(r, "sequencerId", path),
    eventId: uuidField(r, "eventId", path),
    sequenceNumber: u64Field(r, "sequenceNumber", path),
    sequencedAt: str(r, "sequencedAt", path),
    receiptHash: restHex(r, "receiptHash", path, 32),
    signatureAlg: str(r, "signatureAlg", path),
    sequencerSignature: str(r, "sequencerSignature", path),
    sequencerKeyVersion: u32Field(r, "sequencerKeyVersion", path),
  };
  if (receipt.sequencerSignature !== "") restHex(r, "sequencerSignature", path, 64);
  const scheme = own(r, "receiptSignatureScheme");
  if (scheme !== undefined && scheme !== null)
    receipt.receiptSignatureScheme = u32Field(r, "receiptSignatureScheme", path);
  const bundle = own(r, "receiptSignatureBundle");
  if (bundle !== undefined && bundle !== null) receipt.receiptSignatureBundle = bundle as ExactJsonValue;
  return receipt;
}

/** Parses a sequencer receipt (camelCase, hex without `0x`). */
export function parseReceipt(input: unknown): ParseResult<SequencerReceipt> {
  return parsing(() => readReceipt(input, ""));
}

/** Parses an ingest response (§7.6). */
export function parseIngestResponse(input: unknown): ParseResult<IngestResponse> {
  return parsing(() => {
    need(isObject(input), "ingest response must be an object");
    const optionalU64 = (key: string): bigint | null => {
      const v = own(input, key);
      return v === null ? null : u64Field(input, key, "");
    };
    const response: IngestResponse = {
      batchId: uuidField(input, "batchId", ""),
      eventsAccepted: u32Field(input, "eventsAccepted", ""),
      eventsRejected: u32Field(input, "eventsRejected", ""),
      sequenceStart: optionalU64("sequenceStart"),
      sequenceEnd: optionalU64("sequenceEnd"),
      headSequence: u64Field(input, "headSequence", ""),
    };
    const rejections = own(input, "rejections");
    if (rejections !== undefined && rejections !== null) {
      need(Array.isArray(rejections), "rejections must be an array");
      response.rejections = rejections.map((x: unknown, i): IngestRejection => {
        const path = `rejections[${i}].`;
        need(isObject(x), `${path} must be an object`);
        return { event_id: str(x, "event_id", path), reason: str(x, "reason", path), message: str(x, "message", path) };
      });
    }
    const receipts = own(input, "receipts");
    if (receipts !== undefined && receipts !== null) {
      need(Array.isArray(receipts), "receipts must be an array");
      response.receipts = receipts.map((x: unknown, i) => readReceipt(x, `receipts[${i}].`));
    }
    return response;
  });
}

/** Parses a commitment in its REST form (§9.1); internal consistency is checked by `verifyCommitment`. */
export function parseCommitment(input: unknown): ParseResult<CommitmentWire> {
  return parsing(() => {
    need(isObject(input), "commitment must be an object");
    return {
      batch_id: uuidField(input, "batch_id", ""),
      tenant_id: uuidField(input, "tenant_id", ""),
      store_id: uuidField(input, "store_id", ""),
      ves_version: u32Field(input, "ves_version", ""),
      tree_depth: u32Field(input, "tree_depth", ""),
      leaf_count: u32Field(input, "leaf_count", ""),
      padded_leaf_count: u32Field(input, "padded_leaf_count", ""),
      merkle_root: restHex(input, "merkle_root", "", 32),
      prev_state_root: restHex(input, "prev_state_root", "", 32),
      new_state_root: restHex(input, "new_state_root", "", 32),
      sequence_start: u64Field(input, "sequence_start", ""),
      sequence_end: u64Field(input, "sequence_end", ""),
      committed_at: str(input, "committed_at", ""),
    };
  });
}

/** Parses an inclusion proof in its REST form (§8.3); at most 64 siblings, one direction per sibling. */
export function parseInclusionProof(input: unknown): ParseResult<InclusionProofWire> {
  return parsing(() => {
    need(isObject(input), "inclusion proof must be an object");
    const path = own(input, "proof_path");
    const directions = own(input, "directions");
    need(Array.isArray(path), "proof_path must be an array");
    need(Array.isArray(directions), "directions must be an array");
    need(path.length <= LIMITS.MAX_PROOF_PATH, `proof_path has ${path.length} siblings, over 64`);
    need(directions.length === path.length, "directions must have one entry per proof_path sibling");
    const siblings = path.map((h: unknown, i) => restHexValue(h, `proof_path[${i}]`, 32));
    const dirs = directions.map((d: unknown, i) => {
      need(typeof d === "boolean", `directions[${i}] must be a boolean`);
      return d;
    });
    return {
      sequence_number: u64Field(input, "sequence_number", ""),
      batch_id: uuidField(input, "batch_id", ""),
      merkle_root: restHex(input, "merkle_root", "", 32),
      leaf_hash: restHex(input, "leaf_hash", "", 32),
      leaf_index: u32Field(input, "leaf_index", ""),
      proof_path: siblings,
      directions: dirs,
    };
  });
}
