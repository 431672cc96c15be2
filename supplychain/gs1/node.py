"""One identity per item for traces and look-ups, whatever form an event or a scan names it in.

:func:`~supplychain.gs1.canonical_dl` follows GS1's reference normaliser, quirks included, because the Event Hash ID
must agree with it: it refuses a Digital Link whose value holds a percent escape or a character such as ``!`` or
``/`` (the value is then hashed as written), keeps an EPC URN's escapes as they are (in either case), and leaves
``"``, ``<`` and ``>`` unescaped in a Digital Link. So the lot ``2026/11`` written as an EPC class URN, as a Digital
Link on ``id.gs1.org`` and as the platform's own QR link are three different strings after it, and a trace that
keyed items by them would lose the lot. :func:`identifier_node` keeps ``canonical_dl``'s answer where it is plain
(the common case, unchanged) and otherwise parses the link and writes it again in the same canonical form with one
encoding: every character but letters, digits and ``' . ; = _ -`` percent-encoded in upper case, which is what
``canonical_dl`` makes of an EPC URN's value. Anything that is no GS1 identifier stays as written.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

from supplychain.errors import DigitalLinkError
from supplychain.gs1.canonical import canonical_dl
from supplychain.gs1.digital_link import parse_digital_link

__all__ = ["identifier_node"]

_BASE: Final = "https://id.gs1.org"
_PLAIN: Final = re.compile(r"https://id\.gs1\.org/[0-9A-Za-z/'.;=_-]+", re.ASCII)
_SAFE: Final = "';="  # besides letters, digits and "_.-", which quote() never encodes


def identifier_node(identifier: str) -> str:
    """The item ``identifier`` names, as one string: its constrained canonical GS1 Digital Link, with every value
    percent-encoded one way (see the module docstring), else ``identifier`` itself. Idempotent; never raises."""
    canonical = canonical_dl(identifier)
    if canonical is not None and _PLAIN.fullmatch(canonical):
        return canonical
    if canonical is None and not identifier.startswith(("http://", "https://")):
        return identifier
    try:
        link = parse_digital_link(canonical or identifier)
    except DigitalLinkError:
        return canonical or identifier
    qualifiers = [(ai, value) for ai, value in link.qualifiers if ai != "22"]  # the CPV is no identity of its own
    if any(ai == "21" for ai, _ in qualifiers):
        qualifiers = [(ai, value) for ai, value in qualifiers if ai != "10"]  # a serial makes the lot redundant
    pairs = ((link.key_ai, link.key), *qualifiers)
    return _BASE + "".join(f"/{ai}/{quote(value, safe=_SAFE)}" for ai, value in pairs)
