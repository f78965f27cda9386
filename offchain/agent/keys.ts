/**
 * The agent's key store: `<home>/keys/<agentId>/signing-keys.json` (Ed25519 seeds, key ids 1, 2, … as registered on
 * the sequencer) and `encryption-keys.json` (X25519 keys). Files are written with mode 0600 in a 0700 directory;
 * private keys never leave this module except as signing/decryption material.
 *
 * Encryption key ids are derived from the public key, not counted per agent (the reference's per-agent counters made
 * every agent's first key kid 1, and two recipients' kids collided):
 *   kid = u32be(SHA-256("VES_AGENT_KID_V1" ‖ x25519_public_key)[0..4])
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

import { bytesToHex, ed25519Keygen, hexToBytes, x25519Keygen } from "../ves";
import type { HomePaths } from "./config";
import { AgentError } from "./errors";

/** A stored Ed25519 signing key. */
export interface SigningKeyRecord {
  readonly keyId: number;
  readonly publicKey: string;
  readonly privateKey: string;
  readonly createdAt: string;
  /** When `keys:register` (or `keys:rotate`) registered it on the sequencer. */
  registeredAt: string | null;
  /** When `keys:rotate` replaced it; it still signs nothing new. */
  retiredAt: string | null;
  /** After this time (and once no pending event uses it) it is revoked on the sequencer. */
  revokeAfter: string | null;
  /** When the sequencer revoked it. */
  revokedAt: string | null;
}

/** A stored X25519 encryption key. */
export interface EncryptionKeyRecord {
  readonly kid: number;
  readonly publicKey: string;
  readonly privateKey: string;
  readonly createdAt: string;
  retiredAt: string | null;
}

/** Public view of the keys (what `keys:list` and `keys:export` show). */
export interface PublicKeys {
  readonly agentId: string;
  readonly signing: readonly {
    keyId: number;
    publicKey: string;
    createdAt: string;
    registered: boolean;
    status: "current" | "retired" | "revoked";
    revokeAfter: string | null;
  }[];
  readonly encryption: readonly { kid: number; x25519: string; createdAt: string; current: boolean }[];
}

/** The encryption key id of an X25519 public key (see the module comment). */
export function deriveKid(x25519Public: Uint8Array): number {
  const h = createHash("sha256").update("VES_AGENT_KID_V1").update(x25519Public).digest();
  return h.readUInt32BE(0);
}

function writeSecretJson(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function readJsonArray(file: string): unknown[] {
  if (!existsSync(file)) return [];
  try {
    const v = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (!Array.isArray(v)) throw new Error("not an array");
    return v;
  } catch (e) {
    throw new AgentError("INVALID_CONFIG", `${file} is not a valid key file: ${(e as Error).message}`);
  }
}

/** The key files of one agent. */
export class KeyStore {
  readonly dir: string;
  readonly signingFile: string;
  readonly encryptionFile: string;
  signing: SigningKeyRecord[];
  encryption: EncryptionKeyRecord[];

  constructor(
    paths: HomePaths,
    readonly agentId: string,
  ) {
    this.dir = path.join(paths.keysDir, agentId);
    this.signingFile = path.join(this.dir, "signing-keys.json");
    this.encryptionFile = path.join(this.dir, "encryption-keys.json");
    this.signing = readJsonArray(this.signingFile) as SigningKeyRecord[];
    this.encryption = readJsonArray(this.encryptionFile) as EncryptionKeyRecord[];
  }

  /** Writes both files (0600). */
  save(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    writeSecretJson(this.signingFile, this.signing);
    writeSecretJson(this.encryptionFile, this.encryption);
  }

  /** The signing key new events use (the highest key id neither retired nor revoked). */
  currentSigning(): SigningKeyRecord | undefined {
    return this.signing
      .filter((k) => k.retiredAt === null && k.revokedAt === null)
      .sort((a, b) => b.keyId - a.keyId)[0];
  }

  /** The current signing key. @throws AgentError KEY_MISSING. */
  requireSigning(): SigningKeyRecord {
    const k = this.currentSigning();
    if (k === undefined) {
      throw new AgentError("KEY_MISSING", `agent ${this.agentId} has no signing key`, {
        hint: 'run "stateset-sync keys:generate" (then keys:register)',
      });
    }
    return k;
  }

  /** The encryption key others should encrypt for. */
  currentEncryption(): EncryptionKeyRecord | undefined {
    return this.encryption.filter((k) => k.retiredAt === null).at(-1);
  }

  /** A signing key by id (any state). */
  signingKey(keyId: number): SigningKeyRecord | undefined {
    return this.signing.find((k) => k.keyId === keyId);
  }

  /** The 32-byte seed of a signing key. */
  seedOf(k: SigningKeyRecord): Uint8Array {
    return hexToBytes(k.privateKey, { length: 32 });
  }

  /** Every X25519 key (current and retired), for decryption. */
  decryptionKeys(): { kid: number; secretKey: Uint8Array }[] {
    return this.encryption.map((k) => ({ kid: k.kid, secretKey: hexToBytes(k.privateKey, { length: 32 }) }));
  }

  /** Adds a new signing key (next key id) and returns it. */
  addSigningKey(now: string): SigningKeyRecord {
    const pair = ed25519Keygen();
    const keyId = this.signing.reduce((m, k) => Math.max(m, k.keyId), 0) + 1;
    const rec: SigningKeyRecord = {
      keyId,
      publicKey: bytesToHex(pair.publicKey),
      privateKey: bytesToHex(pair.secretKey),
      createdAt: now,
      registeredAt: null,
      retiredAt: null,
      revokeAfter: null,
      revokedAt: null,
    };
    this.signing.push(rec);
    return rec;
  }

  /** Adds a new X25519 key (retiring the previous one for encryption to, not for decryption). */
  addEncryptionKey(now: string): EncryptionKeyRecord {
    const pair = x25519Keygen();
    for (const k of this.encryption) if (k.retiredAt === null) k.retiredAt = now;
    const rec: EncryptionKeyRecord = {
      kid: deriveKid(pair.publicKey),
      publicKey: bytesToHex(pair.publicKey),
      privateKey: bytesToHex(pair.secretKey),
      createdAt: now,
      retiredAt: null,
    };
    this.encryption.push(rec);
    return rec;
  }

  /** The public view. */
  publicKeys(): PublicKeys {
    const current = this.currentSigning();
    const enc = this.currentEncryption();
    return {
      agentId: this.agentId,
      signing: this.signing.map((k) => ({
        keyId: k.keyId,
        publicKey: k.publicKey,
        createdAt: k.createdAt,
        registered: k.registeredAt !== null,
        status: k.revokedAt !== null ? "revoked" : k === current ? "current" : "retired",
        revokeAfter: k.revokeAfter,
      })),
      encryption: this.encryption.map((k) => ({
        kid: k.kid,
        x25519: k.publicKey,
        createdAt: k.createdAt,
        current: k === enc,
      })),
    };
  }

  /** Problems with the files' permissions (doctor): each file must be 0600 and the directory 0700. */
  permissionProblems(): string[] {
    const out: string[] = [];
    const check = (p: string, want: number) => {
      if (!existsSync(p)) return;
      const mode = statSync(p).mode & 0o777;
      if ((mode & 0o077) !== 0) out.push(`${p} has mode ${mode.toString(8)}, want ${want.toString(8)}`);
    };
    check(this.dir, 0o700);
    check(this.signingFile, 0o600);
    check(this.encryptionFile, 0o600);
    return out;
  }
}
