/**
 * Tests of the `ves-stark` CLI, spawned as `node bin/ves-stark …`: every subcommand's happy path and its error exit
 * codes (1 invalid input or proof, 2 usage), file permissions of the opening, and that no amount reaches the output.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { parseJsonExact } from "../../../offchain/ves";
import { MAX_PROOF_B64_LENGTH, checkOpening, parsePublicInputs, validateBundle } from "../../../offchain/stark";

const BIN = join(__dirname, "..", "..", "..", "bin", "ves-stark");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", input, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("stark cli", function () {
  this.timeout(180_000);
  let dir: string;
  const f = (name: string): string => join(dir, name);

  before(function () {
    dir = mkdtempSync(join(tmpdir(), "ves-stark-cli-"));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints help and exits 0", function () {
    const r = run(["--help"]);
    expect(r.code).to.equal(0);
    for (const cmd of ["gen-inputs", "prove", "verify", "inspect", "benchmark"]) expect(r.stdout).to.include(cmd);
  });

  it("exits 2 on usage errors", function () {
    expect(run([]).code).to.equal(2);
    expect(run(["prove", "-a", "x", "-l", "10"]).code).to.equal(2);
    expect(run(["prove", "-a", "1"]).code).to.equal(2);
    expect(run(["prove", "-l", "10"]).code).to.equal(2); // no amount
    expect(run(["prove", "-a", "1", "--amount-file", "x", "-l", "10"]).code).to.equal(2);
    expect(run(["verify", "-f", "x"]).code).to.equal(2); // no expected limit
    expect(run(["verify", "-f", "x", "-l", "1", "-p", "agent.budget.v1"]).code).to.equal(2);
    expect(run(["frobnicate"]).code).to.equal(2);
  });

  it("gen-inputs writes valid public inputs for the policy", function () {
    const r = run(["gen-inputs", "-l", "50000", "-p", "order_total.cap", "-o", f("inputs.json")]);
    expect(r.code).to.equal(0);
    const { inputs, policy } = parsePublicInputs(parseJsonExact(readFileSync(f("inputs.json"), "utf8")));
    expect(policy).to.deep.equal({ id: "order_total.cap", cap: 50000n });
    expect(inputs.witnessCommitment).to.equal(undefined);
    const out = run(["gen-inputs", "-l", "7"]);
    expect(parsePublicInputs(parseJsonExact(out.stdout)).policy).to.deep.equal({ id: "aml.threshold", threshold: 7n });
  });

  it("prove --json writes a valid bundle and a 0600 opening, verify prints VALID, inspect shows the security", function () {
    writeFileSync(f("amount.txt"), "49999\n", { mode: 0o600 });
    let r = run([
      "prove",
      "--amount-file",
      f("amount.txt"),
      "-l",
      "50000",
      "-p",
      "order_total.cap",
      "-i",
      f("inputs.json"),
      "--json",
      "-o",
      f("bundle.json"),
      "--opening",
      f("opening.json"),
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const { bundle } = validateBundle(parseJsonExact(readFileSync(f("bundle.json"), "utf8")));
    expect(statSync(f("opening.json")).mode & 0o777).to.equal(0o600);
    expect(checkOpening(parseJsonExact(readFileSync(f("opening.json"), "utf8")), bundle.publicInputs)).to.equal(49999n);
    // As a number or a decimal string: the proof's hex and base64 may hold these digits by chance.
    expect(readFileSync(f("bundle.json"), "utf8")).to.not.match(/(?<![0-9A-Za-z+/])49999(?![0-9A-Za-z+/=])/);
    expect(r.stderr).to.not.match(/(?<![0-9a-fA-F])49999(?![0-9a-fA-F])/);
    expect(r.stderr).to.not.include("warning");

    r = run([
      "verify",
      "-f",
      f("bundle.json"),
      "-l",
      "50000",
      "-p",
      "order_total.cap",
      "-i",
      f("inputs.json"),
      "--opening",
      f("opening.json"),
    ]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal("VALID\n");

    r = run(["inspect", "-f", f("bundle.json")]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/Conjectured Security: (\d+) bits/);
    expect(Number(/Conjectured Security: (\d+) bits/.exec(r.stdout)?.[1])).to.be.at.least(100);
    expect(r.stdout).to.include(bundle.bundleHash);
    expect(r.stdout).to.not.match(/(?<![0-9a-fA-F])49999(?![0-9a-fA-F])/);
  });

  it("verify prints INVALID and exits 1 for another limit, policy, tampered bundle or wrong opening", function () {
    let r = run(["verify", "-f", f("bundle.json"), "-l", "40000", "-p", "order_total.cap"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/^INVALID: LIMIT_MISMATCH/);
    r = run(["verify", "-f", f("bundle.json"), "-l", "50000", "-p", "aml.threshold"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/^INVALID: POLICY_MISMATCH/);
    const text = readFileSync(f("bundle.json"), "utf8");
    writeFileSync(f("tampered.json"), text.replace(/"sequenceNumber": 1/, '"sequenceNumber": 2'));
    r = run(["verify", "-f", f("tampered.json"), "-l", "50000", "-p", "order_total.cap"]);
    expect(r.code).to.equal(1);
    const opening = JSON.parse(readFileSync(f("opening.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(f("bad-opening.json"), JSON.stringify({ ...opening, amount: "1" }));
    r = run([
      "verify",
      "-f",
      f("bundle.json"),
      "-l",
      "50000",
      "-p",
      "order_total.cap",
      "--opening",
      f("bad-opening.json"),
    ]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/^INVALID: WITNESS_COMMITMENT_MISMATCH/);
  });

  it("proves to base64 and verifies it from stdin with inputs and the commitment", function () {
    let r = run(["prove", "-a", "5", "-l", "10", "-i", f("aml.json")]);
    expect(r.code).to.equal(1); // missing inputs file
    writeFileSync(f("aml.json"), run(["gen-inputs", "-l", "10"]).stdout);
    r = run(["prove", "-a", "5", "-l", "10", "-i", f("aml.json")]);
    expect(r.code, r.stderr).to.equal(0);
    const b64 = r.stdout.trim();
    const commitment = /witness commitment ([0-9a-f]{64})/.exec(r.stderr)?.[1] as string;
    expect(commitment).to.have.length(64);
    r = run(["verify", "-f", "-", "-l", "10", "-i", f("aml.json"), "--witness-commitment-hex", commitment], b64);
    expect(r.stdout).to.equal("VALID\n");
    expect(r.code).to.equal(0);
    r = run(["verify", "-f", "-", "-l", "10", "-i", f("aml.json"), "--witness-commitment-hex", "1".repeat(64)], b64);
    expect(r.code).to.equal(1);
    r = run(["verify", "-f", "-", "-l", "10", "-i", f("aml.json")], "bm90IGEgcHJvb2Y=");
    expect(r.code).to.equal(1);
    r = run(["inspect", "-f", "-"], b64);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("Raw base64");
  });

  it("refuses to prove a non-compliant amount with exit 1 and no proof on stdout", function () {
    const r = run(["prove", "-a", "10", "-l", "10"]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal("");
    expect(r.stderr).to.include("does not satisfy");
  });

  it("benchmarks a few proofs", function () {
    const r = run(["benchmark", "-n", "2", "-m", "100", "-l", "1000"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/runs: 2/);
    expect(r.stdout).to.match(/prove ms: avg [0-9.]+, min [0-9.]+, max [0-9.]+/);
    expect(r.stdout).to.match(/verify ms: avg/);
    expect(r.stdout).to.match(/proof bytes: avg \d+/);
  });

  it("reads the amount from --amount-file or stdin; -a warns; no message ever shows an amount", function () {
    writeFileSync(f("five.txt"), " 5\n");
    let r = run(["prove", "--amount-file", f("five.txt"), "-l", "10", "-i", f("aml.json")]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.not.match(/warning/);
    r = run(["prove", "--amount-file", "-", "-l", "10", "-i", f("aml.json")], "7\n");
    expect(r.code, r.stderr).to.equal(0);
    r = run(["prove", "-a", "7", "-l", "10", "-i", f("aml.json")]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/^ves-stark: warning: .*visible to other local users.*--amount-file/m);
    // malformed amounts: a usage error (argv) or exit 1 (file), never echoed
    for (const secret of ["50x00", "123456789012345678901234"]) {
      r = run(["prove", "-a", secret, "-l", "10"]);
      expect(r.code, secret).to.equal(2);
      expect(r.stderr + r.stdout, secret).to.not.include(secret.replace("-", ""));
      writeFileSync(f("bad-amount.txt"), secret);
      r = run(["prove", "--amount-file", f("bad-amount.txt"), "-l", "10"]);
      expect(r.code, secret).to.equal(1);
      expect(r.stderr + r.stdout, secret).to.not.include(secret.replace("-", ""));
    }
    writeFileSync(f("big-amount.txt"), `${"0".repeat(300)}1`);
    r = run(["prove", "--amount-file", f("big-amount.txt"), "-l", "10"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/exceeds 256 bytes/);
  });

  it("creates the opening exclusively: an existing file or a symlink is an error, never followed or overwritten", function () {
    writeFileSync(f("five.txt"), "5");
    writeFileSync(f("taken.json"), "keep");
    let r = run(["prove", "--amount-file", f("five.txt"), "-l", "10", "--opening", f("taken.json")]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/already exists/);
    expect(r.stdout).to.equal("");
    expect(readFileSync(f("taken.json"), "utf8")).to.equal("keep");
    symlinkSync(f("target.json"), f("link.json"));
    r = run(["prove", "--amount-file", f("five.txt"), "-l", "10", "--opening", f("link.json")]);
    expect(r.code).to.equal(1);
    expect(existsSync(f("target.json"))).to.equal(false);
    r = run(["prove", "--amount-file", f("five.txt"), "-l", "10", "--opening", f("fresh.json")]);
    expect(r.code, r.stderr).to.equal(0);
    expect(lstatSync(f("fresh.json")).mode & 0o777).to.equal(0o600);
  });

  it("bounds every file it reads: oversized bundles, proofs and inputs are refused before being read", function () {
    // a 200 MiB bundle file (sparse) and a bundle whose proofB64 is just over the 10 MiB proof
    writeFileSync(f("huge.json"), '{"proofB64":"');
    truncateSync(f("huge.json"), 200 * 1024 * 1024);
    let r = run(["verify", "-f", f("huge.json"), "-l", "50000", "-p", "order_total.cap"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/exceeds \d+ bytes/);
    const bundle = JSON.parse(readFileSync(f("bundle.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(f("over.json"), JSON.stringify({ ...bundle, proofB64: "A".repeat(MAX_PROOF_B64_LENGTH + 4) }));
    r = run(["verify", "-f", f("over.json"), "-l", "50000", "-p", "order_total.cap"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/proofB64 of \d+ characters exceeds/);
    writeFileSync(f("huge-inputs.json"), "{");
    truncateSync(f("huge-inputs.json"), 1024 * 1024);
    r = run(["prove", "--amount-file", f("five.txt"), "-l", "10", "-i", f("huge-inputs.json")]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/exceeds 65536 bytes/);
  });

  it("refuses a bundle with an unknown field (a plaintext amount) or metadata it cannot recompute", function () {
    const bundle = JSON.parse(readFileSync(f("bundle.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(f("amount-bundle.json"), JSON.stringify({ ...bundle, amount: "49999" }));
    let r = run(["verify", "-f", f("amount-bundle.json"), "-l", "50000", "-p", "order_total.cap"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/additional properties/);
    const metadata = { ...(bundle.metadata as object), security_bits: 128 };
    writeFileSync(f("meta-bundle.json"), JSON.stringify({ ...bundle, metadata }));
    r = run(["inspect", "-f", f("meta-bundle.json")]);
    expect(r.code).to.equal(1);
  });
});
