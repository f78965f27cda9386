/**
 * Ignition module for the SetRegistry: the implementation, an ERC1967 proxy that calls `initialize(owner,
 * sequencer)` in its constructor, and the registry ABI bound to the proxy's address.
 *
 * Parameters (module id `SetRegistryModule`): `owner` (default: account #0) and `sequencer` (default: account #1;
 * the zero address authorizes none).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

const SetRegistryModule = buildModule("SetRegistryModule", (m) => {
  const owner = m.getParameter("owner", m.getAccount(0));
  const sequencer = m.getParameter("sequencer", m.getAccount(1));

  const implementation = m.contract("SetRegistry", [], { id: "SetRegistryImplementation" });
  const initData = m.encodeFunctionCall(implementation, "initialize", [owner, sequencer]);
  const proxy = m.contract("ERC1967Proxy", [implementation, initData]);
  const registry = m.contractAt("SetRegistry", proxy, { id: "SetRegistry" });

  return { registry, proxy, implementation };
});

export default SetRegistryModule;
