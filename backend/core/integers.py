"""Integers from the outside, validated at the edge: ASCII digits only, a length bound before ``int()``, and a range
the database can hold.

``str.isdigit()`` is not a digit check (``'²'.isdigit()`` is true, and ``int('²')`` fails), ``int()`` refuses more
than 4,300 digits with a ``ValueError``, and SQLite (and PostgreSQL ``BIGINT``) hold at most ``2**63 - 1``: an
identifier or count that reaches a query must pass :func:`parse_int` (text) or be declared with
:data:`INT64_MAX` / :data:`UINT256_MAX` as its bound (typed parameters: pydantic parses ASCII only and bounds the
length itself).
"""

from __future__ import annotations

import re

from backend.core.errors import P_, BadParameterError, Text

__all__ = ["INT64_MAX", "UINT256_MAX", "parse_int"]

INT64_MAX = 2**63 - 1
"""The largest integer a database column holds (SQLite INTEGER, PostgreSQL BIGINT)."""
UINT256_MAX = 2**256 - 1
"""The largest id the registry can hold (a ``uint256``)."""

_ASCII_DIGITS = re.compile(r"[0-9]+")


def parse_int(text: str, parameter: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """``text`` as an integer from ``minimum`` to ``maximum``: ASCII decimal digits only (no sign, space or ``_``).

    Raises:
        BadParameterError: Not such an integer; the detail names ``parameter`` and the range.
    """
    digits = text.lstrip("0") or "0"  # leading zeros do not count towards the length bound
    if not _ASCII_DIGITS.fullmatch(text) or len(digits) > len(str(maximum)):
        raise BadParameterError(parameter, _expected(minimum, maximum, f"{text!r:.30}"))
    number = int(digits)
    if not minimum <= number <= maximum:
        raise BadParameterError(parameter, _expected(minimum, maximum, number))
    return number


def _expected(minimum: int, maximum: int, got: object) -> Text:
    return P_("expected an integer {minimum}..{maximum}, got {value}", minimum=minimum, maximum=maximum, value=got)
