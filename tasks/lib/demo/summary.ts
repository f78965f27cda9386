/**
 * The demo's closing table: events per stream and agent, commitments, proofs, on-chain transactions and gas, and the
 * auditor's verification per step.
 */

/** One commitment's batch proof. */
export interface ProofRow {
  readonly batchId: string;
  readonly valid: boolean;
  readonly allCompliant: boolean;
  readonly size: number;
  readonly provingMs: number;
}

/** Everything the table shows. */
export interface DemoSummary {
  readonly streams: readonly { stream: string; events: number; byAgent: Readonly<Record<string, number>> }[];
  readonly commitments: readonly { batchId: string; range: string; events: number; anchored: boolean }[];
  readonly proofs:
    | { readonly present: false; readonly note: string }
    | {
        readonly present: true;
        readonly rows: readonly ProofRow[];
        readonly byResult: Readonly<Record<string, number>>;
      };
  readonly chain: { readonly transactions: number; readonly gas: bigint; readonly registry: string };
  readonly verification: {
    readonly ok: boolean;
    readonly events: number;
    readonly steps: readonly { step: string; passed: number; failed: number; skipped: number }[];
    readonly firstBroken: string | null;
  };
  readonly checks: readonly { name: string; ok: boolean; detail: string }[];
}

function table(title: string, head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd();
  return [title, line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** The table as lines. */
export function formatSummary(s: DemoSummary): string[] {
  const out: string[] = ["", "=== VES demo summary ==="];
  out.push(
    ...table(
      "Events per stream",
      ["stream", "events", "by agent"],
      s.streams.map((x) => [
        x.stream,
        String(x.events),
        Object.entries(x.byAgent)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
      ]),
    ),
  );
  out.push(
    ...table(
      `Commitments (${s.commitments.length})`,
      ["batch", "sequences", "events", "anchored"],
      s.commitments.map((c) => [c.batchId, c.range, String(c.events), c.anchored ? "yes" : "NO"]),
    ),
  );
  if (!s.proofs.present) out.push(`Proofs: ${s.proofs.note}`);
  else {
    out.push(
      ...table(
        "Batch proofs (aml.threshold: 1,000,000 minor units USD)",
        ["batch", "valid", "all compliant", "size", "proving time"],
        s.proofs.rows.map((r) => [
          r.batchId,
          r.valid ? "yes" : "NO",
          r.allCompliant ? "yes" : "no",
          `${r.size} B`,
          `${r.provingMs} ms`,
        ]),
      ),
      `  prover: ${Object.entries(s.proofs.byResult)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  }
  out.push(`On-chain: ${s.chain.transactions} transactions, ${s.chain.gas} gas (SetRegistry ${s.chain.registry})`);
  out.push(
    ...table(
      `Verification by the auditor (${s.verification.events} events): ${s.verification.ok ? "PASSED" : "FAILED"}`,
      ["step", "passed", "failed", "skipped"],
      s.verification.steps.map((x) => [x.step, String(x.passed), String(x.failed), String(x.skipped)]),
    ),
  );
  if (s.verification.firstBroken !== null) out.push(`  first broken link: ${s.verification.firstBroken}`);
  out.push("Checks:", ...s.checks.map((c) => `  ${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}`));
  return out;
}
