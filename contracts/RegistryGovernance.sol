// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/**
 * @title RegistryGovernance
 * @notice Governance roles of the registry: the regulator (admin of every role) and the certifiers, each registered
 * with the highest recognition level it may grant.
 *
 * Levels: 1 = city (市级), 2 = provincial (省级), 3 = national (国家级).
 *
 * Reason codes (uint16) used by suspensions, reinstatements, revocations and key revocations; 0 is refused:
 * 1 spot check failed, 2 data falsified, 3 refused to report, 4 major safety incident, 5 major quality incident,
 * 6 major environmental incident, 7 at the holder's request, 8 issued in error, 9 key compromised, 10 routine key
 * rotation, 11 rectified (reinstatement), 12 organisation dissolved, 13 GS1 licence lapsed (prefix not renewed),
 * 14 contract ended (a GTIN delegation). Codes above 14 are free for local use.
 */
abstract contract RegistryGovernance is AccessControl {
    /// @notice The regulator: registers organisations and certifiers, records spot checks, may suspend and delist.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    /// @notice Certifiers (authorities issuing green recognitions up to their own level).
    bytes32 public constant CERTIFIER_ROLE = keccak256("CERTIFIER_ROLE");

    /// @notice Highest recognition level.
    uint8 public constant LEVEL_NATIONAL = 3;

    mapping(address certifier => uint8 level) private _certifierLevels;

    /// @dev The zero address cannot govern the registry.
    error RegistryInvalidRegulator(address regulator);

    /// @dev `level` is not a recognition level (1 city, 2 provincial, 3 national).
    error RegistryInvalidLevel(uint8 level);

    /// @dev `CERTIFIER_ROLE` is granted through {registerCertifier}, which records the certifier's level.
    error RegistryCertifierLevelRequired(address account);

    /// @dev `account` is not a registered certifier.
    error RegistryUnknownCertifier(address account);

    /// @dev A reason code is required (see the contract's documentation for the codes).
    error RegistryMissingReason();

    /**
     * @dev Emitted when the highest level `certifier` may grant changes from `previousLevel` to `newLevel`
     * (0 when the certifier is removed).
     */
    event CertifierLevelChanged(address indexed certifier, uint8 previousLevel, uint8 newLevel, uint64 timestamp);

    constructor(address regulator) {
        if (regulator == address(0)) revert RegistryInvalidRegulator(regulator);
        _setRoleAdmin(REGULATOR_ROLE, DEFAULT_ADMIN_ROLE);
        _setRoleAdmin(CERTIFIER_ROLE, REGULATOR_ROLE);
        _grantRole(DEFAULT_ADMIN_ROLE, regulator);
        _grantRole(REGULATOR_ROLE, regulator);
    }

    /**
     * @notice Registers `certifier`, or changes its level, with the highest recognition `level` it may grant.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `level` is 1 (city), 2 (provincial) or 3 (national).
     *
     * Emits a {CertifierLevelChanged} event when the level changes, and {RoleGranted} when the account is new.
     */
    function registerCertifier(address certifier, uint8 level) external onlyRole(REGULATOR_ROLE) {
        if (level == 0 || level > LEVEL_NATIONAL) revert RegistryInvalidLevel(level);
        uint8 previous = _certifierLevels[certifier];
        if (previous == level) return;
        _certifierLevels[certifier] = level;
        emit CertifierLevelChanged(certifier, previous, level, uint64(block.timestamp));
        _grantRole(CERTIFIER_ROLE, certifier);
    }

    /**
     * @notice Removes `certifier`: it can no longer issue or change recognitions. Recognitions it issued stay.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - `certifier` is registered.
     *
     * Emits {RoleRevoked} and {CertifierLevelChanged} events.
     */
    function removeCertifier(address certifier) external onlyRole(REGULATOR_ROLE) {
        if (_certifierLevels[certifier] == 0) revert RegistryUnknownCertifier(certifier);
        _revokeRole(CERTIFIER_ROLE, certifier);
    }

    /**
     * @notice The highest level `certifier` may grant (0 when it is not a certifier).
     */
    function certifierLevel(address certifier) public view returns (uint8) {
        return _certifierLevels[certifier];
    }

    /// @dev Certifiers get their role only with a level, and lose their level with their role.
    function _grantRole(bytes32 role, address account) internal virtual override returns (bool) {
        if (role == CERTIFIER_ROLE && _certifierLevels[account] == 0) revert RegistryCertifierLevelRequired(account);
        return super._grantRole(role, account);
    }

    /// @dev See {_grantRole}.
    function _revokeRole(bytes32 role, address account) internal virtual override returns (bool) {
        bool revoked = super._revokeRole(role, account);
        if (revoked && role == CERTIFIER_ROLE) {
            uint8 previous = _certifierLevels[account];
            delete _certifierLevels[account];
            emit CertifierLevelChanged(account, previous, 0, uint64(block.timestamp));
        }
        return revoked;
    }

    function _requireReason(uint16 reason) internal pure {
        if (reason == 0) revert RegistryMissingReason();
    }
}
