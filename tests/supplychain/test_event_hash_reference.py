"""Event Hash IDs against GS1's reference, current source (``../shared/reference``): every published vector, every
valid OpenEPCIS document and bare event (JSON and XML), and generated events in both syntaxes.

Where they differ, the difference is one listed in docs/epcis-conformance.md, and each is checked here to be that
one and no other: ``float`` (the reference rounds long digit strings through ``float()``: we keep the digits),
``boolean`` (the reference writes a JSON ``true`` as Python's ``True``, its XML reading gives ``true``: we write
``true`` in both), ``inner-context`` (an event's own ``@context``: the reference hashes it as a field and ignores
its prefixes) and ``epcis-namespace`` (standard fields written in the EPCIS namespace: the reference takes them for
extensions). Documents the reference cannot hash at all are listed apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supplychain.eventhash import hash_document
from tests.supplychain.reference_hasher import Reference, load_reference, wrap_bare_event

OPENEPCIS = Path("openepcis") / "2.0" / "EPCIS"

FOLDERS: dict[str, tuple[str, ...]] = {
    "JSON/Capture/Documents": ("JSON/Capture/Documents/*.json",),
    "JSON/Capture/Events": ("JSON/Capture/Events/*.json",),
    "JSON/Query": ("JSON/Query/*.json",),
    "XML/Capture/Documents": ("XML/Capture/Documents/*.xml",),
    "XML/Capture/Events": ("XML/Capture/Events/*.xml",),
    "XML/Query": ("XML/Query/*.xml", "XML/Query/Documents/*.xml"),
}

_ALL_FIELDS = {
    f"{kind}Event_all_possible_fields.json": "boolean"
    for kind in ("Aggregation", "Association", "Object", "Transaction")
}
_SENSOR_DATA = {
    ("SensorData_with_combined_events.json", 6): "boolean+float",
    ("SensorData_with_combined_events.json", 8): "boolean",
}

# folder -> (events where both agree, {(file, event index): the documented reason they differ})
EXPECTED: dict[str, tuple[int, dict[tuple[str, int], str]]] = {
    "JSON/Capture/Documents": (
        48,
        {
            **{(name, 0): reason for name, reason in _ALL_FIELDS.items()},
            ("JumbledFieldsOrder.json", 0): "boolean",
            **{("Namespaces_at_different_level.json", i): "inner-context" for i in (0, 1, 3, 4)},
            **_SENSOR_DATA,
        },
    ),
    "JSON/Capture/Events": (5, {}),
    "JSON/Query": (
        18,
        {
            ("JumbledFieldsOrder.json", 0): "boolean",
            ("ObjectEventWithAllPossibleFields.json", 0): "boolean",
            **_SENSOR_DATA,
        },
    ),
    "XML/Capture/Documents": (
        56,
        {("Namespace_document.xml", 0): "epcis-namespace", ("SensorData_with_combined_events.xml", 6): "float"},
    ),
    "XML/Capture/Events": (5, {("Namespace_event.xml", 0): "epcis-namespace"}),
    "XML/Query": (22, {("SensorData_with_combined_events.xml", 6): "float"}),
}

# folder -> documents the reference raises on (a bizTransaction without type; a context redefining a protected term)
REFERENCE_CANNOT: dict[str, set[str]] = {
    "JSON/Capture/Documents": {
        "Combination_of_different_event.json",
        "TransactionEvent.json",
        "TransformationEvent_all_possible_fields.json",
    },
    "JSON/Query": {"Combination_of_different_event.json"},
    "XML/Capture/Documents": {"Combination_of_different_event.xml", "TransactionEvent.xml"},
    "XML/Query": {"Combination_of_different_event.xml", "QueryResultsDocument.xml"},
}


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


def _through_float(found: re.Match[str]) -> str:
    number: float | int = float(found.group(1))
    if int(number) == number:
        number = int(number)
    return "=" + str(number)


_LONG_NUMBER = re.compile(r"=(\d{16,}(?:\.\d+)?|\d+\.\d{16,})")
_AS_REFERENCE = {
    "boolean": lambda text: text.replace("booleanValue=true", "booleanValue=True").replace(
        "booleanValue=false", "booleanValue=False"
    ),
    "float": lambda text: _LONG_NUMBER.sub(_through_float, text),
}


def _explained(ours: str, theirs: str) -> str:
    """Which documented loss of the reference turns our pre-hash string into its one ("" when none does)."""
    for reason, change in _AS_REFERENCE.items():
        if change(ours) == theirs:
            return reason
    both = _AS_REFERENCE["float"](_AS_REFERENCE["boolean"](ours))
    if both == theirs:
        return "boolean+float"
    if "@context" in theirs and "@context" not in ours:
        return "inner-context"
    if theirs.startswith("eventType={urn:epcglobal:epcis:xsd:2}") and not ours.startswith("eventType={"):
        return "epcis-namespace"
    return ""


def _compare(reference: Reference, vectors: Path, folder: str) -> tuple[int, dict[tuple[str, int], str], set[str]]:
    agree, deviations, cannot = 0, {}, set()
    paths = sorted(p for pattern in FOLDERS[folder] for p in (vectors / OPENEPCIS).glob(pattern))
    assert paths, folder
    for path in paths:
        syntax = "XML" if path.suffix == ".xml" else "JSON"
        text = path.read_text(encoding="utf-8")
        ours = hash_document(text.encode(), prehash=True)
        theirs = reference.prehashes(wrap_bare_event(text, syntax) if "Events" in folder else text, syntax)
        if theirs is None:
            cannot.add(path.name)
            continue
        assert len(ours) == len(theirs), path.name
        for index, (mine, its) in enumerate(zip(ours, theirs, strict=True)):
            if mine == its:
                agree += 1
            else:
                deviations[(path.name, index)] = _explained(mine, its) or "unexplained"
    return agree, deviations, cannot


def test_every_published_vector_equals_the_current_reference(reference: Reference, vectors_dir: Path) -> None:
    events = 0
    for folder in ("examples", "expected_equal"):
        for path in sorted((vectors_dir / "epcis-event-hash" / folder).iterdir()):
            if path.suffix not in (".json", ".jsonld", ".xml"):
                continue
            syntax = "XML" if path.suffix == ".xml" else "JSON"
            theirs = reference.prehashes(path.read_text(encoding="utf-8"), syntax)
            assert hash_document(path.read_bytes(), prehash=True) == theirs, path.name
            events += len(theirs or ())
    assert events == 87


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_every_valid_openepcis_document_equals_the_current_reference(
    reference: Reference, vectors_dir: Path, folder: str
) -> None:
    agree, deviations, cannot = _compare(reference, vectors_dir, folder)
    print(f"{folder}: {agree} events agree, {len(deviations)} documented deviations, reference fails on {cannot}")
    assert (agree, deviations) == EXPECTED[folder]
    assert cannot == REFERENCE_CANNOT.get(folder, set())
