"""Characters that make one text look like another: bidirectional controls and invisible (zero-width) characters.

A right-to-left override (U+202E) before the end of ``urn:epc:id:sgln:6901234.00000.0001`` shows that end reversed;
a zero-width space makes two identifiers that look the same differ. Identifiers and the names that pages show
refuse them at capture (:mod:`supplychain.epcis`), and pages show any already stored as visible escapes
(:func:`escape_html`, the escape of every page builder).
"""

from __future__ import annotations

import re
from html import escape

__all__ = ["BIDI_CONTROLS", "INVISIBLES", "SPOOFING", "char_name", "escape_html", "first_spoofing", "show_spoofing"]

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
"""Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the LRM, RLM and ALM marks."""
INVISIBLES = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")
"""Zero-width space, non-joiner and joiner, word joiner, zero-width no-break space (BOM), Mongolian vowel separator."""
SPOOFING = BIDI_CONTROLS | INVISIBLES
"""Every character refused in identifiers and displayed names."""


def char_name(char: str) -> str:
    """``U+202E`` for a character."""
    return f"U+{ord(char):04X}"


def first_spoofing(text: str) -> tuple[int, str] | None:
    """The position and character of the first :data:`SPOOFING` character of ``text``, or ``None``."""
    if text.isascii():
        return None
    for i, char in enumerate(text):
        if char in SPOOFING:
            return i, char
    return None


_SHOWN = {ord(c): f"\\u{ord(c):04X}" for c in SPOOFING}
_ANY = re.compile("[" + "".join(sorted(SPOOFING)) + "]")


def show_spoofing(text: str) -> str:
    """``text`` with each :data:`SPOOFING` character written out visibly as ``\\u202E`` (plain text, no markup).

    Every printed value of every page passes here: one regular-expression search finds none in most text, then
    ``str.translate`` writes out what it found."""
    if text.isascii() or _ANY.search(text) is None:
        return text
    return text.translate(_SHOWN)


def escape_html(value: object, quote: bool = True) -> str:
    """The one escape of every page the platform builds: ``html.escape(str(value), quote)`` after
    :func:`show_spoofing`, so that a bidirectional control or an invisible character that reaches a page (stored
    before capture refused them, or from outside EPCIS: a label's product name, an organisation's on-chain profile)
    shows as ``\\u202E`` instead of reordering or hiding what follows. The marker is plain text: the same escape serves
    element content and (double-quoted) attribute values."""
    return escape(show_spoofing(str(value)), quote=quote)
