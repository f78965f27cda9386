/**
 * What the bins load at start (issue 17): `--help` and a usage error of every bin in bin/ must not load the heavy
 * libraries that only some commands need (servers, database drivers, chain clients, schema validators, the MCP SDK,
 * loggers, curve arithmetic). Each bin runs in a child process with a preload hook that records every package a
 * `require` resolves to; the build goes to a temporary VES_BUILD_DIR, so the real dist/bin is never touched. Module
 * sets only, no timings (bench/cli-start.ts measures those).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");

/** Packages a bin may load only inside the command that needs them. */
const HEAVY = [
  "fastify",
  "pg",
  "better-sqlite3",
  "prom-client",
  "ethers",
  "@modelcontextprotocol/sdk",
  "ajv",
  "zod",
  "pino",
  "@noble/curves",
  "cli-progress",
];

/** The preload: writes the package names that `require` resolved to into $VES_TEST_LOADED_FILE at exit. */
const PRELOAD = `"use strict";
const Module = require("node:module");
const fs = require("node:fs");
const seen = new Set();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try {
    const file = Module._resolveFilename(request, parent, isMain);
    const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file);
    if (m) seen.add(m[1].replace(/\\\\/g, "/"));
  } catch {}
  return load.apply(this, arguments);
};
process.on("exit", () => fs.writeFileSync(process.env.VES_TEST_LOADED_FILE, [...seen].join("\\n")));
`;

describe("bins at start (issue 17)", function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "ves-cli-start-"));
    writeFileSync(path.join(dir, "preload.js"), PRELOAD);
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a bin and returns its output and the packages it loaded. */
  const loaded = (bin: string, args: readonly string[]): { output: string; packages: string[] } => {
    const file = path.join(dir, `${bin}.loaded`);
    const r = spawnSync(process.execPath, ["-r", path.join(dir, "preload.js"), path.join(ROOT, "bin", bin), ...args], {
      cwd: dir,
      env: { ...process.env, VES_BUILD_DIR: path.join(dir, "build"), VES_TEST_LOADED_FILE: file, STATESET_HOME: dir },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { output: `${r.stdout}${r.stderr}`, packages: readFileSync(file, "utf8").split("\n").filter(Boolean) };
  };

  const bins = readdirSync(path.join(ROOT, "bin")).filter((f) => !f.endsWith(".js"));
  const LIGHT_BINS = ["ves", "ves-stark", "set-anchor", "stateset-sync", "stateset-sequencer", "ves-prover"];

  it("covers every bin", function () {
    expect([...bins].sort()).to.deep.equal([...LIGHT_BINS].sort());
  });

  for (const bin of LIGHT_BINS) {
    it(`${bin} --help loads none of ${HEAVY.length} heavy packages (it does load commander)`, function () {
      const r = loaded(bin, ["--help"]);
      expect(r.output).to.match(/Usage:/);
      // The hook sees the packages: commander, which every CLI uses, is recorded.
      expect(r.packages).to.include("commander");
      expect(r.packages.filter((p) => HEAVY.includes(p))).to.deep.equal([]);
    });
  }

  it("stateset-sync append with a missing option is a usage error that loads no heavy package", function () {
    const r = loaded("stateset-sync", ["append", "--entity-id", "o1"]);
    expect(r.output).to.match(/required option/);
    expect(r.packages.filter((p) => HEAVY.includes(p))).to.deep.equal([]);
  });

  it("stateset-sequencer admin with a bad argument is a usage error that loads no heavy package", function () {
    const r = loaded("stateset-sequencer", ["admin", "audit", "--bogus"]);
    expect(r.output).to.match(/unknown option/);
    expect(r.packages.filter((p) => HEAVY.includes(p))).to.deep.equal([]);
  });
});
