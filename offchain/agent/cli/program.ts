/**
 * The `stateset-sync` command line (commander), a thin layer over the agent library: argument parsing, help, output
 * (human text on stdout, progress on stderr, `--json` / `--output FILE` for JSON, secrets never printed) and exit
 * codes: 0 ok, 1 invalid input or a failed operation (rejected events, failed verification), 2 usage, 3 sequencer
 * unreachable.
 */
import { readFileSync, writeFileSync } from "node:fs";

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";

import { ExitCode } from "../../common";
import { parseJsonExact, stringifyJsonExact, type ExactJsonValue } from "../../ves";
import type { Agent, AgentOptions } from "../agent";
import { SETTABLE_KEYS, resolveHome } from "../config";
import { AgentError, isAgentError } from "../errors";
import type { OutboxStatus } from "../outbox";
import { EVENT_TYPES } from "../payloads";
import type { OnchainVerifyOptions } from "./onchain";

// The agent (its outbox on better-sqlite3, the sequencer client, the payload schemas) and the MCP server load inside
// the commands that use them: `--help` and usage errors start without them (issue 17).
const loadAgent = () => import("../agent");
const loadMcpServer = () => import("../mcp/server");

/** Where the CLI writes and what it reads (tests pass their own). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly readStdin: () => string;
}

const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  readStdin: () => readFileSync(0, "utf8"),
};

/** Output options shared by every reporting command. */
interface OutputOptions {
  json?: boolean;
  output?: string;
}

const U64_MAX = (1n << 64n) - 1n;

function parseU64(value: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || BigInt(value) > U64_MAX) {
    throw new InvalidArgumentError(`expected an integer in 0..2^64-1, got "${value}"`);
  }
  return BigInt(value);
}

function parsePositive(max: number) {
  return (value: string): number => {
    if (!/^[1-9][0-9]*$/.test(value) || Number(value) > max) {
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}, got "${value}"`);
    }
    return Number(value);
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Any JSON-ready value: bigint kept exact, undefined dropped, class instances flattened. */
function toJson(value: unknown): ExactJsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "bigint") {
    return value;
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") {
    const out: { [k: string]: ExactJsonValue } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = toJson(v);
    }
    return out;
  }
  return null;
}

const show = (v: unknown): string => (v === null || v === undefined ? "-" : String(v));

/** Builds the command tree; each action's outcome is recorded in `state`. */
function buildProgram(io: CliIo, state: { code: number; json: boolean; outputFile?: string }): Command {
  const program = new Command("stateset-sync")
    .description(
      "Capture, sign, encrypt and queue VES commerce events in a local outbox, and sync them with the sequencer.",
    )
    .option("--home <dir>", "agent home directory (default: $STATESET_HOME, else ./.stateset)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      "\nAPI keys come from STATESET_API_KEY (or the file named by api-key-file); tenant-admin commands " +
        "(keys:register, keys:rotate, schemas:publish) use STATESET_ADMIN_API_KEY (or admin-api-key-file).\n" +
        "Exit codes: 0 ok, 1 invalid input or failed operation, 2 usage, 3 sequencer unreachable.\n",
    );

  const options = (cmd: Command, opts: OutputOptions): AgentOptions => {
    const home = (cmd.optsWithGlobals() as { home?: string }).home;
    state.json = opts.json === true || opts.output !== undefined;
    if (opts.output !== undefined) state.outputFile = opts.output;
    return {
      cwd: io.cwd,
      env: io.env,
      ...(home === undefined ? {} : { home }),
      ...(state.json ? {} : { onProgress: (m: string) => io.stderr(`${m}\n`) }),
    };
  };

  /** Prints a result: JSON (stdout or the output file), or the human lines. */
  const emit = (opts: OutputOptions, value: unknown, human: () => string[]) => {
    if (opts.json === true || opts.output !== undefined) {
      const text = `${stringifyJsonExact(toJson(value), 2)}\n`;
      if (opts.output !== undefined) {
        writeFileSync(opts.output, text, { mode: 0o600 });
        if (opts.json !== true) io.stderr(`wrote ${opts.output}\n`);
      } else io.stdout(text);
    } else {
      io.stdout(`${human().join("\n")}\n`);
    }
  };

  const withAgent = async <T>(cmd: Command, opts: OutputOptions, fn: (agent: Agent) => Promise<T> | T): Promise<T> => {
    const agent = (await loadAgent()).Agent.open(options(cmd, opts));
    try {
      return await fn(agent);
    } finally {
      agent.close();
    }
  };

  const reporting = (cmd: Command) =>
    cmd.option("--json", "print JSON").option("--output <file>", "write JSON to a file (implies --json)");

  // init, config, doctor ---------------------------------------------------------------------------------------------
  reporting(
    program
      .command("init")
      .description("write .stateset/sync.json for one agent of one stream")
      .requiredOption("--sequencer-url <url>", "sequencer base URL (http or https)")
      .requiredOption("--tenant-id <uuid>", "tenant id")
      .requiredOption("--store-id <uuid>", "store id")
      .option("--agent-id <uuid>", "agent id (default: kept with --force, else a new UUID)")
      .option("--api-key-file <path>", "file holding the agent's API key (else STATESET_API_KEY)")
      .option("--force", "overwrite an existing configuration (keeps the agent id and keys unless --agent-id)")
      .option("--rpc-url <url>", "JSON-RPC URL of the chain for verify --onchain (default: the devnet's)")
      .option("--registry <address>", "SetRegistry address for verify --onchain (default: the devnet's record)"),
  ).action(
    async (
      opts: OutputOptions & {
        sequencerUrl: string;
        tenantId: string;
        storeId: string;
        agentId?: string;
        apiKeyFile?: string;
        force?: boolean;
        rpcUrl?: string;
        registry?: string;
      },
      cmd: Command,
    ) => {
      const { initAgent } = await loadAgent();
      const result = initAgent(
        {
          sequencerUrl: opts.sequencerUrl,
          tenantId: opts.tenantId,
          storeId: opts.storeId,
          ...(opts.agentId === undefined ? {} : { agentId: opts.agentId }),
          ...(opts.apiKeyFile === undefined ? {} : { apiKeyFile: opts.apiKeyFile }),
          ...(opts.force === true ? { force: true } : {}),
        },
        options(cmd, opts),
      );
      const cfg = result.config as { agentId: string };
      if (opts.rpcUrl !== undefined || opts.registry !== undefined) {
        (await import("../onchain")).saveChainSettings(resolveHome(options(cmd, opts)), {
          ...(opts.rpcUrl === undefined ? {} : { rpcUrl: opts.rpcUrl }),
          ...(opts.registry === undefined ? {} : { registryAddress: opts.registry }),
        });
      }
      emit(opts, result, () => [
        `Initialized ${result.home}`,
        `  agent id: ${cfg.agentId}`,
        "Next: stateset-sync keys:generate, then keys:register (with a tenant-admin credential).",
      ]);
    },
  );

  const config = program.command("config").description("show or change the configuration");
  reporting(config.command("show").description("print the configuration (secrets redacted)")).action(
    async (opts: OutputOptions, cmd: Command) => {
      const shown = await withAgent(cmd, opts, (a) => a.showConfig());
      emit(opts, shown, () => [stringifyJsonExact(shown, 2)]);
    },
  );
  reporting(
    config
      .command("set")
      .description("set one configuration key")
      .argument("<key>", "one of the keys listed below")
      .argument("<value>", "the new value")
      .addHelpText(
        "after",
        `\nKeys:\n${Object.entries(SETTABLE_KEYS)
          .map(([k, d]) => `  ${k.padEnd(36)} ${d}`)
          .join("\n")}\n`,
      ),
  ).action(async (key: string, value: string, opts: OutputOptions, cmd: Command) => {
    const shown = await withAgent(cmd, opts, (a) => a.setConfig(key, value));
    emit(opts, shown, () => [`${key} set`]);
  });

  reporting(
    program
      .command("doctor")
      .description("check config, key files, credentials, reachability, key registration, receipt keys")
      .option("--promote", "re-verify quarantined events and store those that now verify"),
  ).action(async (opts: OutputOptions & { promote?: boolean }, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) => a.doctor({ promote: opts.promote === true }));
    emit(opts, r, () => [
      ...r.checks.map((c) => `${c.ok ? "✓" : c.severity === "warning" ? "!" : "✗"} ${c.name}: ${c.detail}`),
      ...(r.promoted === undefined
        ? []
        : [`promote: ${r.promoted.promoted} of ${r.promoted.checked} quarantined events now verify`]),
      r.ok ? "All checks passed." : "Some checks failed.",
    ]);
    state.code = !r.reachable ? ExitCode.UNREACHABLE : r.ok ? 0 : ExitCode.INVALID;
  });

  // keys -------------------------------------------------------------------------------------------------------------
  reporting(
    program.command("keys:generate").description("generate the Ed25519 signing and X25519 encryption keys"),
  ).action(async (opts: OutputOptions, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) => a.generateKeys());
    emit(opts, r, () => [
      `Generated keys for agent ${r.agentId}`,
      ...r.signing.map((k) => `  signing key ${k.keyId}: ${k.publicKey}`),
      ...r.encryption.map((k) => `  encryption kid ${k.kid}: ${k.x25519}`),
      "Next: stateset-sync keys:register",
    ]);
  });
  reporting(program.command("keys:list").description("list the agent's keys (public parts only)")).action(
    async (opts: OutputOptions, cmd: Command) => {
      const r = await withAgent(cmd, opts, (a) => a.listKeys());
      emit(opts, r, () => [
        `Agent ${r.agentId}`,
        ...r.signing.map(
          (k) =>
            `  signing ${k.keyId} ${k.status}${k.registered ? " registered" : " NOT registered"}` +
            `${k.revokeAfter !== null && k.status === "retired" ? ` (revoke after ${k.revokeAfter})` : ""}: ${k.publicKey}`,
        ),
        ...r.encryption.map((k) => `  encryption kid ${k.kid}${k.current ? " current" : ""}: ${k.x25519}`),
      ]);
    },
  );
  reporting(
    program
      .command("keys:register")
      .description("register the signing key with the sequencer (tenant-admin credential)")
      .option("--key-id <n>", "key id (default: the current key)", parsePositive(0xffff_ffff)),
  ).action(async (opts: OutputOptions & { keyId?: number }, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) => a.registerKey(opts.keyId));
    emit(opts, r, () => [`Key ${r.keyId} ${r.alreadyRegistered ? "was already registered" : "registered"}`]);
  });
  reporting(
    program
      .command("keys:rotate")
      .description("make and register a new signing key; the old one is revoked after the grace period")
      .option("--encryption", "also make a new X25519 encryption key"),
  ).action(async (opts: OutputOptions & { encryption?: boolean }, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) => a.rotateKeys({ encryption: opts.encryption === true }));
    emit(opts, r, () => [
      `New signing key ${r.newKeyId} registered; key ${r.oldKeyId} will be revoked on the sequencer after ${r.revokeAfter}`,
      ...(r.newKid === null ? [] : [`New encryption kid ${r.newKid}`]),
    ]);
  });
  program
    .command("keys:export")
    .description("print the public keys (and this agent's recipient entry for others' configs)")
    .addOption(new Option("--format <format>", "output format").choices(["json", "hex"]).default("json"))
    .option("--output <file>", "write to a file")
    .action(async (opts: { format: string; output?: string }, cmd: Command) => {
      const r = (await withAgent(cmd, { json: true }, (a) => a.exportKeys())) as {
        signingKeys: { keyId: number; publicKey: string }[];
        encryptionKeys: { kid: number; x25519: string }[];
      };
      const text =
        opts.format === "hex"
          ? `${[
              ...r.signingKeys.map((k) => `signing_public_key_${k.keyId}=${k.publicKey}`),
              ...r.encryptionKeys.map((k) => `encryption_public_key_${k.kid}=${k.x25519}`),
            ].join("\n")}\n`
          : `${stringifyJsonExact(toJson(r), 2)}\n`;
      if (opts.output !== undefined) writeFileSync(opts.output, text);
      else io.stdout(text);
    });

  // append -----------------------------------------------------------------------------------------------------------
  reporting(
    program
      .command("append")
      .alias("event:append")
      .description("validate, sign (and encrypt) one event and queue it in the outbox")
      .option("--entity-type <type>", "entity type (default for typed events: the part before the dot)")
      .requiredOption("--entity-id <id>", "entity id")
      .requiredOption("--event-type <type>", `event type (typed: ${EVENT_TYPES.join(", ")})`)
      .requiredOption("--payload <json>", "payload: JSON text, @file, or - for stdin")
      .option("--encrypt-for <recipient>", "recipient name from the config, or KID:X25519HEX (repeatable)", collect)
      .option("--command-id <uuid>", "command id: the same command appended again is the same event")
      .option("--base-version <n>", "expected entity version (0: the entity must be new)", parseU64),
  ).action(
    async (
      opts: OutputOptions & {
        entityType?: string;
        entityId: string;
        eventType: string;
        payload: string;
        encryptFor?: string[];
        commandId?: string;
        baseVersion?: bigint;
      },
      cmd: Command,
    ) => {
      let text: string;
      if (opts.payload === "-") text = io.readStdin();
      else if (opts.payload.startsWith("@")) {
        try {
          text = readFileSync(opts.payload.slice(1), "utf8");
        } catch (e) {
          throw new AgentError("INVALID_INPUT", `cannot read ${opts.payload.slice(1)}: ${(e as Error).message}`);
        }
      } else text = opts.payload;
      let payload: ExactJsonValue;
      try {
        payload = parseJsonExact(text.replace(/^\uFEFF/, ""));
      } catch (e) {
        throw new AgentError("INVALID_INPUT", `the payload is not valid JSON: ${(e as Error).message}`);
      }
      const r = await withAgent(cmd, opts, (a) =>
        a.append({
          entityId: opts.entityId,
          eventType: opts.eventType,
          payload,
          ...(opts.entityType === undefined ? {} : { entityType: opts.entityType }),
          ...(opts.encryptFor === undefined ? {} : { encryptFor: opts.encryptFor }),
          ...(opts.commandId === undefined ? {} : { commandId: opts.commandId }),
          ...(opts.baseVersion === undefined ? {} : { baseVersion: opts.baseVersion }),
        }),
      );
      emit(opts, r, () => [
        `${r.duplicate ? "Already queued" : "Queued"} ${r.eventType} ${r.entityType}/${r.entityId}`,
        `  event id:   ${r.eventId}`,
        `  command id: ${r.commandId}`,
        `  status:     ${r.status}${r.payloadKind === 1 ? ` (encrypted for kids ${r.recipientKids.join(", ")})` : ""}`,
        ...(r.amountCommitment === null ? [] : [`  amount commitment: ${r.amountCommitment}`]),
      ]);
    },
  );

  // push, pull, status, history, verify, outbox, decrypt ------------------------------------------------------------
  reporting(program.command("push").description("send every pending event and settle each from its own result")).action(
    async (opts: OutputOptions, cmd: Command) => {
      const r = await withAgent(cmd, opts, (a) => a.push());
      emit(opts, r, () => [
        `Push complete: ${r.acknowledged} acknowledged (${r.replayed} already held), ${r.rejected.length} rejected, ` +
          `${r.pending} pending, ${r.requests} requests`,
        ...r.rejected.map((x) => `  ✗ ${x.eventId}: ${x.reason} (${x.message})`),
        ...r.problems.map((p) => `  ! ${p}`),
        ...r.notes.map((n) => `  note: ${n}`),
        ...(r.revokedKeyIds.length === 0 ? [] : [`  revoked rotated key(s) ${r.revokedKeyIds.join(", ")}`]),
      ]);
      if (r.rejected.length > 0 || r.problems.length > 0) state.code = ExitCode.INVALID;
    },
  );
  reporting(
    program
      .command("pull")
      .description("pull the stream from the cursor, verify every event, store or quarantine it, decrypt")
      .option("--from <seq>", "start here instead of the stored cursor (inclusive)", parseU64)
      .option("--limit <n>", "page size, 1..1000", parsePositive(1000)),
  ).action(async (opts: OutputOptions & { from?: bigint; limit?: number }, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) =>
      a.pull({
        ...(opts.from === undefined ? {} : { from: opts.from }),
        ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      }),
    );
    emit(opts, r, () => [
      `Pull complete: ${r.pulled} pulled, ${r.stored} stored, ${r.quarantined.length} quarantined, ` +
        `${r.decrypted} decrypted, ${r.notRecipient} not for this agent (next ${r.nextCursor}, head ${r.headSequence})`,
      ...r.quarantined.map((q) => `  ✗ ${show(q.sequenceNumber)} ${show(q.eventId)}: ${q.reason} (${q.message})`),
    ]);
    if (r.quarantined.length > 0) state.code = ExitCode.INVALID;
  });
  reporting(program.command("status").description("outbox counts, cursors, stream head, latest commitment")).action(
    async (opts: OutputOptions, cmd: Command) => {
      const r = await withAgent(cmd, opts, (a) => a.status());
      const c = r.latestCommitment;
      emit(opts, r, () => [
        "Sync Status",
        `  Sequencer:      ${r.sequencerUrl} (${r.connectionError === null ? "connected" : r.connectionError})`,
        `  Agent:          ${r.agentId} (signing key ${show(r.currentKeyId)})`,
        `  Outbox:         ${r.outbox.pending} pending, ${r.outbox.sending} sending, ${r.outbox.acknowledged} acknowledged, ${r.outbox.rejected} rejected`,
        `  Last pushed:    ${show(r.lastPushedSequence)}`,
        `  Last pulled:    ${show(r.lastPulledSequence)} (${r.pulledEvents} stored, ${r.quarantinedEvents} quarantined)`,
        `  Stream head:    ${show(r.streamHead)}`,
        `  Commitment:     ${c === null ? "-" : `${c.batchId} up to ${c.sequenceEnd}, ${c.anchored === true ? "anchored" : c.anchored === false ? "not anchored" : "anchoring unknown"}`}`,
        ...r.notes.map((n) => `  note: ${n}`),
      ]);
      if (!r.connected) state.code = ExitCode.UNREACHABLE;
      else if (r.connectionError !== null) state.code = ExitCode.INVALID;
    },
  );
  reporting(
    program
      .command("history")
      .description("an entity's events from the sequencer, each verified")
      .argument("<entityType>", "entity type")
      .argument("<entityId>", "entity id")
      .option("--from <n>", "offset into the entity's events", parseU64)
      .option("--limit <n>", "at most this many, 1..100", parsePositive(100)),
  ).action(
    async (
      entityType: string,
      entityId: string,
      opts: OutputOptions & { from?: bigint; limit?: number },
      cmd: Command,
    ) => {
      const r = await withAgent(cmd, opts, (a) =>
        a.history(entityType, entityId, {
          ...(opts.from === undefined ? {} : { from: opts.from }),
          ...(opts.limit === undefined ? {} : { limit: opts.limit }),
        }),
      );
      emit(opts, r, () => [
        `${r.entityType}/${r.entityId}: ${r.count} of ${show(r.total)} events, version ${show(r.currentVersion)}`,
        ...r.events.map(
          (e) =>
            `  ${show(e.sequenceNumber)} ${show(e.eventType)} ${show(e.eventId)} ${e.verified ? "✓" : `✗ ${e.problem}`}` +
            (e.payload === null ? (e.payloadKind === 1 ? " (encrypted)" : "") : ` ${stringifyJsonExact(e.payload)}`),
        ),
      ]);
      if (r.events.some((e) => !e.verified)) state.code = ExitCode.INVALID;
    },
  );
  reporting(
    program
      .command("verify")
      .description("fetch an event, its receipt, commitment and inclusion proof, and check all of them")
      .argument("[event-id]", "event id")
      .option("--onchain", "also check the chain: SetRegistry roots, state-root chain and logs, proofs")
      .option("--all", "check every event of the stream on-chain and report the first broken link")
      .option("--rpc-url <url>", "JSON-RPC URL (default: init's --rpc-url, else the devnet's)")
      .option("--registry <address>", "SetRegistry address (default: init's --registry, else the devnet's record)"),
  ).action(async (eventId: string | undefined, opts: OutputOptions & OnchainVerifyOptions, cmd: Command) => {
    if (opts.onchain === true || opts.all === true) {
      const { runOnchainVerify } = await import("./onchain");
      const o = await withAgent(cmd, opts, (a) =>
        runOnchainVerify(a, eventId, opts, io.env, (m) => {
          if (!state.json) io.stderr(`${m}\n`);
        }),
      );
      emit(opts, o.result, () => o.lines);
      state.code = o.code;
      return;
    }
    if (eventId === undefined) throw new AgentError("USAGE", "verify needs an event id");
    const r = await withAgent(cmd, opts, (a) => a.verify(eventId));
    emit(opts, r, () => [
      `Verify ${r.eventId}`,
      ...r.steps.map((s) => `  ${s.ok ? "✓" : "✗"} ${s.step}: ${s.detail}`),
      r.ok ? "Verified." : "Verification FAILED.",
    ]);
    if (!r.ok) state.code = ExitCode.INVALID;
  });
  reporting(
    program
      .command("outbox")
      .description("list outbox events")
      .addOption(
        new Option("--status <status>", "only this state").choices(["pending", "sending", "acknowledged", "rejected"]),
      )
      .option("--limit <n>", "at most this many (default 100)", parsePositive(1_000_000)),
  ).action(async (opts: OutputOptions & { status?: OutboxStatus; limit?: number }, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) => ({
      counts: a.outboxCounts(),
      events: a.outboxEntries({
        ...(opts.status === undefined ? {} : { status: opts.status }),
        ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      }),
    }));
    emit(opts, r, () => [
      `Outbox: ${r.counts.pending} pending, ${r.counts.sending} sending, ${r.counts.acknowledged} acknowledged, ${r.counts.rejected} rejected`,
      ...r.events.map(
        (e) =>
          `  ${e.localSeq} ${e.status.padEnd(12)} ${e.eventType} ${e.entityType}/${e.entityId} ${e.eventId}` +
          (e.sequenceNumber === null ? "" : ` seq ${e.sequenceNumber}`) +
          (e.rejection === null ? "" : ` ${e.rejection.reason}`) +
          (e.retryCount > 0 ? ` (retries ${e.retryCount}: ${show(e.lastError)})` : ""),
      ),
    ]);
  });
  reporting(
    program
      .command("decrypt")
      .description("print an event's plaintext payload (own, pulled, or fetched and decrypted)")
      .argument("<event-id>", "event id"),
  ).action(async (eventId: string, opts: OutputOptions, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) => a.decrypt(eventId));
    emit(opts, r, () => [stringifyJsonExact(r.payload, 2)]);
  });
  reporting(
    program
      .command("schemas:publish")
      .description("register the typed event types' JSON Schemas with the sequencer (tenant-admin credential)"),
  ).action(async (opts: OutputOptions, cmd: Command) => {
    const r = await withAgent(cmd, opts, (a) => a.publishSchemas());
    emit(opts, r, () => [
      ...r.published.map((p) => `  published ${p.eventType} (version ${p.version})`),
      ...r.unchanged.map((t) => `  unchanged ${t}`),
      `${r.published.length} published, ${r.unchanged.length} unchanged`,
    ]);
  });

  // mcp --------------------------------------------------------------------------------------------------------------
  program
    .command("mcp")
    .description("serve the agent as MCP tools on stdin/stdout (write tools only preview unless --apply)")
    .option("--apply", "let write tools sign, store and push events (default: previews only)")
    .action(async (opts: { apply?: boolean }, cmd: Command) => {
      const home = (cmd.optsWithGlobals() as { home?: string }).home;
      const { runMcpServer } = await loadMcpServer();
      await runMcpServer({
        cwd: io.cwd,
        env: io.env,
        ...(home === undefined ? {} : { home }),
        apply: opts.apply === true,
        log: (line) => io.stderr(`stateset-sync mcp: ${line}\n`),
      });
    });

  return program;
}

/** Runs the CLI on arguments (without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const state: { code: number; json: boolean; outputFile?: string } = { code: 0, json: false };
  const program = buildProgram(io, state);
  try {
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.USAGE;
    }
    await program.parseAsync([...args], { from: "user" });
    return state.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help"
        ? 0
        : ExitCode.USAGE;
    }
    const err = isAgentError(e)
      ? e
      : new AgentError("OUTBOX_ERROR", `internal error: ${e instanceof Error ? e.message : String(e)}`);
    io.stderr(`stateset-sync: ${err.message}\n`);
    if (err.hint !== undefined) io.stderr(`  hint: ${err.hint}\n`);
    if (state.json) {
      const text = `${stringifyJsonExact(toJson({ ok: false, error: err.toJSON() }), 2)}\n`;
      if (state.outputFile !== undefined) writeFileSync(state.outputFile, text, { mode: 0o600 });
      else io.stdout(text);
    }
    return err.exitCode;
  }
}
