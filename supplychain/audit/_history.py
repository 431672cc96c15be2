"""The registry's history as JSON, so that an audit can continue from the last block it read.

Each event becomes ``{"type": <class name>, <field>: <value>, ...}``: bytes as ``0x`` hex, enums and flags as their
numbers, the log position and recognition terms as nested objects. :func:`history_from_json` reads it back into the
records of :mod:`supplychain.registry.events`, which fold into the same :class:`~supplychain.registry.RegistryMirror`.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from supplychain.errors import TraceError
from supplychain.registry import events as ev

__all__ = ["HistoryFormatError", "history_from_json", "history_to_json"]

_TYPES: dict[str, type] = {
    name: getattr(ev, name)
    for name in ev.__all__
    if dataclasses.is_dataclass(getattr(ev, name)) and name not in ("LogPosition", "RecognitionTerms")
}
_HINTS: dict[type, dict[str, Any]] = {}


class HistoryFormatError(TraceError, ValueError):
    """Saved history that is not what :func:`history_to_json` writes."""


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls, vars(ev))
    return hints


def _encode(value: object) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def history_to_json(history: Iterable[ev.RegistryEvent]) -> list[dict[str, Any]]:
    """The events as JSON data, in the given (chain) order."""
    return [{"type": type(event).__name__, **_encode(event)} for event in history]


def _decode(hint: Any, value: Any) -> Any:
    if hint is bytes:
        if not isinstance(value, str) or not value.startswith("0x"):
            raise TypeError(f"expected 0x hex, got {value!r:.40}")
        return bytes.fromhex(value[2:])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value)
    if isinstance(hint, types.UnionType):  # int | None
        return value if value is None else _decode(typing.get_args(hint)[0], value)
    if not isinstance(value, hint):
        raise TypeError(f"expected {hint.__name__}, got {value!r:.40}")
    return value


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(**{f.name: _decode(hints[f.name], data[f.name]) for f in dataclasses.fields(cls)})


def history_from_json(data: Iterable[Mapping[str, Any]]) -> list[ev.RegistryEvent]:
    """Read what :func:`history_to_json` wrote.

    Raises:
        HistoryFormatError: An entry is not a registry event written by :func:`history_to_json`.
    """
    out: list[ev.RegistryEvent] = []
    for i, entry in enumerate(data):
        try:
            cls = _TYPES[entry["type"]]
            out.append(_build(cls, entry))
        except (KeyError, TypeError, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise HistoryFormatError(f"history entry {i} is not a registry event: {reason}") from None
    return out
