"""``supplychain hash`` and ``bench hash``: output on GS1's vector files, errors on bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.hashing import bench_hash, make_events
from cli.hash_cmd import app
from cli.main import app as main_app

runner = CliRunner()


def _examples(vectors_dir: Path) -> Path:
    return vectors_dir / "epcis-event-hash" / "examples"


def test_hash_prints_one_line_per_event_for_both_formats(vectors_dir: Path) -> None:
    folder = _examples(vectors_dir)
    files = sorted(folder.glob("*.jsonld")) + sorted(folder.glob("*.xml"))
    expected = [line for f in files for line in f.with_suffix(".hashes").read_text(encoding="utf-8").split()]
    result = runner.invoke(app, [str(f) for f in files])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected
    assert len(files) == 26
    assert len(expected) == 57


def test_prehash_option_prints_the_canonical_strings(vectors_dir: Path) -> None:
    path = _examples(vectors_dir) / "epcisDocWithTransformationEventWithExtension.xml"
    result = runner.invoke(app, ["--prehash", str(path)])
    assert result.exit_code == 0
    (line,) = result.stdout.splitlines()
    assert line.startswith("eventType=TransformationEventeventTime=2022-02-16T08:40:21.314Z")
    assert line.endswith("{https://circ4life.eecc.info/epcis}lifeTime=P3Y")


def test_bad_files_are_reported_and_the_others_still_hashed(vectors_dir: Path, tmp_path: Path) -> None:
    good = _examples(vectors_dir) / "epcisDocWithSingleEvent.jsonld"
    broken = tmp_path / "broken.json"
    broken.write_text('{"epcisBody": ', encoding="utf-8")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><EPCISDocument>&a;</EPCISDocument>', encoding="utf-8")
    missing = tmp_path / "missing.xml"
    result = runner.invoke(app, [str(missing), str(broken), str(bomb), str(good)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == good.with_suffix(".hashes").read_text(encoding="utf-8").split()
    errors = result.stderr.splitlines()
    assert errors[0].startswith(f"error: {missing}: ")
    assert errors[1].startswith(f"error: {broken}: ")
    assert "malformed JSON" in errors[1]
    assert errors[2].startswith(f"error: {bomb}: ")
    assert "unsafe XML" in errors[2]
    assert len(errors) == 3


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the reference package reads its context the old way
def test_bench_hash_computes_both_rates(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_hash(30)
    for key in ("ours_events_per_s", "reference_events_per_s", "speedup", "document_speedup"):
        assert figures[key] > 0
    assert "speed-up" in capsys.readouterr().out
    kinds = {e["type"] for e in make_events(30)}
    assert kinds == {"ObjectEvent", "AggregationEvent", "TransformationEvent"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_bench_hash_command() -> None:
    result = runner.invoke(main_app, ["bench", "hash", "--events", "20"])
    assert result.exit_code == 0
    assert "20 events" in result.stdout


def test_hash_reads_the_openepcis_bare_events_in_both_syntaxes(vectors_dir: Path) -> None:
    folder = vectors_dir / "openepcis" / "2.0" / "EPCIS"
    pairs = [
        (folder / "JSON/Capture/Events" / f"{k}.json", folder / "XML/Capture/Events" / f"{k}.xml")
        for k in ("ObjectEvent", "AggregationEvent", "TransformationEvent")
    ]
    for as_json, as_xml in pairs:
        result = runner.invoke(app, [str(as_json), str(as_xml)])
        assert result.exit_code == 0, result.output  # refused before: no epcisBody / an event as the root
        assert len(result.stdout.splitlines()) == 2
        assert all(line.startswith("ni:///sha-256;") for line in result.stdout.splitlines())
