/**
 * The explorer page's static routes: `GET /explorer/` serves `offchain/explorer/` (HTML, CSS and plain ES modules, no
 * build step) and `GET /explorer/vendor/…` the chart library's files straight from `node_modules/uplot/dist`, so the
 * page works offline with no CDN. The page holds no data: it reads the API with the key its user enters. Every answer
 * carries a strict Content-Security-Policy (scripts and styles from this origin only, no inline script, no framing)
 * and `nosniff`. `GET /explorer/config.json` tells the page the optional chain RPC URL and SetRegistry address for its
 * on-chain root check; the RPC URL's origin is the only other place the page may connect to.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

import type { FastifyReply } from "fastify";

import type { SequencerApp } from "../http";

/** What the explorer page is told about the chain (both optional: without them it skips the on-chain check). */
export interface ExplorerOptions {
  /** A JSON-RPC URL (http or https) the browser may call `eth_call` on. */
  readonly chainRpcUrl?: string;
  /** The SetRegistry proxy address (`0x` + 40 hex). */
  readonly registryAddress?: string;
  /** Where the page's files are (default: `offchain/explorer` next to this part). */
  readonly directory?: string;
}

/** The page's own files by URL name, with their content types. */
const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** The chart library's files served under `/explorer/vendor/`. */
const VENDOR: Readonly<Record<string, { readonly module: string; readonly type: string }>> = {
  "uPlot.esm.js": { module: "uplot/dist/uPlot.esm.js", type: "text/javascript; charset=utf-8" },
  "uPlot.min.css": { module: "uplot/dist/uPlot.min.css", type: "text/css; charset=utf-8" },
};

/** The Content-Security-Policy of every explorer answer; `connectExtra` is the chain RPC origin, if any. */
export function explorerCsp(connectExtra?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${connectExtra === undefined ? "" : ` ${connectExtra}`}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * Registers the explorer routes on `app`.
 * @throws TypeError when `chainRpcUrl` is not an http(s) URL or `registryAddress` is not an address.
 */
export function registerExplorer(app: SequencerApp, options: ExplorerOptions = {}): void {
  let rpcOrigin: string | undefined;
  if (options.chainRpcUrl !== undefined) {
    const url = new URL(options.chainRpcUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`the explorer's chain RPC URL must be http(s), got ${url.protocol}`);
    }
    rpcOrigin = url.origin;
  }
  if (options.registryAddress !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(options.registryAddress)) {
    throw new TypeError(`the explorer's registry address must be 0x + 40 hex, got ${options.registryAddress}`);
  }
  const csp = explorerCsp(rpcOrigin);

  // 1. The files, read once: the page is a handful of small files, and a fixed set cannot be walked out of.
  const dir = options.directory ?? path.resolve(__dirname, "../../explorer");
  const files = new Map<string, { readonly body: Buffer; readonly type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type !== undefined) files.set(name, { body: readFileSync(path.join(dir, name)), type });
  }
  for (const [name, v] of Object.entries(VENDOR)) {
    files.set(`vendor/${name}`, { body: readFileSync(require.resolve(v.module)), type: v.type });
  }
  const config = Buffer.from(
    JSON.stringify({ chainRpcUrl: options.chainRpcUrl ?? null, registryAddress: options.registryAddress ?? null }),
  );
  files.set("config.json", { body: config, type: "application/json; charset=utf-8" });

  // 2. Every answer: the policy, no sniffing, no referrer, revalidated (the files change with the sequencer).
  const send = (reply: FastifyReply, name: string) => {
    const file = files.get(name);
    void reply
      .header("content-security-policy", csp)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("x-frame-options", "DENY")
      .header("cache-control", "no-cache");
    if (file === undefined) {
      return reply
        .code(404)
        .type("application/json; charset=utf-8")
        .send(JSON.stringify({ error: { code: "NOT_FOUND", message: `no explorer file ${name}` } }));
    }
    return reply.code(200).type(file.type).send(file.body);
  };

  // 3. Routes: the bare path redirects so that the page's relative module URLs resolve under /explorer/.
  app.get("/explorer", { schema: { hide: true } }, async (_req, reply) => reply.redirect("/explorer/", 302));
  app.get("/explorer/", { schema: { hide: true } }, async (_req, reply) => send(reply, "index.html"));
  app.get("/explorer/:file", { schema: { hide: true } }, async (req, reply) =>
    send(reply, (req.params as { file: string }).file),
  );
  app.get("/explorer/vendor/:file", { schema: { hide: true } }, async (req, reply) =>
    send(reply, `vendor/${(req.params as { file: string }).file}`),
  );
}
