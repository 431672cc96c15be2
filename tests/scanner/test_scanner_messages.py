"""The scanner's words come from the project's one catalogue, in the project's language codes.

No chain node here: the reports are rendered from verdicts of the core against an in-process registry mirror
(``tests.supplychain.factories``), and the command is run on inputs it refuses before reading a chain.
"""

from __future__ import annotations

import ast
import io
import json
import string
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from rich.console import Console
from typer.testing import CliRunner

import scanner as scanner_package
import supplychain.verify as verify_package
from scanner.cli import app
from scanner.errors import Notice, ScannerInputError
from scanner.messages import ERRORS, NOTICES, REASONS, say
from scanner.report import print_error, print_report, summarised_count
from scanner.scan import AnchorSeen, ScanResult
from scanner.source import Source
from supplychain import vocabulary
from supplychain.i18n import LOCALE_DIR, Lang, translations
from supplychain.registry import RecognitionKind
from supplychain.verify import FAILURE_CODES, INCOMPLETE_CODES, SUMMARY_REASONS, ProofBundle, verify_bundle
from tests.supplychain.factories import CHAIN_ID, DAY, REGISTRY, T0, Scenario, appliance_chain

runner = CliRunner()


# --- one language convention: zh-CN and en (zh still understood) ---


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        (["--lang", "zh-CN"], "错误：找不到文件 {path}\n"),
        (["--lang", "zh"], "错误：找不到文件 {path}\n"),
        (["--lang", "zh-Hans"], "错误：找不到文件 {path}\n"),
        (["--lang", "en"], "error: no such file: {path}\n"),
        (["--lang", "en-US"], "error: no such file: {path}\n"),
        ([], "错误：找不到文件 {path}\n"),  # Chinese first
    ],
)
def test_the_report_language_takes_the_projects_codes(tmp_path: Path, asked: list[str], said: str) -> None:
    missing = tmp_path / "missing.png"
    result = runner.invoke(app, ["verify", str(missing), *asked], env={"SCANNER_LANG": None})
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == said.format(path=missing)


@pytest.mark.parametrize(("value", "said"), [("en", "error: no such"), ("zh-CN", "错误："), ("zh", "错误：")])
def test_the_report_language_comes_from_scanner_lang(tmp_path: Path, value: str, said: str) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path / "missing.png")], env={"SCANNER_LANG": value})
    assert result.exit_code == 2 and result.stderr.startswith(said)
    chosen = runner.invoke(app, ["verify", str(tmp_path / "x.png"), "--lang", "en"], env={"SCANNER_LANG": "zh-CN"})
    assert chosen.stderr.startswith("error: no such")  # the option wins over the environment


@pytest.mark.parametrize("value", ["fr", "zh-TW", "", "x" * 5000])
def test_a_language_the_scanner_does_not_speak_is_refused(tmp_path: Path, value: str) -> None:
    tries = [(["--lang", value], {"SCANNER_LANG": None})]
    if value:  # an empty variable is an unset one: Chinese
        tries.append(([], {"SCANNER_LANG": value}))
    for args, env in tries:
        result = runner.invoke(app, ["verify", str(tmp_path / "missing.png"), *args], env=env)
        assert result.exit_code == 2 and result.stdout == ""
        said = " ".join(result.stderr.replace("│", " ").split())  # unboxed, unwrapped
        assert "Invalid value for '--lang'" in said, said
        assert f"'{value[:20]}" in said and len(said) < 600 and "is not a report language: zh-CN or en" in said
        assert "找不到文件" not in said and "no such file" not in said  # refused before anything is read
    empty = runner.invoke(app, ["verify", str(tmp_path / "missing.png")], env={"SCANNER_LANG": ""})
    assert empty.exit_code == 2 and empty.stderr.startswith("错误：找不到文件")


# --- every code the scanner can show has its words, in both languages ---


def _calls(root: Path, name: str) -> list[ast.Call]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
                found.append(node)
    return found


def _core_check_codes() -> set[str]:
    """The codes the core's checks carry: the two declared lists, and every literal code of a ``Check(...)`` (the
    core also gives codes outside the lists, e.g. ``citation_not_in_force``)."""
    codes = set(FAILURE_CODES | INCOMPLETE_CODES)
    for call in _calls(Path(verify_package.__file__).parent, "Check"):
        for arg in call.args[3:4] + [k.value for k in call.keywords if k.arg == "code"]:
            codes |= {c.value for c in ast.walk(arg) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return codes


def _raised(name: str) -> dict[str, list[set[str] | None]]:
    """Each code the scanner gives a ``ScannerInputError`` or ``Notice``, with the parameters of each place it is
    made (``None`` where they are passed as ``**mapping``)."""
    sites: dict[str, list[set[str] | None]] = {}
    for call in _calls(Path(scanner_package.__file__).parent, name):
        code = call.args[0]
        assert isinstance(code, ast.Constant) and isinstance(code.value, str), ast.unparse(call)
        if name == "Notice":
            given = call.args[1]
            assert isinstance(given, ast.Dict), ast.unparse(call)
            params: set[str] | None = {k.value for k in given.keys if isinstance(k, ast.Constant)}
        elif any(k.arg is None for k in call.keywords):
            params = None
        else:
            params = {k.arg for k in call.keywords if k.arg is not None}
        sites.setdefault(code.value, []).append(params)
    return sites


def _fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


def _in_both_languages(message: str, params: set[str]) -> list[str]:
    """``message`` rendered in Chinese and English with each parameter a recognisable value; checks that the
    Chinese exists and fills the same fields."""
    chinese = translations("zh-CN").gettext(message)
    assert chinese != message, f"no Chinese for {message!r}"
    assert _fields(chinese) == _fields(message), (message, chinese)
    assert _fields(message) <= params, (message, params)
    values = {p: f"<{p}>" for p in params}
    shown = [say("zh-CN", message, **values), say("en", message, **values)]
    for said in shown:
        assert "{" not in said and all(f"<{p}>" in said for p in _fields(message)), said
    return shown


def test_every_reason_the_core_can_give_has_words_in_both_languages() -> None:
    codes = _core_check_codes()
    assert {"citation_not_in_force", "malformed_citation", "not_anchored"} <= codes
    assert set(REASONS) == codes  # none missing, none the core no longer gives
    for code, message in REASONS.items():
        zh, en = _in_both_languages(message, set())
        assert en == message and any("\u4e00" <= c <= "\u9fff" for c in zh), (code, zh)


def test_every_error_and_notice_the_scanner_can_give_has_words_in_both_languages() -> None:
    for name, messages in (("ScannerInputError", ERRORS), ("Notice", NOTICES)):
        sites = _raised(name)
        assert set(sites) == set(messages), name  # none missing, none unused
        for code, made in sites.items():
            for params in made:
                _in_both_languages(messages[code], _fields(messages[code]) if params is None else params)
    error = ScannerInputError("no_such_file", path="/x")
    assert str(error) == "no such file: /x" and error.message("zh-CN") == "找不到文件 /x"
    assert error.to_json() == {"code": "no_such_file", "message": "no such file: /x", "params": {"path": "/x"}}
    notice = Notice("truncated", {"url": "https://p.example/b"})
    assert notice.message("zh-CN") == "平台截断了证明包（https://p.example/b），上游事件不完整"
    assert (
        notice.to_json()["message"]
        == "the platform truncated the bundle (https://p.example/b): upstream events are missing"
    )


@pytest.mark.parametrize("reason", [*SUMMARY_REASONS, "a_later_reason"])
def test_every_reason_for_leaving_events_out_is_counted_in_both_languages(reason: str) -> None:
    one, many = summarised_count("en", reason, 1), summarised_count("en", reason, 1500)
    assert one.startswith("1 event ") and many.startswith("1500 events ")
    for count in (1, 1500):
        chinese = summarised_count("zh-CN", reason, count)
        assert chinese.startswith(f"{count} 个事件"), chinese
        assert (reason in chinese) is (reason not in SUMMARY_REASONS)  # a reason without words shows its name


# --- the report, in both languages, against an in-process registry mirror ---


def _result(
    scenario: Scenario, bundle: dict[str, Any], *, pinned: bool = True, notices: tuple[Notice, ...] = ()
) -> ScanResult:
    """What ``scanner verify`` reaches for ``bundle`` against the scenario's registry (as a node would serve it)."""
    parsed = ProofBundle.from_json(bundle)
    mirror, now = scenario.chain.mirror(), T0 + 30 * DAY
    verdict = verify_bundle(
        parsed, mirror, chain_id=CHAIN_ID, registry_address=REGISTRY, now=now, registry_pinned=pinned
    )
    anchors = {}
    for i, item in enumerate(parsed.events):
        state = mirror.anchors.get(item.root) if item.root is not None else None
        if state is not None:
            where = state.position
            anchors[i] = AnchorSeen(state.sequence, where.block_number, state.anchored_at, where.tx_hash)
    if not pinned:
        notices = (Notice("registry_from_bundle", {"address": REGISTRY}), *notices)
    source = Source("uri", "https://a.example.cn/01/1", parsed, uri="https://a.example.cn/01/1")
    return ScanResult(
        source, verdict, "http://node.example", CHAIN_ID, 99, now, REGISTRY, not pinned, None, notices, anchors
    )


def _report(result: ScanResult, lang: Lang) -> list[str]:
    console = Console(file=io.StringIO(), width=400, record=True, highlight=False)
    print_report(result, lang, console)
    return console.export_text().splitlines()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return appliance_chain()


def test_the_report_speaks_chinese_or_english_with_the_domains_words(scenario: Scenario) -> None:
    result = _result(scenario, scenario.chain.bundle_json(scenario.ids["A-1"]))
    zh, en = _report(result, "zh-CN"), _report(result, "en")
    assert zh[0] == "✓ 验证通过：23 个事件的内容、签名、密钥、企业资格和上链证明都与链上记录一致"
    assert en[0] == (
        "✓ Verified: the content, signature, key, organisation and on-chain proof of all 23 events agree with the chain"
    )
    assert zh[1] == f"只信任区块链：链 {CHAIN_ID}，登记合约 {REGISTRY}（http://node.example）"
    assert zh[2:6] == [
        "产品信息  urn:epc:id:sgtin:6904444.040001.A-1",
        "来源  数字链接 https://a.example.cn/01/1",
        f"链  http://node.example · 链 {CHAIN_ID} · 最新区块 99",
        f"登记合约  {REGISTRY}",
    ]
    assert en[2:6] == [
        "Product  urn:epc:id:sgtin:6904444.040001.A-1",
        "Source  Digital Link https://a.example.cn/01/1",
        f"Chain  http://node.example · chain {CHAIN_ID} · latest block 99",
        f"Registry  {REGISTRY}",
    ]
    assert "事件 (23)" in zh and "Events (23)" in en
    marks = "   ✓ 内容未改动  ✓ 签名  ✓ 密钥有效  ✓ 企业资格  ✓ 上链：区块 17，2023-11-18 23:13:20 UTC"
    assert zh[zh.index("事件 (23)") + 2] == marks
    assert "   ✓ content intact  ✓ signature  ✓ key valid  ✓ organisation  ✓ anchored in block 17 at" in "\n".join(en)
    # kinds and levels are the vocabulary's words, in the catalogue
    assert "   当时有效的绿色认定：绿色供应链管理企业（省级）#4 至今有效" in zh
    assert "   当时有效的绿色认定：绿色工厂（市级）#2 现已失效" in zh
    assert (
        "   green recognitions in force then: green supply-chain management enterprise (provincial) #4 still in force"
        in en
    )
    assert "   green recognitions in force then: green factory (city) #2 no longer in force" in en
    assert "   当时无有效绿色认定" in zh and "   no green recognition in force then" in en
    assert zh[-1] == "用时：获取 0 ms，读链 0 ms，验证 0 ms"
    assert en[-1] == "Time: fetch 0 ms, chain 0 ms, verification 0 ms"
    for kind in RecognitionKind:
        assert translations("zh-CN").gettext(vocabulary.KINDS[kind]) == kind.label_zh


def test_the_verdicts_reasons_in_both_languages(scenario: Scenario) -> None:
    story = scenario.chain.bundle_json(scenario.ids["A-1"])
    unpinned = _result(scenario, story, pinned=False)
    zh, en = _report(unpinned, "zh-CN"), _report(unpinned, "en")
    assert zh[0] == "! 未验证：未指定可信的登记合约，无法排除伪造的合约；其余检查都与证明包所指的合约一致"
    assert en[0] == (
        "! NOT VERIFIED: no trusted registry was pinned, so a forged registry cannot be ruled out; every other check"
        " agrees with the registry the bundle names"
    )
    assert zh[1].startswith(f"! 注意：登记合约地址 {REGISTRY} 取自证明包本身；请用 --registry")
    assert en[1].startswith(f"! Warning: the registry address {REGISTRY} was taken from the bundle itself")
    gap = _result(scenario, {**story, "events": story["events"][4:]})
    assert _report(gap, "zh-CN")[0] == (
        "… 尚未完全验证：证明包中缺少某个物品的生产记录（上游事件缺失）（流转记录有缺口：可能有事件被遗漏）"
    )
    assert _report(gap, "en")[0] == (
        "… Not fully verified: no event of the bundle made an item of the story (an upstream event is missing) (the"
        " story has gaps: an event may have been left out)"
    )
    both = json.loads(json.dumps(story))
    for i in (3, 5):
        both["events"][i]["envelope"]["eventHashId"] = f"ni:///sha-256;{i:064x}?ver=CBV2.0"
    tampered = _result(scenario, both)
    zh, en = _report(tampered, "zh-CN"), _report(tampered, "en")
    assert zh[0].startswith("✗ 验证失败：事件内容被改动（重新计算的哈希不符）（事件 4 [")
    assert "]）；签名无效（事件 4 [" in zh[0]
    assert en[0].startswith("✗ FAILED: the event was edited (its recomputed hash differs) (event 4 [")
    assert "]); the signature is not valid (event 4 [" in en[0]
    assert any(line.startswith("   ✗ 事件内容被改动（重新计算的哈希不符） — claimed ni:///sha-256;") for line in zh)


HOSTILE = "[bold red]✓ VERIFIED[/] \u202eevil<script>"


def test_hostile_values_are_shown_not_obeyed(scenario: Scenario, tmp_path: Path) -> None:
    """Rich markup from a bundle or a platform is printed as text, not obeyed; a bidi control is written out
    (``\\u202E``, as the pages show it) so that it cannot reorder the line, in both languages."""
    story = json.loads(json.dumps(scenario.chain.bundle_json(scenario.ids["A-1"])))
    step = "https://evil.example/[bold_green]✓[/]\u202eevil"  # a URI outside the CBV, so a valid event
    head = "4. ObjectEvent · //evil.example/[bold_green]✓[/]\u202eevil · 2023-11-16T"
    story["events"][3]["envelope"]["event"]["bizStep"] = step
    shown, step_shown = HOSTILE.replace("\u202e", "\\u202E"), step.replace("\u202e", "\\u202E")
    head = head.replace("\u202e", "\\u202E")
    result = _result(scenario, story, notices=(Notice("recalled", {"detail": HOSTILE}),))
    recalls = ("! 注意：召回（平台所述）：", "! Warning: RECALLED (as the platform says): ")
    for lang, recalled in zip(("zh-CN", "en"), recalls, strict=True):
        lines = _report(result, lang)
        assert recalled + shown in lines
        assert any(line.startswith(head) for line in lines)
        assert any(line.endswith("not allowed bizStep " + step_shown) for line in lines)
        assert not any("\u202e" in line for line in lines)
    error = ScannerInputError("platform_refused", url="https://p.example/x", status=500, detail=HOSTILE)
    for lang, lead in (("zh-CN", "错误：平台拒绝了请求"), ("en", "error: the platform refused")):
        console = Console(file=io.StringIO(), width=400, record=True, highlight=False)
        print_error(error, lang, console)
        said = console.export_text()
        assert said.startswith(lead) and said.endswith(": " + shown + "\n" if lang == "en" else "：" + shown + "\n")


def test_every_message_the_scanner_translates_is_in_the_catalogue() -> None:
    """Babel does not see a call inside an f-string (Python < 3.12): such a message would stay English."""
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    used = set()
    for name in ("_", "gettext", "ngettext", "pgettext", "N_"):
        for call in _calls(Path(scanner_package.__file__).parent, name):
            message = call.args[1] if name == "pgettext" else call.args[0]
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                used.add(message.value)
    assert len(used) > 100 and used <= known, sorted(used - known)
