"""The audit's report for people: block ranges that read right, every finding explained in the report's language,
ISO times (no Hardhat: a report built by hand, rendered as the runner and the CLI render it)."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from backend.audit import AuditReport
from backend.audit.html import meaning, render_html
from backend.audit.report import blocks_text
from cli.audit_cmd import _print_report
from cli.common import console
from supplychain.audit import CODES, finding


def _report(blocks: dict[str, int], codes: list[str]) -> AuditReport:
    findings = [
        finding(code, "6901234000016", f"message of {code}", event_hash="ni:///sha-256;ab?ver=CBV2.0") for code in codes
    ]
    return AuditReport(
        generated_at="2026-12-06T08:00:00Z", platform="http://127.0.0.1:8000",
        chain={"chainId": 31337, "registry": "0x" + "11" * 20, "deploymentBlock": 1, "genesisHash": "0x", "rpc": "x"},
        blocks=blocks, continued=blocks["fromBlock"] > 1, notes=[], parameters={"sampleSize": 0},
        events_checked=0, events_rechecked=0, events_total=0, batches_read=0, roots_judged=0, registry_events=0,
        wall_seconds=1.0, check_seconds=0.5, findings=findings, counts={c: codes.count(c) for c in codes},
        by_organisation={}, organisations={}, sample=[], seed="s", seed_source="given",
        timeline={"bucketMs": 60_000, "events": [[1_767_225_600_000, 3]], "anchors": []},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("blocks", "en", "zh"),
    [
        ({"fromBlock": 1, "judgedBlock": 16, "toBlock": 16}, "blocks 1 to 16", "区块 1 至 16"),
        (
            {"fromBlock": 17, "judgedBlock": 16, "toBlock": 16},
            "no new block since block 16",
            "自区块 16 以来没有新区块",
        ),
        (
            {"fromBlock": 17, "judgedBlock": 19, "toBlock": 20},
            "blocks 17 to 20 (roots judged up to block 19)",
            "区块 17 至 20（链上根核对至区块 19）",
        ),
        ({"fromBlock": 17, "judgedBlock": 17, "toBlock": 17}, "block 17", "区块 17"),
    ],
)
def test_block_ranges_read_right(blocks: dict[str, int], en: str, zh: str) -> None:
    assert blocks_text(blocks) == en and blocks_text(blocks, "zh-CN") == zh
    with console.capture() as captured:
        _print_report(_report(blocks, []), None)
    assert f"({en})" in captured.get() and not re.search(r"\d+-\d+-\d+", captured.get())


def test_every_finding_is_explained_in_the_reports_language() -> None:
    report = _report({"fromBlock": 1, "judgedBlock": 5, "toBlock": 5}, list(CODES))
    zh, en = render_html(report, "zh-CN"), render_html(report, "en")
    for code, (_, english) in CODES.items():
        chinese = meaning(code, "zh-CN")
        assert chinese != english and zh.count(str(escape(chinese))) == 2  # the finding's row and the table of codes
        assert en.count(str(escape(english))) == 2
        assert str(escape(english)) not in zh
    assert "区块 1 至 5" in zh and "blocks 1 to 5" in en
    assert "2026-01-01T00:00Z" in zh and " UTC" not in zh  # the chart's times, ISO 8601 with their zone
