// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {RecognitionRegistry} from "./RecognitionRegistry.sol";

/**
 * @title PrefixRegistry
 * @notice GS1 Company Prefixes (厂商识别代码) held by registered organisations, and the GTINs their holders delegate to
 * contract manufacturers (代工, OEM), each with block times, so that "who owned GTIN g at time T, and who could make
 * it for them" is answerable on chain.
 *
 * A GS1 registrar (in China the Article Numbering Center, 中国物品编码中心, or a branch) holds `GS1_REGISTRAR_ROLE`,
 * which the regulator grants with {registerRegistrar}. From its own account it assigns a prefix to an organisation,
 * transfers it to another and renews its licence (history kept: the old holding ends when the new one starts), and
 * revokes it. It also files the delegations a holder asks for: organisations sign with Ed25519 keys and have no
 * Ethereum account, and the registrar already vouches for who holds which numbers, so it records each delegation on
 * the holder's signed request, whose SHA-256 goes on chain (`requestHash`) for anyone to check against the holder's
 * keys.
 *
 * A prefix is 4 to 12 decimal digits, given as its value and its length (`0690` is value 690, length 4). It is stored
 * under the key `10**length + value` (the digits with a leading 1), which is unique for every (value, length).
 *
 * No two live prefixes overlap: none is a prefix of another, in either direction. A holding is live from its
 * assignment until it is revoked (a transfer passes it on, live); an expired holding (past `validUntil`) stops
 * owning GTINs but keeps its numbers reserved until the registrar revokes it. The check costs at most 9 storage
 * reads: the prefix itself, each of its shorter prefixes (lengths 4 to length-1), and a per-prefix counter of live
 * longer prefixes extending it, which assignment and revocation keep up to date (at most 8 counter writes).
 *
 * A GTIN-14 (as an integer below 10**14) belongs, at time T, to the holder of the prefix found among its digits 2 to
 * 13 (after the indicator digit) that was held and valid at T: at most one is, since live prefixes never overlap.
 * GTIN-13, -12 and -8 are read as GTIN-14s (zeros on the left): a U.P.C. Company Prefix is held with its leading 0
 * (as GS1 writes it), and a GTIN-8 through the 12-digit prefix `00000` + its first seven digits.
 * A delegation covers a range of item references of one prefix (every indicator digit), from `validFrom` to
 * `validUntil` (0: until revoked); it counts only while the organisation that filed it still owns the GTIN.
 */
abstract contract PrefixRegistry is RecognitionRegistry {
    /// @notice GS1 registrars: assign, transfer and revoke company prefixes, file GTIN delegations.
    bytes32 public constant GS1_REGISTRAR_ROLE = keccak256("GS1_REGISTRAR_ROLE");

    uint8 private constant _MIN_PREFIX_LENGTH = 4;
    uint8 private constant _MAX_PREFIX_LENGTH = 12;

    /// @dev One organisation's holding of a prefix: `[validFrom, min(endedAt, validUntil))`, 0 meaning open.
    struct PrefixHolding {
        bytes32 orgId;
        uint64 validFrom;
        uint64 validUntil;
        uint64 endedAt;
    }

    /// @dev The GTINs `prefix` (of `length` digits) + item references `firstItem`..`lastItem` (any indicator digit),
    /// delegated by `owner` to `delegate` for `[validFrom, validUntil)` (0: open) until `revokedAt` (0: not revoked).
    struct Delegation {
        bytes32 owner;
        bytes32 delegate;
        uint64 prefix;
        uint8 length;
        uint64 firstItem;
        uint64 lastItem;
        uint64 validFrom;
        uint64 validUntil;
        uint64 revokedAt;
        bytes32 requestHash;
    }

    mapping(uint64 prefixKey => PrefixHolding[]) private _holdings;
    mapping(uint64 prefixKey => uint32) private _liveExtensions;
    uint256 private _delegationCount;
    mapping(uint256 id => Delegation) private _delegations;
    mapping(bytes32 prefixAndDelegate => uint256[]) private _delegationsByPrefix;

    /// @dev `account` is not a GS1 registrar.
    error RegistryUnknownRegistrar(address account);
    /// @dev A prefix is 4 to 12 digits: `prefix` must be below 10**`length`.
    error RegistryInvalidPrefix(uint64 prefix, uint8 length);
    /// @dev The prefix is already held by `holder`.
    error RegistryPrefixTaken(uint64 prefix, uint8 length, bytes32 holder);
    /// @dev The live prefix `otherPrefix` (of `otherLength` digits) is a prefix of the new one.
    error RegistryPrefixOverlap(uint64 prefix, uint8 length, uint64 otherPrefix, uint8 otherLength);
    /// @dev `liveExtensions` live prefixes are longer than the new one and start with it.
    error RegistryPrefixExtended(uint64 prefix, uint8 length, uint32 liveExtensions);
    /// @dev The prefix is not held by anyone now.
    error RegistryPrefixNotHeld(uint64 prefix, uint8 length);
    /// @dev The prefix is already held by `orgId`.
    error RegistryPrefixSameHolder(uint64 prefix, uint8 length, bytes32 orgId);
    /// @dev `gtin` is not a GTIN-14 (14 digits at most, with its check digit).
    error RegistryInvalidGtin(uint64 gtin);
    /// @dev No prefix held and valid now covers `gtin`.
    error RegistryGtinNotOwned(uint64 gtin);
    /// @dev `firstGtin` and `lastGtin` are not an ascending range of one prefix.
    error RegistryInvalidGtinRange(uint64 firstGtin, uint64 lastGtin);
    /// @dev `delegate` owns the GTINs already.
    error RegistryInvalidDelegate(bytes32 delegate);
    /// @dev The hash of the owner's signed request is required.
    error RegistryMissingRequest();
    /// @dev No delegation has id `id`.
    error RegistryUnknownDelegation(uint256 id);
    /// @dev Delegation `id` was revoked at `revokedAt`.
    error RegistryDelegationAlreadyRevoked(uint256 id, uint64 revokedAt);

    /// @dev Emitted when `registrar` assigns `prefix` (of `length` digits) to `orgId` for `[validFrom, validUntil)`.
    event PrefixAssigned(
        uint64 indexed prefix, uint8 length, bytes32 indexed orgId, address indexed registrar, uint64 validFrom, uint64 validUntil
    );
    /// @dev Emitted when `registrar` transfers `prefix` from `from` to `to` at `timestamp` (same `validUntil`).
    event PrefixTransferred(
        uint64 indexed prefix, uint8 length, bytes32 indexed from, bytes32 indexed to, address registrar, uint64 timestamp
    );
    /// @dev Emitted when `registrar` renews the licence of `orgId` to `prefix` until `validUntil`, from `timestamp`.
    event PrefixRenewed(
        uint64 indexed prefix, uint8 length, bytes32 indexed orgId, address indexed registrar, uint64 validUntil, uint64 timestamp
    );
    /// @dev Emitted when `registrar` revokes `prefix` of `orgId` at `timestamp`.
    event PrefixRevoked(
        uint64 indexed prefix, uint8 length, bytes32 indexed orgId, address indexed registrar, uint16 reason, uint64 timestamp
    );
    /// @dev Emitted when `registrar` files delegation `id` of `owner` to `delegate`.
    event GtinsDelegated(
        uint256 indexed id, bytes32 indexed owner, bytes32 indexed delegate, Delegation delegation, address registrar
    );
    /// @dev Emitted when `registrar` revokes delegation `id` of `owner` to `delegate` at `timestamp`.
    event DelegationRevoked(
        uint256 indexed id, bytes32 indexed owner, bytes32 indexed delegate, address registrar, uint16 reason, uint64 timestamp
    );

    constructor(address regulator) RecognitionRegistry(regulator) {
        _setRoleAdmin(GS1_REGISTRAR_ROLE, REGULATOR_ROLE);
    }

    /**
     * @notice Makes `registrar` a GS1 registrar.
     * @dev Requirements: the caller has `REGULATOR_ROLE`.
     *
     * Emits a {RoleGranted} event, unless `registrar` already is one.
     */
    function registerRegistrar(address registrar) external onlyRole(REGULATOR_ROLE) {
        _grantRole(GS1_REGISTRAR_ROLE, registrar);
    }

    /**
     * @notice Removes the GS1 registrar `registrar`; what it recorded stays.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `registrar` is a GS1 registrar.
     *
     * Emits a {RoleRevoked} event.
     */
    function removeRegistrar(address registrar) external onlyRole(REGULATOR_ROLE) {
        if (!_revokeRole(GS1_REGISTRAR_ROLE, registrar)) revert RegistryUnknownRegistrar(registrar);
    }

    /**
     * @notice Assigns the GS1 Company Prefix `prefix` of `length` digits to `orgId`, from now until `validUntil`.
     * @dev Requirements:
     * - the caller has `GS1_REGISTRAR_ROLE`;
     * - `length` is 4..12 and `prefix` < 10**`length`;
     * - `orgId` is registered; `validUntil` is 0 (open) or later than now;
     * - no live prefix is the same, a prefix of this one, or starts with this one.
     *
     * Emits a {PrefixAssigned} event.
     */
    function assignPrefix(uint64 prefix, uint8 length, bytes32 orgId, uint64 validUntil)
        external
        onlyRole(GS1_REGISTRAR_ROLE)
    {
        uint64 key = _prefixKey(prefix, length);
        _existingOrganisation(orgId);
        uint64 timestamp = uint64(block.timestamp);
        if (validUntil != 0 && validUntil <= timestamp) revert RegistryInvalidValidity(timestamp, validUntil);
        PrefixHolding[] storage holdings = _holdings[key];
        uint256 count = holdings.length;
        if (count != 0 && holdings[count - 1].endedAt == 0) {
            revert RegistryPrefixTaken(prefix, length, holdings[count - 1].orgId);
        }
        uint32 extensions = _liveExtensions[key];
        if (extensions != 0) revert RegistryPrefixExtended(prefix, length, extensions);
        for (uint8 l = _MIN_PREFIX_LENGTH; l < length; ++l) {
            uint64 shorter = prefix / _pow10(length - l);
            if (_isLive(_key(shorter, l))) revert RegistryPrefixOverlap(prefix, length, shorter, l);
        }
        _countExtension(prefix, length, true);
        holdings.push(PrefixHolding({orgId: orgId, validFrom: timestamp, validUntil: validUntil, endedAt: 0}));
        emit PrefixAssigned(prefix, length, orgId, msg.sender, timestamp, validUntil);
    }

    /**
     * @notice Transfers the live prefix `prefix` of `length` digits to `to` (e.g. after a merger): the current
     * holding ends now and `to`'s starts now, with the same `validUntil`.
     * @dev Requirements:
     * - the caller has `GS1_REGISTRAR_ROLE`;
     * - the prefix is live and not expired; `to` is registered and is not its holder.
     *
     * Emits a {PrefixTransferred} event.
     */
    function transferPrefix(uint64 prefix, uint8 length, bytes32 to) external onlyRole(GS1_REGISTRAR_ROLE) {
        PrefixHolding storage current = _liveHolding(prefix, length);
        _existingOrganisation(to);
        bytes32 from = current.orgId;
        if (from == to) revert RegistryPrefixSameHolder(prefix, length, to);
        uint64 validUntil = current.validUntil;
        if (validUntil != 0 && validUntil <= block.timestamp) revert RegistryInvalidValidity(current.validFrom, validUntil);
        _succeed(current, prefix, length, to, validUntil);
        emit PrefixTransferred(prefix, length, from, to, msg.sender, uint64(block.timestamp));
    }

    /**
     * @notice Renews the licence of the live prefix `prefix` of `length` digits until `validUntil` (0: open): the
     * current holding ends now and a new one of the same organisation starts now, so a lapse stays in the history.
     * @dev Requirements:
     * - the caller has `GS1_REGISTRAR_ROLE`;
     * - the prefix is live (it may have expired); `validUntil` is 0 or later than now.
     *
     * Emits a {PrefixRenewed} event.
     */
    function renewPrefix(uint64 prefix, uint8 length, uint64 validUntil) external onlyRole(GS1_REGISTRAR_ROLE) {
        PrefixHolding storage current = _liveHolding(prefix, length);
        if (validUntil != 0 && validUntil <= block.timestamp) {
            revert RegistryInvalidValidity(uint64(block.timestamp), validUntil);
        }
        bytes32 orgId = current.orgId;
        _succeed(current, prefix, length, orgId, validUntil);
        emit PrefixRenewed(prefix, length, orgId, msg.sender, validUntil, uint64(block.timestamp));
    }

    /**
     * @notice Revokes the live prefix `prefix` of `length` digits from now on; its numbers may be assigned again.
     * @dev Requirements:
     * - the caller has `GS1_REGISTRAR_ROLE`;
     * - the prefix is live; `reason` is non-zero.
     *
     * Emits a {PrefixRevoked} event.
     */
    function revokePrefix(uint64 prefix, uint8 length, uint16 reason) external onlyRole(GS1_REGISTRAR_ROLE) {
        _requireReason(reason);
        PrefixHolding storage current = _liveHolding(prefix, length);
        uint64 timestamp = uint64(block.timestamp);
        current.endedAt = timestamp;
        _countExtension(prefix, length, false);
        emit PrefixRevoked(prefix, length, current.orgId, msg.sender, reason, timestamp);
    }

    /**
     * @notice Files the delegation, by the owner of the GTINs `firstGtin`..`lastGtin` (one prefix, item references
     * ascending, any indicator digit), of those GTINs to the contract manufacturer `delegate`, on the owner's signed
     * request whose SHA-256 is `requestHash`.
     * @dev Requirements:
     * - the caller has `GS1_REGISTRAR_ROLE`;
     * - both GTINs are GTIN-14s (check digit included) under the same prefix, held and valid now; the first's item
     *   reference is not above the last's;
     * - `delegate` is registered and is not the owner; `requestHash` is non-zero;
     * - `validFrom` is 0 (now) or not before now; `validUntil` is 0 (until revoked) or after the start.
     *
     * Emits a {GtinsDelegated} event.
     * @return id the delegation's id (1 for the first).
     */
    function delegateGtins(
        uint64 firstGtin,
        uint64 lastGtin,
        bytes32 delegate,
        uint64 validFrom,
        uint64 validUntil,
        bytes32 requestHash
    ) external onlyRole(GS1_REGISTRAR_ROLE) returns (uint256 id) {
        Delegation memory d = _range(firstGtin, lastGtin);
        _existingOrganisation(delegate);
        if (delegate == d.owner) revert RegistryInvalidDelegate(delegate);
        if (requestHash == bytes32(0)) revert RegistryMissingRequest();
        uint64 timestamp = uint64(block.timestamp);
        if (validFrom == 0) validFrom = timestamp;
        if (validFrom < timestamp || (validUntil != 0 && validUntil <= validFrom)) {
            revert RegistryInvalidValidity(validFrom, validUntil);
        }
        (d.delegate, d.validFrom, d.validUntil, d.requestHash) = (delegate, validFrom, validUntil, requestHash);
        id = ++_delegationCount;
        _delegations[id] = d;
        _delegationsByPrefix[keccak256(abi.encode(_key(d.prefix, d.length), delegate))].push(id);
        emit GtinsDelegated(id, d.owner, delegate, d, msg.sender);
    }

    /**
     * @notice Revokes delegation `id` from now on (e.g. the manufacturing contract ended).
     * @dev Requirements:
     * - the caller has `GS1_REGISTRAR_ROLE`;
     * - delegation `id` exists and is not revoked; `reason` is non-zero.
     *
     * Emits a {DelegationRevoked} event.
     */
    function revokeDelegation(uint256 id, uint16 reason) external onlyRole(GS1_REGISTRAR_ROLE) {
        _requireReason(reason);
        Delegation storage d = _existingDelegation(id);
        if (d.revokedAt != 0) revert RegistryDelegationAlreadyRevoked(id, d.revokedAt);
        uint64 timestamp = uint64(block.timestamp);
        d.revokedAt = timestamp;
        emit DelegationRevoked(id, d.owner, d.delegate, msg.sender, reason, timestamp);
    }

    /**
     * @notice Every holding of `prefix` of `length` digits, oldest first (the last one is live when not ended).
     */
    function prefixHistory(uint64 prefix, uint8 length) external view returns (PrefixHolding[] memory) {
        return _holdings[_prefixKey(prefix, length)];
    }

    /**
     * @notice The organisation that held `prefix` of `length` digits, valid, at `timestamp` (zero: none).
     */
    function prefixHolderAt(uint64 prefix, uint8 length, uint64 timestamp) external view returns (bytes32) {
        return _holderAt(_prefixKey(prefix, length), timestamp);
    }

    /**
     * @notice The owner of the GTIN-14 `gtin` at `timestamp` and the prefix it owns it by (all zero: no owner).
     * @dev Requirements: `gtin` is a GTIN-14 with its check digit (else reverts with {RegistryInvalidGtin}).
     */
    function gtinOwnerAt(uint64 gtin, uint64 timestamp)
        external
        view
        returns (bytes32 orgId, uint64 prefix, uint8 length)
    {
        return _ownerAt(gtin, timestamp);
    }

    /**
     * @notice Whether `orgId` could make the GTIN-14 `gtin` for its owner at `timestamp`: a delegation filed by the
     * owner at that time covered it then.
     * @dev Requirements: `gtin` is a GTIN-14 with its check digit (else reverts with {RegistryInvalidGtin}).
     */
    function isDelegateAt(uint64 gtin, bytes32 orgId, uint64 timestamp) external view returns (bool) {
        (bytes32 owner, uint64 prefix, uint8 length) = _ownerAt(gtin, timestamp);
        if (owner == bytes32(0)) return false;
        uint64 item = (gtin / 10) % _pow10(_MAX_PREFIX_LENGTH - length);
        uint256[] storage ids = _delegationsByPrefix[keccak256(abi.encode(_key(prefix, length), orgId))];
        for (uint256 i = 0; i < ids.length; ++i) {
            Delegation storage d = _delegations[ids[i]];
            if (
                d.owner == owner && d.firstItem <= item && item <= d.lastItem && d.validFrom <= timestamp
                    && (d.validUntil == 0 || timestamp < d.validUntil) && (d.revokedAt == 0 || timestamp < d.revokedAt)
            ) return true;
        }
        return false;
    }

    /**
     * @notice Delegation `id` (reverts with {RegistryUnknownDelegation} when there is none).
     */
    function delegation(uint256 id) external view returns (Delegation memory) {
        return _existingDelegation(id);
    }

    /**
     * @notice How many delegations were filed (the last id).
     */
    function delegationCount() external view returns (uint256) {
        return _delegationCount;
    }

    /// @dev 10**`n` for `n` <= 12 (no overflow possible).
    function _pow10(uint256 n) private pure returns (uint64) {
        unchecked {
            return uint64(10 ** n);
        }
    }

    /// @dev Counts a live prefix in (`up`) or out of the live-extension counter of each of its shorter prefixes.
    function _countExtension(uint64 prefix, uint8 length, bool up) private {
        for (uint8 l = _MIN_PREFIX_LENGTH; l < length; ++l) {
            uint64 key = _key(prefix / _pow10(length - l), l);
            if (up) ++_liveExtensions[key];
            else --_liveExtensions[key];
        }
    }

    function _key(uint64 prefix, uint8 length) private pure returns (uint64) {
        return _pow10(length) + prefix;
    }

    function _prefixKey(uint64 prefix, uint8 length) private pure returns (uint64) {
        if (length < _MIN_PREFIX_LENGTH || length > _MAX_PREFIX_LENGTH || prefix >= _pow10(length)) {
            revert RegistryInvalidPrefix(prefix, length);
        }
        return _key(prefix, length);
    }

    function _isLive(uint64 key) private view returns (bool) {
        PrefixHolding[] storage holdings = _holdings[key];
        return holdings.length != 0 && holdings[holdings.length - 1].endedAt == 0;
    }

    function _liveHolding(uint64 prefix, uint8 length) private view returns (PrefixHolding storage) {
        PrefixHolding[] storage holdings = _holdings[_prefixKey(prefix, length)];
        uint256 count = holdings.length;
        if (count == 0 || holdings[count - 1].endedAt != 0) revert RegistryPrefixNotHeld(prefix, length);
        return holdings[count - 1];
    }

    /// @dev Ends `current` now and starts `orgId`'s holding of the prefix now, until `validUntil`.
    function _succeed(PrefixHolding storage current, uint64 prefix, uint8 length, bytes32 orgId, uint64 validUntil)
        private
    {
        uint64 timestamp = uint64(block.timestamp);
        current.endedAt = timestamp;
        _holdings[_key(prefix, length)].push(
            PrefixHolding({orgId: orgId, validFrom: timestamp, validUntil: validUntil, endedAt: 0})
        );
    }

    function _holderAt(uint64 key, uint64 timestamp) private view returns (bytes32) {
        PrefixHolding[] storage holdings = _holdings[key];
        for (uint256 i = holdings.length; i > 0; --i) {
            PrefixHolding storage h = holdings[i - 1];
            if (h.validFrom > timestamp) continue;
            if ((h.endedAt == 0 || timestamp < h.endedAt) && (h.validUntil == 0 || timestamp < h.validUntil)) {
                return h.orgId;
            }
            return bytes32(0); // holdings follow each other: an earlier one ended before this one started
        }
        return bytes32(0);
    }

    function _ownerAt(uint64 gtin, uint64 timestamp) private view returns (bytes32 orgId, uint64 prefix, uint8 length) {
        _checkGtin(gtin);
        uint64 body = (gtin / 10) % 1e12;
        for (uint8 l = _MIN_PREFIX_LENGTH; l <= _MAX_PREFIX_LENGTH; ++l) {
            uint64 candidate = body / _pow10(_MAX_PREFIX_LENGTH - l);
            orgId = _holderAt(_key(candidate, l), timestamp);
            if (orgId != bytes32(0)) return (orgId, candidate, l);
        }
        return (bytes32(0), 0, 0);
    }

    /// @dev A GTIN-14 is below 10**14 and ends with its GS1 check digit (weights 3 and 1 from the right).
    function _checkGtin(uint64 gtin) private pure {
        if (gtin >= 1e14) revert RegistryInvalidGtin(gtin);
        uint256 sum = 0;
        uint64 rest = gtin / 10;
        for (uint256 i = 0; i < 13; ++i) {
            sum += (rest % 10) * (i % 2 == 0 ? 3 : 1);
            rest /= 10;
        }
        if ((10 - (sum % 10)) % 10 != gtin % 10) revert RegistryInvalidGtin(gtin);
    }

    /// @dev The owner now, prefix and item references of `firstGtin`..`lastGtin` (see {delegateGtins}).
    function _range(uint64 firstGtin, uint64 lastGtin) private view returns (Delegation memory d) {
        (d.owner, d.prefix, d.length) = _ownerAt(firstGtin, uint64(block.timestamp));
        if (d.owner == bytes32(0)) revert RegistryGtinNotOwned(firstGtin);
        _checkGtin(lastGtin);
        uint64 divisor = _pow10(_MAX_PREFIX_LENGTH - d.length);
        d.firstItem = (firstGtin / 10) % divisor;
        d.lastItem = (lastGtin / 10) % divisor;
        if ((lastGtin / 10) % 1e12 / divisor != d.prefix || d.lastItem < d.firstItem) {
            revert RegistryInvalidGtinRange(firstGtin, lastGtin);
        }
    }

    function _existingDelegation(uint256 id) private view returns (Delegation storage d) {
        d = _delegations[id];
        if (d.validFrom == 0) revert RegistryUnknownDelegation(id);
    }
}
