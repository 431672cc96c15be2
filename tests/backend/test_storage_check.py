"""``supplychain check-storage``: damage no request meets by itself (a code or scan whose own GTIN, lot or serial
no longer reads, identifier rows naming no stored event, an event naming no batch, a batch status nobody gives) is
found by the sweep in a real SQLite store, reported to the platform (``/ready``'s log, the metric), and printed by the
command with exit code 1; a clean store gives nothing and exit code 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from typer.testing import CliRunner

from backend.core.config import Settings
from backend.models import Batch, Event, EventIdentifier, IssuedCode, Scan, table_of
from backend.services.platform import Platform
from backend.services.storage_check import check_storage
from cli.main import app

GTIN = "06901234400014"


def _store(data: Path) -> Platform:
    platform = Platform.open(Settings(environment="test", data_dir=data, run_worker=False))
    with platform.session() as session:
        session.execute(
            insert(table_of(IssuedCode)),
            [
                {"gtin": GTIN, "lot": "L1", "serial": f"P-{n}", "org_id": "6901234000016", "created_at": 1}
                for n in range(1, 8)
            ],
        )
        session.execute(
            insert(table_of(Scan)),
            [{"gtin": GTIN, "lot": "L1", "serial": f"P-{n}", "scanned_at": 5, "origin": "o"} for n in range(1, 4)],
        )
        session.execute(
            insert(table_of(Batch)),
            [{"root": "0x" + "ab" * 32, "leaf_count": 1, "status": "prepared", "created_at": 1, "chain_id": 1}],
        )
        event = {
            "hash_id": "ni:///sha-256;" + "cd" * 32 + "?ver=CBV2.0", "org_id": "6901234000016", "key_id": "0x",
            "signature": "s", "event_type": "ObjectEvent", "event_time": 1, "received_at": 1, "capture_id": "c",
            "document": "{}", "batch_id": 1,
        }  # fmt: skip
        session.execute(insert(table_of(Event)), [event])
        link = f"https://id.gs1.org/01/{GTIN}/21/P-1"
        session.execute(insert(table_of(EventIdentifier)), [{"event_id": 1, "identifier": link, "role": "epc"}])
        session.commit()
    return platform


DAMAGE = [
    ("UPDATE issued_code SET gtin = 'x' WHERE id = 1", ("issued_code", "1", "gtin")),
    ("UPDATE issued_code SET serial = 'bad serial!' WHERE id = 2", ("issued_code", "2", "serial")),
    ("UPDATE issued_code SET lot = 'a lot of 21 characters' WHERE id = 3", ("issued_code", "3", "lot")),
    ("UPDATE issued_code SET created_at = 'x' WHERE id = 4", ("issued_code", "4", "created_at")),
    ("UPDATE scan SET gtin = '123' WHERE id = 1", ("scan", "1", "gtin")),
    ("UPDATE scan SET serial = 'bad serial!' WHERE id = 2", ("scan", "2", "serial")),
    ("UPDATE scan SET scanned_at = 'x' WHERE id = 3", ("scan", "3", "scanned_at")),
    (
        "UPDATE event_identifier SET event_id = 99",
        ("event_identifier", f"https://id.gs1.org/01/{GTIN}/21/P-1", "event_id"),
    ),
    ("UPDATE event_identifier SET identifier = 'not a uri'", ("event_identifier", "not a uri", "identifier")),
    (
        "UPDATE event_identifier SET identifier = 'urn:epc:id:sgtin:6901234.040001.P-1'",  # not the form stored
        ("event_identifier", "urn:epc:id:sgtin:6901234.040001.P-1", "identifier"),
    ),
    (
        "UPDATE event_identifier SET role = 'exploded'",
        ("event_identifier", f"https://id.gs1.org/01/{GTIN}/21/P-1", "role"),
    ),
    ("UPDATE event SET batch_id = 42", ("event", "ni:///sha-256;" + "cd" * 32 + "?ver=CBV2.0", "batch_id")),
    ("UPDATE batch SET status = 'exploded'", ("batch", "1", "status")),
]


def test_a_clean_store_has_nothing_to_report(tmp_path: Path) -> None:
    platform = _store(tmp_path / "data")
    with platform.session() as session:
        assert list(check_storage(session, chunk=2)) == []  # several chunks, nothing found
    platform.close()
    result = CliRunner().invoke(app, ["check-storage", "--data-dir", str(tmp_path / "data")])
    assert (result.exit_code, result.output.strip()) == (0, "no damaged row found")


@pytest.mark.parametrize(("sql", "expected"), DAMAGE, ids=[d[1][0] + "-" + d[1][2] for d in DAMAGE])
def test_each_damaged_row_is_found_reported_and_printed(tmp_path: Path, sql: str, expected: tuple[str, ...]) -> None:
    platform = _store(tmp_path / "data")
    with platform.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # a restored or hand-edited file has no such check
        connection.execute(text(sql))
        connection.commit()
    with platform.session() as session:
        found = [(d.table, d.key, d.column) for d in check_storage(session, chunk=2)]
    assert found == [expected]
    assert [(r.table, r.key, r.column) for r in platform.damage.records()] == [expected]  # /ready lists it
    assert platform.damage.count == 1
    platform.close()
    result = CliRunner().invoke(app, ["check-storage", "--data-dir", str(tmp_path / "data"), "--json"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    record = json.loads(line)
    assert (record["table"], record["key"], record["column"]) == expected and record["reason"]
