"""GS1 keys and Application Identifier (AI) values: length, character set and check digit validation.

Each AI has a format in the GS1 General Specifications' notation, e.g. ``N13,csum+X..17`` for the GDTI: 13
digits whose last is a check digit, then up to 17 characters of GS1 AI encodable character set 82. ``parse_ai``
validates any AI known here; the ``parse_<key>`` functions are the per-key entry points. Every error is an
:class:`~supplychain.errors.InvalidGs1KeyError` naming the identifier, the value and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from supplychain.errors import InvalidGs1KeyError
from supplychain.gs1.checkdigit import gs1_check_digit

__all__ = [
    "AI_SPECS",
    "CSET39",
    "CSET82",
    "AiSpec",
    "parse_ai",
    "parse_cpid",
    "parse_gcn",
    "parse_gdti",
    "parse_giai",
    "parse_ginc",
    "parse_gln",
    "parse_grai",
    "parse_gsin",
    "parse_gsrn",
    "parse_gsrnp",
    "parse_gtin",
    "parse_itip",
    "parse_pgln",
    "parse_sscc",
    "parse_upui",
]

DIGITS: Final = frozenset("0123456789")
CSET82: Final = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
"""GS1 AI encodable character set 82 (General Specifications, figure 7.11-1)."""
CSET39: Final = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
"""GS1 AI encodable character set 39 (CPID, AI 8010)."""

_CSETS: Final = {
    "N": (DIGITS, "a digit"),
    "X": (CSET82, "in GS1 character set 82"),
    "Y": (CSET39, "in GS1 character set 39"),
}


@dataclass(frozen=True, slots=True)
class AiSpec:
    """One Application Identifier.

    Attributes:
        ai: The AI, e.g. ``"01"``.
        name: Its data title / key name, e.g. ``"GTIN"``.
        fmt: Format: ``+``-joined parts ``N13`` (fixed digits), ``N..12`` (up to), ``X..20`` (set 82),
            ``Y..30`` (set 39), with ``,csum`` (last digit is a check digit) or ``,yymmdd`` (a date).
        short_name: The Digital Link 1.0 alphanumeric name (``gtin``, ``ser``...) where one exists.
    """

    ai: str
    name: str
    fmt: str
    short_name: str | None = None


def _spec(ai: str, name: str, fmt: str, short_name: str | None = None) -> AiSpec:
    return AiSpec(ai, name, fmt, short_name)


_SPECS: Final = [
    _spec("00", "SSCC", "N18,csum", "sscc"),
    _spec("01", "GTIN", "N14,csum", "gtin"),
    _spec("10", "batch/lot", "X..20", "lot"),
    _spec("11", "production date", "N6,yymmdd"),
    _spec("12", "due date", "N6,yymmdd"),
    _spec("13", "packaging date", "N6,yymmdd"),
    _spec("15", "best before date", "N6,yymmdd"),
    _spec("16", "sell by date", "N6,yymmdd"),
    _spec("17", "expiry date", "N6,yymmdd"),
    _spec("20", "variant", "N2"),
    _spec("21", "serial number", "X..20", "ser"),
    _spec("22", "consumer product variant", "X..20", "cpv"),
    _spec("235", "third party controlled serial extension (TPX)", "X..28"),
    _spec("240", "additional product identification", "X..30"),
    _spec("241", "customer part number", "X..30"),
    _spec("242", "made-to-order variation number", "N..6"),
    _spec("250", "secondary serial number", "X..30"),
    _spec("251", "reference to source entity", "X..30"),
    _spec("253", "GDTI", "N13,csum+X..17", "gdti"),
    _spec("254", "GLN extension component", "X..20", "glnx"),
    _spec("255", "GCN", "N13,csum+N..12", "gcn"),
    _spec("30", "variable count", "N..8"),
    _spec("37", "count of trade items", "N..8"),
    _spec("400", "customer purchase order number", "X..30"),
    _spec("401", "GINC", "X..30", "ginc"),
    _spec("402", "GSIN", "N17,csum", "gsin"),
    _spec("414", "GLN", "N13,csum", "gln"),
    _spec("417", "PGLN", "N13,csum", "party"),
    _spec("422", "country of origin", "N3"),
    _spec("7003", "expiration date and time", "N10"),
    _spec("7006", "first freeze date", "N6,yymmdd"),
    _spec("8003", "GRAI", "N14,csum+X..16", "grai"),
    _spec("8004", "GIAI", "X..30", "giai"),
    _spec("8005", "price per unit of measure", "N6"),
    _spec("8006", "ITIP", "N14,csum+N2+N2", "itip"),
    _spec("8008", "date and time of production", "N8+N..4"),
    _spec("8010", "CPID", "Y..30", "cpid"),
    _spec("8011", "CPID serial number", "N..12", "cpsn"),
    _spec("8017", "GSRN-P", "N18,csum", "gsrnp"),
    _spec("8018", "GSRN", "N18,csum", "gsrn"),
    _spec("8019", "service relation instance number (SRIN)", "N..10", "srin"),
    _spec("90", "information agreed between partners", "X..30"),
    *(_spec(f"9{n}", "company internal information", "X..90") for n in range(1, 10)),
    # Trade measures: 310n-316n, 320n-369n (n = decimal places), six digits.
    *(_spec(f"3{a}{b}{n}", "trade measure", "N6") for a in range(1, 7) for b in range(10) for n in range(10)),
]
AI_SPECS: Final[dict[str, AiSpec]] = {s.ai: s for s in _SPECS}
"""Every AI this module validates, by AI."""

_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _fail(kind: str, value: str, reason: str) -> InvalidGs1KeyError:
    return InvalidGs1KeyError(kind, value, reason)


def _check_chars(kind: str, value: str, start: int, end: int, letter: str) -> None:
    allowed, description = _CSETS[letter]
    for i in range(start, end):
        if value[i] not in allowed:
            raise _fail(kind, value, f"character {value[i]!r} at position {i + 1} is not {description}")


def _check_date(kind: str, value: str, start: int) -> None:
    month, day = int(value[start + 2 : start + 4]), int(value[start + 4 : start + 6])
    if not 1 <= month <= 12 or day > _DAYS_IN_MONTH[month - 1]:
        raise _fail(kind, value, f"{value[start : start + 6]!r} is not a date YYMMDD (day 00 means end of month)")


def _check_digit_at(kind: str, value: str, end: int) -> None:
    expected = gs1_check_digit(value[: end - 1])
    if value[end - 1] != expected:
        raise _fail(kind, value, f"check digit expected {expected}, got {value[end - 1]}")


def _parse_format(kind: str, value: str, fmt: str) -> str:
    """Validate ``value`` against an AI format string; return it unchanged."""
    parts = fmt.split("+")
    fixed = sum(int(p.split(",")[0][1:]) for p in parts if ".." not in p)
    maximum = sum(int(p.split(",")[0].split("..")[-1].lstrip("NXY")) for p in parts)
    if not fixed <= len(value) <= maximum or not value:
        expected = f"{fixed}" if fixed == maximum else f"{max(fixed, 1)} to {maximum}"
        raise _fail(kind, value, f"length {len(value)}, expected {expected} characters ({fmt})")
    pos = 0
    for part in parts:
        body, _, option = part.partition(",")
        letter = body[0]
        size = min(int(body.split("..")[-1].lstrip("NXY")), len(value) - pos) if ".." in body else int(body[1:])
        _check_chars(kind, value, pos, pos + size, letter)
        if option == "csum":
            _check_digit_at(kind, value, pos + size)
        elif option == "yymmdd":
            _check_date(kind, value, pos)
        pos += size
    return value


def parse_ai(ai: str, value: str) -> str:
    """Validate the value of any AI known to :data:`AI_SPECS` (GTINs must have 14 digits here).

    Args:
        ai: The Application Identifier, e.g. ``"17"``.
        value: Its value, without the AI.

    Returns:
        The value, unchanged.

    Raises:
        InvalidGs1KeyError: Unknown AI, or a value of the wrong length, characters or check digit.
    """
    spec = AI_SPECS.get(ai)
    if spec is None:
        raise _fail("AI", ai, "not a GS1 Application Identifier known here")
    if ai == "8006":
        return parse_itip(value)
    value = _parse_format(f"{spec.name} (AI {ai})", value, spec.fmt)
    if ai in _GCP_LED:
        _require_company_prefix(f"{spec.name} (AI {ai})", value)
    return value


_GCP_LED: Final = frozenset({"401", "8004", "8010"})


def _require_company_prefix(kind: str, value: str) -> None:
    if len(value) < 4 or not DIGITS.issuperset(value[:4]):
        raise _fail(kind, value, "must start with a GS1 Company Prefix (at least 4 digits)")


def parse_gtin(text: str) -> str:
    """Validate a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 and return it as 14 digits (zero-padded on the left).

    Raises:
        InvalidGs1KeyError: Not 8, 12, 13 or 14 digits, or a wrong check digit.
    """
    if len(text) not in (8, 12, 13, 14):
        raise _fail("GTIN", text, f"length {len(text)}, expected 8, 12, 13 or 14 digits")
    _check_chars("GTIN", text, 0, len(text), "N")
    _check_digit_at("GTIN", text, len(text))
    return text.zfill(14)


def parse_gln(text: str) -> str:
    """Validate a GLN (AI 414): 13 digits with check digit."""
    return _parse_format("GLN", text, "N13,csum")


def parse_pgln(text: str) -> str:
    """Validate a party GLN (AI 417): 13 digits with check digit."""
    return _parse_format("PGLN", text, "N13,csum")


def parse_sscc(text: str) -> str:
    """Validate an SSCC (AI 00): 18 digits with check digit."""
    return _parse_format("SSCC", text, "N18,csum")


def parse_grai(text: str) -> str:
    """Validate a GRAI (AI 8003): ``0`` + 13 digits with check digit, then an optional serial (set 82, up to 16)."""
    value = _parse_format("GRAI", text, "N14,csum+X..16")
    if value[0] != "0":
        raise _fail("GRAI", value, f"first digit must be the filler 0, got {value[0]}")
    return value


def parse_giai(text: str) -> str:
    """Validate a GIAI (AI 8004): GS1 Company Prefix and asset reference, set 82, up to 30 characters."""
    return parse_ai("8004", text)


def parse_gsrn(text: str) -> str:
    """Validate a GSRN of a service provider (AI 8018): 18 digits with check digit."""
    return _parse_format("GSRN", text, "N18,csum")


def parse_gsrnp(text: str) -> str:
    """Validate a GSRN of a service recipient (AI 8017): 18 digits with check digit."""
    return _parse_format("GSRN-P", text, "N18,csum")


def parse_gdti(text: str) -> str:
    """Validate a GDTI (AI 253): 13 digits with check digit, then an optional serial (set 82, up to 17)."""
    return _parse_format("GDTI", text, "N13,csum+X..17")


def parse_gsin(text: str) -> str:
    """Validate a GSIN (AI 402): 17 digits with check digit."""
    return _parse_format("GSIN", text, "N17,csum")


def parse_ginc(text: str) -> str:
    """Validate a GINC (AI 401): GS1 Company Prefix and consignment reference, set 82, up to 30."""
    return parse_ai("401", text)


def parse_cpid(text: str) -> str:
    """Validate a CPID (AI 8010): GS1 Company Prefix and component reference, set 39, up to 30."""
    return parse_ai("8010", text)


def parse_gcn(text: str) -> str:
    """Validate a GCN (AI 255): 13 digits with check digit, then an optional serial of up to 12 digits."""
    return _parse_format("GCN", text, "N13,csum+N..12")


def parse_itip(text: str) -> str:
    """Validate an ITIP (AI 8006): GTIN-14, piece number and total count (01-99 each, piece <= total)."""
    value = _parse_format("ITIP", text, "N14,csum+N2+N2")
    piece, total = int(value[14:16]), int(value[16:18])
    if not 1 <= piece <= total:
        raise _fail("ITIP", value, f"piece {value[14:16]} of total {value[16:18]}: expected 01 <= piece <= total")
    return value


def parse_upui(gtin: str, tpx: str) -> tuple[str, str]:
    """Validate a UPUI: a GTIN and its third party controlled serial extension (AI 235, set 82, up to 28).

    Returns:
        The GTIN as 14 digits and the TPX.
    """
    return parse_gtin(gtin), _parse_format("TPX (AI 235)", tpx, "X..28")
