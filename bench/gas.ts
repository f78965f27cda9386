/**
 * Gas of the SetRegistry's hot paths, as call-frame gas: the transaction's gas less the 21,000 intrinsic and the
 * calldata cost (4 per zero byte, 16 per non-zero byte), the way forge and the reference's figures count. Views are
 * measured with eth_estimateGas and the same deductions. Run: `npm run bench:gas`.
 */
import hre, { ethers } from "hardhat";

import SetRegistryModule from "../deploy/modules/SetRegistry";
import { SetRegistry__factory } from "../typechain-types";
import { vesProof, vesRoot } from "../test/support/ves-merkle";

/** Figures the reference reports (registry-anchor.md §1.10), measured on its own toolchain; not run here. */
const REFERENCE: Record<string, string> = {
  "commitBatch (first of a stream)": "114,277 min",
  "commitBatch (later, strict chain)": "131,128 median",
  commitBatchWithStarkProof: "224,419",
  commitStarkProof: "131,813",
  "verifyInclusion (4 leaves)": "8,004-10,943",
  "verifyVesInclusion (8 leaves)": "n/a (no VES check)",
  "verifyVesInclusion (1024 leaves)": "n/a (no VES check)",
};

function calldataGas(data: string): bigint {
  const bytes = ethers.getBytes(data);
  let gas = 0n;
  for (const b of bytes) gas += b === 0 ? 4n : 16n;
  return gas;
}

const median = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(xs.length / 2)]!;

async function main() {
  const [owner, sequencer] = await ethers.getSigners();
  if (!owner || !sequencer) throw new Error("need two signers");
  const deployed = await hre.ignition.deploy(SetRegistryModule, {
    parameters: { SetRegistryModule: { owner: owner.address, sequencer: sequencer.address } },
  });
  const registry = SetRegistry__factory.connect(await deployed.registry.getAddress(), sequencer);
  const word = (label: string) => ethers.keccak256(ethers.toUtf8Bytes(label));
  const uuid32 = (n: number) => ethers.zeroPadBytes(ethers.toBeHex(n, 16), 32);

  const frameGas = async (txp: Promise<{ hash: string; data: string }>) => {
    const tx = await txp;
    const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
    if (!receipt || receipt.status !== 1) throw new Error(`transaction ${tx.hash} failed`);
    return receipt.gasUsed - 21_000n - calldataGas(tx.data);
  };
  const viewGas = async (data: string) =>
    (await ethers.provider.estimateGas({ to: await registry.getAddress(), data })) - 21_000n - calldataGas(data);

  const results: Record<string, bigint[]> = {};
  const record = (name: string, gas: bigint) => (results[name] ??= []).push(gas);

  // Several streams, each with a first commit and a chain of later ones (strict mode on).
  const STREAMS = 8;
  const LATER = 8;
  let id = 1;
  for (let s = 0; s < STREAMS; s++) {
    const tenant = uuid32(0xaa00 + s);
    const store = uuid32(0xbb00 + s);
    let prev = ethers.ZeroHash;
    let start = 1n;
    for (let n = 0; n <= LATER; n++) {
      const newRoot = word(`state-${s}-${n}`);
      const gas = await frameGas(
        registry.commitBatch(
          uuid32(id++),
          tenant,
          store,
          word(`events-${s}-${n}`),
          prev,
          newRoot,
          start,
          start + 99n,
          100n,
        ),
      );
      record(n === 0 ? "commitBatch (first of a stream)" : "commitBatch (later, strict chain)", gas);
      prev = newRoot;
      start += 100n;
    }
  }

  for (let i = 0; i < 5; i++) {
    const batchId = uuid32(id++);
    const newRoot = word(`solo-${i}`);
    await registry.commitBatch(
      batchId,
      uuid32(0xcc00 + i),
      uuid32(1),
      word(`e${i}`),
      ethers.ZeroHash,
      newRoot,
      1n,
      10n,
      10n,
    );
    record(
      "commitStarkProof",
      await frameGas(
        registry.commitStarkProof(
          batchId,
          word(`p${i}`),
          ethers.ZeroHash,
          newRoot,
          word("policy"),
          10_000n,
          true,
          40_000n,
          900n,
        ),
      ),
    );
    record(
      "commitBatchWithStarkProof",
      await frameGas(
        registry.commitBatchWithStarkProof(
          uuid32(id++),
          uuid32(0xdd00 + i),
          uuid32(1),
          word(`f${i}`),
          ethers.ZeroHash,
          word(`g${i}`),
          1n,
          10n,
          10n,
          word(`q${i}`),
          word("policy"),
          10_000n,
          true,
          40_000n,
          900n,
        ),
      ),
    );
  }

  // Inclusion checks: the reference's 4-leaf keccak tree, and VES trees of 8 and 1,024 leaves.
  const leaves = [0, 1, 2, 3].map((i) => word(`event${i}`));
  const h01 = ethers.keccak256(ethers.concat([leaves[0]!, leaves[1]!]));
  const h23 = ethers.keccak256(ethers.concat([leaves[2]!, leaves[3]!]));
  const kBatch = uuid32(id++);
  await registry.commitBatch(
    kBatch,
    uuid32(0xee01),
    uuid32(1),
    ethers.keccak256(ethers.concat([h01, h23])),
    ethers.ZeroHash,
    word("k"),
    1n,
    4n,
    4n,
  );
  for (const [i, proof] of [
    [leaves[1]!, h23],
    [leaves[0]!, h23],
    [leaves[3]!, h01],
    [leaves[2]!, h01],
  ].entries()) {
    record(
      "verifyInclusion (4 leaves)",
      await viewGas(registry.interface.encodeFunctionData("verifyInclusion", [kBatch, leaves[i]!, proof, i])),
    );
  }
  for (const n of [8, 1024]) {
    const vesLeaves = Array.from({ length: n }, (_, i) => word(`ves${n}-${i}`));
    const batchId = uuid32(id++);
    await registry.commitBatch(
      batchId,
      uuid32(0xef00 + n),
      uuid32(1),
      vesRoot(vesLeaves),
      ethers.ZeroHash,
      word(`v${n}`),
      1n,
      BigInt(n),
      BigInt(n),
    );
    for (const i of [0, Math.floor(n / 3), n - 1]) {
      const data = registry.interface.encodeFunctionData("verifyVesInclusion", [
        batchId,
        vesLeaves[i]!,
        vesProof(vesLeaves, i),
        i,
      ]);
      if (!(await registry.verifyVesInclusion(batchId, vesLeaves[i]!, vesProof(vesLeaves, i), i)))
        throw new Error("VES proof rejected");
      record(`verifyVesInclusion (${n} leaves)`, await viewGas(data));
    }
  }

  console.log("SetRegistry call-frame gas (tx gas - 21,000 - calldata), via the ERC1967 proxy, solc 0.8.28 via-IR");
  console.log(
    "function".padEnd(36) +
      "n".padStart(4) +
      "min".padStart(10) +
      "median".padStart(10) +
      "max".padStart(10) +
      "   reference",
  );
  for (const [name, xs] of Object.entries(results)) {
    const min = xs.reduce((a, b) => (b < a ? b : a));
    const max = xs.reduce((a, b) => (b > a ? b : a));
    console.log(
      name.padEnd(36) +
        String(xs.length).padStart(4) +
        min.toLocaleString("en-US").padStart(10) +
        median(xs).toLocaleString("en-US").padStart(10) +
        max.toLocaleString("en-US").padStart(10) +
        "   " +
        (REFERENCE[name] ?? ""),
    );
  }
  const later = median(results["commitBatch (later, strict chain)"] ?? [0n]);
  console.log(
    `later commitBatch: ${later.toLocaleString("en-US")} gas, target <= 100,000: ${later <= 100_000n ? "met" : "NOT met"}`,
  );
  const implSize = ethers.getBytes(await ethers.provider.getCode(await deployed.implementation.getAddress())).length;
  console.log(`implementation runtime size: ${implSize.toLocaleString("en-US")} bytes (reference 11,022)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
