"""The relay of authorities' own signed transactions (``POST /registry/transactions``), its preparation, and
``GET /registry/recognitions/{id}``: every refusal on the in-process chain, the life cycle of recognitions on a real
Hardhat node. The platform signs nothing: the tests sign as the authorities would, with their own keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.api.app import create_app
from backend.api.routes.authority import MAX_BODY_BYTES, RateLimiter
from backend.core.config import Settings
from backend.models import RegistryTx
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.authority import encode_args
from chain.connection import TESTER_URL
from chain.registry import ANCHOR_GAS, Registry
from chain.relay import sign_prepared
from tests.chains import SUPPLIER, Node, cast, start

FACILITY = "6901234000047"
YEAR = 365 * 86_400
EVIDENCE = "0x" + "e1" * 32
PROBLEM = "application/problem+json"

UNLIMITED = RateLimiter(limit=1_000_000)
hardhat = pytest.mark.hardhat
one_node = pytest.mark.xdist_group("authority-hardhat")


def open_platform(data: Path, rpc_url: str) -> Platform:
    """A platform on ``rpc_url`` with the registry deployed and the cast of the tests registered."""
    settings = Settings(
        environment="test", data_dir=data, rpc_url=rpc_url, run_worker=False, registry_refresh_seconds=0
    )
    platform = Platform.open(settings)
    cast(platform.registry.registry.as_signer(dev_account("regulator").account))
    platform.registry.refresh(force=True)
    return platform


@pytest.fixture(scope="module")
def tester(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The service on the in-process chain (shared by the module: the tests add to the chain, never undo)."""
    platform = open_platform(tmp_path_factory.mktemp("tester") / "data", TESTER_URL)
    with TestClient(create_app(platform=platform)) as client:
        client.app.state.relay_limiter = UNLIMITED  # type: ignore[attr-defined] # one client makes every request here
        yield client
    platform.close()


def registry_of(client: TestClient) -> Registry:
    registry: Registry = client.app.state.platform.registry.registry  # type: ignore[attr-defined]
    return registry


def factory_args(registry: Registry, **changes: Any) -> dict[str, Any]:
    now = registry.chain.block_timestamp()
    args = {
        "holder": SUPPLIER,
        "kind": "green-factory",
        "level": "provincial",
        "subject": FACILITY,
        "validFrom": now,
        "validUntil": now + 3 * YEAR,
        "evidenceHash": EVIDENCE,
    }
    args.update(changes)
    return args


def prepare(client: TestClient, role: str, function: str, args: dict[str, Any]) -> Any:
    body = {"from": dev_account(role).address, "function": function, "args": args}
    return client.post("/registry/transactions/prepare", json=body)


def act(client: TestClient, role: str, function: str, args: dict[str, Any]) -> dict[str, Any]:
    """What an authority does: ask for the unsigned transaction, sign it with its own key, hand it to the relay."""
    prepared = prepare(client, role, function, args)
    assert prepared.status_code == 200, prepared.text
    raw = sign_prepared(dev_account(role).private_key, prepared.json())
    answer = client.post("/registry/transactions", json={"rawTransaction": "0x" + raw.hex()})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def hand_signed(registry: Registry, role: str, data: bytes, **fields: Any) -> str:
    """A transaction signed without asking the platform (what a careless or hostile client might post)."""
    account = dev_account(role).account
    w3 = registry.chain.w3
    tx: dict[str, Any] = {
        "chainId": registry.chain.chain_id,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "to": registry.address,
        "value": 0,
        "gas": 400_000,
        "maxFeePerGas": 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + 10**9,
        "maxPriorityFeePerGas": 10**9,
        "data": data,
        **fields,
    }
    return "0x" + bytes(account.sign_transaction({k: v for k, v in tx.items() if v is not None}).raw_transaction).hex()


def problem(response: Any, status: int, code: str, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://supplychain.dev/problems/{code}", body
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return body


def relay_raw(client: TestClient, raw: str) -> Any:
    return client.post("/registry/transactions", json={"rawTransaction": raw})


# --- on the in-process chain ---


def test_relay_an_issue_then_read_it_back_and_find_it_journaled(tester: TestClient) -> None:
    registry = registry_of(tester)
    args = factory_args(registry)
    prepared = prepare(tester, "provincial-certifier", "issue", args)
    assert prepared.status_code == 200
    unsigned = prepared.json()
    assert (unsigned["to"], unsigned["chainId"]) == (registry.address, registry.chain.chain_id)
    assert unsigned["function"] == "issueRecognition" and unsigned["args"]["standardRef"] == "GB/T 36132-2018"
    raw = sign_prepared(dev_account("provincial-certifier").private_key, unsigned)
    answer = relay_raw(tester, "0x" + raw.hex())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rid = body["result"]["recognitionId"]
    assert body["sender"] == dev_account("provincial-certifier").address and not body["alreadyMined"]
    assert body["events"][0]["event"] == "RecognitionIssued" and body["args"] == unsigned["args"]
    again = relay_raw(tester, "0x" + raw.hex())  # the same signed bytes again: answered from the receipt
    assert again.status_code == 200 and again.json()["alreadyMined"] and again.json()["txHash"] == body["txHash"]
    record = tester.get(f"/registry/recognitions/{rid}")
    assert record.status_code == 200
    assert record.json()["status"] == "active" and record.json()["inForce"]
    assert record.json()["evidenceHash"] == EVIDENCE and record.json()["issuer"] == body["sender"]
    platform: Platform = tester.app.state.platform  # type: ignore[attr-defined]
    assert rid in platform.registry.mirror.recognitions  # the mirror took it in at once
    with Session(platform.engine) as session:
        journaled = session.get(RegistryTx, body["txHash"])
    assert journaled is not None and journaled.raw == raw  # kept as the authority signed it, for a dev-chain reset


def test_malformed_bodies_are_refused(tester: TestClient) -> None:
    problem(relay_raw(tester, "02f8"), 422, "malformed-transaction", "0x-prefixed hex")
    problem(relay_raw(tester, "0x02f8zz"), 422, "malformed-transaction", "not hex")
    problem(relay_raw(tester, "0xdeadbeef"), 422, "malformed-transaction", "not a signed Ethereum transaction")
    problem(tester.post("/registry/transactions", content=b"{not json"), 400, "malformed-json")
    missing = problem(tester.post("/registry/transactions", json={"raw": "0x02"}), 422, "invalid-request")
    assert missing["errors"][0]["loc"] == ["rawTransaction"]
    problem(tester.post("/registry/transactions", json={"rawTransaction": "0x02", "x": 1}), 422, "invalid-request")
    problem(tester.post("/registry/transactions", json=["0x02"]), 422, "invalid-request")


def test_bodies_over_the_limit_are_refused(tester: TestClient) -> None:
    big = b'{"rawTransaction": "0x' + b"00" * MAX_BODY_BYTES + b'"}'
    problem(tester.post("/registry/transactions", content=big), 413, "body-too-large", f"at most {MAX_BODY_BYTES}")
    chunks = iter([big[:100_000], big[100_000:]])  # streamed, without a Content-Length
    problem(tester.post("/registry/transactions", content=chunks), 413, "body-too-large", "over 131072 bytes")


def test_requests_are_rate_limited_per_client(tester: TestClient) -> None:
    tester.app.state.relay_limiter = RateLimiter(limit=2, window=60)  # type: ignore[attr-defined]
    try:
        assert relay_raw(tester, "0x01").status_code == 422
        assert prepare(tester, "regulator", "suspend", {"id": 1, "reason": 1}).status_code in (200, 422)
        body = problem(relay_raw(tester, "0x01"), 429, "too-many-requests", "at most 2 relay requests per 60 s")
        assert 1 <= body["retryAfter"] <= 60
    finally:
        tester.app.state.relay_limiter = UNLIMITED  # type: ignore[attr-defined]


def test_transactions_for_another_chain_target_or_function_are_refused(tester: TestClient) -> None:
    registry = registry_of(tester)
    suspend = registry.encode("suspendRecognition", 1, 1)
    body = problem(relay_raw(tester, hand_signed(registry, "regulator", suspend, chainId=1)), 422, "wrong-chain")
    assert (body["chainId"], body["expected"]) == (1, registry.chain.chain_id)
    elsewhere = dev_account("stranger").address
    raw = hand_signed(registry, "regulator", suspend, to=elsewhere)
    problem(relay_raw(tester, raw), 422, "wrong-target", f"calls {elsewhere}, not the registry at {registry.address}")
    anchor = registry.encode("anchorRoot", b"\x07" * 32, 1)
    raw = hand_signed(registry, "anchorer", anchor, gas=ANCHOR_GAS)
    problem(relay_raw(tester, raw), 422, "function-not-relayed", "anchorRoot is not an authority's function")
    raw = hand_signed(registry, "regulator", bytes.fromhex("a9059cbb") + bytes(64))
    problem(relay_raw(tester, raw), 422, "unknown-function", "selector 0xa9059cbb is no function of the registry")
    assert registry.anchor_count() == 0


def test_senders_without_the_role_are_refused_early(tester: TestClient) -> None:
    registry = registry_of(tester)
    stranger = dev_account("stranger").address
    body = problem(
        prepare(tester, "stranger", "register-certifier", {"certifier": stranger, "level": "national"}),
        422,
        "not-authorised",
        f"{stranger} does not hold the regulator's role",
    )
    assert body["needs"] == "regulator" and body["sender"] == stranger
    data = registry.encode("registerCertifier", stranger, 3)
    problem(relay_raw(tester, hand_signed(registry, "stranger", data)), 422, "not-authorised", "regulator's role")
    assert registry.certifier_level(stranger) == 0
    problem(prepare(tester, "stranger", "issue", factory_args(registry)), 422, "not-authorised", "not a registered")
    rid = act(tester, "provincial-certifier", "issue", factory_args(registry))["result"]["recognitionId"]
    problem(
        prepare(tester, "city-certifier", "revoke", {"id": rid, "reason": "data-falsified"}),
        422,
        "not-authorised",
        f"neither the issuer of recognition {rid}",
    )
    problem(prepare(tester, "regulator", "suspend", {"id": 999, "reason": 1}), 422, "unknown-recognition")


def test_a_certifier_above_its_level_is_refused_with_the_levels(tester: TestClient) -> None:
    registry = registry_of(tester)
    body = problem(
        prepare(tester, "city-certifier", "issue", factory_args(registry)),
        422,
        "level-above-certifier",
        "may grant up to level 1 (city); this recognition is level 2 (provincial)",
    )
    assert (body["allowed"], body["requested"]) == (1, 2)
    count = registry.recognition_count()
    data = registry.encode("issueRecognition", *encode_args("issue", factory_args(registry, level="national")))
    raw = hand_signed(registry, "provincial-certifier", data)
    problem(relay_raw(tester, raw), 422, "level-above-certifier", "up to level 2 (provincial)")
    assert registry.recognition_count() == count


def test_invalid_arguments_are_refused_naming_them(tester: TestClient) -> None:
    registry = registry_of(tester)
    body = problem(
        prepare(tester, "provincial-certifier", "issue", factory_args(registry, kind="green-fatory")),
        422,
        "invalid-arguments",
        "argument 'kind': 'green-fatory' is not a recognition kind; expected one of: green-factory (1)",
    )
    assert (body["function"], body["argument"]) == ("issueRecognition", "kind")
    problem(prepare(tester, "regulator", "anchorRoot", {}), 422, "unknown-function", "not an authority's function")
    problem(prepare(tester, "regulator", "suspend", {"id": 1}), 422, "invalid-arguments", "'reason': missing")
    bad_from = tester.post("/registry/transactions/prepare", json={"from": "me", "function": "suspend", "args": {}})
    problem(bad_from, 422, "invalid-arguments", "from: 'me' is not an account address")


def test_what_the_registry_refuses_answers_its_decoded_error(tester: TestClient) -> None:
    registry = registry_of(tester)
    rid = act(tester, "provincial-certifier", "issue", factory_args(registry))["result"]["recognitionId"]
    act(tester, "regulator", "revoke", {"id": rid, "reason": "data-falsified"})
    body = problem(
        prepare(tester, "provincial-certifier", "reinstate", {"id": rid, "reason": "rectified"}),
        409,
        "registry-refused",
        f"RegistryInvalidRecognitionStatus: recognition {rid} is revoked",
    )
    assert body["error"] == "RegistryInvalidRecognitionStatus" and body["arguments"] == {"id": rid, "status": 3}
    raw = hand_signed(registry, "provincial-certifier", registry.encode("reinstateRecognition", rid, 11))
    problem(relay_raw(tester, raw), 409, "registry-refused", "is revoked")
    past = registry.chain.block_timestamp() - 5
    body = problem(
        prepare(tester, "provincial-certifier", "issue", factory_args(registry, validUntil=past)),
        422,
        "registry-refused",
        "RegistryInvalidValidity",
    )
    assert body["error"] == "RegistryInvalidValidity"


def test_nonces_are_checked_before_sending(tester: TestClient) -> None:
    registry = registry_of(tester)
    rid = act(tester, "provincial-certifier", "issue", factory_args(registry))["result"]["recognitionId"]
    data = registry.encode("suspendRecognition", rid, 1)
    nonce = registry.chain.w3.eth.get_transaction_count(dev_account("regulator").address)  # type: ignore[arg-type]
    raw = hand_signed(registry, "regulator", data, nonce=nonce + 3)
    body = problem(relay_raw(tester, raw), 422, "nonce-mismatch", "leaves a gap")
    assert (body["nonce"], body["expected"]) == (nonce + 3, nonce)


def test_get_recognition_refuses_unknown_ids(tester: TestClient) -> None:
    problem(tester.get("/registry/recognitions/424242"), 404, "not-found", "there is no recognition 424242")
    problem(tester.get("/registry/recognitions/0"), 422, "invalid-request")
    problem(tester.get("/registry/recognitions/one"), 422, "invalid-request")


def test_the_routes_are_documented(tester: TestClient) -> None:
    paths = tester.get("/openapi.json").json()["paths"]
    relay_doc = paths["/registry/transactions"]["post"]
    assert relay_doc["summary"] == "Relay an authority's own signed registry transaction"
    assert "anchorRoot" in relay_doc["description"] and "issueRecognition" in relay_doc["description"]
    body = relay_doc["requestBody"]["content"]["application/json"]
    assert "rawTransaction" in body["schema"]["properties"] and body["example"]["rawTransaction"].startswith("0x")
    for status in ("200", "409", "413", "422", "429"):
        content = relay_doc["responses"][status]["content"]
        assert next(iter(content.values()))["example"], status
    prepare_doc = paths["/registry/transactions/prepare"]["post"]
    assert "from" in prepare_doc["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "evidenceHash" in prepare_doc["description"]
    get_doc = paths["/registry/recognitions/{recognition_id}"]["get"]
    assert get_doc["responses"]["200"]["content"]["application/json"]["example"]["spotChecks"]["exempt"] is True
    assert get_doc["responses"]["404"]["content"]["application/problem+json"]["example"]["status"] == 404


# --- the life cycle on a real Hardhat node ---


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start("hardhat", Path(tmp_path_factory.mktemp("hardhat")))


@pytest.fixture(scope="module")
def service(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The service on the Hardhat node; the tests add recognitions and move the clock forward, never back."""
    platform = open_platform(tmp_path_factory.mktemp("platform") / "data", node.url)
    with TestClient(create_app(platform=platform)) as client:
        client.app.state.relay_limiter = UNLIMITED  # type: ignore[attr-defined]
        yield client
    platform.close()


@hardhat
@one_node
def test_hardhat_issue_at_and_above_the_certifiers_level(service: TestClient) -> None:
    registry = registry_of(service)
    at_level = act(service, "provincial-certifier", "issue", factory_args(registry))
    assert at_level["function"] == "issueRecognition" and at_level["blockNumber"] >= 1
    rid = at_level["result"]["recognitionId"]
    assert service.get(f"/registry/recognitions/{rid}").json()["level"] == "provincial"
    problem(
        prepare(service, "provincial-certifier", "issue", factory_args(registry, level="national")),
        422,
        "level-above-certifier",
        "may grant up to level 2 (provincial); this recognition is level 3 (national)",
    )
    national = act(service, "national-certifier", "issue", factory_args(registry, level="national", grade="a+"))
    record = service.get(f"/registry/recognitions/{national['result']['recognitionId']}").json()
    assert (record["level"], record["grade"], record["kindZh"]) == ("national", "a+", "绿色工厂")


@hardhat
@one_node
def test_hardhat_a_recognition_expires_when_its_validity_ends(service: TestClient) -> None:
    registry = registry_of(service)
    now = registry.chain.block_timestamp()
    rid = act(service, "provincial-certifier", "issue", factory_args(registry, validUntil=now + 3600))["result"][
        "recognitionId"
    ]
    before = service.get(f"/registry/recognitions/{rid}").json()
    assert before["inForce"] and not before["expired"]
    registry.chain.increase_time(7200)  # evm_increaseTime + evm_mine
    after = service.get(f"/registry/recognitions/{rid}").json()
    assert not after["inForce"] and after["expired"] and after["status"] == "active"
    assert after["asOf"] >= now + 7200


@hardhat
@one_node
def test_hardhat_suspend_reinstate_and_revoke(service: TestClient) -> None:
    registry = registry_of(service)
    rid = act(service, "provincial-certifier", "issue", factory_args(registry))["result"]["recognitionId"]
    suspended = act(service, "provincial-certifier", "suspend", {"id": rid, "reason": "quality-incident"})
    assert suspended["result"] == {"recognitionId": rid, "status": "suspended"}
    assert suspended["events"][0]["reasonName"] == "quality-incident"
    assert not service.get(f"/registry/recognitions/{rid}").json()["inForce"]
    act(service, "regulator", "reinstate", {"id": rid, "reason": "rectified"})
    assert service.get(f"/registry/recognitions/{rid}").json()["inForce"]
    revoked = act(service, "regulator", "revokeRecognition", {"id": rid, "reason": 2})
    assert revoked["result"]["status"] == "revoked"
    record = service.get(f"/registry/recognitions/{rid}").json()
    assert [(c["status"], c["reasonName"], c["by"]) for c in record["statusHistory"]] == [
        ("suspended", "quality-incident", dev_account("provincial-certifier").address),
        ("active", "rectified", dev_account("regulator").address),
        ("revoked", "data-falsified", dev_account("regulator").address),
    ]
    raw = hand_signed(registry, "provincial-certifier", registry.encode("reinstateRecognition", rid, 11))
    body = problem(relay_raw(service, raw), 409, "registry-refused", f"recognition {rid} is revoked")
    assert body["error"] == "RegistryInvalidRecognitionStatus"


@hardhat
@one_node
def test_hardhat_three_passes_in_a_row_exempt_and_a_failure_ends_it(service: TestClient) -> None:
    registry = registry_of(service)
    rid = act(service, "provincial-certifier", "issue", factory_args(registry))["result"]["recognitionId"]
    check = {"id": rid, "passed": True, "reportHash": "0x" + "5c" * 32}
    outcomes = [act(service, "regulator", "spot-check", check)["result"] for _ in range(3)]
    assert [o["consecutivePasses"] for o in outcomes] == [1, 2, 3] and "exemptUntil" in outcomes[2]
    exempt = service.get(f"/registry/recognitions/{rid}").json()["spotChecks"]
    assert exempt["exempt"] and exempt["exemptUntil"] == outcomes[2]["exemptUntil"]
    assert exempt["exemptUntil"] - exempt["lastCheckedAt"] == 5 * YEAR
    act(service, "regulator", "recordSpotCheck", {**check, "passed": False})
    ended = service.get(f"/registry/recognitions/{rid}").json()["spotChecks"]
    assert not ended["exempt"] and ended["count"] == 4 and ended["consecutivePasses"] == 0
    assert [r["passed"] for r in ended["records"]] == [True, True, True, False]
    assert ended["exemptions"][0]["until"] == ended["records"][3]["timestamp"]


@hardhat
@one_node
def test_hardhat_a_certifier_with_its_own_new_key(service: TestClient) -> None:
    registry = registry_of(service)
    own = Account.from_key("0x" + "c1" * 32)  # a key the platform never sees
    registry.chain.rpc("hardhat_setBalance", own.address, hex(10**20))
    act(service, "regulator", "register-certifier", {"certifier": own.address, "level": "city"})
    args = factory_args(registry, level="city")
    unsigned = service.post(
        "/registry/transactions/prepare", json={"from": own.address, "function": "issue", "args": args}
    )
    raw = "0x" + sign_prepared("0x" + own.key.hex().removeprefix("0x"), unsigned.json()).hex()
    issued = relay_raw(service, raw)
    assert issued.status_code == 200 and issued.json()["sender"] == own.address
    act(service, "regulator", "remove-certifier", {"certifier": own.address})
    removed = service.post(
        "/registry/transactions/prepare", json={"from": own.address, "function": "issue", "args": args}
    )
    problem(removed, 422, "not-authorised", "is not a registered certifier")
