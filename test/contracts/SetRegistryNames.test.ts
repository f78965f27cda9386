/**
 * Source compatibility with Solidity written against the reference SetRegistry: its tests name errors and events
 * through the contract (`SetRegistry.InvalidProof.selector`, `emit SetRegistry.BatchCommitted(...)`), which compiles
 * only if SetRegistry declares them itself. contracts/test/SetRegistryNames.sol does exactly that; these tests check
 * that it names every error and event SetRegistry declares and that each selector is the reference's.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre, { ethers } from "hardhat";

import { SetRegistry__factory, SetRegistryNames__factory } from "../../typechain-types";
import abiVectors from "../vectors/registry-abi.json";

/** The errors SetRegistryNames.errorSelectors() names, in its order. */
const NAMED_ERRORS = [
  "NotAuthorizedSequencer()",
  "InvalidSequenceRange()",
  "EmptyEventsRoot()",
  "EmptyStateRoot()",
  "InvalidBatchId()",
  "BatchAlreadyCommitted()",
  "StateRootMismatch(bytes32,bytes32)",
  "SequenceGap(uint64,uint64)",
  "InvalidEventCount(uint64,uint32)",
  "InvalidProof()",
  "BatchNotCommitted()",
  "StarkProofAlreadyCommitted()",
  "StateRootMismatchInProof()",
  "InvalidAddress()",
  "ArrayLengthMismatch()",
  "EmptyArray()",
  "LegacyFunctionsDisabled()",
];

/** The events SetRegistryNames.eventSelectors() names and emitEvents() emits, in its order. */
const NAMED_EVENTS = [
  "SequencerAuthorized(address,bool)",
  "BatchCommitted(bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32)",
  "BatchStreamLinked(bytes32,bytes32,bytes32,bytes32)",
  "StrictModeUpdated(bool)",
  "LegacyFunctionsUpdated(bool)",
  "StarkProofCommitted(bytes32,bytes32,bytes32,bool,uint64)",
  "ContractUpgraded(address,address)",
];

const referenceErrors: Record<string, string> = abiVectors.errors;
const referenceEvents: Record<string, string> = abiVectors.events;

interface AstNode {
  nodeType: string;
  name?: string;
  nodes?: AstNode[];
  errorSelector?: string;
  eventSelector?: string;
}

let declaredCache: { errors: string[]; events: string[] } | undefined;

/** The selectors of the errors and events declared in the body of contract SetRegistry, from the compiler's AST. */
async function declaredInSetRegistry(): Promise<{ errors: string[]; events: string[] }> {
  if (declaredCache) return declaredCache;
  const buildInfo = await hre.artifacts.getBuildInfo("contracts/SetRegistry.sol:SetRegistry");
  if (!buildInfo) throw new Error("no build info for SetRegistry: compile the contracts first");
  const ast = buildInfo.output.sources["contracts/SetRegistry.sol"]?.ast as AstNode | undefined;
  const contract = ast?.nodes?.find((n) => n.nodeType === "ContractDefinition" && n.name === "SetRegistry");
  if (!contract?.nodes) throw new Error("contract SetRegistry not found in the compiler's AST");
  const errors = contract.nodes.filter((n) => n.nodeType === "ErrorDefinition").map((n) => `0x${n.errorSelector}`);
  const events = contract.nodes.filter((n) => n.nodeType === "EventDefinition").map((n) => `0x${n.eventSelector}`);
  declaredCache = { errors, events };
  return declaredCache;
}

async function deployNamesFixture() {
  const [deployer] = await ethers.getSigners();
  if (!deployer) throw new Error("need a signer");
  const names = await new SetRegistryNames__factory(deployer).deploy();
  await names.waitForDeployment();
  return { names, deployer };
}

const sorted = (xs: string[]) => [...xs].sort();

describe("SetRegistry names (SetRegistry.X in Solidity)", function () {
  const registryAbi = new ethers.Interface(SetRegistry__factory.abi);

  it("names every error and event SetRegistry declares, each once", async function () {
    const { names } = await loadFixture(deployNamesFixture);
    const declared = await declaredInSetRegistry();
    const errors = await names.errorSelectors();
    const events = await names.eventSelectors();
    expect(new Set(errors).size, "duplicate error").to.equal(errors.length);
    expect(new Set(events).size, "duplicate event").to.equal(events.length);
    expect(sorted(errors)).to.deep.equal(sorted(declared.errors));
    expect(sorted(events)).to.deep.equal(sorted(declared.events));
    expect(errors).to.have.length(NAMED_ERRORS.length);
    expect(events).to.have.length(NAMED_EVENTS.length);
  });

  it("gives the reference's selector for every error and event the reference declares", async function () {
    const { names } = await loadFixture(deployNamesFixture);
    const errors = await names.errorSelectors();
    const events = await names.eventSelectors();
    NAMED_ERRORS.forEach((signature, i) => {
      const expected = referenceErrors[signature] ?? ethers.id(signature).slice(0, 10);
      expect(errors[i], signature).to.equal(expected);
      expect(registryAbi.getError(signature)?.selector, signature).to.equal(expected);
    });
    NAMED_EVENTS.forEach((signature, i) => {
      const expected = referenceEvents[signature] ?? ethers.id(signature);
      expect(events[i], signature).to.equal(expected);
      expect(registryAbi.getEvent(signature)?.topicHash, signature).to.equal(expected);
    });
    // A reference error or event that is not named here must be one SetRegistry inherits (OpenZeppelin's): still in
    // its ABI, but not declared in its body. So one that is dropped or renamed in SetRegistry fails here.
    const declared = await declaredInSetRegistry();
    for (const [signature, selector] of Object.entries(referenceErrors)) {
      if (NAMED_ERRORS.includes(signature)) continue;
      expect(registryAbi.getError(signature)?.selector, signature).to.equal(selector);
      expect(declared.errors, signature).not.to.include(selector);
    }
    for (const [signature, topic] of Object.entries(referenceEvents)) {
      if (NAMED_EVENTS.includes(signature)) continue;
      expect(registryAbi.getEvent(signature)?.topicHash, signature).to.equal(topic);
      expect(declared.events, signature).not.to.include(topic);
    }
  });

  it("emits every event through SetRegistry. with SetRegistry's ABI", async function () {
    const { names, deployer } = await loadFixture(deployNamesFixture);
    const seed = ethers.id("names");
    const word = (n: number) =>
      ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [seed, n]));
    const account = ethers.getAddress(ethers.dataSlice(seed, 12));
    const receipt = await (await names.emitEvents(seed)).wait();
    if (!receipt) throw new Error("no receipt");
    const events = await names.eventSelectors();
    expect(receipt.logs.map((l) => l.topics[0])).to.deep.equal([...events]);
    const parsed = receipt.logs.map((l) => registryAbi.parseLog(l));
    expect(parsed.map((p) => p?.signature)).to.deep.equal(NAMED_EVENTS);
    expect(parsed[0]?.args.toArray()).to.deep.equal([account, true]);
    expect(parsed[1]?.args.toArray()).to.deep.equal([word(1), word(2), word(3), word(4), 11n, 20n, 10n]);
    expect(parsed[2]?.args.toArray()).to.deep.equal([word(1), word(2), word(3), word(4)]);
    expect(parsed[5]?.args.toArray()).to.deep.equal([word(1), word(2), word(3), true, 4096n]);
    expect(parsed[6]?.args.toArray()).to.deep.equal([account, deployer.address]);
  });

  it("reverts with SetRegistry.StateRootMismatch and its arguments", async function () {
    const { names } = await loadFixture(deployNamesFixture);
    const [expected, provided] = [ethers.id("expected"), ethers.id("provided")];
    await expect(names.revertStateRootMismatch(expected, provided))
      .to.be.revertedWithCustomError({ interface: registryAbi }, "StateRootMismatch")
      .withArgs(expected, provided);
  });

  it("names SetRegistry.BatchCommitment and SetRegistry.initialize as the reference's tests do", async function () {
    const { names, deployer } = await loadFixture(deployNamesFixture);
    const struct = names.interface.getFunction("batchCommitment")?.outputs[0];
    expect(struct?.components?.map((c) => c.name)).to.deep.equal(abiVectors.structs.getBatchCommitment);
    const root = ethers.id("root");
    const c = await names.batchCommitment(root);
    expect([c.eventsRoot, c.sequenceStart, c.sequenceEnd, c.eventCount]).to.deep.equal([root, 1n, 10n, 10n]);
    const sequencer = ethers.getAddress(ethers.dataSlice(ethers.id("sequencer"), 12));
    expect(await names.initializeCall(deployer.address, sequencer)).to.equal(
      registryAbi.encodeFunctionData("initialize", [deployer.address, sequencer]),
    );
  });
});
