/**
 * Start time of every bin in bin/ (issue 17): the wall time of `<bin> --help`, spawned N times, median in ms, next to
 *
 *   - the bound, measured in the same run: `node -e 0`, a node process that loads nothing;
 *   - the baseline: the same entry module run from TypeScript through sucrase/register, as the bins did before.
 *
 * Runs are interleaved (every candidate once per round), so a change of the machine's load hits them alike. The bins
 * run as installed: compiled JavaScript from dist/bin and its V8 code cache (`npm run build` first; the first round
 * is a warm-up and not counted). Figures only, no thresholds. Run: `npm run bench:cli` (VES_BENCH_RUNS, default 10).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Number(process.env.VES_BENCH_RUNS ?? "10");

interface Candidate {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
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
    cwd: ROOT,
    env: { ...process.env, ...c.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = performance.now() - start;
  if (r.status !== 0 && !(r.status === 1 && c.args.includes("--help"))) {
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
    `${"bin".padEnd(20)} ${pad("ms", 7)} ${pad("node -e 0", 9)} ${pad("ratio", 6)} ${pad("over", 7)}  ` +
      `${pad("sucrase", 8)} ${pad("speed-up", 8)}`,
  );
  for (const { name } of list) {
    const t = ms(name);
    const base = ms(`${name}: sucrase`);
    console.log(
      `${name.padEnd(20)} ${pad(t.toFixed(0), 7)} ${pad(b.toFixed(0), 9)} ${pad(`x${(t / b).toFixed(2)}`, 6)} ` +
        `${pad(`+${(t - b).toFixed(0)}`, 7)}  ${pad(base.toFixed(0), 8)} ${pad(`x${(base / t).toFixed(1)}`, 8)}`,
    );
  }
  console.log("\nbound: `node -e 0` (a node process that loads nothing); over: ms above the bound");
}

main();
