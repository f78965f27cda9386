/**
 * The anchor's view of the L2: an ethers JSON-RPC provider with a per-request timeout behind a circuit breaker, the
 * signer's wallet (transactions are signed locally so their hash is known, and persisted, before broadcast), the
 * TypeChain-bound SetRegistry, and revert decoding into the registry's custom error names and arguments.
 */
import {
  AbiCoder,
  FetchRequest,
  JsonRpcProvider,
  Network,
  Wallet,
  keccak256,
  type Log,
  type TransactionReceipt,
  type TransactionRequest,
} from "ethers";

import { connectRegistry } from "../common";
import { SetRegistry__factory, type SetRegistry } from "../../typechain-types";
import { BreakerState, CircuitBreaker, type BreakerStateName } from "./backoff";
import { AnchorError, unreachable, type DecodedRevert } from "./errors";

/** The registry's ABI (calls, events, custom errors). */
export const REGISTRY_INTERFACE = SetRegistry__factory.createInterface();

/** A freshly signed transaction: its raw bytes and hash. */
export interface SignedTx {
  readonly raw: string;
  readonly hash: string;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** The fields of a transaction the anchor signs. */
export interface TxFields {
  readonly data: string;
  readonly nonce: number;
  readonly gasLimit: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** True if `e` looks like a contract revert rather than a transport failure. */
export function isRevert(e: unknown): boolean {
  const err = e as { code?: unknown; data?: unknown };
  return err.code === "CALL_EXCEPTION" || revertData(e) !== undefined;
}

/** The revert data carried by an ethers / node error, if any. */
export function revertData(e: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof e !== "object" || e === null) return undefined;
  const o = e as Record<string, unknown>;
  if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(o.data)) return o.data;
  for (const k of ["data", "error", "info", "cause", "revert"]) {
    const found = revertData(o[k], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A transport-level failure (timeout, refused connection, 5xx) of the RPC. */
export class RpcUnavailable extends AnchorError {
  constructor(message: string, cause?: unknown) {
    super("ANCHOR_RPC_UNAVAILABLE", message, { cause, exitCode: 3 });
  }
}

/** The L2 connection of the anchor. */
export class Chain {
  readonly provider: JsonRpcProvider;
  readonly wallet: Wallet;
  readonly breaker: CircuitBreaker;
  private registryHandle: SetRegistry | undefined;

  constructor(
    rpcUrl: string,
    readonly chainId: bigint,
    readonly registryAddress: string,
    signerKey: string,
    options: {
      timeoutMs: number;
      breakerThreshold: number;
      breakerResetMs: number;
      onBreaker?: (s: BreakerStateName) => void;
    },
  ) {
    const req = new FetchRequest(rpcUrl);
    req.timeout = options.timeoutMs;
    this.provider = new JsonRpcProvider(req, Network.from(chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    this.wallet = new Wallet(signerKey.startsWith("0x") ? signerKey : `0x${signerKey}`);
    this.breaker = new CircuitBreaker(options.breakerThreshold, options.breakerResetMs, options.onBreaker);
  }

  /** The signer's address. */
  get address(): string {
    return this.wallet.address;
  }

  /** The breaker state as a metric value. */
  get breakerValue(): number {
    return BreakerState[this.breaker.state];
  }

  /** The bound registry (connected read-only; writes are signed locally). */
  async registry(): Promise<SetRegistry> {
    if (this.registryHandle === undefined) {
      this.registryHandle = await this.rpc(() => connectRegistry(this.registryAddress, this.provider));
    }
    return this.registryHandle;
  }

  /**
   * Runs one RPC call through the breaker. A revert passes through as is (the RPC works); a transport failure counts
   * against the breaker and becomes `RpcUnavailable`.
   * @throws RpcUnavailable when the breaker is open or the call fails in transport.
   */
  async rpc<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.breaker.allow()) throw new RpcUnavailable("the RPC circuit breaker is open");
    try {
      const out = await fn();
      this.breaker.success();
      return out;
    } catch (e) {
      if (isRevert(e) || (e instanceof AnchorError && e.code !== "CHAIN_UNREACHABLE")) {
        this.breaker.success();
        throw e;
      }
      const code = (e as { code?: unknown }).code;
      if (code === "NONCE_EXPIRED" || code === "REPLACEMENT_UNDERPRICED" || code === "INSUFFICIENT_FUNDS") {
        this.breaker.success();
        throw e;
      }
      this.breaker.failure();
      throw new RpcUnavailable(
        `RPC failed: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`,
        e,
      );
    }
  }

  /** Raw JSON-RPC through the breaker. */
  send<T = unknown>(method: string, params: unknown[]): Promise<T> {
    return this.rpc(() => this.provider.send(method, params) as Promise<T>);
  }

  /** The chain head's number. */
  async head(): Promise<number> {
    return Number(BigInt(await this.send<string>("eth_blockNumber", [])));
  }

  /** A block's hash, or null when the chain has no such block. */
  async blockHash(n: number): Promise<string | null> {
    const b = await this.send<{ hash: string } | null>("eth_getBlockByNumber", [`0x${n.toString(16)}`, false]);
    return b?.hash ?? null;
  }

  /** A receipt, or null. */
  receipt(hash: string): Promise<TransactionReceipt | null> {
    return this.rpc(() => this.provider.getTransactionReceipt(hash));
  }

  /** True if the node still knows the transaction (mined or in its pool). */
  async known(hash: string): Promise<boolean> {
    return (await this.send<unknown>("eth_getTransactionByHash", [hash])) !== null;
  }

  /** The signer's nonce at `tag`. */
  async nonce(tag: "latest" | "pending"): Promise<number> {
    return Number(BigInt(await this.send<string>("eth_getTransactionCount", [this.address, tag])));
  }

  /** The signer's balance. */
  async balance(): Promise<bigint> {
    return BigInt(await this.send<string>("eth_getBalance", [this.address, "latest"]));
  }

  /** Current fee suggestion (EIP-1559). */
  async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; baseFee: bigint }> {
    const block = await this.send<{ baseFeePerGas?: string }>("eth_getBlockByNumber", ["latest", false]);
    const baseFee = BigInt(block.baseFeePerGas ?? "0x0");
    let priority: bigint;
    try {
      priority = BigInt(await this.send<string>("eth_maxPriorityFeePerGas", []));
    } catch (e) {
      if (e instanceof RpcUnavailable && !this.breaker.allow()) throw e;
      priority = 1_000_000_000n;
    }
    return { baseFee, maxPriorityFeePerGas: priority, maxFeePerGas: baseFee * 2n + priority };
  }

  /** Estimates the gas of a registry call from the signer; a revert surfaces as the thrown ethers error. */
  async estimate(data: string): Promise<bigint> {
    const tx: TransactionRequest = { from: this.address, to: this.registryAddress, data };
    return this.rpc(() => this.provider.estimateGas(tx));
  }

  /** Simulates a registry call from the signer at `blockTag`; returns the decoded revert, or null if it succeeds. */
  async simulate(data: string, blockTag: string | number = "latest"): Promise<DecodedRevert | null> {
    try {
      const tag = typeof blockTag === "number" ? `0x${blockTag.toString(16)}` : blockTag;
      await this.send("eth_call", [{ from: this.address, to: this.registryAddress, data }, tag]);
      return null;
    } catch (e) {
      if (e instanceof RpcUnavailable) throw e;
      return this.decode(e);
    }
  }

  /** Signs a registry transaction locally. */
  async sign(f: TxFields): Promise<SignedTx> {
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      to: this.registryAddress,
      data: f.data,
      nonce: f.nonce,
      gasLimit: f.gasLimit,
      maxFeePerGas: f.maxFeePerGas,
      maxPriorityFeePerGas: f.maxPriorityFeePerGas,
      value: 0n,
    });
    return {
      raw,
      hash: keccak256(raw),
      nonce: f.nonce,
      maxFeePerGas: f.maxFeePerGas,
      maxPriorityFeePerGas: f.maxPriorityFeePerGas,
    };
  }

  /**
   * Broadcasts a signed transaction. `known` if the node already has it; `nonce_used` if its nonce is spent.
   * @throws RpcUnavailable on a transport failure; the node's other refusals (underpriced …) as ethers errors.
   */
  async broadcast(raw: string): Promise<"sent" | "known" | "nonce_used"> {
    try {
      await this.send("eth_sendRawTransaction", [raw]);
      return "sent";
    } catch (e) {
      if (e instanceof RpcUnavailable) throw e;
      const text = `${(e as Error).message} ${JSON.stringify((e as { info?: unknown }).info ?? {})}`.toLowerCase();
      if (text.includes("already known") || text.includes("known transaction") || text.includes("already imported")) {
        return "known";
      }
      if (text.includes("nonce too low") || (e as { code?: unknown }).code === "NONCE_EXPIRED") return "nonce_used";
      throw e;
    }
  }

  /** `BatchCommitted` / `StarkProofCommitted` logs of the registry in [from, to]. */
  async registryLogs(from: number, to: number, batchId?: string): Promise<Log[]> {
    const topics = [
      [
        REGISTRY_INTERFACE.getEvent("BatchCommitted").topicHash,
        REGISTRY_INTERFACE.getEvent("StarkProofCommitted").topicHash,
      ],
      ...(batchId === undefined ? [] : [batchId]),
    ];
    return this.rpc(() =>
      this.provider.getLogs({ address: this.registryAddress, topics, fromBlock: from, toBlock: to }),
    );
  }

  /** Decodes a revert against the registry ABI (custom errors), `Error(string)` and `Panic(uint256)`. */
  decode(e: unknown): DecodedRevert {
    const data = revertData(e) ?? "";
    const fallbackName = (e as { revert?: { name?: string } }).revert?.name;
    if (data.length >= 10) {
      const selector = data.slice(0, 10).toLowerCase();
      const body = `0x${data.slice(10)}`;
      try {
        if (selector === "0x08c379a0") {
          return { name: "Error", args: [String(AbiCoder.defaultAbiCoder().decode(["string"], body)[0])], data };
        }
        if (selector === "0x4e487b71") {
          return { name: "Panic", args: [String(AbiCoder.defaultAbiCoder().decode(["uint256"], body)[0])], data };
        }
      } catch {
        // fall through to the registry's errors
      }
      const parsed = REGISTRY_INTERFACE.parseError(data);
      if (parsed) return { name: parsed.name, args: parsed.args.map((a: unknown) => String(a)), data };
    }
    return { name: fallbackName ?? "Unknown", args: [], data };
  }

  /** Stops the provider's timers. */
  destroy(): void {
    this.provider.destroy();
  }
}

/** Maps a transport failure while connecting to an AnchorError with exit code 3. */
export function chainUnreachable(rpcUrl: string, cause: unknown): AnchorError {
  return unreachable("ANCHOR_RPC_UNREACHABLE", `cannot reach the L2 at ${rpcUrl}`, cause);
}
