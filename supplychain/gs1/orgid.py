"""Organisation ids as stored on chain: a GLN or a unified social credit code in a ``bytes32``.

The id's ASCII characters are left-aligned and the rest is zero bytes, the way Solidity stores a short string
literal in a ``bytes32``. Both directions validate, so only a well-formed GLN or USCC is ever written or read.
"""

from __future__ import annotations

from supplychain.errors import Gs1ValueError
from supplychain.gs1.keys import parse_gln
from supplychain.gs1.uscc import parse_uscc

__all__ = ["org_id_bytes32", "org_id_from_bytes32", "parse_org_id"]

_KIND = "organisation id"


def parse_org_id(org_id: str) -> str:
    """Validate an organisation id: a GLN (13 digits with check digit) or a USCC (18 characters).

    Raises:
        Gs1ValueError: Neither form (``InvalidGs1KeyError`` / ``InvalidUsccError`` say what is wrong with it).
    """
    if len(org_id) == 13 and org_id.isascii() and org_id.isdigit():
        return parse_gln(org_id)
    if len(org_id) == 18:
        return parse_uscc(org_id)
    raise Gs1ValueError(
        _KIND, org_id, f"length {len(org_id)}: expected a GLN (13 digits) or a unified social credit code (18)"
    )


def org_id_bytes32(org_id: str) -> bytes:
    """Validate a GLN or USCC and return it as 32 bytes: ASCII, left-aligned, zero-padded."""
    return parse_org_id(org_id).encode("ascii").ljust(32, b"\0")


def org_id_from_bytes32(b: bytes) -> str:
    """Inverse of :func:`org_id_bytes32`: read and validate the id stored in a ``bytes32``.

    Raises:
        Gs1ValueError: Not 32 bytes, a zero byte inside the id, non-ASCII bytes, or not a valid GLN / USCC.
    """
    if len(b) != 32:
        raise Gs1ValueError(_KIND, b, f"length {len(b)} bytes, expected 32")
    raw = b.rstrip(b"\0")
    if b"\0" in raw:
        raise Gs1ValueError(_KIND, b, "zero byte inside the id: expected ASCII left-aligned, then zero padding")
    if not raw.isascii():
        raise Gs1ValueError(_KIND, b, "not ASCII")
    return parse_org_id(raw.decode("ascii"))
