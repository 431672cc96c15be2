"""Rendering the platform's pages from Jinja2 templates (``backend/pages/templates``).

Every page extends ``base.html`` (one layout: the header with the brand and the language switch, the one stylesheet
``backend/web/page.css`` inlined, nothing loaded from elsewhere). Autoescape is on for every template, and every value
a template prints passes :func:`_shown` first: a bidirectional control or an invisible character shows as ``\\u202E``
instead of reordering or hiding what follows (:func:`supplychain.text.show_spoofing`), the platform's one rule for
text from outside. Templates only present: the page code hands them plain data (view models), and the formatting
they share lives in the filters of :mod:`backend.pages.filters`.

Text comes from the catalogues (:mod:`supplychain.i18n`): a template writes ``{{ _("Journey") }}``, with values as
keywords (``{{ _("Show the checks of %(n)s records", n=count) }}``; ``ngettext`` and ``pgettext`` likewise). The
translated text is plain text, escaped like any value: markup belongs in the templates, never in a message. One
environment per language, built on first use and kept (templates are compiled once per process).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

import jinja2
from markupsafe import Markup

from backend.pages.filters import FILTERS
from supplychain.i18n import LANGS, Lang, other_lang, translations
from supplychain.text import show_spoofing

__all__ = ["STYLESHEET", "TEMPLATES_DIR", "environment", "render"]

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"
WEB_DIR: Final = Path(__file__).resolve().parent.parent / "web"
_CSS = re.sub(r"/\*.*?\*/|\n", "", (WEB_DIR / "page.css").read_text(encoding="utf-8"), flags=re.S)
STYLESHEET: Final = Markup(_CSS)  # noqa: S704 - the package's own stylesheet, not data
"""The one stylesheet of every page, comments and line breaks removed, inlined by ``base.html``."""


def _shown(value: object) -> object:
    """What a template prints: ``None`` prints nothing, markup the templates made stays as it is, any other value is
    text whose spoofing characters are shown (then autoescaped)."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return show_spoofing(str(value))


def _words(lang: Lang) -> dict[str, Callable[..., str]]:
    catalogue = translations(lang)

    def gettext(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
        return catalogue.ngettext(singular, plural, n) % {"n": n, **values}

    def pgettext(context: str, message: str, **values: Any) -> str:
        text = str(catalogue.pgettext(context, message))
        return text % values if values else text

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "pgettext": pgettext}


@cache
def environment(lang: Lang) -> jinja2.Environment:
    """The templates' environment for ``lang``: autoescape everywhere, undefined names are errors, the words of
    ``lang``'s catalogue as ``_``/``gettext``/``ngettext``/``pgettext``, the shared filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_shown,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    env.globals.update(_words(lang))
    env.globals.update(lang=lang, other_lang=other_lang(lang), langs=LANGS, stylesheet=STYLESHEET)
    return env


def render(template: str, lang: Lang, context: Mapping[str, Any] | None = None, /, **values: Any) -> str:
    """The page ``template`` in ``lang``, from a view model (``context``) and/or keyword values."""
    merged = {**(context or {}), **values}
    return environment(lang).get_template(template).render(merged)
