"""Problem details speak the client's language (issue 15, item 2): English by default, Chinese for a client that
prefers it (``Accept-Language``), from the one catalogue.

The same request asked in English and in Chinese gets the same problem for machines (``type``, ``status``, the
extension members, the validator's per-path messages) and the title and detail for people in each language, with
``Content-Language`` and ``Vary: Accept-Language``. Whatever ``Accept-Language`` says, hostile or not, the answer is the
same problem, in English when the header names neither English nor Chinese. Written before the catalogue did this:
every Chinese assertion here failed (the details were English whatever was asked).
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import backend
from backend.core import errors
from backend.core.errors import P_, ProblemError, Text, either, problem_lang, problem_response
from supplychain.errors import EpcisError, EpcisLimitError, EpcisSyntaxError, EpcisValidationError, Problem
from supplychain.i18n import translations
from tests.chains import MANUFACTURER, RETAILER

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = "https://supplychain.dev/problems/"
MAKERS_GTIN = "06901234009910"
ZH = {"Accept-Language": "zh-CN"}
HAN = re.compile(r"[\u4e00-\u9fff]")
HOSTILE_ACCEPT_LANGUAGES: list[str | bytes] = [
    "x" * 60_000,  # huge: only its first 512 characters are read
    "zh-CN;q=abc, ;;;, ,,,",  # malformed quality values and empty ranges
    ",".join(f"fr-{i};q=0.{i % 10}" for i in range(2000)),  # many ranges, none spoken here
    "zh-CN;q=2, zh-CN;q=-1, zh-CN;q=nan, zh-CN;q=inf",  # quality values out of range
    "*",
    "\u202ezh-CN".encode(),  # a bidi override before the tag (bytes: not Latin-1)
    "zh\u202e-CN".encode(),
    "\x00zh-CN\x7f".encode("latin-1"),
    "de, fr;q=0.9",  # languages the platform does not speak
]


def _bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


Ask = Callable[[TestClient, dict[str, str], dict[str, str]], httpx.Response]
#: Requests that are refused, each as (how to send it with extra headers, the English detail as it was before).
CASES: dict[str, tuple[Ask, str]] = {
    "bad-parameter": (
        lambda c, t, h: c.get("/events", params={"GE_eventTime": "yesterday"}, headers=h),
        "GE_eventTime: expected an RFC 3339 date-time, got 'yesterday'",
    ),
    "unknown-event": (
        lambda c, t, h: c.get("/events/" + "0" * 64, headers=h),
        f"no event ni:///sha-256;{'0' * 64}?ver=CBV2.0 is stored here",
    ),
    "no-token": (
        lambda c, t, h: c.post("/capture", content=b"{}", headers=h),
        "send an API token as 'Authorization: Bearer <token>' (browsers: sign in at /login)",
    ),
    "invalid-epcis": (
        lambda c, t, h: c.post(
            "/capture",
            content=b'{"type": "EPCISDocument"}',
            headers={**_bearer(t, "manufacturer"), "Content-Type": "application/ld+json", **h},
        ),
        "",  # the count and the validator's first problems: compared between languages below
    ),
    "unsupported-media-type": (
        lambda c, t, h: c.post(
            "/capture", content=b"{}", headers={**_bearer(t, "manufacturer"), "Content-Type": "text/csv", **h}
        ),
        "unsupported media type 'text/csv': expected one of application/ld+json, application/json, "
        "application/xml, text/xml",
    ),
    "too-many-parameters": (
        lambda c, t, h: c.get("/events?" + "&".join(f"p{i}=1" for i in range(101)), headers=h),
        "101 query parameters; at most 100 are accepted",
    ),
    "malformed-url": (
        lambda c, t, h: c.get("/events?GE_eventTime=%zz", headers=h),
        "GE_eventTime: '%' not followed by two hex digits",
    ),
    "not-gtin-owner": (
        lambda c, t, h: c.post(
            "/qr/issue", json={"gtin": MAKERS_GTIN, "lot": "L1"}, headers={**_bearer(t, "retailer"), **h}
        ),
        f"GTIN {MAKERS_GTIN} belongs to organisation {MANUFACTURER} (GS1 Company Prefix 6901234), which has not "
        f"delegated it to organisation {RETAILER}: only its owner or a delegate may issue codes of it",
    ),
    "not-issued": (
        lambda c, t, h: c.get(f"/01/{MAKERS_GTIN}/21/NEVER", headers={"Accept": "application/json", **h}),
        f"https://qr.example.cn/01/{MAKERS_GTIN}/21/NEVER was not issued here",
    ),
    "method-not-allowed": (lambda c, t, h: c.delete("/health", headers=h), "Method Not Allowed"),
    "no-route": (lambda c, t, h: c.get("/nowhere", headers=h), "Not Found"),
}


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    problem: dict[str, Any] = response.json()
    return problem


def _for_machines(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k not in ("title", "detail")}


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_problem_in_english_and_in_chinese(client: TestClient, tokens: dict[str, str], case: str) -> None:
    ask, english_detail = CASES[case]
    plain, english, chinese = (
        ask(client, tokens, {}),
        ask(client, tokens, {"Accept-Language": "en"}),
        ask(client, tokens, {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}),
    )
    assert plain.status_code == english.status_code == chinese.status_code >= 400
    in_plain, in_english, in_chinese = _problem(plain), _problem(english), _problem(chinese)
    assert in_plain == in_english  # English is the default
    assert _for_machines(in_english) == _for_machines(in_chinese)  # type, status, instance, extension members
    if english_detail:
        assert in_english["detail"] == english_detail  # unchanged from before the catalogue
    assert not HAN.search(in_english["title"] + in_english["detail"])
    assert HAN.search(in_chinese["title"]), in_chinese
    assert HAN.search(in_chinese["detail"]), in_chinese
    assert plain.headers["content-language"] == english.headers["content-language"] == "en"
    assert chinese.headers["content-language"] == "zh-CN"
    for response in (plain, chinese):
        assert "Accept-Language" in response.headers["vary"]


def test_values_in_a_chinese_detail_are_not_translated(client: TestClient, tokens: dict[str, str]) -> None:
    ask, _ = CASES["not-gtin-owner"]
    problem = _problem(ask(client, tokens, ZH))
    assert problem["title"] == "不允许"
    assert problem["detail"] == (
        f"GTIN {MAKERS_GTIN} 属于组织 {MANUFACTURER}（GS1 厂商识别代码 6901234），该组织未将其授权给组织 {RETAILER}："
        "只有所有者或被授权方才能为该 GTIN 签发码"
    )
    assert (problem["gtin"], problem["owner"]) == (MAKERS_GTIN, MANUFACTURER)


def test_the_validators_messages_stay_english_under_a_chinese_detail(
    client: TestClient, tokens: dict[str, str]
) -> None:
    """A deliberate difference (docs/api.md): the top sentence is translated, ``problems[]`` is the validator's."""
    ask, _ = CASES["invalid-epcis"]
    english, chinese = _problem(ask(client, tokens, {})), _problem(ask(client, tokens, ZH))
    count = len(english["problems"])
    assert count > 1
    assert english["title"] == "Invalid EPCIS document" and chinese["title"] == "EPCIS 文档无效"
    assert english["detail"].startswith(f"{count} problem(s) in EPCIS input: ")
    assert chinese["detail"].startswith(f"EPCIS 输入中有 {count} 处问题：")
    first = english["problems"][0]["message"]
    assert first in english["detail"] and first in chinese["detail"]
    assert chinese["problems"] == english["problems"]


def test_the_api_guides_example_is_the_services_answer(client: TestClient) -> None:
    """docs/api.md shows this request's answer in both languages."""
    chinese = _problem(client.get("/events", params={"GE_eventTime": "yesterday"}, headers=ZH))
    assert (chinese["title"], chinese["detail"]) == (
        "查询参数无效",
        "GE_eventTime：应为 RFC 3339 日期时间，收到 'yesterday'",
    )
    guide = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert f'"detail": "{chinese["detail"]}"' in guide and f'"title": "{chinese["title"]}"' in guide


def test_framework_validation_keeps_its_english_detail(client: TestClient) -> None:
    """FastAPI's own validation (422): the title is translated, the detail is pydantic's, in English."""
    english = _problem(client.get("/recognitions/0/impact"))
    chinese = _problem(client.get("/recognitions/0/impact", headers=ZH))
    assert english["status"] == chinese["status"] == 422
    assert (english["title"], chinese["title"]) == ("Invalid request", "请求无效")
    assert chinese["detail"] == english["detail"] and chinese["errors"] == english["errors"]


def test_an_unauthorised_problem_keeps_its_challenge_in_chinese(client: TestClient) -> None:
    refused = client.post("/capture", content=b"{}", headers=ZH)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert _problem(refused)["title"] == "需要身份验证"


def test_the_resolver_varies_on_accept_and_accept_language(client: TestClient) -> None:
    ask, _ = CASES["not-issued"]
    refused = ask(client, {}, ZH)
    assert refused.status_code == 404
    assert refused.headers["vary"] == "Accept, Accept-Language"
    assert _problem(refused)["detail"] == f"本平台未签发 https://qr.example.cn/01/{MAKERS_GTIN}/21/NEVER"


@pytest.mark.parametrize("header", HOSTILE_ACCEPT_LANGUAGES, ids=lambda h: repr(h)[:30])
def test_hostile_accept_language_headers_get_the_english_problem(
    client: TestClient, tokens: dict[str, str], header: str | bytes
) -> None:
    ask, english_detail = CASES["bad-parameter"]
    answered = ask(client, tokens, {"Accept-Language": header})  # type: ignore[dict-item]
    assert answered.status_code == 400
    assert answered.headers["content-language"] == "en"
    assert _problem(answered)["detail"] == english_detail


def test_a_hostile_header_before_a_chinese_range_does_not_hide_it(client: TestClient) -> None:
    ask, _ = CASES["unknown-event"]
    answered = ask(client, {}, {"Accept-Language": "\u202e, x;q=abc, zh-CN;q=0.5".encode()})  # type: ignore[dict-item]
    assert answered.headers["content-language"] == "zh-CN"
    assert _problem(answered)["title"] == "未找到"


def test_the_edge_guard_reads_the_language_from_the_raw_headers() -> None:
    assert problem_lang([(b"host", b"x"), (b"accept-language", b"zh-CN")]) == "zh-CN"
    assert problem_lang([(b"accept-language", b"\xff\xfe")]) == "en"
    assert problem_lang([]) == "en"


# --- every message has its Chinese ---


def _all_problem_classes() -> set[type[ProblemError]]:
    for module in pkgutil.walk_packages(backend.__path__, "backend."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: set[type[ProblemError]] = set()
    todo = [ProblemError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_problem_title_has_its_chinese() -> None:
    classes = _all_problem_classes()
    assert len(classes) >= 16  # the errors module's and the routes' own (a count guard: an empty walk fails)
    chinese = translations("zh-CN")
    titles = {cls.title for cls in classes} | set(errors._LIMIT_NOUNS) | set(errors._FRAMEWORK_WORDS)
    untranslated = sorted(t for t in titles if not HAN.search(chinese.gettext(t)))
    assert untranslated == []
    limits: list[type[EpcisLimitError]] = [EpcisLimitError, *EpcisLimitError.__subclasses__()]
    assert len(limits) >= 6 and {cls.what for cls in limits} <= set(errors._LIMIT_NOUNS)


_DETAIL_ARGUMENT = {"BadParameterError": 1, "_RefusedError": 3, "problem_response": 3, "_problem_response": 3}


def test_no_backend_problem_is_written_as_a_plain_string() -> None:
    """A detail the backend writes is ``P_("...", name=value)``, so that it reaches the catalogue; a literal or an
    f-string detail would be English only (texts from the core or a library come in as ``str(exc)``)."""
    names = {cls.__name__ for cls in _all_problem_classes()}
    found = []
    for path in sorted((ROOT / "backend").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name not in names and name not in _DETAIL_ARGUMENT:
                continue
            index = _DETAIL_ARGUMENT.get(str(name), 0)
            if len(node.args) > index and isinstance(node.args[index], ast.JoinedStr | ast.Constant | ast.BinOp):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


# --- the message objects ---


def test_a_message_is_said_in_each_language_with_its_values_as_they_are() -> None:
    detail = P_("no event {event} is stored here", event="ni:///x")
    assert str(detail) == detail.render("en") == "no event ni:///x is stored here"
    assert detail.render("zh-CN") == "本平台未存储事件 ni:///x"
    nested = P_(
        "{parameter}: {reason}",
        parameter="perPage",
        reason=P_("expected 1..{maximum}, got {value}", maximum=9, value=0),
    )
    assert nested.render("zh-CN") == "perPage：应为 1..9，收到 0"
    assert str(either(["a", "b", "c"])) == "a or b or c" and said_in_chinese(either(["a", "b"])) == "a 或 b"
    assert either(["only"]) == "only"
    assert "P_('no event {event} is stored here'" in repr(detail)


def said_in_chinese(words: str | Text) -> str:
    return words.render("zh-CN") if isinstance(words, Text) else words


def test_a_translation_that_breaks_its_placeholders_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def gettext(self, message: str) -> str:
            return "坏了 {nothing_like_it}"

    monkeypatch.setattr(errors, "translations", lambda lang: Broken())
    assert P_("no event {event} is stored here", event="e").render("zh-CN") == "no event e is stored here"


def test_a_problem_built_by_hand_is_answered_in_the_language_asked() -> None:
    response = problem_response(409, "conflict", "Conflict", P_("{event} is already stored", event="e"), lang="zh-CN")
    body = json.loads(bytes(response.body))
    assert (body["title"], body["detail"], response.headers["content-language"]) == ("冲突", "e 已存储", "zh-CN")
    plain = ProblemError("a library's own words")
    assert plain.detail == plain.detail_in("zh-CN") == "a library's own words"


def test_the_core_errors_read_in_english_as_they_did() -> None:
    """The sentences the handlers compose from the core's errors are, in English, the errors' own messages."""
    limits: list[type[EpcisLimitError]] = [EpcisLimitError, *EpcisLimitError.__subclasses__()]
    for cls in limits:
        for path in ("", "epcisBody.eventList[3]"):
            exc = cls("max_x", 10, 11, path)
            assert str(errors._over_limit(exc)) == str(exc)
            assert errors._over_limit(exc).render("zh-CN") != str(exc)
    for count in (1, 5, 6, 12):
        problems = [Problem(i, None, f"p{i}", f"bad {i}") for i in range(count)]
        for truncated in (False, True):
            invalid = EpcisValidationError(problems, truncated=truncated)
            assert str(errors._invalid_epcis(invalid)) == str(invalid).splitlines()[0]
    syntax = EpcisSyntaxError("application/json", "Expecting value: line 1 column 1 (char 0)")
    assert str(errors._malformed(syntax)) == str(syntax)
    assert errors._malformed(EpcisError("anything")) == "anything"


def test_a_method_not_allowed_names_the_methods_allowed(client: TestClient) -> None:
    """RFC 9110: a 405 carries ``Allow`` (Starlette gives it; the problem handler dropped it)."""
    refused = client.delete("/health", headers=ZH)
    assert refused.status_code == 405
    assert set(refused.headers["allow"].replace(" ", "").split(",")) >= {"GET"}
    assert refused.headers["vary"] == "Accept-Language"
