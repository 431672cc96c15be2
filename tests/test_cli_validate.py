"""``supplychain validate``: capture's checks on files, every problem listed, exit 0 / 1 / 2, ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.services.capture import _documents, capture_limits
from cli.main import app
from cli.validate_cmd import validate_file
from supplychain.epcis import DEFAULT_LIMITS
from supplychain.errors import EpcisValidationError

runner = CliRunner()
OPENEPCIS = "openepcis/2.0/EPCIS"


@pytest.fixture
def epcis(vectors_dir: Path) -> Path:
    return vectors_dir / OPENEPCIS


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_help_shows_an_example_and_the_exit_codes() -> None:
    result = runner.invoke(app, ["validate", "--help"])
    assert result.exit_code == 0
    assert "$ supplychain validate shipment.jsonld receipt.xml" in result.stdout
    assert "2 some file unreadable" in result.stdout


def test_valid_documents_and_bare_events_in_both_syntaxes(epcis: Path) -> None:
    files = [
        epcis / "JSON/Capture/Documents/ObjectEvent.json",
        epcis / "XML/Capture/Documents/AggregationEvent.xml",
        epcis / "JSON/Query/queryDocument.json",
        epcis / "JSON/Capture/Events/TransformationEvent.json",
        epcis / "XML/Capture/Events/ObjectEvent.xml",
    ]
    code, out, err = _run(*files)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{files[0]}: valid EPCISDocument (2 events)",
        f"{files[1]}: valid EPCISDocument (1 event)",
        f"{files[2]}: valid EPCISQueryDocument (1 event)",
        f"{files[3]}: valid TransformationEvent (1 event)",
        f"{files[4]}: valid ObjectEvent (1 event)",
    ]


def test_every_problem_is_listed_with_its_event_index_and_path(epcis: Path) -> None:
    path = epcis / "JSON/Capture/Invalid/Combination_of_events_with_missing_mandatory_fields.json"
    code, out, _ = _run(path)
    assert code == 1
    assert out.splitlines() == [
        f"{path}: invalid, 3 problems",
        "  event 0 at epcisBody.eventList[0].action: required field 'action' is missing",
        "  event 1 at epcisBody.eventList[1].eventTimeZoneOffset: required field 'eventTimeZoneOffset' is missing",
        "  event 1 at epcisBody.eventList[1].action: required field 'action' is missing",
    ]


def test_xml_out_of_order_and_bare_event_problems(epcis: Path) -> None:
    code, out, _ = _run(
        epcis / "XML/Capture/Invalid/ObjectEvent_with_wrong_element_order.xml",
        epcis / "XML/Capture/Invalid/ObjectEvent_bare_event_without_action.xml",
    )
    assert code == 1
    assert "  event 0 at epcisBody.eventList[0].eventTime: element <eventTime> is out of order" in out
    assert "  event 0 at action: required field 'action' is missing" in out


def test_unreadable_files_exit_2_and_are_reported_on_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    binary = tmp_path / "binary.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "EPCISDocument", ', encoding="utf-8")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><EPCISDocument>&a;</EPCISDocument>', encoding="utf-8")
    foreign = tmp_path / "foreign.xml"
    foreign.write_text("<html><body/></html>", encoding="utf-8")
    code, out, err = _run(missing, binary, broken, bomb, foreign)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == f"error: {missing}: No such file or directory"
    assert lines[1].startswith(f"error: {binary}: cannot read EPCIS input")
    assert lines[2].startswith(f"error: {broken}: cannot read EPCIS input as JSON")
    assert lines[3].startswith(f"error: {bomb}: ") and "unsafe XML" in lines[3]
    assert lines[4].startswith(f"error: {foreign}: ") and "root element is 'html'" in lines[4]
    assert len(lines) == 5


def test_mixed_files_exit_with_the_worst_verdict_and_report_each(epcis: Path, tmp_path: Path) -> None:
    valid = epcis / "JSON/Capture/Documents/ObjectEvent.json"
    invalid = epcis / "JSON/Capture/Invalid/ObjectEvent_without_identifier_list.json"
    code, out, _ = _run(invalid, valid)
    assert code == 1
    assert out.splitlines() == [
        f"{invalid}: invalid, 1 problem",
        "  event 0 at epcisBody.eventList[0].epcList: an ObjectEvent needs what it observes: epcList, a non-empty "
        "quantityList, or a non-empty sensorElementList with a readPoint",
        f"{valid}: valid EPCISDocument (2 events)",
    ]
    code, out, err = _run(valid, tmp_path / "missing.xml", invalid)
    assert code == 2
    assert len(out.splitlines()) == 3
    assert err.startswith("error: ")


def test_json_output_for_machines(epcis: Path, tmp_path: Path) -> None:
    valid = epcis / "XML/Capture/Documents/ObjectEvent.xml"
    invalid = epcis / "JSON/Query/Invalid/QueryDocument_with_invalid_action.json"
    missing = tmp_path / "missing.json"
    code, out, err = _run("--json", valid, invalid, missing)
    assert (code, err) == (2, "")
    report = json.loads(out)
    assert report["valid"] is False
    assert report["files"] == [
        {
            "file": str(valid),
            "status": "valid",
            "kind": "EPCISDocument",
            "events": 2,
            "problems": [],
            "truncated": False,
            "reason": None,
        },
        {
            "file": str(invalid),
            "status": "invalid",
            "kind": None,
            "events": 0,
            "problems": [
                {
                    "index": 0,
                    "eventID": None,
                    "path": "epcisBody.queryResults.resultsBody.eventList[0].action",
                    "message": "unknown action 'INVALIDACTION': expected ADD, OBSERVE or DELETE",
                }
            ],
            "truncated": False,
            "reason": None,
        },
        {
            "file": str(missing),
            "status": "unreadable",
            "kind": None,
            "events": 0,
            "problems": [],
            "truncated": False,
            "reason": "No such file or directory",
        },
    ]
    code, out, _ = _run("--json", valid)
    assert code == 0
    assert json.loads(out)["valid"] is True


def test_a_huge_file_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: 1 GiB on paper
        handle.truncate(1024**3)
    code, out, _ = _run(huge)
    assert code == 1
    assert out.splitlines() == [
        f"{huge}: invalid, 1 problem",
        f"  document at <root>: document size in bytes {1024**3} exceeds the limit max_document_bytes=33554432",
    ]
    code, out, _ = _run("--max-bytes", "1000", "/dev/zero")  # endless: read up to the limit, no further
    assert code == 1
    assert "document size in bytes 1001 exceeds the limit max_document_bytes=1000" in out
    small = tmp_path / "small.json"
    small.write_text(" " * 2000 + "{}", encoding="utf-8")
    code, out, _ = _run("--max-bytes", "1000", small)
    assert code == 1
    assert "document size in bytes 2002 exceeds the limit max_document_bytes=1000" in out


def test_hostile_nesting_and_lengths_are_refused_as_capture_refuses_them(tmp_path: Path) -> None:
    deep_json = tmp_path / "deep.json"
    deep_json.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    deep_xml = tmp_path / "deep.xml"
    deep_xml.write_text("<a>" * 50_000 + "</a>" * 50_000, encoding="utf-8")
    long_string = tmp_path / "long.json"
    long_string.write_text(json.dumps({"type": "EPCISDocument", "x": "y" * 10_000}), encoding="utf-8")
    code, out, err = _run(deep_json, deep_xml, long_string)
    assert (code, err) == (1, "")
    assert "nesting depth" in out.splitlines()[1]
    assert "nesting depth" in out.splitlines()[3]
    assert "string length 10000 at x exceeds the limit max_string_length=8192" in out.splitlines()[5]


def test_problems_stop_at_the_cap(tmp_path: Path) -> None:
    many = tmp_path / "many.json"
    events = [{"type": "ObjectEvent"}] * 400  # four problems each
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    many.write_text(json.dumps(document), encoding="utf-8")
    code, out, _ = _run(many)
    assert code == 1
    assert out.splitlines()[0] == f"{many}: invalid, 1000 problems (cap reached)"
    code, out, _ = _run("--json", many)
    assert json.loads(out)["files"][0]["truncated"] is True


@pytest.mark.parametrize(
    "name",
    [
        "JSON/Capture/Invalid/Combination_of_multiple_invalid_fields.json",
        "XML/Capture/Invalid/ObjectEvent_with_wrong_element_order.xml",
    ],
)
def test_the_problems_are_captures(epcis: Path, name: str) -> None:
    verdict = validate_file(epcis / name, capture_limits(DEFAULT_LIMITS.max_document_bytes))
    with pytest.raises(EpcisValidationError) as caught:
        _documents((epcis / name).read_bytes(), None, DEFAULT_LIMITS)  # what POST /capture runs on the body
    assert verdict.status == "invalid"
    assert verdict.problems == caught.value.problems


def test_what_capture_reads_validate_accepts(epcis: Path) -> None:
    path = epcis / "JSON/Capture/Documents/ObjectEvent_all_possible_fields.json"
    document, _ = _documents(path.read_bytes(), None, DEFAULT_LIMITS)
    verdict = validate_file(path)
    assert (verdict.status, verdict.events, verdict.problems) == ("valid", len(document.events), [])
