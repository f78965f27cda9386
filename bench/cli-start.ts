/**
 * Start time of every bin in bin/ (issue 17): the wall time of `<bin> --help`, spawned N times, median in ms, next to
 *
 *   - the bound, measured in the same run: `node -e 0`, a node process that loads nothing;
 *   - the baseline: the same entry module run from TypeScript through sucrase/register, as the bins did before.
 *
 * Also the common per-command path: `stateset-sync append` of an untyped event and of a typed one with an amount
 * (schema validation and the amount commitment), as an agent's script calls it once per event, in a scratch agent
 * home made by `init` and `keys:generate` (removed at the end; the events stay in its outbox, nothing is pushed).
 *
 * Runs are interleaved (every candidate once per round), so a change of the machine's load hits them alike. The bins
 * run as installed: compiled JavaScript from dist/bin and its V8 code cache (`npm run build` first; the first round
 * is a warm-up and not counted). Figures only, no thresholds. Run: `npm run bench:cli` (VES_BENCH_RUNS, default 10).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Number(process.env.VES_BENCH_RUNS ?? "10");

interface Candidate {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** The bins and their entry modules, read from the launcher call in each bin. */
function bins(): { name: string; entry: string }[] {
  const dir = path.join(ROOT, "bin");
  return readdirSync(dir)
    .filter((f) => !f.endsWith(".js"))
    .map((f) => {
      const m = /run\("([^"]+)", "([^"]+)"\)/.exec(readFileSync(path.join(dir, f), "utf8"));
      if (m === null) throw new Error(`bin/${f} does not call the shared launcher`);
      return { name: f, entry: m[2] as string };
    });
}

function time(c: Candidate): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, c.args, {
    cwd: c.cwd ?? ROOT,
    env: { ...process.env, ...c.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = performance.now() - start;
  // `--help` may exit non-zero (commander's help-after-error style in some bins); any other run must succeed.
  if (r.status === null || (r.status !== 0 && !c.args.includes("--help"))) {
    throw new Error(`${c.name} exited with ${String(r.status)}: ${r.stderr.toString()}`);
  }
  return ms;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function main(): void {
  console.log(`CLI start benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}`);
  console.log(`median of ${RUNS} interleaved runs of \`<bin> --help\`, after one warm-up round\n`);
  const list = bins();
  const bound: Candidate = { name: "node -e 0", args: ["-e", "0"] };
  const candidates: Candidate[] = [bound];
  for (const b of list) {
    candidates.push({ name: b.name, args: [path.join(ROOT, "bin", b.name), "--help"] });
    candidates.push({
      name: `${b.name}: sucrase`,
      args: ["-r", "sucrase/register/ts", path.join(ROOT, b.entry), "--help"],
      env: { VES_CLI_ENTRY: b.name },
    });
  }
  // The per-command path: a scratch agent home for `stateset-sync append`.
  const home = mkdtempSync(path.join(os.tmpdir(), "ves-bench-cli-"));
  const sync = path.join(ROOT, "bin", "stateset-sync");
  const setup = (args: readonly string[]) =>
    time({ name: `stateset-sync ${args[0]}`, args: [sync, ...args], cwd: home });
  setup(["init", "--sequencer-url", "http://127.0.0.1:9", "--tenant-id", randomUUID(), "--store-id", randomUUID()]);
  setup(["keys:generate"]);
  const append = (name: string, ...args: string[]): Candidate => ({ name, args: [sync, "append", ...args], cwd: home });
  const appends: Candidate[] = [
    append(
      "stateset-sync append",
      "--entity-type",
      "note",
      "--entity-id",
      "n1",
      "--event-type",
      "note.added",
      "--payload",
      '{"text":"hello"}',
    ),
    append(
      "stateset-sync append (typed)",
      "--entity-id",
      "o1",
      "--event-type",
      "order.created",
      "--payload",
      '{"total":1999,"currency":"USD","items":[{"sku":"A-1","quantity":1,"unitPrice":1999}]}',
    ),
  ];
  candidates.push(...appends);
  const times = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (let round = 0; round <= RUNS; round++) {
    for (const c of candidates) {
      const ms = time(c);
      if (round > 0) times.get(c.name)?.push(ms);
    }
    process.stderr.write(`round ${round}/${RUNS}\r`);
  }
  const ms = (name: string) => median(times.get(name) ?? []);
  const b = ms(bound.name);
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(
    `${"bin".padEnd(28)} ${pad("ms", 7)} ${pad("node -e 0", 9)} ${pad("ratio", 6)} ${pad("over", 7)}  ` +
      `${pad("sucrase", 8)} ${pad("speed-up", 8)}`,
  );
  for (const { name } of list) {
    const t = ms(name);
    const base = ms(`${name}: sucrase`);
    console.log(
      `${name.padEnd(28)} ${pad(t.toFixed(0), 7)} ${pad(b.toFixed(0), 9)} ${pad(`x${(t / b).toFixed(2)}`, 6)} ` +
        `${pad(`+${(t - b).toFixed(0)}`, 7)}  ${pad(base.toFixed(0), 8)} ${pad(`x${(base / t).toFixed(1)}`, 8)}`,
    );
  }
  for (const { name } of appends) {
    const t = ms(name);
    console.log(
      `${name.padEnd(28)} ${pad(t.toFixed(0), 7)} ${pad(b.toFixed(0), 9)} ${pad(`x${(t / b).toFixed(2)}`, 6)} ` +
        `${pad(`+${(t - b).toFixed(0)}`, 7)}`,
    );
  }
  rmSync(home, { recursive: true, force: true });
  console.log("\nbound: `node -e 0` (a node process that loads nothing); over: ms above the bound");
}

main();
