"use strict";
/**
 * Builds the STARK prover's WebAssembly kernels (npm run build, and the "prepare" script that `npm ci` runs): compiles
 * offchain/stark/wasm/assembly/index.ts with the AssemblyScript compiler from node_modules (options in that folder's
 * asconfig.json: optimised, stub runtime, no asserts) into dist/wasm/stark-kernels.wasm, and writes the stamp
 * dist/wasm/stark-kernels.stamp: the SHA-256 of the compiler's version and of every file in the sources folder, the
 * same hash the loader (offchain/stark/wasm/index.ts) recomputes before it runs the module.
 *
 * It never fails the install: without the compiler, or when compilation fails, it prints a note and exits 0, and the
 * prover runs its TypeScript kernels. VES_STARK_WASM_DIR overrides dist/wasm (the tests build into a temporary
 * directory). Usage: node scripts/build-wasm.js [--strict] (--strict: exit 1 on failure, for tests).
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const SOURCES = path.join(ROOT, "offchain", "stark", "wasm", "assembly");
const WASM_FILE = "stark-kernels.wasm";
const STAMP_FILE = "stark-kernels.stamp";

function outDir() {
  const dir = process.env.VES_STARK_WASM_DIR;
  return dir ? path.resolve(dir) : path.join(ROOT, "dist", "wasm");
}

/** The same hash as sourcesHash() in offchain/stark/wasm/index.ts. */
function sourcesHash(version) {
  const h = crypto.createHash("sha256").update(`assemblyscript ${version}\n`);
  for (const name of fs.readdirSync(SOURCES).sort()) {
    const bytes = fs.readFileSync(path.join(SOURCES, name));
    h.update(`${name}\n${bytes.length}\n`).update(bytes);
  }
  return h.digest("hex");
}

async function build() {
  const started = Date.now();
  const version = JSON.parse(fs.readFileSync(require.resolve("assemblyscript/package.json"), "utf8")).version;
  // hashed before compiling: sources edited during the build give a stale stamp, never a fresh one on old code
  const stamp = sourcesHash(version);
  const dir = outDir();
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `${WASM_FILE}.${process.pid}.tmp`);
  const asc = await import("assemblyscript/asc");
  let log = "";
  const sink = { write: (s) => ((log += String(s)), true) };
  const { error } = await asc.main(
    [path.join(SOURCES, "index.ts"), "--config", path.join(SOURCES, "asconfig.json"), "--outFile", tmp],
    { stdout: sink, stderr: sink },
  );
  if (error) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${error.message}\n${log.slice(0, 2000)}`);
  }
  // the module first, then its stamp: a reader never sees a fresh stamp next to an old module
  fs.rmSync(path.join(dir, STAMP_FILE), { force: true });
  fs.renameSync(tmp, path.join(dir, WASM_FILE));
  const stampTmp = path.join(dir, `${STAMP_FILE}.${process.pid}.tmp`);
  fs.writeFileSync(stampTmp, `${stamp}\n`);
  fs.renameSync(stampTmp, path.join(dir, STAMP_FILE));
  const where = path.relative(ROOT, dir) || dir;
  process.stderr.write(`build-wasm: ${where}/${WASM_FILE} (assemblyscript ${version}, ${Date.now() - started} ms)\n`);
}

build().catch((e) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`build-wasm: note: WebAssembly kernels not built (${msg.trim()}); the prover uses TypeScript\n`);
  if (process.argv.includes("--strict")) process.exitCode = 1;
});
