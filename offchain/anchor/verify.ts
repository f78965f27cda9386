/**
 * `anchor:verify`: compares the registry's record of a batch (and of its proof) with the sequencer's commitment (and
 * its stored proof record): roots, range, event count, the recorded transaction and its `BatchCommitted` log.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { JsonRpcProvider, Network } from "ethers";

import { AppError, ExitCode, connectRegistry, readRegistryAddress } from "../common";
import { normalizeUuid, toBytes32Hex } from "../ves";
import { REGISTRY_INTERFACE } from "./chain";
import { HttpProofSource } from "./proofs";
import { SequencerClient } from "./sequencer-client";

/** One comparison. */
export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The result of `verifyAnchoredBatch`. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly batchId: string;
  readonly checks: readonly VerifyCheck[];
  readonly lines: readonly string[];
}

/** What to compare and where. */
export interface VerifyInput {
  readonly batchId: string;
  readonly rpcUrl: string;
  readonly chainId: bigint;
  readonly registryAddress?: string | undefined;
  readonly sequencerUrl?: string | undefined;
  /** Reads ANCHOR__SEQUENCER_URL, ANCHOR__SEQUENCER_API_KEY[_FILE], ANCHOR__PROOF_API_URL. */
  readonly env: NodeJS.ProcessEnv;
}

function apiKey(env: NodeJS.ProcessEnv): string {
  if (env.ANCHOR__SEQUENCER_API_KEY) return env.ANCHOR__SEQUENCER_API_KEY;
  const file = env.ANCHOR__SEQUENCER_API_KEY_FILE;
  if (file) return readFileSync(file, "utf8").trim();
  throw new AppError("CONFIG_INVALID", "ANCHOR__SEQUENCER_API_KEY (or _FILE) is required to read the commitment", {
    exitCode: ExitCode.USAGE,
  });
}

/**
 * Compares the on-chain record of a batch with the sequencer's.
 * @throws AppError when the chain or the sequencer cannot be reached (exit 3) or the key is missing (exit 2).
 */
export async function verifyAnchoredBatch(input: VerifyInput): Promise<VerifyReport> {
  const batchId = normalizeUuid(input.batchId);
  const sequencerUrl = (input.sequencerUrl ?? input.env.ANCHOR__SEQUENCER_URL ?? "http://127.0.0.1:8080").replace(
    /\/+$/,
    "",
  );
  const key = apiKey(input.env);
  const seq = new SequencerClient(sequencerUrl, key, 10_000);
  const proofs = new HttpProofSource(new SequencerClient(input.env.ANCHOR__PROOF_API_URL ?? sequencerUrl, key, 10_000));
  const provider = new JsonRpcProvider(input.rpcUrl, Network.from(input.chainId), { staticNetwork: true });
  try {
    const address = input.registryAddress ?? readRegistryAddress(path.resolve(__dirname, "..", ".."), input.chainId);
    const registry = await connectRegistry(address, provider);
    const checks: VerifyCheck[] = [];
    const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

    const c = await seq.commitment(batchId);
    if (c === null) {
      check("sequencer commitment", false, `the sequencer has no commitment ${batchId}`);
    } else {
      const id32 = toBytes32Hex(batchId);
      const exists = await registry["batchExists(bytes32)"](id32);
      check("on-chain commitment", exists, exists ? `batch ${id32} is in the registry` : "not in the registry");
      if (exists) {
        const [onChain, hasProof] = await registry.getBatchWithProofStatus(id32);
        const same = (name: string, chainValue: string | bigint, seqValue: string | bigint) =>
          check(
            name,
            String(chainValue).toLowerCase() === String(seqValue).toLowerCase(),
            `chain ${chainValue}, sequencer ${seqValue}`,
          );
        same("events root", onChain.eventsRoot, `0x${String(c.merkle_root)}`);
        same("new state root", onChain.newStateRoot, `0x${String(c.new_state_root)}`);
        same("sequence start", onChain.sequenceStart, BigInt(c.sequence_start as number | bigint));
        same("sequence end", onChain.sequenceEnd, BigInt(c.sequence_end as number | bigint));
        same("event count", onChain.eventCount, BigInt(c.leaf_count as number | bigint));
        const txHash = typeof c.chain_tx_hash === "string" ? `0x${c.chain_tx_hash}` : null;
        if (txHash === null) check("recorded transaction", false, "the sequencer records no anchoring transaction");
        else {
          const receipt = await provider.getTransactionReceipt(txHash);
          const topic = REGISTRY_INTERFACE.getEvent("BatchCommitted").topicHash;
          const logged = receipt?.logs.some(
            (l) => l.topics[0] === topic && l.topics[1]?.toLowerCase() === id32.toLowerCase(),
          );
          check(
            "recorded transaction",
            receipt !== null && receipt.status === 1 && logged === true,
            receipt === null ? `${txHash} is not on this chain` : `${txHash} in block ${receipt.blockNumber}`,
          );
          if (c.chain_id !== null && c.chain_id !== undefined)
            same("chain id", input.chainId, BigInt(c.chain_id as number));
        }
        const proof = await proofs.proofFor(batchId).catch(() => null);
        if (proof !== null) {
          const matches = await registry.verifyStarkProofHash(id32, proof.proofHash);
          check("proof", hasProof && matches, hasProof ? `proof hash ${proof.proofHash}` : "no proof on-chain yet");
        } else {
          check("proof", true, hasProof ? "proof on-chain; the sequencer serves no proof record" : "no proof stored");
        }
      }
    }
    const ok = checks.every((x) => x.ok);
    const lines = [
      `batch ${batchId}: ${ok ? "on-chain record matches the sequencer" : "MISMATCH"}`,
      ...checks.map((x) => `  ${x.ok ? "ok  " : "FAIL"} ${x.name}: ${x.detail}`),
    ];
    return { ok, batchId, checks, lines };
  } finally {
    provider.destroy();
  }
}
