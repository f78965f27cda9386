// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISetRegistry
/// @notice On-chain anchor for VES (Verifiable Event Sync) batch commitments and STARK proof commitments.
/// @dev A stream is the pair (tenantId, storeId); on-chain it is keyed by `keccak256(tenantId ‖ storeId)`. Tenant,
/// store and batch ids are UUIDs encoded as bytes32: the 16 UUID bytes followed by 16 zero bytes. The external ABI
/// (names, argument types, events, errors and getter shapes) matches the reference SetRegistry so existing tools
/// keep working; `verifyVesInclusion` and `BatchStreamLinked` are additions. The events and custom errors are
/// declared in {SetRegistry} itself, as in the reference, so that Solidity can name them as `SetRegistry.X`; decode
/// logs and revert data with SetRegistry's ABI, not this interface's.
interface ISetRegistry {
    /// @notice A batch commitment as stored (3 storage slots).
    /// @param eventsRoot Merkle root over the batch's event leaves.
    /// @param newStateRoot State root of the stream after this batch.
    /// @param sequenceStart First sequence number in the batch (inclusive).
    /// @param sequenceEnd Last sequence number in the batch (inclusive).
    /// @param eventCount Number of events, always `sequenceEnd - sequenceStart + 1`.
    /// @param timestamp Block timestamp of the commit; zero means the batch does not exist.
    struct BatchCommitment {
        bytes32 eventsRoot;
        bytes32 newStateRoot;
        uint64 sequenceStart;
        uint64 sequenceEnd;
        uint32 eventCount;
        uint64 timestamp;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Initialization and administration
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Initializes the proxy: sets the owner, optionally authorizes a first sequencer and enables strict mode.
    /// @param _owner The owner (admin, upgrader); must not be zero.
    /// @param _initialSequencer A sequencer to authorize, or the zero address for none.
    function initialize(address _owner, address _initialSequencer) external;

    /// @notice Grants or revokes a sequencer's right to commit. Only the owner.
    /// @param _sequencer The sequencer; must not be zero.
    /// @param _authorized The new authorization.
    function setSequencerAuthorization(address _sequencer, bool _authorized) external;

    /// @notice Grants or revokes several sequencers at once. Only the owner.
    /// @param _sequencers The sequencers; the array must not be empty nor contain the zero address.
    /// @param _authorized The new authorization for all of them.
    function batchSetSequencerAuthorization(address[] calldata _sequencers, bool _authorized) external;

    /// @notice Turns the per-stream state-root and sequence continuity checks on or off. Only the owner.
    /// @param _enabled The new value.
    function setStrictMode(bool _enabled) external;

    /// @notice Enables or disables the deprecated legacy functions. Only the owner.
    /// @param _enabled The new value.
    function setLegacyFunctionsEnabled(bool _enabled) external;

    /// @notice Stops all commits. Only the owner.
    function pause() external;

    /// @notice Resumes commits. Only the owner.
    function unpause() external;

    // ------------------------------------------------------------------------------------------------------------
    // Writers
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Stores a batch commitment for a stream. Only an authorized sequencer, while not paused.
    /// @dev Checks, in order: sequencer, range, event count, events root, batch id, state root, duplicate, then (strict
    /// mode, and only if the stream has a batch) state-root and sequence continuity.
    /// @param _batchId The batch id; must not be zero and must be new.
    /// @param _tenantId The stream's tenant id.
    /// @param _storeId The stream's store id.
    /// @param _eventsRoot The Merkle root over the batch's events; must not be zero.
    /// @param _prevStateRoot The stream's state root before the batch.
    /// @param _newStateRoot The stream's state root after the batch; must not be zero.
    /// @param _sequenceStart First sequence number (inclusive).
    /// @param _sequenceEnd Last sequence number (inclusive).
    /// @param _eventCount Number of events; must equal `_sequenceEnd - _sequenceStart + 1`.
    function commitBatch(
        bytes32 _batchId,
        bytes32 _tenantId,
        bytes32 _storeId,
        bytes32 _eventsRoot,
        bytes32 _prevStateRoot,
        bytes32 _newStateRoot,
        uint64 _sequenceStart,
        uint64 _sequenceEnd,
        uint32 _eventCount
    ) external;

    /// @notice Stores a STARK proof commitment for an existing batch. Only an authorized sequencer, while not paused.
    /// @dev `_prevStateRoot` is not stored on-chain; it was checked when the batch was committed in strict mode and
    /// is recorded in {BatchStreamLinked}.
    /// @param _batchId The batch the proof covers.
    /// @param _proofHash Hash of the serialized proof; must not be zero.
    /// @param _prevStateRoot The stream's state root before the batch (informational).
    /// @param _newStateRoot Must equal the batch's stored new state root.
    /// @param _policyHash Hash of the compliance policy.
    /// @param _policyLimit The policy's effective limit.
    /// @param _allCompliant Whether every event satisfied the policy.
    /// @param _proofSize Proof size in bytes; must not be zero.
    /// @param _provingTimeMs Proving time in milliseconds.
    function commitStarkProof(
        bytes32 _batchId,
        bytes32 _proofHash,
        bytes32 _prevStateRoot,
        bytes32 _newStateRoot,
        bytes32 _policyHash,
        uint64 _policyLimit,
        bool _allCompliant,
        uint64 _proofSize,
        uint64 _provingTimeMs
    ) external;

    /// @notice {commitBatch} followed by the proof commitment for the same batch, atomically.
    /// @param _batchId The batch id.
    /// @param _tenantId The stream's tenant id.
    /// @param _storeId The stream's store id.
    /// @param _eventsRoot The Merkle root over the batch's events.
    /// @param _prevStateRoot The stream's state root before the batch.
    /// @param _newStateRoot The stream's state root after the batch.
    /// @param _sequenceStart First sequence number.
    /// @param _sequenceEnd Last sequence number.
    /// @param _eventCount Number of events.
    /// @param _proofHash Hash of the serialized proof; must not be zero.
    /// @param _policyHash Hash of the compliance policy.
    /// @param _policyLimit The policy's effective limit.
    /// @param _allCompliant Whether every event satisfied the policy.
    /// @param _proofSize Proof size in bytes; must not be zero.
    /// @param _provingTimeMs Proving time in milliseconds.
    function commitBatchWithStarkProof(
        bytes32 _batchId,
        bytes32 _tenantId,
        bytes32 _storeId,
        bytes32 _eventsRoot,
        bytes32 _prevStateRoot,
        bytes32 _newStateRoot,
        uint64 _sequenceStart,
        uint64 _sequenceEnd,
        uint32 _eventCount,
        bytes32 _proofHash,
        bytes32 _policyHash,
        uint64 _policyLimit,
        bool _allCompliant,
        uint64 _proofSize,
        uint64 _provingTimeMs
    ) external;

    /// @notice Deprecated: registers a root for a sequence range on the (0, 0) stream, with a derived batch id.
    /// @dev Only when legacy functions are enabled, by an authorized sequencer, while not paused. The stored new
    /// state root is zero, so a later {commitBatch} on the (0, 0) stream must give a zero previous state root.
    /// @param _startSequence First sequence number; must fit in uint64.
    /// @param _endSequence Last sequence number; must fit in uint64, and the range in uint32.
    /// @param _root The events root; must not be zero.
    function registerBatchRoot(uint256 _startSequence, uint256 _endSequence, bytes32 _root) external;

    // ------------------------------------------------------------------------------------------------------------
    // Proof views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Whether a proof commitment exists for a batch.
    /// @param _batchId The batch id.
    /// @return hasProof True if a proof is stored.
    function hasStarkProof(bytes32 _batchId) external view returns (bool hasProof);

    /// @notice Whether the stored proof hash of a batch equals `_proofHash`.
    /// @param _batchId The batch id.
    /// @param _proofHash The hash to compare.
    /// @return valid False if no proof is stored or the hashes differ.
    function verifyStarkProofHash(bytes32 _batchId, bytes32 _proofHash) external view returns (bool valid);

    /// @notice The main fields of a batch's proof commitment; zeros if absent.
    /// @param _batchId The batch id.
    /// @return proofHash The proof hash.
    /// @return policyHash The policy hash.
    /// @return allCompliant Whether every event complied.
    /// @return timestamp Block timestamp of the proof commitment.
    function getStarkProofDetails(
        bytes32 _batchId
    ) external view returns (bytes32 proofHash, bytes32 policyHash, bool allCompliant, uint64 timestamp);

    /// @notice The whole proof commitment of a batch, in the reference's field order; zeros if absent.
    /// @param _batchId The batch id.
    /// @return proofHash The proof hash.
    /// @return policyHash The policy hash.
    /// @return policyLimit The policy's effective limit.
    /// @return allCompliant Whether every event complied.
    /// @return proofSize Proof size in bytes.
    /// @return provingTimeMs Proving time in milliseconds.
    /// @return timestamp Block timestamp of the proof commitment.
    function starkProofs(
        bytes32 _batchId
    )
        external
        view
        returns (
            bytes32 proofHash,
            bytes32 policyHash,
            uint64 policyLimit,
            bool allCompliant,
            uint64 proofSize,
            uint64 provingTimeMs,
            uint64 timestamp
        );

    // ------------------------------------------------------------------------------------------------------------
    // Inclusion checks
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Checks a keccak256 Merkle proof against a batch's events root (reference convention: the leaf is used
    /// as given, `keccak256(left ‖ right)`, bit i of `_index` set means the node is a right child).
    /// @dev Unlike the reference, `_index` must be below the batch's event count and below `2**_proof.length`, so
    /// each leaf position has exactly one valid index. Never reverts.
    /// @param _batchId The batch id.
    /// @param _leaf The leaf.
    /// @param _proof Sibling hashes from the leaf level up.
    /// @param _index The leaf's position.
    /// @return valid True if the proof reproduces the stored events root.
    function verifyInclusion(
        bytes32 _batchId,
        bytes32 _leaf,
        bytes32[] calldata _proof,
        uint256 _index
    ) external view returns (bool valid);

    /// @notice {verifyInclusion} for several leaves of one batch.
    /// @param _batchId The batch id.
    /// @param _leaves The leaves.
    /// @param _proofs One proof per leaf.
    /// @param _indices One index per leaf.
    /// @return allValid True if the arrays are non-empty, of equal length, and every proof is valid.
    function verifyMultipleInclusions(
        bytes32 _batchId,
        bytes32[] calldata _leaves,
        bytes32[][] calldata _proofs,
        uint256[] calldata _indices
    ) external view returns (bool allValid);

    /// @notice Checks a VES v1 inclusion proof against a batch's events root: internal nodes are
    /// `sha256("VES_NODE_V1" ‖ left ‖ right)`, the leaves are padded to a power of two with PAD_LEAF, and bit i of
    /// `_leafIndex` set means the node is a right child.
    /// @dev Requires `_leafIndex < eventCount` and `_proof.length == ceil(log2(eventCount))`, so neither a padding leaf
    /// nor an inner node can pass as an event leaf. Never reverts.
    /// @param _batchId The batch id.
    /// @param _leafHash The VES leaf hash of the event.
    /// @param _proof Sibling hashes from the leaf level up.
    /// @param _leafIndex The event's position in the batch (`sequence - sequenceStart`).
    /// @return valid True if the proof reproduces the stored events root.
    function verifyVesInclusion(
        bytes32 _batchId,
        bytes32 _leafHash,
        bytes32[] calldata _proof,
        uint256 _leafIndex
    ) external view returns (bool valid);

    // ------------------------------------------------------------------------------------------------------------
    // Stream and batch reads
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The new state root of a stream's latest batch, or zero.
    /// @param _tenantId The tenant id.
    /// @param _storeId The store id.
    /// @return stateRoot The latest state root.
    function getLatestStateRoot(bytes32 _tenantId, bytes32 _storeId) external view returns (bytes32 stateRoot);

    /// @notice The last sequence number of a stream's latest batch, or zero.
    /// @param _tenantId The tenant id.
    /// @param _storeId The store id.
    /// @return sequence The head sequence.
    function getHeadSequence(bytes32 _tenantId, bytes32 _storeId) external view returns (uint64 sequence);

    /// @notice The last sequence number of a stream's latest batch, by stream key, or zero.
    /// @param _tenantStoreKey `keccak256(tenantId ‖ storeId)`.
    /// @return sequence The head sequence.
    function headSequence(bytes32 _tenantStoreKey) external view returns (uint64 sequence);

    /// @notice The id of a stream's latest batch, or zero.
    /// @param _tenantId The tenant id.
    /// @param _storeId The store id.
    /// @return batchId The latest batch id.
    function getLatestBatchId(bytes32 _tenantId, bytes32 _storeId) external view returns (bytes32 batchId);

    /// @notice The id of a stream's latest batch, by stream key, or zero.
    /// @param _tenantStoreKey `keccak256(tenantId ‖ storeId)`.
    /// @return batchId The latest batch id.
    function latestCommitment(bytes32 _tenantStoreKey) external view returns (bytes32 batchId);

    /// @notice A batch commitment; all zeros if absent.
    /// @param _batchId The batch id.
    /// @return commitment The commitment.
    function getBatchCommitment(bytes32 _batchId) external view returns (BatchCommitment memory commitment);

    /// @notice A batch commitment as six values; all zeros if absent.
    /// @param _batchId The batch id.
    /// @return eventsRoot The events root.
    /// @return newStateRoot The new state root.
    /// @return sequenceStart First sequence number.
    /// @return sequenceEnd Last sequence number.
    /// @return eventCount Number of events.
    /// @return timestamp Block timestamp of the commit.
    function commitments(
        bytes32 _batchId
    )
        external
        view
        returns (
            bytes32 eventsRoot,
            bytes32 newStateRoot,
            uint64 sequenceStart,
            uint64 sequenceEnd,
            uint32 eventCount,
            uint64 timestamp
        );

    /// @notice Several batch commitments; zeros for absent ones.
    /// @param _batchIds The batch ids.
    /// @return commitmentList The commitments, in the same order.
    function getBatchCommitments(
        bytes32[] calldata _batchIds
    ) external view returns (BatchCommitment[] memory commitmentList);

    /// @notice Whether a batch exists.
    /// @param _batchId The batch id.
    /// @return exists True if committed.
    function batchExists(bytes32 _batchId) external view returns (bool exists);

    /// @notice Whether each of several batches exists.
    /// @param _batchIds The batch ids.
    /// @return exists One flag per id.
    function batchExists(bytes32[] calldata _batchIds) external view returns (bool[] memory exists);

    /// @notice A batch commitment with its proof status.
    /// @param _batchId The batch id.
    /// @return commitment The commitment (zeros if absent).
    /// @return hasProof Whether a proof is stored.
    /// @return proofCompliant Whether the stored proof says every event complied.
    function getBatchWithProofStatus(
        bytes32 _batchId
    ) external view returns (BatchCommitment memory commitment, bool hasProof, bool proofCompliant);

    /// @notice Proof status of several batches.
    /// @param _batchIds The batch ids.
    /// @return hasProofs Whether each batch has a proof.
    /// @return allCompliant Whether each stored proof says every event complied.
    function getBatchProofStatuses(
        bytes32[] calldata _batchIds
    ) external view returns (bool[] memory hasProofs, bool[] memory allCompliant);

    /// @notice Latest state roots of several streams.
    /// @param _tenantIds The tenant ids.
    /// @param _storeIds The store ids, same length.
    /// @return stateRoots One root per stream.
    function getBatchLatestStateRoots(
        bytes32[] calldata _tenantIds,
        bytes32[] calldata _storeIds
    ) external view returns (bytes32[] memory stateRoots);

    /// @notice Head sequences of several streams.
    /// @param _tenantIds The tenant ids.
    /// @param _storeIds The store ids, same length.
    /// @return sequences One head sequence per stream.
    function getBatchHeadSequences(
        bytes32[] calldata _tenantIds,
        bytes32[] calldata _storeIds
    ) external view returns (uint64[] memory sequences);

    /// @notice Summary of one stream.
    /// @param _tenantId The tenant id.
    /// @param _storeId The store id.
    /// @return latestBatchId The latest batch id.
    /// @return currentStateRoot Its new state root.
    /// @return currentHeadSequence Its last sequence number.
    /// @return hasLatestProof Whether it has a proof.
    function getTenantStoreSummary(
        bytes32 _tenantId,
        bytes32 _storeId
    )
        external
        view
        returns (bytes32 latestBatchId, bytes32 currentStateRoot, uint64 currentHeadSequence, bool hasLatestProof);

    /// @notice The deprecated legacy lookup: the events root of the (0, 0) stream's latest batch if it spans exactly
    /// the given range, else zero.
    /// @param _startSequence First sequence number.
    /// @param _endSequence Last sequence number.
    /// @return root The events root or zero.
    function getBatchRoot(uint256 _startSequence, uint256 _endSequence) external view returns (bytes32 root);

    // ------------------------------------------------------------------------------------------------------------
    // Registry state
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Whether an address is an authorized sequencer.
    /// @param _sequencer The address.
    /// @return authorized True if authorized.
    function authorizedSequencers(address _sequencer) external view returns (bool authorized);

    /// @notice Authorization of several addresses.
    /// @param _addresses The addresses.
    /// @return authorized One flag per address.
    function areSequencersAuthorized(address[] calldata _addresses) external view returns (bool[] memory authorized);

    /// @notice Number of authorized sequencers.
    /// @return count The count.
    function authorizedSequencerCount() external view returns (uint256 count);

    /// @notice Number of batch commitments stored (all paths).
    /// @return count The count.
    function totalCommitments() external view returns (uint256 count);

    /// @notice Number of proof commitments stored.
    /// @return count The count.
    function totalStarkProofs() external view returns (uint256 count);

    /// @notice Whether strict mode is on.
    /// @return enabled The flag.
    function strictModeEnabled() external view returns (bool enabled);

    /// @notice Whether the deprecated legacy functions are enabled.
    /// @return enabled The flag.
    function legacyFunctionsEnabled() external view returns (bool enabled);

    /// @notice Counters and flags.
    /// @return commitmentCount Batches stored.
    /// @return proofCount Proofs stored.
    /// @return isPaused Whether commits are paused.
    /// @return isStrictMode Whether strict mode is on.
    function getRegistryStats()
        external
        view
        returns (uint256 commitmentCount, uint256 proofCount, bool isPaused, bool isStrictMode);

    /// @notice Counters, flags and proof coverage.
    /// @return totalBatches Batches stored.
    /// @return totalProofs Proofs stored.
    /// @return sequencerCount Authorized sequencers.
    /// @return isPaused Whether commits are paused.
    /// @return isStrictMode Whether strict mode is on.
    /// @return proofCoverage `totalProofs * 10000 / totalBatches` in basis points, 10000 when there are no batches.
    function getExtendedRegistryStatus()
        external
        view
        returns (
            uint256 totalBatches,
            uint256 totalProofs,
            uint256 sequencerCount,
            bool isPaused,
            bool isStrictMode,
            uint256 proofCoverage
        );
}
