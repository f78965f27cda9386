/**
 * Two real `ves-prover` processes on one sequencer, one killed with SIGKILL in the middle of a job (its lease held,
 * its proof not yet submitted): the lease lapses, the other prover takes the commitment over, and exactly one valid
 * batch proof — the survivor's — is stored. Proofs run on the provers' worker threads, so the dead prover's lease was
 * being renewed while it proved (lease 1 s, a proof of 128 events takes longer).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

import { expect } from "chai";

import type { Sequencer } from "../../offchain/sequencer";
import { amountCommitmentHex, blindingToHex, randomBlinding } from "../../offchain/stark";
import {
  ADMIN_KEY,
  BACKENDS,
  client,
  ingest,
  newAgent,
  startSequencer,
  type BackendSetup,
  type Client,
} from "../support/sequencer";

const BIN = path.resolve(__dirname, "..", "..", "bin", "ves-prover");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ValidityProof {
  readonly proverId: string | null;
  readonly allCompliant: boolean;
  readonly compliantCount: number;
}

describe("ves-prover processes: one killed mid-job", function () {
  this.timeout(120_000);
  let setup: BackendSetup;
  let seq: Sequencer;
  let url: string;
  let admin: Client;
  let proverKey: string;
  const children: ChildProcess[] = [];

  const startProver = (id: string): ChildProcess => {
    const child = spawn(
      process.execPath,
      [BIN, "--sequencer-url", url, "--prover-id", id, "--port", "0", "--poll-ms", "100", "--lease-ms", "1000"],
      {
        env: {
          ...process.env,
          PROVER__API_KEY: proverKey,
          PROVER__POLICY_LIMIT: "10000",
          PROVER__CURRENCY: "EUR",
          PROVER__LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(`prover ${id} exited ${code}: ${stderr}\n`);
    });
    children.push(child);
    return child;
  };

  before(async function () {
    setup = await BACKENDS[0]!.setup();
    ({ seq, url } = await startSequencer(setup));
    admin = client(url, ADMIN_KEY);
    proverKey = (await admin.post("/api/v1/admin/prover-keys", {})).json.api_key as unknown as string;
  });

  after(async function () {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await seq?.stop();
    await setup?.cleanup();
  });

  it("lets the surviving prover take over and submit the only proof", async function () {
    const agent = await newAgent(admin);
    const events = [];
    for (let i = 0; i < 128; i++) {
      const blinding = randomBlinding();
      const amount = BigInt(100 + i);
      events.push(
        await agent.event({
          entityType: "payment",
          eventType: "payment.captured",
          payload: {
            amount: Number(amount),
            currency: "EUR",
            amountCommitment: amountCommitmentHex(amount, blinding),
            amountBlinding: blindingToHex(blinding),
          },
        }),
      );
    }
    const r = await ingest(admin, agent, events);
    expect(r.status, r.text).to.equal(200);
    const c = await admin.post("/api/v1/ves/commitments", {
      tenant_id: agent.tenantId,
      store_id: agent.storeId,
      sequence_start: "1",
      sequence_end: "128",
    });
    expect(c.status, c.text).to.equal(200);
    const batchId = c.json.batch_id as unknown as string;
    const prover = client(url, proverKey);
    const claimOf = async () => {
      const pending = (await prover.get("/api/v1/ves/validity/pending?limit=100")).json.pending as unknown as {
        batchId: string;
        claim: { proverId: string } | null;
      }[];
      return pending.find((p) => p.batchId === batchId)?.claim?.proverId ?? null;
    };
    const proofs = async () =>
      (await admin.get(`/api/v1/ves/validity/${batchId}/proofs`)).json.proofs as unknown as ValidityProof[];

    // 1. Prover A claims the commitment and starts proving; it is killed while it holds the lease.
    const a = startProver("prover-a");
    for (let i = 0; i < 600 && (await claimOf()) !== "prover-a"; i++) await sleep(50);
    expect(await claimOf(), "prover A holds the lease").to.equal("prover-a");
    a.kill("SIGKILL");
    await new Promise((resolve) => a.once("exit", resolve));
    expect(await proofs(), "no proof from the killed prover").to.have.length(0);
    // 2. Prover B starts, waits out A's lease, takes the job over and submits the proof.
    startProver("prover-b");
    for (let i = 0; i < 1200 && (await proofs()).length === 0; i++) await sleep(50);
    const stored = await proofs();
    expect(stored).to.have.length(1);
    expect(stored[0]).to.include({ proverId: "prover-b", allCompliant: true, compliantCount: 128 });
    expect(await claimOf()).to.equal(null);
  });
});
