"""Printable label sheets: an HTML document of A4 pages, 3 x 8 labels of 70 x 37 mm each.

Each label shows the QR code (inline SVG, so the sheet prints without fetching anything) and, beside it, the
product name when given (when it is the name the GTIN's owner signed in its product master data, whose signature
it carries: 签名 / Signed by), the GTIN in GS1 human-readable form ``(01) 06901234000108``, the lot and the serial,
labelled in Chinese with English underneath (批号 / Lot, 序列号 / Serial).

This module builds the labels as data (:class:`Label`: the QR symbol's SVG path computed here) and the template
``backend/pages/templates/labels.html`` presents them (its print CSS is the label section of ``page.css``). The sheet
is produced page by page, so thousands of labels stream to the browser as they are made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Final

from backend.pages.templating import environment
from backend.services.qr import CodeKey, qr_lines, svg_path
from supplychain.i18n import DEFAULT_LANG, Lang

__all__ = ["COLUMNS", "LABELS_PER_PAGE", "ROWS", "Label", "SignedLabel", "label_sheet"]

COLUMNS: Final = 3
ROWS: Final = 8
LABELS_PER_PAGE: Final = COLUMNS * ROWS
_CHUNK: Final = 32_768
"""Characters sent at a time (a sheet of 24 labels is about 60 KB)."""


@dataclass(frozen=True, slots=True)
class SignedLabel:
    """A product name from its owner's signed master data, and who signed it.

    Attributes:
        name: The name (both languages, ``"中文 / English"``).
        signer: The signing organisation's name (else its id).
        version: The master data's version.
    """

    name: str
    signer: str
    version: int


@dataclass(frozen=True, slots=True)
class Label:
    """One label: the code, the URI its QR code carries, and the symbol (``size`` modules a side, quiet zone
    included; ``path`` the dark modules as an SVG path in module units)."""

    gtin: str
    lot: str | None
    serial: str | None
    uri: str
    size: int
    path: str


def _label(code: CodeKey, uri: str) -> Label:
    lines = qr_lines(uri)
    return Label(code.gtin, code.lot, code.serial, uri, len(lines), svg_path(lines))


def _sheets(codes: Iterable[tuple[CodeKey, str]]) -> Iterator[list[Label]]:
    items = iter(codes)
    while page := list(islice(items, LABELS_PER_PAGE)):
        yield [_label(code, uri) for code, uri in page]


def label_sheet(
    codes: Iterable[tuple[CodeKey, str]],
    *,
    product_name: str | None = None,
    title: str = "",
    signed_by: SignedLabel | None = None,
    lang: Lang = DEFAULT_LANG,
) -> Iterator[str]:
    """Stream the HTML label sheet of ``(code, uri)`` pairs, in chunks of about 32 KB as the pages are made.

    Args:
        codes: The codes and the URIs their QR codes carry, in print order (read one page of labels at a time).
        product_name: Printed on every label when given.
        title: The document title (e.g. the GTIN and lot).
        signed_by: When ``product_name`` is the owner's signed master data name: who signed it (printed too).
        lang: The labels' words (Chinese, with the English underneath; English alone for ``en``).
    """
    template = environment(lang).get_template("labels.html")
    parts = template.generate(sheets=_sheets(codes), product_name=product_name, title=title, signed_by=signed_by)
    pending: list[str] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= _CHUNK:
            yield "".join(pending)
            pending, size = [], 0
    yield "".join(pending)
