/**
 * Time formatting shared by the backends: RFC 3339 in UTC with a `+00:00` suffix (chrono's `to_rfc3339` form, as
 * the reference writes `sequencedAt` and `committedAt`), millisecond precision.
 */

/** `date` as `YYYY-MM-DDTHH:MM:SS.mmm+00:00`. */
export function toRfc3339(date: Date): string {
  return date.toISOString().replace(/Z$/, "+00:00");
}

/** The current time as RFC 3339 with `+00:00`. */
export function nowRfc3339(): string {
  return toRfc3339(new Date());
}
