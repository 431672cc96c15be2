// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {PrefixRegistry} from "./PrefixRegistry.sol";

/**
 * @title TraceRegistry
 * @notice The on-chain source of truth of the green supply-chain traceability platform: who may do what
 * (organisations, their Ed25519 event-signing keys, their business roles), green recognitions (issued, spot-checked,
 * suspended, reinstated, revoked by authorities from their own accounts), who holds which GS1 Company Prefix and who
 * may make whose GTINs (assigned, transferred, revoked and delegated by GS1 registrars) and when data existed (anchored
 * Merkle roots with their block times).
 *
 * Every state change emits an event, so the whole state can be rebuilt from the logs alone.
 *
 * @dev Anchored batches use OpenZeppelin's StandardMerkleTree format with leaf encoding `bytes32`:
 * leaf = keccak256(bytes.concat(keccak256(abi.encode(eventHash)))), nodes = keccak256 of the sorted pair.
 */
contract TraceRegistry is PrefixRegistry {
    /// @notice The platform's anchoring accounts.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @dev One anchored root, packed in one storage slot.
    struct Anchor {
        uint64 sequence;
        uint64 anchoredAt;
        uint64 blockNumber;
        uint32 leafCount;
    }

    mapping(bytes32 root => Anchor) private _anchors;
    uint64 private _anchorCount;

    /// @dev `root` was already anchored with sequence number `sequence`.
    error RegistryRootAlreadyAnchored(bytes32 root, uint64 sequence);

    /// @dev A root must be non-zero and cover at least one leaf.
    error RegistryEmptyBatch(bytes32 root, uint32 leafCount);

    /// @dev `root` has never been anchored.
    error RegistryUnknownRoot(bytes32 root);

    /**
     * @dev Emitted when `anchorer` anchors the Merkle `root` of a batch of `leafCount` Event Hash IDs, as the
     * `sequence`-th anchor, at `anchoredAt` (the block time).
     */
    event RootAnchored(
        bytes32 indexed root, uint64 indexed sequence, address indexed anchorer, uint32 leafCount, uint64 anchoredAt
    );

    /**
     * @param regulator the account that governs the registry (admin of every role).
     */
    constructor(address regulator) PrefixRegistry(regulator) {
        _setRoleAdmin(ANCHORER_ROLE, REGULATOR_ROLE);
    }

    /**
     * @notice Anchors the Merkle root of a batch of Event Hash IDs.
     * @dev Requirements:
     * - the caller has `ANCHORER_ROLE`;
     * - `root` is non-zero and `leafCount` is positive;
     * - `root` was never anchored before.
     *
     * Emits a {RootAnchored} event.
     * @param root the StandardMerkleTree root of the batch.
     * @param leafCount how many Event Hash IDs the batch holds.
     * @return sequence the running sequence number given to this root (1 for the first).
     */
    function anchorRoot(bytes32 root, uint32 leafCount) external onlyRole(ANCHORER_ROLE) returns (uint64 sequence) {
        if (root == bytes32(0) || leafCount == 0) revert RegistryEmptyBatch(root, leafCount);
        Anchor storage existing = _anchors[root];
        if (existing.sequence != 0) revert RegistryRootAlreadyAnchored(root, existing.sequence);
        sequence = ++_anchorCount;
        uint64 timestamp = uint64(block.timestamp);
        _anchors[root] = Anchor({
            sequence: sequence, anchoredAt: timestamp, blockNumber: uint64(block.number), leafCount: leafCount
        });
        emit RootAnchored(root, sequence, msg.sender, leafCount, timestamp);
    }

    /**
     * @notice The anchor of `root`.
     * @dev Requirements: `root` was anchored (else reverts with {RegistryUnknownRoot}).
     * @return sequence running sequence number, anchoredAt block time, blockNumber block, leafCount batch size.
     */
    function anchorOf(bytes32 root)
        external
        view
        returns (uint64 sequence, uint64 anchoredAt, uint64 blockNumber, uint32 leafCount)
    {
        Anchor memory a = _anchors[root];
        if (a.sequence == 0) revert RegistryUnknownRoot(root);
        return (a.sequence, a.anchoredAt, a.blockNumber, a.leafCount);
    }

    /**
     * @notice Whether `root` has been anchored.
     */
    function isAnchored(bytes32 root) external view returns (bool) {
        return _anchors[root].sequence != 0;
    }

    /**
     * @notice How many roots have been anchored so far (the last sequence number).
     */
    function anchorCount() external view returns (uint64) {
        return _anchorCount;
    }

    /**
     * @notice Checks that the Event Hash ID `eventHash` is a leaf of the anchored batch `root`.
     * @dev Returns false, without reverting, when `root` is not anchored or the proof does not lead to it.
     * @param root an anchored StandardMerkleTree root.
     * @param proof the sibling hashes from the leaf up to the root.
     * @param eventHash the 32-byte SHA-256 digest of the Event Hash ID.
     */
    function verifyEvent(bytes32 root, bytes32[] calldata proof, bytes32 eventHash) external view returns (bool) {
        if (_anchors[root].sequence == 0) return false;
        return MerkleProof.verifyCalldata(proof, root, _leaf(eventHash));
    }

    /**
     * @notice Checks that all of `eventHashes` are leaves of the anchored batch `root`, with one multiproof.
     * @dev Returns false when `root` is not anchored or the multiproof does not lead to it. Reverts with
     * OpenZeppelin's `MerkleProofInvalidMultiproof` when the proof's shape is inconsistent.
     */
    function verifyEvents(
        bytes32 root,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        bytes32[] calldata eventHashes
    ) external view returns (bool) {
        if (_anchors[root].sequence == 0) return false;
        bytes32[] memory leaves = new bytes32[](eventHashes.length);
        for (uint256 i = 0; i < eventHashes.length; ++i) {
            leaves[i] = _leaf(eventHashes[i]);
        }
        return MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves);
    }

    function _leaf(bytes32 eventHash) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(eventHash))));
    }
}
