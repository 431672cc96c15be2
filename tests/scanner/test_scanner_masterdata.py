"""``scanner verify`` names the product as its owner signed it, and says whose signature that name carries.

One anvil node for the module: the maker (holding company prefix 6901234) publishes its product's master data through
the platform and captures an event of serial 0001; both are anchored in one batch; the bundle the platform answers is
saved to a file and verified by the scanner against the node alone. A dishonest platform's bundles then fail with
their own codes: the name altered after signing, and a name the supplier signed for the maker's GTIN (the renaming
hole) put in its place.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from chain.accounts import dev_account
from scanner.cli import app
from supplychain.masterdata import ProductMasterData, build_product, sign_master_data
from supplychain.signing import SigningKey
from tests.backend import documents
from tests.backend.prefixes import hold_prefixes
from tests.chains import MANUFACTURER, SUPPLIER, Node, cast, start

pytestmark = [pytest.mark.anvil, pytest.mark.xdist_group("scanner-masterdata")]

KEY = SigningKey.from_private_bytes(b"\x61" * 32)
SUPPLIER_KEY = SigningKey.from_private_bytes(b"\x62" * 32)
GTIN = documents.GTIN
NAMES = {"zh-CN": "绿源 充电模块", "en": "Charging module"}
runner = CliRunner()


@dataclass
class World:
    node: Node
    registry: str
    bundle: dict[str, Any]
    forged: dict[str, Any]
    tmp: Path

    def write(self, name: str, bundle: dict[str, Any]) -> Path:
        path = self.tmp / name
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = Path(tmp_path_factory.mktemp("scanner-md"))
    for node in start("anvil", tmp):
        settings = Settings(
            environment="test",
            data_dir=tmp / "data",
            rpc_url=node.url,
            run_worker=False,
            registry_refresh_seconds=0,
            public_base_url="https://qr.example.cn",
            capture_workers=0,
        )
        platform = Platform.open(settings)
        try:
            registry = platform.registry.registry
            regulator = registry.as_signer(dev_account("regulator").account)
            cast(regulator)
            regulator.add_key(MANUFACTURER, KEY.public_key_bytes)
            regulator.add_key(SUPPLIER, SUPPLIER_KEY.public_key_bytes)
            hold_prefixes(platform)
            token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
            auth = {"Authorization": f"Bearer {token}"}
            at = registry.chain.block_timestamp()
            product = ProductMasterData(GTIN, NAMES, 1, at, brand={"zh-CN": "绿源"}, country="CN")
            with TestClient(create_app(platform=platform)) as client:
                published = client.post(
                    f"/products/{GTIN}/master-data",
                    content=json.dumps(sign_master_data(KEY, MANUFACTURER, build_product(product))).encode(),
                    headers={**auth, "Content-Type": "application/json"},
                )
                assert published.status_code == 201, published.text
                event = documents.object_event("0001", at_ms=at * 1000 + 500)
                captured = client.post(
                    "/capture",
                    content=documents.signed_document(KEY, [event]),
                    headers={**auth, "Content-Type": "application/ld+json", "Prefer": "return=representation"},
                )
                assert captured.json()["acceptedCount"] == 1, captured.text
                registry.chain.increase_time(5)
                assert AnchoringWorker(platform).run_once(force=True) == 2
                answer = client.get("/bundles", params={"id": f"https://id.gs1.org/01/{GTIN}/21/0001"})
                assert answer.status_code == 200, answer.text
            bundle = answer.json()
            assert bundle["masterData"]["root"] == bundle["events"][0]["root"]  # one batch for both
            # what a dishonest platform could hand out: the supplier's own signed name for the maker's GTIN
            forged = copy.deepcopy(bundle)
            renamed = ProductMasterData(GTIN, {"zh-CN": "冒名产品"}, 1, at)
            forged["masterData"]["signed"] = sign_master_data(SUPPLIER_KEY, SUPPLIER, build_product(renamed))
            yield World(node, registry.address, bundle, forged, tmp)
        finally:
            platform.close()


def scanner(world: World, path: Path, *args: str) -> Result:
    return runner.invoke(app, ["verify", str(path), "--rpc", world.node.url, "--registry", world.registry, *args])


def test_the_scanner_names_the_product_and_its_signer(world: World) -> None:
    english = scanner(world, world.write("bundle.json", world.bundle), "--lang", "en")
    assert english.exit_code == 0, english.output
    expected = (
        f"Product name  ✓ Charging module — signed by {MANUFACTURER} (the owner's product master data, version 1)"
    )
    assert expected in english.stdout.splitlines(), english.stdout
    chinese = scanner(world, world.write("bundle.json", world.bundle))
    assert f"产品名称  ✓ 绿源 充电模块 —— 由 {MANUFACTURER} 签名（所有者发布的产品主数据，第 1 版）" in chinese.stdout
    report = json.loads(scanner(world, world.tmp / "bundle.json", "--json").stdout)
    master = report["masterData"]
    assert report["status"] == master["status"] == "verified" and master["organisationId"] == MANUFACTURER
    assert master["names"] == NAMES and {c["name"] for c in master["checks"]} >= {"owner", "proof", "anchor"}


def test_an_altered_name_fails(world: World) -> None:
    altered = copy.deepcopy(world.bundle)
    altered["masterData"]["signed"]["document"]["gs1:productName"][0]["@value"] = "另一个名字"
    result = scanner(world, world.write("altered.json", altered), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failures"] == ["master_data_hash_mismatch"]


def test_a_name_signed_by_someone_else_than_the_owner_fails(world: World) -> None:
    result = scanner(world, world.write("forged.json", world.forged), "--lang", "en")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✗ FAILED: the product master data was signed by an organisation that did not own")
    assert any(f"signed by {SUPPLIER}" in line and "✗" in line for line in lines)
    report = json.loads(scanner(world, world.tmp / "forged.json", "--json").stdout)
    # its leaf is not the anchored one either: the platform cannot swap in a name nobody anchored
    assert report["failures"] == ["not_gtin_owner", "proof_invalid"]
