"""EPC URIs (GS1 EPC Tag Data Standard 2.x) to and from GS1 Digital Link.

Pure identity URIs ``urn:epc:id:{scheme}:...`` for sgtin, sscc, sgln, grai, giai, gsrn, gsrnp, gdti, cpi, sgcn,
ginc, gsin, itip, upui and pgln, the class URI ``urn:epc:class:lgtin:...`` and the id pattern URIs
``urn:epc:idpat:{sgtin|grai|gdti|sgcn|cpi|itip|upui}:...`` whose only wildcard is the serial (``.*``).

EPC URIs escape ``"%&/<>?`` in serials as ``%22 %25 %26 %2F %3C %3E %3F`` (``#`` and ``/`` as ``%23 %2F`` in a
CPI's component reference); a Digital Link percent-encodes everything outside RFC 3986's unreserved set. The
values in between are the plain GS1 AI values of :class:`~supplychain.gs1.digital_link.DigitalLink`.

Going from a Digital Link to an EPC URI needs the length of the GS1 Company Prefix, which the key alone does not
tell: the caller passes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from supplychain.errors import EpcUriError, Gs1ValueError
from supplychain.gs1.checkdigit import gs1_check_digit
from supplychain.gs1.digital_link import DigitalLink, parse_digital_link

__all__ = ["dl_to_epc_uri", "epc_uri_to_dl", "parse_epc_uri"]

_KIND: Final = "EPC URI"
_GS3A3: Final = re.compile(r"(?:[A-Za-z0-9_!'()*+,.:;=-]|%2[2567Ff]|%3[CEFcef])+")
_CPREF: Final = re.compile(r"(?:[0-9A-Z-]|%2[3Ff])+")
_ESCAPE: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_ESCAPES: Final = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
_CPREF_ESCAPES: Final = {"#": "%23", "/": "%2F"}


def _fail(uri: str, reason: str) -> EpcUriError:
    return EpcUriError(_KIND, uri, reason)


class _Body:
    """The dot-separated components after ``urn:epc:{kind}:{scheme}:``, consumed left to right."""

    def __init__(self, uri: str, body: str, count: int) -> None:
        self.uri = uri
        self.parts = body.split(".", count - 1)
        if len(self.parts) != count:
            raise _fail(uri, f"expected {count} dot-separated components after the scheme, got {len(self.parts)}")
        self.prefix = self.digits(0, 6, 12, "GS1 Company Prefix")

    def digits(self, index: int, low: int, high: int, what: str) -> str:
        part = self.parts[index]
        if not (low <= len(part) <= high and part.isascii() and (part.isdigit() or not part)):
            span = f"{low}" if low == high else f"{low} to {high}"
            raise _fail(self.uri, f"component {index + 1} ({what}) {part!r}: expected {span} digits")
        return part

    def rest(self, index: int, total: int, what: str) -> str:
        """The component that brings the company prefix to ``total`` digits."""
        n = total - len(self.prefix)
        return self.digits(index, n, n, what)

    def text(self, index: int, high: int, what: str, pattern: re.Pattern[str] = _GS3A3) -> str:
        """A serial-like component: check its characters and escapes, return it decoded."""
        part = self.parts[index]
        if pattern.fullmatch(part) is None:
            raise _fail(self.uri, f"component {index + 1} ({what}) {part!r}: bad character or escape")
        value = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), part)
        if len(value) > high:
            raise _fail(self.uri, f"component {index + 1} ({what}) is {len(value)} characters, at most {high}")
        return value

    def star(self, index: int) -> None:
        if self.parts[index] != "*":
            raise _fail(self.uri, f"component {index + 1} of an id pattern must be '*', got {self.parts[index]!r}")


def _cd(digits: str) -> str:
    return digits + gs1_check_digit(digits)


def _gtin(b: _Body) -> str:
    item = b.rest(1, 13, "indicator and item reference")
    return _cd(item[0] + b.prefix + item[1:])


def _id12(b: _Body, what: str) -> str:
    return _cd(b.prefix + b.rest(1, 12, what))


def _sgln(b: _Body) -> DigitalLink:
    ext = b.text(2, 20, "extension")
    return DigitalLink("414", _id12(b, "location reference"), () if ext == "0" else (("254", ext),))


def _cpi(b: _Body, serial: bool) -> DigitalLink:
    ref = b.text(1, 30 - len(b.prefix), "component/part reference", _CPREF)
    if not serial:
        b.star(2)
        return DigitalLink("8010", b.prefix + ref)
    return DigitalLink("8010", b.prefix + ref, (("8011", b.digits(2, 1, 12, "serial")),))


def _pattern(b: _Body, star: int, ai: str, key: str) -> DigitalLink:
    b.star(star)
    return DigitalLink(ai, key)


# (kind:scheme) -> (component count, builder)
_SCHEMES: Final[dict[str, tuple[int, Callable[[_Body], DigitalLink]]]] = {
    "id:sgtin": (3, lambda b: DigitalLink("01", _gtin(b), (("21", b.text(2, 20, "serial")),))),
    "id:sscc": (2, lambda b: DigitalLink("00", _cd((r := b.rest(1, 17, "serial reference"))[0] + b.prefix + r[1:]))),
    "id:sgln": (3, _sgln),
    "id:grai": (3, lambda b: DigitalLink("8003", "0" + _id12(b, "asset type") + b.text(2, 16, "serial"))),
    "id:giai": (2, lambda b: DigitalLink("8004", b.prefix + b.text(1, 30 - len(b.prefix), "asset reference"))),
    "id:gsrn": (2, lambda b: DigitalLink("8018", _cd(b.prefix + b.rest(1, 17, "service reference")))),
    "id:gsrnp": (2, lambda b: DigitalLink("8017", _cd(b.prefix + b.rest(1, 17, "service reference")))),
    "id:gdti": (3, lambda b: DigitalLink("253", _id12(b, "document type") + b.text(2, 17, "serial"))),
    "id:cpi": (3, lambda b: _cpi(b, serial=True)),
    "id:sgcn": (3, lambda b: DigitalLink("255", _id12(b, "coupon reference") + b.digits(2, 1, 12, "serial"))),
    "id:ginc": (2, lambda b: DigitalLink("401", b.prefix + b.text(1, 30 - len(b.prefix), "consignment reference"))),
    "id:gsin": (2, lambda b: DigitalLink("402", _cd(b.prefix + b.rest(1, 16, "shipper reference")))),
    "id:itip": (
        5,
        lambda b: DigitalLink(
            "8006",
            _gtin(b) + b.digits(2, 2, 2, "piece") + b.digits(3, 2, 2, "total"),
            (("21", b.text(4, 20, "serial")),),
        ),
    ),
    "id:upui": (3, lambda b: DigitalLink("01", _gtin(b), (("235", b.text(2, 28, "TPX")),))),
    "id:pgln": (2, lambda b: DigitalLink("417", _id12(b, "party reference"))),
    "class:lgtin": (3, lambda b: DigitalLink("01", _gtin(b), (("10", b.text(2, 20, "lot")),))),
    "idpat:sgtin": (3, lambda b: _pattern(b, 2, "01", _gtin(b))),
    "idpat:upui": (3, lambda b: _pattern(b, 2, "01", _gtin(b))),
    "idpat:grai": (3, lambda b: _pattern(b, 2, "8003", "0" + _id12(b, "asset type"))),
    "idpat:gdti": (3, lambda b: _pattern(b, 2, "253", _id12(b, "document type"))),
    "idpat:sgcn": (3, lambda b: _pattern(b, 2, "255", _id12(b, "coupon reference"))),
    "idpat:cpi": (3, lambda b: _cpi(b, serial=False)),
    "idpat:itip": (
        5,
        lambda b: _pattern(b, 4, "8006", _gtin(b) + b.digits(2, 2, 2, "piece") + b.digits(3, 2, 2, "total")),
    ),
}


def parse_epc_uri(uri: str) -> DigitalLink:
    """Parse an EPC pure identity, class or id pattern URI into the GS1 keys it stands for.

    Raises:
        EpcUriError: Unknown scheme, wrong number of components, wrong digit counts, bad characters or
            escapes, or values that are not valid GS1 keys (e.g. an ITIP piece above its total).
    """
    if not uri.startswith("urn:epc:"):
        raise _fail(uri, "expected 'urn:epc:id:', 'urn:epc:class:' or 'urn:epc:idpat:'")
    kind, _, rest = uri[8:].partition(":")
    scheme, _, body = rest.partition(":")
    entry = _SCHEMES.get(f"{kind}:{scheme}")
    if entry is None:
        raise _fail(uri, f"unsupported scheme {kind}:{scheme}: expected one of {', '.join(_SCHEMES)}")
    try:
        return entry[1](_Body(uri, body, entry[0]))
    except EpcUriError:
        raise
    except Gs1ValueError as exc:
        raise _fail(uri, exc.reason) from exc


def epc_uri_to_dl(uri: str, base: str = "https://id.gs1.org") -> str:
    """Convert an EPC URI to a GS1 Digital Link URI on ``base`` (see :meth:`DigitalLink.to_uri`)."""
    return parse_epc_uri(uri).to_uri(base)


def _esc(value: str, table: dict[str, str] = _ESCAPES) -> str:
    return "".join(table.get(c, c) for c in value)


def dl_to_epc_uri(link: DigitalLink | str, company_prefix_length: int) -> str:
    """Convert a Digital Link (object or URI) to the EPC URI of its finest identification level.

    A serial gives a pure identity URI (``sgtin``, ``itip``, ``grai``...), a GTIN with only a lot gives an
    ``lgtin`` class URI, a key without its serial gives an id pattern URI (``urn:epc:idpat:sgtin:...*``). The
    CPV, a lot next to a serial and a SRIN (AI 8019) have no place in an EPC and are left out.

    Args:
        link: A :class:`DigitalLink` or a Digital Link URI.
        company_prefix_length: Digits of the GS1 Company Prefix in the key (6 to 12).

    Raises:
        EpcUriError: A prefix length out of range or longer than the key allows, or a key with no EPC form.
        DigitalLinkError: ``link`` is a string that is not a valid Digital Link.
    """
    dl = parse_digital_link(link) if isinstance(link, str) else link
    n = company_prefix_length
    if not 6 <= n <= 12:
        raise _fail(dl.to_uri(), f"GS1 Company Prefix length {n}: expected 6 to 12")
    key, q = dl.key, dict(dl.qualifiers)
    if dl.key_ai in ("01", "8006"):
        gtin = f"{key[1 : 1 + n]}.{key[0]}{key[1 + n : 13]}"
        if dl.key_ai == "8006":
            itip = f"{gtin}.{key[14:16]}.{key[16:18]}"
            return f"urn:epc:id:itip:{itip}.{_esc(q['21'])}" if "21" in q else f"urn:epc:idpat:itip:{itip}.*"
        if "21" in q:
            return f"urn:epc:id:sgtin:{gtin}.{_esc(q['21'])}"
        if "10" in q:
            return f"urn:epc:class:lgtin:{gtin}.{_esc(q['10'])}"
        if "235" in q:
            return f"urn:epc:id:upui:{gtin}.{_esc(q['235'])}"
        return f"urn:epc:idpat:sgtin:{gtin}.*"
    return _other_to_epc(dl, n, q)


def _other_to_epc(dl: DigitalLink, n: int, q: dict[str, str]) -> str:
    key, ai = dl.key, dl.key_ai
    if ai == "00":
        return f"urn:epc:id:sscc:{key[1 : 1 + n]}.{key[0]}{key[1 + n : 17]}"
    if ai in ("414", "417"):
        scheme = "sgln" if ai == "414" else "pgln"
        ext = f".{_esc(q.get('254', '0'))}" if ai == "414" else ""
        return f"urn:epc:id:{scheme}:{key[:n]}.{key[n:12]}{ext}"
    if ai in ("8017", "8018", "402"):
        scheme = {"8017": "gsrnp", "8018": "gsrn", "402": "gsin"}[ai]
        return f"urn:epc:id:{scheme}:{key[:n]}.{key[n:-1]}"
    if ai in ("8004", "401"):
        if len(key) <= n or not key[:n].isdigit():
            raise _fail(key, f"a {n}-digit GS1 Company Prefix followed by a reference is needed for AI {ai}")
        return f"urn:epc:id:{'giai' if ai == '8004' else 'ginc'}:{key[:n]}.{_esc(key[n:])}"
    if ai == "8010":
        if len(key) <= n or not key[:n].isdigit():
            raise _fail(key, f"a {n}-digit GS1 Company Prefix followed by a reference is needed for AI {ai}")
        cpi = f"{key[:n]}.{_esc(key[n:], _CPREF_ESCAPES)}"
        return f"urn:epc:id:cpi:{cpi}.{q['8011']}" if "8011" in q else f"urn:epc:idpat:cpi:{cpi}.*"
    # 8003 GRAI (filler digit first), 253 GDTI, 255 GCN: 12 digits + check digit, then an optional serial.
    start = 1 if ai == "8003" else 0
    scheme = {"8003": "grai", "253": "gdti", "255": "sgcn"}[ai]
    head = f"{key[start : start + n]}.{key[start + n : start + 12]}"
    serial = key[start + 13 :]
    return f"urn:epc:id:{scheme}:{head}.{_esc(serial)}" if serial else f"urn:epc:idpat:{scheme}:{head}.*"
