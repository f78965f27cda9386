// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";

import {ISetRegistry} from "./interfaces/ISetRegistry.sol";

/**
 * @title SetRegistry
 * @dev Anchors VES batch commitments and STARK proof commitments, deployed behind an ERC1967 proxy (UUPS).
 *
 * Keeps the reference registry's external ABI and fixes its flaws: the counters are maintained, batch id 0 and a zero
 * new state root are rejected, the event-count check cannot wrap, keccak inclusion proofs are not index-malleable,
 * and real VES (SHA-256, domain-separated) inclusion proofs can be checked on-chain with {verifyVesInclusion}.
 *
 * State lives in one ERC-7201 namespace. The counters and flags share a single slot, so a commit reads the strict
 * mode flag and bumps its counter with one storage access. The reentrancy guard uses transient storage, which is
 * safe behind a proxy and needs no initialization.
 *
 * The events and custom errors are declared here rather than in {ISetRegistry}, as in the reference, so Solidity
 * written against the reference can name them through the contract (`SetRegistry.InvalidProof.selector`,
 * `emit SetRegistry.BatchCommitted(...)`); Solidity reaches neither inherited errors nor inherited events that way.
 */
contract SetRegistry is
    Initializable,
    OwnableUpgradeable,
    PausableUpgradeable,
    UUPSUpgradeable,
    ReentrancyGuardTransient,
    ISetRegistry
{
    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Emitted when the owner grants or revokes a sequencer's right to commit.
    /// @param sequencer The sequencer address.
    /// @param authorized Its new authorization.
    event SequencerAuthorized(address indexed sequencer, bool authorized);

    /// @notice Emitted when a batch commitment is stored.
    /// @param batchId The batch id.
    /// @param tenantStoreKey `keccak256(tenantId ‖ storeId)` of the batch's stream.
    /// @param eventsRoot Merkle root over the batch's events.
    /// @param newStateRoot State root after the batch.
    /// @param sequenceStart First sequence number.
    /// @param sequenceEnd Last sequence number.
    /// @param eventCount Number of events.
    event BatchCommitted(
        bytes32 indexed batchId,
        bytes32 indexed tenantStoreKey,
        bytes32 eventsRoot,
        bytes32 newStateRoot,
        uint64 sequenceStart,
        uint64 sequenceEnd,
        uint32 eventCount
    );

    /// @notice Emitted right after {BatchCommitted} so an indexer can rebuild every stream's state-root chain from
    /// logs alone.
    /// @param batchId The batch id.
    /// @param tenantId The stream's tenant id.
    /// @param storeId The stream's store id.
    /// @param prevStateRoot The state root the batch builds on, as given by the sequencer.
    event BatchStreamLinked(
        bytes32 indexed batchId,
        bytes32 indexed tenantId,
        bytes32 indexed storeId,
        bytes32 prevStateRoot
    );

    /// @notice Emitted when the owner changes strict mode.
    /// @param enabled The new value.
    event StrictModeUpdated(bool enabled);

    /// @notice Emitted when the owner enables or disables the deprecated legacy functions.
    /// @param enabled The new value.
    event LegacyFunctionsUpdated(bool enabled);

    /// @notice Emitted when a STARK proof commitment is stored for a batch.
    /// @param batchId The batch the proof covers.
    /// @param proofHash Hash of the serialized proof.
    /// @param policyHash Hash of the compliance policy.
    /// @param allCompliant Whether every event satisfied the policy.
    /// @param proofSize Proof size in bytes.
    event StarkProofCommitted(
        bytes32 indexed batchId,
        bytes32 proofHash,
        bytes32 policyHash,
        bool allCompliant,
        uint64 proofSize
    );

    /// @notice Emitted when the owner authorizes an upgrade, before the proxy switches implementation.
    /// @param newImplementation The new implementation.
    /// @param authorizer The owner that authorized it.
    event ContractUpgraded(address indexed newImplementation, address indexed authorizer);

    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The caller is not an authorized sequencer.
    error NotAuthorizedSequencer();
    /// @notice `sequenceEnd < sequenceStart`, or a legacy range does not fit the stored types.
    error InvalidSequenceRange();
    /// @notice The events root is zero.
    error EmptyEventsRoot();
    /// @notice The new state root is zero.
    error EmptyStateRoot();
    /// @notice The batch id is zero, which is reserved as the "no batch" sentinel.
    error InvalidBatchId();
    /// @notice A batch with this id already exists.
    error BatchAlreadyCommitted();
    /// @notice Strict mode: the previous state root given does not match the stream's latest state root.
    /// @param expected The stream's latest state root.
    /// @param provided The previous state root given.
    error StateRootMismatch(bytes32 expected, bytes32 provided);
    /// @notice Strict mode: the batch does not start right after the stream's latest batch.
    /// @param expected The expected first sequence number.
    /// @param provided The first sequence number given.
    error SequenceGap(uint64 expected, uint64 provided);
    /// @notice The event count does not equal the size of the sequence range.
    /// @param expected The size of the range (saturated at 2^64-1).
    /// @param provided The event count given.
    error InvalidEventCount(uint64 expected, uint32 provided);
    /// @notice The proof hash or the proof size is zero.
    error InvalidProof();
    /// @notice No batch with this id exists.
    error BatchNotCommitted();
    /// @notice A proof is already stored for this batch.
    error StarkProofAlreadyCommitted();
    /// @notice The proof's new state root does not match the batch's stored state root.
    error StateRootMismatchInProof();
    /// @notice The zero address was given.
    error InvalidAddress();
    /// @notice Two parallel arrays differ in length.
    error ArrayLengthMismatch();
    /// @notice An empty array was given.
    error EmptyArray();
    /// @notice A legacy function was called while legacy functions are disabled.
    error LegacyFunctionsDisabled();

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev A proof commitment as stored: 3 slots (the reference used 4). The timestamp is a uint40, which holds
    /// block timestamps for the next 30,000 years; it is widened to uint64 in every getter.
    struct StoredStarkProof {
        bytes32 proofHash;
        bytes32 policyHash;
        uint64 policyLimit;
        uint64 proofSize;
        uint64 provingTimeMs;
        uint40 timestamp;
        bool allCompliant;
    }

    /// @dev Counters and flags, packed in one slot. uint64 counters cannot overflow in practice (one commit per
    /// transaction), and the arithmetic on them is checked anyway.
    struct Counters {
        uint64 totalCommitments;
        uint64 totalStarkProofs;
        uint64 authorizedSequencerCount;
        bool strictModeEnabled;
        bool legacyFunctionsEnabled;
    }

    /// @custom:storage-location erc7201:stateset.storage.SetRegistry
    struct SetRegistryStorage {
        mapping(address sequencer => bool) authorizedSequencers;
        mapping(bytes32 batchId => BatchCommitment) commitments;
        mapping(bytes32 tenantStoreKey => bytes32 batchId) latestCommitment;
        mapping(bytes32 batchId => StoredStarkProof) starkProofs;
        Counters counters;
    }

    // keccak256(abi.encode(uint256(keccak256("stateset.storage.SetRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0x0bdbb45066258bf5a2cd149d00b78a4e18471ecb462aab46d885c3f12ea1e300;

    /// @dev `sha256("VES_NODE_V1" ‖ left ‖ right)` is computed over this 11-byte prefix, left-aligned in a word.
    bytes32 private constant _VES_NODE_PREFIX = bytes32("VES_NODE_V1");

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc ISetRegistry
    function initialize(address _owner, address _initialSequencer) external initializer {
        __Ownable_init(_owner);
        __Pausable_init();

        SetRegistryStorage storage $ = _getStorage();
        if (_initialSequencer != address(0)) {
            $.authorizedSequencers[_initialSequencer] = true;
            $.counters.authorizedSequencerCount = 1;
            emit SequencerAuthorized(_initialSequencer, true);
        }
        $.counters.strictModeEnabled = true;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Administration
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISetRegistry
    function setSequencerAuthorization(address _sequencer, bool _authorized) external onlyOwner {
        _setSequencer(_getStorage(), _sequencer, _authorized);
    }

    /// @inheritdoc ISetRegistry
    function batchSetSequencerAuthorization(address[] calldata _sequencers, bool _authorized) external onlyOwner {
        if (_sequencers.length == 0) revert EmptyArray();
        SetRegistryStorage storage $ = _getStorage();
        for (uint256 i = 0; i < _sequencers.length; ++i) {
            _setSequencer($, _sequencers[i], _authorized);
        }
    }

    /// @inheritdoc ISetRegistry
    function setStrictMode(bool _enabled) external onlyOwner {
        _getStorage().counters.strictModeEnabled = _enabled;
        emit StrictModeUpdated(_enabled);
    }

    /// @inheritdoc ISetRegistry
    function setLegacyFunctionsEnabled(bool _enabled) external onlyOwner {
        _getStorage().counters.legacyFunctionsEnabled = _enabled;
        emit LegacyFunctionsUpdated(_enabled);
    }

    /// @inheritdoc ISetRegistry
    function pause() external onlyOwner {
        _pause();
    }

    /// @inheritdoc ISetRegistry
    function unpause() external onlyOwner {
        _unpause();
    }

    /**
     * @dev Upgrades carry no value: with non-empty `data` OpenZeppelin would leave the ether stranded in the proxy,
     * which has no way to withdraw it.
     */
    function upgradeToAndCall(address newImplementation, bytes memory data) public payable override {
        if (msg.value != 0) revert ERC1967Utils.ERC1967NonPayable();
        super.upgradeToAndCall(newImplementation, data);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Writers
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISetRegistry
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
    ) external nonReentrant whenNotPaused {
        SetRegistryStorage storage $ = _getStorage();
        _requireSequencer($);
        _commitBatch(
            $,
            _batchId,
            _tenantId,
            _storeId,
            _eventsRoot,
            _prevStateRoot,
            _newStateRoot,
            _sequenceStart,
            _sequenceEnd,
            _eventCount
        );
    }

    /// @inheritdoc ISetRegistry
    function commitStarkProof(
        bytes32 _batchId,
        bytes32 _proofHash,
        bytes32 /* _prevStateRoot */,
        bytes32 _newStateRoot,
        bytes32 _policyHash,
        uint64 _policyLimit,
        bool _allCompliant,
        uint64 _proofSize,
        uint64 _provingTimeMs
    ) external nonReentrant whenNotPaused {
        SetRegistryStorage storage $ = _getStorage();
        _requireSequencer($);
        BatchCommitment storage batch = $.commitments[_batchId];
        if (batch.timestamp == 0) revert BatchNotCommitted();
        if ($.starkProofs[_batchId].timestamp != 0) revert StarkProofAlreadyCommitted();
        if (batch.newStateRoot != _newStateRoot) revert StateRootMismatchInProof();
        _storeProof($, _batchId, _proofHash, _policyHash, _policyLimit, _allCompliant, _proofSize, _provingTimeMs);
    }

    /// @inheritdoc ISetRegistry
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
    ) external nonReentrant whenNotPaused {
        SetRegistryStorage storage $ = _getStorage();
        _requireSequencer($);
        _commitBatch(
            $,
            _batchId,
            _tenantId,
            _storeId,
            _eventsRoot,
            _prevStateRoot,
            _newStateRoot,
            _sequenceStart,
            _sequenceEnd,
            _eventCount
        );
        _storeProof($, _batchId, _proofHash, _policyHash, _policyLimit, _allCompliant, _proofSize, _provingTimeMs);
    }

    /// @inheritdoc ISetRegistry
    function registerBatchRoot(
        uint256 _startSequence,
        uint256 _endSequence,
        bytes32 _root
    ) external nonReentrant whenNotPaused {
        SetRegistryStorage storage $ = _getStorage();
        if (!$.counters.legacyFunctionsEnabled) revert LegacyFunctionsDisabled();
        _requireSequencer($);
        // The reference truncated these silently; here a range that the stored types cannot hold is rejected.
        if (_endSequence < _startSequence || _endSequence > type(uint64).max) revert InvalidSequenceRange();
        if (_endSequence - _startSequence >= type(uint32).max) revert InvalidSequenceRange();
        if (_root == bytes32(0)) revert EmptyEventsRoot();

        bytes32 batchId = keccak256(abi.encodePacked(_startSequence, _endSequence, block.timestamp, msg.sender));
        if ($.commitments[batchId].timestamp != 0) revert BatchAlreadyCommitted();

        bytes32 key = _streamKey(bytes32(0), bytes32(0));
        uint64 start = uint64(_startSequence);
        bytes32 prevStateRoot;
        bytes32 latest = $.latestCommitment[key];
        if (latest != bytes32(0)) {
            BatchCommitment storage last = $.commitments[latest];
            prevStateRoot = last.newStateRoot;
            // Legacy batches carry no state root, so only sequence continuity is checked.
            if ($.counters.strictModeEnabled) _checkContinuity(last.sequenceEnd, start);
        }
        _storeBatch(
            $,
            batchId,
            key,
            bytes32(0),
            bytes32(0),
            _root,
            prevStateRoot,
            bytes32(0),
            start,
            uint64(_endSequence),
            uint32(_endSequence - _startSequence + 1)
        );
    }

    // ------------------------------------------------------------------------------------------------------------
    // Proof views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISetRegistry
    function hasStarkProof(bytes32 _batchId) external view returns (bool hasProof) {
        return _getStorage().starkProofs[_batchId].timestamp != 0;
    }

    /// @inheritdoc ISetRegistry
    function verifyStarkProofHash(bytes32 _batchId, bytes32 _proofHash) external view returns (bool valid) {
        StoredStarkProof storage p = _getStorage().starkProofs[_batchId];
        return p.timestamp != 0 && p.proofHash == _proofHash;
    }

    /// @inheritdoc ISetRegistry
    function getStarkProofDetails(
        bytes32 _batchId
    ) external view returns (bytes32 proofHash, bytes32 policyHash, bool allCompliant, uint64 timestamp) {
        StoredStarkProof storage p = _getStorage().starkProofs[_batchId];
        return (p.proofHash, p.policyHash, p.allCompliant, p.timestamp);
    }

    /// @inheritdoc ISetRegistry
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
        )
    {
        StoredStarkProof storage p = _getStorage().starkProofs[_batchId];
        return (p.proofHash, p.policyHash, p.policyLimit, p.allCompliant, p.proofSize, p.provingTimeMs, p.timestamp);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Inclusion checks
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISetRegistry
    function verifyInclusion(
        bytes32 _batchId,
        bytes32 _leaf,
        bytes32[] calldata _proof,
        uint256 _index
    ) external view returns (bool valid) {
        return _verifyKeccak(_getStorage().commitments[_batchId], _leaf, _proof, _index);
    }

    /// @inheritdoc ISetRegistry
    function verifyMultipleInclusions(
        bytes32 _batchId,
        bytes32[] calldata _leaves,
        bytes32[][] calldata _proofs,
        uint256[] calldata _indices
    ) external view returns (bool allValid) {
        uint256 n = _leaves.length;
        // Unlike the reference, an empty set proves nothing and is not "all valid".
        if (n == 0 || _proofs.length != n || _indices.length != n) return false;
        BatchCommitment storage batch = _getStorage().commitments[_batchId];
        for (uint256 i = 0; i < n; ++i) {
            if (!_verifyKeccak(batch, _leaves[i], _proofs[i], _indices[i])) return false;
        }
        return true;
    }

    /// @inheritdoc ISetRegistry
    function verifyVesInclusion(
        bytes32 _batchId,
        bytes32 _leafHash,
        bytes32[] calldata _proof,
        uint256 _leafIndex
    ) external view returns (bool valid) {
        BatchCommitment storage batch = _getStorage().commitments[_batchId];
        uint256 count = batch.eventCount;
        // 1. The batch must exist (a stored batch has count >= 1) and the index must name one of its events, not a
        //    padding leaf.
        if (_leafIndex >= count) return false;
        // 2. The path must be exactly as long as the padded tree is deep, so an inner node cannot pose as a leaf.
        if (_proof.length != _ceilLog2(count)) return false;
        // 3. Hash up the tree; bit i of the index says whether the node at level i is a right child.
        bytes32 node = _leafHash;
        for (uint256 i = 0; i < _proof.length; ++i) {
            node = (_leafIndex >> i) & 1 == 0 ? _vesNode(node, _proof[i]) : _vesNode(_proof[i], node);
        }
        // 4. Compare with the anchored events root.
        return node == batch.eventsRoot;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Stream and batch reads
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISetRegistry
    function getLatestStateRoot(bytes32 _tenantId, bytes32 _storeId) external view returns (bytes32 stateRoot) {
        SetRegistryStorage storage $ = _getStorage();
        return $.commitments[$.latestCommitment[_streamKey(_tenantId, _storeId)]].newStateRoot;
    }

    /// @inheritdoc ISetRegistry
    function getHeadSequence(bytes32 _tenantId, bytes32 _storeId) external view returns (uint64 sequence) {
        return _headSequence(_getStorage(), _streamKey(_tenantId, _storeId));
    }

    /// @inheritdoc ISetRegistry
    function headSequence(bytes32 _tenantStoreKey) external view returns (uint64 sequence) {
        return _headSequence(_getStorage(), _tenantStoreKey);
    }

    /// @inheritdoc ISetRegistry
    function getLatestBatchId(bytes32 _tenantId, bytes32 _storeId) external view returns (bytes32 batchId) {
        return _getStorage().latestCommitment[_streamKey(_tenantId, _storeId)];
    }

    /// @inheritdoc ISetRegistry
    function latestCommitment(bytes32 _tenantStoreKey) external view returns (bytes32 batchId) {
        return _getStorage().latestCommitment[_tenantStoreKey];
    }

    /// @inheritdoc ISetRegistry
    function getBatchCommitment(bytes32 _batchId) external view returns (BatchCommitment memory commitment) {
        return _getStorage().commitments[_batchId];
    }

    /// @inheritdoc ISetRegistry
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
        )
    {
        BatchCommitment storage c = _getStorage().commitments[_batchId];
        return (c.eventsRoot, c.newStateRoot, c.sequenceStart, c.sequenceEnd, c.eventCount, c.timestamp);
    }

    /// @inheritdoc ISetRegistry
    function getBatchCommitments(
        bytes32[] calldata _batchIds
    ) external view returns (BatchCommitment[] memory commitmentList) {
        SetRegistryStorage storage $ = _getStorage();
        commitmentList = new BatchCommitment[](_batchIds.length);
        for (uint256 i = 0; i < _batchIds.length; ++i) {
            commitmentList[i] = $.commitments[_batchIds[i]];
        }
    }

    /// @inheritdoc ISetRegistry
    function batchExists(bytes32 _batchId) external view returns (bool exists) {
        return _getStorage().commitments[_batchId].timestamp != 0;
    }

    /// @inheritdoc ISetRegistry
    function batchExists(bytes32[] calldata _batchIds) external view returns (bool[] memory exists) {
        SetRegistryStorage storage $ = _getStorage();
        exists = new bool[](_batchIds.length);
        for (uint256 i = 0; i < _batchIds.length; ++i) {
            exists[i] = $.commitments[_batchIds[i]].timestamp != 0;
        }
    }

    /// @inheritdoc ISetRegistry
    function getBatchWithProofStatus(
        bytes32 _batchId
    ) external view returns (BatchCommitment memory commitment, bool hasProof, bool proofCompliant) {
        SetRegistryStorage storage $ = _getStorage();
        StoredStarkProof storage p = $.starkProofs[_batchId];
        return ($.commitments[_batchId], p.timestamp != 0, p.allCompliant);
    }

    /// @inheritdoc ISetRegistry
    function getBatchProofStatuses(
        bytes32[] calldata _batchIds
    ) external view returns (bool[] memory hasProofs, bool[] memory allCompliant) {
        SetRegistryStorage storage $ = _getStorage();
        hasProofs = new bool[](_batchIds.length);
        allCompliant = new bool[](_batchIds.length);
        for (uint256 i = 0; i < _batchIds.length; ++i) {
            StoredStarkProof storage p = $.starkProofs[_batchIds[i]];
            hasProofs[i] = p.timestamp != 0;
            allCompliant[i] = p.allCompliant;
        }
    }

    /// @inheritdoc ISetRegistry
    function getBatchLatestStateRoots(
        bytes32[] calldata _tenantIds,
        bytes32[] calldata _storeIds
    ) external view returns (bytes32[] memory stateRoots) {
        if (_tenantIds.length != _storeIds.length) revert ArrayLengthMismatch();
        SetRegistryStorage storage $ = _getStorage();
        stateRoots = new bytes32[](_tenantIds.length);
        for (uint256 i = 0; i < _tenantIds.length; ++i) {
            stateRoots[i] = $.commitments[$.latestCommitment[_streamKey(_tenantIds[i], _storeIds[i])]].newStateRoot;
        }
    }

    /// @inheritdoc ISetRegistry
    function getBatchHeadSequences(
        bytes32[] calldata _tenantIds,
        bytes32[] calldata _storeIds
    ) external view returns (uint64[] memory sequences) {
        if (_tenantIds.length != _storeIds.length) revert ArrayLengthMismatch();
        SetRegistryStorage storage $ = _getStorage();
        sequences = new uint64[](_tenantIds.length);
        for (uint256 i = 0; i < _tenantIds.length; ++i) {
            sequences[i] = _headSequence($, _streamKey(_tenantIds[i], _storeIds[i]));
        }
    }

    /// @inheritdoc ISetRegistry
    function getTenantStoreSummary(
        bytes32 _tenantId,
        bytes32 _storeId
    )
        external
        view
        returns (bytes32 latestBatchId, bytes32 currentStateRoot, uint64 currentHeadSequence, bool hasLatestProof)
    {
        SetRegistryStorage storage $ = _getStorage();
        latestBatchId = $.latestCommitment[_streamKey(_tenantId, _storeId)];
        BatchCommitment storage c = $.commitments[latestBatchId];
        return (latestBatchId, c.newStateRoot, c.sequenceEnd, $.starkProofs[latestBatchId].timestamp != 0);
    }

    /// @inheritdoc ISetRegistry
    function getBatchRoot(uint256 _startSequence, uint256 _endSequence) external view returns (bytes32 root) {
        SetRegistryStorage storage $ = _getStorage();
        bytes32 latest = $.latestCommitment[_streamKey(bytes32(0), bytes32(0))];
        if (latest == bytes32(0)) return bytes32(0);
        BatchCommitment storage c = $.commitments[latest];
        if (c.sequenceStart != _startSequence || c.sequenceEnd != _endSequence) return bytes32(0);
        return c.eventsRoot;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Registry state
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISetRegistry
    function authorizedSequencers(address _sequencer) external view returns (bool authorized) {
        return _getStorage().authorizedSequencers[_sequencer];
    }

    /// @inheritdoc ISetRegistry
    function areSequencersAuthorized(address[] calldata _addresses) external view returns (bool[] memory authorized) {
        SetRegistryStorage storage $ = _getStorage();
        authorized = new bool[](_addresses.length);
        for (uint256 i = 0; i < _addresses.length; ++i) {
            authorized[i] = $.authorizedSequencers[_addresses[i]];
        }
    }

    /// @inheritdoc ISetRegistry
    function authorizedSequencerCount() external view returns (uint256 count) {
        return _getStorage().counters.authorizedSequencerCount;
    }

    /// @inheritdoc ISetRegistry
    function totalCommitments() external view returns (uint256 count) {
        return _getStorage().counters.totalCommitments;
    }

    /// @inheritdoc ISetRegistry
    function totalStarkProofs() external view returns (uint256 count) {
        return _getStorage().counters.totalStarkProofs;
    }

    /// @inheritdoc ISetRegistry
    function strictModeEnabled() external view returns (bool enabled) {
        return _getStorage().counters.strictModeEnabled;
    }

    /// @inheritdoc ISetRegistry
    function legacyFunctionsEnabled() external view returns (bool enabled) {
        return _getStorage().counters.legacyFunctionsEnabled;
    }

    /// @inheritdoc ISetRegistry
    function getRegistryStats()
        external
        view
        returns (uint256 commitmentCount, uint256 proofCount, bool isPaused, bool isStrictMode)
    {
        Counters memory c = _getStorage().counters;
        return (c.totalCommitments, c.totalStarkProofs, paused(), c.strictModeEnabled);
    }

    /// @inheritdoc ISetRegistry
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
        )
    {
        Counters memory c = _getStorage().counters;
        uint256 coverage =
            c.totalCommitments == 0 ? 10_000 : (uint256(c.totalStarkProofs) * 10_000) / c.totalCommitments;
        return (
            c.totalCommitments,
            c.totalStarkProofs,
            c.authorizedSequencerCount,
            paused(),
            c.strictModeEnabled,
            coverage
        );
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Only the owner may upgrade. Announces the upgrade before OpenZeppelin emits `Upgraded`.
    function _authorizeUpgrade(address newImplementation) internal override onlyOwner {
        emit ContractUpgraded(newImplementation, msg.sender);
    }

    function _getStorage() private pure returns (SetRegistryStorage storage $) {
        // solhint-disable-next-line no-inline-assembly
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    function _requireSequencer(SetRegistryStorage storage $) private view {
        if (!$.authorizedSequencers[msg.sender]) revert NotAuthorizedSequencer();
    }

    function _setSequencer(SetRegistryStorage storage $, address _sequencer, bool _authorized) private {
        if (_sequencer == address(0)) revert InvalidAddress();
        if ($.authorizedSequencers[_sequencer] != _authorized) {
            $.authorizedSequencers[_sequencer] = _authorized;
            if (_authorized) {
                ++$.counters.authorizedSequencerCount;
            } else {
                --$.counters.authorizedSequencerCount;
            }
        }
        emit SequencerAuthorized(_sequencer, _authorized);
    }

    /// @dev Validates and stores a batch, in the reference's check order with the added checks slotted in.
    function _commitBatch(
        SetRegistryStorage storage $,
        bytes32 _batchId,
        bytes32 _tenantId,
        bytes32 _storeId,
        bytes32 _eventsRoot,
        bytes32 _prevStateRoot,
        bytes32 _newStateRoot,
        uint64 _sequenceStart,
        uint64 _sequenceEnd,
        uint32 _eventCount
    ) private {
        // 1. Range and count. The size is computed in uint256, so start 0 / end 2^64-1 cannot wrap to 0.
        if (_sequenceEnd < _sequenceStart) revert InvalidSequenceRange();
        uint256 size = uint256(_sequenceEnd) - _sequenceStart + 1;
        if (size != _eventCount) {
            revert InvalidEventCount(size > type(uint64).max ? type(uint64).max : uint64(size), _eventCount);
        }
        // 2. Non-zero roots and id: zero is the "absent" value of every lookup.
        if (_eventsRoot == bytes32(0)) revert EmptyEventsRoot();
        if (_batchId == bytes32(0)) revert InvalidBatchId();
        if (_newStateRoot == bytes32(0)) revert EmptyStateRoot();
        if ($.commitments[_batchId].timestamp != 0) revert BatchAlreadyCommitted();

        // 3. Strict mode: the stream's chain continues from its latest batch (the first batch is unconstrained).
        bytes32 key = _streamKey(_tenantId, _storeId);
        if ($.counters.strictModeEnabled) {
            bytes32 latest = $.latestCommitment[key];
            if (latest != bytes32(0)) {
                BatchCommitment storage last = $.commitments[latest];
                bytes32 lastRoot = last.newStateRoot;
                if (lastRoot != _prevStateRoot) revert StateRootMismatch(lastRoot, _prevStateRoot);
                _checkContinuity(last.sequenceEnd, _sequenceStart);
            }
        }

        // 4. Store, link, count, announce.
        _storeBatch(
            $,
            _batchId,
            key,
            _tenantId,
            _storeId,
            _eventsRoot,
            _prevStateRoot,
            _newStateRoot,
            _sequenceStart,
            _sequenceEnd,
            _eventCount
        );
    }

    function _checkContinuity(uint64 _lastEnd, uint64 _start) private pure {
        // A stream whose last batch ended at 2^64-1 cannot continue; `expected` then wraps to 0 in the error only.
        unchecked {
            uint64 expected = _lastEnd + 1;
            if (_lastEnd == type(uint64).max || expected != _start) revert SequenceGap(expected, _start);
        }
    }

    function _storeBatch(
        SetRegistryStorage storage $,
        bytes32 _batchId,
        bytes32 _key,
        bytes32 _tenantId,
        bytes32 _storeId,
        bytes32 _eventsRoot,
        bytes32 _prevStateRoot,
        bytes32 _newStateRoot,
        uint64 _sequenceStart,
        uint64 _sequenceEnd,
        uint32 _eventCount
    ) private {
        $.commitments[_batchId] = BatchCommitment({
            eventsRoot: _eventsRoot,
            newStateRoot: _newStateRoot,
            sequenceStart: _sequenceStart,
            sequenceEnd: _sequenceEnd,
            eventCount: _eventCount,
            timestamp: uint64(block.timestamp)
        });
        $.latestCommitment[_key] = _batchId;
        ++$.counters.totalCommitments;
        emit BatchCommitted(_batchId, _key, _eventsRoot, _newStateRoot, _sequenceStart, _sequenceEnd, _eventCount);
        emit BatchStreamLinked(_batchId, _tenantId, _storeId, _prevStateRoot);
    }

    function _storeProof(
        SetRegistryStorage storage $,
        bytes32 _batchId,
        bytes32 _proofHash,
        bytes32 _policyHash,
        uint64 _policyLimit,
        bool _allCompliant,
        uint64 _proofSize,
        uint64 _provingTimeMs
    ) private {
        if (_proofHash == bytes32(0) || _proofSize == 0) revert InvalidProof();
        $.starkProofs[_batchId] = StoredStarkProof({
            proofHash: _proofHash,
            policyHash: _policyHash,
            policyLimit: _policyLimit,
            proofSize: _proofSize,
            provingTimeMs: _provingTimeMs,
            timestamp: uint40(block.timestamp),
            allCompliant: _allCompliant
        });
        ++$.counters.totalStarkProofs;
        emit StarkProofCommitted(_batchId, _proofHash, _policyHash, _allCompliant, _proofSize);
    }

    function _headSequence(SetRegistryStorage storage $, bytes32 _key) private view returns (uint64) {
        return $.commitments[$.latestCommitment[_key]].sequenceEnd;
    }

    /// @dev Index bound by both the proof length (no high bits ignored) and the event count, then the reference's
    /// positional keccak256 rule.
    function _verifyKeccak(
        BatchCommitment storage _batch,
        bytes32 _leaf,
        bytes32[] calldata _proof,
        uint256 _index
    ) private view returns (bool) {
        if (_index >= _batch.eventCount) return false;
        if (_proof.length < 256 && (_index >> _proof.length) != 0) return false;
        bytes32 node = _leaf;
        for (uint256 i = 0; i < _proof.length; ++i) {
            node = (_index >> i) & 1 == 0 ? _keccakPair(node, _proof[i]) : _keccakPair(_proof[i], node);
        }
        return node == _batch.eventsRoot;
    }

    function _streamKey(bytes32 _tenantId, bytes32 _storeId) private pure returns (bytes32 key) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, _tenantId)
            mstore(0x20, _storeId)
            key := keccak256(0x00, 0x40)
        }
    }

    function _keccakPair(bytes32 _left, bytes32 _right) private pure returns (bytes32 h) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, _left)
            mstore(0x20, _right)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @dev `sha256("VES_NODE_V1" ‖ left ‖ right)`, a 75-byte preimage, through the SHA-256 precompile.
    function _vesNode(bytes32 _left, bytes32 _right) private view returns (bytes32 h) {
        bytes32 prefix = _VES_NODE_PREFIX;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Build the preimage past the free memory pointer; it is never read after this block.
            let ptr := mload(0x40)
            mstore(ptr, prefix)
            mstore(add(ptr, 11), _left)
            mstore(add(ptr, 43), _right)
            if iszero(staticcall(gas(), 0x02, ptr, 75, 0x00, 0x20)) {
                revert(0, 0)
            }
            h := mload(0x00)
        }
    }

    /// @dev ceil(log2(n)) for n >= 1: the depth of the tree padded to the next power of two.
    function _ceilLog2(uint256 n) private pure returns (uint256 depth) {
        while ((uint256(1) << depth) < n) ++depth;
    }
}
