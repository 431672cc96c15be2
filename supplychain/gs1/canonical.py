"""The constrained canonical GS1 Digital Link URI used by the CBV 2.0 Event Hash ID.

:func:`canonical_dl` turns an EPC pure identity URI, an EPC class URI, an EPC id pattern URI or any GS1
Digital Link URI into the one form the Event Hash ID algorithm hashes:
``https://id.gs1.org/{AI}/{key}[/{AI}/{value}]``, with only the most fine-grained identification level (a
serial wins over a lot, the CPV is dropped) and no query string. It returns ``None`` for anything else; the
hash then uses the value as written.

Agreement with GS1's reference normaliser (``dl_normaliser.py`` of RalphTro/epcis-event-hash-generator) is
what matters here, since an Event Hash ID differs as soon as one value normalises differently. The acceptance
patterns and the string operations below are therefore the reference's, quirks included (e.g. a GDTI URN's
serial may follow its document type without a dot, a Digital Link whose serial holds a percent escape is
refused while an EPC URN's is kept escaped, a CPV plus qualifiers longer than 20 characters is refused). Two
deliberate differences, both on input no conforming system produces: digits are ASCII only (the reference's
``\\d`` also takes e.g. Arabic-Indic digits), and ``id.gs1.org`` is matched literally (the reference's
unescaped dots let ``https://idXgs1.org/01/...`` through unchanged).

All patterns are compiled once at import; the call dispatches on the URI's scheme so that the common case, a
value that is no URI at all, costs two string tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from supplychain.gs1.checkdigit import gs1_check_digit

__all__ = ["canonical_dl"]

_BASE: Final = "https://id.gs1.org"

# Characters the reference accepts in EPC URN serials etc. (TDS GS3A3 with its escapes) and in CPI components.
_GS3A3: Final = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
_CPI_CHAR: Final = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
# Characters the reference accepts in Digital Link values (no '%', no '/').
_DL_CHAR: Final = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"


def _split(total: int, last: str | None = None) -> str:
    """Company prefix of 6..12 digits, a dot, the rest of ``total`` digits (``last``: the 12-digit case)."""
    parts = [rf"\d{{{n}}}\.\d{{{total - n}}}" for n in range(6, 12)]
    parts.append(last if last is not None else (rf"\d{{12}}\.\d{{{total - 12}}}" if total > 12 else r"\d{12}\."))
    return "(?:" + "|".join(parts) + ")"


def _prefix_then(char: str, total: int) -> str:
    """Company prefix of 6..12 digits, a dot, and 1..(total - prefix length) ``char``."""
    return "(?:" + "|".join(rf"\d{{{n}}}\.{char}{{1,{total - n}}}" for n in range(6, 13)) + ")"


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def _check(digits: str) -> str:
    return digits + gs1_check_digit(digits)


def _dl_escape(text: str) -> str:
    """Percent-encode what the reference encodes when moving an EPC component into a Digital Link."""
    return (
        text.replace("!", "%21")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("*", "%2A")
        .replace("+", "%2B")
        .replace(",", "%2C")
        .replace(":", "%3A")
    )


def _gtin13(uri: str, start: int, dot: int) -> str:
    """GTIN without check digit from ``{prefix}.{indicator}{itemref}``: indicator, prefix, item ref."""
    prefix = uri[start:dot]
    itemref = uri[dot + 1 : dot + 14 - len(prefix)]
    return itemref[:1] + prefix + itemref[1:]


def _digits12(uri: str, start: int, dot: int) -> str:
    """Company prefix + the reference after the dot, 12 digits (GLN, GRAI, GDTI, SGCN without check)."""
    prefix = uri[start:dot]
    return prefix + uri[dot + 1 : dot + 13 - len(prefix)]


# Builders: (uri, index of the first '.', length of the scheme prefix) -> canonical Digital Link.
_Builder = Callable[[str, int, int], str]


def _sgtin(u: str, d: int, s: int) -> str:
    return f"{_BASE}/01/{_check(_gtin13(u, s, d))}/21/{_dl_escape(u[s + 15 :])}"


def _sscc(u: str, d: int, s: int) -> str:
    return f"{_BASE}/00/{_check(u[d + 1] + u[s:d] + u[d + 2 :])}"


def _sgln(u: str, d: int, s: int) -> str:
    ext = u[s + 14 :]
    gln = _check(_digits12(u, s, d))
    return f"{_BASE}/414/{gln}" if ext == "0" else f"{_BASE}/414/{gln}/254/{_dl_escape(ext)}"


def _grai(u: str, d: int, s: int) -> str:
    return f"{_BASE}/8003/{_check('0' + _digits12(u, s, d))}{_dl_escape(u[s + 14 :])}"


def _giai(u: str, d: int, s: int) -> str:
    return f"{_BASE}/8004/{u[s:d]}{_dl_escape(u[d + 1 :])}"


def _gsrn(u: str, d: int, s: int) -> str:
    return f"{_BASE}/8018/{_check(u[s:d] + u[d + 1 :])}"


def _gsrnp(u: str, d: int, s: int) -> str:
    return f"{_BASE}/8017/{_check(u[s:d] + u[d + 1 :])}"


def _gdti(u: str, d: int, s: int) -> str:
    return f"{_BASE}/253/{_check(_digits12(u, s, d))}{_dl_escape(u[s + 14 :])}"


def _cpi(u: str, d: int, s: int) -> str:
    last = u.rfind(".")
    return f"{_BASE}/8010/{_dl_escape(u[s:d] + u[d + 1 : last])}/8011/{u[last + 1 :]}"


def _sgcn(u: str, d: int, s: int) -> str:
    return f"{_BASE}/255/{_check(_digits12(u, s, d))}{u[s + 14 :]}"


def _ginc(u: str, d: int, s: int) -> str:
    return f"{_BASE}/401/{u[s:d]}{_dl_escape(u[d + 1 :])}"


def _gsin(u: str, d: int, s: int) -> str:
    return f"{_BASE}/402/{_check(u[s:d] + u[d + 1 :])}"


def _itip(u: str, d: int, s: int) -> str:
    pieces = u[s + 15 : s + 17] + u[s + 18 : s + 20]
    return f"{_BASE}/8006/{_check(_gtin13(u, s, d))}{pieces}/21/{_dl_escape(u[s + 21 :])}"


def _upui(u: str, d: int, s: int) -> str:
    return f"{_BASE}/01/{_check(_gtin13(u, s, d))}/235/{_dl_escape(u[s + 15 :])}"


def _pgln(u: str, d: int, s: int) -> str:
    return f"{_BASE}/417/{_check(_digits12(u, s, d))}"


def _lgtin(u: str, d: int, s: int) -> str:
    return f"{_BASE}/01/{_check(_gtin13(u, s, d))}/10/{_dl_escape(u[s + 15 :])}"


def _pat_gtin(u: str, d: int, s: int) -> str:
    return f"{_BASE}/01/{_check(_gtin13(u, s, d))}"


def _pat_grai(u: str, d: int, s: int) -> str:
    return f"{_BASE}/8003/{_check('0' + _digits12(u, s, d))}"


def _pat_gdti(u: str, d: int, s: int) -> str:
    return f"{_BASE}/253/{_check(_digits12(u, s, d))}"


def _pat_sgcn(u: str, d: int, s: int) -> str:
    return f"{_BASE}/255/{_check(_digits12(u, s, d))}"


def _pat_cpi(u: str, d: int, s: int) -> str:
    return f"{_BASE}/8010/{_dl_escape(u[s:d] + u[d + 1 : u.rfind('.')])}"


def _pat_itip(u: str, d: int, s: int) -> str:
    pieces = u[s + 15 : s + 17] + u[s + 18 : s + 20]
    return f"{_BASE}/8006/{_check(_gtin13(u, s, d))}{pieces}"


_GTIN_SPLIT: Final = _split(13)
_TWELVE: Final = _split(12)
_TWELVE_QUIRK: Final = _split(12, r"\d{12}\.\.")  # the reference's 12-digit case for GRAI, GDTI, idpat SGCN

# Scheme (between "urn:epc:" and the colon before the body) -> (full pattern, builder).
_EPC: Final[dict[str, tuple[re.Pattern[str], _Builder]]] = {
    "id:sgtin": (_c(rf"urn:epc:id:sgtin:{_GTIN_SPLIT}\.{_GS3A3}{{1,20}}$"), _sgtin),
    "id:sscc": (_c(rf"urn:epc:id:sscc:{_split(17)}$"), _sscc),
    "id:sgln": (_c(rf"urn:epc:id:sgln:{_TWELVE}\.{_GS3A3}{{1,20}}$"), _sgln),
    "id:grai": (_c(rf"urn:epc:id:grai:{_TWELVE_QUIRK}\.{_GS3A3}{{1,16}}$"), _grai),
    "id:giai": (_c(rf"urn:epc:id:giai:{_prefix_then(_GS3A3, 30)}$"), _giai),
    "id:gsrn": (_c(rf"urn:epc:id:gsrn:{_split(17)}$"), _gsrn),
    "id:gsrnp": (_c(rf"urn:epc:id:gsrnp:{_split(17)}$"), _gsrnp),
    "id:gdti": (_c(rf"urn:epc:id:gdti:{_TWELVE_QUIRK}{_GS3A3}{{1,20}}$"), _gdti),
    "id:cpi": (_c(rf"urn:epc:id:cpi:{_prefix_then(_CPI_CHAR, 30)}\.\d{{1,12}}$"), _cpi),
    "id:sgcn": (_c(rf"urn:epc:id:sgcn:{_TWELVE}\.\d{{1,12}}$"), _sgcn),
    "id:ginc": (_c(rf"urn:epc:id:ginc:{_prefix_then(_GS3A3, 30)}$"), _ginc),
    "id:gsin": (_c(rf"urn:epc:id:gsin:{_split(16)}$"), _gsin),
    "id:itip": (_c(rf"urn:epc:id:itip:{_GTIN_SPLIT}\.\d{{2}}\.\d{{2}}\.{_GS3A3}{{1,20}}$"), _itip),
    "id:upui": (_c(rf"urn:epc:id:upui:{_GTIN_SPLIT}\.{_GS3A3}{{1,28}}$"), _upui),
    "id:pgln": (_c(rf"urn:epc:id:pgln:{_TWELVE}$"), _pgln),
    "class:lgtin": (_c(rf"urn:epc:class:lgtin:{_GTIN_SPLIT}\.{_GS3A3}{{1,20}}$"), _lgtin),
    "idpat:sgtin": (_c(rf"urn:epc:idpat:sgtin:{_GTIN_SPLIT}\.\*$"), _pat_gtin),
    "idpat:grai": (_c(rf"urn:epc:idpat:grai:{_TWELVE_QUIRK}\.\*$"), _pat_grai),
    "idpat:gdti": (_c(rf"urn:epc:idpat:gdti:{_TWELVE_QUIRK}\.\*$"), _pat_gdti),
    "idpat:sgcn": (_c(rf"urn:epc:idpat:sgcn:{_TWELVE_QUIRK}\.\*$"), _pat_sgcn),
    "idpat:cpi": (_c(rf"urn:epc:idpat:cpi:{_prefix_then(_CPI_CHAR, 30)}\.\*$"), _pat_cpi),
    "idpat:itip": (_c(rf"urn:epc:idpat:itip:{_GTIN_SPLIT}\.\d{{2}}\.\d{{2}}\.\*$"), _pat_itip),
    "idpat:upui": (_c(rf"urn:epc:idpat:upui:{_GTIN_SPLIT}\.\*$"), _pat_gtin),
}

_KEYS: Final = "01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004"
_NAMED_KEYS: Final = (
    "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin"
    "|8003|grai|8004|giai"
)
_DL_GATE: Final = _c(
    r"https?:(//(([^/?#]*)@)?([^/?#:]*)(:([^/?#]*))?)?"
    rf"((([^?#]*)(/({_NAMED_KEYS})/)(\d{{4}}[^/]+))|(/[A-Za-z_-]{{10}}$))"
)
_SHORT_NAMES: Final = (
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)
_ON_CANONICAL_HOST: Final = _c(rf"https://id\.gs1\.org/({_KEYS})/\d{{4}}[^/]+")
# The order in which the reference looks for a primary key to cut the path at (not the order in the path).
_CUT_AT: Final = tuple(
    f"/{k}/"
    for k in (
        "00",
        "01",
        "253",
        "255",
        "401",
        "402",
        "414",
        "417",
        "8003",
        "8004",
        "8006",
        "8010",
        "8017",
        "8018",
    )
)
_GTIN_14: Final = _c(r"https://id\.gs1\.org/01/\d{14}")
_GTIN_PADDING: Final = (
    (_c(r"https://id\.gs1\.org/01/\d{13}"), "/01/0"),
    (_c(r"https://id\.gs1\.org/01/\d{12}"), "/01/00"),
    (_c(r"https://id\.gs1\.org/01/\d{8}"), "/01/000000"),
)
_ITEM: Final = r"https://id\.gs1\.org/(?:8006/\d{18}|01/\d{14})"
_CPV_LAST: Final = _c(rf"{_ITEM}/22/({_DL_CHAR}{{0,20}})$")
_CPV_THEN_MORE: Final = _c(rf"{_ITEM}/22/([\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]{{0,20}})$")
_LOT_AND_SERIAL: Final = _c(rf"{_ITEM}/10/({_DL_CHAR}{{0,20}})/21/({_DL_CHAR}{{0,20}})$")
_VALID: Final = _c(
    r"https://id\.gs1\.org/(?:"
    + "|".join(
        (
            r"00/\d{18}",
            rf"01/\d{{14}}(?:/21/{_DL_CHAR}{{0,20}}|/10/{_DL_CHAR}{{0,20}}|/235/{_DL_CHAR}{{0,28}})?",
            rf"253/\d{{13}}{_DL_CHAR}{{0,17}}",
            r"255/\d{13}\d{0,12}",
            rf"401/{_DL_CHAR}{{0,30}}",
            r"402/\d{17}",
            rf"414/\d{{13}}(?:/254/{_DL_CHAR}{{0,20}})?",
            r"417/\d{13}",
            rf"8003/\d{{14}}{_DL_CHAR}{{0,16}}",
            rf"8004/{_DL_CHAR}{{0,30}}",
            rf"8006/\d{{18}}(?:/21/{_DL_CHAR}{{0,20}}|/10/{_DL_CHAR}{{0,20}})?",
            r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}(?:/8011/\d{0,12})?",
            r"8017/\d{18}",
            r"8018/\d{18}",
        )
    )
    + r")$"
)


def canonical_dl(uri: object) -> str | None:
    """Return the constrained canonical GS1 Digital Link URI for an EPC URI or a GS1 Digital Link URI.

    Args:
        uri: Any value found in an EPCIS event; only strings can normalise.

    Returns:
        ``https://id.gs1.org/...`` with numeric AIs, the GTIN padded to 14 digits, only the finest
        identification level and no query string; ``None`` when the value is not a normalisable GS1
        identifier.
        Never raises.
    """
    if not isinstance(uri, str):
        return None
    dot = uri.find(".")
    if dot < 0:
        return None
    if uri.startswith("urn:epc:"):
        return _from_epc_uri(uri, dot)
    if uri.startswith("http"):
        return _from_web_uri(uri)
    return None


def _from_epc_uri(uri: str, dot: int) -> str | None:
    colon = uri.find(":", uri.find(":", 8) + 1)
    entry = _EPC.get(uri[8:colon]) if colon > 0 else None
    if entry is None or entry[0].match(uri) is None:
        return None
    return entry[1](uri, dot, colon + 1)


def _from_web_uri(uri: str) -> str | None:
    if _DL_GATE.match(uri) is None:
        return None
    query = uri.find("?")
    if query >= 0:
        uri = uri[:query]
    for name, ai in _SHORT_NAMES:
        uri = uri.replace(name, ai)
    if _ON_CANONICAL_HOST.match(uri) is None:
        for key in _CUT_AT:
            at = uri.find(key)
            if at != -1:
                uri = _BASE + uri[at:]
                break
    if _GTIN_14.match(uri) is None:
        for pattern, padded in _GTIN_PADDING:
            if pattern.match(uri) is not None:
                uri = uri.replace("/01/", padded)
                break
    # Drop the CPV (AI 22): alone at the end, or followed by further qualifiers.
    cpv = uri.find("/22/")
    after = uri[cpv + 4 :]
    if _CPV_LAST.match(uri) is not None:
        uri = uri[:cpv] + after[after.find("/") : -1]
    if _CPV_THEN_MORE.match(uri) is not None:
        uri = uri[: uri.find("/22/")] + after[after.find("/") :]
    # Keep the finest level: a serial makes the lot redundant.
    if _LOT_AND_SERIAL.match(uri) is not None:
        lot = uri.find("/10/")
        rest = uri[lot + 4 :]
        uri = uri[:lot] + rest[rest.find("/") :]
    return uri if _VALID.match(uri) is not None else None
