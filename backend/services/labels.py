"""Printable label sheets: an HTML document of A4 pages, 3 x 8 labels of 70 x 37 mm each.

Each label shows the QR code (inline SVG, so the sheet prints without fetching anything) and, beside it, the
product name when given (when it is the name the GTIN's owner signed in its product master data, whose signature
it carries: 签名 / Signed by), the GTIN in GS1 human-readable form ``(01) 06901234000108``, the lot and the serial,
labelled in Chinese with English underneath (批号 / Lot, 序列号 / Serial). The sheet is produced page by page, so
thousands of labels stream to the browser as they are made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Final

from backend.services.qr import CodeKey, qr_lines, svg_element
from supplychain.text import escape_html as escape

__all__ = ["COLUMNS", "LABELS_PER_PAGE", "ROWS", "SignedLabel", "label_sheet"]

COLUMNS: Final = 3
ROWS: Final = 8
LABELS_PER_PAGE: Final = COLUMNS * ROWS

_STYLE: Final = """
@page { size: A4; margin: 0; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #000; }
.sheet { width: 210mm; height: 297mm; padding: 0; display: grid; overflow: hidden;
  grid-template-columns: repeat(3, 70mm); grid-template-rows: repeat(8, 37.125mm); page-break-after: always;
  break-after: page; }
.label { display: flex; align-items: center; gap: 2mm; padding: 2mm 3mm; overflow: hidden; }
.label svg { width: 30mm; height: 30mm; flex: none; }
.text { font-size: 7.5pt; line-height: 1.2; min-width: 0; }
.name { font-weight: bold; font-size: 8pt; margin-bottom: 1mm; overflow-wrap: anywhere; }
.signed { font-size: 5.5pt; color: #333; margin: -0.6mm 0 0.6mm; overflow-wrap: anywhere; }
.field { margin-top: 0.6mm; }
.k { font-size: 7pt; }
.k small { display: block; font-size: 5.5pt; color: #444; }
.v { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; overflow-wrap: anywhere; }
@media screen { body { background: #ccc; } .sheet { background: #fff; margin: 5mm auto; }
  .label { outline: 0.1mm dashed #bbb; } }
"""


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


def _field(zh: str, en: str, value: str) -> str:
    return f'<div class="field"><div class="k">{zh}<small>{en}</small></div><div class="v">{escape(value)}</div></div>'


def _label(code: CodeKey, uri: str, product_name: str | None, signed_by: SignedLabel | None = None) -> str:
    svg = svg_element(qr_lines(uri), attributes=' role="img"')
    svg = svg.replace("><rect", f"><title>{escape(uri)}</title><rect", 1)
    text = f'<div class="name">{escape(product_name)}</div>' if product_name else ""
    if signed_by is not None:
        text += f'<div class="signed">签名 Signed by: {escape(signed_by.signer)}</div>'
    text += _field("商品条码", "GTIN", f"(01) {code.gtin}")
    if code.lot is not None:
        text += _field("批号", "Lot", code.lot)
    if code.serial is not None:
        text += _field("序列号", "Serial", code.serial)
    return f'<div class="label">{svg}<div class="text">{text}</div></div>'


def label_sheet(
    codes: Iterable[tuple[CodeKey, str]],
    *,
    product_name: str | None = None,
    title: str = "",
    signed_by: SignedLabel | None = None,
) -> Iterator[str]:
    """Stream the HTML label sheet of ``(code, uri)`` pairs, one A4 page (24 labels) per chunk.

    Args:
        codes: The codes and the URIs their QR codes carry, in print order.
        product_name: Printed on every label when given.
        title: The document title (e.g. the GTIN and lot).
        signed_by: When ``product_name`` is the owner's signed master data name: who signed it (printed too).
    """
    yield (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title or '标签 Labels')}</title><style>{_STYLE}</style></head><body>\n"
    )
    items = iter(codes)
    while page := list(islice(items, LABELS_PER_PAGE)):
        labels = "".join(_label(c, u, product_name, signed_by) for c, u in page)
        yield f'<section class="sheet">{labels}</section>\n'
    yield "</body></html>\n"
