// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {RegistryGovernance} from "./RegistryGovernance.sol";

/**
 * @title IdentityRegistry
 * @notice Organisations (by GS1 GLN or 18-character unified social credit code, as ASCII left-aligned in a bytes32),
 * their business roles, their status, and their Ed25519 event-signing keys with the block times the keys became
 * valid and were revoked, so that "was this key valid at time T" is answerable on chain.
 *
 * Business roles are a bit set: 1 manufacturer, 2 supplier, 4 logistics, 8 retailer.
 */
abstract contract IdentityRegistry is RegistryGovernance {
    /// @notice Every business role bit.
    uint8 public constant ALL_ROLES = 0x0f;

    struct Organisation {
        bytes32 profileHash;
        uint64 registeredAt;
        uint64 updatedAt;
        uint8 roles;
        bool suspended;
    }

    struct SigningKey {
        bytes32 orgId;
        uint64 validFrom;
        uint64 revokedAt;
    }

    mapping(bytes32 orgId => Organisation) private _organisations;
    mapping(bytes32 key => SigningKey) private _keys;
    mapping(bytes32 orgId => bytes32[]) private _organisationKeys;

    /// @dev The zero id is not an organisation id.
    error RegistryInvalidOrganisationId(bytes32 orgId);
    /// @dev `orgId` is already registered.
    error RegistryOrganisationExists(bytes32 orgId);
    /// @dev `orgId` is not registered.
    error RegistryUnknownOrganisation(bytes32 orgId);
    /// @dev `roles` is empty or has bits outside {ALL_ROLES}.
    error RegistryInvalidRoles(uint8 roles);
    /// @dev `orgId` is already suspended.
    error RegistryOrganisationSuspended(bytes32 orgId);
    /// @dev `orgId` is not suspended.
    error RegistryOrganisationNotSuspended(bytes32 orgId);
    /// @dev The zero key is not an Ed25519 public key.
    error RegistryInvalidKey(bytes32 key);
    /// @dev `key` is already registered to `orgId` (keys are never reused, not even after revocation).
    error RegistryKeyAlreadyRegistered(bytes32 key, bytes32 orgId);
    /// @dev `key` is not registered.
    error RegistryUnknownKey(bytes32 key);
    /// @dev `key` was revoked at `revokedAt`.
    error RegistryKeyAlreadyRevoked(bytes32 key, uint64 revokedAt);

    /// @dev Emitted when the regulator registers `orgId` with `roles`, its profile document's hash and URI.
    event OrganisationRegistered(
        bytes32 indexed orgId, uint8 roles, bytes32 profileHash, string profileURI, uint64 timestamp
    );
    /// @dev Emitted when the regulator changes the roles or the profile of `orgId`.
    event OrganisationUpdated(
        bytes32 indexed orgId, uint8 roles, bytes32 profileHash, string profileURI, uint64 timestamp
    );
    /// @dev Emitted when the regulator suspends `orgId`.
    event OrganisationSuspended(bytes32 indexed orgId, uint16 reason, uint64 timestamp);
    /// @dev Emitted when the regulator lifts the suspension of `orgId`.
    event OrganisationReinstated(bytes32 indexed orgId, uint16 reason, uint64 timestamp);
    /// @dev Emitted when `key` becomes a valid event-signing key of `orgId` from `validFrom`.
    event KeyAdded(bytes32 indexed orgId, bytes32 indexed key, uint64 validFrom);
    /// @dev Emitted when `key` of `orgId` stops being valid at `revokedAt`.
    event KeyRevoked(bytes32 indexed orgId, bytes32 indexed key, uint16 reason, uint64 revokedAt);

    constructor(address regulator) RegistryGovernance(regulator) {}

    /**
     * @notice Registers the organisation `orgId`.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `orgId` is non-zero and not registered;
     * - `roles` is a non-empty subset of {ALL_ROLES}.
     *
     * Emits an {OrganisationRegistered} event.
     * @param orgId GLN (13 digits) or unified social credit code (18 characters), ASCII, left-aligned.
     * @param roles business roles bit set (1 manufacturer, 2 supplier, 4 logistics, 8 retailer).
     * @param profileHash keccak256 of the organisation's profile document (display name, address, ...).
     * @param profileURI where the profile document can be fetched (may be empty).
     */
    function registerOrganisation(bytes32 orgId, uint8 roles, bytes32 profileHash, string calldata profileURI)
        external
        onlyRole(REGULATOR_ROLE)
    {
        if (orgId == bytes32(0)) revert RegistryInvalidOrganisationId(orgId);
        if (_organisations[orgId].registeredAt != 0) revert RegistryOrganisationExists(orgId);
        _checkRoles(roles);
        uint64 timestamp = uint64(block.timestamp);
        _organisations[orgId] =
            Organisation({profileHash: profileHash, registeredAt: timestamp, updatedAt: timestamp, roles: roles, suspended: false});
        emit OrganisationRegistered(orgId, roles, profileHash, profileURI, timestamp);
    }

    /**
     * @notice Changes the business roles and the profile of `orgId`.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `orgId` is registered; `roles` is a non-empty subset of {ALL_ROLES}.
     *
     * Emits an {OrganisationUpdated} event, unless nothing changed.
     * @return changed whether anything changed.
     */
    function updateOrganisation(bytes32 orgId, uint8 roles, bytes32 profileHash, string calldata profileURI)
        external
        onlyRole(REGULATOR_ROLE)
        returns (bool changed)
    {
        Organisation storage org = _existingOrganisation(orgId);
        _checkRoles(roles);
        if (org.roles == roles && org.profileHash == profileHash) return false;
        org.roles = roles;
        org.profileHash = profileHash;
        org.updatedAt = uint64(block.timestamp);
        emit OrganisationUpdated(orgId, roles, profileHash, profileURI, uint64(block.timestamp));
        return true;
    }

    /**
     * @notice Suspends `orgId`: the platform refuses its new events while it is suspended.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `orgId` is registered and active; `reason` is non-zero.
     *
     * Emits an {OrganisationSuspended} event.
     */
    function suspendOrganisation(bytes32 orgId, uint16 reason) external onlyRole(REGULATOR_ROLE) {
        Organisation storage org = _existingOrganisation(orgId);
        _requireReason(reason);
        if (org.suspended) revert RegistryOrganisationSuspended(orgId);
        org.suspended = true;
        org.updatedAt = uint64(block.timestamp);
        emit OrganisationSuspended(orgId, reason, uint64(block.timestamp));
    }

    /**
     * @notice Lifts the suspension of `orgId`.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `orgId` is registered and suspended; `reason` is non-zero.
     *
     * Emits an {OrganisationReinstated} event.
     */
    function reinstateOrganisation(bytes32 orgId, uint16 reason) external onlyRole(REGULATOR_ROLE) {
        Organisation storage org = _existingOrganisation(orgId);
        _requireReason(reason);
        if (!org.suspended) revert RegistryOrganisationNotSuspended(orgId);
        org.suspended = false;
        org.updatedAt = uint64(block.timestamp);
        emit OrganisationReinstated(orgId, reason, uint64(block.timestamp));
    }

    /**
     * @notice Adds the Ed25519 public key `key` as an event-signing key of `orgId`, valid from now.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `orgId` is registered; `key` is non-zero and was never registered.
     *
     * Emits a {KeyAdded} event.
     */
    function addKey(bytes32 orgId, bytes32 key) external onlyRole(REGULATOR_ROLE) {
        _existingOrganisation(orgId);
        _addKey(orgId, key);
    }

    /**
     * @notice Revokes the event-signing key `key` from now on; events signed before stay valid.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `key` is registered and not revoked; `reason` is non-zero.
     *
     * Emits a {KeyRevoked} event.
     */
    function revokeKey(bytes32 key, uint16 reason) external onlyRole(REGULATOR_ROLE) {
        _requireReason(reason);
        _revokeKey(key, reason);
    }

    /**
     * @notice Replaces `oldKey` by `newKey` for the same organisation in one transaction.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `oldKey` is registered and not revoked; `newKey` is non-zero and was never registered; `reason` is non-zero.
     *
     * Emits a {KeyRevoked} and a {KeyAdded} event.
     */
    function rotateKey(bytes32 oldKey, bytes32 newKey, uint16 reason) external onlyRole(REGULATOR_ROLE) {
        _requireReason(reason);
        bytes32 orgId = _revokeKey(oldKey, reason);
        _addKey(orgId, newKey);
    }

    /**
     * @notice The organisation `orgId` (reverts with {RegistryUnknownOrganisation} when not registered).
     */
    function organisation(bytes32 orgId) external view returns (Organisation memory) {
        Organisation memory org = _organisations[orgId];
        if (org.registeredAt == 0) revert RegistryUnknownOrganisation(orgId);
        return org;
    }

    /**
     * @notice Whether `orgId` is registered.
     */
    function isRegistered(bytes32 orgId) public view returns (bool) {
        return _organisations[orgId].registeredAt != 0;
    }

    /**
     * @notice The key `key` (reverts with {RegistryUnknownKey} when not registered).
     * @return orgId owner, validFrom block time it became valid, revokedAt block time it was revoked (0 if not).
     */
    function keyInfo(bytes32 key) external view returns (bytes32 orgId, uint64 validFrom, uint64 revokedAt) {
        SigningKey memory k = _keys[key];
        if (k.validFrom == 0) revert RegistryUnknownKey(key);
        return (k.orgId, k.validFrom, k.revokedAt);
    }

    /**
     * @notice Every key ever registered for `orgId`, in the order they were added.
     */
    function keysOf(bytes32 orgId) external view returns (bytes32[] memory) {
        return _organisationKeys[orgId];
    }

    /**
     * @notice Whether `key` was a valid signing key of `orgId` at time `timestamp` (validFrom <= timestamp < revokedAt).
     */
    function isKeyValidAt(bytes32 key, bytes32 orgId, uint64 timestamp) external view returns (bool) {
        SigningKey memory k = _keys[key];
        return k.validFrom != 0 && k.orgId == orgId && k.validFrom <= timestamp && (k.revokedAt == 0 || timestamp < k.revokedAt);
    }

    function _existingOrganisation(bytes32 orgId) internal view returns (Organisation storage org) {
        org = _organisations[orgId];
        if (org.registeredAt == 0) revert RegistryUnknownOrganisation(orgId);
    }

    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~ALL_ROLES != 0) revert RegistryInvalidRoles(roles);
    }

    function _addKey(bytes32 orgId, bytes32 key) private {
        if (key == bytes32(0)) revert RegistryInvalidKey(key);
        SigningKey storage k = _keys[key];
        if (k.validFrom != 0) revert RegistryKeyAlreadyRegistered(key, k.orgId);
        uint64 timestamp = uint64(block.timestamp);
        k.orgId = orgId;
        k.validFrom = timestamp;
        _organisationKeys[orgId].push(key);
        emit KeyAdded(orgId, key, timestamp);
    }

    function _revokeKey(bytes32 key, uint16 reason) private returns (bytes32 orgId) {
        SigningKey storage k = _keys[key];
        if (k.validFrom == 0) revert RegistryUnknownKey(key);
        if (k.revokedAt != 0) revert RegistryKeyAlreadyRevoked(key, k.revokedAt);
        uint64 timestamp = uint64(block.timestamp);
        k.revokedAt = timestamp;
        emit KeyRevoked(k.orgId, key, reason, timestamp);
        return k.orgId;
    }
}
