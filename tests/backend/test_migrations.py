"""The Alembic migrations create exactly the schema the models describe, and carry stored data forward."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import backend.models  # noqa: F401 - registers the tables
from backend.core.db import alembic_config, make_engine, migrate


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    migrate(engine)  # a second run is a no-op
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    engine.dispose()
    assert diff == []
    assert mode == "wal"


def test_processes_starting_together_migrate_one_after_another(tmp_path: Path) -> None:
    # the server and its anchoring worker started at once on a fresh data folder both migrate
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    code = f"from backend.core.db import alembic_config, make_engine, migrate; migrate(make_engine({url!r}))"
    processes = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, errors
    engine = make_engine(url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    engine.dispose()


def test_0003_rekeys_stored_identifiers_and_places_to_one_form(tmp_path: Path) -> None:
    # a store written before 0003: one lot with a '/' named by two events in two forms that canonical_dl leaves
    # apart (the EPC class URN, escape in lower case, and a Digital Link on another host), a plain serial, a URN
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    gtin = "06901234000108"
    lot_node = f"https://id.gs1.org/01/{gtin}/10/2026%2F11"
    plain = f"https://id.gs1.org/01/{gtin}/21/S1"
    stored = [
        (1, f"https://id.gs1.org/01/{gtin}/10/2026%2f11", "class"),  # canonical_dl of the URN, as it escaped
        (2, f"https://brand.example/01/{gtin}/10/2026%2F11", "class"),  # a Digital Link canonical_dl refused
        (2, lot_node, "lot"),  # already in the one form: kept
        (1, plain, "epc"),
        (3, "urn:uuid:9f2c7a3e-0000-4000-8000-000000000001", "epc"),
        (3, "https://example.com/not-gs1", "epc"),
    ]
    with engine.begin() as connection:
        for n in (1, 2, 3):
            connection.execute(
                text(
                    "INSERT INTO event (id, hash_id, org_id, key_id, signature, event_type, event_time, biz_location,"
                    " read_point, received_at, capture_id, document) VALUES (:id, :h, 'o', 'k', 's', 'ObjectEvent',"
                    " 0, :place, :point, 0, 'c', '{}')"
                ),
                {
                    "id": n,
                    "h": f"h{n}",
                    "place": "https://id.gs1.org/414/6901234000047/254/A%2fB" if n == 1 else None,
                    "point": "https://id.gs1.org/414/6901234000047",
                },
            )
        for event_id, identifier, role in stored:
            connection.execute(
                text("INSERT INTO event_identifier VALUES (:e, :i, :r)"), {"e": event_id, "i": identifier, "r": role}
            )
    migrate(engine)
    with engine.connect() as connection:
        rows = set(connection.execute(text("SELECT event_id, identifier, role FROM event_identifier")).all())
        places = connection.execute(text("SELECT id, biz_location, read_point FROM event ORDER BY id")).all()
    engine.dispose()
    assert rows == {
        (1, lot_node, "class"),
        (2, lot_node, "class"),
        (2, lot_node, "lot"),
        (1, plain, "epc"),
        (3, "urn:uuid:9f2c7a3e-0000-4000-8000-000000000001", "epc"),
        (3, "https://example.com/not-gs1", "epc"),
    }
    assert places[0][1] == "https://id.gs1.org/414/6901234000047/254/A%2FB"
    assert {p[2] for p in places} == {"https://id.gs1.org/414/6901234000047"}


def test_0005_lists_every_first_use_claim_for_the_regulator(tmp_path: Path) -> None:
    # a store written before 0005: the retailer squatted the maker's GTIN (two codes, one false recall); the maker
    # issued a lot of its own; nothing is decided, nothing is dropped
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    issued = [
        ("06901234009910", "SQ", "1", "6901234000030", 2_000),
        ("06901234009910", "SQ", "2", "6901234000030", 1_000),
        ("06901234000108", "LY", None, "6901234000016", 3_000),
    ]
    with engine.begin() as connection:
        for gtin, lot, serial, org, at in issued:
            connection.execute(
                text("INSERT INTO issued_code (gtin, lot, serial, org_id, created_at) VALUES (:g, :l, :s, :o, :t)"),
                {"g": gtin, "l": lot, "s": serial, "o": org, "t": at},
            )
        connection.execute(
            text(
                "INSERT INTO recall (gtin, lot, reason, org_id, recalled_at) "
                "VALUES ('06901234009910', 'SQ', 'false', '6901234000030', 4000)"
            )
        )
    migrate(engine)
    with engine.connect() as connection:
        claims = connection.execute(
            text("SELECT gtin, org_id, first_issued_at, codes, recalls, status, decided_at FROM gtin_claim ORDER BY id")
        ).all()
        kept = connection.execute(text("SELECT COUNT(*) FROM issued_code")).scalar()
    engine.dispose()
    assert [tuple(c) for c in claims] == [
        ("06901234009910", "6901234000030", 1_000, 2, 1, "PENDING", None),
        ("06901234000108", "6901234000016", 3_000, 1, 0, "PENDING", None),
    ]
    assert kept == 3


def test_0008_counts_the_identifiers_of_the_events_stored_before(tmp_path: Path) -> None:
    # pages reference an event naming many identifiers without reading it: the count of those stored before 0008
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    links = {1: 3, 2: 0, 3: 1200}
    with engine.begin() as connection:
        for n, count in links.items():
            connection.execute(
                text(
                    "INSERT INTO event (id, hash_id, org_id, key_id, signature, event_type, event_time, received_at,"
                    " capture_id, document) VALUES (:id, :h, 'o', 'k', 's', 'ObjectEvent', 0, 0, 'c', '{}')"
                ),
                {"id": n, "h": f"h{n}"},
            )
            rows = [{"e": n, "i": f"https://id.gs1.org/01/06901234000108/21/{i}", "r": "epc"} for i in range(count)]
            if rows:
                connection.execute(text("INSERT INTO event_identifier VALUES (:e, :i, :r)"), rows)
    migrate(engine)
    with engine.connect() as connection:
        counted = dict(connection.execute(text("SELECT id, identifier_count FROM event")).all())
    assert counted == links
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with engine.connect() as connection:
        columns = [row[1] for row in connection.execute(text("PRAGMA table_info(event)"))]
    engine.dispose()
    assert "identifier_count" not in columns and "document" in columns
