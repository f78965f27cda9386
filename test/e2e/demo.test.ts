/**
 * The demo end to end through its real entry point (`./run-ves-demo.sh`, every service a separate process), small:
 * eight events. With `--keep-running` the services stay up, so the test then tampers with a batch proof in the
 * sequencer's SQLite database and shows that the auditor's `verify --all` names the failing step; SIGINT then stops
 * every process and the demo exits 0.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { expect } from "chai";

import { parseJsonExact } from "../../offchain/ves";
import { waitFor } from "../support/anchor";

const ROOT = path.resolve(__dirname, "..", "..");

describe("demo (end to end: ./run-ves-demo.sh, every part a separate process)", function () {
  this.timeout(240_000);

  it("runs the whole flow, the auditor verifies every event on-chain; a tampered proof is named by the verifier", async function () {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.HARDHAT_NETWORK;
    delete env.VES__DEPLOYMENTS_DIR;
    const demo = spawn(path.join(ROOT, "run-ves-demo.sh"), ["--events", "8", "--keep-running"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    demo.stdout.on("data", (d: Buffer) => (out += d.toString()));
    demo.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
    try {
      await waitFor(
        "the demo to finish its checks",
        () => {
          if (demo.exitCode !== null) throw new Error(`the demo exited ${demo.exitCode}:\n${out}`);
          return out.includes("The services stay up");
        },
        200_000,
        250,
      );
      expect(out, out).to.include("all checks passed");
      expect(out).to.match(/✓ push: 8 events acknowledged, 0 rejected/);
      expect(out).to.match(/Verification by the auditor \(8 events\): PASSED/);
      expect(out).to.match(/inclusion \(on-chain\)\s+8\s+0\s+0/);
      expect(out).to.match(/state-root chain\s+8\s+0\s+0/);
      expect(out).to.match(/On-chain: \d+ transactions, \d+ gas/);
      const proverPresent = existsSync(path.join(ROOT, "bin", "ves-prover"));
      if (!proverPresent) expect(out).to.include("proofs are NOT part of this run");
      else {
        expect(out).to.match(/batch proof\s+8\s+0\s+0/);
        // Per-event proofs exist for the compliant events with amounts and verify; the others are skipped.
        expect(out).to.match(/event proof\s+[1-9]\d*\s+0\s+\d+/);
        expect(out).to.match(
          /✓ compliance: the order of 12,500\.00 USD \(over 10,000\.00\) makes batch \S+ non-compliant/,
        );
      }

      // Tamper with the stored batch proof of the stream's first commitment: the auditor names the step.
      const work = /working directory (\/\S+)/.exec(out)![1]!;
      const auditor = /STATESET_API_KEY=(\S+) bin\/stateset-sync --home (\S+) verify --all/.exec(out)!;
      if (proverPresent) {
        const db = new Database(path.join(work, "sequencer", "sequencer.db"));
        try {
          const row = db
            .prepare(
              "SELECT p.proof_id, p.bundle_json FROM ves_proofs p JOIN ves_commitments c ON c.batch_id = p.batch_id " +
                "WHERE p.kind = 'validity' ORDER BY c.sequence_start LIMIT 1",
            )
            .get() as { proof_id: string; bundle_json: string };
          const bundle = JSON.parse(row.bundle_json) as { proofB64: string };
          const i = Math.floor(bundle.proofB64.length / 2);
          const flipped = bundle.proofB64[i] === "A" ? "B" : "A";
          bundle.proofB64 = bundle.proofB64.slice(0, i) + flipped + bundle.proofB64.slice(i + 1);
          db.prepare("UPDATE ves_proofs SET bundle_json = ? WHERE proof_id = ?").run(
            JSON.stringify(bundle),
            row.proof_id,
          );
        } finally {
          db.close();
        }
        const verify = await new Promise<{ code: number; stdout: string }>((resolve) =>
          execFile(
            process.execPath,
            [path.join(ROOT, "bin", "stateset-sync"), "--home", auditor[2]!, "verify", "--all", "--json"],
            { cwd: ROOT, env: { PATH: process.env.PATH, STATESET_API_KEY: auditor[1]! }, timeout: 120_000 },
            (error, stdout) => resolve({ code: error === null ? 0 : Number(error.code), stdout }),
          ),
        );
        expect(verify.code, verify.stdout).to.equal(1);
        const r = parseJsonExact(verify.stdout) as { firstBroken: { sequenceNumber: bigint; step: string } };
        expect(r.firstBroken.step).to.equal("batch proof");
        expect(r.firstBroken.sequenceNumber).to.equal(1n);
      }
    } finally {
      if (demo.exitCode === null) demo.kill("SIGINT");
    }
    expect(await exited, out).to.equal(0);
    expect(out).to.include("stopping every process");
  });
});
