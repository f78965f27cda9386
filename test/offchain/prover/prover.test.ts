/**
 * The prover service end to end against a real sequencer (SQLite): encrypted payloads (VES-ENC-1) decrypted as a
 * recipient, amount openings checked, a batch proof per commitment (and, on request, per-event compliance proofs)
 * verified by the sequencer on submit; events the prover cannot read or that break the policy are not proven; two provers on one sequencer with one stopped mid-job,
 * whose lease the other takes over; configuration errors reported at once.
 */
import { expect } from "chai";

import { resolveProverConfig, ProverService } from "../../../offchain/prover";
import type { Sequencer } from "../../../offchain/sequencer";
import { amountCommitmentHex, blindingToHex, randomBlinding } from "../../../offchain/stark";
import { bytesToHex, x25519Keygen } from "../../../offchain/ves";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  startSequencer,
  type Agent,
  type BackendSetup,
  type Client,
} from "../../support/sequencer";
import { waitFor } from "../../support/time";

function payment(amount: bigint, corrupt = false) {
  const blinding = randomBlinding();
  return {
    amount: Number(amount),
    currency: "EUR",
    amountCommitment: amountCommitmentHex(corrupt ? amount + 1n : amount, blinding),
    amountBlinding: blindingToHex(blinding),
  };
}

describe("ves-prover", function () {
  this.timeout(60_000);
  let setup: BackendSetup;
  let seq: Sequencer;
  let url: string;
  let admin: Client;
  let agent: Agent;
  let proverKey: string;
  const prover = x25519Keygen();
  const stranger = x25519Keygen();
  const started: ProverService[] = [];

  const newProver = (id: string, extra: Record<string, unknown> = {}) => {
    const p = new ProverService(
      resolveProverConfig(
        {
          sequencerUrl: url,
          proverId: id,
          port: 0,
          pollMs: 50,
          leaseMs: 400,
          logLevel: "silent",
          currency: "EUR",
          ...extra,
        },
        {
          PROVER__API_KEY: proverKey,
          PROVER__X25519_SECRET_KEY: bytesToHex(prover.secretKey),
          PROVER__POLICY_LIMIT: "10000",
        },
      ),
    );
    started.push(p);
    return p;
  };

  async function commitBatch(events: unknown[]): Promise<{ batchId: string; eventIds: string[] }> {
    const r = await ingest(admin, agent, events);
    expect(r.status, r.text).to.equal(200);
    const head = Number(r.json.sequenceEnd);
    const c = await admin.post("/api/v1/ves/commitments", {
      tenant_id: agent.tenantId,
      store_id: agent.storeId,
      sequence_start: String(head - events.length + 1),
      sequence_end: String(head),
    });
    expect(c.status, c.text).to.equal(200);
    return {
      batchId: c.json.batch_id as unknown as string,
      eventIds: events.map((e) => (e as { event_id: string }).event_id),
    };
  }

  const validity = async (batchId: string) =>
    (await admin.get(`/api/v1/ves/validity/${batchId}/proofs`)).json.proofs as unknown as {
      allCompliant: boolean;
      compliantCount: number;
    }[];

  const proofCount = async (eventId: string) =>
    Number((await admin.get(`/api/v1/ves/compliance/${eventId}/proofs`)).json.count);

  before(async function () {
    setup = await BACKENDS[0]!.setup();
    ({ seq, url } = await startSequencer(setup));
    admin = client(url, ADMIN_KEY);
    agent = await newAgent(admin);
    proverKey = (await admin.post("/api/v1/admin/prover-keys", {})).json.api_key as unknown as string;
  });

  afterEach(async function () {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  after(async function () {
    await seq?.stop();
    await setup?.cleanup();
  });

  it("proves encrypted and plaintext in-scope events and skips what it must not prove", async function () {
    const enc = [{ kid: 1, publicKey: prover.publicKey }];
    const events = [
      await agent.event({
        entityType: "payment",
        eventType: "payment.captured",
        payload: payment(1234n),
        recipients: enc,
      }),
      await agent.event({ entityType: "payment", eventType: "payment.captured", payload: payment(2n ** 40n) }),
      await agent.event({ entityType: "payment", eventType: "payment.captured", payload: payment(5n) }),
      await agent.event({ entityType: "payment", eventType: "payment.captured", payload: payment(7n, true) }),
      await agent.event({
        entityType: "payment",
        eventType: "payment.captured",
        payload: payment(8n),
        recipients: [{ kid: 1, publicKey: stranger.publicKey }],
      }),
      await agent.event({ entityType: "inventory", eventType: "inventory.adjusted", payload: { sku: "A", qty: 3 } }),
    ];
    const { batchId, eventIds } = await commitBatch(events);
    const p = newProver("solo", { perEvent: true });
    const metricsUrl = await p.start();
    expect((await fetch(`${metricsUrl}/health`)).status).to.equal(200);
    // The job counts as done once its batch proof and every per-event proof went in.
    const metrics = await waitFor("the prover's job to be done", async () => {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      return /ves_prover_jobs_total\{outcome="done"\} 1/.test(text) ? text : undefined;
    });
    expect(await Promise.all(eventIds.map(proofCount))).to.deep.equal([1, 0, 1, 0, 0, 0]);
    const [batch] = await validity(batchId);
    expect(batch, "the batch proof").to.not.equal(undefined);
    expect(batch).to.include({ allCompliant: false, compliantCount: 2 });
    expect(metrics).to.match(/ves_prover_events_total\{result="over_limit"\} 1/);
    expect(metrics).to.match(/ves_prover_events_total\{result="opening_mismatch"\} 1/);
    expect(metrics).to.match(/ves_prover_events_total\{result="not_a_recipient"\} 1/);
    expect(metrics).to.match(/ves_prover_events_total\{result="out_of_scope"\} 1/);
    expect(metrics).to.match(/ves_prover_batch_events_total\{reason="not_a_recipient"\} 1/);
    // The secret amount appears in no metric's name, labels or value. (Process metrics carry arbitrary numbers such
    // as byte counts and timestamps, so a plain substring test would fail by chance.)
    for (const line of metrics.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
      const cut = line.lastIndexOf(" ");
      expect(line.slice(0, cut), line).to.not.include("1234");
      expect(Number(line.slice(cut + 1)), line).to.not.equal(1234);
    }
  });

  it("lets a second prover take over the lease of a prover stopped mid-job", async function () {
    const events = [];
    for (let i = 0; i < 6; i++) {
      events.push(
        await agent.event({ entityType: "payment", eventType: "payment.captured", payload: payment(BigInt(i + 1)) }),
      );
    }
    const { batchId, eventIds } = await commitBatch(events);
    // Prover A holds the lease and dies without releasing it (its process is gone: the lease just stops being renewed).
    const claim = await client(url, proverKey).post(`/api/v1/ves/validity/${batchId}/claim`, {
      proverId: "a",
      leaseMs: 300,
    });
    expect(claim.status).to.equal(200);
    const b = newProver("b");
    await b.start();
    await waitFor("prover b's batch proof", async () => (await validity(batchId)).length > 0);
    expect(await validity(batchId)).to.have.length(1);
    expect((await validity(batchId))[0]).to.include({ allCompliant: true, compliantCount: 6 });
    expect(await Promise.all(eventIds.map(proofCount))).to.deep.equal([0, 0, 0, 0, 0, 0]);
  });

  it("reports every bad configuration key at once and refuses secrets as flags", function () {
    let message = "";
    try {
      resolveProverConfig({ port: 70000, proverId: "bad id", jobs: 0 }, { PROVER__API_KEY: "x".repeat(20) });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message)
      .to.match(/--port/)
      .and.match(/--prover-id/)
      .and.match(/--jobs/);
    expect(() => resolveProverConfig({ apiKey: "y".repeat(20), policyLimit: "1" }, {})).to.throw(
      /not accepted as flags/,
    );
  });
});
