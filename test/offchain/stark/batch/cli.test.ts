/**
 * The batch sub-commands of `ves-stark`, spawned as `node bin/ves-stark …`: batch-prove and batch-verify (exit 0,
 * 1 for an invalid proof, 2 for usage), sequencer with --output-dir and chain-verify on its directory, and
 * chain-verify refusing a broken state-root link, a sequence gap, a tenant change and a store change (chains written
 * by the library at production options). Budget: about 25 s.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { PRODUCTION_OPTIONS, proveBatch } from "../../../../offchain/stark";
import { stringifyJsonExact } from "../../../../offchain/ves";
import { syntheticBatch } from "./support";

const BIN = join(__dirname, "..", "..", "..", "..", "bin", "ves-stark");

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("stark batch cli", function () {
  this.timeout(300_000);
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), "ves-stark-batch-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("batch-prove prints a bundle that batch-verify accepts; a wrong limit is INVALID; usage errors exit 2", function () {
    const file = join(dir, "b.json");
    const p = run(["batch-prove", "-n", "3", "-l", "10000", "-o", file]);
    expect(p.code, p.stderr).to.equal(0);
    expect(p.stderr).to.include("3 events");
    const v = run(["batch-verify", "-f", file, "-l", "10000"]);
    expect(v.code, v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^VALID: batch /);
    const w = run(["batch-verify", "-f", file, "-l", "10001"]);
    expect(w.code).to.equal(1);
    expect(w.stdout).to.equal("INVALID: LIMIT_MISMATCH (policy limit differs)\n");
    expect(run(["batch-prove", "-n", "0"]).code).to.equal(2);
    expect(run(["batch-prove", "-n", "1025"]).code).to.equal(2);
    expect(run(["batch-verify", "-l", "5"]).code).to.equal(2);
  });

  it("sequencer writes a chain from genesis that chain-verify accepts", function () {
    const out = join(dir, "chain");
    const s = run(["sequencer", "-n", "5", "-b", "2", "--include-violations", "-o", out]);
    expect(s.code, s.stderr).to.equal(0);
    expect(readdirSync(out).sort()).to.deep.equal([
      "batch_0000.json",
      "batch_0001.json",
      "batch_0002.json",
      "final_state.json",
    ]);
    expect(JSON.parse(s.stdout)).to.include({ totalEvents: 5, totalBatches: 3, lastSequence: "5" });
    const v = run(["chain-verify", out]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^VALID: 3 batches/);
    expect(run(["chain-verify", out, "-l", "9999"]).stdout).to.match(/^INVALID: LIMIT_MISMATCH/);
  });

  describe("chain-verify refuses", function () {
    const tenantId = randomUUID();
    const storeId = randomUUID();
    const first = syntheticBatch([1n, 2n], { tenantId, storeId, sequenceStart: 1n });
    const firstBundle = proveBatch(first.statement, first.witness, PRODUCTION_OPTIONS);

    function chainWith(name: string, second: ReturnType<typeof syntheticBatch>): string {
      const target = mkdtempSync(join(dir, `${name}-`));
      writeFileSync(join(target, "batch_0000.json"), stringifyJsonExact(firstBundle, 2));
      const bundle = proveBatch(second.statement, second.witness, PRODUCTION_OPTIONS);
      writeFileSync(join(target, "batch_0001.json"), stringifyJsonExact(bundle, 2));
      return target;
    }

    const next = { tenantId, storeId, sequenceStart: 3n, prevStateRoot: first.statement.newStateRoot };

    it("nothing in a valid chain", function () {
      const r = run(["chain-verify", chainWith("ok", syntheticBatch([3n], next))]);
      expect(r.stdout).to.match(/^VALID: 2 batches/);
      expect(r.code).to.equal(0);
    });

    const cases: [string, Parameters<typeof syntheticBatch>[1], string][] = [
      ["link", { ...next, prevStateRoot: "77".repeat(32) }, "BROKEN_STATE_LINK"],
      ["gap", { ...next, sequenceStart: 4n }, "SEQUENCE_GAP"],
      ["tenant", { ...next, tenantId: randomUUID() }, "STREAM_CHANGE"],
      ["store", { ...next, storeId: randomUUID() }, "STREAM_CHANGE"],
    ];
    for (const [name, opts, reason] of cases) {
      it(`a ${name} change with ${reason}`, function () {
        const r = run(["chain-verify", chainWith(name, syntheticBatch([3n], opts))]);
        expect(r.code).to.equal(1);
        expect(r.stdout).to.match(new RegExp(`^INVALID: ${reason}`));
      });
    }
  });
});
