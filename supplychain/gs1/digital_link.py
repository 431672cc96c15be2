"""GS1 Digital Link URIs (Digital Link 1.x) for QR codes: parsing, validation and canonical building.

A Digital Link names one primary key in its path (``/01/{gtin}``), the key's qualifiers in their defined order
(``/22/{cpv}/10/{lot}/21/{serial}``) and data attributes in the query string (``?17=261231&3103=000500``). Any
host and any path before the primary key are accepted when parsing; :meth:`DigitalLink.to_uri` builds the
canonical form: numeric AIs, GTIN-14, qualifiers in order, attributes sorted by AI, every character outside
RFC 3986's unreserved set percent-encoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from supplychain.errors import DigitalLinkError, Gs1ValueError
from supplychain.gs1.keys import AI_SPECS, parse_ai, parse_gtin

__all__ = ["KEY_QUALIFIERS", "DigitalLink", "parse_digital_link"]

KEY_QUALIFIERS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "01": (("22", "10", "21"), ("235",)),
    "8006": (("22", "10", "21"),),
    "414": (("254",),),
    "8010": (("8011",),),
    "8017": (("8019",),),
    "8018": (("8019",),),
    "00": (),
    "253": (),
    "255": (),
    "401": (),
    "402": (),
    "417": (),
    "8003": (),
    "8004": (),
}
"""Primary key AI -> the qualifier paths it admits; a link uses a subsequence of one of them, in order."""

_SHORT_NAMES: Final = {s.short_name: s.ai for s in AI_SPECS.values() if s.short_name is not None}
_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_KIND: Final = "GS1 Digital Link"


def _fail(value: str, reason: str) -> DigitalLinkError:
    return DigitalLinkError(_KIND, value, reason)


def _ai_value(ai: str, value: str, where: str) -> str:
    try:
        return parse_gtin(value) if ai == "01" else parse_ai(ai, value)
    except Gs1ValueError as exc:
        raise _fail(value, f"{where}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A validated GS1 Digital Link.

    Attributes:
        key_ai: Primary key AI, e.g. ``"01"`` (see :data:`KEY_QUALIFIERS`).
        key: Primary key value; a GTIN is kept as 14 digits (8, 12 and 13 digits are padded).
        qualifiers: ``(AI, value)`` key qualifiers in their defined order, e.g. ``(("10", "L1"), ("21", "S1"))``.
        attributes: ``(AI, value)`` data attributes from the query string, sorted by AI.
        params: Other query parameters (non-numeric names, e.g. ``linkType``), in their given order.
    """

    key_ai: str
    key: str
    qualifiers: tuple[tuple[str, str], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        """Validate every part; pad the GTIN and sort the attributes."""
        paths = KEY_QUALIFIERS.get(self.key_ai)
        if paths is None:
            raise _fail(self.key_ai, f"not a primary key AI: expected one of {', '.join(KEY_QUALIFIERS)}")
        object.__setattr__(self, "key", _ai_value(self.key_ai, self.key, f"primary key AI {self.key_ai}"))
        ais = [ai for ai, _ in self.qualifiers]
        if not any(_is_subsequence(ais, path) for path in paths or ((),)):
            allowed = " or ".join("/".join(p) for p in paths) or "none"
            raise _fail("/".join(ais), f"qualifiers {'/'.join(ais)} of AI {self.key_ai}: expected in order {allowed}")
        for ai, value in self.qualifiers:
            _ai_value(ai, value, f"qualifier AI {ai}")
        qualifier_ais = {ai for path in paths for ai in path}
        seen: set[str] = set()
        for ai, value in self.attributes:
            if ai in KEY_QUALIFIERS or ai in qualifier_ais:
                raise _fail(ai, f"AI {ai} is a primary key or a qualifier of AI {self.key_ai}: it belongs in the path")
            if ai in seen:
                raise _fail(ai, f"data attribute AI {ai} given twice")
            seen.add(ai)
            _ai_value(ai, value, f"data attribute AI {ai}")
        object.__setattr__(self, "attributes", tuple(sorted(self.attributes)))
        for name, _ in self.params:
            if not name or name.isdigit():
                raise _fail(name, "query parameter names must be non-empty and not all digits (those are AIs)")

    def qualifier(self, ai: str) -> str | None:
        """Return the value of qualifier ``ai`` (e.g. ``"21"``), or None."""
        return dict(self.qualifiers).get(ai)

    def attribute(self, ai: str) -> str | None:
        """Return the value of data attribute ``ai`` (e.g. ``"17"``), or None."""
        return dict(self.attributes).get(ai)

    def to_uri(self, base: str = "https://id.gs1.org") -> str:
        """Build the URI on ``base`` (scheme, host and optional path prefix) in canonical order and encoding."""
        path = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in ((self.key_ai, self.key), *self.qualifiers))
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in (*self.attributes, *self.params))
        return base.rstrip("/") + path + (f"?{query}" if query else "")


def _is_subsequence(items: list[str], path: tuple[str, ...]) -> bool:
    rest = iter(path)
    return len(set(items)) == len(items) and all(item in rest for item in items)


def _decode(raw: str, uri: str, where: str) -> str:
    bad = _BAD_ESCAPE.search(raw)
    if bad is not None:
        raise _fail(uri, f"{where}: '%' not followed by two hex digits in {raw!r}")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise _fail(uri, f"{where}: percent escapes in {raw!r} are not UTF-8") from exc


def _ai_of(segment: str) -> str:
    return _SHORT_NAMES.get(segment, segment)


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse and validate a GS1 Digital Link URI on any host, with any path before the primary key.

    Raises:
        DigitalLinkError: Saying what is wrong and where: scheme, host, no primary key, a key or qualifier
            value (length, characters, check digit), the qualifier order, a bad percent escape, a query AI.
    """
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise _fail(uri, f"not a URI: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(uri, "expected an http or https URI with a host")
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()
    start = next(
        (i for i, s in enumerate(segments) if _ai_of(s) in KEY_QUALIFIERS and (len(segments) - i) % 2 == 0), None
    )
    if start is None:
        raise _fail(uri, "no primary key AI (or its short name) followed by its value and whole AI/value pairs")
    pairs: list[tuple[str, str]] = []
    for i in range(start, len(segments), 2):
        ai = _ai_of(segments[i])
        where = f"path segment {i + 2} (AI {ai})"
        if i > start and ai not in AI_SPECS:
            raise _fail(uri, f"path segment {i + 1}: {segments[i]!r} is not a GS1 Application Identifier")
        pairs.append((ai, _decode(segments[i + 1], uri, where)))
    attributes: list[tuple[str, str]] = []
    params: list[tuple[str, str]] = []
    for item in parts.query.split("&"):
        if not item:
            continue
        raw_name, _, raw_value = item.partition("=")
        name = _decode(raw_name, uri, f"query parameter {raw_name!r}")
        value = _decode(raw_value, uri, f"query parameter {raw_name!r}")
        if name.isdigit() and name not in AI_SPECS:
            raise _fail(uri, f"query parameter {name!r} is not a GS1 Application Identifier known here")
        (attributes if name.isdigit() else params).append((name, value))
    try:
        return DigitalLink(pairs[0][0], pairs[0][1], tuple(pairs[1:]), tuple(attributes), tuple(params))
    except DigitalLinkError as exc:
        raise _fail(uri, exc.reason) from exc
