/**
 * Debian's Chromium driven by playwright-core for the explorer's browser tests: the executable comes from
 * $VES_CHROMIUM (set by scripts/test.sh through scripts/chromium-test.sh) or the PATH; playwright-core never downloads
 * a browser. As root Chromium needs `--no-sandbox`. Screenshots go to test-artifacts/explorer/ (git-ignored).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";

import { chromium, type Browser, type Page } from "playwright-core";

/** Where the explorer tests save their screenshots. */
export const SCREENSHOT_DIR = path.resolve(__dirname, "../../test-artifacts/explorer");

/**
 * The Chromium executable: $VES_CHROMIUM, else `chromium` or `chromium-browser` on the PATH.
 * @throws Error naming scripts/chromium-test.sh when there is none.
 */
export function chromiumPath(): string {
  const fromEnv = process.env.VES_CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv)) throw new Error(`VES_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error(
    "no Chromium for the explorer tests: run them through `npm test` (scripts/test.sh installs Debian's chromium), " +
      "or run scripts/chromium-test.sh, or set VES_CHROMIUM",
  );
}

/** Launches headless Chromium (no sandbox when root, which Chromium requires). */
export async function launchChromium(): Promise<Browser> {
  process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = "1";
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...(root ? ["--no-sandbox"] : []), "--disable-dev-shm-usage", "--disable-gpu"],
    timeout: 60_000,
  });
}

/** Saves a full-page screenshot of `page` as test-artifacts/explorer/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
