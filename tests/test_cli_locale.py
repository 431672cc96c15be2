"""The command line speaks the locale's language, as gettext tools do: Chinese under ``LANG=zh_CN.UTF-8``, English
under ``LANG=C`` (``LC_ALL`` first, then ``LC_MESSAGES``, then ``LANG``). In both the exit codes and what scripts read
(``--json``, key ids, the values in every message) are the same; a refusal names what is wrong; ``--help`` stays
English. (That the messages' Chinese keeps every placeholder of their English: tests/test_catalogues.py.)

(``tests/conftest.py`` pins ``LC_ALL=C.UTF-8`` for every other test: the locales here are set per command.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli import authority_cmd
from cli.demo_story import CONTEXT, _event
from cli.main import app

ROOT = Path(__file__).resolve().parent.parent
ZH: dict[str, str | None] = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "zh_CN.UTF-8"}
EN: dict[str, str | None] = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "C"}
SECRET = "correct horse battery staple"


def run(env: Mapping[str, str | None], *args: str | Path, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=dict(env), input=stdin)


@pytest.fixture
def documents(tmp_path: Path) -> dict[str, Path]:
    """A valid EPCIS document, an invalid one and a path where there is no file."""
    event = _event(
        "ObjectEvent",
        1_767_225_600,
        action="OBSERVE",
        bizStep="shipping",
        epcList=["https://id.gs1.org/01/06901234000108/21/0001"],
    )
    good = tmp_path / "shipment.jsonld"
    good.write_text(
        json.dumps(
            {
                "@context": CONTEXT,
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-01-01T00:00:00Z",
                "epcisBody": {"eventList": [event]},
            }
        ),
        encoding="utf-8",
    )
    bad = tmp_path / "empty.json"
    bad.write_text("{}", encoding="utf-8")
    return {"good": good, "bad": bad, "missing": tmp_path / "missing.json"}


def test_validate_speaks_chinese_or_english_and_exits_alike(documents: dict[str, Path]) -> None:
    good, bad, missing = documents["good"], documents["bad"], documents["missing"]
    zh, en = run(ZH, "validate", good, bad, missing), run(EN, "validate", good, bad, missing)
    assert zh.exit_code == en.exit_code == 2  # some file unreadable
    assert zh.stdout.splitlines()[:2] == [f"{good}：有效的 EPCISDocument（1 个事件）", f"{bad}：无效，1 个问题"]
    assert en.stdout.splitlines()[:2] == [f"{good}: valid EPCISDocument (1 event)", f"{bad}: invalid, 1 problem"]
    assert zh.stderr.startswith(f"错误：{missing}: ") and en.stderr.startswith(f"error: {missing}: ")
    as_json = [run(lang, "validate", good, bad, "--json") for lang in (ZH, EN)]
    assert as_json[0].exit_code == as_json[1].exit_code == 1
    assert as_json[0].stdout == as_json[1].stdout  # what scripts read does not change with the locale
    assert json.loads(as_json[0].stdout)["files"][1]["status"] == "invalid"


REFUSALS: list[tuple[list[str], int, str, str]] = [
    (
        ["chain", "down", "--data-dir", "{tmp}"],
        1,
        "no dev chain was started from {tmp}",
        "没有从 {tmp} 启动过开发链",
    ),
    (
        ["chain", "up", "--engine", "ganache", "--data-dir", "{tmp}"],
        1,
        "unknown engine 'ganache'; use one of: hardhat, anvil",
        "未知的引擎 'ganache'；请使用以下之一：hardhat, anvil",
    ),
    (
        ["tokens", "create", "--data-dir", "{tmp}"],
        1,
        "give either --org ID or --regulator",
        "--org ID 或 --regulator",
    ),
    (
        ["keys", "show", "{tmp}/none.key"],
        1,
        "cannot read key file {tmp}/none.key",
        "无法读取密钥文件 {tmp}/none.key",
    ),
    (["keys", "sign", "{tmp}/e.json", "--key", "{tmp}/k.key"], 1, "--org is required", "必须给出 --org"),
    (
        ["authority", "sign-tx", "--dev-account", "regulator"],
        1,
        "give either a FUNCTION (with --args) or --prepared FILE",
        "请给出 FUNCTION（及 --args）或 --prepared FILE 二者之一",
    ),
    (
        ["credential", "verify", "{tmp}/c.jwt", "--lang", "fr"],
        2,
        "--lang must be zh-CN or en, not 'fr'",
        "--lang 必须是 zh-CN 或 en，不能是 'fr'",
    ),
    (
        ["audit", "--registry", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--token", "t", "--lang", "fr"],
        2,
        "--lang must be one of zh-CN, en, got 'fr'",
        "--lang 必须是 zh-CN, en 之一，收到的是 'fr'",
    ),
    (["hash", "{tmp}/none.jsonld"], 1, "{tmp}/none.jsonld: No such file or directory", "{tmp}/none.jsonld"),
]
"""(command, exit code, what the English says, what the Chinese says); ``{tmp}`` is a fresh folder."""


@pytest.mark.parametrize(("args", "code", "english", "chinese"), REFUSALS, ids=[" ".join(r[0][:2]) for r in REFUSALS])
def test_bad_input_is_named_in_both_languages_with_the_same_exit_code(
    tmp_path: Path, args: list[str], code: int, english: str, chinese: str
) -> None:
    words = [a.replace("{tmp}", str(tmp_path)) for a in args]
    zh, en = run(ZH, *words), run(EN, *words)
    assert (zh.exit_code, en.exit_code) == (code, code), zh.output + en.output
    assert en.stderr.startswith("error: ") and english.replace("{tmp}", str(tmp_path)) in en.stderr, en.stderr
    assert zh.stderr.startswith("错误：") and chinese.replace("{tmp}", str(tmp_path)) in zh.stderr, zh.stderr
    assert "error" not in zh.stderr.lower()


def test_prompts_and_labels_in_chinese_values_unchanged(tmp_path: Path) -> None:
    key = tmp_path / "org.key"
    made = run(ZH, "keys", "generate", "--out", key, stdin=f"{SECRET}\n{SECRET}\n")
    assert made.exit_code == 0, made.output
    assert "口令" in made.stdout and "再次输入以确认" in made.stdout and "Passphrase" not in made.stdout
    key_id = made.stdout.splitlines()[-1]  # the key id alone on its line, as in English: scripts read it
    assert key_id.startswith("0x") and len(key_id) == 66
    shown = {lang: run(env, "keys", "show", key, stdin=f"{SECRET}\n") for lang, env in (("zh", ZH), ("en", EN))}
    assert f"密钥 ID：{key_id}" in shown["zh"].stdout and "公钥：" in shown["zh"].stdout
    assert f"key id:     {key_id}" in shown["en"].stdout and "public key: " in shown["en"].stdout
    again = run(ZH, "keys", "generate", "--out", key)
    assert again.exit_code == 1 and again.stderr == f"错误：{key} 已存在；拒绝覆盖\n"


def test_help_stays_english_under_a_chinese_locale() -> None:
    result = run(ZH, "keys", "--help")
    assert result.exit_code == 0
    assert "Event-signing keys: generate, show, and sign" in result.stdout


@pytest.mark.parametrize(
    ("environ", "chinese"),
    [
        ({"LC_ALL": "C", "LC_MESSAGES": None, "LANG": "zh_CN.UTF-8"}, False),  # LC_ALL before all
        ({"LC_ALL": None, "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, True),  # LC_MESSAGES before LANG
        ({"LC_ALL": None, "LC_MESSAGES": None, "LANG": "zh_TW.UTF-8"}, True),  # the Chinese the project has
        ({"LC_ALL": None, "LC_MESSAGES": None, "LANG": "fr_FR.UTF-8"}, False),  # one it does not speak: English
        ({"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}, False),
    ],
)
def test_the_language_follows_gettexts_rules(tmp_path: Path, environ: dict[str, str | None], chinese: bool) -> None:
    result = run(environ, "chain", "down", "--data-dir", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：" if chinese else "error: ")


def _cli(lang: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``supplychain ARGS`` as its own process under ``LANG=lang`` (no LC_ALL nor LC_MESSAGES)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    env["LANG"] = lang
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)


def test_a_real_process_speaks_its_locale(documents: dict[str, Path]) -> None:
    good, bad = documents["good"], documents["bad"]
    zh, en = _cli("zh_CN.UTF-8", "validate", good, bad), _cli("C", "validate", good, bad)
    assert zh.returncode == en.returncode == 1
    assert f"{good}：有效的 EPCISDocument（1 个事件）" in zh.stdout and f"{bad}：无效，1 个问题" in zh.stdout
    assert f"{good}: valid EPCISDocument (1 event)" in en.stdout and f"{bad}: invalid, 1 problem" in en.stdout
    # (that --json does not change with the locale: test_validate_speaks_chinese_or_english_and_exits_alike)


RECOGNITION = {
    "id": 7,
    "holder": "91320200MA1MX7K3GD",
    "kind": "green-factory",
    "kindZh": "绿色工厂",
    "level": "provincial",
    "grade": "none",
    "scope": "facility",
    "subject": "6901234000047",
    "standardRef": "GB/T 36132-2018",
    "validFrom": 1_767_225_600,
    "validUntil": None,
    "evidenceHash": "0x" + "ab" * 32,
    "issuer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "issuedAt": 1_767_225_600,
    "status": "suspended",
    "statusChangedAt": 1_767_312_000,
    "inForce": False,
    "expired": False,
    "statusHistory": [
        {"timestamp": 1_767_312_000, "status": "suspended", "reason": 6, "reasonName": "environmental-incident"}
    ],
    "spotChecks": {
        "count": 1,
        "consecutivePasses": 0,
        "lastCheckedAt": 1_767_300_000,
        "exemptUntil": None,
        "exempt": False,
        "records": [{"timestamp": 1_767_300_000, "passed": False, "reportHash": "0x" + "cd" * 32}],
    },
}
"""A recognition as ``authority show --json`` prints it (:func:`chain.authority.recognition_json`)."""


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        (
            "zh_CN.UTF-8",
            [
                "认定 7：绿色工厂，省级，设施 6901234000047",
                "有效期：2026-01-01 00:00:00 UTC 至 长期有效（直至撤销）",
                "状态：自 2026-01-02 00:00:00 UTC 起暂停；当前有效：否",
                "  2026-01-02 00:00:00 UTC 暂停，原因：环境事件",
                "抽查：1 次，连续通过 0 次，最近一次 2026-01-01 20:40:00 UTC；不免检",
            ],
        ),
        (
            "C",
            [
                "recognition 7: green factory, provincial, facility 6901234000047",
                "validity: 2026-01-01 00:00:00 UTC to until revoked",
                "status: suspended since 2026-01-02 00:00:00 UTC; in force now: no",
                "  2026-01-02 00:00:00 UTC suspended (environmental incident)",
                "spot checks: 1, 0 passed in a row, last 2026-01-01 20:40:00 UTC; not exempt",
            ],
        ),
    ],
)
def test_a_recognition_is_shown_in_the_vocabularys_words(
    lang: str, lines: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LC_ALL")
    monkeypatch.setenv("LANG", lang)
    authority_cmd._print_recognition(RECOGNITION)
    out = capsys.readouterr().out.splitlines()
    for line in lines:
        assert line in out, (line, out)
    assert "0x" + "ab" * 32 in "".join(out) and "0x" + "cd" * 32 in "".join(out)  # values as they are
