/**
 * The demo's child processes: each service started through its real entry point, its output kept line by line (the
 * last lines are shown when it fails), waits on a line with a generous deadline, and a stop that sends SIGTERM and,
 * after a grace period, SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";

/** An error that ends a wait at once (a service exited), instead of retrying until the deadline. */
export class FatalWaitError extends Error {}

/** Polls `check` until it returns a value other than undefined/false; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof FatalWaitError) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}` +
          (last === undefined ? "" : `: ${(last as Error).message}`),
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A running service. */
export class Service {
  readonly lines: string[] = [];
  private readonly exit: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
  ) {
    this.child = spawn(command, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (line: string) => {
      this.lines.push(line);
      if (this.lines.length > 5000) this.lines.splice(0, 1000);
    };
    readline.createInterface({ input: this.child.stdout! }).on("line", keep);
    readline.createInterface({ input: this.child.stderr! }).on("line", keep);
    this.exit = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of output, for error messages. */
  tail(n = 20): string {
    return this.lines.slice(-n).join("\n");
  }

  /** Waits for a line matching `pattern`; returns its match. Fails if the process exits first. */
  async line(pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> {
    return waitFor(
      `${this.name}: ${what}`,
      () => {
        for (const l of this.lines) {
          const m = pattern.exec(l);
          if (m !== null) return m;
        }
        if (!this.running) throw new FatalWaitError(`${this.name} exited:\n${this.tail()}`);
        return undefined;
      },
      timeoutMs,
      100,
    );
  }

  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.running) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      const code = await this.exit;
      clearTimeout(timer);
      return code;
    }
    return this.exit;
  }
}
