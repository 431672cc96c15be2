"""What the commands share: the data folder, error reporting, the console, the words.

The commands speak the language of the POSIX locale, as gettext tools do (``LC_ALL``, ``LC_MESSAGES``, ``LANG``:
:func:`supplychain.i18n.from_environment`): Chinese under ``zh_CN.UTF-8``, English under ``C`` or none. Every message
for people is written in English with named placeholders (``_("stopped {engine}", engine=...)``) and translated
from the project's one catalogue (``supplychain/locale``); the values are put in after translation and never
translated. What scripts read (``--json``, key files, exported documents, exit codes) is the same in every language;
``--help`` and click's own usage errors stay English.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.cells import cell_len
from rich.console import Console

from chain.errors import ChainError
from supplychain.errors import TraceError
from supplychain.i18n import Lang, from_environment, translations

__all__ = [
    "LOG_WIDTH",
    "_",
    "console",
    "data_dir",
    "error",
    "fail",
    "locale_lang",
    "ngettext",
    "pad",
    "reported",
    "word",
]

LOG_WIDTH = 240
"""Columns rich lays tables out in when stdout is not a terminal and ``COLUMNS`` is unset (rich's default there, 80,
would fold URLs, addresses and keys in a log; a table is only as wide as its content)."""

console = Console(
    highlight=False,
    soft_wrap=True,  # a line is never broken by rich: in a terminal it wraps as the terminal does, whole in a log
    width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else LOG_WIDTH,
)
"""The commands' console: long lines, URLs and hashes are printed whole, ready to copy from a terminal or a log."""


_SPOKEN: ContextVar[Lang | None] = ContextVar("spoken", default=None)


def locale_lang() -> Lang:
    """The language of the messages: the one a command was asked to speak (:func:`speaking`), else the locale's
    (read on each message, so a test's environment is obeyed)."""
    return _SPOKEN.get() or from_environment(os.environ)


@contextmanager
def speaking(language: Lang) -> Iterator[None]:
    """Messages in ``language`` within the block, whatever the locale (a command's ``--lang`` option)."""
    token = _SPOKEN.set(language)
    try:
        yield
    finally:
        _SPOKEN.reset(token)


def _(message: str, /, **values: object) -> str:
    """``message`` (English, with ``{named}`` placeholders) in the locale's language, its placeholders filled with
    ``values`` (which are never translated)."""
    return translations(locale_lang()).gettext(message).format(**values)


def ngettext(singular: str, plural: str, count: int, /, **values: object) -> str:
    """The form of a message that suits ``count`` (``{count}`` is filled in too), in the locale's language."""
    return translations(locale_lang()).ngettext(singular, plural, count).format(count=count, **values)


def pgettext(context: str, message: str, /, **values: object) -> str:
    """Like :func:`_` for a message whose English is also said elsewhere with another meaning (a check named
    ``status``, a label ``Status``): ``context`` tells the two apart in the catalogue."""
    return str(translations(locale_lang()).pgettext(context, message)).format(**values)


def word(message: str) -> str:
    """A word of :mod:`supplychain.vocabulary` (a message without placeholders) in the locale's language."""
    return translations(locale_lang()).gettext(message)


def term(words: Mapping[Any, str], key: object) -> str:
    """The word ``words`` (a dict of :mod:`supplychain.vocabulary`) gives ``key`` (a code of the JSON answers:
    ``in_force``, ``expires_soon``...), in the locale's language; a key it does not know is shown as it is."""
    known = words.get(key)
    return word(known) if known else str(key)


def pad(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (a Chinese character takes two)."""
    return text + " " * max(columns - cell_len(text), 0)


def data_dir(override: Path | None = None) -> Path:
    """The data folder: ``override``, else ``SUPPLYCHAIN_DATA_DIR``, else ``./data``."""
    return (override or Path(os.environ.get("SUPPLYCHAIN_DATA_DIR", "data"))).resolve()


def error(message: str) -> None:
    """Print ``error: message`` on stderr (``错误：message`` in Chinese); ``message`` is already in words."""
    typer.echo(_("error: {message}", message=message), err=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    error(message)
    raise typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn the project's errors into ``error: ...`` on stderr and exit code 1 (no traceback for expected failures).

    The exception's own text is printed as the layer below wrote it (the name of its type first)."""
    try:
        yield
    except (ChainError, TraceError, ValueError, OSError) as exc:
        fail(f"{type(exc).__name__}: {exc}")
