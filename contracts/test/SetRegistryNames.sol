// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SetRegistry} from "../SetRegistry.sol";

/// @dev Test-only: names every custom error and event of {SetRegistry} through the contract's name, the way Solidity
/// written against the reference does (`SetRegistry.InvalidProof.selector`, `emit SetRegistry.BatchCommitted(...)`,
/// `SetRegistry.BatchCommitment`, `abi.encodeCall(SetRegistry.initialize, ...)`). That it compiles is the check; the
/// tests compare the selectors it returns with the reference ABI. The order of both lists is fixed: the errors and
/// events in declaration order.
contract SetRegistryNames {
    /// @dev Every error SetRegistry declares, as `SetRegistry.X.selector`.
    function errorSelectors() external pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](17);
        selectors[0] = SetRegistry.NotAuthorizedSequencer.selector;
        selectors[1] = SetRegistry.InvalidSequenceRange.selector;
        selectors[2] = SetRegistry.EmptyEventsRoot.selector;
        selectors[3] = SetRegistry.EmptyStateRoot.selector;
        selectors[4] = SetRegistry.InvalidBatchId.selector;
        selectors[5] = SetRegistry.BatchAlreadyCommitted.selector;
        selectors[6] = SetRegistry.StateRootMismatch.selector;
        selectors[7] = SetRegistry.SequenceGap.selector;
        selectors[8] = SetRegistry.InvalidEventCount.selector;
        selectors[9] = SetRegistry.InvalidProof.selector;
        selectors[10] = SetRegistry.BatchNotCommitted.selector;
        selectors[11] = SetRegistry.StarkProofAlreadyCommitted.selector;
        selectors[12] = SetRegistry.StateRootMismatchInProof.selector;
        selectors[13] = SetRegistry.InvalidAddress.selector;
        selectors[14] = SetRegistry.ArrayLengthMismatch.selector;
        selectors[15] = SetRegistry.EmptyArray.selector;
        selectors[16] = SetRegistry.LegacyFunctionsDisabled.selector;
    }

    /// @dev Every event SetRegistry declares, as `SetRegistry.X.selector` (topic 0).
    function eventSelectors() external pure returns (bytes32[] memory selectors) {
        selectors = new bytes32[](7);
        selectors[0] = SetRegistry.SequencerAuthorized.selector;
        selectors[1] = SetRegistry.BatchCommitted.selector;
        selectors[2] = SetRegistry.BatchStreamLinked.selector;
        selectors[3] = SetRegistry.StrictModeUpdated.selector;
        selectors[4] = SetRegistry.LegacyFunctionsUpdated.selector;
        selectors[5] = SetRegistry.StarkProofCommitted.selector;
        selectors[6] = SetRegistry.ContractUpgraded.selector;
    }

    /// @dev Emits every event SetRegistry declares, in declaration order, as `emit SetRegistry.X(...)`, with the
    /// arguments derived from `seed` so the test can check they arrive in the right fields.
    function emitEvents(bytes32 seed) external {
        address account = address(uint160(uint256(seed)));
        bytes32 a = keccak256(abi.encode(seed, 1));
        bytes32 b = keccak256(abi.encode(seed, 2));
        bytes32 c = keccak256(abi.encode(seed, 3));
        bytes32 d = keccak256(abi.encode(seed, 4));
        emit SetRegistry.SequencerAuthorized(account, true);
        emit SetRegistry.BatchCommitted(a, b, c, d, 11, 20, 10);
        emit SetRegistry.BatchStreamLinked(a, b, c, d);
        emit SetRegistry.StrictModeUpdated(false);
        emit SetRegistry.LegacyFunctionsUpdated(true);
        emit SetRegistry.StarkProofCommitted(a, b, c, true, 4096);
        emit SetRegistry.ContractUpgraded(account, msg.sender);
    }

    /// @dev Reverts with `SetRegistry.StateRootMismatch(expected, provided)`, as a reference test expects it through
    /// `abi.encodeWithSelector(SetRegistry.StateRootMismatch.selector, expected, provided)`.
    function revertStateRootMismatch(bytes32 expected, bytes32 provided) external pure {
        revert SetRegistry.StateRootMismatch(expected, provided);
    }

    /// @dev The struct the reference's tests read batches into, named through the contract.
    function batchCommitment(bytes32 root) external pure returns (SetRegistry.BatchCommitment memory commitment) {
        commitment.eventsRoot = root;
        commitment.sequenceStart = 1;
        commitment.sequenceEnd = 10;
        commitment.eventCount = 10;
    }

    /// @dev The proxy's initialization call data, built the way the reference's tests and deploy script build it.
    function initializeCall(address owner, address sequencer) external pure returns (bytes memory data) {
        data = abi.encodeCall(SetRegistry.initialize, (owner, sequencer));
    }
}
