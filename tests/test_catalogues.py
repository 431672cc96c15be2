"""The pages' words: the catalogues are complete and current, and the templates' environment escapes everything.

``make test`` fails here when a message in the code or a template is missing from ``supplychain/locale/messages.pot``
(run ``make catalogues``) or lacks its Chinese in ``supplychain/locale/zh_CN/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import shutil
from copy import deepcopy
from pathlib import Path

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from backend.pages import catalogues, templating
from backend.pages.filters import iso, when
from supplychain import i18n, vocabulary
from supplychain.registry import Level, RecognitionKind
from supplychain.verify import FAILURE_CODES, INCOMPLETE_CODES


def test_catalogues_are_current_and_complete() -> None:
    assert catalogues.problems() == [], "run `make catalogues`, then translate what it added"


@pytest.fixture(scope="session")
def extracted() -> Catalog:
    """Every message the code uses today (:func:`catalogues.extract` walks the whole code and the templates: ~1.5 s),
    read once per test process: the tests below damage the catalogues, never the code."""
    return catalogues.extract()


@pytest.fixture
def locale_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extracted: Catalog) -> Path:
    """The catalogues copied aside, for tests that damage them (the code's messages: :func:`extracted`)."""
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy)
    monkeypatch.setattr(catalogues, "LOCALE_DIR", copy)
    monkeypatch.setattr(catalogues, "TEMPLATE", copy / "messages.pot")
    monkeypatch.setattr(catalogues, "extract", lambda: deepcopy(extracted))
    return copy


def _edit(path: Path, change: object) -> None:
    with path.open("rb") as f:
        catalog = read_po(f)
    change(catalog)  # type: ignore[operator]
    with path.open("wb") as f:
        write_po(f, catalog)


def test_a_message_missing_from_the_template_is_stale(locale_copy: Path) -> None:
    _edit(locale_copy / "messages.pot", lambda c: c.delete("Put on shelf"))
    _edit(locale_copy / "zh_CN/LC_MESSAGES/messages.po", lambda c: c.delete("Put on shelf"))
    assert catalogues.problems() == ["messages.pot: stale, lacks 'Put on shelf'"]


def test_a_message_the_code_no_longer_uses_is_stale(locale_copy: Path) -> None:
    _edit(locale_copy / "messages.pot", lambda c: c.add("A word nobody says"))
    found = catalogues.problems()
    assert "messages.pot: stale, the code no longer uses 'A word nobody says'" in found
    assert "zh_CN/LC_MESSAGES/messages.po: lacks 'A word nobody says'" in found


def test_untranslated_fuzzy_and_wrong_placeholders_are_reported(locale_copy: Path) -> None:
    po = locale_copy / "zh_CN/LC_MESSAGES/messages.po"

    def damage(catalog: object) -> None:
        catalog["Sold"].string = ""  # type: ignore[index]
        catalog["Packed"].flags.add("fuzzy")  # type: ignore[index]

    _edit(po, damage)
    found = catalogues.problems()
    assert "zh_CN/LC_MESSAGES/messages.po: 'Sold' is not translated" in found
    assert any("'Packed' is marked fuzzy" in line for line in found)


@pytest.mark.parametrize(
    ("message", "translation"),
    [
        ("{path} already exists; refusing to overwrite it", "{file} 已存在；拒绝覆盖"),  # a renamed placeholder
        ("{path} already exists; refusing to overwrite it", "已存在；拒绝覆盖"),  # a dropped one
        ("{path} already exists; refusing to overwrite it", "{path!r} 已存在；拒绝覆盖"),  # another conversion
    ],
)
def test_a_translation_with_other_placeholders_is_reported(locale_copy: Path, message: str, translation: str) -> None:
    po = locale_copy / "zh_CN/LC_MESSAGES/messages.po"

    def damage(catalog: object) -> None:
        catalog[message].string = translation  # type: ignore[index]

    _edit(po, damage)
    assert f"zh_CN/LC_MESSAGES/messages.po: {message!r}: the translation's {{placeholders}} differ" in (
        catalogues.problems()
    )


def test_update_adds_new_messages_untranslated_and_keeps_translations(locale_copy: Path) -> None:
    _edit(locale_copy / "messages.pot", lambda c: c.delete("Sold"))
    _edit(locale_copy / "zh_CN/LC_MESSAGES/messages.po", lambda c: c.delete("Sold"))
    catalogues.update()
    with (locale_copy / "zh_CN/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    assert catalog["Sold"].string == ""  # back, untranslated: --check fails until someone translates it
    assert catalog["Shipped"].string == "发货"
    assert catalogues.problems() == ["zh_CN/LC_MESSAGES/messages.po: 'Sold' is not translated"]


def test_check_command_exits_1_listing_problems(locale_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert catalogues.main(["--check"]) == 0
    _edit(locale_copy / "zh_CN/LC_MESSAGES/messages.po", lambda c: c.delete("Sold"))
    assert catalogues.main(["--check"]) == 1
    assert "lacks 'Sold'" in capsys.readouterr().out
    assert catalogues.main(["--bogus"]) == 2


def test_languages_have_one_spelling() -> None:
    assert i18n.LANGS == ("zh-CN", "en")
    for asked, meant in [("zh", "zh-CN"), ("ZH-cn", "zh-CN"), ("zh-Hans", "zh-CN"), (" en-US ", "en"), ("en", "en")]:
        assert i18n.parse_lang(asked) == meant
    for unknown in (None, "", "fr", "x" * 10_000, "zh-TW"):
        assert i18n.parse_lang(unknown) is None
    assert i18n.other_lang("zh-CN") == "en"
    assert i18n.other_lang("en") == "zh-CN"
    assert i18n.babel_locale("zh-CN") == "zh_CN"


def test_words_come_from_the_catalogue_in_the_page_language() -> None:
    zh, en = templating.environment("zh-CN"), templating.environment("en")
    source = "{{ _(words[level]) }}·{{ _(kinds[kind]) }}·{{ ngettext('%(n)s record', '%(n)s records', 2) }}"
    values = {"words": vocabulary.LEVELS, "level": Level.CITY, "kinds": vocabulary.KINDS}
    values["kind"] = RecognitionKind.GREEN_FACTORY
    assert zh.from_string(source).render(values).startswith("市级·绿色工厂·")
    assert en.from_string(source).render(values) == "city·green factory·2 records"
    assert vocabulary.step("https://ref.gs1.org/cbv/BizStep-shipping") == "Shipped"
    assert vocabulary.step("urn:epcglobal:cbv:bizstep:retail_selling") == "Sold"
    assert vocabulary.step("cbv:BizStep-unknown") is None
    assert vocabulary.step(None) is None


def test_every_value_is_escaped_and_spoofing_characters_shown() -> None:
    env = templating.environment("en")
    hostile = '<script>alert(1)</script>"\u202eevil'
    page = env.from_string('<p title="{{ v }}">{{ v }}</p>{{ _("Green chain trace") }}{{ nothing }}').render(
        v=hostile, nothing=None
    )
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "&#34;" in page or "&quot;" in page
    assert "\u202e" not in page
    assert "\\u202E" in page
    # a message's values are text too: escaped, spoofing shown
    assert "\u202e" not in env.from_string("{{ _('%(x)s', x=v) }}").render(v=hostile)
    assert "&lt;" in env.from_string("{{ _('%(x)s', x=v) }}").render(v=hostile)


def test_every_check_a_verdict_can_fail_or_leave_open_has_words() -> None:
    """The product page names each failed or open check in words, never by its code."""
    codes = FAILURE_CODES | INCOMPLETE_CODES
    assert codes - set(vocabulary.CHECKS) == set()
    chinese = i18n.translations("zh-CN")
    for code in codes:
        assert chinese.gettext(vocabulary.CHECKS[code]) != vocabulary.CHECKS[code], code


def test_undefined_names_are_errors_not_blanks() -> None:
    with pytest.raises(jinja2.UndefinedError):
        templating.environment("zh-CN").from_string("{{ missing.field }}").render()


def test_base_layout_offers_the_other_language() -> None:
    page = templating.render("base.html", "zh-CN")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert "<title>绿链溯源</title>" in page
    assert 'href="?lang=en" hreflang="en" lang="en">English</a>' in page
    assert templating.STYLESHEET[:20] in page
    english = templating.render("base.html", "en", switch_href="/login?lang=zh-CN")
    assert 'href="/login?lang=zh-CN" hreflang="zh-CN" lang="zh-CN">中文</a>' in english
    assert 'class="lang"' not in templating.render("base.html", "en", switch=False)


def test_time_filters() -> None:
    assert when(None) == "—"
    assert when(True) == "—"
    assert when(0) == "1970-01-01 08:00"
    assert when(1_500, ms=True, seconds=True) == "1970-01-01 08:00:01"
    assert iso(0) == "1970-01-01T00:00:00Z"
    assert iso(1_000, ms=True) == "1970-01-01T00:00:01Z"
