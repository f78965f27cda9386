"use strict";
/**
 * The one launcher of every bin in bin/ (each bin is `require("./launcher.js").run(<name>, <entry .ts>)`), and the
 * build that `npm ci` runs (`node bin/launcher.js build`, from the "prepare" script).
 *
 * The build transpiles the TypeScript the bins load (offchain/**, and typechain-types/** when it exists) with
 * sucrase into dist/bin/<path>.js, ahead of time. Each compiled file starts with a stamp: the SHA-256 of its source
 * and of the transform (sucrase version and options). At run time the launcher loads `.ts` modules from their own
 * paths (so __dirname, relative requires and JSON files behave as in the sources) with the compiled code, after
 * checking the stamp against the source it just read: compiled output that does not match its source is never run.
 * A module whose output is missing or stale is transpiled from its source on the spot, written back to dist/bin, and
 * the process says so once on stderr.
 *
 * Every CommonJS module the bin loads (ours and node_modules') is also compiled with a V8 code cache kept in
 * dist/bin/v8, keyed by the SHA-256 of the module's path, its exact code and the node version: most of a bin's start
 * is V8 parsing its dependencies, which the cache skips. Node ≥ 22's own compile cache is used instead when present.
 *
 * VES_BUILD_DIR overrides dist/bin (the tests build into a temporary directory).
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const ROOT = path.resolve(__dirname, "..");
/** The directories the build covers, relative to ROOT. */
const SOURCE_DIRS = ["offchain", "typechain-types"];
/** Folders under SOURCE_DIRS that are not TypeScript for Node (AssemblyScript, built by scripts/build-wasm.js). */
const EXCLUDED_DIRS = new Set([path.join(ROOT, "offchain", "stark", "wasm", "assembly")]);
const TRANSFORM = { transforms: ["imports", "typescript"] };
const STAMP_PREFIX = "//ves-build:";

function buildDir() {
  return process.env.VES_BUILD_DIR ? path.resolve(process.env.VES_BUILD_DIR) : path.join(ROOT, "dist", "bin");
}

let sucrase;
/** sucrase, loaded only when a module must be transpiled (never on a fresh build). */
function transformer() {
  if (sucrase === undefined) sucrase = require("sucrase");
  return sucrase;
}

let transformId;
/** Identifies the transform: a change of sucrase's version or options makes every compiled file stale. */
function transformIdentity() {
  if (transformId === undefined) {
    let version = "none";
    try {
      version = JSON.parse(fs.readFileSync(require.resolve("sucrase/package.json"), "utf8")).version;
    } catch {
      // No sucrase (an install without dev dependencies): only a build made with it can run.
    }
    transformId = `sucrase ${version} ${JSON.stringify(TRANSFORM)}\n`;
  }
  return transformId;
}

function stampOf(source) {
  return crypto.createHash("sha256").update(transformIdentity()).update(source).digest("hex");
}

function compiledPath(dir, filename) {
  return path.join(dir, `${path.relative(ROOT, filename)}.js`);
}

function transpile(filename, source) {
  return transformer().transform(source, { ...TRANSFORM, filePath: filename }).code;
}

/** Writes one stamped output (atomically: other processes may be reading it). */
function write(dir, filename, code, stamp) {
  const out = compiledPath(dir, filename);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${STAMP_PREFIX}${stamp}\n${code}`);
  fs.renameSync(tmp, out);
}

/**
 * The compiled code of `filename` if dist holds output stamped with the source's current hash; undefined otherwise.
 * The stamp is the first line; the code after it keeps the source's line numbers (sucrase preserves them).
 */
function freshCompiled(dir, filename, stamp) {
  let text;
  try {
    text = fs.readFileSync(compiledPath(dir, filename), "utf8");
  } catch {
    return undefined;
  }
  const eol = text.indexOf("\n");
  if (eol < 0 || text.slice(0, eol) !== `${STAMP_PREFIX}${stamp}`) return undefined;
  return text.slice(eol + 1);
}

/** Installs the `.ts` loader: compiled output when fresh, else sucrase on the source (refreshing dist). */
function installLoader(name, dir) {
  let noticed = false;
  require.extensions[".ts"] = function loadTs(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const stamp = stampOf(source);
    let code = freshCompiled(dir, filename, stamp);
    if (code === undefined) {
      if (!noticed) {
        noticed = true;
        process.stderr.write(
          `${name}: note: compiled JavaScript for ${path.relative(ROOT, filename)} is missing or older than its source;` +
            ` transpiling from TypeScript (npm run build refreshes ${path.relative(ROOT, dir) || dir})\n`,
        );
      }
      code = transpile(filename, source);
      try {
        write(dir, filename, code, stamp);
      } catch {
        // A read-only dist: this process runs the fresh code all the same.
      }
    }
    module._compile(code, filename);
  };
}

/** The `require` a module sees, as Node makes it (internal/modules/helpers makeRequireFunction). */
function makeRequire(mod) {
  const require = function require(id) {
    return mod.require(id);
  };
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Compiles CommonJS modules through vm.Script with cached data from dir/v8 (the way Module.prototype._compile does,
 * plus the cache), and writes the cache of every module that had none when the process exits.
 */
function installCodeCache(dir) {
  if (typeof Module.enableCompileCache === "function") {
    Module.enableCompileCache(path.join(dir, "v8"));
    return;
  }
  const cacheDir = path.join(dir, "v8");
  const pending = [];
  const importModuleDynamically = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (importModuleDynamically === undefined) return;
  const original = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename, format, ...rest) {
    // ES modules loaded by require() (format "module"), and files outside the project, go the usual way.
    const commonjs = format === undefined || format === "commonjs";
    if (!commonjs || typeof content !== "string" || !filename.startsWith(ROOT + path.sep)) {
      return original.call(this, content, filename, format, ...rest);
    }
    const key = crypto
      .createHash("sha256")
      .update(`${process.version}\0${filename}\0`)
      .update(content)
      .digest("hex")
      .slice(0, 40);
    const file = path.join(cacheDir, key);
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    // A leading #! line is not JavaScript; Node blanks it the same way before compiling.
    const code = content.startsWith("#!") ? `//${content.slice(2)}` : content;
    const script = new vm.Script(Module.wrap(code), { filename, cachedData, importModuleDynamically });
    if (cachedData === undefined || script.cachedDataRejected) pending.push({ script, file });
    const fn = script.runInThisContext({ displayErrors: true });
    return fn.call(this.exports, this.exports, makeRequire(this), this, filename, path.dirname(filename));
  };
  process.once("exit", () => {
    if (pending.length === 0) return;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      for (const { script, file } of pending) {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
      }
    } catch {
      // A read-only dist: the next start compiles without the cache.
    }
  });
}

/** Runs a bin: `name` is the command's name, `entry` its main module relative to the project root. */
function run(name, entry) {
  register(name);
  require(path.join(ROOT, entry));
}

/**
 * Installs the compiled-code loader (and code cache) in this thread without loading an entry: worker threads of a
 * bin call it before requiring their own `.ts` module (offchain/common/worker.ts).
 */
function register(name) {
  process.env.VES_CLI_ENTRY = name;
  const dir = buildDir();
  installCodeCache(dir);
  installLoader(name, dir);
}

function listSources(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!EXCLUDED_DIRS.has(p)) listSources(p, out);
    } else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Starts every bin once with --help, so that the V8 code cache of what a bin loads at start exists before first use. */
function warm(dir) {
  const { spawnSync } = require("node:child_process");
  const binDir = path.join(ROOT, "bin");
  for (const bin of fs.readdirSync(binDir).filter((f) => !f.endsWith(".js"))) {
    spawnSync(process.execPath, [path.join(binDir, bin), "--help"], {
      cwd: ROOT,
      env: { ...process.env, VES_BUILD_DIR: dir },
      stdio: "ignore",
      timeout: 60_000,
    });
  }
}

/**
 * Builds dist/bin (or VES_BUILD_DIR) from every .ts under SOURCE_DIRS and returns the number of files written. It
 * never fails the install: a file that cannot be built is reported, and the launcher transpiles it at run time.
 */
function build() {
  const dir = buildDir();
  const started = Date.now();
  let written = 0;
  const failed = [];
  for (const sub of SOURCE_DIRS) {
    for (const file of listSources(path.join(ROOT, sub), [])) {
      try {
        const source = fs.readFileSync(file, "utf8");
        const stamp = stampOf(source);
        if (freshCompiled(dir, file, stamp) === undefined) write(dir, file, transpile(file, source), stamp);
        written++;
      } catch (e) {
        failed.push(`${path.relative(ROOT, file)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  const where = path.relative(ROOT, dir) || dir;
  process.stderr.write(`build: ${written} modules compiled in ${where} (${Date.now() - started} ms)\n`);
  // A fresh code cache: entries of older module versions are never read again, so the build drops them all.
  fs.rmSync(path.join(dir, "v8"), { recursive: true, force: true });
  warm(dir);
  if (failed.length > 0) {
    process.stderr.write(
      `build: ${failed.length} modules not compiled; the bins transpile them at start:\n  ${failed.join("\n  ")}\n`,
    );
  }
  return written;
}

module.exports = { run, register, build, buildDir, ROOT };

if (require.main === module) {
  if (process.argv[2] !== "build") {
    process.stderr.write("usage: node bin/launcher.js build\n");
    process.exitCode = 2;
  } else {
    try {
      build();
    } catch (e) {
      // The install must not fail because of the build: the bins fall back to transpiling at start.
      process.stderr.write(
        `build: failed (${e instanceof Error ? e.message : String(e)}); bins will transpile at start\n`,
      );
    }
  }
}
