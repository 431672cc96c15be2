"""The one escape of every page the platform builds: HTML-escaped text in which bidirectional-control and invisible
characters are written out visibly.

Capture refuses those characters in identifiers and in the names pages show (:mod:`supplychain.text`); this is the
defence in depth for what was stored before, or comes from elsewhere (an organisation's on-chain profile, a label's
product name): a right-to-left override shows as the six characters ``\\u202E`` instead of reversing what follows, a
zero-width space as ``\\u200B`` instead of nothing. The marker is plain text, so the same escape serves element
content and (double-quoted) attribute values alike.
"""

from __future__ import annotations

from html import escape as _html_escape

from supplychain.text import show_spoofing

__all__ = ["escape"]


def escape(value: object, quote: bool = True) -> str:
    """``html.escape(str(value), quote)`` after :func:`supplychain.text.show_spoofing`."""
    return _html_escape(show_spoofing(str(value)), quote=quote)
