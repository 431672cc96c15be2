"""``abi.encode`` of leaf values, for the leaf encodings OpenZeppelin's dumps use.

Static types (``uint<N>``, ``int<N>``, ``bytes<N>``, ``address``, ``bool``) and the dynamic ``string`` and
``bytes``; no arrays or tuples. Private to :mod:`supplychain.merkle`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from supplychain.errors import MerkleValueError

_INT_TYPE = re.compile(r"(u?)int(\d*)")
_BYTES_N_TYPE = re.compile(r"bytes(\d+)")


def check_encoding(leaf_encoding: Sequence[str]) -> tuple[str, ...]:
    if isinstance(leaf_encoding, str) or not isinstance(leaf_encoding, Sequence) or not leaf_encoding:
        raise MerkleValueError(f"leaf encoding must be a non-empty list of Solidity types, got {leaf_encoding!r}")
    for t in leaf_encoding:
        ok = isinstance(t, str) and (t in ("address", "bool", "string", "bytes"))
        if isinstance(t, str) and (m := _INT_TYPE.fullmatch(t)):
            ok = m[2] == "" or (m[2][0] != "0" and int(m[2]) % 8 == 0 and 8 <= int(m[2]) <= 256)
        elif isinstance(t, str) and (m := _BYTES_N_TYPE.fullmatch(t)):
            ok = m[1][0] != "0" and 1 <= int(m[1]) <= 32
        if not ok:
            raise MerkleValueError(
                f"unsupported leaf encoding type {t!r}: supported are uint<N>, int<N>, bytes<N>, address, "
                "bool, string and bytes"
            )
    return tuple(leaf_encoding)


def abi_bytes(value: object, t: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise MerkleValueError(f"{t} value must be bytes or 0x-prefixed hex, got {value!r}")


def _abi_int(value: object, t: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value[:2] in ("0x", "0X") else int(value, 10)
        except ValueError:
            pass
    raise MerkleValueError(f"{t} value must be an int or a decimal / 0x-hex string, got {value!r}")


def _abi_static(t: str, value: object) -> bytes:
    if t == "bool":
        if not isinstance(value, bool):
            raise MerkleValueError(f"bool value must be True or False, got {value!r}")
        return int(value).to_bytes(32, "big")
    if t == "address":
        raw = abi_bytes(value, t)
        if len(raw) != 20:
            raise MerkleValueError(f"address value must be 20 bytes, got {len(raw)}")
        return raw.rjust(32, b"\0")
    if m := _BYTES_N_TYPE.fullmatch(t):
        raw = abi_bytes(value, t)
        if len(raw) != int(m[1]):
            raise MerkleValueError(f"{t} value must be {m[1]} bytes, got {len(raw)}")
        return raw.ljust(32, b"\0")
    m = _INT_TYPE.fullmatch(t)
    if m is None:  # pragma: no cover - check_encoding let only the types above and ints through
        raise AssertionError(f"unreachable: unchecked type {t!r}")
    bits = int(m[2] or 256)
    number = _abi_int(value, t)
    low, high = (0, 2**bits) if m[1] else (-(2 ** (bits - 1)), 2 ** (bits - 1))
    if not low <= number < high:
        raise MerkleValueError(f"{t} value {number} is out of range")
    return (number % 2**256).to_bytes(32, "big")


def abi_encode(leaf_encoding: tuple[str, ...], value: Sequence[object]) -> bytes:
    """``abi.encode(value...)`` for the types :func:`check_encoding` accepts."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != len(leaf_encoding):
        raise MerkleValueError(
            f"value {value!r} must be a list of {len(leaf_encoding)} item(s) for leaf encoding {list(leaf_encoding)}"
        )
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = 32 * len(leaf_encoding)
    for t, item in zip(leaf_encoding, value, strict=True):
        if t in ("string", "bytes"):
            if t == "string" and not isinstance(item, str):
                raise MerkleValueError(f"string value must be a str, got {item!r}")
            data = item.encode() if isinstance(item, str) and t == "string" else abi_bytes(item, t)
            tail = len(data).to_bytes(32, "big") + data + b"\0" * (-len(data) % 32)
            heads.append(offset.to_bytes(32, "big"))
            tails.append(tail)
            offset += len(tail)
        else:
            heads.append(_abi_static(t, item))
    return b"".join(heads) + b"".join(tails)
