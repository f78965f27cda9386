/**
 * `--help` of every command of every bin: each bin's command tree is walked from its own help output (the
 * "Commands:" section, recursively), and every `<bin> [command…] --help` must exit 0 and print its usage on stdout
 * with no error output (the launcher's stale-build note aside). Help once crashed on BigInt option defaults (JSON.stringify in commander's help) and one
 * bin answered its help with the usage-error code 2.
 */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");
const run = promisify(execFile);

interface HelpRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function help(bin: string, words: readonly string[]): Promise<HelpRun> {
  try {
    const { stdout, stderr } = await run(path.join(ROOT, "bin", bin), [...words, "--help"], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** stderr without the launcher's one-line notes (a module transpiled because its build output was stale). */
function unexpectedStderr(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => line !== "" && !/^[a-z-]+: note: /.test(line))
    .join("\n");
}

/** The subcommand names listed in a commander help text (without `help`). */
export function subcommands(text: string): string[] {
  const names: string[] = [];
  let inCommands = false;
  for (const line of text.split("\n")) {
    if (/^Commands:/.test(line)) {
      inCommands = true;
      continue;
    }
    if (inCommands && /^\S/.test(line)) inCommands = false;
    const m = inCommands ? /^ {2}([a-z][a-z0-9:-]*)/.exec(line) : null;
    if (m !== null && m[1] !== "help") names.push(m[1] as string);
  }
  return names;
}

describe("--help of every bin command", function () {
  this.timeout(300_000);

  const bins = readdirSync(path.join(ROOT, "bin")).filter((f) => !f.endsWith(".js"));

  it("lists the bins", function () {
    expect(bins).to.include.members([
      "ves",
      "ves-stark",
      "stateset-sync",
      "stateset-sequencer",
      "set-anchor",
      "ves-prover",
    ]);
  });

  for (const bin of bins) {
    it(`${bin}: every command's --help exits 0 with its usage and no error output`, async function () {
      const failures: string[] = [];
      let visited = 0;
      const walk = async (words: readonly string[]): Promise<void> => {
        const r = await help(bin, words);
        visited++;
        const label = [bin, ...words, "--help"].join(" ");
        if (r.code !== 0) failures.push(`${label}: exit ${r.code}: ${r.stderr.trim().split("\n").pop() ?? ""}`);
        else if (!r.stdout.startsWith("Usage:")) failures.push(`${label}: no usage on stdout`);
        else if (unexpectedStderr(r.stderr) !== "")
          failures.push(`${label}: stderr ${JSON.stringify(r.stderr.slice(0, 200))}`);
        // commander answers an unknown command's --help with its parent's help: a repeated list means a bad name
        if (words.length > 3) failures.push(`${label}: command tree deeper than 4 (a loop?)`);
        else for (const sub of subcommands(r.stdout)) await walk([...words, sub]);
      };
      await walk([]);
      expect(failures, failures.join("\n")).to.deep.equal([]);
      expect(visited).to.be.greaterThan(0);
    });
  }

  it("finds nested commands in a help text", function () {
    const text =
      "Usage: x [options]\n\nCommands:\n  admin [options]  admin\n  bootstrap|boot  first key\n  keys:list [options]  keys\n  help [command]  display help\n";
    expect(subcommands(text)).to.deep.equal(["admin", "bootstrap", "keys:list"]);
  });
});
