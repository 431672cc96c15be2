"""RFC 8785 JSON Canonicalization Scheme (JCS) for the JSON master data uses: no floating-point numbers.

JCS serialises a JSON value with no whitespace, object members sorted by the UTF-16 code units of their names, strings
with only ``"``, ``\\`` and the control characters below U+0020 escaped (``\\b \\t \\n \\f \\r`` by name, the others as
``\\u00xx`` in lowercase hex), everything else written as itself in UTF-8. Numbers follow ECMAScript's
``Number.prototype.toString``; master data holds only integers within ``±(2**53 - 1)``, which it writes in decimal, so
the float formatting of RFC 8785 section 3.2.2.3 is never needed and a float is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from supplychain.errors import MasterDataFormatError

__all__ = ["MAX_SAFE_INTEGER", "canonical_json"]

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer that I-JSON (RFC 7493) and JCS carry exactly."""

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str, field: str) -> str:
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            raise MasterDataFormatError(field, "a lone surrogate is not a character (I-JSON, RFC 7493)")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def _scalar(value: object, where: str) -> str | None:
    """The canonical text of a scalar (null, true, false, an integer, a string); ``None`` for anything else."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        if abs(value) > MAX_SAFE_INTEGER:
            raise MasterDataFormatError(where, f"integers are at most {MAX_SAFE_INTEGER} in magnitude (I-JSON)")
        return str(value)
    if isinstance(value, str):
        return _string(value, where)
    return None


def canonical_json(value: object, field: str = "<document>") -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value`` (dicts with str keys, lists, str, int, bool, None).

    Built iteratively: no recursion, whatever the nesting (callers bound the depth before decoding).

    Raises:
        MasterDataFormatError: a float, an integer beyond ±(2**53 - 1), a lone surrogate, a non-string key or a
            value of another type; ``field`` names where.
    """
    parts: list[str] = []
    stack: list[tuple[object, str] | str] = [(value, field)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):  # a literal to write (punctuation pushed by a container)
            parts.append(item)
            continue
        current, where = item
        scalar = _scalar(current, where)
        if scalar is not None:
            parts.append(scalar)
        elif isinstance(current, Mapping):
            for key in current:
                if not isinstance(key, str):
                    raise MasterDataFormatError(where, f"object member names are strings, got {type(key).__name__}")
            names = sorted(current, key=_utf16)
            pending: list[tuple[object, str] | str] = ["{"]
            for i, name in enumerate(names):
                inner = f"{where}.{name}" if where != "<document>" else name
                pending += [("," if i else "") + _string(name, inner) + ":", (current[name], inner)]
            pending.append("}")
            stack.extend(reversed(pending))
        elif isinstance(current, Sequence) and not isinstance(current, bytes | bytearray):
            pending = ["["]
            for i, element in enumerate(current):
                if i:
                    pending.append(",")
                pending.append((element, f"{where}[{i}]"))
            pending.append("]")
            stack.extend(reversed(pending))
        else:
            kind = "a floating-point number" if isinstance(current, float) else type(current).__name__
            raise MasterDataFormatError(where, f"{kind} has no place in master data (integers, strings, true, false)")
    return "".join(parts).encode("utf-8")
