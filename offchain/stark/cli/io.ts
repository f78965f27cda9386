/**
 * File and stream helpers of the ves-stark CLI (the only place in offchain/stark that does I/O). Every read is
 * bounded: a regular file's size is checked before it is read, a stream is read up to its cap plus one byte. Files
 * that hold an amount or a blinding value are created exclusively (never through a symlink, never over an existing
 * file) with mode 0600, and their content never appears in an error message.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";

import { AppError } from "../../common";
import { parseJsonExact } from "../../ves";

/** A bound on a file the CLI reads, and what to call a file over it. */
export interface ReadLimit {
  readonly maxBytes: number;
  /** The AppError code of an oversized file (default STARK_CLI_FILE_TOO_LARGE). */
  readonly tooLargeCode?: string;
  /** The file holds a secret (amount, blinding): no part of its content may reach an error message. */
  readonly secret?: boolean;
}

/** Public inputs files: a few hundred bytes in practice. */
export const INPUTS_LIMIT: ReadLimit = { maxBytes: 64 * 1024 };
/** Opening files: a few hundred bytes in practice; secret. */
export const OPENING_LIMIT: ReadLimit = { maxBytes: 64 * 1024, secret: true };
/** Amount files: one decimal u64 (20 digits) and some whitespace; secret. */
export const AMOUNT_LIMIT: ReadLimit = { maxBytes: 256, secret: true };

function tooLarge(path: string, limit: ReadLimit): AppError {
  return new AppError(limit.tooLargeCode ?? "STARK_CLI_FILE_TOO_LARGE", `${path} exceeds ${limit.maxBytes} bytes`);
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readAtMost(fd: number, path: string, limit: ReadLimit): Buffer {
  const stat = fstatSync(fd);
  if (stat.isFile() && stat.size > limit.maxBytes) throw tooLarge(path, limit);
  // a regular file's buffer fits its size (plus one byte to see growth); a stream's, the cap plus one byte
  let buf = Buffer.alloc(Math.min(limit.maxBytes, stat.isFile() ? stat.size : limit.maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length > limit.maxBytes) throw tooLarge(path, limit);
      const grown = Buffer.alloc(limit.maxBytes + 1); // the file grew since fstat
      buf.copy(grown);
      buf = grown;
    }
    let n: number;
    try {
      n = readSync(fd, buf, length, buf.length - length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
        sleepMs(5);
        continue;
      }
      throw e;
    }
    if (n === 0) break;
    length += n;
  }
  return buf.subarray(0, length);
}

/**
 * Reads a file, or stdin for "-", as UTF-8 text of at most `limit.maxBytes` bytes.
 * @throws AppError STARK_CLI_READ, or limit.tooLargeCode / STARK_CLI_FILE_TOO_LARGE before reading an oversized file.
 */
export function readText(path: string, limit: ReadLimit): string {
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = path === "-" ? 0 : openSync(path, "r");
    bytes = readAtMost(fd, path, limit);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError("STARK_CLI_READ", `cannot read ${path}: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("STARK_CLI_READ", `${path} is not UTF-8 text`);
  }
}

/** Parses JSON text with exact integers; the parser's detail is left out for a secret file. */
export function parseJsonText(text: string, path: string, limit: ReadLimit): unknown {
  try {
    return parseJsonExact(text);
  } catch (e) {
    const detail = limit.secret === true ? "" : `: ${(e as Error).message}`;
    throw new AppError("STARK_CLI_JSON", `${path} is not valid JSON${detail}`);
  }
}

/** Reads and parses a JSON file with exact integers, bounded by `limit`. */
export function readJson(path: string, limit: ReadLimit): unknown {
  return parseJsonText(readText(path, limit), path, limit);
}

/** Writes a public file (mode 0644 on creation). */
export function writePublic(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o644 });
}

/**
 * Fails early (before any work) when a secret file could not be created: something already exists at the path. The
 * exclusive create in writeSecret remains the guard; this only saves a wasted proof.
 * @throws AppError STARK_CLI_FILE_EXISTS.
 */
export function assertSecretTarget(path: string): void {
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (exists) throw fileExists(path);
}

function fileExists(path: string): AppError {
  return new AppError(
    "STARK_CLI_FILE_EXISTS",
    `refusing to write secrets to ${path}: a file or symlink already exists there (remove it first)`,
  );
}

/**
 * Creates a file holding secrets: exclusively (O_CREAT | O_EXCL | O_NOFOLLOW) with mode 0600, so an existing file
 * or a symlink at the path is an error, never followed or overwritten.
 * @throws AppError STARK_CLI_FILE_EXISTS or STARK_CLI_WRITE.
 */
export function writeSecret(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ELOOP") throw fileExists(path);
    throw new AppError("STARK_CLI_WRITE", `cannot create ${path}: ${(e as Error).message}`);
  }
  try {
    const bytes = Buffer.from(text, "utf8");
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
}

/** Writes to stdout. */
export function out(text: string): void {
  process.stdout.write(text);
}

/** Writes to stderr. */
export function err(text: string): void {
  process.stderr.write(text);
}
