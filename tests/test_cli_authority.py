"""``supplychain authority`` as an authority runs it, against a real Hardhat node: its own keystore, issue at and
above its level, expiry, suspension, reinstatement, revocation, spot checks and the exemption, evidence checks; the
same through the platform's relay over real HTTP; and every refusal with its reason."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from typer.testing import CliRunner, Result

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.devchain import free_port
from chain.relay import prepare
from cli.main import app
from tests.chains import RETAILER, SUPPLIER, Deployed, Node, deploy_cast, start

pytestmark = [pytest.mark.hardhat, pytest.mark.xdist_group("authority-hardhat")]

FACILITY = "6901234000047"
PASSPHRASE = "gr33n-fact0ry"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start("hardhat", Path(tmp_path_factory.mktemp("hardhat")))


@pytest.fixture(scope="module")
def deployed(node: Node) -> Deployed:
    return deploy_cast(node.url)


@pytest.fixture(scope="module")
def data(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the deployment record, as the platform keeps it."""
    folder = tmp_path_factory.mktemp("data")
    deployed.deployment.save(folder / "deployment.json")
    return folder


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("documents")
    report = folder / "evaluation-report.pdf"
    report.write_bytes(b"%PDF-1.7 green factory evaluation, GB/T 36132-2018, 81/100")
    spot = folder / "spot-check.pdf"
    spot.write_bytes(b"%PDF-1.7 unannounced spot check: passed")
    return {"report": report, "spot": spot}


NO_PASSPHRASE: dict[str, str | None] = {"SUPPLYCHAIN_KEY_PASSPHRASE": None}


def cli(*args: str, env: Mapping[str, str | None] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["authority", *args], env=env, input=stdin)


def ok(result: Result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}{result.exception!r}"
    return result.stdout


def refused(result: Result, *fragments: str) -> str:
    assert result.exit_code == 1, f"exit {result.exit_code}: {result.output}"
    assert result.stderr.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


def on(node: Node, data: Path) -> list[str]:
    return ["--rpc", node.url, "--data-dir", str(data)]


def issue_args(files: dict[str, Path], level: str = "provincial", *more: str) -> list[str]:
    return [
        "issue",
        "--holder",
        SUPPLIER,
        "--kind",
        "green-factory",
        "--level",
        level,
        "--subject",
        FACILITY,
        "--evidence",
        str(files["report"]),
        *more,
    ]


def issue(node: Node, data: Path, files: dict[str, Path], *more: str) -> int:
    out = ok(cli(*issue_args(files), "--dev-account", "provincial-certifier", "--json", *more, *on(node, data)))
    result = json.loads(out)
    rid: int = result["result"]["recognitionId"]
    return rid


def show(node: Node, data: Path, rid: int) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(ok(cli("show", str(rid), "--json", *on(node, data))))
    return record


def test_a_certifier_with_its_own_keystore(
    node: Node, deployed: Deployed, data: Path, files: dict[str, Path], tmp_path: Path
) -> None:
    keystore = tmp_path / "certifier.json"
    prompted = cli("keyfile", "--out", str(keystore), stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n", env=NO_PASSPHRASE)
    address = ok(prompted).strip().splitlines()[-1]
    assert address.startswith("0x") and len(address) == 42
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o600
    refused(cli("keyfile", "--out", str(keystore)), "already exists; refusing to overwrite it")
    registered = ok(
        cli("register-certifier", address, "--level", "city", "--dev-account", "regulator", *on(node, data))
    )
    assert "event: CertifierLevelChanged" in registered and "level: 1" in registered
    assert f"certifier: {address}" in registered
    deployed.chain.rpc("hardhat_setBalance", address, hex(10**20))  # as a real network's treasury would fund it
    keyed = ["--key-file", str(keystore), "--passphrase-env", "CERTIFIER_PASSPHRASE"]
    env = {"CERTIFIER_PASSPHRASE": PASSPHRASE}
    issued = json.loads(ok(cli(*issue_args(files, "city"), *keyed, "--json", *on(node, data), env=env)))
    assert issued["sender"] == address and issued["args"]["level"] == "city"
    report_hash = "0x" + hashlib.sha256(files["report"].read_bytes()).hexdigest()
    assert issued["args"]["evidenceHash"] == report_hash
    assert issued["notes"]["evidenceHash"].startswith(report_hash)
    refused(
        cli(*issue_args(files, "provincial"), *keyed, *on(node, data), env=env),
        "refused (level-above-certifier)",
        f"certifier {address} may grant up to level 1 (city); this recognition is level 2 (provincial)",
    )
    refused(
        cli(*issue_args(files, "city"), *keyed, *on(node, data), env={"CERTIFIER_PASSPHRASE": "wrong"}),
        "cannot decrypt keystore",
        "wrong passphrase",
    )
    ok(cli("remove-certifier", address, "--dev-account", "regulator", *on(node, data)))
    refused(
        cli(*issue_args(files, "city"), *keyed, *on(node, data), env=env),
        "refused (not-authorised)",
        f"{address} is not a registered certifier",
    )


def test_issue_prints_the_transaction_the_block_and_the_new_id(node: Node, data: Path, files: dict[str, Path]) -> None:
    out = ok(cli(*issue_args(files), "--dev-account", "provincial-certifier", *on(node, data)))
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["transaction"].startswith("0x") and len(lines["transaction"]) == 66
    assert int(lines["block"]) >= 1
    assert lines["function"] == f"issueRecognition from {dev_account('provincial-certifier').address}"
    assert lines["event"].startswith("RecognitionIssued ")
    rid = int(lines["recognitionId"])
    sha = hashlib.sha256(files["report"].read_bytes()).hexdigest()
    assert lines["evidenceHash"] == f"0x{sha} (sha256 of {files['report']})"
    record = show(node, data, rid)
    assert (record["holder"], record["subject"], record["standardRef"]) == (SUPPLIER, FACILITY, "GB/T 36132-2018")
    assert record["validUntil"] is None and record["inForce"]


def test_a_recognition_expires_when_its_validity_ends(
    node: Node, deployed: Deployed, data: Path, files: dict[str, Path]
) -> None:
    now = deployed.chain.block_timestamp()
    rid = issue(node, data, files, "--valid-until", str(now + 3600))
    assert "in force now: yes" in ok(cli("show", str(rid), *on(node, data)))
    deployed.chain.increase_time(7200)  # evm_increaseTime + evm_mine: the validity ends
    text = ok(cli("show", str(rid), *on(node, data)))
    assert "(expired)" in text and "in force now: no" in text and "status: in force since" in text
    record = show(node, data, rid)
    assert record["expired"] and not record["inForce"]


def test_suspend_reinstate_and_revoke(node: Node, data: Path, files: dict[str, Path]) -> None:
    rid = issue(node, data, files)
    as_issuer = ["--dev-account", "provincial-certifier", *on(node, data)]
    as_regulator = ["--dev-account", "regulator", *on(node, data)]
    suspended = ok(cli("suspend", str(rid), "--reason", "environmental-incident", *as_issuer))
    assert "status: suspended" in suspended and "reasonName=environmental-incident" in suspended
    assert show(node, data, rid)["status"] == "suspended"
    assert "status: active" in ok(cli("reinstate", str(rid), *as_issuer))  # reason: rectified by default
    assert "status: revoked" in ok(cli("revoke", str(rid), "--reason", "2", *as_regulator))
    refused(
        cli("reinstate", str(rid), *as_issuer),
        f"the registry refused it: RegistryInvalidRecognitionStatus: recognition {rid} is revoked",
    )
    text = ok(cli("show", str(rid), *on(node, data)))
    assert "environmental incident) by " + dev_account("provincial-certifier").address in text
    assert "revoked (data falsified) by " + dev_account("regulator").address in text
    chinese = ok(cli("show", str(rid), *on(node, data), env={"LC_ALL": "zh_CN.UTF-8"}))
    assert "撤销（摘牌），原因：弄虚作假，操作方 " + dev_account("regulator").address in chinese
    assert f"认定 {rid}：绿色工厂，省级，设施 {FACILITY}" in chinese
    refused_in_chinese = cli("reinstate", str(rid), *as_issuer, env={"LC_ALL": "zh_CN.UTF-8"})
    assert refused_in_chinese.exit_code == 1
    assert refused_in_chinese.stderr.startswith(
        f"错误：注册合约拒绝了：RegistryInvalidRecognitionStatus: recognition {rid}"
    )
    refused(cli("suspend", str(rid), "--reason", "sorry", *as_issuer), "'sorry' is not a reason code")
    refused(
        cli("suspend", str(rid), "--reason", "1", "--dev-account", "stranger", *on(node, data)),
        "refused (not-authorised)",
        f"neither the issuer of recognition {rid}",
    )


def test_three_passed_spot_checks_exempt_and_a_failure_ends_it(node: Node, data: Path, files: dict[str, Path]) -> None:
    rid = issue(node, data, files)
    check = ["spot-check", str(rid), "--report", str(files["spot"]), "--dev-account", "regulator", *on(node, data)]
    for _ in range(2):
        assert "exemptUntil" not in ok(cli(*check, "--passed"))
    third = ok(cli(*check, "--passed"))
    assert "consecutivePasses: 3" in third and "exemptUntil: " in third
    assert f"reportHash: 0x{hashlib.sha256(files['spot'].read_bytes()).hexdigest()}" in third
    assert "exempt until" in ok(cli("show", str(rid), *on(node, data)))
    failed = ok(cli(*check, "--failed"))
    assert "passed: False" in failed and "consecutivePasses: 0" in failed
    record = show(node, data, rid)["spotChecks"]
    assert not record["exempt"] and [c["passed"] for c in record["records"]] == [True, True, True, False]
    refused(
        cli(
            "spot-check",
            str(rid),
            "--report",
            str(files["spot"]),
            "--passed",
            "--dev-account",
            "provincial-certifier",
            *on(node, data),
        ),
        "refused (not-authorised)",
        "regulator's role, which recordSpotCheck needs",
    )


def test_evidence_check(node: Node, data: Path, files: dict[str, Path], tmp_path: Path) -> None:
    rid = issue(node, data, files)
    assert "matches the evidence of recognition" in ok(
        cli("evidence-check", str(rid), str(files["report"]), *on(node, data))
    )
    tampered = tmp_path / "report.pdf"
    tampered.write_bytes(files["report"].read_bytes().replace(b"81/100", b"91/100"))
    refused(
        cli("evidence-check", str(rid), str(tampered), *on(node, data)),
        f"does not match recognition {rid}: its sha256 is 0x{hashlib.sha256(tampered.read_bytes()).hexdigest()}",
    )
    refused(
        cli("evidence-check", str(rid), str(tmp_path / "gone.pdf"), *on(node, data)), "cannot read the evidence file"
    )


def test_bad_input_is_refused_with_a_reason(node: Node, data: Path, files: dict[str, Path], tmp_path: Path) -> None:
    dev = ["--dev-account", "provincial-certifier", *on(node, data)]
    refused(
        cli(*issue_args(files)[:-2], "--evidence", str(tmp_path / "missing.pdf"), *dev), "cannot read the evidence file"
    )
    refused(cli(*issue_args(files), "--kind", "green-fatory", *dev), "'green-fatory' is not a recognition kind")
    refused(cli(*issue_args(files), "--valid-until", "someday", *dev), "'someday' is not a time")
    refused(cli(*issue_args(files), "--scope", "product", *dev), "not a product")
    refused(
        cli(*issue_args(files), "--dev-account", "auditor", *on(node, data)),
        "no development account for role 'auditor'",
    )
    refused(cli(*issue_args(files), *on(node, data)), "give exactly one of")
    refused(cli(*issue_args(files), "--dev-account", "regulator", "--key-env", "K", *on(node, data)), "exactly one")
    refused(cli(*issue_args(files), "--key-file", str(tmp_path / "none.json"), *on(node, data)), "does not exist")
    refused(
        cli(*issue_args(files), "--key-env", "UNSET_KEY_VARIABLE", *on(node, data)), "UNSET_KEY_VARIABLE is not set"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(cli(*issue_args(files), *dev[:2], "--rpc", node.url, "--data-dir", str(empty)), "deploy the registry first")
    refused(
        cli("show", "1", "--rpc", node.url, "--registry", dev_account("stranger").address),
        f"no code at {dev_account('stranger').address}",
    )
    refused(cli("show", "424242", *on(node, data)), "there is no recognition 424242")
    keystore = tmp_path / "k.json"
    empty_passphrase = {"SUPPLYCHAIN_KEY_PASSPHRASE": ""}
    refused(cli("keyfile", "--out", str(keystore), env=empty_passphrase), "empty passphrase would leave the key")
    refused(cli("keyfile", "--out", str(keystore), "--dev-account", "auditor"), "no development account")
    assert not keystore.exists()


def test_sign_tx_signs_offline_for_the_relay(
    node: Node, deployed: Deployed, data: Path, files: dict[str, Path], tmp_path: Path
) -> None:
    rid = issue(node, data, files)
    signed = cli(
        "sign-tx",
        "suspend",
        "--args",
        json.dumps({"id": rid, "reason": "refused-to-report"}),
        "--dev-account",
        "regulator",
        *on(node, data),
    )
    raw = ok(signed).strip()
    assert raw.startswith("0x02") and f'signed suspendRecognition({{"id": {rid}, "reason": "refused-to-report"}})' in (
        signed.stderr
    )
    assert show(node, data, rid)["status"] == "active"  # signed, not sent
    unsigned = prepare(deployed.registry, dev_account("regulator").address, "revoke", {"id": rid, "reason": 2})
    prepared = tmp_path / "prepared.json"
    prepared.write_text(json.dumps(unsigned), encoding="utf-8")
    env = {"REGULATOR_KEY": dev_account("regulator").private_key}
    offline = ok(
        cli(
            "sign-tx", "--prepared", str(prepared), "--key-env", "REGULATOR_KEY", "--out", str(tmp_path / "tx"), env=env
        )
    )
    assert offline == "" and (tmp_path / "tx").read_text(encoding="ascii").startswith("0x02")
    refused(
        cli("sign-tx", "--prepared", str(prepared), "--key-env", "K", env={"K": dev_account("stranger").private_key}),
        "refused (wrong-key)",
    )
    elsewhere = tmp_path / "mainnet.json"
    elsewhere.write_text(json.dumps({**unsigned, "chainId": 1}), encoding="utf-8")
    refused(cli("sign-tx", "--prepared", str(elsewhere), "--dev-account", "regulator"), "for local dev chains only")
    refused(cli("sign-tx", "--dev-account", "regulator"), "give either a FUNCTION (with --args) or --prepared FILE")
    refused(
        cli("sign-tx", "suspend", "--args", "{id: 1}", "--dev-account", "regulator", *on(node, data)),
        "--args is not JSON",
    )


# --- through the platform's relay, over real HTTP ---


def serve(application: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def platform_url(node: Node, data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform on the same node and registry, serving HTTP (its data folder: its own, with the same record)."""
    folder = tmp_path_factory.mktemp("platform")
    (folder / "deployment.json").write_bytes((data / "deployment.json").read_bytes())
    settings = Settings(
        environment="test", data_dir=folder, rpc_url=node.url, run_worker=False, registry_refresh_seconds=0
    )
    platform = Platform.open(settings)
    server, thread, url = serve(create_app(platform=platform))
    yield url
    server.should_exit = True
    thread.join(timeout=10)
    platform.close()


def test_through_the_platforms_relay(
    node: Node, data: Path, files: dict[str, Path], platform_url: str, tmp_path: Path
) -> None:
    relay = ["--platform", platform_url]
    issued = json.loads(ok(cli(*issue_args(files), "--dev-account", "provincial-certifier", "--json", *relay)))
    rid = issued["result"]["recognitionId"]
    assert issued["sender"] == dev_account("provincial-certifier").address and not issued["alreadyMined"]
    suspended = ok(cli("suspend", str(rid), "--reason", "safety-incident", "--dev-account", "regulator", *relay))
    assert "status: suspended" in suspended
    assert "status: suspended" in ok(cli("show", str(rid), *relay))
    assert show(node, data, rid)["status"] == "suspended"  # the node agrees: it went on chain
    ok(cli("evidence-check", str(rid), str(files["report"]), *relay))
    refused(
        cli(*issue_args(files, "national"), "--dev-account", "provincial-certifier", *relay),
        "the platform refused it: 422 level-above-certifier: certifier",
    )
    refused(cli("show", "424242", *relay), "the platform refused it: 404 not-found")
    refused(cli("show", "1", "--platform", "http://127.0.0.1:1"), "the platform cannot be reached")
    args = json.dumps({"id": rid, "reason": "rectified"})
    signed = ok(cli("sign-tx", "reinstate", "--args", args, "--dev-account", "provincial-certifier", *relay)).strip()
    answer = httpx.post(f"{platform_url}/registry/transactions", json={"rawTransaction": signed}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == {"recognitionId": rid, "status": "active"}


@pytest.fixture(scope="module")
def hostile_url(platform_url: str) -> Iterator[str]:
    """A platform that prepares another call than the one asked for (it still cannot sign: the key is not there)."""
    hostile = FastAPI()

    @hostile.post("/registry/transactions/prepare")
    async def swapped(request: Request) -> Any:
        body = await request.json()
        body["args"] = {**body["args"], "id": body["args"]["id"] + 1}
        return httpx.post(f"{platform_url}/registry/transactions/prepare", json=body, timeout=30).json()

    server, thread, url = serve(hostile)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_a_transaction_prepared_for_another_call_is_not_signed(
    node: Node, data: Path, files: dict[str, Path], hostile_url: str
) -> None:
    rid = issue(node, data, files)
    issue(node, data, files)  # rid + 1 exists too
    refused(
        cli("revoke", str(rid), "--reason", "2", "--dev-account", "regulator", "--platform", hostile_url),
        "refused (inconsistent-transaction): the platform prepared revokeRecognition",
    )
    assert show(node, data, rid + 1)["status"] == "active"


def test_the_regulator_registers_suspends_and_reinstates_organisations_and_their_keys(
    node: Node, data: Path, deployed: Deployed, tmp_path: Path
) -> None:
    registry, org = deployed.registry, "6901234000993"
    profile = tmp_path / "profile.json"
    profile.write_bytes(b'{"name": {"zh-CN": "\\u7eff\\u8272\\u5305\\u88c5\\u5382"}}')
    regulator = [*on(node, data), "--dev-account", "regulator"]
    out = ok(cli("register-organisation", org, "--roles", "supplier,logistics", "--profile", str(profile), *regulator))
    assert "registerOrganisation" in out and "OrganisationRegistered" in out
    info = registry.organisation(org)
    assert info.roles.names() == ["supplier", "logistics"]
    assert info.profile_hash == hashlib.sha256(profile.read_bytes()).digest()
    key = "0x" + "ab" * 32
    assert "KeyAdded" in ok(cli("add-key", org, key, *regulator))
    assert registry.is_key_valid_at(bytes.fromhex("ab" * 32), org, registry.chain.block_timestamp())
    assert "OrganisationSuspended" in ok(cli("suspend-organisation", org, "--reason", "refused-to-report", *regulator))
    assert registry.organisation(org).suspended
    assert "OrganisationReinstated" in ok(cli("reinstate-organisation", org, *regulator))
    assert not registry.organisation(org).suspended
    assert "KeyRevoked" in ok(cli("revoke-key", key, "--reason", "key-compromised", *regulator))
    assert not registry.is_key_valid_at(bytes.fromhex("ab" * 32), org, registry.chain.block_timestamp() + 1)
    # refusals, before anything is sent: a certifier is not the regulator; malformed arguments are named
    certifier = [*on(node, data), "--dev-account", "provincial-certifier"]
    refused(cli("suspend-organisation", org, "--reason", "1", *certifier), "regulator")
    refused(cli("register-organisation", "6901234000986", "--roles", "farmer", *regulator), "roles", "farmer")
    refused(cli("register-organisation", "6901234000995", "--roles", "supplier", *regulator), "organisation")
    refused(cli("add-key", org, "0x1234", *regulator), "key")


# --- GS1 registrars: company prefixes and GTIN delegations ---


def test_the_registrar_assigns_transfers_revokes_prefixes_and_files_delegations(
    node: Node, data: Path, deployed: Deployed, tmp_path: Path
) -> None:
    registry, prefix, gtin = deployed.registry, "6907777", "06907777000018"
    registrar_account = dev_account("gs1-registrar").address
    regulator = [*on(node, data), "--dev-account", "regulator"]
    registrar = [*on(node, data), "--dev-account", "gs1-registrar"]
    refused(cli("assign-prefix", prefix, SUPPLIER, *registrar), "is not a GS1 registrar", "regulator registers")
    assert "RoleGranted" in ok(cli("register-registrar", registrar_account, *regulator))
    out = ok(cli("assign-prefix", prefix, SUPPLIER, "--valid-until", "2099-01-01", *registrar))
    assert (
        "event: PrefixAssigned" in out and f"prefix={prefix} orgId={SUPPLIER}" in out and "validUntil=4070908800" in out
    )
    now = registry.chain.block_timestamp()
    assert registry.gtin_owner_at(gtin, now).org_id == SUPPLIER  # type: ignore[union-attr]
    refused(
        cli("assign-prefix", "69077770", RETAILER, *registrar), "RegistryPrefixOverlap", "starts with the live prefix"
    )
    refused(cli("assign-prefix", prefix, RETAILER, *on(node, data), "--dev-account", "provincial-certifier"), "GS1")
    refused(cli("assign-prefix", "690a", RETAILER, *registrar), "prefix", "4 to 12 digits")
    request = tmp_path / "oem-request.json"
    request.write_bytes(b'{"owner": "91320200MA1MX7K3GD", "delegate": "6901234000030", "signature": "..."}')
    filed = json.loads(ok(cli("delegate-gtin", gtin[1:], RETAILER, "--request", str(request), "--json", *registrar)))
    (event,) = [e for e in filed["events"] if e["event"] == "GtinsDelegated"]
    assert (event["owner"], event["delegate"], event["prefix"]) == (SUPPLIER, RETAILER, prefix)
    assert event["requestHash"] == "0x" + hashlib.sha256(request.read_bytes()).hexdigest()
    assert registry.is_delegate_at(gtin, RETAILER, registry.chain.block_timestamp())
    refused(cli("delegate-gtin", gtin, RETAILER, *registrar), "exactly one of --request FILE and --request-hash")
    out = ok(cli("revoke-delegation", str(event["delegationId"]), *registrar))
    assert "DelegationRevoked" in out and "reasonName=contract-ended" in out
    out = ok(cli("renew-prefix", prefix, "--valid-until", "2100-01-01", *registrar))
    assert "PrefixRenewed" in out and "validUntil: 4102444800" in out
    assert "PrefixTransferred" in ok(cli("transfer-prefix", prefix, RETAILER, *registrar))
    assert registry.prefix_holder_at(prefix, registry.chain.block_timestamp()) == RETAILER
    out = ok(cli("revoke-prefix", prefix, "--reason", "licence-lapsed", *registrar))
    assert "PrefixRevoked" in out and "reasonName=licence-lapsed" in out
    assert [h.org_id for h in registry.prefix_history(prefix)] == [SUPPLIER, SUPPLIER, RETAILER]  # renewed, moved
    assert "RoleRevoked" in ok(cli("remove-registrar", registrar_account, *regulator))
    shown = json.loads(ok(cli("prefix", prefix, "--json", *on(node, data))))
    assert (shown["holder"], [h["orgId"] for h in shown["holdings"]]) == (None, [SUPPLIER, SUPPLIER, RETAILER])
    at_delegation = json.loads(ok(cli("gtin", gtin[1:], "--at", str(event["validFrom"]), "--json", *on(node, data))))
    assert at_delegation == {
        "gtin": gtin,
        "asOf": event["validFrom"],
        "owner": SUPPLIER,
        "companyPrefix": prefix,
        "delegates": [RETAILER],
    }
    assert "owner: None" in ok(cli("gtin", gtin, *on(node, data)))  # revoked since
    refused(cli("gtin", "06907777000019", *on(node, data)), "check digit")


def test_a_registrar_through_the_platforms_relay(node: Node, data: Path, deployed: Deployed, platform_url: str) -> None:
    relay = ["--platform", platform_url]
    registrar_account = dev_account("gs1-registrar").address
    ok(cli("register-registrar", registrar_account, "--dev-account", "regulator", *relay))
    refused(
        cli("assign-prefix", "6908888", SUPPLIER, "--dev-account", "stranger", *relay),
        "the platform refused it",
        "not a GS1 registrar",
    )
    assigned = json.loads(
        ok(cli("assign-prefix", "6908888", SUPPLIER, "--dev-account", "gs1-registrar", "--json", *relay))
    )
    assert assigned["function"] == "assignPrefix" and assigned["sender"] == registrar_account
    assert deployed.registry.prefix_holder_at("6908888", deployed.chain.block_timestamp()) == SUPPLIER
    ok(cli("revoke-prefix", "6908888", "--reason", "issued-in-error", "--dev-account", "gs1-registrar", *relay))
    ok(cli("remove-registrar", registrar_account, "--dev-account", "regulator", *relay))
