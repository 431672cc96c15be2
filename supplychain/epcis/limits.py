"""Resource limits of the EPCIS parser, and the checks that enforce them before any EPCIS rule is looked at.

Every limit has its own exception (``supplychain.errors.EpcisLimitError`` subclasses) naming the limit, its value
and the value found, so a capture endpoint can say exactly why a document was refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from supplychain.errors import (
    DocumentTooLargeError,
    ListTooLongError,
    NestingTooDeepError,
    StringTooLongError,
)

__all__ = ["DEFAULT_LIMITS", "Limits", "check_document_size", "check_tree", "format_path"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds on what one EPCIS document may contain.

    Attributes:
        max_document_bytes: Size of the encoded document (32 MiB).
        max_events: Events in one document (100,000).
        max_depth: Nesting of objects and arrays, the outermost object counting 1 (32).
        max_list_length: Items in any one array (100,000).
        max_string_length: Characters in any one string, object keys included (8 KiB).
        max_problems: Problems collected before validation stops and reports what it has (1,000).
    """

    max_document_bytes: int = 32 * 1024 * 1024
    max_events: int = 100_000
    max_depth: int = 32
    max_list_length: int = 100_000
    max_string_length: int = 8 * 1024
    max_problems: int = 1_000


DEFAULT_LIMITS = Limits()


def format_path(parts: Sequence[str | int]) -> str:
    """Render path parts as ``epcisBody.eventList[3].quantityList[0].quantity``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def check_document_size(size: int, limits: Limits) -> None:
    """Refuse a document larger than ``limits.max_document_bytes``.

    Raises:
        DocumentTooLargeError: With the size found.
    """
    if size > limits.max_document_bytes:
        raise DocumentTooLargeError("max_document_bytes", limits.max_document_bytes, size)


def check_tree(root: Any, limits: Limits) -> None:
    """Walk decoded JSON (iteratively) and refuse deep nesting, long arrays and long strings.

    Args:
        root: The decoded document (dicts, lists, strings, numbers, booleans, None).
        limits: The bounds to enforce.

    Raises:
        NestingTooDeepError: With the deepest nesting found and where it first went past the limit.
        ListTooLongError: With the array's length and path.
        StringTooLongError: With the string's length and path (a key's path ends in the key itself).
    """
    max_str = limits.max_string_length
    deepest = 0
    first_too_deep: tuple[str | int, ...] | None = None
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(root, 0, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, str):
            if len(node) > max_str:
                raise StringTooLongError("max_string_length", max_str, len(node), format_path(path))
            continue
        if isinstance(node, Mapping):
            items: list[tuple[str | int, Any]] = []
            for key, value in node.items():
                if isinstance(key, str) and len(key) > max_str:
                    raise StringTooLongError("max_string_length", max_str, len(key), format_path((*path, key)))
                items.append((key, value))
        elif isinstance(node, list):
            if len(node) > limits.max_list_length:
                raise ListTooLongError("max_list_length", limits.max_list_length, len(node), format_path(path))
            items = list(enumerate(node))
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if depth > limits.max_depth and first_too_deep is None:
                first_too_deep = path
        stack.extend((value, depth, (*path, key)) for key, value in reversed(items))
    if first_too_deep is not None:
        raise NestingTooDeepError("max_depth", limits.max_depth, deepest, format_path(first_too_deep))
