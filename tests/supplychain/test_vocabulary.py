"""The domain's words and the catalogue they are shown from, as the core gives them: the English message, its
Chinese from the catalogue, and what a page gets for a word the vocabulary does not know."""

from __future__ import annotations

import pytest

from supplychain import vocabulary as words
from supplychain.i18n import LANGS, N_, babel_locale, other_lang, parse_lang, translations
from supplychain.registry import Level, ReasonCode, RecognitionKind


def test_each_language_switches_to_the_other_and_has_babels_spelling() -> None:
    assert [other_lang(lang) for lang in LANGS] == ["en", "zh-CN"]
    assert [babel_locale(lang) for lang in LANGS] == ["zh_CN", "en"]
    assert parse_lang(None) is None


def test_the_vocabulary_reads_in_chinese_from_the_catalogue_and_english_is_the_message_itself() -> None:
    chinese, english = translations("zh-CN"), translations("en")
    assert chinese.gettext(words.LEVELS[Level.PROVINCIAL]) == "省级"
    assert chinese.gettext(words.KINDS[RecognitionKind.GREEN_FACTORY]) == "绿色工厂"
    assert chinese.gettext(words.REASONS[ReasonCode.DATA_FALSIFIED]) == "弄虚作假"
    assert chinese.gettext(words.UNITS[None]) == "件"
    assert english.gettext(words.LEVELS[Level.PROVINCIAL]) == "provincial"
    assert chinese.gettext(N_("a message nobody translated")) == "a message nobody translated"  # shown in English
    assert translations("zh-CN") is chinese  # read once per process


@pytest.mark.parametrize(
    ("biz_step", "expected"),
    [
        ("https://ref.gs1.org/cbv/BizStep-shipping", "Shipped"),
        ("cbv:BizStep-shipping", "Shipped"),
        ("urn:epcglobal:cbv:bizstep:shipping", "Shipped"),
        ("retail_selling", "Sold"),
        ("https://ns.example.com/steps/polishing", None),  # a step of its own: the page shows its bare name
        ("", None),
        (None, None),
    ],
)
def test_a_business_step_in_any_spelling_has_its_message(biz_step: str | None, expected: str | None) -> None:
    assert words.step(biz_step) == expected


def test_reasons_kinds_and_levels_by_the_names_the_json_answers_use() -> None:
    assert words.reason("data_falsified") == "data falsified"
    assert words.reason("exploded") is None and words.reason(None) is None
    assert words.kind("green_factory") == "green factory" and words.kind("green_moon") is None
    assert words.level("provincial") == "provincial" and words.level("galactic") is None
    assert set(words.SUPPLIER_WARNINGS) > set(words.STANDINGS)
    assert all(isinstance(message, str) and message for message in words.CHECKS.values())
