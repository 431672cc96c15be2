// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IdentityRegistry} from "./IdentityRegistry.sol";

/**
 * @title RecognitionRegistry
 * @notice Green recognitions (绿色制造体系) issued by certifiers to organisations, their spot checks, suspensions,
 * reinstatements and revocations (摘牌), each with its block time, so that "was this recognition in force at time T"
 * is answerable on chain.
 *
 * Kinds: 1 green factory (绿色工厂), 2 green design product (绿色设计产品), 3 green industrial park (绿色园区),
 * 4 green supply-chain management enterprise (绿色供应链管理企业).
 * Levels: 1 city, 2 provincial, 3 national. Grades (national green factories only): 0 none, 1 B, 2 A, 3 A+.
 * Scopes: 0 the whole enterprise, 1 a facility (subject = its GLN), 2 a product (subject = its GTIN); green products
 * are always product-scoped, the other kinds never are. Subjects are ASCII, left-aligned in a bytes32.
 * Statuses: 1 active, 2 suspended, 3 revoked (final).
 *
 * Spot checks (Jiangsu rule): three passed spot checks in a row exempt the holder of the recognition from spot checks
 * for five years; a failed one ends the exemption and resets the count.
 */
abstract contract RecognitionRegistry is IdentityRegistry {
    uint8 public constant KIND_GREEN_FACTORY = 1;
    uint8 public constant KIND_GREEN_PRODUCT = 2;
    uint8 public constant KIND_GREEN_SUPPLY_CHAIN = 4;
    uint8 public constant SCOPE_ENTERPRISE = 0;
    uint8 public constant SCOPE_PRODUCT = 2;
    uint8 public constant GRADE_A_PLUS = 3;
    uint8 public constant STATUS_ACTIVE = 1;
    uint8 public constant STATUS_SUSPENDED = 2;
    uint8 public constant STATUS_REVOKED = 3;
    /// @notice Passed spot checks in a row that earn an exemption.
    uint8 public constant PASSES_FOR_EXEMPTION = 3;
    /// @notice How long the exemption lasts.
    uint64 public constant EXEMPTION_PERIOD = 5 * 365 days;

    /// @dev What a certifier states when it issues a recognition.
    struct RecognitionTerms {
        bytes32 holder;
        uint8 kind;
        uint8 level;
        uint8 grade;
        uint8 scope;
        bytes32 subject;
        bytes32 standardRef;
        uint64 validFrom;
        uint64 validUntil;
        bytes32 evidenceHash;
    }

    struct Recognition {
        RecognitionTerms terms;
        address issuer;
        uint64 issuedAt;
        uint8 status;
        uint64 statusChangedAt;
    }

    struct StatusChange {
        uint64 timestamp;
        uint8 status;
        uint16 reason;
    }

    struct SpotCheckState {
        uint32 checks;
        uint8 consecutivePasses;
        uint64 lastCheckedAt;
        uint64 exemptUntil;
    }

    uint256 private _recognitionCount;
    mapping(uint256 id => Recognition) private _recognitions;
    mapping(uint256 id => StatusChange[]) private _statusHistory;
    mapping(uint256 id => SpotCheckState) private _spotChecks;

    /// @dev `kind` is not a recognition kind (1..4).
    error RegistryInvalidKind(uint8 kind);
    /// @dev `certifier` may grant up to `allowed` and asked for `requested`.
    error RegistryLevelAboveCertifier(address certifier, uint8 requested, uint8 allowed);
    /// @dev A grade is given only to national green factories, and is 1 (B), 2 (A) or 3 (A+).
    error RegistryGradeNotApplicable(uint8 kind, uint8 level, uint8 grade);
    /// @dev `scope` and `subject` do not fit `kind` (see the contract's documentation).
    error RegistryInvalidScope(uint8 kind, uint8 scope, bytes32 subject);
    /// @dev The validity period is empty or already over (`validUntil` 0 means until revoked).
    error RegistryInvalidValidity(uint64 validFrom, uint64 validUntil);
    /// @dev The standard reference and the evidence document's hash are required.
    error RegistryMissingEvidence(bytes32 standardRef, bytes32 evidenceHash);
    /// @dev No recognition has id `id`.
    error RegistryUnknownRecognition(uint256 id);
    /// @dev Only the issuer of recognition `id` or the regulator may change it.
    error RegistryNotIssuerOrRegulator(address account, uint256 id);
    /// @dev Recognition `id` has status `status`, which does not allow this change.
    error RegistryInvalidRecognitionStatus(uint256 id, uint8 status);

    /// @dev Emitted when `issuer` issues recognition `id` to `holder` with `terms`.
    event RecognitionIssued(
        uint256 indexed id, bytes32 indexed holder, address indexed issuer, RecognitionTerms terms, uint64 issuedAt
    );
    /// @dev Emitted when `by` suspends recognition `id` of `holder`.
    event RecognitionSuspended(uint256 indexed id, bytes32 indexed holder, address indexed by, uint16 reason, uint64 timestamp);
    /// @dev Emitted when `by` reinstates the suspended recognition `id` of `holder`.
    event RecognitionReinstated(uint256 indexed id, bytes32 indexed holder, address indexed by, uint16 reason, uint64 timestamp);
    /// @dev Emitted when `by` revokes (摘牌) recognition `id` of `holder`; revocation is final.
    event RecognitionRevoked(uint256 indexed id, bytes32 indexed holder, address indexed by, uint16 reason, uint64 timestamp);
    /// @dev Emitted when the regulator records a spot check of recognition `id`.
    event SpotCheckRecorded(
        uint256 indexed id, bytes32 indexed holder, bool passed, bytes32 reportHash, uint8 consecutivePasses, uint64 timestamp
    );
    /// @dev Emitted when recognition `id` earns a spot-check exemption until `exemptUntil`.
    event SpotCheckExemptionGranted(uint256 indexed id, bytes32 indexed holder, uint64 exemptUntil);

    constructor(address regulator) IdentityRegistry(regulator) {}

    /**
     * @notice Issues a green recognition to an organisation.
     * @dev Requirements:
     * - the caller has `CERTIFIER_ROLE` and a level at least `terms.level`;
     * - `terms.holder` is registered; `terms.kind` is 1..4; `terms.level` is 1..3;
     * - a grade only for a national green factory; scope and subject fit the kind;
     * - `terms.validUntil` is 0 or after both `terms.validFrom` and now;
     * - `terms.standardRef` and `terms.evidenceHash` are non-zero.
     *
     * Emits a {RecognitionIssued} event.
     * @return id the new recognition's id (1 for the first).
     */
    function issueRecognition(RecognitionTerms calldata terms) external onlyRole(CERTIFIER_ROLE) returns (uint256 id) {
        _existingOrganisation(terms.holder);
        _checkTerms(terms);
        id = ++_recognitionCount;
        uint64 timestamp = uint64(block.timestamp);
        _recognitions[id] =
            Recognition({terms: terms, issuer: msg.sender, issuedAt: timestamp, status: STATUS_ACTIVE, statusChangedAt: timestamp});
        emit RecognitionIssued(id, terms.holder, msg.sender, terms, timestamp);
    }

    /**
     * @notice Suspends recognition `id` (e.g. after a failed spot check, pending rectification).
     * @dev Requirements:
     * - the caller is the recognition's issuer or has `REGULATOR_ROLE`;
     * - the recognition is active; `reason` is non-zero.
     *
     * Emits a {RecognitionSuspended} event.
     */
    function suspendRecognition(uint256 id, uint16 reason) external {
        Recognition storage r = _changeable(id, reason);
        if (r.status != STATUS_ACTIVE) revert RegistryInvalidRecognitionStatus(id, r.status);
        uint64 timestamp = _setStatus(id, r, STATUS_SUSPENDED, reason);
        emit RecognitionSuspended(id, r.terms.holder, msg.sender, reason, timestamp);
    }

    /**
     * @notice Reinstates the suspended recognition `id`.
     * @dev Requirements:
     * - the caller is the recognition's issuer or has `REGULATOR_ROLE`;
     * - the recognition is suspended; `reason` is non-zero.
     *
     * Emits a {RecognitionReinstated} event.
     */
    function reinstateRecognition(uint256 id, uint16 reason) external {
        Recognition storage r = _changeable(id, reason);
        if (r.status != STATUS_SUSPENDED) revert RegistryInvalidRecognitionStatus(id, r.status);
        uint64 timestamp = _setStatus(id, r, STATUS_ACTIVE, reason);
        emit RecognitionReinstated(id, r.terms.holder, msg.sender, reason, timestamp);
    }

    /**
     * @notice Revokes recognition `id` for good (摘牌 / 除名): the holder is removed from the list.
     * @dev Requirements:
     * - the caller is the recognition's issuer or has `REGULATOR_ROLE`;
     * - the recognition is not already revoked; `reason` is non-zero.
     *
     * Emits a {RecognitionRevoked} event.
     */
    function revokeRecognition(uint256 id, uint16 reason) external {
        Recognition storage r = _changeable(id, reason);
        if (r.status == STATUS_REVOKED) revert RegistryInvalidRecognitionStatus(id, r.status);
        uint64 timestamp = _setStatus(id, r, STATUS_REVOKED, reason);
        emit RecognitionRevoked(id, r.terms.holder, msg.sender, reason, timestamp);
    }

    /**
     * @notice Records the result of a spot check (抽查) of recognition `id`.
     * @dev Requirements:
     * - the caller has `REGULATOR_ROLE`;
     * - the recognition exists and is not revoked.
     *
     * Emits a {SpotCheckRecorded} event, and a {SpotCheckExemptionGranted} event when this is the third pass in a row.
     * @param passed whether the unit passed.
     * @param reportHash SHA-256 of the spot-check report (the report stays with its owner).
     */
    function recordSpotCheck(uint256 id, bool passed, bytes32 reportHash) external onlyRole(REGULATOR_ROLE) {
        Recognition storage r = _existingRecognition(id);
        if (r.status == STATUS_REVOKED) revert RegistryInvalidRecognitionStatus(id, r.status);
        SpotCheckState storage s = _spotChecks[id];
        uint64 timestamp = uint64(block.timestamp);
        s.checks += 1;
        s.lastCheckedAt = timestamp;
        if (passed) {
            s.consecutivePasses += 1;
        } else {
            s.consecutivePasses = 0;
            s.exemptUntil = 0;
        }
        emit SpotCheckRecorded(id, r.terms.holder, passed, reportHash, s.consecutivePasses, timestamp);
        if (s.consecutivePasses == PASSES_FOR_EXEMPTION) {
            s.consecutivePasses = 0;
            s.exemptUntil = timestamp + EXEMPTION_PERIOD;
            emit SpotCheckExemptionGranted(id, r.terms.holder, s.exemptUntil);
        }
    }

    /**
     * @notice Recognition `id` (reverts with {RegistryUnknownRecognition} when there is none).
     */
    function recognition(uint256 id) external view returns (Recognition memory) {
        return _existingRecognition(id);
    }

    /**
     * @notice How many recognitions have been issued (the last id).
     */
    function recognitionCount() external view returns (uint256) {
        return _recognitionCount;
    }

    /**
     * @notice Every status change of recognition `id` after its issue, oldest first.
     */
    function statusHistory(uint256 id) external view returns (StatusChange[] memory) {
        _existingRecognition(id);
        return _statusHistory[id];
    }

    /**
     * @notice The status of recognition `id` at time `timestamp` (0 before both its issue and its validity start).
     */
    function statusAt(uint256 id, uint64 timestamp) public view returns (uint8) {
        Recognition storage r = _existingRecognition(id);
        if (timestamp < r.issuedAt && timestamp < r.terms.validFrom) return 0;
        StatusChange[] storage history = _statusHistory[id];
        for (uint256 i = history.length; i > 0; --i) {
            if (history[i - 1].timestamp <= timestamp) return history[i - 1].status;
        }
        return STATUS_ACTIVE;
    }

    /**
     * @notice Whether recognition `id` was in force at time `timestamp`: within its validity period and active then.
     */
    function isInForceAt(uint256 id, uint64 timestamp) external view returns (bool) {
        RecognitionTerms storage t = _existingRecognition(id).terms;
        if (timestamp < t.validFrom || (t.validUntil != 0 && timestamp >= t.validUntil)) return false;
        return statusAt(id, timestamp) == STATUS_ACTIVE;
    }

    /**
     * @notice The spot-check record of recognition `id`.
     */
    function spotCheckState(uint256 id) external view returns (SpotCheckState memory) {
        _existingRecognition(id);
        return _spotChecks[id];
    }

    /**
     * @notice Whether recognition `id` is exempt from spot checks now (three passes in a row, five years).
     */
    function isSpotCheckExempt(uint256 id) external view returns (bool) {
        _existingRecognition(id);
        return block.timestamp < _spotChecks[id].exemptUntil;
    }

    function _checkTerms(RecognitionTerms calldata t) private view {
        if (t.kind == 0 || t.kind > KIND_GREEN_SUPPLY_CHAIN) revert RegistryInvalidKind(t.kind);
        if (t.level == 0 || t.level > LEVEL_NATIONAL) revert RegistryInvalidLevel(t.level);
        uint8 allowed = certifierLevel(msg.sender);
        if (t.level > allowed) revert RegistryLevelAboveCertifier(msg.sender, t.level, allowed);
        if (
            t.grade > GRADE_A_PLUS
                || (t.grade != 0 && (t.kind != KIND_GREEN_FACTORY || t.level != LEVEL_NATIONAL))
        ) {
            revert RegistryGradeNotApplicable(t.kind, t.level, t.grade);
        }
        bool productScoped = t.scope == SCOPE_PRODUCT;
        if (
            t.scope > SCOPE_PRODUCT || productScoped != (t.kind == KIND_GREEN_PRODUCT)
                || (t.scope == SCOPE_ENTERPRISE) != (t.subject == bytes32(0))
        ) {
            revert RegistryInvalidScope(t.kind, t.scope, t.subject);
        }
        if (t.validUntil != 0 && (t.validUntil <= t.validFrom || t.validUntil <= block.timestamp)) {
            revert RegistryInvalidValidity(t.validFrom, t.validUntil);
        }
        if (t.standardRef == bytes32(0) || t.evidenceHash == bytes32(0)) {
            revert RegistryMissingEvidence(t.standardRef, t.evidenceHash);
        }
    }

    function _existingRecognition(uint256 id) private view returns (Recognition storage r) {
        r = _recognitions[id];
        if (r.issuedAt == 0) revert RegistryUnknownRecognition(id);
    }

    function _changeable(uint256 id, uint16 reason) private view returns (Recognition storage r) {
        r = _existingRecognition(id);
        if (msg.sender != r.issuer && !hasRole(REGULATOR_ROLE, msg.sender)) {
            revert RegistryNotIssuerOrRegulator(msg.sender, id);
        }
        _requireReason(reason);
    }

    function _setStatus(uint256 id, Recognition storage r, uint8 status, uint16 reason) private returns (uint64 timestamp) {
        timestamp = uint64(block.timestamp);
        r.status = status;
        r.statusChangedAt = timestamp;
        _statusHistory[id].push(StatusChange({timestamp: timestamp, status: status, reason: reason}));
    }
}
