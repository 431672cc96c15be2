"""A nesting check for JSON text that runs before the JSON decoder does.

Python's JSON decoder recurses once per ``[`` or ``{``; it relies on the interpreter's recursion limit to stop, and
libraries this project runs beside (py-evm, py_ecc) raise that limit to 100,000, far past what the C stack holds.
A hostile document of a few hundred kilobytes of brackets would then crash the process instead of raising an error.
Every decoder of untrusted JSON in the core therefore asks :func:`within_depth` first.
"""

from __future__ import annotations

import re
from itertools import accumulate

__all__ = ["nesting_depth", "within_depth"]

# Strings are skipped: brackets inside them do not nest. The unrolled form stays linear on long strings.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def _brackets(data: bytes) -> bytes:
    return _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))


def within_depth(data: bytes, max_depth: int) -> bool:
    """Whether the JSON text ``data`` nests ``[``/``{`` at most ``max_depth`` deep, with balanced brackets.

    ``False`` means the text is either nested deeper or malformed; :func:`nesting_depth` tells which (the JSON
    decoder's own recursion never goes deeper than :func:`nesting_depth`, so it is safe on malformed text within the
    bound, and gives the better message). Runs in
    ``max_depth`` passes of a regular expression over the brackets alone (no recursion, no per-byte Python loop).
    """
    brackets = _brackets(data)
    for _ in range(max_depth):
        if not brackets:
            return True
        reduced = _INNERMOST.sub(b"", brackets)
        if reduced == brackets:
            return False  # unbalanced: nothing left to pair up
        brackets = reduced
    return not brackets


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text (strings skipped); for error messages, after a refusal."""
    return max(accumulate(1 if b in b"[{" else -1 for b in _brackets(data)), default=0)
