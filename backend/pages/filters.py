"""The filters the templates share: formatting of times, numbers and identifiers, never markup from data.

A filter returns text (escaped by the template like any value) or, where it must build markup, builds it from
escaped parts only (``markupsafe.Markup.format`` escapes its arguments)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

__all__ = ["DISPLAY_ZONE", "FILTERS", "iso", "when"]

DISPLAY_ZONE: Final = timezone(timedelta(hours=8))
"""Times are shown in China Standard Time (UTC+8); the pages say so."""


def when(value: datetime | int | None, *, seconds: bool = False, ms: bool = False) -> str:
    """A time in the display zone: ``2026-11-21 10:32`` (``seconds``: with seconds); ints are seconds since the epoch
    (``ms``: milliseconds). ``None`` or a damaged value (reported elsewhere on the page) shows as ``—``."""
    if value is None or isinstance(value, bool) or not isinstance(value, datetime | int):
        return "—"
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value / 1000 if ms else value, UTC)
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def iso(value: datetime | int, *, ms: bool = False) -> str:
    """A time as RFC 3339 in UTC, to the second (``2026-11-21T02:32:00Z``), for ``<time datetime>``."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value / 1000 if ms else value, UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


FILTERS: Final[dict[str, Callable[..., Any]]] = {"when": when, "iso": iso}
