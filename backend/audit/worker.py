"""What runs in the audit's worker processes: export lines parsed and checked (light imports: the core and orjson).

A worker holds an :class:`~supplychain.audit.EventChecker` on the registry mirror (sent once, when it starts); a chunk
is ``(lines, anchoring_only)``: export records, one per line, as one block of bytes (a page as it came).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from supplychain.audit import Checked, EventChecker
from supplychain.registry import RegistryMirror

__all__ = [
    "Chunk",
    "check_chunk",
    "check_line",
    "check_lines",
    "line_id",
    "ready",
    "start_worker",
    "without_anchors",
]

Chunk = tuple[bytes, bool]
_checker: EventChecker | None = None


def line_id(line: bytes) -> int | None:
    """The ``id`` of an export record from the start of its line (``{"id":123,...``), without parsing the rest."""
    if line.startswith(b'{"id":'):
        end = line.find(b",", 6)
        digits = line[6:end] if end > 0 else b""
        if digits.isdigit():
            return int(digits)
    return None


def check_line(checker: EventChecker, line: bytes, anchoring_only: bool = False) -> Checked:
    """Parse one export record (orjson, else Python's json for what orjson refuses) and check it."""
    record: Any
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            record = json.loads(line)
        except ValueError:
            record = {"id": line_id(line)}
    if not isinstance(record, dict):
        record = {}
    return checker.check(record, anchoring_only=anchoring_only)


def without_anchors(mirror: RegistryMirror) -> RegistryMirror:
    """A shallow copy of the mirror without its anchors (the per-event checks do not need them)."""
    copy = RegistryMirror()
    copy.organisations, copy.keys, copy.recognitions = mirror.organisations, mirror.keys, mirror.recognitions
    return copy


def start_worker(mirror: RegistryMirror) -> None:
    """The worker's initializer: its checker on ``mirror``."""
    global _checker  # noqa: PLW0603 - one checker per worker process
    _checker = EventChecker(mirror)


def ready() -> bool:
    """A task that does nothing (starts the workers)."""
    return _checker is not None


def check_lines(checker: EventChecker, chunk: Chunk) -> list[Checked]:
    """Check every record of a chunk."""
    lines, anchoring_only = chunk
    return [check_line(checker, line, anchoring_only) for line in lines.split(b"\n") if line]


def check_chunk(chunk: Chunk) -> list[Checked]:
    """Check one chunk in a worker."""
    checker = _checker
    if checker is None:
        raise RuntimeError("check_chunk runs in a worker started with start_worker")
    return check_lines(checker, chunk)
