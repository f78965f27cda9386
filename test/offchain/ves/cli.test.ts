/**
 * Tests of the `ves` CLI, spawned as `node bin/ves …` the way people run it: for every command a happy path and
 * error paths (exit 1 for invalid input or proof, 2 for usage, one line on stderr), plus help. The runs start in
 * parallel in `before` because each process spends most of its time loading the TypeScript compiler.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import {
  buildEnvelope,
  bytesToHex,
  ed25519Node,
  envelopeToJson,
  hexToBytes,
  x25519PublicKey,
  type VesEventEnvelope,
} from "../../../offchain/ves";
import derived from "../../vectors/ves-protocol-derived.json";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = path.join(ROOT, "bin", "ves");
const B = derived.full_plaintext_event;
const BATCH_FILE = path.join(ROOT, "test", "vectors", "ves-e2e-batch.json");
const ENCRYPTED_FILE = path.join(ROOT, "test", "vectors", "ves-e2e-encrypted.json");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ves(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    if (options.env?.VES_SECRET_KEY === undefined) delete env.VES_SECRET_KEY;
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? "");
  });
}

/** Runs the jobs with at most `limit` processes at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

function json(run: Run): Record<string, unknown> {
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

function oneErrorLine(run: Run, pattern: RegExp): void {
  const lines = run.stderr.trim().split("\n");
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(pattern);
}

describe("ves cli", function () {
  const runs = new Map<string, Run>();
  let dir: string;
  let encryptedVector: { envelope: unknown; recipients: { kid: number; secret_key: string }[]; payload: unknown };
  let batchVector: {
    merkle_root: string;
    new_state_root: string;
    prev_state_root: string;
    events: { envelope: unknown }[];
  };

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "ves-cli-"));
    encryptedVector = JSON.parse(readFileSync(ENCRYPTED_FILE, "utf8")) as typeof encryptedVector;
    batchVector = JSON.parse(readFileSync(BATCH_FILE, "utf8")) as typeof batchVector;
    const file = (name: string, content: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, content);
      return p;
    };
    const plain = await buildEnvelope({
      tenantId: B.fields.tenant_id,
      storeId: B.fields.store_id,
      sourceAgentId: B.fields.source_agent_id,
      agentKeyId: 1,
      eventId: B.fields.event_id,
      entityType: B.fields.entity_type,
      entityId: B.fields.entity_id,
      eventType: B.fields.event_type,
      createdAt: B.fields.created_at,
      payload: B.fields.payload,
      signingKey: hexToBytes(B.secret_key),
    });
    // Both a payload that no longer matches its hash and a changed signed field.
    const tampered: VesEventEnvelope = { ...plain.envelope, entity_id: "WIDGET-002", payload: { delta: 101 } };
    const events = batchVector.events.map((e) => e.envelope);
    const otherStream = { ...(events[1] as object), store_id: B.fields.store_id };
    const alice = encryptedVector.recipients[0] as { kid: number; secret_key: string };
    const bob = encryptedVector.recipients[1] as { kid: number; secret_key: string };
    const f = {
      plain: file("plain.json", envelopeToJson(plain.envelope, 2)),
      tampered: file("tampered.json", envelopeToJson(tampered)),
      notJson: file("broken.json", '{"ves_version": 1,'),
      batch: file("batch.json", JSON.stringify(events)),
      mixed: file("mixed.json", JSON.stringify([events[0], otherStream])),
      encrypted: file("encrypted.json", JSON.stringify(encryptedVector.envelope)),
      bobKeyJson: file("bob.json", JSON.stringify({ algorithm: "x25519", secret_key: bob.secret_key })),
      wrongKey: file("wrong.key", "11".repeat(32)),
      garbageKey: file("garbage.key", "my-secret-passphrase"),
    };
    const pk = B.public_key;
    const jobs: [string, string[], { stdin?: string; env?: Record<string, string> }?][] = [
      ["noArgs", []],
      ["decryptHelp", ["decrypt", "--help"]],
      ["keygen", ["keygen"]],
      ["keygenX", ["keygen", "--x25519"]],
      ["keygenBadOption", ["keygen", "--rsa"]],
      ["inspect", ["inspect", f.plain, "--sequence", "1", "--public-key", pk]],
      ["inspectStdin", ["inspect", "-", "--strict"], { stdin: JSON.stringify(encryptedVector.envelope) }],
      ["inspectTampered", ["inspect", f.tampered, "--public-key", pk]],
      ["inspectNotJson", ["inspect", f.notJson]],
      ["inspectBadKeyOption", ["inspect", f.plain, "--public-key", "abc"]],
      ["commit", ["commit", f.batch, "--start", "41", "--prev-state-root", batchVector.prev_state_root]],
      ["commitNoStart", ["commit", f.batch]],
      ["commitMixed", ["commit", f.mixed, "--start", "1"]],
      ["decryptFile", ["decrypt", f.encrypted, "--recipient-kid", String(bob.kid), "--secret-key-file", f.bobKeyJson]],
      [
        "decryptEnv",
        ["decrypt", f.encrypted, "--recipient-kid", String(alice.kid)],
        { env: { VES_SECRET_KEY: alice.secret_key } },
      ],
      [
        "decryptWrongKey",
        ["decrypt", f.encrypted, "--recipient-kid", String(alice.kid), "--secret-key-file", f.wrongKey],
      ],
      ["decryptNoSecret", ["decrypt", f.encrypted, "--recipient-kid", "2"]],
      ["decryptGarbageKey", ["decrypt", f.encrypted, "--recipient-kid", "2", "--secret-key-file", f.garbageKey]],
    ];
    const results = await pool(
      jobs.map(
        ([, args, options]) =>
          () =>
            ves(args, options),
      ),
      3,
    );
    jobs.forEach(([name], i) => runs.set(name, results[i] as Run));
  });

  after(function () {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const run = (name: string): Run => runs.get(name) as Run;

  describe("help", function () {
    it("prints usage with exit 2 when no command is given", function () {
      expect(run("noArgs").code).to.equal(2);
      expect(run("noArgs").stdout).to.equal("");
      expect(run("noArgs").stderr).to.match(/Usage: ves[\s\S]*inspect[\s\S]*commit[\s\S]*decrypt[\s\S]*keygen/);
    });

    it("explains where decrypt reads the secret key", function () {
      expect(run("decryptHelp").code).to.equal(0);
      expect(run("decryptHelp").stdout).to.include("VES_SECRET_KEY").and.include("--secret-key-file");
      expect(run("decryptHelp").stdout).to.not.match(/--secret-key </);
    });
  });

  describe("keygen", function () {
    it("prints a working Ed25519 key pair", function () {
      const r = run("keygen");
      expect(r.code, r.stderr).to.equal(0);
      const out = json(r);
      expect(out.algorithm).to.equal("ed25519");
      expect(bytesToHex(ed25519Node.publicKey(hexToBytes(out.secret_key as string)))).to.equal(out.public_key);
    });

    it("prints a working X25519 key pair", function () {
      const out = json(run("keygenX"));
      expect(out.algorithm).to.equal("x25519");
      expect(bytesToHex(x25519PublicKey(hexToBytes(out.secret_key as string)))).to.equal(out.public_key);
    });

    it("refuses an unknown option with exit 2", function () {
      expect(run("keygenBadOption").code).to.equal(2);
      expect(run("keygenBadOption").stdout).to.equal("");
      oneErrorLine(run("keygenBadOption"), /^error: unknown option '--rsa'/);
    });
  });

  describe("inspect", function () {
    it("prints every derived value of the §12.3 B event", function () {
      const r = run("inspect");
      expect(r.code, r.stderr).to.equal(0);
      const out = json(r);
      expect(out.payload_plain_hash).to.deep.equal({
        claimed: derived.payload_plain_hash[4]?.hash,
        recomputed: derived.payload_plain_hash[4]?.hash,
        matches: true,
      });
      expect(out.event_signing_preimage).to.equal(B.preimage);
      expect(out.event_signing_hash).to.equal(B.event_signing_hash);
      expect(out.signature_valid).to.equal(true);
      expect(out.stream_id).to.equal(B.stream_id);
      expect(out.sequence_number).to.equal(1);
      expect(out.leaf_hash).to.equal(B.leaf_hash);
      expect(out.receipt_hash).to.equal(B.receipt_hash);
      expect(out.valid).to.equal(true);
    });

    it("reads an encrypted envelope from stdin and prints its AAD, recipients and cipher hashes", function () {
      const r = run("inspectStdin");
      expect(r.code, r.stderr).to.equal(0);
      const out = json(r);
      const vector = JSON.parse(readFileSync(ENCRYPTED_FILE, "utf8")) as Record<string, string>;
      expect(out.payload_aad).to.equal(vector.payload_aad);
      expect(out.recipients_hash).to.equal(vector.recipients_hash);
      expect(out.recipient_kids).to.deep.equal([2, 9]);
      expect((out.payload_cipher_hash as Record<string, unknown>).matches).to.equal(true);
      expect(out.event_signing_hash).to.equal(vector.event_signing_hash);
      expect(out).to.not.have.property("signature_valid");
    });

    it("prints the values but exits 1 when the payload hash and the signature are wrong", function () {
      const tampered = run("inspectTampered");
      expect(tampered.code).to.equal(1);
      const out = json(tampered);
      expect(out.valid).to.equal(false);
      expect((out.payload_plain_hash as Record<string, unknown>).matches).to.equal(false);
      expect(out.signature_valid).to.equal(false);
      oneErrorLine(tampered, /^ves: the event fails: invalid_payload_hash, invalid_signature$/);
    });

    it("exits 1 on malformed JSON and 2 on a bad option value", function () {
      expect(run("inspectNotJson").code).to.equal(1);
      expect(run("inspectNotJson").stdout).to.equal("");
      oneErrorLine(run("inspectNotJson"), /^ves: .*broken\.json is not valid JSON/);
      expect(run("inspectBadKeyOption").code).to.equal(2);
      oneErrorLine(run("inspectBadKeyOption"), /^error: option '--public-key <hex>' argument 'abc' is invalid/);
    });
  });

  describe("commit", function () {
    it("reproduces the batch vector's leaves, root, proofs and state root", function () {
      const r = run("commit");
      expect(r.code, r.stderr).to.equal(0);
      const out = json(r);
      const vector = JSON.parse(readFileSync(BATCH_FILE, "utf8")) as {
        events: { leaf_hash: string }[];
        proofs: { proof_path: string[]; directions: boolean[] }[];
      };
      expect(out.merkle_root).to.equal(batchVector.merkle_root);
      expect(out.new_state_root).to.equal(batchVector.new_state_root);
      expect([
        out.sequence_start,
        out.sequence_end,
        out.leaf_count,
        out.padded_leaf_count,
        out.tree_depth,
      ]).to.deep.equal([41, 43, 3, 4, 2]);
      expect((out.leaves as { leaf_hash: string }[]).map((l) => l.leaf_hash)).to.deep.equal(
        vector.events.map((e) => e.leaf_hash),
      );
      const proofs = out.proofs as { proof_path: string[]; directions: boolean[] }[];
      expect(proofs.map((p) => [p.proof_path, p.directions])).to.deep.equal(
        vector.proofs.map((p) => [p.proof_path, p.directions]),
      );
    });

    it("exits 2 without --start", function () {
      expect(run("commitNoStart").code).to.equal(2);
      oneErrorLine(run("commitNoStart"), /^error: required option '--start <n>' not specified/);
    });

    it("exits 1 for events of two streams", function () {
      expect(run("commitMixed").code).to.equal(1);
      expect(run("commitMixed").stdout).to.equal("");
      oneErrorLine(run("commitMixed"), /^ves: event 1 .*not in the stream of event 0/);
    });
  });

  describe("decrypt", function () {
    it("prints the payload for a key from keygen's JSON in a file or from VES_SECRET_KEY", function () {
      for (const name of ["decryptFile", "decryptEnv"]) {
        const r = run(name);
        expect(r.code, `${name}: ${r.stderr}`).to.equal(0);
        expect(JSON.parse(r.stdout), name).to.deep.equal(encryptedVector.payload);
      }
    });

    it("exits 1 for a wrong key or an unreadable key, without echoing the key", function () {
      expect(run("decryptWrongKey").code).to.equal(1);
      oneErrorLine(run("decryptWrongKey"), /^ves: cannot decrypt: key_unwrap_failed/);
      expect(run("decryptGarbageKey").code).to.equal(1);
      oneErrorLine(run("decryptGarbageKey"), /does not hold a 32-byte hex secret key/);
      expect(run("decryptGarbageKey").stderr).to.not.include("passphrase");
      expect(run("decryptWrongKey").stdout).to.equal("");
    });

    it("exits 2 without a secret key", function () {
      expect(run("decryptNoSecret").code).to.equal(2);
      oneErrorLine(run("decryptNoSecret"), /^ves: a secret key is needed: --secret-key-file PATH or VES_SECRET_KEY/);
    });
  });
});
