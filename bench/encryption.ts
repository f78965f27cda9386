/**
 * VES-ENC-1 throughput (issue 17): encryptions and decryptions per second of a small commerce payload for one and
 * three recipients, printed next to
 *
 *   - the bound, measured in the same run: the raw node:crypto work the scheme needs and nothing else, on keys already
 *     imported — per encryption one X25519 key generation, one X25519 agreement per recipient, one HKDF (hkdfSync)
 *     and two AES-256-GCM operations; per decryption one agreement, one HKDF and two AES-256-GCM operations;
 *   - the baseline: the same VES-ENC-1 steps with the key wrapping through @hpke/core (the previous implementation).
 *
 * The candidates run interleaved in short slices, round after round, and each figure is the median of its rounds, so a
 * change in the machine's load during the run hits every candidate alike. Figures only, no thresholds.
 * Run: `npm run bench:encryption` (VES_BENCH_ROUNDS, default 7; VES_BENCH_SLICE_MS, default 200).
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from "node:crypto";
import os from "node:os";

import {
  aes256GcmSeal,
  bytesToBase64Url,
  concatBytes,
  decodePayloadEncrypted,
  decryptPayload,
  encryptPayload,
  aes256GcmOpen,
  bytesEqual,
  hpkeOpenReference,
  hpkeSealReference,
  jcsBytes,
  payloadAad,
  payloadCipherHash,
  payloadPlainHashSalted,
  recipientsHash,
  x25519Keygen,
  type EventContext,
  type PayloadEncrypted,
  type RecipientEntry,
} from "../offchain/ves";

const ROUNDS = Number(process.env.VES_BENCH_ROUNDS ?? "7");
const SLICE_MS = Number(process.env.VES_BENCH_SLICE_MS ?? "200");

const CONTEXT: EventContext = {
  tenantId: "00000000-0000-0000-0000-000000000001",
  storeId: "00000000-0000-0000-0000-000000000002",
  eventId: "11111111-1111-1111-1111-111111111111",
  sourceAgentId: "22222222-2222-2222-2222-222222222222",
  agentKeyId: 1,
  entityType: "InventoryItem",
  entityId: "WIDGET-001",
  eventType: "Adjusted",
  createdAt: "2025-01-01T00:00:00Z",
};
const PAYLOAD = { amount: 4990, currency: "USD", reason: "damaged", items: ["SKU-1", "SKU-2"] };

type Op = () => unknown;

/** Runs `op` for about SLICE_MS and returns operations per second (async ops are awaited one after another). */
async function slice(op: Op): Promise<number> {
  const start = performance.now();
  const end = start + SLICE_MS;
  let n = 0;
  while (performance.now() < end) {
    const r = op();
    if (r instanceof Promise) await r;
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The previous implementation's encryption: the same steps as encryptPayload with @hpke/core for the key wrapping. */
async function encryptReference(recipients: readonly { kid: number; publicKey: Uint8Array }[]): Promise<Uint8Array> {
  const salt = new Uint8Array(randomBytes(16));
  const dek = new Uint8Array(randomBytes(32));
  const nonce = new Uint8Array(randomBytes(12));
  const plainHash = payloadPlainHashSalted(PAYLOAD, salt);
  const aad = payloadAad(CONTEXT, plainHash);
  const { ciphertext, tag } = aes256GcmSeal(dek, nonce, concatBytes(salt, jcsBytes(PAYLOAD)), aad);
  const entries: RecipientEntry[] = [];
  for (const r of recipients) {
    const sealed = await hpkeSealReference({
      recipientPublicKey: r.publicKey,
      info: aad,
      aad: new Uint8Array(0),
      plaintext: dek,
    });
    entries.push({ recipientKid: r.kid, enc: sealed.enc, ct: sealed.ct });
  }
  bytesToBase64Url(ciphertext);
  const rHash = recipientsHash(entries);
  return payloadCipherHash({ nonce, payloadAad: aad, ciphertext, tag, recipientsHash: rHash });
}

/** The previous implementation's decryption: decryptPayload's steps with @hpke/core for the key unwrapping. */
async function decryptReference(pe: PayloadEncrypted, plainHash: Uint8Array, secretKey: Uint8Array): Promise<void> {
  const entry = pe.recipients.find((r) => r.recipientKid === 1);
  if (entry === undefined) throw new Error("no recipient 1");
  const aad = payloadAad(CONTEXT, plainHash);
  const dek = await hpkeOpenReference({
    recipientSecretKey: secretKey,
    enc: entry.enc,
    info: aad,
    aad: new Uint8Array(0),
    ct: entry.ct,
  });
  const plaintext = aes256GcmOpen(dek, pe.nonce, pe.ciphertext, pe.tag, aad);
  const payload: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext.subarray(16)));
  if (!bytesEqual(payloadPlainHashSalted(payload, plaintext.slice(0, 16)), plainHash)) throw new Error("hash");
}

/** The bound's AES-256-GCM seal and open of `data`. */
function gcmSeal(key: Buffer, data: Buffer): { ct: Buffer; tag: Buffer } {
  const c = createCipheriv("aes-256-gcm", key, key.subarray(0, 12), { authTagLength: 16 });
  const ct = Buffer.concat([c.update(data), c.final()]);
  return { ct, tag: c.getAuthTag() };
}
function gcmOpen(key: Buffer, sealed: { ct: Buffer; tag: Buffer }): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, key.subarray(0, 12), { authTagLength: 16 });
  d.setAuthTag(sealed.tag);
  return Buffer.concat([d.update(sealed.ct), d.final()]);
}

async function main(): Promise<void> {
  console.log(`VES-ENC-1 benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}`);
  console.log(`${ROUNDS} interleaved rounds of ${SLICE_MS} ms slices; each figure is the median of its rounds\n`);

  const keys = [x25519Keygen(), x25519Keygen(), x25519Keygen()];
  const one = [{ kid: 1, publicKey: (keys[0] as { publicKey: Uint8Array }).publicKey }];
  const three = keys.map((k, i) => ({ kid: i + 1, publicKey: k.publicKey }));
  const secret = (keys[0] as { secretKey: Uint8Array }).secretKey;
  const decoded = async (recipients: typeof one) => {
    const sample = await encryptPayload({ payload: PAYLOAD, context: CONTEXT, recipients });
    const d = decodePayloadEncrypted(sample.payloadEncrypted);
    if (!d.ok) throw new Error(d.rejection.message);
    return { pe: d.value as PayloadEncrypted, plainHash: sample.payloadPlainHash };
  };
  const sample1 = await decoded(one);
  const sample3 = await decoded(three);
  const decrypt = (s: typeof sample1) => async () => {
    const out = await decryptPayload({
      payloadEncrypted: s.pe,
      context: CONTEXT,
      payloadPlainHash: s.plainHash,
      recipientKid: 1,
      recipientSecretKey: secret,
    });
    if (!out.ok) throw new Error(out.message);
  };

  // The bound on pre-imported keys: the recipients' public KeyObjects and the recipient's private KeyObject.
  const recipientKeys = three.map((r) =>
    createPublicKey({ key: { kty: "OKP", crv: "X25519", x: bytesToBase64Url(r.publicKey) }, format: "jwk" }),
  );
  const recipientSecret = createPrivateKey({
    key: { kty: "OKP", crv: "X25519", d: bytesToBase64Url(secret), x: bytesToBase64Url(one[0]!.publicKey) },
    format: "jwk",
  });
  const content = Buffer.alloc(16 + jcsBytes(PAYLOAD).length, 7);
  const dek = Buffer.alloc(32, 3);
  const boundEncrypt = (n: number) => () => {
    const eph = generateKeyPairSync("x25519");
    gcmSeal(dek, content);
    for (let i = 0; i < n; i++) {
      const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipientKeys[i]! });
      const kek = Buffer.from(hkdfSync("sha256", shared, Buffer.alloc(0), content.subarray(0, 32), 32));
      gcmSeal(kek, dek);
    }
  };
  const ephemeral = createPublicKey(generateKeyPairSync("x25519").privateKey);
  const kek = Buffer.alloc(32, 5);
  const wrapped = gcmSeal(kek, dek);
  const sealedContent = gcmSeal(dek, content);
  const boundDecrypt = () => {
    const shared = diffieHellman({ privateKey: recipientSecret, publicKey: ephemeral });
    hkdfSync("sha256", shared, Buffer.alloc(0), content.subarray(0, 32), 32);
    gcmOpen(kek, wrapped);
    gcmOpen(dek, sealedContent);
  };

  const candidates: Record<string, Op> = {
    "encrypt, 1 recipient": () => encryptPayload({ payload: PAYLOAD, context: CONTEXT, recipients: one }),
    "encrypt, 1 recipient: bound": boundEncrypt(1),
    "encrypt, 1 recipient: @hpke/core": () => encryptReference(one),
    "decrypt, 1 recipient": decrypt(sample1),
    "decrypt, 1 recipient: bound": boundDecrypt,
    "decrypt, 1 recipient: @hpke/core": () => decryptReference(sample1.pe, sample1.plainHash, secret),
    "encrypt, 3 recipients": () => encryptPayload({ payload: PAYLOAD, context: CONTEXT, recipients: three }),
    "encrypt, 3 recipients: bound": boundEncrypt(3),
    "encrypt, 3 recipients: @hpke/core": () => encryptReference(three),
    "decrypt, of 3 recipients": decrypt(sample3),
  };
  const rates = new Map<string, number[]>(Object.keys(candidates).map((k) => [k, []]));
  for (const op of Object.values(candidates)) for (let i = 0; i < 10; i++) await op(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, op] of Object.entries(candidates)) rates.get(name)?.push(await slice(op));
    process.stderr.write(`round ${round + 1}/${ROUNDS}\r`);
  }
  const rate = (name: string) => median(rates.get(name) ?? []);
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(8);
  console.log(
    `${"".padEnd(34)} ${"ops/s".padStart(8)} ${"bound".padStart(8)} ${"ratio".padStart(6)}  ${"@hpke/core".padStart(10)} ${"speed-up".padStart(8)}`,
  );
  const row = (name: string, bound: string, reference?: string) => {
    const r = rate(name);
    const b = rate(bound);
    const ref = reference === undefined ? undefined : rate(reference);
    console.log(
      `${name.padEnd(34)} ${fmt(r)} ${fmt(b)} ${`${((100 * r) / b).toFixed(0)}%`.padStart(6)}  ` +
        (ref === undefined ? "" : `${fmt(ref).padStart(10)} ${`x${(r / ref).toFixed(1)}`.padStart(8)}`),
    );
  };
  row("encrypt, 1 recipient", "encrypt, 1 recipient: bound", "encrypt, 1 recipient: @hpke/core");
  row("decrypt, 1 recipient", "decrypt, 1 recipient: bound", "decrypt, 1 recipient: @hpke/core");
  row("encrypt, 3 recipients", "encrypt, 3 recipients: bound", "encrypt, 3 recipients: @hpke/core");
  row("decrypt, of 3 recipients", "decrypt, 1 recipient: bound");
  console.log(
    "\nbound: raw node:crypto on pre-imported keys (X25519 keygen + agreement per recipient + hkdfSync + 2 AES-256-GCM;" +
      " decrypt: agreement + hkdfSync + 2 AES-256-GCM)",
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
