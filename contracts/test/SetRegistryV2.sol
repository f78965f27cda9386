// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SetRegistry} from "../SetRegistry.sol";

/// @dev Test-only second implementation: the same storage plus a version getter, to test UUPS upgrades.
contract SetRegistryV2 is SetRegistry {
    /// @dev Identifies the upgraded implementation.
    function version() external pure returns (string memory) {
        return "2";
    }
}

/// @dev Test-only upgrade target without `proxiableUUID`: an upgrade to it must fail.
contract NotProxiable {
    /// @dev Some code, so the target is a contract.
    function ping() external pure returns (bool) {
        return true;
    }
}

/// @dev Test-only upgrade target whose `proxiableUUID` names the wrong slot: an upgrade to it must fail.
contract WrongProxiableUUID {
    /// @dev Answers a slot that is not the EIP-1967 implementation slot.
    function proxiableUUID() external pure returns (bytes32) {
        return bytes32(uint256(1));
    }
}
