"""``supplychain credential`` against a real Hardhat node and the platform over real HTTP: a certifier signs a
recognition's credential with its own key, anyone verifies it before and after suspension, reinstatement, revocation
and expiry (with the date and reason), the supplier imports it to the platform and exports it back; forgeries,
a stranger's credential and a tampered evaluation report are refused with their reason codes."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from eth_account import Account
from typer.testing import CliRunner, Result

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.devchain import free_port
from chain.registry import Registry, RegistryWriter
from cli.main import app
from supplychain.credentials import evidence_hash, issue_credential
from supplychain.registry import Grade, Level, ReasonCode, RecognitionKind, Scope
from supplychain.registry.events import RecognitionTerms
from tests.chains import MANUFACTURER, SUPPLIER, Node, cast, start

pytestmark = pytest.mark.xdist_group("credential-cli-hardhat")

REPORT = "常州某电池材料有限公司 绿色工厂评价报告 (2025)".encode()


@dataclass
class World:
    """A Hardhat node with the registry and the cast, the platform serving HTTP on it, and the data folder."""

    node: Node
    data: Path
    platform: Platform
    url: str
    tokens: dict[str, str]

    @property
    def registry(self) -> Registry:
        return self.platform.registry.registry

    def writer(self, role: str) -> RegistryWriter:
        return self.registry.as_signer(dev_account(role).account, receipt_timeout=20.0)

    def recognise(self, *, valid_for: int = 3 * 365 * 86_400) -> tuple[int, RecognitionTerms]:
        """The provincial certifier recognises the supplier's facility as a green factory (evidence: REPORT)."""
        now = self.registry.chain.block_timestamp()
        terms = RecognitionTerms(
            SUPPLIER,
            RecognitionKind.GREEN_FACTORY,
            Level.PROVINCIAL,
            Grade.NONE,
            Scope.FACILITY,
            "6901234000047",
            "GB/T 36132-2018",
            now - 60,
            now + valid_for,
            evidence_hash(REPORT),
        )
        recognition_id, _ = self.writer("provincial-certifier").issue_recognition(terms)
        return recognition_id, terms


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = Path(tmp_path_factory.mktemp("credential-cli"))
    nodes = start("hardhat", tmp)
    node = next(nodes)
    settings = Settings(
        environment="test", data_dir=tmp / "data", rpc_url=node.url, run_worker=False, registry_refresh_seconds=0
    )
    platform = Platform.open(settings)  # deploys the registry and writes data/deployment.json
    cast(platform.registry.registry.as_signer(dev_account("regulator").account))
    port = free_port()
    config = uvicorn.Config(create_app(platform=platform), host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="platform-http", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "the platform did not start"
        tokens = {
            "supplier": platform.issue_token(org_id=SUPPLIER, role="organisation"),
            "manufacturer": platform.issue_token(org_id=MANUFACTURER, role="organisation"),
        }
        yield World(node, tmp / "data", platform, f"http://127.0.0.1:{port}", tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        platform.close()
        next(nodes, None)  # stops the node


def cli(world: World, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["credential", *args], env={"COLUMNS": "200", **(env or {})})


def chain_args(world: World) -> list[str]:
    return ["--rpc", world.node.url, "--data-dir", str(world.data)]


def utc(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_a_credential_verified_before_and_after_suspension_reinstatement_and_revocation(
    world: World, tmp_path: Path
) -> None:
    recognition_id, _ = world.recognise()
    credential, report = tmp_path / "credential.jwt", tmp_path / "report.pdf"
    report.write_bytes(REPORT)
    issued = cli(
        world,
        "issue",
        "--recognition",
        str(recognition_id),
        "--dev-account",
        "provincial-certifier",
        "--issuer-name",
        "江苏省工业和信息化厅",
        "--out",
        str(credential),
        *chain_args(world),
    )
    assert issued.exit_code == 0, issued.output
    certifier = dev_account("provincial-certifier").address
    assert f"credential of recognition {recognition_id}, green factory (provincial) of {SUPPLIER}" in issued.stdout
    assert f"signed by {certifier}" in issued.stdout and f"written to {credential}" in issued.stdout

    def verify(*extra: str) -> Result:
        return cli(world, "verify", str(credential), *chain_args(world), *extra)

    before = verify("--evidence", str(report))
    assert before.exit_code == 0, before.output
    assert "Result       VALID and IN FORCE" in before.stdout and "✓ evidence" in before.stdout
    assert f"Issuer       did:pkh:eip155:31337:{certifier} (江苏省工业和信息化厅)" in before.stdout
    assert "Recognition  provincial green factory · facility 6901234000047 · GB/T 36132-2018" in before.stdout

    suspension = world.writer("provincial-certifier").suspend_recognition(recognition_id, ReasonCode.SPOT_CHECK_FAILED)
    suspended = verify()
    assert suspended.exit_code == 1, suspended.output
    when = utc(suspension.events[0].timestamp)
    assert f"Status       SUSPENDED since {when} — reason 1: spot check failed" in suspended.stdout
    assert "Result       VALID, but NOT IN FORCE (suspended)" in suspended.stdout
    in_chinese = verify("--lang", "zh")
    assert in_chinese.exit_code == 1
    assert f"状态         暂停，自 {when} 起；原因 1：抽查不合格" in in_chinese.stdout
    assert "结论         凭证有效，但认定当前不在有效状态（暂停）" in in_chinese.stdout
    assert "认定         省级绿色工厂 · 设施 6901234000047 · GB/T 36132-2018" in in_chinese.stdout
    assert "  ✓ 签名" in in_chinese.stdout and "  ✗ 当前状态" in in_chinese.stdout
    # the locale's language unless --lang says otherwise; the same verdict and exit code in every language
    by_locale = cli(world, "verify", str(credential), *chain_args(world), env={"LC_ALL": "zh_CN.UTF-8"})
    assert by_locale.stdout == verify("--lang", "zh-CN").stdout == in_chinese.stdout and by_locale.exit_code == 1
    english = cli(world, "verify", str(credential), *chain_args(world), "--lang", "en", env={"LC_ALL": "zh_CN.UTF-8"})
    assert english.stdout == suspended.stdout
    as_json = [cli(world, "verify", str(credential), *chain_args(world), "--json", env={"LC_ALL": lang})
               for lang in ("zh_CN.UTF-8", "C")]  # fmt: skip
    verdicts = [json.loads(r.stdout) for r in as_json]
    for verdict in verdicts:
        del verdict["checkedAt"], verdict["checkedAtTimestamp"]  # when each ran
    assert verdicts[0] == verdicts[1] and verdicts[0]["status"] == "suspended"
    assert as_json[0].exit_code == as_json[1].exit_code == 1

    world.writer("provincial-certifier").reinstate_recognition(recognition_id, ReasonCode.RECTIFIED)
    assert verify().exit_code == 0

    revocation = world.writer("regulator").revoke_recognition(recognition_id, ReasonCode.DATA_FALSIFIED)
    revoked = verify("--json")
    assert revoked.exit_code == 1
    verdict = json.loads(revoked.stdout)
    assert (verdict["valid"], verdict["inForce"], verdict["status"]) == (True, False, "revoked")
    assert verdict["statusSinceTimestamp"] == revocation.events[0].timestamp
    assert verdict["statusReason"] == {"code": 2, "name": "DATA_FALSIFIED", "en": "data falsified", "zh": "数据造假"}
    assert [h["status"] for h in verdict["recognition"]["history"]] == ["SUSPENDED", "ACTIVE", "REVOKED"]
    # by the registry's address alone (no deployment record): the same verdict
    by_address = cli(
        world, "verify", str(credential), "--rpc", world.node.url, "--registry", world.registry.address,
        "--data-dir", str(tmp_path / "empty"),
    )  # fmt: skip
    assert by_address.exit_code == 1
    assert f"REVOKED since {utc(revocation.events[0].timestamp)} — reason 2: data falsified" in by_address.stdout


def test_an_expired_recognition_is_reported_as_expired(world: World, tmp_path: Path) -> None:
    recognition_id, terms = world.recognise(valid_for=3600)
    credential = tmp_path / "credential.jwt"
    key = {"CERTIFIER_KEY": dev_account("provincial-certifier").private_key}
    issued = cli(world, "issue", "--recognition", str(recognition_id), "--key-env", "CERTIFIER_KEY",
                 "--out", str(credential), *chain_args(world), env=key)  # fmt: skip
    assert issued.exit_code == 0, issued.output
    world.registry.chain.increase_time(7200)
    expired = cli(world, "verify", str(credential), *chain_args(world))
    assert expired.exit_code == 1
    assert f"EXPIRED since {utc(terms.valid_until or 0)}" in expired.stdout
    assert "  ✓ recognition  recognition" in expired.stdout and "  ✗ status       expired on" in expired.stdout


def test_forgeries_strangers_and_tampered_reports_are_refused(world: World, tmp_path: Path) -> None:
    recognition_id, terms = world.recognise()
    stranger = dev_account("stranger")
    refused = cli(world, "issue", "--recognition", str(recognition_id), "--dev-account", "stranger", *chain_args(world))
    assert refused.exit_code == 1 and "only the issuing certifier's own key can sign" in refused.stderr
    genuine, keystore = tmp_path / "genuine.jwt", tmp_path / "certifier.json"
    certifier_key = dev_account("provincial-certifier").private_key
    keystore.write_text(json.dumps(Account.encrypt(certifier_key, "passphrase", iterations=2**12)))  # a fast scrypt
    issued = cli(
        world, "issue", "--recognition", str(recognition_id), "--key-file", str(keystore),
        "--passphrase-env", "CERTIFIER_PASSPHRASE", "--out", str(genuine), *chain_args(world),
        env={"CERTIFIER_PASSPHRASE": "passphrase"},
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    token = genuine.read_text().strip()
    deployment = world.registry.deployment
    by_stranger = issue_credential(
        recognition_id, stranger.address, terms, stranger.private_key,
        chain_id=deployment.chain_id, registry_address=deployment.address,
    )  # fmt: skip
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["greenRecognition"]["grade"] = "A_PLUS"
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    cases = {
        "stranger.jwt": (by_stranger, "INVALID (issuer_mismatch)", "[issuer_not_certifier]"),
        "edited.jwt": (f"{header}.{edited}.{signature}", "INVALID (bad_signature)", "[claims_mismatch]"),
        "garbage.jwt": ("not a credential", "INVALID (malformed)", "✗ format"),
    }
    for name, (text, result, detail) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        verdict = cli(world, "verify", str(path), *chain_args(world))
        assert verdict.exit_code == 1, verdict.output
        assert result in verdict.stdout and detail in verdict.stdout
    tampered = tmp_path / "report.pdf"
    tampered.write_bytes(REPORT + b" (edited)")
    evidence = cli(world, "verify", str(genuine), "--evidence", str(tampered), *chain_args(world))
    assert evidence.exit_code == 1 and "INVALID (evidence_mismatch)" in evidence.stdout
    assert "[evidence_mismatch]" in evidence.stdout


def test_unusable_input_exits_2(world: World, tmp_path: Path) -> None:
    credential = tmp_path / "c.jwt"
    credential.write_text("x")
    cases = [
        (["verify", str(tmp_path / "missing.jwt"), *chain_args(world)], "cannot read credential"),
        (["verify", str(credential), "--lang", "fr", *chain_args(world)], "--lang must be zh-CN or en"),
        (["verify", str(credential), "--rpc", world.node.url, "--registry", "0x12"], "not an Ethereum address"),
        (["verify", str(credential), "--rpc", world.node.url, "--data-dir", str(tmp_path)], "no deployment record"),
        (["verify", str(credential), "--evidence", str(tmp_path / "x"), *chain_args(world)], "cannot read evidence"),
        (
            ["verify", str(credential), "--rpc", world.node.url, "--registry", dev_account("stranger").address,
             "--data-dir", str(tmp_path)],
            "no code at",
        ),
    ]  # fmt: skip
    for args, message in cases:
        result = cli(world, *args)
        assert result.exit_code == 2, result.output
        assert message in result.stderr


def test_import_and_export_through_the_platform(world: World, tmp_path: Path) -> None:
    recognition_id, _ = world.recognise()
    credential = tmp_path / "credential.jwt"
    issued = cli(world, "issue", "--recognition", str(recognition_id), "--dev-account", "provincial-certifier",
                 "--holder-name", "常州某电池材料有限公司", *chain_args(world))  # fmt: skip
    assert issued.exit_code == 0, issued.output
    credential.write_text(issued.stdout)
    assert "digest" in issued.stderr
    platform = ["--platform", world.url]
    imported = cli(world, "import", str(credential), *platform, "--token", world.tokens["supplier"])
    assert imported.exit_code == 0, imported.output
    assert (
        imported.stdout.startswith("stored: credential ")
        and f"of recognition {recognition_id} ({SUPPLIER})" in imported.stdout
    )
    again = cli(world, "import", str(credential), *platform, env={"SUPPLYCHAIN_TOKEN": world.tokens["supplier"]})
    assert again.exit_code == 0 and again.stdout.startswith("already stored")
    foreign = cli(world, "import", str(credential), *platform, "--token", world.tokens["manufacturer"])
    assert foreign.exit_code == 1 and "HTTP 422" in foreign.stderr and "(reasons: other_organisation)" in foreign.stderr
    garbage = tmp_path / "garbage.jwt"
    garbage.write_text("garbage")
    refused = cli(world, "import", str(garbage), *platform, "--token", world.tokens["supplier"])
    assert refused.exit_code == 1 and "(reasons: malformed)" in refused.stderr
    exported = tmp_path / "exported.jwt"
    result = cli(world, "export", "--recognition", str(recognition_id), *platform, "--out", str(exported))
    assert result.exit_code == 0, result.output
    assert exported.read_text() == credential.read_text() and "(in force) written to" in result.stdout
    to_stdout = cli(world, "export", "--recognition", str(recognition_id), *platform)
    assert to_stdout.stdout == credential.read_text()
    none = cli(world, "export", "--recognition", "9999", *platform)
    assert none.exit_code == 1 and "holds no credential of recognition 9999" in none.stderr
    down = cli(world, "export", "--recognition", "1", "--platform", f"http://127.0.0.1:{free_port()}")
    assert down.exit_code == 1 and "cannot reach the platform" in down.stderr
    unreachable = cli(world, "import", str(credential), "--platform", f"http://127.0.0.1:{free_port()}", "--token", "t")
    assert unreachable.exit_code == 1 and "cannot reach the platform" in unreachable.stderr
