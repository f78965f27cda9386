/**
 * `npx hardhat demo` (`npm run demo`): the end-to-end demo on the embedded defaults. It starts the local L2 devnet
 * in-process, has an agent sign commerce events (one of them encrypted for a named recipient), commits them as a VES
 * batch with its Merkle root and state root, anchors the batch in the SetRegistry as the sequencer, and then checks
 * every event the way another agent would: signature, inclusion proof verified on-chain, and the state root.
 * Later parts (sequencer, prover, anchor service) take over the steps that are done in-process here.
 */
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { cleanAction } from "./lib/action";

interface DemoArgs {
  port: number;
  keep: boolean;
}

async function runDemo(args: DemoArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const { randomUUID } = await import("node:crypto");
  const { ethers } = await import("ethers");
  const ves = await import("../offchain/ves");
  const { connectRegistry, formatRegistryStatus, readRegistryStatus } = await import("../offchain/common");
  const { launchDevnet } = await import("./devnet");

  const log = (msg: string) => console.log(`demo: ${msg}`);
  const hex = (b: Uint8Array) => ves.bytesTo0xHex(b);

  // 1. A private devnet on its own port, with its own deployment record (a running devnet is left alone).
  const ownRecord = process.env.VES__DEPLOYMENTS_DIR === undefined;
  const recordDir = ownRecord ? await mkdtemp(path.join(tmpdir(), "ves-demo-")) : undefined;
  if (recordDir !== undefined) process.env.VES__DEPLOYMENTS_DIR = recordDir;
  const devnet = await launchDevnet({ hostname: "127.0.0.1", port: args.port, logRpc: false }, hre);
  const provider = new ethers.JsonRpcProvider(devnet.url, undefined, { staticNetwork: true, pollingInterval: 200 });
  try {
    log(`devnet chain ${devnet.chainId} at ${devnet.url}; SetRegistry at ${devnet.registryAddress}`);

    // 2. An agent with an Ed25519 key signs five events of one store; a refund is encrypted for the finance agent.
    const agent = ves.ed25519Keygen();
    const finance = ves.x25519Keygen();
    const tenantId = randomUUID();
    const storeId = randomUUID();
    const sourceAgentId = randomUUID();
    const events = [
      {
        entityType: "order",
        entityId: "ORD-1001",
        eventType: "order.created",
        payload: { total: 149.9, currency: "USD" },
      },
      {
        entityType: "inventory",
        entityId: "SKU-42",
        eventType: "inventory.adjusted",
        payload: { delta: -2, reason: "sale" },
      },
      { entityType: "payment", entityId: "PAY-77", eventType: "payment.captured", payload: { amount: 149.9 } },
      { entityType: "order", entityId: "ORD-1001", eventType: "order.shipped", payload: { carrier: "UPS" } },
      {
        entityType: "return",
        entityId: "RET-5",
        eventType: "refund.issued",
        payload: { amount: 49.9, reason: "damaged" },
      },
    ];
    const built = [];
    for (const [i, e] of events.entries()) {
      const encrypted = e.eventType === "refund.issued";
      built.push(
        await ves.buildEnvelope({
          tenantId,
          storeId,
          sourceAgentId,
          agentKeyId: 1,
          ...e,
          signingKey: agent.secretKey,
          ...(encrypted ? { recipients: [{ kid: 7, publicKey: finance.publicKey }] } : {}),
        }),
      );
      log(
        `signed event ${i + 1}: ${e.eventType}${encrypted ? " (payload encrypted for the finance agent, kid 7)" : ""}`,
      );
    }

    // 3. Commit them as sequences 1..5: Merkle root over the VES leaves and the new state root.
    const commitment = ves.commitEvents(
      built.map((b) => b.event),
      { sequenceStart: 1n },
    );
    const batchId = randomUUID();
    log(`batch ${batchId}: ${commitment.leafCount} events, depth ${commitment.treeDepth}`);
    log(`  merkle root ${hex(commitment.merkleRoot)}`);
    log(`  state root  ${hex(commitment.newStateRoot)}`);

    // 4. Anchor the batch as the sequencer (account #1).
    const sequencer = await provider.getSigner(1);
    const registry = await connectRegistry(devnet.registryAddress, sequencer);
    const tx = await registry.commitBatch(
      ves.toBytes32Hex(batchId),
      ves.toBytes32Hex(tenantId),
      ves.toBytes32Hex(storeId),
      hex(commitment.merkleRoot),
      hex(commitment.prevStateRoot),
      hex(commitment.newStateRoot),
      commitment.sequenceStart,
      commitment.sequenceEnd,
      commitment.leafCount,
    );
    const receipt = await tx.wait();
    log(`anchored in block ${receipt?.blockNumber} (tx ${tx.hash}, ${receipt?.gasUsed} gas)`);

    // 5. Another agent verifies each event: signature, on-chain inclusion, and the anchored state root.
    let ok = 0;
    for (const [i, b] of built.entries()) {
      const sig = ves.verifyEnvelope(JSON.parse(ves.envelopeToJson(b.envelope)), agent.publicKey);
      const proof = ves.commitmentProof(commitment, commitment.sequenceStart + BigInt(i));
      const included = await registry.verifyVesInclusion(
        ves.toBytes32Hex(batchId),
        hex(proof.leafHash),
        proof.proofPath.map(hex),
        proof.leafIndex,
      );
      log(
        `event ${i + 1}: signature ${sig.ok ? "valid" : "INVALID"}, inclusion on-chain ${included ? "verified" : "FAILED"}`,
      );
      if (sig.ok && included) ok++;
    }
    const anchored = await registry.getBatchCommitment(ves.toBytes32Hex(batchId));
    const chainOk =
      anchored.newStateRoot === hex(commitment.newStateRoot) && anchored.eventsRoot === hex(commitment.merkleRoot);
    log(`state root on-chain matches the recomputed chain: ${chainOk}`);

    // 6. Tampering is caught: a forged leaf does not verify, and only the recipient can read the refund.
    const forged = ves.commitmentProof(commitment, 1n);
    const forgedOk = await registry.verifyVesInclusion(
      ves.toBytes32Hex(batchId),
      hex(ves.sha256(ves.utf8Encode("forged event"))),
      forged.proofPath.map(hex),
      forged.leafIndex,
    );
    log(`a forged event is ${forgedOk ? "ACCEPTED (bug!)" : "rejected"} on-chain`);
    const refund = built[4]!;
    const opened = await ves.decryptEnvelope(JSON.parse(ves.envelopeToJson(refund.envelope)), 7, finance.secretKey);
    log(`the finance agent decrypts the refund: ${opened.ok ? JSON.stringify(opened.payload) : opened.reason}`);

    // 7. The registry as an operator sees it.
    console.log(formatRegistryStatus(await readRegistryStatus(registry.connect(provider))));
    if (ok !== built.length || !chainOk || forgedOk || !opened.ok)
      throw new Error("the demo's checks did not all pass");
    log("all checks passed");

    if (args.keep) {
      log(`devnet stays up at ${devnet.url}; Ctrl-C stops`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
    }
  } finally {
    provider.destroy();
    await devnet.close();
    if (recordDir !== undefined) await rm(recordDir, { recursive: true, force: true });
  }
}

task("demo", "Runs the end-to-end demo on a private in-process devnet: sign, commit, anchor, verify")
  .addOptionalParam("port", "Devnet port (0 picks a free one)", 0, types.int)
  .addFlag("keep", "Keep the devnet running after the demo until Ctrl-C")
  .setAction(cleanAction((args: DemoArgs, hre) => runDemo(args, hre)));
