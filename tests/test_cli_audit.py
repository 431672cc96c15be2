"""``supplychain audit`` against a real Hardhat node and the service over HTTP: the summary, the reports, the state
file, the exit codes (0 clean, 1 serious findings, 2 could not run) and their messages; ``supplychain bench audit``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from chain.accounts import dev_account
from chain.devchain import free_port
from cli.main import app
from tests.backend.audit_world import World, start_world
from tests.chains import node_modules_ready

pytestmark = [pytest.mark.hardhat, pytest.mark.xdist_group("audit-cli-hardhat")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not node_modules_ready():
        pytest.fail("hardhat-local/node_modules is missing: run `make test` (it runs `npm ci`)")
    started = start_world(tmp_path_factory.mktemp("audit-cli"))
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def clean(world: World) -> World:
    world.restore()
    return world


def audit(
    world: World, *args: str, token: str | None = None, rpc: str | None = None, env: dict[str, str] | None = None
) -> Result:
    return CliRunner().invoke(
        app,
        [
            "audit",
            "--rpc",
            rpc or world.node.url,
            "--registry",
            world.registry.address,
            "--platform",
            world.url,
            "--token",
            token or world.tokens["regulator"],
            "--workers",
            "0",
            *args,
        ],
        env=env,
    )


def test_a_clean_audit_exits_0_writes_its_reports_and_the_next_run_continues(clean: World, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = audit(clean, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "events checked: 7 in" in result.output and "events/s" in result.output
    assert "findings: critical 0 · high 0 · medium 0 · info 0" in result.output
    assert "verdict: PASS" in result.output and f"#{clean.recognition} " in result.output
    assert (out / "audit-report.json").exists() and "监管审计报告" in (out / "audit-report.html").read_text("utf-8")
    assert (out / "audit-state.json").exists()  # the state goes beside the reports by default
    again = audit(clean, "--out", str(out), "--lang", "en")
    assert again.exit_code == 0 and "note: continued from block" in again.output
    assert "(no new block since block " in again.output and "(blocks 1 to " in result.output
    assert "events checked: 0 in" in again.output and "audited before, compared with their seals: 7;" in again.output
    assert "Regulator&#39;s audit report" in (out / "audit-report.html").read_text("utf-8")
    chinese = audit(clean, "--out", str(out), env={"LC_ALL": "zh_CN.UTF-8"})
    assert chinese.exit_code == 0, chinese.output
    assert "已核验事件：0，用时 " in chinese.output and "此前已审计、与其封存摘要比对：7" in chinese.output
    assert "发现问题：严重 0 · 高 0 · 中 0 · 提示 0" in chinese.output and "结论：通过" in chinese.output
    assert f"上的注册合约 {clean.registry.address} 审计 {clean.url}（" in chinese.output  # the values as they are
    fresh = audit(
        clean, "--out", str(out), "--fresh", "--json", "--seed", "draw-2026", "--clock-tolerance-seconds", "2"
    )
    report = json.loads(fresh.stdout)
    assert report["parameters"]["clockToleranceSeconds"] == 2
    assert fresh.exit_code == 0 and report["summary"]["eventsChecked"] == 7 and report["verdict"] == "pass"
    assert report["spotCheckSample"]["seed"] == "draw-2026" and report["spotCheckSample"]["seedSource"] == "given"


def test_serious_findings_exit_1_and_are_listed(clean: World, tmp_path: Path) -> None:
    clean.execute("UPDATE event SET document = replace(document, 'S3', 'S8') WHERE id = 4")
    result = audit(clean, "--state", str(tmp_path / "s.json"))
    assert result.exit_code == 1, result.output
    assert "hash_mismatch" in result.output and "critical 1" in result.output and "verdict: FAIL" in result.output


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ("UPDATE event SET document = replace(document, 'S3', 'S8') WHERE id = 4", "audited_event_changed"),
        (
            "UPDATE event SET signature = (SELECT signature FROM event WHERE id = 3) WHERE id = 6",
            "audited_event_changed",
        ),
        (
            "DELETE FROM event_link WHERE event_id = 2 OR previous_event_id = 2; "
            "DELETE FROM event_identifier WHERE event_id = 2; DELETE FROM event WHERE id = 2",
            "audited_event_missing",
        ),
    ],
)
def test_a_store_tampered_with_between_two_runs_exits_1(clean: World, tmp_path: Path, tamper: str, code: str) -> None:
    state = str(tmp_path / "s.json")
    assert audit(clean, "--state", state).exit_code == 0
    for statement in tamper.split("; "):
        clean.execute(statement)
    result = audit(clean, "--state", state, "--json")
    report = json.loads(result.stdout)
    # deleting an event takes the next link of its serial along: that event's record changed too
    also = {"audited_event_changed": 1} if "DELETE" in tamper else {}
    assert result.exit_code == 1 and report["verdict"] == "fail" and report["summary"]["byCode"] == {code: 1} | also
    assert report["summary"]["eventsChecked"] == 0 and report["continued"]


def test_a_column_the_platform_changed_exits_1_and_names_it(clean: World, tmp_path: Path) -> None:
    clean.execute("UPDATE event SET biz_location = 'https://id.gs1.org/414/6901234000030' WHERE id = 4")
    result = audit(clean, "--state", str(tmp_path / "s.json"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert "column_mismatch" in result.output and "high 1" in result.output and "verdict: FAIL" in result.output
    assert "bizLocation 'https://id.gs1.org/414/6901234000030', signed" in result.output
    html = (tmp_path / "out" / "audit-report.html").read_text("utf-8")
    assert "与签名文档和链上记录不一致" in html


def test_an_unreachable_node_exits_2(world: World, tmp_path: Path) -> None:
    result = audit(world, "--state", str(tmp_path / "s.json"), rpc=f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 2 and "cannot be reached" in result.output


def test_an_unreachable_platform_exits_2(world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("audit", "--rpc", world.node.url, "--registry", world.registry.address, "--token", "t"),
            *("--platform", f"http://127.0.0.1:{free_port()}", "--state", str(tmp_path / "s.json")),
        ],
    )
    assert result.exit_code == 2 and "the platform at" in result.output and "cannot be reached" in result.output


def test_a_refused_token_exits_2(world: World, tmp_path: Path) -> None:
    for token in ("sc_not-a-token", world.tokens[next(iter(world.tokens))]):
        result = audit(world, "--state", str(tmp_path / "s.json"), token=token)
        assert result.exit_code == 2 and "refused the token" in result.output, result.output


def test_no_registry_at_the_address_exits_2(world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("audit", "--rpc", world.node.url, "--registry", dev_account("stranger").address, "--token", "t"),
            *("--platform", world.url, "--state", str(tmp_path / "s.json")),
        ],
    )
    assert result.exit_code == 2 and "no registry to audit: no contract at" in result.output
    result = CliRunner().invoke(
        app, ["audit", "--rpc", world.node.url, "--registry", "0x123", "--token", "t", "--state", str(tmp_path / "s")]
    )
    assert result.exit_code == 2 and "is not an Ethereum address" in result.output


def test_an_unreadable_state_file_or_language_exits_2(world: World, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json", encoding="utf-8")
    result = audit(world, "--state", str(state))
    assert result.exit_code == 2 and "cannot read the audit state" in result.output
    state.write_text('{"type": "SomethingElse"}', encoding="utf-8")
    assert "is not an audit state file" in audit(world, "--state", str(state)).output
    result = audit(world, "--state", str(tmp_path / "s.json"), "--lang", "fr")
    assert result.exit_code == 2 and "--lang must be one of zh-CN, en" in result.output


def test_bench_audit_checks_a_synthetic_store() -> None:
    result = CliRunner().invoke(app, ["bench", "audit", "-n", "300", "--batch-size", "128", "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["events"] == 300 and figures["findings"] == 0 and figures["events_per_second"] > 0
    assert (figures["continued_compared"], figures["continued_findings"]) == (300, 0)  # all sealed, all unchanged
    assert "continued run over the same store" in result.output and "300 audited events compared" in result.output
    assert "built 300 signed, anchored events in 3 batches" in result.output


def test_bench_audit_through_the_platform_finds_a_clean_store_clean() -> None:
    # anvil started back in time, the roots anchored at their block times, `supplychain serve`, run_audit over HTTP
    args = ["bench", "audit", "-n", "300", "--batch-size", "128", "--workers", "1", "--through-platform", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert (figures["platform_events"], figures["platform_findings"]) == (300, 0)
    assert (figures["platform_continued_compared"], figures["platform_continued_findings"]) == (300, 0)
    assert figures["platform_wall_seconds"] > 0 and figures["platform_server_cpu_seconds"] > 0
    assert "end to end (anvil, `supplychain serve`, export over HTTP, run_audit" in result.output


def test_bench_audit_as_its_own_process_forks_its_workers() -> None:
    """As `supplychain bench audit` runs (one thread when the workers start): the workers are forked."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", "bench", "audit", "-n", "400", "--batch-size", "100", "--workers", "2"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "audit of 400 events (2 worker processes)" in done.stdout and "0 findings" in done.stdout
