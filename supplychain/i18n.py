"""The words the project shows people, from one gettext catalogue: Chinese (zh-CN) first, English available.

Pages, problem details, the command line and the scanner all take their words from here (the scanner and the core
import nothing above them, so the catalogue and this loader live in the core).

One convention for language codes everywhere: BCP 47 tags, ``zh-CN`` and ``en`` (in ``?lang=``, ``<html lang>``,
``Content-Language``, ``Accept-Language`` and code). Only the catalogues' folder uses Babel's spelling, ``zh_CN``;
a command line takes its language from the POSIX environment (:func:`from_environment`).

Messages are written in English in the code and the templates (``_("Green share of its inputs")``); English is the
source language, so it needs no catalogue. ``supplychain/locale/messages.pot`` lists every message (extracted by Babel
from the Python packages and ``backend/pages/templates``, as ``supplychain/locale/babel.cfg`` maps them) and
``supplychain/locale/zh_CN/LC_MESSAGES/messages.po`` gives each its Chinese. ``make catalogues`` re-extracts and
updates them; ``tests/test_catalogues.py`` fails when the template is stale or a message lacks its Chinese. The
``.po`` file is read at import (no compiled ``.mo`` is committed or built).

The domain's words (recognition levels and kinds, business steps, units...) are defined once, in
:mod:`supplychain.vocabulary`. The vocabulary of signed credentials is not translated here: it is part of what is
signed (:mod:`supplychain.credentials`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final, Literal, get_args

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "LOCALE_DIR",
    "N_",
    "Lang",
    "babel_locale",
    "from_accept_language",
    "from_environment",
    "other_lang",
    "parse_lang",
    "translations",
]

Lang = Literal["zh-CN", "en"]
LANGS: Final[tuple[Lang, ...]] = get_args(Lang)
DEFAULT_LANG: Final[Lang] = "zh-CN"
"""Chinese first: a page asked in no language, or in one the platform does not speak, is in Chinese."""
SOURCE_LANG: Final[Lang] = "en"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "messages"

_ALIASES: Final[dict[str, Lang]] = {
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "zh-hans": "zh-CN",
    "zh-hans-cn": "zh-CN",
    "zh_cn": "zh-CN",
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "en_us": "en",
}


def parse_lang(value: str | None) -> Lang | None:
    """The language a ``?lang=`` value asks for (``zh``, ``zh-CN``, ``zh-Hans``, ``en``, ``en-US``... in any case),
    or ``None`` for one the platform does not speak (the caller decides: a page falls back to Chinese, an API
    parameter refuses it)."""
    if value is None:
        return None
    return _ALIASES.get(value.strip().lower()[:16])


def from_environment(environ: Mapping[str, str]) -> Lang:
    """The language of a command line, as gettext tools choose it: the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set names the locale (``zh_CN.UTF-8``, ``en_GB``...). Chinese for a Chinese locale; English for
    ``C``/``POSIX``, for none set, and for a language the project does not speak (the messages themselves)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            tag = value.split(".", 1)[0].split("@", 1)[0]
            lang = parse_lang(tag) or parse_lang(tag.split("_", 1)[0].split("-", 1)[0])
            return lang or SOURCE_LANG
    return SOURCE_LANG


_MAX_ACCEPT_LANGUAGE: Final = 512
_MAX_RANGES: Final = 16


def from_accept_language(header: str | None, default: Lang) -> Lang:
    """The language an ``Accept-Language`` header (RFC 9110) prefers among the project's, by quality value (the
    first listed wins a tie; ``*`` and languages the project does not speak are passed over); ``default`` when it
    names none. Hostile headers cost little: only the first 512 characters and 16 ranges are read, and a malformed
    range or quality value is skipped."""
    if not header:
        return default
    best: tuple[float, Lang] | None = None
    for item in header[:_MAX_ACCEPT_LANGUAGE].split(",")[:_MAX_RANGES]:
        tag, _, params = item.partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip()[:5])
            except ValueError:
                continue
            if not 0 <= quality <= 1:
                continue
        tag = tag.strip()
        lang = parse_lang(tag) or parse_lang(tag.split("-", 1)[0])
        if lang is not None and quality > 0 and (best is None or quality > best[0]):
            best = (quality, lang)
    return default if best is None else best[1]


def other_lang(lang: Lang) -> Lang:
    """The language a page's switch offers."""
    return "en" if lang == "zh-CN" else "zh-CN"


def babel_locale(lang: Lang) -> str:
    """Babel's spelling of a language (``zh_CN``): the catalogues' folder name."""
    return lang.replace("-", "_")


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools know
    """Mark a message for extraction without translating it (it is translated where it is shown)."""
    return message


@cache
def translations(lang: Lang) -> NullTranslations:
    """The catalogue of ``lang`` (English, the source language: the messages themselves). Read once per process;
    fuzzy and untranslated entries are left out, so a message without its translation shows in English."""
    if lang == SOURCE_LANG:
        return NullTranslations()
    path = LOCALE_DIR / babel_locale(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=babel_locale(lang), domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
