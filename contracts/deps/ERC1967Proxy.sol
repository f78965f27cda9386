// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Brings OpenZeppelin's ERC1967Proxy into the build so Ignition and TypeChain see its artifact.
// solhint-disable-next-line no-unused-import
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
