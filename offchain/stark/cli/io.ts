/**
 * File and stream helpers of the ves-stark CLI (the only place in offchain/stark that does I/O). Files that hold an
 * amount or a blinding value are written with mode 0600.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";

import { AppError } from "../../common";
import { parseJsonExact } from "../../ves";

/** Reads a file, or stdin for "-", as UTF-8 text. */
export function readText(path: string): string {
  try {
    return path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (e) {
    throw new AppError("STARK_CLI_READ", `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Reads and parses a JSON file with exact integers. */
export function readJson(path: string): unknown {
  const text = readText(path);
  try {
    return parseJsonExact(text);
  } catch (e) {
    throw new AppError("STARK_CLI_JSON", `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Writes a public file (mode 0644 on creation). */
export function writePublic(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o644 });
}

/** Writes a file holding secrets with mode 0600 (also tightening an existing file). */
export function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Writes to stdout. */
export function out(text: string): void {
  process.stdout.write(text);
}

/** Writes to stderr. */
export function err(text: string): void {
  process.stderr.write(text);
}
