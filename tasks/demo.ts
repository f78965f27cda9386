/**
 * `npx hardhat demo` (`npm run demo`): the end-to-end demo on the embedded defaults. It starts the local L2 devnet and
 * a sequencer (SQLite) in-process; an agent registers its key, signs commerce events (one encrypted for a named
 * recipient) and pushes them; the sequencer sequences them with signed receipts and commits them (Merkle root, state
 * root); the batch is anchored in the SetRegistry; and another agent checks every event on its own: signature,
 * the sequencer's inclusion proof verified on-chain, and the state root. The anchoring step stands in for the anchor
 * service until that part exists.
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
  const { createSequencer, resolveSequencerConfig } = await import("../offchain/sequencer");
  const { launchDevnet } = await import("./devnet");

  const log = (msg: string) => console.log(`demo: ${msg}`);
  const hex = (b: Uint8Array) => ves.bytesTo0xHex(b);

  // 1. A private devnet on its own port, with its own deployment record (a running devnet is left alone).
  const ownRecord = process.env.VES__DEPLOYMENTS_DIR === undefined;
  const recordDir = ownRecord ? await mkdtemp(path.join(tmpdir(), "ves-demo-")) : undefined;
  if (recordDir !== undefined) process.env.VES__DEPLOYMENTS_DIR = recordDir;
  const devnet = await launchDevnet({ hostname: "127.0.0.1", port: args.port, logRpc: false }, hre);
  const provider = new ethers.JsonRpcProvider(devnet.url, undefined, { staticNetwork: true, pollingInterval: 200 });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    log(`devnet chain ${devnet.chainId} at ${devnet.url}; SetRegistry at ${devnet.registryAddress}`);

    // 2. A sequencer on its own SQLite file, with a bootstrap admin key for this run.
    const seqDir = await mkdtemp(path.join(tmpdir(), "ves-demo-seq-"));
    cleanups.push(() => rm(seqDir, { recursive: true, force: true }));
    const adminKey = `ss_admin_demo_${randomUUID()}`;
    const sequencer = await createSequencer(
      resolveSequencerConfig(
        { port: 0, metricsPort: 0, dataDir: seqDir, commitWorker: false, logLevel: "warn" },
        { SEQUENCER__ADMIN_API_KEY: adminKey },
      ),
    );
    const seqUrl = await sequencer.start();
    cleanups.push(() => sequencer.stop());
    const http = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(seqUrl + route, {
        method,
        headers: {
          authorization: `ApiKey ${adminKey}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    log(`sequencer at ${seqUrl} (SQLite in ${seqDir})`);

    // 3. An agent registers its Ed25519 key and signs five events of one store; a refund is encrypted for the
    //    finance agent.
    const agent = ves.ed25519Keygen();
    const finance = ves.x25519Keygen();
    const tenantId = randomUUID();
    const storeId = randomUUID();
    const sourceAgentId = randomUUID();
    await http("POST", "/api/v1/agents/keys", {
      tenantId,
      agentId: sourceAgentId,
      keyId: 1,
      publicKey: ves.bytesToHex(agent.publicKey),
    });
    const events = [
      {
        entityType: "order",
        entityId: "ORD-1001",
        eventType: "order.created",
        payload: { total: "149.90", currency: "USD" },
      },
      {
        entityType: "inventory",
        entityId: "SKU-42",
        eventType: "inventory.adjusted",
        payload: { delta: -2, reason: "sale" },
      },
      { entityType: "payment", entityId: "PAY-77", eventType: "payment.captured", payload: { amount: "149.90" } },
      { entityType: "order", entityId: "ORD-1001", eventType: "order.shipped", payload: { carrier: "UPS" } },
      {
        entityType: "return",
        entityId: "RET-5",
        eventType: "refund.issued",
        payload: { amount: "49.90", reason: "damaged" },
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

    // 4. Push them to the sequencer: sequence numbers and signed receipts, which the agent checks.
    const ingest = await http(
      "POST",
      "/api/v1/ves/events/ingest",
      `{"agentId":"${sourceAgentId}","events":[${built.map((b) => ves.envelopeToJson(b.envelope)).join(",")}]}`,
    );
    const seqKey = await http("GET", "/api/v1/ves/sequencer-key");
    const seqPk = ves.hexToBytes((seqKey.keys as { public_key: string }[])[0]!.public_key);
    let receiptsOk = 0;
    for (const [i, raw] of (ingest.receipts as unknown[]).entries()) {
      const r = ves.parseReceipt(raw);
      if (r.ok && ves.verifyReceipt(r.value, built[i]!.event, seqPk).ok) receiptsOk++;
    }
    log(
      `sequencer accepted ${ingest.eventsAccepted} events as ${ingest.sequenceStart}..${ingest.sequenceEnd}; ${receiptsOk} receipts verify`,
    );

    // 5. The sequencer commits them: Merkle root over the VES leaves, state root chained to the stream's previous one.
    const c = await http("POST", "/api/v1/ves/commitments", {
      tenant_id: tenantId,
      store_id: storeId,
      sequence_start: 1,
      sequence_end: built.length,
    });
    const batchId = c.batch_id as string;
    log(`commitment ${batchId}: ${c.leaf_count} events, depth ${c.tree_depth}`);
    log(`  merkle root ${c.merkle_root}`);
    log(`  state root  ${c.new_state_root}`);

    // 6. Anchor it (the anchor service's job; done here in-process): pending → SetRegistry.commitBatch → anchored.
    const pending = (await http("GET", "/v1/commitments/pending")).commitments as Record<string, string | number>[];
    const p = pending.find((x) => x.batch_id === batchId)!;
    const sequencerSigner = await provider.getSigner(1);
    const registry = await connectRegistry(devnet.registryAddress, sequencerSigner);
    const tx = await registry.commitBatch(
      ves.toBytes32Hex(batchId),
      ves.toBytes32Hex(tenantId),
      ves.toBytes32Hex(storeId),
      p.events_root as string,
      p.prev_state_root as string,
      p.new_state_root as string,
      BigInt(p.sequence_start!),
      BigInt(p.sequence_end!),
      Number(p.event_count),
    );
    const receipt = await tx.wait();
    await http("POST", `/v1/commitments/${batchId}/anchored`, {
      chain_tx_hash: tx.hash,
      chain_id: Number(devnet.chainId),
      block_number: receipt?.blockNumber ?? null,
    });
    log(`anchored in block ${receipt?.blockNumber} (tx ${tx.hash}, ${receipt?.gasUsed} gas)`);

    // 7. Another agent verifies each event on its own: signature, inclusion proof from the sequencer checked
    //    on-chain, and the anchored state root against the commitment.
    let ok = 0;
    for (const [i, b] of built.entries()) {
      const sig = ves.verifyEnvelope(JSON.parse(ves.envelopeToJson(b.envelope)), agent.publicKey);
      const proof = await http("GET", `/api/v1/ves/proofs/${i + 1}?tenant_id=${tenantId}&store_id=${storeId}`);
      const included = await registry.verifyVesInclusion(
        ves.toBytes32Hex(batchId),
        `0x${proof.leaf_hash as string}`,
        (proof.proof_path as string[]).map((h) => `0x${h}`),
        proof.leaf_index as number,
      );
      log(
        `event ${i + 1}: signature ${sig.ok ? "valid" : "INVALID"}, inclusion on-chain ${included ? "verified" : "FAILED"}`,
      );
      if (sig.ok && included) ok++;
    }
    const anchored = await registry.getBatchCommitment(ves.toBytes32Hex(batchId));
    const wire = ves.parseCommitment(c);
    const chainOk =
      wire.ok &&
      ves.verifyCommitment(wire.value).ok &&
      anchored.newStateRoot === `0x${c.new_state_root as string}` &&
      anchored.eventsRoot === `0x${c.merkle_root as string}`;
    log(`state root on-chain matches the recomputed chain: ${chainOk}`);

    // 8. Tampering is caught: a forged leaf does not verify, and only the recipient can read the refund.
    const forged = await http("GET", `/api/v1/ves/proofs/2?tenant_id=${tenantId}&store_id=${storeId}`);
    const forgedOk = await registry.verifyVesInclusion(
      ves.toBytes32Hex(batchId),
      hex(ves.sha256(ves.utf8Encode("forged event"))),
      (forged.proof_path as string[]).map((h) => `0x${h}`),
      forged.leaf_index as number,
    );
    log(`a forged event is ${forgedOk ? "ACCEPTED (bug!)" : "rejected"} on-chain`);
    const stored = await http("GET", `/api/v1/ves/events/${built[4]!.event.eventId}`);
    const opened = await ves.decryptEnvelope(stored.envelope, 7, finance.secretKey);
    log(`the finance agent decrypts the refund: ${opened.ok ? JSON.stringify(opened.payload) : opened.reason}`);
    if (receiptsOk !== built.length) throw new Error("some sequencer receipts did not verify");

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
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    provider.destroy();
    await devnet.close();
    if (recordDir !== undefined) await rm(recordDir, { recursive: true, force: true });
  }
}

task("demo", "Runs the end-to-end demo on a private in-process devnet: sign, commit, anchor, verify")
  .addOptionalParam("port", "Devnet port (0 picks a free one)", 0, types.int)
  .addFlag("keep", "Keep the devnet running after the demo until Ctrl-C")
  .setAction(cleanAction((args: DemoArgs, hre) => runDemo(args, hre)));
