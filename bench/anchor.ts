/**
 * Anchor benchmark: anchored batches per minute and gas per batch on the devnet.
 *
 *   npx hardhat run bench/anchor.ts            (ANCHOR_BENCH_STREAMS=8 ANCHOR_BENCH_BATCHES=5 to change the load)
 *
 * Starts the devnet's chain in-process (automine, the registry deployed through Ignition), a real sequencer (SQLite)
 * and the anchor service with one confirmation; makes S streams × B commitments of 4 events; then starts the anchor
 * and times until the sequencer records every anchor. Prints one line of figures; nothing here asserts a timing.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import hre from "hardhat";

import { createAnchor, resolveAnchorConfig } from "../offchain/anchor";
import { createSequencer, resolveSequencerConfig } from "../offchain/sequencer";
import * as ves from "../offchain/ves";
import { launchDevnet } from "../tasks/devnet";

const STREAMS = Number(process.env.ANCHOR_BENCH_STREAMS ?? 8);
const BATCHES = Number(process.env.ANCHOR_BENCH_BATCHES ?? 5);
const EVENTS = 4;
const ADMIN = `ss_admin_bench_${randomUUID()}`;
const SEQUENCER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "ves-anchor-bench-"));
  process.env.VES__DEPLOYMENTS_DIR = dir;
  const devnet = await launchDevnet({ hostname: "127.0.0.1", port: 0, logRpc: false }, hre);
  const sequencer = await createSequencer(
    resolveSequencerConfig(
      { port: 0, dataDir: path.join(dir, "seq"), commitWorker: false, logLevel: "silent", metricsPort: 0 },
      { SEQUENCER__ADMIN_API_KEY: ADMIN },
    ),
  );
  const seqUrl = await sequencer.start();
  const call = async (method: string, route: string, body?: string) => {
    const res = await fetch(seqUrl + route, {
      method,
      headers: { authorization: `ApiKey ${ADMIN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    // 1. S streams × B commitments.
    const batchIds: string[] = [];
    for (let s = 0; s < STREAMS; s++) {
      const agent = ves.ed25519Keygen();
      const tenantId = randomUUID();
      const storeId = randomUUID();
      const agentId = randomUUID();
      await call(
        "POST",
        "/api/v1/agents/keys",
        JSON.stringify({ tenantId, agentId, keyId: 1, publicKey: ves.bytesToHex(agent.publicKey) }),
      );
      for (let b = 0; b < BATCHES; b++) {
        const envelopes = [];
        for (let e = 0; e < EVENTS; e++) {
          const built = await ves.buildEnvelope({
            tenantId,
            storeId,
            sourceAgentId: agentId,
            agentKeyId: 1,
            entityType: "order",
            entityId: `ORD-${s}-${b}-${e}`,
            eventType: "order.created",
            payload: { n: e },
            signingKey: agent.secretKey,
          });
          envelopes.push(ves.envelopeToJson(built.envelope));
        }
        await call("POST", "/api/v1/ves/events/ingest", `{"agentId":"${agentId}","events":[${envelopes.join(",")}]}`);
        const c = await call(
          "POST",
          "/api/v1/ves/commitments",
          JSON.stringify({
            tenant_id: tenantId,
            store_id: storeId,
            sequence_start: b * EVENTS + 1,
            sequence_end: (b + 1) * EVENTS,
          }),
        );
        batchIds.push(c.batch_id as string);
      }
    }
    // 2. The anchor, timed until every anchor is recorded.
    const anchor = createAnchor(
      resolveAnchorConfig(
        {},
        {
          ANCHOR__RPC_URL: devnet.url,
          ANCHOR__REGISTRY_ADDRESS: devnet.registryAddress,
          ANCHOR__SIGNER_KEY: SEQUENCER_KEY,
          ANCHOR__SEQUENCER_URL: seqUrl,
          ANCHOR__SEQUENCER_API_KEY: ADMIN,
          ANCHOR__STATE_FILE: path.join(dir, "anchor.db"),
          ANCHOR__PORT: "0",
          ANCHOR__INTERVAL_MS: "50",
          ANCHOR__CONFIRMATIONS: "1",
          ANCHOR__PROOFS: "false",
          ANCHOR__LOG_LEVEL: "silent",
        },
      ),
    );
    const t0 = performance.now();
    await anchor.start();
    for (;;) {
      const pending = ((await call("GET", "/v1/commitments/pending?limit=5000")).commitments as unknown[]).length;
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = anchor.stats();
    await anchor.stop();
    const n = batchIds.length;
    const gas = BigInt(stats.gas_used as string);
    console.log(
      `anchor: ${n} batches (${STREAMS} streams × ${BATCHES}, ${EVENTS} events each) anchored and reported in ` +
        `${seconds.toFixed(1)} s = ${((n / seconds) * 60).toFixed(0)} batches/min; ` +
        `gas per batch ${(gas / BigInt(n)).toString()} (transaction gas, commitBatch)`,
    );
  } finally {
    await sequencer.stop();
    await devnet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
