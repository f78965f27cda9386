/**
 * The batch AIR as the generic prover and verifier see it (a StarkAir): the transcript is seeded with the batch
 * protocol id, the proof context, the effective limit, the event count and the claim (in-scope and compliant counts,
 * all-compliant), every event's ALLOWED bit and commitment lanes, and the statement hash, which covers every other
 * public input (tenant, store, batch id, sequence range, policy id/params/hash, currency, the three roots, and per
 * event its sequence number, id, type, scope, reason, C_i, signing hash and agent signature) — all before the first
 * challenge.
 */
import type { StarkAir } from "../engine";
import { contextWords } from "../protocol";
import { Transcript } from "../transcript";
import { BATCH_CONSTRAINTS, BATCH_WIDTH, type BatchAirStatement, batchQuotientAt, batchTraceLength } from "./air";
import { batchComposeQuotientFast } from "./compose";
import type { BatchClaim } from "./statement";

/** Transcript protocol id of batch proofs (distinct from the per-event proofs'). */
export const BATCH_PROTOCOL_ID = "ves-stark/batch/v1";

/** The batch StarkAir for an AIR statement, its claim and the statement hash (32 bytes). */
export function batchAir(s: BatchAirStatement, claim: BatchClaim, statementHash: Uint8Array): StarkAir {
  return {
    traceLength: batchTraceLength(s.numEvents),
    traceWidth: BATCH_WIDTH,
    numConstraints: BATCH_CONSTRAINTS,
    seedTranscript: (o, p) => {
      const t = new Transcript(BATCH_PROTOCOL_ID);
      t.absorbWords("context", contextWords(o, p, { traceWidth: BATCH_WIDTH, numConstraints: BATCH_CONSTRAINTS }));
      t.absorbWords("limit", [Number(s.limit & 0xffffffffn), Number(s.limit >> 32n)]);
      t.absorbWords("claim", [s.numEvents, claim.inScopeCount, s.compliantCount, claim.allCompliant ? 1 : 0]);
      t.absorbWords("allowed", s.allowed);
      t.absorbWords("commitments", s.commitments);
      t.absorb("public-inputs", statementHash);
      return t;
    },
    composeQuotient: (traceLde, N, QN, shift, alphas) => batchComposeQuotientFast(s, traceLde, N, QN, shift, alphas),
    quotientAt: (traceZ, traceZw, z, alphas) => batchQuotientAt(s, traceZ, traceZw, z, alphas),
  };
}
