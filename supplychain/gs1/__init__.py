"""GS1 identifiers: check digits, keys, EPC URIs, GS1 Digital Link, and Chinese unified social credit codes.

Pure functions on strings, no I/O. :func:`canonical_dl` is the constrained canonical Digital Link used by the
CBV 2.0 Event Hash ID (see :mod:`supplychain.gs1.canonical`).
"""

from supplychain.gs1.canonical import canonical_dl
from supplychain.gs1.checkdigit import gs1_check_digit, has_valid_check_digit

__all__ = ["canonical_dl", "gs1_check_digit", "has_valid_check_digit"]
