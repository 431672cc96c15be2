"""Canonical forms of single values in a pre-hash string: timestamps, numbers, CBV URNs and GS1 identifiers.

Each function is pure and total: a value that has no canonical form is returned unchanged, as GS1's reference
implementation does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from supplychain.eventhash._dlfast import to_canonical_dl
from supplychain.eventhash._vocab import OLD_CBV_URNS

__all__ = ["canonical_number", "canonical_timestamp", "canonical_value"]

_MAX_EXPONENT = 308  # beyond a double's range the reference fails; such values are kept as written


@lru_cache(maxsize=4096)
def canonical_timestamp(text: str) -> str:
    """Express an ISO 8601 date-time in UTC at millisecond precision: ``2019-10-21T12:58:56.591Z``.

    Digits past the microsecond are dropped, then the microseconds are rounded to milliseconds half to even, as
    GS1's current reference does (``.1225`` -> ``.122``, ``.1235`` -> ``.124``); a carry rolls into the seconds
    (where the reference fails: see docs/epcis-conformance.md). Fewer digits are zero-filled. A time without a zone
    offset is taken as UTC. Text that is not an ISO 8601 date-time is returned unchanged.

    Args:
        text: The stripped value of a time field.

    Returns:
        The canonical form, or ``text`` itself.
    """
    try:
        moment = datetime.fromisoformat(text)
        offset = moment.utcoffset()
        moment = moment.replace(tzinfo=None, microsecond=0) + timedelta(microseconds=round(moment.microsecond, -3))
        if offset:
            moment -= offset
    except (ValueError, OverflowError):
        return text
    return moment.isoformat(timespec="milliseconds") + "Z"


def canonical_number(text: str) -> str | None:
    """Write a decimal number without sign ``+``, leading or trailing zeros, or exponent (``+012.50`` -> ``12.5``).

    Args:
        text: A stripped value.

    Returns:
        The canonical form, or ``None`` when ``text`` is not a finite decimal number of sensible magnitude.
    """
    if text.isdecimal() and len(text) < 300:
        return str(int(text))
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number.adjusted()) > _MAX_EXPONENT:
        return None
    if number == number.to_integral_value():
        return str(int(number))
    return format(number, "f").rstrip("0")


def canonical_value(text: str) -> str:
    """Run a stripped value through the reference's canonicalisations, in its order.

    CBV 1.x URNs become CBV 2.0 web vocabulary URIs, numbers get their canonical form, and EPC URNs or GS1
    Digital Link URIs become constrained canonical GS1 Digital Link URIs. Anything else is returned unchanged.

    Args:
        text: A value with surrounding white space removed.

    Returns:
        The canonical form of the value.
    """
    if "urn:epcglobal:cbv:" in text:
        for old, new in OLD_CBV_URNS:
            text = text.replace(old, new)
    first = text[:1]
    if first.isdecimal() or first in ("+", "-", "."):
        number = canonical_number(text)
        if number is not None:
            return number
    elif "." in text and (text.startswith("urn:epc:") or text.startswith("http")):
        converted = to_canonical_dl(text)
        if converted:
            return converted
    return text
