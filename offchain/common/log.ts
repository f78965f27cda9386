/**
 * Structured JSON logs through pino: one root logger per service, child loggers per component, and redaction of the
 * fields that could carry secrets, so an accidental `log.info({ headers })` never prints a key.
 */
import { createRequire } from "node:module";

import type pino from "pino";
import type { Logger } from "pino";

// pino loads when the first logger is made, not with this module: the CLIs import offchain/common for its errors and
// config, and most of their commands never log (issue 17).
const lazyRequire = createRequire(__filename);
let pinoModule: typeof pino | undefined;
function loadPino(): typeof pino {
  pinoModule ??= lazyRequire("pino") as typeof pino;
  return pinoModule;
}

/** Paths pino blanks out wherever they appear in a log record. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers['x-api-key']",
  "headers.authorization",
  "headers['x-api-key']",
  "apiKey",
  "secretKey",
  "privateKey",
  "signingKey",
  "payload",
  "amount",
  "blinding",
];

/** A service's root logger writing JSON lines to stdout (or to `destination`). */
export function createLogger(
  service: string,
  level: string = process.env.LOG_LEVEL ?? "info",
  destination?: pino.DestinationStream,
): Logger {
  const make = loadPino();
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: make.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? make(options) : make(options, destination);
}

export type { Logger };
