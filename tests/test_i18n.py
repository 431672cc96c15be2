"""The one language convention (zh-CN / en): a command line's language from the POSIX environment, an HTTP client's
from Accept-Language, hostile headers included."""

from __future__ import annotations

import pytest

from supplychain.i18n import from_accept_language, from_environment, parse_lang


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LANG": "zh_CN.GB18030@stroke"}, "zh-CN"),
        ({"LANG": "zh_TW.UTF-8"}, "zh-CN"),  # a Chinese locale: the Chinese the project has
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),  # a language the project does not speak: the messages themselves
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "C"}, "en"),  # LC_MESSAGES before LANG
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8", "LANG": "C"}, "zh-CN"),  # LC_ALL before all
        ({"LC_ALL": "", "LANG": "zh_CN"}, "zh-CN"),  # an empty variable counts as unset
    ],
)
def test_a_command_lines_language_follows_the_locale_as_gettext_does(environ: dict[str, str], expected: str) -> None:
    assert from_environment(environ) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN,zh;q=0.9", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,zh-CN;q=0.5,en;q=0.4", "zh-CN"),  # the best the project speaks
        ("en;q=0.2, zh-CN;q=0.9", "zh-CN"),  # by quality, not by order
        ("zh-CN;q=0.5, en;q=0.5", "zh-CN"),  # a tie: the first listed
        ("zh-CN;q=0", "en"),  # q=0 means "not this one"
        ("*", "en"),
        ("fr, de", "en"),
        ("zh-CN;q=abc, en;q=0.1", "en"),  # a malformed quality skips its range
        ("zh-CN;q=7", "en"),  # out of range: skipped
        ("zh-CN;q=-1", "en"),
        (";;;,,,===", "en"),
        ("en," * 10_000 + "zh-CN", "en"),  # only the first ranges are read
        ("x" * 100_000, "en"),
        ("\u202ezh-CN", "en"),
    ],
)
def test_an_http_clients_language_from_accept_language(header: str | None, expected: str) -> None:
    assert from_accept_language(header, "en") == expected


def test_accept_language_falls_back_to_the_callers_default() -> None:
    assert from_accept_language("fr", "zh-CN") == "zh-CN"
    assert from_accept_language(None, "zh-CN") == "zh-CN"


@pytest.mark.parametrize("value", ["zh", "ZH-cn", " zh-Hans ", "zh_CN"])
def test_the_spellings_of_chinese(value: str) -> None:
    assert parse_lang(value) == "zh-CN"
