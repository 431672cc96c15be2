"""Parameters of the green views, validated once for the API and the command line.

Every refusal is a :class:`~backend.services.queries.BadParameterError` naming the parameter and saying what is
accepted. Dates without a time are days in China Standard Time (UTC+08:00), as the users count them: ``from`` is
the start of its day, ``to`` the end of its day (the period includes both dates); date-times need a time zone, and
``to`` is then exclusive.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock

from backend.core.errors import P_, quoted
from backend.services.queries import BadParameterError
from supplychain.errors import Gs1ValueError
from supplychain.green import CheckState, Standing, parse_region_filter
from supplychain.gs1 import parse_org_id
from supplychain.i18n import DEFAULT_LANG, Lang
from supplychain.i18n import parse_lang as i18n_parse_lang
from supplychain.registry import Level, RecognitionKind

__all__ = [
    "CHINA",
    "MAX_PERIOD_DAYS",
    "MAX_SAMPLE_SIZE",
    "MAX_SEED_LENGTH",
    "MAX_WARN_DAYS",
    "parse_check_states",
    "parse_kind",
    "parse_lang",
    "parse_level",
    "parse_moment",
    "parse_org",
    "parse_period",
    "parse_region",
    "parse_seed",
    "parse_size",
    "parse_standing",
    "parse_warn_days",
]

CHINA = timezone(timedelta(hours=8), "CST")
MAX_PERIOD_DAYS = 3660
MAX_SAMPLE_SIZE = 1000
MAX_SEED_LENGTH = 128
MAX_WARN_DAYS = 3650
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY = 86_400


def _choices(enum: type[RecognitionKind] | type[Level]) -> str:
    return ", ".join(m.name.lower() for m in enum)


def parse_org(value: str, parameter: str) -> str:
    """An organisation id: a GLN or a unified social credit code, with its check character."""
    try:
        return parse_org_id(value.strip())
    except Gs1ValueError as exc:
        raise BadParameterError(parameter, str(exc)) from None


def parse_kind(value: str | None) -> RecognitionKind | None:
    """``green_factory``, ``green_product``, ``green_park``, ``green_supply_chain`` (or 1 to 4); ``None``: any."""
    if value is None:
        return None
    text = value.strip().lower()
    for kind in RecognitionKind:
        if text in (kind.name.lower(), str(int(kind)), kind.label_zh):
            return kind
    raise BadParameterError(
        "kind",
        P_(
            "unknown recognition kind {value}; expected one of {choices}",
            value=quoted(value, 40),
            choices=_choices(RecognitionKind),
        ),
    )


def parse_level(value: str | None) -> Level | None:
    """``city``, ``provincial``, ``national`` (or 1 to 3); ``None``: any."""
    if value is None:
        return None
    text = value.strip().lower()
    for level in Level:
        if text in (level.name.lower(), str(int(level))):
            return level
    raise BadParameterError(
        "level",
        P_("unknown level {value}; expected one of {choices}", value=quoted(value, 40), choices=_choices(Level)),
    )


def parse_standing(value: str | None) -> Standing | None:
    """A recognition's status filter: ``in_force`` (the default), ``suspended``, ``revoked``, ``expired``,
    ``not_yet_valid`` or ``all`` (``None``)."""
    text = (value or Standing.IN_FORCE.value).strip().lower()
    if text == "all":
        return None
    try:
        return Standing(text)
    except ValueError:
        known = ", ".join([*(s.value for s in Standing), "all"])
        raise BadParameterError(
            "status", P_("unknown status {value}; expected one of {choices}", value=quoted(value, 40), choices=known)
        ) from None


def parse_check_states(value: str | None) -> tuple[frozenset[CheckState] | None, str]:
    """``due`` (the default), ``exempt``, ``checked``, ``not_in_force`` or ``all``: the states and the label."""
    text = (value or "due").strip().lower()
    if text == "all":
        return None, text
    try:
        return frozenset({CheckState(text)}), text
    except ValueError:
        known = ", ".join([*(s.value for s in CheckState), "all"])
        raise BadParameterError(
            "state",
            P_("unknown spot-check state {value}; expected one of {choices}", value=quoted(value, 40), choices=known),
        ) from None


def parse_region(value: str | None) -> str | None:
    """A region filter (see :func:`supplychain.green.parse_region_filter`); ``None``: any."""
    if value is None:
        return None
    try:
        return parse_region_filter(value)
    except ValueError as exc:
        raise BadParameterError("region", str(exc)) from None


def parse_lang(value: str | None) -> Lang:
    """The page language (:func:`supplychain.i18n.parse_lang`): ``zh-CN`` (the default; also ``zh``) or ``en``.

    Raises:
        BadParameterError: A language the pages do not speak (``lang``).
    """
    if value is None:
        return DEFAULT_LANG
    lang = i18n_parse_lang(value)
    if lang is None:
        raise BadParameterError(
            "lang", P_("unknown language {value}; expected zh-CN (the default) or en", value=quoted(value, 20))
        )
    return lang


def parse_moment(value: str, parameter: str, *, end_of_day: bool = False) -> int:
    """A date (China Standard Time; with ``end_of_day``, the end of that day) or an RFC 3339 date-time, in seconds.

    Raises:
        BadParameterError: Neither, or a date-time without a time zone.
    """
    text = value.strip()
    if _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise BadParameterError(parameter, P_("{value} is not a calendar date", value=repr(text))) from None
        moment = datetime.combine(day, clock(), CHINA) + (timedelta(days=1) if end_of_day else timedelta())
        return int(moment.timestamp())
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadParameterError(
            parameter,
            P_(
                "expected a date (YYYY-MM-DD, China Standard Time) or an RFC 3339 date-time, got {value}",
                value=quoted(value, 60),
            ),
        ) from None
    if parsed.tzinfo is None:
        raise BadParameterError(
            parameter, P_("the date-time {value} needs a time zone (Z or +08:00)", value=quoted(value, 60))
        )
    return math.floor(parsed.timestamp())


def parse_period(start: str | None, end: str | None, now: int) -> tuple[int, int]:
    """The period ``[from, to)`` in seconds: default ``to`` the end of today (China Standard Time), ``from`` 365
    days before ``to``; at most :data:`MAX_PERIOD_DAYS` long.

    Raises:
        BadParameterError: A malformed date, an empty period or one too long (naming ``from`` or ``to``).
    """
    if end is not None:
        stop = parse_moment(end, "to", end_of_day=True)
    else:
        today = datetime.fromtimestamp(now, CHINA).date()
        stop = int(datetime.combine(today + timedelta(days=1), clock(), CHINA).timestamp())
    begin = parse_moment(start, "from") if start is not None else stop - 365 * _DAY
    if begin >= stop:
        raise BadParameterError(
            "to",
            P_("the period is empty: 'to' ({to}) is not after 'from' ({start})", to=_iso(stop), start=_iso(begin)),
        )
    if stop - begin > MAX_PERIOD_DAYS * _DAY:
        raise BadParameterError(
            "from",
            P_(
                "the period is {days} days long; at most {maximum}",
                days=(stop - begin) // _DAY,
                maximum=MAX_PERIOD_DAYS,
            ),
        )
    return begin, stop


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _integer(value: str | int, parameter: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BadParameterError(
            parameter,
            P_(
                "expected a whole number from {low} to {high}, got {value}", low=low, high=high, value=quoted(value, 20)
            ),
        ) from None
    if not low <= number <= high:
        raise BadParameterError(
            parameter, P_("expected a whole number from {low} to {high}, got {value}", low=low, high=high, value=number)
        )
    return number


def parse_size(value: str | int | None) -> int:
    """A sample size: 1 to :data:`MAX_SAMPLE_SIZE` (required)."""
    if value is None:
        raise BadParameterError("size", P_("give the sample size, 1 to {maximum}", maximum=MAX_SAMPLE_SIZE))
    return _integer(value, "size", 1, MAX_SAMPLE_SIZE)


def parse_seed(value: str | None) -> str:
    """A sample seed: 1 to :data:`MAX_SEED_LENGTH` printable characters (required), e.g. a published draw number."""
    if value is None or not value:
        raise BadParameterError("seed", P_("give a seed: the same seed draws the same sample from the same population"))
    if len(value) > MAX_SEED_LENGTH:
        raise BadParameterError(
            "seed",
            P_("the seed is {length} characters long; at most {maximum}", length=len(value), maximum=MAX_SEED_LENGTH),
        )
    if not value.isprintable():
        raise BadParameterError("seed", P_("the seed must be printable text (no control characters)"))

    return value


def parse_warn_days(value: str | int | None) -> int:
    """Days before the end of a recognition's validity to warn: 0 to :data:`MAX_WARN_DAYS` (default 90)."""
    return 90 if value is None else _integer(value, "warnDays", 0, MAX_WARN_DAYS)
