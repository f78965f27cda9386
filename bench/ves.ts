/**
 * Throughput of the VES protocol core on this machine: event signing hashes, Ed25519 sign and verify on both paths
 * (with the node/noble ratio of the same run), VES-ENC-1 encrypt and decrypt, and the time to build a 1,000-leaf
 * commitment with every inclusion proof. Figures only, no thresholds. Run: `npm run bench:ves`
 * (VES_BENCH_SECONDS sets the time per figure, default 1).
 */
import os from "node:os";

import {
  buildCommitment,
  commitmentProof,
  decodePayloadEncrypted,
  decryptPayload,
  ed25519Node,
  ed25519Noble,
  encryptPayload,
  eventSigningHash,
  payloadPlainHash,
  sha256,
  verifyInclusionProof,
  x25519Keygen,
  type EventSigningFields,
  type PayloadEncrypted,
} from "../offchain/ves";

const SECONDS = Number(process.env.VES_BENCH_SECONDS ?? "1");

const FIELDS: EventSigningFields = {
  vesVersion: 1,
  tenantId: "00000000-0000-0000-0000-000000000001",
  storeId: "00000000-0000-0000-0000-000000000002",
  eventId: "11111111-1111-1111-1111-111111111111",
  sourceAgentId: "22222222-2222-2222-2222-222222222222",
  agentKeyId: 1,
  entityType: "InventoryItem",
  entityId: "WIDGET-001",
  eventType: "Adjusted",
  createdAt: "2025-01-01T00:00:00Z",
  payloadKind: 0,
  payloadPlainHash: payloadPlainHash({ delta: 100, reason: "test" }),
  payloadCipherHash: new Uint8Array(32),
};

/** Runs `fn` repeatedly for about SECONDS and returns operations per second. */
function rate(fn: (i: number) => void): number {
  for (let i = 0; i < 20; i++) fn(i); // warm-up
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    for (let k = 0; k < 16; k++) fn(n++);
  }
  return n / ((performance.now() - start) / 1000);
}

/** Async variant of `rate`. */
async function rateAsync(fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await fn(i);
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) await fn(n++);
  return n / ((performance.now() - start) / 1000);
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

async function main(): Promise<void> {
  const add = (name: string, value: string) => {
    console.log(`${name.padEnd(52)} ${value}`);
  };
  console.log(`VES core benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}`);
  console.log(`${SECONDS} s per figure\n`);

  // 1. Event signing hashes (preimage build + SHA-256).
  add("event signing hashes / s", fmt(rate(() => eventSigningHash(FIELDS))));

  // 2. Ed25519 on both paths, over 32-byte signing hashes.
  const seed = sha256(new TextEncoder().encode("bench agent key"));
  const messages = Array.from({ length: 64 }, (_, i) => sha256(Uint8Array.of(i)));
  const results: Record<string, { sign: number; verify: number }> = {};
  for (const impl of [ed25519Node, ed25519Noble]) {
    const signer = impl.signer(seed);
    const signatures = messages.map((m) => signer.sign(m));
    const sign = rate((i) => signer.sign(messages[i % 64] as Uint8Array));
    const verify = rate((i) => {
      if (!impl.verify(signatures[i % 64] as Uint8Array, messages[i % 64] as Uint8Array, signer.publicKey)) {
        throw new Error("verification failed");
      }
    });
    results[impl.name] = { sign, verify };
    add(`Ed25519 sign / s (${impl.name})`, fmt(sign));
    add(`Ed25519 verify / s (${impl.name})`, fmt(verify));
  }
  const node = results.node as { sign: number; verify: number };
  const noble = results.noble as { sign: number; verify: number };
  add(
    "Ed25519 node/noble ratio (sign, verify)",
    `${(node.sign / noble.sign).toFixed(1)}x, ${(node.verify / noble.verify).toFixed(1)}x`,
  );

  // 3. VES-ENC-1 for one recipient, a small commerce payload.
  const recipient = x25519Keygen();
  const context = FIELDS;
  const payload = { amount: 4990, currency: "USD", reason: "damaged", items: ["SKU-1", "SKU-2"] };
  const recipients = [{ kid: 1, publicKey: recipient.publicKey }];
  add("encrypt / s (1 recipient)", fmt(await rateAsync(() => encryptPayload({ payload, context, recipients }))));
  const sample = await encryptPayload({ payload, context, recipients });
  const decoded = decodePayloadEncrypted(sample.payloadEncrypted);
  if (!decoded.ok) throw new Error(decoded.rejection.message);
  const pe: PayloadEncrypted = decoded.value;
  const decryptRate = await rateAsync(async () => {
    const out = await decryptPayload({
      payloadEncrypted: pe,
      context,
      payloadPlainHash: sample.payloadPlainHash,
      recipientKid: 1,
      recipientSecretKey: recipient.secretKey,
    });
    if (!out.ok) throw new Error(out.message);
  });
  add("decrypt / s (1 recipient)", fmt(decryptRate));
  const three = [1, 2, 3].map((kid) => ({ kid, publicKey: x25519Keygen().publicKey }));
  add(
    "encrypt / s (3 recipients)",
    fmt(await rateAsync(() => encryptPayload({ payload, context, recipients: three }))),
  );

  // 4. A 1,000-leaf commitment: tree, root, state root and all 1,000 inclusion proofs (median of repeated builds).
  const leaves = Array.from({ length: 1000 }, (_, i) => sha256(Uint8Array.of(i & 0xff, i >> 8)));
  const build = () => {
    const c = buildCommitment({ tenantId: FIELDS.tenantId, storeId: FIELDS.storeId, sequenceStart: 1n, leaves });
    const proofs = [];
    for (let s = 1n; s <= 1000n; s++) proofs.push(commitmentProof(c, s));
    return { c, proofs };
  };
  const times: number[] = [];
  const treeOnly: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  do {
    let t = performance.now();
    buildCommitment({ tenantId: FIELDS.tenantId, storeId: FIELDS.storeId, sequenceStart: 1n, leaves });
    treeOnly.push(performance.now() - t);
    t = performance.now();
    build();
    times.push(performance.now() - t);
  } while (performance.now() < deadline || times.length < 5);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  add("1,000-leaf commitment, tree + root (ms, median)", median(treeOnly).toFixed(2));
  add("1,000-leaf commitment + 1,000 proofs (ms, median)", median(times).toFixed(2));
  const { c, proofs } = build();
  const verifyAll = () =>
    proofs.every(
      (p) =>
        verifyInclusionProof({
          leafHash: p.leafHash,
          leafIndex: p.leafIndex,
          proofPath: p.proofPath,
          merkleRoot: c.merkleRoot,
          leafCount: c.leafCount,
        }).ok,
    );
  add("inclusion proof verifications / s (depth 10)", fmt(rate(() => verifyAll()) * 1000));
  console.log("\nReference claims (yellowpaper §21): 1,000-leaf tree ~2 ms; proof < 1 ms; HPKE 0.15 ms.");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
