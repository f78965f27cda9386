/**
 * Waiting in tests without betting on the machine's speed: poll a condition up to a generous deadline instead of
 * sleeping a fixed time, and start rate-limit checks at the start of a window.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until just after the start of a `windowMs` window (windows start at multiples of it since the epoch). */
export async function startOfWindow(windowMs: number): Promise<void> {
  await sleep(windowMs - (Date.now() % windowMs) + 20);
}

/**
 * Polls `check` every `everyMs` until it returns a truthy value, which it returns; throws naming `what` if
 * `timeoutMs` passes first. The deadline is far above what a loaded machine needs: it only bounds a hang.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  { timeoutMs = 60_000, everyMs = 50 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
