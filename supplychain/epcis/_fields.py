"""Field readers shared by the document and event parsers: each check records a Problem instead of raising."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from supplychain.epcis.cbv import Vocabulary, canonical_term, is_uri
from supplychain.epcis.limits import format_path
from supplychain.errors import Problem, UnknownCbvTermError
from supplychain.text import char_name, first_spoofing

_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$")
_OFFSET = re.compile(r"^[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)$")
_ABSOLUTE_KEY_SCHEMES = frozenset({"http", "https", "urn"})
_NOT_URI_CHAR = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")
"""A character RFC 3986 does not allow in a URI, or a ``%`` that starts no percent-encoding (JSON Schema's
``format: uri``, which EPCIS 2.0 gives every identifier: EPCs, classes, places, sources and destinations, IDs)."""

EPCIS_CONTEXT = re.compile(r"^https://ref\.gs1\.org/standards/epcis/(?:2\.0\.0/)?epcis-context\.jsonld$")
"""The GS1 EPCIS 2.0 JSON-LD context, versioned or not."""
STANDARD_PREFIXES = frozenset({"epcis", "cbv", "cbvmda", "gs1", "rdfs", "owl", "xsd", "dcterms"})
"""Prefixes the EPCIS 2.0 context itself declares."""

Path = tuple[str | int, ...]


class CapReachedError(Exception):
    """Internal: the problem cap was reached; validation stops."""


class Problems:
    """Collects problems up to a cap."""

    def __init__(self, cap: int) -> None:
        """Start empty; ``cap`` problems at most are kept."""
        self.items: list[Problem] = []
        self.cap = cap
        self.truncated = False

    def add(self, index: int | None, event_id: str | None, path: Path, message: str) -> None:
        """Record one problem; raise :class:`CapReachedError` once the cap is full."""
        if len(self.items) >= self.cap:
            self.truncated = True
            raise CapReachedError
        self.items.append(Problem(index, event_id, format_path(path), message))


def describe(value: Any) -> str:
    """Short description of a JSON value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def parse_timestamp(text: str) -> datetime | None:
    """An RFC 3339 / xsd:dateTimeStamp with an offset, as an aware datetime (fraction cut to microseconds)."""
    m = _TIME.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    if zulu:
        tz = UTC
    else:
        if int(off_h) > 14 or int(off_m) > 59 or (int(off_h) == 14 and int(off_m) != 0):
            return None
        delta = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-delta if sign == "-" else delta)
    micro = int((frac or "").ljust(6, "0")[:6])
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError:
        return None


def is_offset(text: str) -> bool:
    """Whether ``text`` is an EPCIS ``eventTimeZoneOffset`` (``+01:00``, from ``-14:00`` to ``+14:00``)."""
    return _OFFSET.match(text) is not None


class Reader:
    """Reads typed fields of one event (or the document), recording problems against it."""

    def __init__(
        self,
        problems: Problems,
        index: int | None,
        event_id: str | None,
        prefixes: frozenset[str],
        *,
        xml: bool = False,
        capture: bool = False,
    ) -> None:
        """Bind to the problem list, the event's index and eventID, and the declared prefixes; ``xml`` when the
        object was read from XML, whose element order the XSD fixes (JSON-LD keys have no order); ``capture`` when
        it is input to accept or refuse, not an event stored earlier: the rules added since events were first
        stored (what each event type names, a persistentDisposition setting something) apply to input only, so
        that an event accepted and anchored before them still reads."""
        self.problems = problems
        self.index = index
        self.event_id = event_id
        self.prefixes = prefixes
        self.xml = xml
        self.capture = capture

    def error(self, path: Path, message: str) -> None:
        """Record a problem at ``path``."""
        self.problems.add(self.index, self.event_id, path, message)

    # --- scalars -----------------------------------------------------------------------------------------

    def string(self, obj: Mapping[str, Any], key: str, path: Path, *, required: bool = False) -> str | None:
        """A string field (``None`` when absent or wrong)."""
        if key not in obj:
            if required:
                self.error((*path, key), f"required field {key!r} is missing")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.error((*path, key), f"expected a string, got {describe(value)}")
            return None
        return value

    def uri(
        self, obj: Mapping[str, Any], key: str, path: Path, *, required: bool = False, what: str = "URI"
    ) -> str | None:
        """A URI / URN string field."""
        value = self.string(obj, key, path, required=required)
        if value is None:
            return None
        return self.check_uri(value, (*path, key), what)

    def check_uri(self, value: Any, path: Path, what: str = "URI") -> str | None:
        """``value`` if it is a URI / URN string, else record a problem."""
        if not isinstance(value, str):
            self.error(path, f"expected {what} as a string, got {describe(value)}")
            return None
        if not self.no_spoofing(value, path, what):
            return None
        if not is_uri(value):
            self.error(path, f"{value!r} is not a valid {what}: expected a URN (urn:...) or an absolute URI")
            return None
        bad = _NOT_URI_CHAR.search(value)
        if bad is not None:
            char = value[bad.start()]
            self.error(
                path,
                f"{value!r} is not a valid {what}: {char!r} ({char_name(char)}) at position {bad.start()} is not "
                "allowed in a URI (RFC 3986: percent-encode it as UTF-8, e.g. %E4%B8%AD)"
                if char != "%"
                else f"{value!r} is not a valid {what}: '%' at position {bad.start()} starts no percent-encoding "
                "(%XX, two hex digits)",
            )
            return None
        return value

    def no_spoofing(self, value: str, path: Path, what: str) -> bool:
        """Whether ``value`` is free of bidirectional-control and invisible characters; else record a problem."""
        found = first_spoofing(value)
        if found is None:
            return True
        position, char = found
        self.error(
            path,
            f"{what} holds {char_name(char)} at position {position}, a bidirectional-control or invisible character: "
            "refused, as it can make the text look like another",
        )
        return False

    def shown_text(self, value: Any, path: Path, what: str) -> None:
        """Record every string of a JSON value (keys too) that holds a bidirectional-control or invisible
        character: names that pages show (ILMD, master data)."""
        pending: list[tuple[Any, Path]] = [(value, path)]
        while pending:
            item, where = pending.pop()
            if isinstance(item, str):
                self.no_spoofing(item, where, what)
            elif isinstance(item, Mapping):
                for key, inner in item.items():
                    self.no_spoofing(str(key), (*where, key), f"{what} field name")
                    pending.append((inner, (*where, key)))
            elif isinstance(item, list):
                pending.extend((inner, (*where, i)) for i, inner in enumerate(item))

    def time(self, obj: Mapping[str, Any], key: str, path: Path, *, required: bool = False) -> datetime | None:
        """A timestamp field with a time zone."""
        value = self.string(obj, key, path, required=required)
        if value is None:
            return None
        parsed = parse_timestamp(value)
        if parsed is None:
            self.error(
                (*path, key),
                f"{value!r} is not a valid timestamp: expected YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm",
            )
        return parsed

    def number(self, obj: Mapping[str, Any], key: str, path: Path, *, non_negative: bool = False) -> int | float | None:
        """A finite JSON number field (optionally >= 0)."""
        if key not in obj:
            return None
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error((*path, key), f"expected a number, got {describe(value)}")
            return None
        if not math.isfinite(value):
            self.error((*path, key), f"expected a finite number, got {value}")
            return None
        if non_negative and value < 0:
            self.error((*path, key), f"must not be negative, got {value}")
            return None
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, path: Path) -> bool | None:
        """A JSON boolean field."""
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, bool):
            self.error((*path, key), f"expected a boolean, got {describe(value)}")
            return None
        return value

    def term(
        self, obj: Mapping[str, Any], key: str, path: Path, vocab: Vocabulary, *, required: bool = False
    ) -> str | None:
        """A CBV-valued field, in its canonical (short) form."""
        value = self.string(obj, key, path, required=required)
        if value is None:
            return None
        return self.check_term(value, (*path, key), vocab)

    def check_term(self, value: Any, path: Path, vocab: Vocabulary) -> str | None:
        """Canonical form of a CBV value, or record why it is not one."""
        if not isinstance(value, str):
            self.error(path, f"expected a {vocab.name} string, got {describe(value)}")
            return None
        try:
            return canonical_term(vocab, value)
        except UnknownCbvTermError as exc:
            self.error(path, str(exc))
            return None

    # --- containers --------------------------------------------------------------------------------------

    def mapping(self, obj: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any] | None:
        """An object-valued field."""
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, Mapping):
            self.error((*path, key), f"expected an object, got {describe(value)}")
            return None
        return value

    def array(self, obj: Mapping[str, Any], key: str, path: Path) -> list[Any] | None:
        """An array-valued field."""
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, list):
            self.error((*path, key), f"expected an array, got {describe(value)}")
            return None
        return value

    def uri_list(self, obj: Mapping[str, Any], key: str, path: Path, what: str = "EPC") -> tuple[str, ...]:
        """An array of URIs (EPCs), duplicates refused."""
        items = self.array(obj, key, path)
        if items is None:
            return ()
        out: list[str] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            uri = self.check_uri(item, (*path, key, i), what)
            if uri is None:
                continue
            if uri in seen:
                self.error((*path, key, i), f"duplicate {what} {uri!r}")
                continue
            seen.add(uri)
            out.append(uri)
        return tuple(out)

    # --- keys ----------------------------------------------------------------------------------------------

    def extensions(self, obj: Mapping[str, Any], known: Iterable[str], path: Path, where: str) -> dict[str, Any]:
        """The namespaced keys of ``obj``; an unknown bare key or an undeclared prefix is a problem."""
        known_set = frozenset(known)
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if key in known_set:
                continue
            if ":" in key:
                if self.extension_key_ok(key, (*path, key)):
                    out[key] = value
                continue
            close = difflib.get_close_matches(key, sorted(known_set), n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.error(
                (*path, key),
                f"unknown field {key!r} in {where}{hint}: not an EPCIS 2.0 field, and an extension needs a "
                "namespace prefix declared in @context",
            )
        return out

    def closed(self, obj: Mapping[str, Any], known: Iterable[str], path: Path, where: str) -> None:
        """Record every key of ``obj`` outside ``known`` (structures that take no extensions)."""
        known_set = frozenset(known)
        for key in obj:
            if key not in known_set:
                self.error(
                    (*path, key), f"unknown field {key!r} in {where}: expected only {', '.join(sorted(known_set))}"
                )

    def extension_key_ok(self, key: str, path: Path) -> bool:
        """Whether ``key`` (which has a colon) is namespaced by a declared prefix or is an http(s)/urn IRI."""
        prefix, _, local = key.partition(":")
        if not prefix or not local:
            self.error(path, f"malformed extension field name {key!r}: expected prefix:name")
            return False
        if prefix in self.prefixes or prefix in _ABSOLUTE_KEY_SCHEMES:
            return True
        self.error(path, f"extension field {key!r} uses prefix {prefix!r}, which @context does not declare")
        return False

    def with_prefixes(self, more: Iterable[str]) -> Reader:
        """A reader for the same event that also knows ``more`` prefixes (an event's own @context)."""
        more_prefixes = self.prefixes | frozenset(more)
        return Reader(self.problems, self.index, self.event_id, more_prefixes, xml=self.xml, capture=self.capture)

    def context(self, value: Any, path: Path) -> tuple[dict[str, str], frozenset[str], bool]:
        """Read a JSON-LD ``@context``.

        Returns:
            The prefixes mapped to IRIs, every term it defines, and whether it names the EPCIS 2.0 context.
        """
        namespaces: dict[str, str] = {}
        terms: set[str] = set()
        has_epcis = False
        entries = value if isinstance(value, list) else [value]
        for i, entry in enumerate(entries):
            where = (*path, i) if isinstance(value, list) else path
            if isinstance(entry, str):
                if EPCIS_CONTEXT.match(entry):
                    has_epcis = True
                else:
                    self.check_uri(entry, where, "context URL")
            elif isinstance(entry, Mapping):
                for key, definition in entry.items():
                    if key.startswith("@"):
                        continue
                    terms.add(key)
                    if isinstance(definition, str):
                        namespaces[key] = definition
            else:
                self.error(where, f"expected a context URL or object, got {describe(entry)}")
        return namespaces, frozenset(terms), has_epcis
