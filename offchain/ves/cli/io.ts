/**
 * I/O of the `ves` CLI: reading JSON documents from files or stdin without losing integer precision, reading secret
 * keys from a file or `VES_SECRET_KEY` (never from the command line), and the output sinks.
 */
import { readFileSync } from "node:fs";

import { AppError, ExitCode } from "../../common";
import { hexToBytes, parseJsonExact, type ExactJsonValue } from "../index";

/** Where the CLI reads and writes; the real process by default, replaceable for in-process use. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Uint8Array;
  readFile(path: string): Uint8Array;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's stdin, stdout, stderr, files and environment. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0),
  readFile: (path) => readFileSync(path),
  env: process.env,
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads a JSON document from a path, or stdin for `-`, parsing integers beyond 2^53 as bigint. */
export function readJsonInput(io: CliIo, path: string): ExactJsonValue {
  let bytes: Uint8Array;
  try {
    bytes = path === "-" ? io.readStdin() : io.readFile(path);
  } catch (e) {
    throw new AppError("VES_INPUT_UNREADABLE", `cannot read ${path}: ${(e as Error).message}`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new AppError("VES_INVALID_JSON", `${path} is not valid UTF-8`);
  }
  try {
    return parseJsonExact(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new AppError("VES_INVALID_JSON", `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Reads a 32-byte secret key from `--secret-key-file` (hex, or the JSON `ves keygen` prints) or else from the
 * `VES_SECRET_KEY` environment variable (hex).
 */
export function readSecretKey(io: CliIo, file: string | undefined): Uint8Array {
  let text: string;
  let source: string;
  if (file !== undefined) {
    source = file;
    try {
      text = utf8.decode(io.readFile(file)).trim();
    } catch (e) {
      throw new AppError("VES_INPUT_UNREADABLE", `cannot read the secret key file ${file}: ${(e as Error).message}`);
    }
  } else if (io.env.VES_SECRET_KEY !== undefined && io.env.VES_SECRET_KEY !== "") {
    source = "VES_SECRET_KEY";
    text = io.env.VES_SECRET_KEY.trim();
  } else {
    throw new AppError("VES_USAGE", "a secret key is needed: --secret-key-file PATH or VES_SECRET_KEY", {
      exitCode: ExitCode.USAGE,
    });
  }
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text) as { secret_key?: unknown };
      text = typeof parsed.secret_key === "string" ? parsed.secret_key : "";
    } catch {
      text = "";
    }
  }
  try {
    return hexToBytes(text, { length: 32 });
  } catch {
    // The message must not echo the secret.
    throw new AppError("VES_INVALID_SECRET_KEY", `${source} does not hold a 32-byte hex secret key`);
  }
}
