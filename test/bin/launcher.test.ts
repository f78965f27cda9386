/**
 * The bins' shared launcher (bin/launcher.js): a bin runs the compiled JavaScript of dist/bin only while it matches
 * its TypeScript source; otherwise it transpiles the source, says so once on stderr and refreshes dist. Shown on a
 * small project in a temporary directory (a copy of the launcher, one bin, two modules) whose build goes to a
 * directory named by VES_BUILD_DIR, so that nothing of the real tree changes. Also: every real bin is a one-line
 * call of the launcher, and the V8 code cache never serves code of an older version of a module.
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe("bin/launcher.js", function () {
  this.timeout(120_000);
  let project: string;
  let buildDir: string;
  const env = () => ({ ...process.env, VES_BUILD_DIR: buildDir });
  const node = (...args: string[]): Run => {
    const r = spawnSync(process.execPath, args, { cwd: project, env: env(), encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const runBin = () => node(path.join(project, "bin", "demo"));
  const main = () => path.join(project, "offchain", "demo", "main.ts");
  const compiledMain = () => path.join(buildDir, "offchain", "demo", "main.ts.js");
  /** Rewrites a file with new content of the same length and its old mtime: only a content check can see it. */
  const rewriteKeepingMtime = (file: string, from: string, to: string) => {
    expect(to).to.have.length(from.length);
    const { atime, mtime } = statSync(file);
    writeFileSync(file, readFileSync(file, "utf8").replace(from, to));
    utimesSync(file, atime, mtime);
  };

  before(function () {
    project = mkdtempSync(path.join(os.tmpdir(), "ves-launcher-"));
    buildDir = path.join(project, "build-elsewhere");
    mkdirSync(path.join(project, "bin"));
    mkdirSync(path.join(project, "offchain", "demo"), { recursive: true });
    copyFileSync(path.join(ROOT, "bin", "launcher.js"), path.join(project, "bin", "launcher.js"));
    symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"));
    writeFileSync(
      path.join(project, "bin", "demo"),
      '#!/usr/bin/env node\n"use strict";\nrequire("./launcher.js").run("demo", "offchain/demo/main.ts");\n',
    );
    writeFileSync(
      main(),
      [
        'import { helper } from "./helper";',
        'import path from "node:path";',
        "const version: string = 'one';",
        "process.stdout.write(`${version} ${helper} ${path.basename(__dirname)} ${process.env.VES_CLI_ENTRY}\\n`);",
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(project, "offchain", "demo", "helper.js"), 'exports.helper = "h-one";\n');
  });

  after(function () {
    rmSync(project, { recursive: true, force: true });
  });

  it("builds into VES_BUILD_DIR and runs the compiled output, with the sources' __dirname", function () {
    const built = node(path.join(project, "bin", "launcher.js"), "build");
    expect(built.code, built.stderr).to.equal(0);
    expect(built.stderr).to.match(/build: 1 modules compiled in build-elsewhere/);
    expect(readFileSync(compiledMain(), "utf8")).to.match(/^\/\/ves-build:[0-9a-f]{64}\n/);
    const r = runBin();
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("one h-one demo demo\n");
    expect(r.stderr).to.equal("");
  });

  it("runs the compiled file itself while its stamp matches the source (no transpiling at start)", function () {
    // Change the compiled code only: the bin must print what dist says, proving it does not re-transpile.
    const text = readFileSync(compiledMain(), "utf8");
    writeFileSync(compiledMain(), text.replace("'one'", "'dist'"));
    const r = runBin();
    expect(r.stdout).to.equal("dist h-one demo demo\n");
    expect(r.stderr).to.equal("");
    writeFileSync(compiledMain(), text);
  });

  it("never runs output older than its source, even when size and mtime are unchanged", function () {
    rewriteKeepingMtime(main(), "'one'", "'two'");
    const r = runBin();
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("two h-one demo demo\n");
    const notes = r.stderr.split("\n").filter((l) => l !== "");
    expect(notes).to.have.length(1);
    expect(notes[0]).to.match(/^demo: note: compiled JavaScript for offchain\/demo\/main\.ts is missing or older/);
    // The fallback refreshed dist: the next start runs compiled output again, silently.
    expect(readFileSync(compiledMain(), "utf8")).to.include("'two'");
    const again = runBin();
    expect(again.stdout).to.equal("two h-one demo demo\n");
    expect(again.stderr).to.equal("");
  });

  it("transpiles at start when there is no build at all", function () {
    rmSync(buildDir, { recursive: true, force: true });
    const r = runBin();
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("two h-one demo demo\n");
    expect(r.stderr).to.match(/^demo: note: .*missing or older than its source/);
  });

  it("does not serve a module's V8 code cache after the module changed", function () {
    const helper = path.join(project, "offchain", "demo", "helper.js");
    runBin(); // the code cache of helper.js now exists
    expect(readdirSync(path.join(buildDir, "v8")).length).to.be.greaterThan(0);
    rewriteKeepingMtime(helper, '"h-one"', '"h-two"');
    expect(runBin().stdout).to.equal("two h-two demo demo\n");
  });

  it("reports a module that does not build and still exits 0 (the install must not fail)", function () {
    const broken = path.join(project, "offchain", "demo", "broken.ts");
    writeFileSync(broken, "export const = ;\n");
    const built = node(path.join(project, "bin", "launcher.js"), "build");
    expect(built.code).to.equal(0);
    expect(built.stderr).to.match(
      /1 modules not compiled; the bins transpile them at start:\n {2}offchain\/demo\/broken\.ts/,
    );
    rmSync(broken);
  });

  it("is the one launcher of every bin in bin/", function () {
    const bins = readdirSync(path.join(ROOT, "bin")).filter((f) => f !== "launcher.js");
    expect(bins.length).to.be.greaterThan(0);
    for (const b of bins) {
      const code = readFileSync(path.join(ROOT, "bin", b), "utf8")
        .split("\n")
        .filter((l) => l !== "" && !l.startsWith("#!") && !l.startsWith("//") && l !== '"use strict";');
      expect(code, b).to.have.length(1);
      expect(code[0], b).to.match(
        /^require\("\.\/launcher\.js"\)\.run\("[a-z-]+", "offchain\/[a-z]+\/cli\/main\.ts"\);$/,
      );
    }
  });
});
