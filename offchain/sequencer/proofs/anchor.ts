/**
 * Anchoring marks of validity proofs (issue 14), for the anchor service (bootstrap admin only): recording the on-chain
 * transaction that anchored a stored validity proof (`commitStarkProof` / `commitBatchWithStarkProof`), and clearing
 * it when that transaction's block was reorganised away. Both audited; compliance (per-event) proofs are never
 * anchored, so their ids answer 404 like unknown ones.
 */
import { bytesTo0xHex } from "../../ves";
import type { Principal } from "../auth";
import { SequencerError } from "../errors";
import type { SequencerService } from "../service";
import type { StoredProof } from "./store";

/** The largest u64 (chain ids and block numbers). */
const U64_MAX = 2n ** 64n - 1n;

/** The request body of a proof anchor, as validated by the route schema (integers may arrive as strings). */
export interface ProofAnchorInput {
  readonly chainId: unknown;
  readonly txHash: unknown;
  readonly blockNumber: unknown;
}

const fail = (status: number, code: string, message: string) => new SequencerError(status, code, message);

/** A u64 given as an integer or a decimal string. @throws SequencerError 400 INVALID_FIELD_VALUE. */
export function u64Field(value: unknown, name: string, min = 0n): bigint {
  let n: bigint | null = null;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^[0-9]{1,20}$/.test(value)) n = BigInt(value);
  if (n === null || n < min || n > U64_MAX) {
    throw fail(400, "INVALID_FIELD_VALUE", `${name} must be an integer from ${min} to ${U64_MAX} (u64)`);
  }
  return n;
}

/** A transaction hash: `0x` and 64 hex digits. @throws SequencerError 400 INVALID_FIELD_VALUE. */
export function txHashField(value: unknown): Uint8Array {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw fail(400, "INVALID_FIELD_VALUE", "txHash must be 0x followed by 64 hex digits");
  }
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"));
}

const notFound = (proofId: string) => fail(404, "PROOF_NOT_FOUND", `no validity proof ${proofId}`);

/**
 * Records the transaction that anchored a validity proof (bootstrap admin).
 * @returns the proof with its anchor, and `anchored` or `already_anchored` (the same transaction again).
 * @throws SequencerError 403 unless bootstrap admin; 400 bad fields; 404 `PROOF_NOT_FOUND` (also a compliance
 * proof); 409 `PROOF_ALREADY_ANCHORED` when another transaction is recorded.
 */
export async function markProofAnchored(
  service: SequencerService,
  p: Principal,
  proofId: string,
  input: ProofAnchorInput,
): Promise<{ status: "anchored" | "already_anchored"; proof: StoredProof }> {
  service.requireBootstrap(p);
  const anchor = {
    chainId: u64Field(input.chainId, "chainId", 1n),
    txHash: txHashField(input.txHash),
    blockNumber: u64Field(input.blockNumber, "blockNumber"),
    anchoredAt: new Date().toISOString(),
  };
  const out = await service.store.proofs.markAnchored(proofId, anchor);
  if (out.kind === "not_found") throw notFound(proofId);
  if (out.kind === "conflict") {
    const held = bytesTo0xHex(out.proof.anchor?.txHash ?? new Uint8Array(32));
    throw fail(409, "PROOF_ALREADY_ANCHORED", `validity proof ${proofId} is anchored by another transaction (${held})`);
  }
  if (out.kind === "anchored") {
    await service.audit(p, "proof.anchor", out.proof.tenantId, proofId, {
      batch_id: out.proof.batchId,
      chain_id: anchor.chainId.toString(),
      tx_hash: bytesTo0xHex(anchor.txHash),
      block_number: anchor.blockNumber.toString(),
    });
  }
  return { status: out.kind, proof: out.proof };
}

/**
 * Clears the anchor of a validity proof whose block was reorganised away (bootstrap admin).
 * @returns the proof, and `unanchored` or `not_anchored` (nothing was recorded: unchanged).
 * @throws SequencerError 403 unless bootstrap admin; 404 `PROOF_NOT_FOUND` (also a compliance proof).
 */
export async function unmarkProofAnchored(
  service: SequencerService,
  p: Principal,
  proofId: string,
): Promise<{ status: "unanchored" | "not_anchored"; proof: StoredProof }> {
  service.requireBootstrap(p);
  const before = await service.store.proofs.getProof(proofId);
  const out = await service.store.proofs.unmarkAnchored(proofId);
  if (out.kind === "not_found") throw notFound(proofId);
  if (out.kind === "unanchored") {
    const was = before?.anchor ?? null;
    await service.audit(p, "proof.unanchor", out.proof.tenantId, proofId, {
      batch_id: out.proof.batchId,
      tx_hash: was === null ? null : bytesTo0xHex(was.txHash),
      block_number: was === null ? null : was.blockNumber.toString(),
    });
  }
  return { status: out.kind, proof: out.proof };
}
