"""The organisations' and the regulator's pages from templates: the green report, the leader's page, the audit report.

Built from the answers' JSON shapes with hostile values where the data comes from outside (organisation ids and names,
reasons, identifiers, locations, region names, finding messages and evidence): every one is escaped and its bidi
controls shown, in both languages, and every word has its Chinese (no chain: the pages only present their data).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from babel.messages.pofile import read_po

from backend.audit import AuditReport
from backend.audit.html import render_html
from backend.core.errors import BadParameterError
from backend.pages import catalogues
from backend.services import green_pages, green_params, green_views
from supplychain import vocabulary
from supplychain.audit import CODES, finding
from supplychain.i18n import Lang
from supplychain.registry import Level, RecognitionKind

HOSTILE = '<script>alert(1)</script>"\u202eevil'
SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;\\u202Eevil"
LOT = "https://id.gs1.org/01/06901234000108/10/L1"


def assert_safe(page: str, lang: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
    assert "<script>" not in page and "\u202e" not in page
    assert "<style>" in page and '<link rel="stylesheet"' not in page  # the one stylesheet, inlined


def _report(org: str = "6901234000016") -> dict[str, Any]:
    return {
        "organisation": org,
        "from": "2026-01-01T00:00:00Z",
        "to": "2026-04-01T00:00:00Z",
        "rule": green_views.GREEN_SHARE_RULE,
        "truncated": True,
        "lots": [
            {"identifier": LOT, "madeAt": "2026-02-02T00:00:00Z", "share": 0.75, "greenQuantity": 75,
             "totalQuantity": 100, "unit": "KGM"},
            {"identifier": HOSTILE, "madeAt": None, "share": None, "greenQuantity": None, "totalQuantity": None,
             "unit": HOSTILE},
        ],
        "totals": [{"unit": "KGM", "share": 0.75, "greenQuantity": 75, "totalQuantity": 100, "lots": 1}],
        "inputs": [
            {"identifier": HOSTILE, "supplier": HOSTILE, "quantity": 5, "uom": None, "suppliedAt": None,
             "green": False},
        ],
        "lapses": [
            {"recognitionId": 1, "holder": HOSTILE, "kind": "green_factory", "level": "provincial",
             "status": "revoked", "at": "2026-02-15T00:00:00Z", "reason": "data_falsified"},
            {"recognitionId": 2, "holder": "x", "kind": HOSTILE, "level": HOSTILE, "status": HOSTILE,
             "at": None, "reason": HOSTILE},
        ],
        "suppliers": [],
    }  # fmt: skip


def _suppliers() -> dict[str, Any]:
    recognition = {
        "recognitionId": 1, "kind": "green_product", "level": "national", "status": "suspended",
        "statusAtLastSupply": "in_force", "expiresInDays": 12, "spotChecks": [{"passed": True}, {"passed": False}],
        "passesInARow": 0, "exemptUntil": None,
    }  # fmt: skip
    supplier = {
        "rank": 1, "organisationId": HOSTILE, "region": {"nameZh": HOSTILE, "nameEn": HOSTILE},
        "preference": "review", "explanation": {"en": green_views.PREFERENCE_TEXT["review"], "zh": "-"},
        "recognitions": [recognition], "greenSupplies": 1, "supplyCount": 2, "lastSuppliedAt": None,
        "warnings": ["lapsed_since_supply", HOSTILE],
    }  # fmt: skip
    return {
        "organisation": "6901234000016",
        "at": "2026-03-01T08:00:00Z",
        "rule": green_views.RULE,
        "suppliers": [supplier],
        "unknownOrigin": [HOSTILE],
    }


def _impact() -> dict[str, Any]:
    item = {
        "identifier": HOSTILE, "kind": "serial", "madeBy": "6901234000016",
        "lastSeen": {"bizStep": "retail_selling", "location": HOSTILE, "eventTime": "2026-03-01T00:00:00Z"},
    }  # fmt: skip
    return {
        "holder": HOSTILE,
        "lapsedAt": "2026-02-15T00:00:00Z",
        "recognition": {"recognitionId": 1, "kind": "green_factory", "level": "city", "status": "suspended"},
        "items": [item, {**item, "kind": "logistic_unit"}, {**item, "lastSeen": None, "madeBy": "other"}],
    }


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_report_page_escapes_what_it_is_given(lang: Lang) -> None:
    query = {"organisation": HOSTILE, "lang": "x"}
    page = green_pages.report_page(_report(HOSTILE), lang, path="/reports/green-supply-chain", query=query)
    assert_safe(page, lang)
    assert page.count(SHOWN) >= 6 and '<body class="wide green">' in page
    other = "en" if lang == "zh-CN" else "zh-CN"
    assert 'href="/reports/green-supply-chain?organisation=%3Cscript%3E' in page and f"lang={other}" in page
    assert "format=json" in page and "lang=x" not in page
    if lang == "zh-CN":
        for words in (
            "绿色供应链报告",
            "数据量超出上限",
            "省级绿色工厂",
            "撤销（摘牌）",
            "弄虚作假",
            "千克",
            "未认定",
            "绿色占比 =",
        ):
            assert words in page, words
    else:
        for words in ("Green supply-chain report", "provincial green factory", "revoked", "data falsified", "kg"):
            assert words in page, words


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_leaders_page_escapes_what_it_is_given(lang: Lang) -> None:
    page = green_pages.leader_page(
        _suppliers(),
        _report(),
        [_impact()],
        lang,
        path="/leader/6901234000016",
        query={},
    )
    assert_safe(page, lang)
    assert page.count(SHOWN) >= 6 and "✓✗" in page
    if lang == "zh-CN":
        for words in (
            "合格供应商名录",
            "复核：绿色认定已暂停",
            "国家级绿色设计产品",
            "供货后失效",
            "售出",
            "本企业",
            "市级绿色工厂",
        ):
            assert words in page, words
    else:
        for words in ("Qualified suppliers", "Review: its green recognition", "national green design product", "Sold"):
            assert words in page, words
    # the logistic unit is not listed; the item last seen nowhere shows a dash
    assert page.count('\\u202Eevil</span> <span class="badge preferred">') == 1


def _audit(org: str, message: str) -> AuditReport:
    codes = ["hash_mismatch", "anchor_remade", "anchor_remade"]
    findings = [finding(code, org, message, event_hash=message) for code in codes]
    return AuditReport(
        generated_at="2026-12-06T08:00:00Z", platform=HOSTILE,
        chain={"chainId": 31337, "registry": "0x" + "11" * 20, "deploymentBlock": 1, "genesisHash": "0x", "rpc": "x"},
        blocks={"fromBlock": 1, "judgedBlock": 5, "toBlock": 6}, continued=False, notes=[HOSTILE],
        parameters={"sampleSize": 1}, events_checked=3, events_rechecked=0, events_total=3, batches_read=1,
        roots_judged=1, registry_events=9, wall_seconds=1.0, check_seconds=0.5, findings=findings[:2],
        counts={"hash_mismatch": 1, "anchor_remade": 2}, organisations={}, seed=HOSTILE, seed_source="given",
        by_organisation={org: {"critical": 1}, "platform": {"info": 2}},
        sample=[{"recognitionId": 3, "holder": org, "kind": "green_park", "level": "national"}],
        timeline={"bucketMs": 60_000, "events": [[1_767_225_600_000, 3]], "anchors": [[1_767_225_700_000, 1]]},
    )  # fmt: skip


def test_the_audit_report_escapes_findings_in_both_languages() -> None:
    report = _audit(HOSTILE, HOSTILE)
    zh, en = render_html(report, "zh-CN"), render_html(report, "en")
    for page, lang in ((zh, "zh-CN"), (en, "en")):
        assert_safe(page, lang)
        assert '<body class="wide audit">' in page and 'class="lang"' not in page  # a file: no switch
        assert page.count(SHOWN) >= 8  # platform, note, organisation (table, findings), messages, evidence, seed
        assert '<span class="sev critical">' in page and "<svg" in page and "style=" not in page
    for words in (
        "监管审计报告",
        "未通过",
        "区块 1 至 6（链上根核对至区块 5）",
        "另有 1 条同类发现未列出（已计数）。",
        "平台",
    ):
        assert words in zh, words
    assert "绿色园区" in zh and "国家级" in zh and "green industrial park" in en and "national" in en
    assert "Fail: critical or high findings" in en and "1 more finding of these codes is counted" in en
    with pytest.raises(ValueError, match="unknown report language"):
        render_html(report, "fr")


def test_every_finding_code_and_every_word_has_its_chinese_with_its_placeholders() -> None:
    with catalogues._po_path("zh-CN").open("rb") as po:
        catalog = read_po(po, locale="zh_CN")
    for _, english in CODES.values():
        assert catalog[english].string, english
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", str(ids[0])))
        for string in strings:
            assert string and set(re.findall(r"%\(\w+\)s", str(string))) == wanted, (ids[0], string)


def test_the_answers_words_come_from_the_vocabulary() -> None:
    assert green_views.LEVEL_ZH == {Level.CITY: "市级", Level.PROVINCIAL: "省级", Level.NATIONAL: "国家级"}
    assert green_views.KIND_ZH[RecognitionKind.GREEN_PRODUCT] == "绿色设计产品"
    rule = green_views.RULE
    assert str(rule["zh"]).startswith("优先纳入绿色工厂为合格供应商") and str(rule["en"]).startswith("Prefer")
    assert vocabulary.reason("data_falsified") == "data falsified" and vocabulary.reason("nonsense") is None
    assert vocabulary.kind("nonsense") is None and vocabulary.level("nonsense") is None


def test_one_language_convention_and_old_spellings_still_work() -> None:
    assert green_params.parse_lang(None) == "zh-CN"
    for spelling, lang in (("zh", "zh-CN"), ("zh-CN", "zh-CN"), ("zh-cn", "zh-CN"), ("en", "en"), ("en-US", "en")):
        assert green_params.parse_lang(spelling) == lang
    with pytest.raises(BadParameterError, match="expected zh-CN") as refused:
        green_params.parse_lang("fr")
    assert refused.value.parameter == "lang"
