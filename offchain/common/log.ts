/**
 * Structured JSON logs through pino: one root logger per service, child loggers per component, and redaction of the
 * fields that could carry secrets, so an accidental `log.info({ headers })` never prints a key.
 */
import pino, { type Logger } from "pino";

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
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export type { Logger };
