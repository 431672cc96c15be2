"""Relaying authorities' own signed transactions (chain.relay) and their calls as JSON (chain.authority), on the
in-process chain: prepare, sign, check, broadcast, decode; and every refusal, before anything reaches the node."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3

from chain.accounts import dev_account
from chain.authority import (
    AUTHORITY_FUNCTIONS,
    CallRefusedError,
    authority_function,
    decode_args,
    encode_args,
    event_json,
    explain,
    file_digest,
    parse_grade,
    parse_hash32,
    parse_kind,
    parse_level,
    parse_reason,
    parse_time,
    recognition_json,
)
from chain.connection import TESTER_URL
from chain.errors import RegistryError, RegistryPermissionError, RegistryStateError
from chain.registry import ANCHOR_GAS, ROLE_ANCHORER
from chain.relay import (
    MAX_RAW_BYTES,
    decode_call,
    decode_signed,
    describe_prepared,
    parse_raw,
    prepare,
    relay,
    send,
    sign_prepared,
)
from supplychain.registry import Grade, Level, ReasonCode, RecognitionKind, RecognitionStatus, Scope
from supplychain.registry import events as ev
from tests.chains import RETAILER, SUPPLIER, Deployed, deploy_cast

FACILITY = "6901234000047"
GTIN = "06901234000108"
YEAR = 365 * 86_400
EVIDENCE = "0x" + "ee" * 32


@pytest.fixture(scope="module")
def deployed() -> Deployed:
    return deploy_cast(TESTER_URL)


@pytest.fixture(autouse=True)
def isolated(deployed: Deployed) -> Iterator[None]:
    snapshot = deployed.chain.snapshot()
    yield
    deployed.chain.revert(snapshot)


def key(role: str) -> str:
    return dev_account(role).private_key


def factory_args(deployed: Deployed, **changes: Any) -> dict[str, Any]:
    now = deployed.chain.block_timestamp()
    args = {
        "holder": SUPPLIER,
        "kind": "green-factory",
        "level": "provincial",
        "subject": FACILITY,
        "validFrom": now,
        "validUntil": now + 3 * YEAR,
        "evidenceHash": EVIDENCE,
    }
    return {k: v for k, v in {**args, **changes}.items() if v is not None}


def sign(deployed: Deployed, account: LocalAccount, data: bytes, **fields: Any) -> bytes:
    """A transaction signed by hand (what a careless or hostile client might send)."""
    w3 = deployed.chain.w3
    tx: dict[str, Any] = {
        "chainId": deployed.chain.chain_id,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "to": deployed.registry.address,
        "value": 0,
        "gas": 400_000,
        "maxFeePerGas": 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + 10**9,
        "maxPriorityFeePerGas": 10**9,
        "data": data,
    }
    tx.update(fields)
    return bytes(account.sign_transaction({k: v for k, v in tx.items() if v is not None}).raw_transaction)


def refused(reason: str, match: str = "") -> Any:
    """pytest.raises for a CallRefusedError with this reason code."""

    def check(exc: CallRefusedError) -> bool:
        assert exc.reason == reason, f"expected {reason}, got {exc.reason}: {exc}"
        return True

    return pytest.raises(CallRefusedError, match=match or None, check=check)


def issue(deployed: Deployed, role: str = "provincial-certifier", **changes: Any) -> int:
    result = send(deployed.registry, key(role), "issueRecognition", factory_args(deployed, **changes))
    assert result.recognition_id is not None
    return result.recognition_id


# --- the happy paths ---


def test_prepare_sign_and_relay_an_issue(deployed: Deployed) -> None:
    certifier = dev_account("provincial-certifier")
    args = factory_args(deployed)
    prepared = prepare(deployed.registry, certifier.address.lower(), "issue", args)
    assert prepared["chainId"] == deployed.chain.chain_id
    assert prepared["to"] == deployed.registry.address
    assert prepared["from"] == certifier.address
    assert prepared["nonce"] == deployed.chain.w3.eth.get_transaction_count(certifier.address)  # type: ignore[arg-type]
    assert prepared["type"] == 2 and prepared["maxFeePerGas"] > prepared["maxPriorityFeePerGas"] > 0
    assert prepared["function"] == "issueRecognition"
    assert prepared["args"] == {**args, "grade": "none", "scope": "facility", "standardRef": "GB/T 36132-2018"}
    assert describe_prepared(prepared) == ("issueRecognition", prepared["args"])
    raw = sign_prepared(certifier.private_key, prepared)
    result = relay(deployed.registry, raw)
    assert result.sender == certifier.address and result.call_function == "issueRecognition"
    assert result.receipt.status == 1 and not result.already_mined
    (issued,) = result.events
    assert isinstance(issued, ev.RecognitionIssued) and issued.issuer == certifier.address
    assert result.recognition_id == issued.recognition_id == deployed.registry.recognition_count()
    terms = deployed.registry.recognition(issued.recognition_id).terms
    assert (terms.level, terms.subject, terms.evidence_hash) == (Level.PROVINCIAL, FACILITY, bytes.fromhex("ee" * 32))
    body = result.to_json()
    assert body["txHash"] == result.tx_hash == "0x" + Web3.keccak(raw).hex().removeprefix("0x")
    assert body["result"] == {"recognitionId": issued.recognition_id}
    assert body["events"][0]["event"] == "RecognitionIssued"
    assert body["events"][0]["terms"] == prepared["args"]


def test_relaying_the_same_bytes_again_answers_their_receipt(deployed: Deployed) -> None:
    certifier = dev_account("provincial-certifier")
    raw = sign_prepared(
        certifier.private_key, prepare(deployed.registry, certifier.address, "issue", factory_args(deployed))
    )
    first = relay(deployed.registry, raw)
    again = relay(deployed.registry, raw)
    assert again.already_mined and again.tx_hash == first.tx_hash
    assert again.receipt.block_number == first.receipt.block_number
    assert again.recognition_id == first.recognition_id
    assert deployed.registry.recognition_count() == 1


def test_the_life_cycle_of_a_recognition(deployed: Deployed) -> None:
    registry = deployed.registry
    rid = issue(deployed)
    suspended = send(registry, key("provincial-certifier"), "suspend", {"id": rid, "reason": "spot-check-failed"})
    assert suspended.outcome() == {"recognitionId": rid, "status": "suspended"}
    reinstated = send(registry, key("regulator"), "reinstateRecognition", {"id": rid, "reason": 11})
    assert reinstated.outcome()["status"] == "active"
    for n in (1, 2):
        checked = send(registry, key("regulator"), "spot-check", {"id": rid, "passed": True, "reportHash": EVIDENCE})
        assert checked.outcome() == {"recognitionId": rid, "passed": True, "consecutivePasses": n}
    third = send(registry, key("regulator"), "recordSpotCheck", {"id": rid, "passed": True, "reportHash": EVIDENCE})
    assert third.outcome()["exemptUntil"] == third.events[0].timestamp + 5 * YEAR
    assert registry.is_spot_check_exempt(rid)
    failed = send(registry, key("regulator"), "spot-check", {"id": rid, "passed": False, "reportHash": EVIDENCE})
    assert failed.outcome()["consecutivePasses"] == 0 and not registry.is_spot_check_exempt(rid)
    revoked = send(registry, key("regulator"), "revoke", {"id": rid, "reason": "data-falsified"})
    assert revoked.outcome()["status"] == "revoked"
    record = recognition_json(registry, rid, registry.mirror())
    assert record["status"] == "revoked" and not record["inForce"] and not record["expired"]
    assert [(c["status"], c["reasonName"]) for c in record["statusHistory"]] == [
        ("suspended", "spot-check-failed"),
        ("active", "rectified"),
        ("revoked", "data-falsified"),
    ]
    regulator = dev_account("regulator").address
    assert [c["by"] for c in record["statusHistory"]] == [dev_account("provincial-certifier").address, *[regulator] * 2]
    spot = record["spotChecks"]
    assert (spot["count"], spot["consecutivePasses"], spot["exempt"]) == (4, 0, False)
    assert [c["passed"] for c in spot["records"]] == [True, True, True, False]
    (exemption,) = spot["exemptions"]
    assert exemption["until"] == spot["records"][3]["timestamp"]  # the failed check cut it short
    assert spot["exemptUntil"] is None  # the registry forgets an ended exemption


def test_the_regulator_registers_and_removes_certifiers(deployed: Deployed) -> None:
    newcomer = Account.from_key("0x" + "5e" * 32).address
    added = send(deployed.registry, key("regulator"), "register-certifier", {"certifier": newcomer, "level": "city"})
    assert added.outcome() == {"certifier": newcomer, "level": 1}
    assert deployed.registry.certifier_level(newcomer) == 1
    removed = send(deployed.registry, key("regulator"), "removeCertifier", {"certifier": newcomer.lower()})
    assert removed.outcome() == {"certifier": newcomer, "level": 0}
    assert removed.args == {"certifier": newcomer}


def test_legacy_and_access_list_transactions_are_relayed_too(deployed: Deployed) -> None:
    rid = issue(deployed)
    regulator = dev_account("regulator").account
    gas_price = 2 * int(deployed.chain.w3.eth.get_block("latest")["baseFeePerGas"]) + 10**9
    data = deployed.registry.encode("suspendRecognition", rid, 1)
    legacy = sign(deployed, regulator, data, maxFeePerGas=None, maxPriorityFeePerGas=None, gasPrice=gas_price)
    assert legacy[0] >= 0xC0  # an RLP list: a type-0 transaction
    assert relay(deployed.registry, legacy).outcome()["status"] == "suspended"
    data = deployed.registry.encode("reinstateRecognition", rid, 11)
    typed = sign(deployed, regulator, data, maxFeePerGas=None, maxPriorityFeePerGas=None, gasPrice=gas_price, type=1)
    assert typed[0] == 1
    assert relay(deployed.registry, typed).outcome()["status"] == "active"


# --- refused before anything is sent ---


def test_malformed_hex_is_refused() -> None:
    with refused("malformed-transaction", "0x-prefixed"):
        parse_raw("02f8b2")
    with refused("malformed-transaction", "not hex"):
        parse_raw("0x02f8b")
    with refused("malformed-transaction", "not hex"):
        parse_raw("0xzz")
    with refused("malformed-transaction", "empty"):
        parse_raw("0x")
    with refused("malformed-transaction", f"over {MAX_RAW_BYTES} bytes"):
        parse_raw("0x" + "00" * (MAX_RAW_BYTES + 1))
    assert parse_raw(" 0x02ab\n") == b"\x02\xab"


def test_bytes_that_are_no_signed_transaction_are_refused(deployed: Deployed) -> None:
    def decode(raw: bytes) -> object:
        return decode_signed(raw, chain_id=deployed.chain.chain_id, registry=deployed.registry.address)

    with refused("malformed-transaction", "not a signed Ethereum transaction"):
        decode(b"\xde\xad\xbe\xef")
    with refused("malformed-transaction", "not a signed Ethereum transaction"):
        decode(b"\x02\xc0")
    with refused("malformed-transaction", "type 3 is not relayed"):
        decode(b"\x03" + b"\x00" * 40)
    with refused("malformed-transaction", f"over {MAX_RAW_BYTES} bytes"):
        decode(b"\x02" * (MAX_RAW_BYTES + 1))


def test_a_legacy_transaction_without_a_chain_id_is_refused(deployed: Deployed) -> None:
    regulator = dev_account("regulator").account
    fields: dict[str, Any] = {"nonce": 0, "gas": 100_000, "gasPrice": 10**9, "value": 0, "data": b""}
    fields["to"] = deployed.registry.address
    unprotected = regulator.sign_transaction(fields)
    with refused("malformed-transaction", "pre-EIP-155"):
        relay(deployed.registry, bytes(unprotected.raw_transaction))


def test_another_chain_id_is_refused(deployed: Deployed) -> None:
    raw = sign(
        deployed, dev_account("regulator").account, deployed.registry.encode("suspendRecognition", 1, 1), chainId=1
    )
    with refused("wrong-chain", f"signed for chain 1; the registry is on chain {deployed.chain.chain_id}"):
        relay(deployed.registry, raw)


def test_another_target_is_refused(deployed: Deployed) -> None:
    regulator = dev_account("regulator").account
    data = deployed.registry.encode("suspendRecognition", 1, 1)
    elsewhere = dev_account("stranger").address
    with refused("wrong-target", f"calls {elsewhere}, not the registry at {deployed.registry.address}"):
        relay(deployed.registry, sign(deployed, regulator, data, to=elsewhere))
    with refused("wrong-target", "creates a contract"):
        relay(deployed.registry, sign(deployed, regulator, data, to=None))


def test_ether_is_refused(deployed: Deployed) -> None:
    data = deployed.registry.encode("suspendRecognition", 1, 1)
    with refused("value-not-allowed"):
        relay(deployed.registry, sign(deployed, dev_account("regulator").account, data, value=1))


def test_functions_that_are_not_an_authoritys_are_refused(deployed: Deployed) -> None:
    anchorer = dev_account("anchorer").account
    anchor = deployed.registry.encode("anchorRoot", b"\x01" * 32, 3)
    with refused("function-not-relayed", "anchorRoot is not an authority's function; the platform relays only"):
        relay(deployed.registry, sign(deployed, anchorer, anchor, gas=ANCHOR_GAS))
    grant = deployed.registry.encode("grantRole", ROLE_ANCHORER, dev_account("stranger").address)
    with refused("function-not-relayed", "grantRole"):
        relay(deployed.registry, sign(deployed, dev_account("regulator").account, grant))
    unknown = function_signature_to_4byte_selector("transfer(address,uint256)") + bytes(64)
    with refused("unknown-function", "selector 0xa9059cbb is no function of the registry"):
        relay(deployed.registry, sign(deployed, dev_account("regulator").account, unknown))
    assert deployed.registry.anchor_count() == 0


def test_malformed_call_data_is_refused(deployed: Deployed) -> None:
    data = deployed.registry.encode("suspendRecognition", 1, 1)
    with refused("malformed-call-data", "do not decode"):
        decode_call(data[:20])
    with refused("malformed-call-data", "not canonically encoded"):
        decode_call(data + b"\x00" * 32)
    selector = data[:4]
    with refused("malformed-call-data"):  # a uint16 argument above 65535
        decode_call(selector + abi_encode(["uint256", "uint256"], [1, 70_000]))
    with refused("unknown-function"):
        decode_call(b"\x01\x02")


def test_a_sender_without_the_role_is_refused(deployed: Deployed) -> None:
    registry, stranger = deployed.registry, dev_account("stranger")
    rid = issue(deployed)
    with refused("not-authorised", f"{stranger.address} does not hold the regulator's role, which registerCertifier"):
        send(registry, stranger.private_key, "register-certifier", {"certifier": stranger.address, "level": 3})
    with refused("not-authorised", "is not a registered certifier"):
        send(registry, stranger.private_key, "issue", factory_args(deployed))
    with refused("not-authorised", f"neither the issuer of recognition {rid}"):
        send(registry, stranger.private_key, "revoke", {"id": rid, "reason": 2})
    with refused("not-authorised", "is neither the issuer"):  # another certifier is not the issuer either
        send(registry, key("national-certifier"), "suspend", {"id": rid, "reason": 1})
    with refused("not-authorised", "regulator's role, which recordSpotCheck needs"):
        send(registry, key("provincial-certifier"), "spot-check", {"id": rid, "passed": True, "reportHash": EVIDENCE})
    with refused("unknown-recognition", "there is no recognition 99"):
        send(registry, key("regulator"), "suspend", {"id": 99, "reason": 1})
    assert registry.recognition(rid).status is RecognitionStatus.ACTIVE


def test_a_certifier_above_its_level_is_refused_with_the_levels(deployed: Deployed) -> None:
    certifier = dev_account("provincial-certifier")
    with refused("level-above-certifier", r"up to level 2 \(provincial\); this recognition is level 3 \(national\)"):
        send(deployed.registry, certifier.private_key, "issue", factory_args(deployed, level="national"))
    with refused("level-above-certifier") as caught:
        prepare(deployed.registry, certifier.address, "issue", factory_args(deployed, level=3))
    assert caught.value.details == {"sender": certifier.address, "allowed": 2, "requested": 3}
    # signed by hand, past the preparation: the relay refuses it the same way
    data = deployed.registry.encode("issueRecognition", *encode_args("issue", factory_args(deployed, level=3)))
    with refused("level-above-certifier"):
        relay(deployed.registry, sign(deployed, certifier.account, data))
    assert issue(deployed, "national-certifier", level="national", grade="a+") == 1


def test_nonces_fees_gas_and_funds_are_checked(deployed: Deployed) -> None:
    regulator = dev_account("regulator").account
    rid = issue(deployed)
    data = deployed.registry.encode("suspendRecognition", rid, 1)
    used = deployed.chain.w3.eth.get_transaction_count(regulator.address) - 1
    with refused("nonce-mismatch", f"nonce {used} of {regulator.address} is already used: its next nonce is"):
        relay(deployed.registry, sign(deployed, regulator, data, nonce=used))
    with refused("nonce-mismatch", "leaves a gap"):
        relay(deployed.registry, sign(deployed, regulator, data, nonce=used + 5))
    with refused("fee-too-low", "below the base fee"):
        relay(deployed.registry, sign(deployed, regulator, data, maxFeePerGas=1, maxPriorityFeePerGas=1))
    with refused("gas-too-low", "the gas limit 25000 is below"):
        relay(deployed.registry, sign(deployed, regulator, data, gas=25_000))
    poor = Account.from_key("0x" + "7a" * 32)  # a certifier with no ether
    send(deployed.registry, key("regulator"), "register-certifier", {"certifier": poor.address, "level": 2})
    issue_data = deployed.registry.encode("issueRecognition", *encode_args("issue", factory_args(deployed)))
    with refused("insufficient-funds", f"{poor.address} holds 0 wei"):
        relay(deployed.registry, sign(deployed, poor, issue_data))
    assert deployed.registry.recognition(rid).status is RecognitionStatus.ACTIVE


def test_what_the_registry_would_refuse_is_refused_by_the_dry_run(deployed: Deployed) -> None:
    rid = issue(deployed)
    send(deployed.registry, key("regulator"), "revoke", {"id": rid, "reason": "data-falsified"})
    regulator = dev_account("regulator").address
    nonce = deployed.chain.w3.eth.get_transaction_count(regulator)  # type: ignore[arg-type]
    with pytest.raises(RegistryStateError) as caught:
        send(deployed.registry, key("regulator"), "reinstate", {"id": rid, "reason": "rectified"})
    assert caught.value.name == "RegistryInvalidRecognitionStatus" and caught.value.tx_hash is None
    assert explain(caught.value) == (
        f"RegistryInvalidRecognitionStatus: recognition {rid} is revoked: this change is not allowed now"
    )
    assert deployed.chain.w3.eth.get_transaction_count(regulator) == nonce  # type: ignore[arg-type] # nothing sent
    past = deployed.chain.block_timestamp() - 10
    with pytest.raises(RegistryError, match="RegistryInvalidValidity"):
        send(deployed.registry, key("provincial-certifier"), "issue", factory_args(deployed, validUntil=past))
    with pytest.raises(RegistryError) as grade:
        send(deployed.registry, key("provincial-certifier"), "issue", factory_args(deployed, grade="a"))
    assert explain(grade.value).endswith("a grade (B, A, A+) is given only to national green factories")
    data = deployed.registry.encode("suspendRecognition", issue(deployed), 0)  # encode_args refuses reason 0
    with pytest.raises(RegistryError) as reason:
        relay(deployed.registry, sign(deployed, dev_account("regulator").account, data))
    assert explain(reason.value) == "RegistryMissingReason: a reason code is required"


def test_explain_names_the_registry_errors_in_words(deployed: Deployed) -> None:
    writer = deployed.writer("provincial-certifier")
    terms = ev.RecognitionTerms(
        SUPPLIER,
        RecognitionKind.GREEN_FACTORY,
        Level.NATIONAL,
        Grade.NONE,
        Scope.FACILITY,
        FACILITY,
        "GB/T 36132-2018",
        deployed.chain.block_timestamp(),
        None,
        b"\x01" * 32,
    )
    with pytest.raises(RegistryPermissionError) as caught:
        writer.issue_recognition(terms)
    assert explain(caught.value) == (
        f"RegistryLevelAboveCertifier: certifier {writer.address} may grant up to level 2 (provincial); "
        "the recognition asks for level 3 (national)"
    )
    with pytest.raises(RegistryPermissionError) as denied:
        deployed.writer("stranger").record_spot_check(1, passed=True, report_hash=b"\x01" * 32)
    assert explain(denied.value).endswith("does not hold REGULATOR_ROLE")
    with pytest.raises(RegistryError) as unknown:
        deployed.writer("regulator").record_spot_check(42, passed=True, report_hash=b"\x01" * 32)
    assert explain(unknown.value) == "RegistryUnknownRecognition: there is no recognition 42"
    with pytest.raises(RegistryError) as org:
        writer.issue_recognition(dataclasses.replace(terms, holder="6901234000054", level=Level.CITY))
    assert explain(org.value) == "RegistryUnknownOrganisation: organisation 6901234000054 is not registered"
    assert explain(RegistryError("SomethingNew", {"x": 1})) == "SomethingNew(x=1)"


# --- arguments as JSON ---


def test_arguments_round_trip_between_json_and_abi(deployed: Deployed) -> None:
    cases = {
        "registerCertifier": {"certifier": dev_account("stranger").address, "level": "national"},
        "removeCertifier": {"certifier": dev_account("stranger").address},
        "issueRecognition": {
            **factory_args(deployed, kind="green-design-product", subject=GTIN, level="national"),
            "grade": "none",
            "scope": "product",
            "standardRef": "GB/T 32161-2015",
        },
        "suspendRecognition": {"id": 3, "reason": "safety-incident"},
        "reinstateRecognition": {"id": 3, "reason": 4242},  # a local code above 12
        "revokeRecognition": {"id": 3, "reason": "dissolved"},
        "recordSpotCheck": {"id": 3, "passed": False, "reportHash": EVIDENCE},
        "registerOrganisation": {
            "organisation": "91320200MA1MX7K3GD",
            "roles": ["manufacturer", "supplier"],
            "profileHash": EVIDENCE,
            "profileUri": "https://example.cn/profile.json",
        },
        "suspendOrganisation": {"organisation": "6901234000986", "reason": "refused-to-report"},
        "reinstateOrganisation": {"organisation": "6901234000986", "reason": "rectified"},
        "addKey": {"organisation": "6901234000986", "key": "0x" + "ab" * 32},
        "revokeKey": {"key": "0x" + "ab" * 32, "reason": "key-compromised"},
        "registerRegistrar": {"registrar": dev_account("gs1-registrar").address},
        "removeRegistrar": {"registrar": dev_account("gs1-registrar").address},
        "assignPrefix": {"prefix": "0690123", "organisation": SUPPLIER, "validUntil": 1861920000},
        "transferPrefix": {"prefix": "690123456789", "to": "6901234000986"},
        "revokePrefix": {"prefix": "6901", "reason": "licence-lapsed"},
        "renewPrefix": {"prefix": "6901", "validUntil": 1861920000},
        "delegateGtins": {
            "gtin": GTIN,
            "lastGtin": "06901234000207",
            "delegate": SUPPLIER,
            "validFrom": 1767225600,
            "validUntil": None,
            "requestHash": EVIDENCE,
        },
        "revokeDelegation": {"id": 2, "reason": "contract-ended"},
    }
    assert set(cases) == set(AUTHORITY_FUNCTIONS)
    for function, args in cases.items():
        values = encode_args(function, args)
        assert decode_args(function, values) == args, function
        name, decoded = decode_call(deployed.registry.encode(function, *values))
        assert (name, decode_args(name, decoded)) == (function, args)


def test_issue_arguments_fill_in_their_defaults(deployed: Deployed) -> None:
    supply_chain = decode_args(
        "issue", encode_args("issue", factory_args(deployed, kind=4, subject=None, validUntil=None))
    )
    assert (supply_chain["scope"], supply_chain["subject"], supply_chain["validUntil"]) == ("enterprise", "", None)
    assert supply_chain["standardRef"] == "GB/T 33635-2017" and supply_chain["kind"] == "green-supply-chain"
    product = decode_args("issue", encode_args("issue", factory_args(deployed, kind="GREEN_PRODUCT", subject=GTIN)))
    assert (product["scope"], product["kind"]) == ("product", "green-design-product")
    dated = encode_args("issue", factory_args(deployed, validFrom="2026-01-01", validUntil="2029-01-01T08:00:00+08:00"))
    assert dated[0][7:9] == (1767225600, 1861920000)


@pytest.mark.parametrize(
    ("changes", "argument", "message"),
    [
        ({"kind": "green-fatory"}, "kind", "not a recognition kind; expected one of: green-factory (1), green-design-"),
        ({"kind": 9}, "kind", "not a recognition kind"),
        ({"level": "county"}, "level", "expected one of: city (1), provincial (2), national (3)"),
        ({"grade": "AA"}, "grade", "none (0), b (1), a (2), a+ (3)"),
        ({"holder": None}, "holder", "missing"),
        ({"holder": "12345"}, "holder", "expected a GLN"),
        ({"holder": 12}, "holder", "not a text"),
        ({"subject": "6901234000048"}, "subject", "check digit"),
        ({"kind": "green-design-product", "subject": "6901234000048"}, "subject", "check digit"),
        ({"kind": "green-design-product", "scope": "facility"}, "scope", "always product-scoped"),
        ({"scope": "product", "subject": GTIN}, "scope", "not a product"),
        ({"scope": "enterprise"}, "subject", "has no subject"),
        ({"scope": "galaxy"}, "scope", "enterprise (0), facility (1), product (2)"),
        ({"kind": "green-park"}, "standardRef", "missing (no default for a green-park)"),
        ({"standardRef": "G" * 33}, "standardRef", "at most 32 fit"),
        ({"evidenceHash": "0x1234"}, "evidenceHash", "SHA-256 of the evidence document"),
        ({"evidenceHash": "0x" + "00" * 32}, "evidenceHash", "the zero hash is not evidence"),
        ({"validFrom": "next tuesday"}, "validFrom", "is not a time"),
        ({"validFrom": True}, "validFrom", "is not a time"),
        ({"validUntil": -5}, "validUntil", "is not a time"),
        ({"colour": "green"}, "colour", "unknown; issueRecognition takes"),
    ],
)
def test_invalid_issue_arguments_are_refused_naming_the_argument(
    deployed: Deployed, changes: dict[str, Any], argument: str, message: str
) -> None:
    args = factory_args(deployed)
    args.update(changes)
    if changes.get("holder", "") is None:
        del args["holder"]
    with refused("invalid-arguments", f"issueRecognition: argument '{argument}': .*{re.escape(message)}") as e:
        encode_args("issue", args)
    assert e.value.details == {"function": "issueRecognition", "argument": argument}


def test_invalid_arguments_of_the_other_functions_are_refused() -> None:
    with refused("invalid-arguments", "argument 'reason': 'sorry' is not a reason code; expected one of: spot-check"):
        encode_args("suspend", {"id": 1, "reason": "sorry"})
    with refused("invalid-arguments", "argument 'reason'"):
        encode_args("suspend", {"id": 1, "reason": 70_000})
    with refused("invalid-arguments", "argument 'id': 0 is not a recognition id"):
        encode_args("revoke", {"id": 0, "reason": 1})
    with refused("invalid-arguments", "argument 'id': True is not a recognition id"):
        encode_args("revoke", {"id": True, "reason": 1})
    with refused("invalid-arguments", "argument 'passed': 'yes' is not true or false"):
        encode_args("spot-check", {"id": 1, "passed": "yes", "reportHash": EVIDENCE})
    with refused("invalid-arguments", "argument 'certifier': '0x1234' is not an account address"):
        encode_args("register-certifier", {"certifier": "0x1234", "level": 1})
    with refused("invalid-arguments", "argument 'certifier': .* has a wrong checksum"):
        encode_args("remove-certifier", {"certifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"})
    with refused("invalid-arguments", "must be a JSON object"):
        encode_args("suspend", [1, 2])  # type: ignore[arg-type]
    with refused("unknown-function", "'anchorRoot' is not an authority's function; known: registerCertifier"):
        authority_function("anchorRoot")


def test_invalid_arguments_of_the_registrars_functions_are_refused() -> None:
    with refused("invalid-arguments", "argument 'prefix': '690' is not a GS1 Company Prefix"):
        encode_args("assign-prefix", {"prefix": "690", "organisation": SUPPLIER})
    with refused("invalid-arguments", "argument 'prefix': 6901234 is not a GS1 Company Prefix"):
        encode_args("revoke-prefix", {"prefix": 6901234, "reason": 13})
    with refused("invalid-arguments", re.escape("argument 'to': missing (the new holder)")):
        encode_args("transfer-prefix", {"prefix": "6901"})
    with refused("invalid-arguments", "argument 'gtin': .*check digit"):
        encode_args("delegate-gtin", {"gtin": "06901234000109", "delegate": SUPPLIER, "requestHash": EVIDENCE})
    with refused("invalid-arguments", "argument 'lastGtin': 6901234000108 is not a GTIN"):
        encode_args(
            "delegate-gtin", {"gtin": GTIN, "lastGtin": 6901234000108, "delegate": SUPPLIER, "requestHash": EVIDENCE}
        )
    with refused("invalid-arguments", "argument 'requestHash': missing"):
        encode_args("delegate-gtin", {"gtin": GTIN, "delegate": SUPPLIER})
    with refused("invalid-arguments", "argument 'id': 0 is not a delegation id"):
        encode_args("revoke-delegation", {"id": 0, "reason": 14})
    assert encode_args("revoke-delegation", {"id": "3", "reason": 14})[0] == 3
    assert encode_args("delegate-gtin", {"gtin": GTIN[1:], "delegate": SUPPLIER, "requestHash": EVIDENCE})[:2] == (
        int(GTIN),
        int(GTIN),
    )


def test_a_registrar_relays_its_calls_and_others_are_refused(deployed: Deployed) -> None:
    registry, registrar = deployed.registry, dev_account("gs1-registrar")
    with refused("not-authorised", f"{registrar.address} is not a GS1 registrar, which assignPrefix needs"):
        send(registry, registrar.private_key, "assign-prefix", {"prefix": "6901234", "organisation": SUPPLIER})
    with refused("not-authorised", "does not hold the regulator's role, which registerRegistrar needs"):
        send(registry, registrar.private_key, "register-registrar", {"registrar": registrar.address})
    added = send(registry, key("regulator"), "register-registrar", {"registrar": registrar.address})
    assert [type(e) for e in added.events] == [ev.RoleGranted]
    assigned = send(registry, registrar.private_key, "assignPrefix", {"prefix": "6901234", "organisation": SUPPLIER})
    assert assigned.outcome() == {"prefix": "6901234", "holder": SUPPLIER, "validUntil": None}
    renewed = send(registry, registrar.private_key, "renew-prefix", {"prefix": "6901234", "validUntil": 4_000_000_000})
    assert renewed.outcome() == {"prefix": "6901234", "holder": SUPPLIER, "validUntil": 4_000_000_000}
    filed = send(
        registry, registrar.private_key, "delegate-gtin", {"gtin": GTIN, "delegate": RETAILER, "requestHash": EVIDENCE}
    )
    assert filed.outcome() == {"delegationId": 1}
    assert send(registry, registrar.private_key, "revoke-delegation", {"id": 1, "reason": 14}).outcome() == {
        "delegationId": 1,
        "revoked": True,
    }
    with refused("not-authorised", "is not a GS1 registrar"):  # a certifier is no registrar either
        send(registry, key("provincial-certifier"), "revoke-prefix", {"prefix": "6901234", "reason": 13})
    with pytest.raises(RegistryError) as overlap:  # the dry run: what the registry would refuse, in words
        send(registry, registrar.private_key, "assign-prefix", {"prefix": "69012345", "organisation": RETAILER})
    assert explain(overlap.value) == ("RegistryPrefixOverlap: prefix 69012345 starts with the live prefix 6901234")
    moved = send(registry, registrar.private_key, "transfer-prefix", {"prefix": "6901234", "to": RETAILER})
    assert moved.outcome() == {"prefix": "6901234", "holder": RETAILER}
    revoked = send(registry, registrar.private_key, "revoke-prefix", {"prefix": "6901234", "reason": "licence-lapsed"})
    assert revoked.outcome() == {"prefix": "6901234", "holder": None}
    assert event_json(revoked.events[0])["reasonName"] == "licence-lapsed"
    removed = send(registry, key("regulator"), "remove-registrar", {"registrar": registrar.address})
    assert [type(e) for e in removed.events] == [ev.RoleRevoked]


@pytest.mark.parametrize(
    ("name", "args", "words"),
    [
        ("RegistryUnknownRegistrar", {"account": "0x" + "ab" * 20}, "is not a GS1 registrar"),
        ("RegistryInvalidPrefix", {"prefix": 123, "length": 3}, "123 of 3 digits is not a GS1 Company Prefix"),
        (
            "RegistryPrefixTaken",
            {"prefix": 690, "length": 4, "holder": SUPPLIER.encode().ljust(32, b"\0")},
            f"prefix 0690 is already held by {SUPPLIER}",
        ),
        (
            "RegistryPrefixExtended",
            {"prefix": 6901, "length": 4, "liveExtensions": 2},
            "prefix 6901 is the start of 2 live longer prefix(es)",
        ),
        ("RegistryPrefixNotHeld", {"prefix": 6901, "length": 4}, "prefix 6901 is not held by anyone now"),
        (
            "RegistryPrefixSameHolder",
            {"prefix": 6901, "length": 4, "orgId": SUPPLIER.encode().ljust(32, b"\0")},
            f"already held by {SUPPLIER}",
        ),
        ("RegistryInvalidGtin", {"gtin": 12}, "12 is not a GTIN-14"),
        ("RegistryGtinNotOwned", {"gtin": int(GTIN)}, f"no company prefix held now covers GTIN {GTIN}"),
        (
            "RegistryInvalidGtinRange",
            {"firstGtin": int(GTIN), "lastGtin": 1},
            f"GTINs {GTIN}..00000000000001 are not an ascending range",
        ),
        ("RegistryInvalidDelegate", {"delegate": SUPPLIER.encode().ljust(32, b"\0")}, "owns these GTINs already"),
        ("RegistryMissingRequest", {}, "the SHA-256 of the owner's signed request is required"),
        ("RegistryUnknownDelegation", {"id": 4}, "there is no delegation 4"),
        ("RegistryDelegationAlreadyRevoked", {"id": 4, "revokedAt": 99}, "delegation 4 was revoked at 99"),
    ],
)
def test_explain_names_the_prefix_errors_in_words(name: str, args: dict[str, Any], words: str) -> None:
    text = explain(RegistryError(name, args))
    assert text.startswith(f"{name}: ") and words in text  # in words, not the bare "Name(args)" fallback


def test_names_and_numbers_of_the_registry_vocabulary() -> None:
    assert parse_kind("Green Factory") is parse_kind(1) is parse_kind("1") is RecognitionKind.GREEN_FACTORY
    assert parse_kind("green-product") is parse_kind("green_design_product") is RecognitionKind.GREEN_PRODUCT
    assert parse_level("NATIONAL") is Level.NATIONAL and parse_grade("A+") is parse_grade("a-plus") is Grade.A_PLUS
    assert parse_reason("spot_check_failed") == ReasonCode.SPOT_CHECK_FAILED and parse_reason("13") == 13
    with pytest.raises(ValueError, match="not a reason code"):
        parse_reason(0)
    assert parse_time("2026-01-01") == parse_time("2026-01-01T00:00:00") == parse_time("1767225600") == 1767225600
    assert parse_time("2026-01-01T08:00:00+08:00") == 1767225600
    assert parse_hash32("0x" + "AB" * 32) == b"\xab" * 32
    with pytest.raises(ValueError, match="is not a hash"):
        parse_hash32("0x" + "zz" * 32)


def test_a_prepared_transaction_is_signed_only_by_its_sender_and_only_for_what_it_says(deployed: Deployed) -> None:
    certifier = dev_account("provincial-certifier")
    prepared = prepare(deployed.registry, certifier.address, "issue", factory_args(deployed))
    with refused("wrong-key", f"prepared for {certifier.address}; the key given is"):
        sign_prepared(key("stranger"), prepared)
    with refused("inconsistent-transaction", "says revoke but its data calls issueRecognition"):
        sign_prepared(certifier.private_key, {**prepared, "function": "revoke"})
    with refused("malformed-transaction", "has no valid data"):
        describe_prepared({k: v for k, v in prepared.items() if k != "data"})
    with refused("malformed-transaction", "cannot sign"):
        sign_prepared(certifier.private_key, {**prepared, "nonce": "many"})
    with refused("invalid-arguments", "from: "):
        prepare(deployed.registry, "certifier", "issue", factory_args(deployed))


def test_events_and_evidence_as_json(deployed: Deployed, tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF evaluation report")
    digest = file_digest(report)
    assert digest == hashlib.sha256(b"%PDF evaluation report").digest()
    rid = issue(deployed, evidenceHash="0x" + digest.hex())
    result = send(deployed.registry, key("regulator"), "suspend", {"id": rid, "reason": 6})
    (event,) = result.events
    assert event_json(event) == {
        "event": "RecognitionSuspended",
        "blockNumber": result.receipt.block_number,
        "logIndex": 0,
        "timestamp": event.timestamp,
        "recognitionId": rid,
        "holder": SUPPLIER,
        "by": dev_account("regulator").address,
        "reason": 6,
        "reasonName": "environmental-incident",
    }
    record = recognition_json(deployed.registry, rid)  # without the history: no "by", no spot-check records
    assert record["evidenceHash"] == "0x" + digest.hex() and "by" not in record["statusHistory"][0]
    assert record["kindZh"] == "绿色工厂" and record["spotChecks"]["records"] == []
