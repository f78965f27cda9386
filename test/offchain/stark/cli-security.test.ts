/**
 * The `ves-stark` CLI's security labels and presets (issue 10): `prove --preset high-provable` makes a proof that
 * `verify` accepts, `inspect` and the bundle metadata report the conjectured and provable bits side by side, and
 * `inspect` of a bare header (no proof behind it) is an error, not a security figure. One high-provable proof only
 * (it is the slow preset).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { parseJsonExact, stringifyJsonExact } from "../../../offchain/ves";
import {
  BUNDLE_METADATA_FIELDS,
  HIGH_PROVABLE_OPTIONS,
  policyFromLimit,
  proveCompliance,
  randomPublicInputs,
  readProofOptions,
  validateBundle,
} from "../../../offchain/stark";
import vectors from "../../vectors/stark-security.json";

const POLICY = policyFromLimit("aml.threshold", 10000n);
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

function preset(name: string): (typeof vectors.presets)[number] {
  const v = vectors.presets.find((p) => p.name === name);
  if (v === undefined) throw new Error(`no vector for ${name}`);
  return v;
}

function securityLines(v: (typeof vectors.presets)[number]): string[] {
  return [
    `Preset: ${v.name}`,
    `Conjectured Security: ${v.conjectured} bits`,
    `Provable Security: ${v.provable} bits (unique decoding ${v.uniqueDecoding}, list decoding ${v.listDecoding})`,
  ];
}

describe("stark cli security labels", function () {
  this.timeout(180_000);
  let dir: string;
  const f = (name: string): string => join(dir, name);

  before(function () {
    dir = mkdtempSync(join(tmpdir(), "ves-stark-cli-security-"));
    writeFileSync(f("inputs.json"), stringifyJsonExact(randomPublicInputs(POLICY)));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("proves with --preset high-provable; verify accepts it; inspect and the metadata show both figures", function () {
    const v = preset("high-provable");
    let r = run(["prove", "-a", "5000", "-l", "10000", "-i", f("inputs.json"), "--preset", "high-provable", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    writeFileSync(f("provable.json"), r.stdout);
    const { bundle, proofBytes } = validateBundle(parseJsonExact(r.stdout));
    expect(readProofOptions(proofBytes)).to.deep.equal(HIGH_PROVABLE_OPTIONS);
    expect(Object.keys(bundle.metadata)).to.deep.equal([...BUNDLE_METADATA_FIELDS]);
    expect(bundle.metadata.conjectured_security_bits).to.equal(v.conjectured);
    expect(bundle.metadata.provable_security_bits).to.equal(v.provable);
    r = run(["verify", "-f", f("provable.json"), "-l", "10000"]);
    expect(r.stdout).to.equal("VALID\n");
    expect(r.code).to.equal(0);
    r = run(["inspect", "-f", f("provable.json")]);
    expect(r.code, r.stderr).to.equal(0);
    for (const line of securityLines(v)) expect(r.stdout).to.include(`${line}\n`);
  });

  it("inspect labels a production proof 102 bits conjectured and 56 provable", function () {
    const proof = proveCompliance({ amount: 5n, publicInputs: randomPublicInputs(POLICY) });
    writeFileSync(f("production.b64"), Buffer.from(proof.proofBytes).toString("base64"));
    const inspected = run(["inspect", "-f", f("production.b64")]);
    expect(inspected.code, inspected.stderr).to.equal(0);
    for (const line of securityLines(preset("production"))) expect(inspected.stdout).to.include(`${line}\n`);
  });

  it("inspect of a bare header, or of a proof cut short, exits 1 with no security figure", function () {
    const bytes = Buffer.from(readFileSync(f("production.b64"), "utf8").trim(), "base64");
    for (const cut of [bytes.subarray(0, 10), bytes.subarray(0, bytes.length - 1)]) {
      const r = run(["inspect", "-f", "-"], cut.toString("base64"));
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.match(/^ves-stark: .*truncated/);
    }
  });

  it("rejects an unknown preset as a usage error", function () {
    expect(run(["prove", "-a", "5", "-l", "10", "--preset", "fast"]).code).to.equal(2);
  });
});
