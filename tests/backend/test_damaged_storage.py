"""Damaged storage: a record edited in the SQLite file (a restore gone wrong, a disk error, a hand edit) is reported
where it is met, counted, and never makes a route answer 500 nor hides the rest.

One platform (module scope) with a real story: the green supply chain of :mod:`tests.backend.green_chain`, a
capture over HTTP, master data, issued codes and a scan, all anchored by the real anchoring worker. Each case damages
one column of one record in the SQLite file, requests every read route, checks the answers and the reports, then
puts the value back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.api.app import create_app
from backend.api.routes.bundles import DAMAGED_HEADER, DAMAGED_RECORDS_HEADER
from backend.core.config import Settings
from backend.services.anchoring import AnchoringWorker
from backend.services.damage import DamageLog
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.connection import TESTER_URL
from supplychain.masterdata import ProductMasterData, build_product, sign_master_data
from supplychain.signing import SigningKey
from supplychain.verify import ProofBundle
from tests.backend import documents
from tests.backend.green_chain import GreenChain, build
from tests.backend.prefixes import hold_prefixes
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, cast

GTIN = "06901234400014"  # the green story's product P-1..P-4 (lots L1, L2)
SERIAL = "P-1"
LOT = "L1"
PAGE = f"/01/{GTIN}/10/{LOT}/21/{SERIAL}"
DL = f"https://id.gs1.org/01/{GTIN}/21/{SERIAL}"

pytestmark = pytest.mark.xdist_group("damaged-storage")  # one worker builds the world (~4 s), not both


@dataclass
class World:
    platform: Platform
    client: TestClient
    tokens: dict[str, str]
    story: GreenChain
    capture_id: str
    captured: str  # the Event Hash ID of the captured event


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("damaged") / "data",
        rpc_url=TESTER_URL,
        run_worker=False,
        public_base_url="https://qr.example.cn",
        capture_workers=0,
    )
    platform = Platform.open(settings)
    registry = platform.registry.registry
    regulator = registry.as_signer(dev_account("regulator").account)
    cast(regulator)
    key = SigningKey.from_private_bytes(b"\x07" * 32)
    regulator.add_key(MANUFACTURER, key.public_key_bytes)
    platform.registry.refresh(force=True)
    hold_prefixes(platform)
    story = build(platform)
    tokens = {
        "manufacturer": platform.issue_token(org_id=MANUFACTURER, role="organisation"),
        "supplier": platform.issue_token(org_id=SUPPLIER, role="organisation"),
        "retailer": platform.issue_token(org_id=RETAILER, role="organisation"),
        "regulator": platform.issue_token(org_id=None, role="regulator"),
    }
    maker = {"Authorization": f"Bearer {tokens['manufacturer']}"}
    with TestClient(create_app(platform=platform), raise_server_exceptions=False) as client:
        now = registry.chain.block_timestamp()
        documents.NOW_MS[0] = now * 1000 + 500
        event = documents.object_event("D-1", at_ms=documents.NOW_MS[0])
        answer = client.post(
            "/capture",
            content=documents.signed_document(key, [event]),
            headers={**maker, "Content-Type": "application/ld+json", "Prefer": "return=representation"},
        )
        assert answer.status_code in (200, 201, 202), answer.text
        capture_id = answer.headers["Location"].rsplit("/", 1)[1]
        product = ProductMasterData(gtin=GTIN, names={"zh-CN": "绿源 模块", "en": "Module"}, version=1, valid_from=now)
        envelope = sign_master_data(key, MANUFACTURER, build_product(product))
        answer = client.post(f"/products/{GTIN}/master-data", json=envelope, headers=maker)
        assert answer.status_code in (200, 201), answer.text
        answer = client.post("/qr/issue", json={"gtin": GTIN, "lot": LOT, "serials": ["P-1", "P-2"]}, headers=maker)
        assert answer.status_code in (200, 201), answer.text
        assert AnchoringWorker(platform).run_once(force=True) > 0
        assert client.get(PAGE).status_code == 200  # a scan
        yield World(platform, client, tokens, story, capture_id, documents.hash_of(event))
    platform.close()


def _event(world: World, name: str) -> str:
    return f"hash_id = '{world.story.hash(name)}'"


# (name, table, column, which row (SQL condition, {} filled from the world), the damaged value)
CASES: list[tuple[str, str, str, str, Any]] = [
    ("event-document-not-json", "event", "document", "{make}", "{broken"),
    ("event-document-not-an-event", "event", "document", "{make}", '{"type":"NoSuchEvent"}'),
    ("event-document-a-list", "event", "document", "{ship}", "[]"),
    ("event-proof-not-json", "event", "proof", "{ship}", "{broken"),
    ("event-proof-not-hex", "event", "proof", "{ship}", '["0xzz"]'),
    ("event-proof-an-object", "event", "proof", "{ship}", '{"a":1}'),
    ("event-leaf-index-text", "event", "leaf_index", "{ship}", "x"),
    ("event-batch-id-dangling", "event", "batch_id", "{ship}", 99999),
    ("event-batch-id-text", "event", "batch_id", "{ship}", "x"),
    ("event-time-text", "event", "event_time", "{ship}", "x"),
    ("event-received-at-text", "event", "received_at", "{ship}", "x"),
    ("event-identifier-count-text", "event", "identifier_count", "{ship}", "x"),
    ("event-recognition-id-text", "event", "recognition_id", "{make}", "x"),
    ("identifier-garbage", "event_identifier", "identifier", "{ship_links}", "not a uri"),
    ("identifier-role-garbage", "event_identifier", "role", "{ship_links}", "exploded"),
    ("identifier-dangling", "event_identifier", "event_id", "{ship_links}", 99999),
    ("event-identifier-count-wrong", "event", "identifier_count", "{ship}", 7),
    ("batch-anchored-without-tx-hash", "batch", "tx_hash", "id = 1", None),
    ("batch-root-not-hex", "batch", "root", "id = 1", "0xzz"),
    ("batch-status-unknown", "batch", "status", "id = 1", "exploded"),
    ("batch-sequence-missing", "batch", "sequence", "id = 1", None),
    ("batch-sequence-text", "batch", "sequence", "id = 1", "x"),
    ("batch-block-number-missing", "batch", "block_number", "id = 1", None),
    ("batch-block-time-missing", "batch", "block_time", "id = 1", None),
    ("batch-block-time-text", "batch", "block_time", "id = 1", "x"),
    ("master-data-envelope-not-json", "master_data", "envelope", "id = 1", "{broken"),
    ("master-data-envelope-not-an-envelope", "master_data", "envelope", "id = 1", '{"a":1}'),
    ("master-data-proof-not-json", "master_data", "proof", "id = 1", "{broken"),
    ("master-data-version-text", "master_data", "version", "id = 1", "x"),
    ("master-data-batch-id-dangling", "master_data", "batch_id", "id = 1", 99999),
    ("master-data-valid-from-text", "master_data", "valid_from", "id = 1", "x"),
    ("issued-code-created-at-text", "issued_code", "created_at", "id = 1", "x"),
    ("issued-code-gtin-garbage", "issued_code", "gtin", "id = 1", "x"),
    ("issued-code-serial-garbage", "issued_code", "serial", "id = 1", "bad serial!"),
    ("issued-code-serial-a-blob", "issued_code", "serial", "id = 2", b"P-2"),
    ("issued-code-lot-garbage", "issued_code", "lot", "id = 1", "bad lot!"),
    ("issued-code-lot-a-blob", "issued_code", "lot", "id = 2", b"\x00"),
    ("scan-time-text", "scan", "scanned_at", "id = 1", "x"),
    ("scan-serial-garbage", "scan", "serial", "id = 1", "bad serial!"),
    ("scan-gtin-garbage", "scan", "gtin", "id = 1", "x"),
    ("capture-outcome-not-json", "capture", "outcome", "{capture}", "{broken"),
    ("capture-outcome-a-number", "capture", "outcome", "{capture}", "7"),
]


# damage no reader can tell from a record that is simply not there (it names another item, a batch status the
# platform does not know is pending): None; else the (table, column) reported when it differs from the damaged one
_REPORTED: dict[str, tuple[str, str] | None] = {
    # in place, the rows no longer find the event and keep their count: met by no request (supplychain
    # check-storage finds it, tests/backend/test_storage_check.py)
    "identifier-garbage": None,
    "identifier-role-garbage": ("event_identifier", "identifier"),  # the page meets it: P-1 still finds the event
    "issued-code-gtin-garbage": None,  # codes and scans are found by GTIN and serial: these rows by nothing
    "scan-gtin-garbage": None,
    "scan-serial-garbage": None,
    "scan-time-text": None,  # SQLite orders text after numbers: the scan falls out of every window
    "master-data-version-text": ("master_data", "valid_from/version"),
    "master-data-valid-from-text": ("master_data", "valid_from/version"),
    "capture-outcome-a-number": ("capture", "outcome"),
}
# the damaged record the product page and the bundle name (by its key): the event, or batch 1
_ON_THE_PAGE = {
    "event-document-not-json": "make L1",
    "event-proof-not-json": "ship P-1",
    "batch-anchored-without-tx-hash": "1",
    "event-time-text": "ship P-1",
    "identifier-role-garbage": "ship P-1",
    "identifier-dangling": GTIN,  # the product's identifier row naming the lost event
    "event-identifier-count-wrong": "ship P-1",
    "event-batch-id-dangling": "ship P-1",
    "batch-status-unknown": "1",
}
_IN_THE_BUNDLE = _ON_THE_PAGE
# the event flagged in the export, and the flag, when it is not the damaged column itself
_IN_THE_EXPORT: dict[str, tuple[str, str | None]] = {
    "event-document-not-json": ("make L1", None),
    "event-document-a-list": ("ship P-1", None),
    "event-proof-not-json": ("ship P-1", None),
    "event-proof-not-hex": ("ship P-1", None),
    "event-time-text": ("ship P-1", None),
    "event-received-at-text": ("ship P-1", None),
    "event-batch-id-dangling": ("ship P-1", None),
    "identifier-dangling": ("ship P-1", "event_identifier"),  # its row no longer names it: one row short
    "event-identifier-count-wrong": ("ship P-1", "event_identifier"),
}


def _where(world: World, condition: str) -> str:
    ship = world.story.hash("ship P-1")
    return condition.format(
        make=_event(world, "make L1"),
        ship=_event(world, "ship P-1"),
        ship_links=f"event_id = (SELECT id FROM event WHERE hash_id = '{ship}') AND role = 'epc'",  # noqa: S608
        capture=f"id = '{world.capture_id}'",
    )


def _routes(world: World) -> list[tuple[str, dict[str, str]]]:
    regulator = {"Authorization": f"Bearer {world.tokens['regulator']}"}
    maker = {"Authorization": f"Bearer {world.tokens['manufacturer']}"}
    html = {"Accept": "text/html"}
    jsn = {"Accept": "application/json"}
    ship = world.story.hash("ship P-1")
    lot = f"https://id.gs1.org/01/{GTIN}/10/{LOT}"
    s1 = world.story.ids["S1"]
    return [
        (PAGE, html),
        (PAGE + "?lang=en", html),
        (PAGE, jsn),
        (f"/01/{GTIN}/10/{LOT}", html),
        (f"/bundles?id={DL}", {}),
        (f"/bundles/01/{GTIN}/21/{SERIAL}", {}),
        (f"/bundles?id={lot}", {}),
        (f"/events?MATCH_anyEPC={DL}", {}),
        (f"/events?organisation={MANUFACTURER}", {}),
        ("/events", {}),
        (f"/events/{ship}", {}),
        (f"/events/{world.story.hash('make L1')}", {}),
        (f"/trace/backward?id={DL}", {}),
        (f"/trace/journey?id={DL}", {}),
        (f"/trace/forward?id={s1}", {}),
        ("/export/events", regulator),
        ("/export/events", {**regulator, "Accept": "application/x-ndjson"}),
        ("/export/batches", regulator),
        ("/export/master-data", regulator),
        ("/export/status", regulator),
        (f"/capture/{world.capture_id}", maker),
        (f"/organisations/{MANUFACTURER}/suppliers", regulator),
        (f"/reports/green-supply-chain?organisation={MANUFACTURER}", regulator),
        (f"/reports/green-supply-chain?organisation={MANUFACTURER}&format=html", regulator),
        (f"/recognitions/{world.story.recognitions['A']}/impact", {}),
        (f"/leader/{MANUFACTURER}", regulator),
        ("/recognitions", {}),
        ("/spot-checks", regulator),
        (f"/qr/labels?gtin={GTIN}&lot={LOT}", maker),
        (f"/qr/labels?gtin={GTIN}&lot={LOT}", {**maker, "Accept": "text/html"}),
        (f"/copy-checks?gtin={GTIN}&serial={SERIAL}", maker),
        (f"/copy-checks?gtin={GTIN}&serial=P-2", regulator),
        (f"/01/{GTIN}/10/{LOT}/21/P-2", html),
        (f"/01/{GTIN}/21/{SERIAL}", html),
        (f"/01/{GTIN}/21/P-2", jsn),
        (f"/01/{GTIN}/10/{LOT}/21/P-2", jsn),
        ("/recalls", {}),
        (f"/qr/code.png?gtin={GTIN}&lot={LOT}&serial={SERIAL}", maker),
        (f"/qr/bulk.zip?gtin={GTIN}&lot={LOT}", maker),
        (f"/products/{GTIN}/master-data", {}),
        ("/ready", {}),
        ("/metrics", {}),
        ("/health", {}),
    ]


@pytest.mark.parametrize(("name", "table", "column", "condition", "value"), CASES, ids=[c[0] for c in CASES])
def test_a_damaged_record_never_makes_a_route_fail(
    world: World, name: str, table: str, column: str, condition: str, value: Any
) -> None:
    where = _where(world, condition)
    engine = world.platform.engine
    platform = world.platform  # a fresh log: only what this case's damage makes is listed by /ready
    platform.damage = DamageLog(on_new=platform.metrics.count_damaged)
    key = "rowid"
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # a restored or hand-edited file has no such check
        connection.commit()
        select = f"SELECT rowid, {column} FROM {table} WHERE {where}"  # noqa: S608
        rows = connection.execute(text(select)).all()
        assert rows, f"no {table} row where {where}"
        for row in rows:
            connection.execute(text(f"UPDATE {table} SET {column} = :v WHERE {key} = :k"), {"v": value, "k": row[0]})  # noqa: S608
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")
    regulator = {"Authorization": f"Bearer {world.tokens['regulator']}"}
    try:
        failed = []
        for path, headers in _routes(world):
            answer = world.client.get(path, headers=headers)
            if answer.status_code >= 500 and not (path == "/ready" and answer.status_code == 503):
                failed.append(f"{answer.status_code} {path} {headers.get('Accept', '')}")
        if failed:
            pytest.fail(f"{name}: " + "; ".join(failed), pytrace=False)
        ready = world.client.get("/ready").json()["checks"]["damagedRecords"]
        met = {(r["table"], r["column"]) for r in ready["records"]}
        expected = _REPORTED.get(name, (table, column))
        if expected is not None:  # reported in /ready and counted in the metrics
            assert expected in met, (name, sorted(met))
            metrics = world.client.get("/metrics").text
            assert f'supplychain_damaged_records_total{{column="{expected[1]}",table="{expected[0]}"}}' in metrics
        if name in _ON_THE_PAGE:  # the product page says so, names the record, and still shows the rest
            named = _ON_THE_PAGE[name]
            named = world.story.hash(named) if " " in named else named
            page = world.client.get(PAGE, headers={"Accept": "text/html"}).text
            assert 'id="damaged"' in page and 'id="journey"' in page, name
            banner = page.split('id="damaged"', 1)[1].split("</section>", 1)[0]
            assert named in banner, (name, banner)
        if name in _IN_THE_EXPORT:  # flagged for the audit (record_unreadable), the record still exported
            items = world.client.get("/export/events", headers=regulator).json()["items"]
            flagged = {i["hashId"]: i["unreadable"] for i in items if "unreadable" in i}
            event, flag = _IN_THE_EXPORT[name]
            assert flagged == {world.story.hash(event): [flag or column]}, name
        if name in _IN_THE_BUNDLE:
            answer = world.client.get(f"/bundles?id={DL}")
            assert int(answer.headers[DAMAGED_HEADER]) >= 1, name
            assert named in answer.headers[DAMAGED_RECORDS_HEADER], (name, answer.headers[DAMAGED_RECORDS_HEADER])
            bundle = ProofBundle.from_json(answer.json())  # still a bundle the verifier reads
            assert bundle.events, name  # the rest of the story is still there
        if name in ("issued-code-serial-garbage", "issued-code-lot-garbage"):  # the other codes still served
            maker = {"Authorization": f"Bearer {world.tokens['manufacturer']}"}
            labels = world.client.get(f"/qr/labels?gtin={GTIN}&lot={LOT}", headers=maker)
            assert (labels.status_code, labels.headers["X-Code-Count"]) == (200, "1"), labels.text[:300]
            check = world.client.get(f"/copy-checks?gtin={GTIN}&serial=P-1", headers=maker)
            assert check.status_code == (404 if name == "issued-code-serial-garbage" else 200), check.text
        if name == "batch-status-unknown":  # the batch flagged in the export
            batches = world.client.get("/export/batches", headers=regulator).json()["items"]
            assert [b.get("unreadable") for b in batches] == [["status"]], batches
    finally:
        with engine.begin() as connection:
            for row in rows:
                connection.execute(
                    text(f"UPDATE {table} SET {column} = :v WHERE {key} = :k"),  # noqa: S608
                    {"v": row[1], "k": row[0]},
                )
