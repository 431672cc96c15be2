"""A fast path in front of :func:`supplychain.gs1.canonical_dl` for the identifiers events carry most.

SGTIN, SSCC, SGLN and LGTIN EPC URIs with plain alphanumeric serials / lots / extensions, and GS1 Digital Link URIs
already in constrained canonical form, are converted with string operations only; everything else goes to
``canonical_dl``. A property test checks that both always agree.
"""

from __future__ import annotations

from functools import lru_cache

from supplychain.gs1 import canonical_dl

__all__ = ["to_canonical_dl"]

_DL = "https://id.gs1.org/"
_KEY_DIGITS = {"00": 18, "414": 13, "417": 13}


def _check_digit(digits: str) -> str:
    total = 0
    weight = 3
    for char in reversed(digits):
        total += (ord(char) - 48) * weight
        weight = 4 - weight
    return chr(48 + (10 - total % 10) % 10)


def _numeric(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _alnum(text: str, longest: int = 20) -> bool:
    return 0 < len(text) <= longest and text.isascii() and text.isalnum()


def _gtin(company: str, item: str) -> str | None:
    if not (6 <= len(company) <= 12 and len(company) + len(item) == 13 and _numeric(company) and _numeric(item)):
        return None
    raw = item[:1] + company + item[1:]
    return raw + _check_digit(raw)


def _from_urn(uri: str) -> str | None:
    if uri.startswith("urn:epc:id:sgtin:"):
        parts = uri[17:].split(".")
        if len(parts) == 3 and _alnum(parts[2]):
            gtin = _gtin(parts[0], parts[1])
            return None if gtin is None else _DL + "01/" + gtin + "/21/" + parts[2]
    elif uri.startswith("urn:epc:class:lgtin:"):
        parts = uri[20:].split(".")
        if len(parts) == 3 and _alnum(parts[2]):
            gtin = _gtin(parts[0], parts[1])
            return None if gtin is None else _DL + "01/" + gtin + "/10/" + parts[2]
    elif uri.startswith("urn:epc:id:sscc:"):
        parts = uri[16:].split(".")
        company, ref = parts[0], parts[-1]
        if len(parts) == 2 and 6 <= len(company) <= 12 and len(company) + len(ref) == 17 and _numeric(company + ref):
            raw = ref[:1] + company + ref[1:]
            return _DL + "00/" + raw + _check_digit(raw)
    elif uri.startswith("urn:epc:id:sgln:"):
        parts = uri[16:].split(".")
        if len(parts) == 3 and _alnum(parts[2]):
            company, location = parts[0], parts[1]
            if 6 <= len(company) <= 12 and len(company) + len(location) == 12 and _numeric(company + location):
                gln = company + location
                gln += _check_digit(gln)
                return _DL + "414/" + gln if parts[2] == "0" else _DL + "414/" + gln + "/254/" + parts[2]
    return None


def _is_canonical_dl(uri: str) -> bool:
    parts = uri[19:].split("/")
    count = len(parts)
    key, value = parts[0], parts[1] if count > 1 else ""
    if key == "01":
        if len(value) != 14 or not _numeric(value):
            return False
        return count == 2 or (count == 4 and parts[2] in ("21", "10") and _alnum(parts[3]))
    digits = _KEY_DIGITS.get(key)
    if digits is None or len(value) != digits or not _numeric(value):
        return False
    return count == 2 or (count == 4 and key == "414" and parts[2] == "254" and _alnum(parts[3]))


@lru_cache(maxsize=1 << 16)
def _slow(uri: str) -> str | None:
    return canonical_dl(uri)


def to_canonical_dl(uri: str) -> str | None:
    """Same result as :func:`supplychain.gs1.canonical_dl` for any string, faster for the common identifiers."""
    if uri.startswith("urn:epc:"):
        fast = _from_urn(uri)
    elif uri.startswith(_DL) and _is_canonical_dl(uri):
        return uri
    else:
        fast = None
    return fast if fast is not None else _slow(uri)
