"""Keeping the catalogues true to the code: ``python -m backend.pages.catalogues`` (``make catalogues``) re-extracts
every message of the project (Python and templates, mapped by ``supplychain/locale/babel.cfg``) into
``supplychain/locale/messages.pot`` (with the meanings of the audit's finding codes, :func:`extract`) and merges it into
each language's ``.po`` (new messages arrive untranslated, gone ones are dropped); ``--check`` changes nothing and
lists what is wrong, exit 1 (``tests/test_catalogues.py`` runs it).

Wrong means: the template differs from what the code says today (stale), or a catalogue lacks a message, has one the
template does not, leaves one untranslated or fuzzy, or its translation's placeholders differ from the message's
(``%`` formats as Babel checks them, ``{name}`` fields as :func:`_misplaced` does).
Files are written sorted, without source locations or line wrapping, so that two changes touching different messages
merge without conflict.
"""

from __future__ import annotations

import string
import sys
from io import BytesIO
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from supplychain.audit import CODES
from supplychain.i18n import DOMAIN, LANGS, LOCALE_DIR, SOURCE_LANG, babel_locale

__all__ = ["extract", "main", "problems", "update"]

ROOT: Final = LOCALE_DIR.parent.parent
TEMPLATE: Final = LOCALE_DIR / f"{DOMAIN}.pot"
MAPPING: Final = LOCALE_DIR / "babel.cfg"


def _po_path(lang: str) -> Path:
    return LOCALE_DIR / babel_locale(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"  # type: ignore[arg-type]


def extract() -> Catalog:
    """Every message the code and the templates use today, and the meaning of every audit finding code (its English
    text in :data:`supplychain.audit.CODES`, which the pure core keeps free of gettext)."""
    with MAPPING.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="supplychain", domain=DOMAIN)
    for _file, _line, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, strip_comment_tags=True
    ):
        catalog.add(message, None, auto_comments=comments, context=context)
    for _severity, meaning in CODES.values():  # the audit's finding codes: their English meanings live in the core
        catalog.add(meaning, None, auto_comments=["What an audit finding code means (supplychain.audit.CODES)."])
    return catalog


def _write(catalog: Catalog, path: Path, *, header: bool) -> bytes:
    out = BytesIO()
    write_po(out, catalog, omit_header=not header, sort_output=True, no_location=True, width=0, ignore_obsolete=True)
    return out.getvalue()


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=babel_locale(lang) if lang else None, domain=DOMAIN)  # type: ignore[arg-type]


def _keys(catalog: Catalog) -> set[tuple[str, str | None]]:
    return {(_id(m.id), m.context) for m in catalog if m.id}


def _id(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def update() -> None:
    """Re-extract the template and merge it into every catalogue (``make catalogues``)."""
    template = extract()
    TEMPLATE.write_bytes(_write(template, TEMPLATE, header=False))
    for lang in LANGS:
        if lang == SOURCE_LANG:
            continue
        path = _po_path(lang)
        catalog = _read(path, lang)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
        path.write_bytes(_write(catalog, path, header=True))


def problems() -> list[str]:
    """What is wrong with the catalogues, one line each (empty when all is well)."""
    found: list[str] = []
    today, template = extract(), _read(TEMPLATE)
    for msgid, context in sorted(_keys(today) - _keys(template), key=str):
        found.append(f"{TEMPLATE.name}: stale, lacks {msgid!r}{f' (context {context!r})' if context else ''}")
    for msgid, context in sorted(_keys(template) - _keys(today), key=str):
        found.append(f"{TEMPLATE.name}: stale, the code no longer uses {msgid!r}{f' ({context!r})' if context else ''}")
    for lang in LANGS:
        if lang == SOURCE_LANG:
            continue
        path = _po_path(lang)
        catalog = _read(path, lang)
        where = f"{babel_locale(lang)}/LC_MESSAGES/{path.name}"
        for msgid, _context in sorted(_keys(template) - _keys(catalog), key=str):
            found.append(f"{where}: lacks {msgid!r}")
        for msgid, _context in sorted(_keys(catalog) - _keys(template), key=str):
            found.append(f"{where}: has {msgid!r}, which the code no longer uses")
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                found.append(f"{where}: {_id(message.id)!r} is not translated")
            elif message.fuzzy:
                found.append(f"{where}: {_id(message.id)!r} is marked fuzzy (check the translation, drop the flag)")
        for message, errors in catalog.check():
            for error in errors:
                found.append(f"{where}: {_id(message.id)!r}: {error}")
        found += [f"{where}: {_id(m.id)!r}: the translation's {{placeholders}} differ" for m in _misplaced(catalog)]
    return found


def _fields(text: str | None) -> set[tuple[str, str | None, str | None]]:
    return {(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text or "") if name is not None}


def _misplaced(catalog: Catalog) -> list[Message]:
    """The ``{placeholder}`` messages whose translation does not name exactly the placeholders of the English (Babel
    checks only ``%`` formats): one that drops ``{path}`` would hide it, one that adds a name would raise KeyError
    when shown. A plural's forms together name the placeholders of its English forms."""
    wrong = []
    for message in catalog:
        if not message.id or "python-brace-format" not in message.flags:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        expected = set().union(*map(_fields, ids))
        if any(text and not _fields(text) <= expected for text in strings) or (
            all(strings) and set().union(*map(_fields, strings)) != expected
        ):
            wrong.append(message)
    return wrong


def main(argv: list[str] | None = None) -> int:
    """``--check``: list the problems (exit 1 if any); otherwise update the files."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        listed = problems()
        for line in listed:
            print(line)
        return 1 if listed else 0
    if args:
        print("usage: python -m backend.pages.catalogues [--check]", file=sys.stderr)
        return 2
    update()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
