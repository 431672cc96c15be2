"""Conformance with what OpenEPCIS publishes, and the GS1 schemas as a second opinion.

Every document of ``../shared/vectors/openepcis`` is checked three ways: the folder it sits in (``Invalid`` or a valid
one), the standard's own schema (the JSON schema through ``jsonschema_rs``, the XSDs through lxml), and the platform's
validator (:func:`parse_document_or_event`, what capture and ``supplychain validate`` run). Wherever the platform's
verdict differs from the schema's or from the folder's, ``docs/epcis-conformance.md`` (section "Validation") must list
the vector with both verdicts and the reason; an undocumented disagreement, or a listed one that no longer holds,
fails.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema_rs
import pytest
from lxml import etree

from supplychain.epcis import EVENT_TYPES
from supplychain.epcis.parse import parse_document_or_event
from supplychain.errors import EpcisError, EpcisSyntaxError, EpcisValidationError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
VECTORS = SHARED / "vectors" / "openepcis" / "2.0" / "EPCIS"
REFERENCE = SHARED / "reference" / "gs1-epcis-2.0"
CONFORMANCE_DOC = ROOT / "docs" / "epcis-conformance.md"
EPCIS_NS = "urn:epcglobal:epcis:xsd:2"


def _vectors() -> list[str]:
    """Every capture / query document and bare event (not the query requests of ``Queries/``), as relative paths."""
    if not VECTORS.is_dir():
        return []
    found = [p for p in VECTORS.rglob("*") if p.suffix in (".json", ".xml") and "Queries" not in p.parts]
    return sorted(p.relative_to(VECTORS).as_posix() for p in found)


def _params() -> list[object]:
    return [pytest.param(name, id=name) for name in _vectors()]


def _accepts(verdict: bool) -> str:
    return "accepts" if verdict else "refuses"


@dataclass(frozen=True)
class Ours:
    accepted: bool
    reasons: tuple[str, ...]
    named: bool  # every reason names the field (a path) or, for unreadable input, an element of the input


def _ours(name: str) -> Ours:
    path = VECTORS / name
    try:
        parse_document_or_event(path.read_bytes())
    except EpcisValidationError as exc:
        reasons = tuple(f"{p.path}: {p.message}" for p in exc.problems)
        return Ours(False, reasons, all(p.path for p in exc.problems))
    except EpcisSyntaxError as exc:
        elements = {etree.QName(e).localname for e in _xml(path).iter() if isinstance(e.tag, str)}
        named = any(re.search(rf"\b{re.escape(element)}\b", exc.detail) for element in elements)
        return Ours(False, (str(exc),), named)
    except EpcisError as exc:  # pragma: no cover - a limit: no vector is that large
        return Ours(False, (str(exc),), False)
    return Ours(True, (), True)


def _xml(path: Path) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(path), parser)


@functools.cache
def _json_schema() -> jsonschema_rs.Validator:
    schema = json.loads((REFERENCE / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


@functools.cache
def _xsd(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(REFERENCE / "XSD" / name)))


def _schema_accepts(name: str) -> bool:
    """The GS1 schema's verdict: the JSON schema (documents and bare events), or the XSD of the root's namespace. The
    XSDs declare no global event element, so a bare XML event is checked inside an otherwise empty EPCISDocument."""
    path = VECTORS / name
    if path.suffix == ".json":
        return bool(_json_schema().is_valid(json.loads(path.read_bytes())))
    tree = _xml(path)
    root = tree.getroot()
    qname = etree.QName(root)
    if qname.localname in EVENT_TYPES:
        document = etree.Element(
            f"{{{EPCIS_NS}}}EPCISDocument",
            nsmap={"epcis": EPCIS_NS},
            attrib={"schemaVersion": "2.0", "creationDate": "2000-01-01T00:00:00Z"},
        )
        event = copy.deepcopy(root)
        for attribute in ("schemaVersion", "creationDate"):
            event.attrib.pop(attribute, None)
        etree.SubElement(etree.SubElement(document, "EPCISBody"), "EventList").append(event)
        tree = etree.ElementTree(document)
    query = "epcis-query" in (qname.namespace or "")
    return bool(_xsd("EPCglobal-epcis-query-2_0.xsd" if query else "EPCglobal-epcis-2_0.xsd").validate(tree))


def _folder_accepts(name: str) -> bool:
    return "Invalid" not in name.split("/")


@dataclass(frozen=True)
class Listed:
    folder: str
    schema: str
    platform: str
    reason: str


@functools.cache
def _listed_mutations() -> dict[str, tuple[str, str]]:
    """The rows of the section's table of mutations: mutation, schema's verdict, platform's (and a reason)."""
    text = CONFORMANCE_DOC.read_text(encoding="utf-8")
    section = text.split("\n## Validation", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and len(cells[3]) > 20:
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


@functools.cache
def _listed() -> dict[str, Listed]:
    """The rows of the "Validation" section's table: vector, folder's verdict, schema's, platform's, reason."""
    text = CONFORMANCE_DOC.read_text(encoding="utf-8")
    section = text.split("\n## Validation", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, Listed] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = Listed(*cells[1:])
    return rows


def test_the_vectors_are_all_there() -> None:
    names = _vectors()
    assert len(names) == 133
    assert sum(not _folder_accepts(n) for n in names) == 27


@pytest.mark.parametrize("name", _params())
def test_verdict_is_the_folders_unless_documented(name: str) -> None:
    ours = _ours(name)
    listed = _listed().get(name)
    expected = _folder_accepts(name) if listed is None else listed.platform == "accepts"
    assert ours.accepted == expected, ours.reasons
    if not ours.accepted:
        assert ours.reasons
        assert ours.named, f"a reason does not name the field: {ours.reasons}"


@pytest.mark.parametrize("name", _params())
def test_every_disagreement_with_the_schema_or_the_folder_is_documented(name: str) -> None:
    ours = _accepts(_ours(name).accepted)
    schema = _accepts(_schema_accepts(name))
    folder = _accepts(_folder_accepts(name))
    listed = _listed().get(name)
    if ours == schema == folder:
        assert listed is None, f"{name} is listed in {CONFORMANCE_DOC.name} but no longer disagrees"
        return
    assert listed is not None, f"undocumented: the platform {ours}, the schema {schema}, the folder {folder} ({name})"
    assert (listed.folder, listed.schema, listed.platform) == (folder, schema, ours)
    assert len(listed.reason) > 20


def test_every_listed_vector_exists() -> None:
    assert set(_listed()) <= set(_vectors())


def test_documents_accepted_and_refused_per_folder(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures of the note: how many documents of each folder the platform accepts (printed with -s)."""
    counts: dict[str, list[int]] = {}
    for name in _vectors():
        folder = name.rsplit("/", 1)[0]
        tally = counts.setdefault(folder, [0, 0])
        tally[0 if _ours(name).accepted else 1] += 1
    with capsys.disabled():
        for folder, (accepted, refused) in sorted(counts.items()):
            print(f"\n{folder}: {accepted} accepted, {refused} refused")
    assert counts["JSON/Capture/Invalid"][0] == 0
    assert counts["XML/Capture/Invalid"][0] == 0


_MUTATIONS: tuple[tuple[str, object], ...] = (
    ("drop", None),
    ("string", "x y"),
    ("number", 7),
    ("empty list", []),
    ("object", {}),
)


def _accepted_by_us(document: dict[str, object]) -> bool:
    try:
        parse_document_or_event(json.dumps(document).encode())
    except EpcisError:
        return False
    return True


def test_mutations_of_valid_events_disagree_with_the_json_schema_only_where_documented() -> None:
    """Each field of each event of the valid JSON capture documents dropped, or replaced by a value of each JSON type:
    where the platform and the JSON schema then disagree, the section's table of mutations says why."""
    schema = _json_schema()
    found: dict[str, tuple[str, str]] = {}
    tried = 0
    for name in _vectors():
        if not name.startswith("JSON/Capture/Documents/"):
            continue
        document = json.loads((VECTORS / name).read_bytes())
        if not (_accepted_by_us(document) and schema.is_valid(document)):
            continue
        for i, event in enumerate(document["epcisBody"]["eventList"]):
            for key in list(event):
                for kind, value in _MUTATIONS:
                    mutated = copy.deepcopy(document)
                    target = mutated["epcisBody"]["eventList"][i]
                    if value is None:
                        del target[key]
                    else:
                        target[key] = copy.deepcopy(value)
                    tried += 1
                    ours, theirs = _accepted_by_us(mutated), bool(schema.is_valid(mutated))
                    if ours != theirs:
                        found[f"{event['type']}.{key}: {kind}"] = (_accepts(theirs), _accepts(ours))
    assert tried > 3000
    assert found == _listed_mutations()


# --- valid XML that no OpenEPCIS vector shows: made from one, valid per the XSD ---------------------------------

_MASTER_DATA = (
    '<EPCISHeader><extension><EPCISMasterData><VocabularyList><Vocabulary type="urn:epcglobal:epcis:vtype:'
    'BusinessLocation"><VocabularyElementList><VocabularyElement id="urn:epc:id:sgln:0614141.00777.0"><attribute '
    'id="urn:epcglobal:cbv:mda#name">Warehouse</attribute></VocabularyElement></VocabularyElementList></Vocabulary>'
    "</VocabularyList></EPCISMasterData></extension></EPCISHeader>"
)


def _harmless_xml(case: str) -> bytes:
    """``XML/Capture/Documents/ObjectEvent.xml`` with a DOCTYPE line (no subset, no entity), or with master data in
    its header, where the XSD puts it."""
    text = (VECTORS / "XML/Capture/Documents/ObjectEvent.xml").read_text(encoding="utf-8")
    if case == "doctype":
        end = text.index("?>") + 2
        return (text[:end] + "\n<!DOCTYPE epcis:EPCISDocument>" + text[end:]).encode()
    body = text.index("<EPCISBody")
    return (text[:body] + _MASTER_DATA + text[body:]).encode()


_HARMLESS = ("doctype", "master data in the header")


@pytest.mark.parametrize("case", _HARMLESS)
def test_the_made_xml_documents_are_valid_per_the_xsd(case: str) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.fromstring(_harmless_xml(case), parser).getroottree()
    assert _xsd("EPCglobal-epcis-2_0.xsd").validate(tree)


@pytest.mark.parametrize("case", _HARMLESS)
def test_valid_xml_the_xsd_accepts_is_read(case: str) -> None:
    parse_document_or_event(_harmless_xml(case))
