"""The independent scanner against a real Hardhat node and the platform served over real HTTP (uvicorn in a thread).

One node and one platform for the module: the manufacturer's events for three serials are captured and anchored in
two batches, QR codes are issued, and the scanner verifies serial 0001 from the QR code's PNG, from its Digital Link
and from a saved bundle file. Then every kind of tampering, on copies of the bundle, fails with its own reason code;
the key-revocation case is built as a dishonest platform would: an event re-signed with a key the regulator revoked
before the event time, anchored on chain from an anchoring account. Last, a stranger registered on the chain posts
events naming serial A/1: the scanner verifies the product and says what was left out.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner, Result

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.deploy import deploy_registry
from chain.devchain import free_port
from chain.registry import ROLE_ANCHORER
from scanner import load_source, verify_source
from scanner.cli import app
from supplychain.eventhash import short_hash_id
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import BusinessRole, Grade, Level, RecognitionKind, Scope
from supplychain.registry.events import RecognitionTerms
from supplychain.signing import SigningKey, make_envelope
from supplychain.verify import ProofBundle
from tests.backend import documents
from tests.chains import MANUFACTURER, Node, cast, start

pytestmark = [pytest.mark.hardhat, pytest.mark.xdist_group("scanner-hardhat")]

ROOT = Path(__file__).resolve().parents[2]
KEY = SigningKey.from_private_bytes(b"\x51" * 32)
REVOKED = SigningKey.from_private_bytes(b"\x52" * 32)
GTIN = documents.GTIN
SERIALS = ("0001", "0002", "0003")
runner = CliRunner()


@dataclass
class World:
    """What the module's tests share."""

    node: Node
    base: str
    registry: str
    deployed_in: int
    chain_id: int
    uri: str
    png: Path
    bundle: dict[str, Any]
    revoked_bundle: dict[str, Any]
    revoked_at: int
    other_registry: str
    recalled_uri: str
    bare_uri: str
    other_bundle: dict[str, Any]
    escaped_uri: str
    tmp: Path
    platform: Platform

    def write(self, name: str, bundle: dict[str, Any]) -> Path:
        path = self.tmp / name
        path.write_text(json.dumps(bundle), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start("hardhat", Path(tmp_path_factory.mktemp("hardhat")))


def _capture(http: httpx.Client, token: str, events: list[dict[str, Any]]) -> None:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
    }
    response = http.post("/capture", content=documents.signed_document(KEY, events), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["acceptedCount"] == len(events), response.text


def _revoked_key_event(platform: Platform) -> tuple[dict[str, Any], int]:
    """An event of serial 0001 signed with a key the regulator revoked before the event time, in a batch a dishonest
    anchorer put on chain: the bundle entry for it, and the revocation time."""
    registry = platform.registry.registry
    regulator = registry.as_signer(dev_account("regulator").account)
    regulator.add_key(MANUFACTURER, REVOKED.public_key_bytes)
    regulator.revoke_key(REVOKED.public_key_bytes, 9)  # key compromised
    revoked_at = registry.key_info(REVOKED.public_key_bytes).revoked_at
    assert revoked_at is not None
    event = documents.object_event("0001", biz_step="inspecting", at_ms=revoked_at * 1000 + 500)
    envelope = make_envelope(REVOKED, MANUFACTURER, {"@context": documents.CONTEXT, **event}, documents.hash_of(event))
    rogue = dev_account("stranger")
    regulator.grant_role(ROLE_ANCHORER, rogue.address)
    tree = MerkleTree.build([hash_id_to_bytes32(envelope["eventHashId"]), b"\x01" * 32])
    sequence, tx = registry.as_signer(rogue.account).anchor_root(tree.root, 2)
    info = registry.anchor_of(tree.root)
    assert info.anchored_at > revoked_at
    item = {
        "envelope": envelope,
        "proof": ["0x" + p.hex() for p in tree.proof(tree.index_of(hash_id_to_bytes32(envelope["eventHashId"])))],
        "root": "0x" + tree.root.hex(),
        "anchor": {
            "sequence": sequence,
            "blockNumber": info.block_number,
            "txHash": tx.tx_hash.lower(),
            "timestamp": info.anchored_at,
        },
        "receiptTime": None,
    }
    return item, revoked_at


@pytest.fixture(scope="module")
def world(hardhat: Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = Path(tmp_path_factory.mktemp("scanner"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        environment="test",
        data_dir=tmp / "data",
        rpc_url=hardhat.url,
        run_worker=False,
        registry_refresh_seconds=0,
        public_base_url=base,
        capture_workers=0,
    )
    platform = Platform.open(settings)
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform=platform), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    try:
        registry = platform.registry.registry
        regulator = registry.as_signer(dev_account("regulator").account)
        cast(regulator)
        regulator.add_key(MANUFACTURER, KEY.public_key_bytes)
        terms = RecognitionTerms(
            MANUFACTURER, RecognitionKind.GREEN_FACTORY, Level.PROVINCIAL, Grade.NONE, Scope.ENTERPRISE, "",
            "GB/T 36132-2018", registry.chain.block_timestamp(), None, b"\xee" * 32,
        )  # fmt: skip
        registry.as_signer(dev_account("provincial-certifier").account).issue_recognition(terms)
        platform.registry.refresh(force=True)
        token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        worker = AnchoringWorker(platform)
        start_ms = registry.chain.block_timestamp() * 1000 + 1000
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            _capture(http, token, [documents.object_event(s, at_ms=start_ms) for s in SERIALS])
            assert worker.run_once(force=True) == 3
            shipped = [documents.object_event(s, biz_step="shipping", at_ms=start_ms + 1000) for s in SERIALS]
            _capture(http, token, shipped)
            assert worker.run_once(force=True) == 3
            # a serial GS1 allows but a URI must escape ("A/1"): the event names it as its EPC URN
            escaped = documents.object_event("-", at_ms=start_ms, epcList=["urn:epc:id:sgtin:6901234.000010.A%2F1"])
            _capture(http, token, [escaped])
            assert worker.run_once(force=True) == 1
            escaped_code = http.post("/qr/issue", json={"gtin": GTIN, "serials": ["A/1"]}, headers=auth)
            assert escaped_code.status_code == 201, escaped_code.text
            issued = http.post(
                "/qr/issue", json={"gtin": GTIN, "lot": "LOT1", "serials": ["0001", "0009"]}, headers=auth
            )
            assert issued.status_code == 201, issued.text
            lot2 = http.post("/qr/issue", json={"gtin": GTIN, "lot": "LOT2", "serials": ["0002"]}, headers=auth)
            assert lot2.status_code == 201, lot2.text
            recall = http.post("/recalls", json={"gtin": GTIN, "lot": "LOT2", "reason": "微生物超标"}, headers=auth)
            assert recall.status_code == 201, recall.text
            png = http.get("/qr/code.png", params={"gtin": GTIN, "lot": "LOT1", "serial": "0001", "scale": 4})
            assert png.status_code == 200, png.text
            bundles = [http.get("/bundles", params={"id": f"https://id.gs1.org/01/{GTIN}/21/{s}"}) for s in SERIALS]
            assert all(b.status_code == 200 for b in bundles), [b.text for b in bundles]
        bundle = bundles[0].json()
        assert len(bundle["events"]) == 2 and all(e["root"] for e in bundle["events"])
        item, revoked_at = _revoked_key_event(platform)
        other = deploy_registry(registry.chain, dev_account("regulator").account)
        (tmp / "code.png").write_bytes(png.content)
        yield World(
            node=hardhat,
            base=base,
            registry=registry.address,
            deployed_in=platform.registry.deployment.block_number,
            chain_id=registry.chain.chain_id,
            uri=issued.json()["uris"][0],
            png=tmp / "code.png",
            bundle=bundle,
            # anchored by hand without its story link: given as version 1, whose verdict says completeness is
            # not proven (incomplete), under the key's failure
            revoked_bundle={
                **{k: v for k, v in bundle.items() if k != "links"},
                "version": 1,
                "events": [*bundle["events"], item],
            },
            revoked_at=revoked_at,
            other_registry=other.address,
            recalled_uri=lot2.json()["uris"][0],
            bare_uri=issued.json()["uris"][1],
            other_bundle=bundles[1].json(),
            escaped_uri=escaped_code.json()["uris"][0],
            tmp=tmp,
            platform=platform,
        )
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(timeout=10)
        platform.close()


def scanner(world: World, *args: str, registry: str | None = "trusted", env: dict[str, str] | None = None) -> Result:
    """``scanner verify ARGS --rpc <the node>`` (``--registry`` the platform's unless told otherwise)."""
    options = ["--rpc", world.node.url]
    if registry is not None:
        options += ["--registry", world.registry if registry == "trusted" else registry]
    return runner.invoke(app, ["verify", *args, *options], env=env)


def verdict_of(result: Result) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout)
    return report


# --- genuine inputs pass ---


def test_the_qr_photo_verifies_with_python_m_scanner(world: World) -> None:
    options = ["--rpc", world.node.url, "--registry", world.registry, "--lang", "en"]
    out = subprocess.run(
        [sys.executable, "-m", "scanner", "verify", str(world.png), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("✓ Verified: the content, signature, key, organisation and on-chain proof of all 2")
    assert f"Source  QR image {world.png} → {world.uri}" in lines
    blocks = [e["anchor"]["blockNumber"] for e in world.bundle["events"]]
    for block in blocks:
        assert any(f"✓ anchored in block {block} at " in line for line in lines), out.stdout
    assert any("✓ content intact  ✓ signature  ✓ key valid  ✓ organisation" in line for line in lines)
    recognised = "   green recognitions in force then: green factory (provincial) #1 still in force"
    assert lines.count(recognised) == 2


def test_the_qr_image_reports_its_link_and_the_chain_in_json(world: World) -> None:
    result = scanner(world, str(world.png), "--json")
    assert result.exit_code == 0, result.output
    report = verdict_of(result)
    assert report["status"] == "verified" and report["failures"] == [] and report["warnings"] == []
    assert report["source"]["kind"] == "image" and report["source"]["uri"] == world.uri
    assert report["source"]["requested"] == f"https://id.gs1.org/01/{GTIN}/21/0001"
    assert report["registry"] == {"address": world.registry, "takenFromBundle": False, "pinnedBy": "option"}
    assert report["chainId"] == report["chain"]["chainId"] == world.chain_id == 31337
    assert report["rpc"] == world.node.url
    claimed = [(e["anchor"]["sequence"], e["anchor"]["blockNumber"]) for e in world.bundle["events"]]
    seen = [(a["sequence"], a["blockNumber"]) for a in report["anchors"].values()]
    assert seen == claimed == [(1, claimed[0][1]), (2, claimed[1][1])]
    assert [c["name"] for c in report["checks"]] == [
        "chain", "registry", "requested", "events", "product", "duplicates", "story", "chronology", "custody",
        "origins", "links",
    ]  # fmt: skip
    assert set(report["timings"]) == {"sourceMs", "chainMs", "verifyMs"}


def test_the_digital_link_verifies_fetching_the_bundle_over_http(world: World) -> None:
    result = scanner(world, world.uri, "--json", "--from-block", str(world.deployed_in))
    assert result.exit_code == 0, result.output
    report = verdict_of(result)
    assert report["status"] == "verified"
    assert report["source"]["kind"] == "uri" and report["source"]["input"] == world.uri
    assert report["source"]["bundleUrl"].startswith(world.base + "/bundles?id=https")
    assert len(report["events"]) == 2


def test_a_saved_bundle_verifies_against_the_pinned_registry(world: World) -> None:
    path = world.write("bundle.json", world.bundle)
    result = scanner(world, str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "✓ 验证通过：2 个事件的内容、签名、密钥、企业资格和上链证明都与链上记录一致"
    assert f"来源  证明包文件 {path}" in lines
    assert lines.count("   当时有效的绿色认定：绿色工厂（省级）#1 至今有效") == 2
    report = verdict_of(scanner(world, str(path), "--json"))
    assert report["registry"] == {"address": world.registry, "takenFromBundle": False, "pinnedBy": "option"}


def test_without_a_pinned_registry_the_verdict_says_so_and_exits_1(world: World) -> None:
    """Before issue 13 this verified (exit 0) with a warning: a forged registry named by the bundle would pass."""
    path = world.write("bundle.json", world.bundle)
    result = scanner(world, str(path), registry=None, env={"XDG_CONFIG_HOME": str(world.tmp / "no-config")})
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "! 未验证：未指定可信的登记合约，无法排除伪造的合约；其余检查都与证明包所指的合约一致"
    assert lines[1].startswith(f"! 注意：登记合约地址 {world.registry} 取自证明包本身")
    en = scanner(world, str(path), "--lang", "en", registry=None, env={"XDG_CONFIG_HOME": str(world.tmp / "no")})
    assert en.stdout.splitlines()[0] == (
        "! NOT VERIFIED: no trusted registry was pinned, so a forged registry cannot be ruled out; every other check"
        " agrees with the registry the bundle names"
    )
    report = verdict_of(scanner(world, str(path), "--json", registry=None, env={"XDG_CONFIG_HOME": "/nonexistent"}))
    assert report["status"] == "incomplete" and report["failures"] == []
    assert report["registry"] == {"address": world.registry, "takenFromBundle": True, "pinnedBy": None}
    assert [w["code"] for w in report["warnings"]] == ["registry_from_bundle"]
    registry = next(c for c in report["checks"] if c["name"] == "registry")
    assert (registry["passed"], registry["code"]) == (None, "registry_not_pinned")


def test_a_trusted_registries_file_pins_the_registry_per_chain(world: World) -> None:
    path = world.write("bundle.json", world.bundle)
    config = world.tmp / "config"
    (config / "supplychain").mkdir(parents=True, exist_ok=True)
    (config / "supplychain" / "registries.toml").write_text(
        f'[[registry]]\nchain_id = 1\naddress = "{world.other_registry}"\n\n'
        f'[[registry]]\nchain_id = {world.chain_id}\naddress = "{world.registry}"\nname = "test registry"\n',
        encoding="utf-8",
    )
    found = scanner(world, str(path), "--json", registry=None, env={"XDG_CONFIG_HOME": str(config)})
    assert found.exit_code == 0, found.output
    report = verdict_of(found)
    assert report["status"] == "verified" and report["warnings"] == []
    assert report["registry"] == {"address": world.registry, "takenFromBundle": False, "pinnedBy": "trustFile"}
    forged = world.tmp / "forged.toml"  # a file pinning another registry: the bundle is from a registry not trusted
    forged.write_text(f'[[registry]]\nchain_id = {world.chain_id}\naddress = "{world.other_registry}"\n')
    other = scanner(world, str(path), "--json", "--trust-file", str(forged), registry=None)
    assert other.exit_code == 1 and verdict_of(other)["failures"] == ["other_registry"]


def test_a_node_on_another_chain_than_the_pinned_one_is_refused(world: World) -> None:
    path = world.write("bundle.json", world.bundle)
    result = scanner(world, str(path), "--chain-id", "1", "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the node at {world.node.url} is on chain {world.chain_id}, not on the pinned chain 1: pass --rpc of a"
        " node of that chain\n"
    )
    pinned = scanner(world, str(path), "--chain-id", str(world.chain_id), "--json")
    assert pinned.exit_code == 0 and verdict_of(pinned)["status"] == "verified"


def test_a_serial_that_needs_escaping_verifies_from_its_qr_link(world: World) -> None:
    assert world.escaped_uri == f"{world.base}/01/{GTIN}/21/A%2F1"
    report = verdict_of(scanner(world, world.escaped_uri, "--json"))
    assert report["status"] == "verified", report
    assert report["source"]["requested"] == f"https://id.gs1.org/01/{GTIN}/21/A%2F1"


def test_a_recalled_lot_still_verifies_under_a_recall_warning(world: World) -> None:
    result = scanner(world, world.recalled_uri, "--lang", "en")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ Verified")
    assert (
        lines[1]
        == "! Warning: RECALLED (as the platform says): GTIN 06901234000108 lot 'LOT2' was recalled: 微生物超标"
    )
    report = verdict_of(scanner(world, world.recalled_uri, "--json"))
    assert report["status"] == "verified" and [w["code"] for w in report["warnings"]] == ["recalled"]


def test_a_bundle_with_events_not_yet_anchored_is_incomplete_and_exits_1(world: World) -> None:
    bundle = copy.deepcopy(world.bundle)
    bundle["events"][1] |= {"proof": None, "root": None, "anchor": None}
    path = world.write("pending.json", bundle)
    report = verdict_of(scanner(world, str(path), "--json"))
    assert report["status"] == "incomplete" and report["failures"] == []
    result = scanner(world, str(path), "--lang", "en")
    assert result.exit_code == 1
    short = short_hash_id(report["events"][1]["eventHashId"])
    first = f"… Not fully verified yet: not anchored yet (event 2 [{short}]) "
    first += "(what was checked holds; the rest is not checked yet)"
    assert result.stdout.splitlines()[0] == first and "no tampering" not in result.stdout


# --- tampering fails, each with its own reason ---


def _edit_event(bundle: dict[str, Any]) -> None:
    bundle["events"][0]["envelope"]["event"]["bizLocation"]["id"] = "https://id.gs1.org/414/6901234000030"


def _swap_proofs(bundle: dict[str, Any]) -> None:
    first, second = bundle["events"]
    assert first["proof"] != second["proof"]
    first["proof"], second["proof"] = second["proof"], first["proof"]


def _forge_root(bundle: dict[str, Any]) -> None:
    item = bundle["events"][1]
    leaf = hash_id_to_bytes32(item["envelope"]["eventHashId"])
    forged = MerkleTree.build([leaf, b"\x07" * 32, b"\x08" * 32, b"\x09" * 32])  # a tree never anchored
    item["proof"] = ["0x" + p.hex() for p in forged.proof(forged.index_of(leaf))]
    item["root"] = "0x" + forged.root.hex()


def _other_chain(bundle: dict[str, Any]) -> None:
    bundle["chainId"] = 1


def _duplicate(bundle: dict[str, Any]) -> None:
    bundle["events"].append(copy.deepcopy(bundle["events"][1]))


def _drop_origin(bundle: dict[str, Any]) -> None:
    del bundle["events"][0]  # the commissioning: the shipment is left with no product made


def _late_receipt(bundle: dict[str, Any]) -> None:
    item = bundle["events"][1]
    item["receiptTime"] = item["anchor"]["timestamp"] + 3600  # received an hour after it was anchored


@pytest.mark.parametrize(
    ("tamper", "failures", "failing"),
    [
        (_edit_event, ["hash_mismatch"], [0]),
        (_swap_proofs, ["proof_invalid"], [0, 1]),
        (_forge_root, ["root_not_anchored"], [1]),
        (_other_chain, ["other_chain"], [0, 1]),
        (_duplicate, ["duplicate_event"], []),
        (_late_receipt, ["received_after_anchor"], [1]),
    ],
    ids=[
        "edited-event", "swapped-proofs", "root-not-on-chain", "other-chain", "duplicate", "late-receipt",
    ],
)  # fmt: skip
def test_tampering_fails_with_its_own_reason(
    world: World, tamper: Callable[[dict[str, Any]], None], failures: list[str], failing: list[int]
) -> None:
    bundle = copy.deepcopy(world.bundle)
    tamper(bundle)
    result = scanner(world, str(world.write("tampered.json", bundle)), "--json")
    assert result.exit_code == 1, result.output
    report = verdict_of(result)
    assert report["status"] == "failed" and report["failures"] == failures
    assert [e["index"] for e in report["events"] if e["status"] == "failed"] == failing


def test_a_dropped_commissioning_leaves_a_gap_and_exits_1(world: World) -> None:
    """The shipment left without the event that made the product: incomplete (a gap), not verified."""
    bundle = copy.deepcopy(world.bundle)
    _drop_origin(bundle)
    path = world.write("dropped.json", bundle)
    result = scanner(world, str(path), "--json")
    assert result.exit_code == 1, result.output
    report = verdict_of(result)
    assert report["status"] == "incomplete" and report["failures"] == []
    origins = next(c for c in report["checks"] if c["name"] == "origins")
    assert (origins["passed"], origins["code"]) == (None, "origin_missing")
    en = scanner(world, str(path), "--lang", "en").stdout.splitlines()
    assert en[0] == (
        "… Not fully verified: no event of the bundle made an item of the story (an upstream event is missing); the"
        " story links name an anchored event the bundle neither shows nor lists (the story has gaps: an event may"
        " have been left out)"
    )  # its story link is still in the bundle: the platform said it exists


def test_a_sibling_serials_event_in_the_story_fails_as_unrelated(world: World) -> None:
    """Serial 0002's genuine shipment put in place of 0001's: every event verifies on its own, the story does not."""
    bundle = copy.deepcopy(world.bundle)
    bundle["events"][1] = copy.deepcopy(world.other_bundle["events"][1])
    result = scanner(world, str(world.write("sibling.json", bundle)), "--json")
    assert result.exit_code == 1, result.output
    report = verdict_of(result)
    assert report["failures"] == ["unrelated_event"]
    assert all(e["status"] == "verified" for e in report["events"])
    en = scanner(world, str(world.write("sibling.json", bundle)), "--lang", "en").stdout.splitlines()
    assert en[0] == "✗ FAILED: an event is not part of this product's story (e.g. a sibling serial's)"
    assert any(line.startswith("✗ an event is not part of this product's story") and "event 2 (ni:///" in line
               for line in en)  # fmt: skip


def test_a_signed_shipment_dated_before_the_product_was_made_fails(world: World) -> None:
    """Captured and anchored by the platform as signed: the maker's shipment of serial 0004 is dated a second
    before its commissioning. Each event verifies; the bundle the platform serves shows the shipment first."""
    platform = world.platform
    chain = platform.registry.registry.chain
    at = chain.block_timestamp() * 1000 + 1000
    token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
    made = documents.object_event("0004", at_ms=at + 1000)
    shipped = documents.object_event("0004", biz_step="shipping", at_ms=at)
    with httpx.Client(base_url=world.base, timeout=30) as http:
        _capture(http, token, [made, shipped])
        chain.increase_time(3)
        assert AnchoringWorker(platform).run_once(force=True) == 2
        answer = http.get("/bundles", params={"id": f"https://id.gs1.org/01/{GTIN}/21/0004"})
    assert answer.status_code == 200, answer.text
    bundle = answer.json()
    assert [e["envelope"]["event"]["bizStep"] for e in bundle["events"]] == ["shipping", "commissioning"]
    path = world.write("early-shipment.json", bundle)
    result = scanner(world, str(path), "--json")
    assert result.exit_code == 1, result.output
    report = verdict_of(result)
    assert report["failures"] == ["event_before_origin"]
    assert all(e["status"] == "verified" for e in report["events"])
    zh = scanner(world, str(path)).stdout.splitlines()
    assert zh[0] == "✗ 验证失败：事件时间早于该物品的生产（顺序颠倒）"


def test_an_edited_event_is_named_in_words(world: World) -> None:
    bundle = copy.deepcopy(world.bundle)
    _edit_event(bundle)
    path = world.write("edited.json", bundle)
    short = short_hash_id(verdict_of(scanner(world, str(path), "--json"))["events"][0]["eventHashId"])
    zh = scanner(world, str(path)).stdout.splitlines()
    assert zh[0] == f"✗ 验证失败：事件内容被改动（重新计算的哈希不符）（事件 1 [{short}]）"
    assert any(line.strip().startswith("✗ 事件内容被改动（重新计算的哈希不符） — claimed ni:///") for line in zh)
    en = scanner(world, str(path), "--lang", "en").stdout.splitlines()
    assert en[0] == f"✗ FAILED: the event was edited (its recomputed hash differs) (event 1 [{short}])"


def test_an_event_signed_with_a_key_revoked_before_it_fails_as_key_revoked(world: World) -> None:
    path = world.write("revoked.json", world.revoked_bundle)
    result = scanner(world, str(path), "--json")
    assert result.exit_code == 1, result.output
    report = verdict_of(result)
    assert report["failures"] == ["key_revoked"]
    last = report["events"][-1]
    assert last["status"] == "failed" and [c["code"] for c in last["checks"] if not c["passed"]] == ["key_revoked"]
    key = next(c for c in last["checks"] if c["name"] == "key")
    assert f"was revoked at {world.revoked_at}, before the event ({world.revoked_at})" in key["detail"]
    signature, anchor = (next(c for c in last["checks"] if c["name"] == n) for n in ("signature", "anchor"))
    assert signature["passed"] and anchor["passed"]  # a genuine signature, really anchored: only the key is wrong
    en = scanner(world, str(path), "--lang", "en").stdout.splitlines()
    short = short_hash_id(last["eventHashId"])
    assert en[0] == f"✗ FAILED: the signing key was revoked before the event time (event 3 [{short}])"


def test_a_registry_other_than_the_trusted_one_fails_as_other_registry(world: World) -> None:
    result = scanner(world, str(world.write("bundle.json", world.bundle)), "--json", registry=world.other_registry)
    assert result.exit_code == 1, result.output
    report = verdict_of(result)
    assert report["failures"] == ["other_registry"]
    assert report["registry"] == {"address": world.other_registry, "takenFromBundle": False, "pinnedBy": "option"}
    assert report["registryAddress"] == world.other_registry


def test_a_platform_answering_with_another_products_bundle_fails_as_other_product(world: World) -> None:
    source = load_source(world.uri)
    swapped = dataclasses.replace(source, bundle=ProofBundle.from_json(world.other_bundle))
    result = verify_source(swapped, rpc=world.node.url, registry=world.registry)
    assert result.exit_code == 1 and result.verdict.failures == ("other_product",)


# --- inputs that cannot be used ---


def test_a_code_never_issued_or_without_events_cannot_be_verified(world: World) -> None:
    unknown = world.uri.replace("/21/0001", "/21/0777")
    result = scanner(world, unknown, "--lang", "en")
    assert result.exit_code == 2
    assert f"error: 127.0.0.1:{world.base.rsplit(':', 1)[1]} says it never issued {unknown}" in result.stderr
    bare = scanner(world, world.bare_uri, "--lang", "en")
    assert bare.exit_code == 2
    assert "error: the platform has no proof bundle for this product" in bare.stderr


def test_a_registry_address_without_a_registry_cannot_be_used(world: World) -> None:
    nobody = "0x" + "ab" * 20
    result = scanner(world, str(world.write("bundle.json", world.bundle)), "--lang", "en", registry=nobody)
    assert result.exit_code == 2
    assert f"error: no contract at {nobody} on chain 31337 ({world.node.url})" in result.stderr


# --- what other organisations post (issue 12, item 4) ---


def test_a_strangers_events_naming_the_product_are_left_out_and_the_scanner_says_so(world: World) -> None:
    """A registered stranger captures, over HTTP, an event listing 1,500 EPCs and three small ones, all naming serial
    A/1 (which its maker commissioned and never shipped): the scanner fetches A/1's bundle from its QR link, verifies
    the maker's event against the chain, and lists the stranger's by reference with their signatures and anchors
    checked."""
    platform = world.platform
    stranger, key = "6909999000005", SigningKey.from_private_bytes(b"\x53" * 32)
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    regulator.register_organisation(stranger, BusinessRole.RETAILER)
    regulator.add_key(stranger, key.public_key_bytes)
    platform.registry.refresh(force=True)
    token = platform.issue_token(org_id=stranger, role="organisation")
    serial = f"https://id.gs1.org/01/{GTIN}/21/A%2F1"
    at = platform.registry.registry.chain.block_timestamp() * 1000 + 1000
    others = [f"https://id.gs1.org/01/{GTIN}/21/Z{n}" for n in range(1499)]
    events = [documents.object_event("-", biz_step="inspecting", at_ms=at, epcList=[*others, serial])]
    events += [documents.object_event("-", biz_step="inspecting", at_ms=at + n, epcList=[serial]) for n in (1, 2, 3)]
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
    }
    with httpx.Client(base_url=world.base, timeout=30) as http:
        response = http.post("/capture", content=documents.signed_document(key, events), headers=headers)
    assert response.status_code == 200 and response.json()["acceptedCount"] == 4, response.text[:500]
    platform.registry.registry.chain.increase_time(2)  # anchored after the events happened
    assert AnchoringWorker(platform).run_once(force=True) == 4
    report = verdict_of(scanner(world, world.escaped_uri, "--json"))
    assert report["status"] == "verified", report["failures"]
    assert len(report["events"]) == 1  # the maker's commissioning, nothing else
    assert report["summarised"]["counts"] == {"outside_custody": 4}
    listed = report["summarised"]["events"]
    assert [e["identifierCount"] for e in listed] == [1500, 1, 1, 1]  # the biggest first
    assert all(e["organisationId"] == stranger and e["status"] == "verified" for e in listed)
    assert {c["name"] for e in listed for c in e["checks"]} == {"signature", "key", "proof", "anchor"}
    result = scanner(world, world.escaped_uri, "--lang", "en")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "✓ Verified: the content, signature, key, organisation and on-chain proof of its 1 event agree with the chain"
    )
    at_left_out = lines.index("Events left out")
    assert lines[at_left_out + 1] == (
        "! 4 events by organisations outside this product's chain of custody: not part of its record, not in the"
        " verification above"
    )
    item = next(line for line in lines[at_left_out:] if line.startswith("1. "))
    assert "ObjectEvent · Inspected · " in item and f"· {stranger} · 1,500 identifiers" in item
    assert item.endswith("✓ signature  ✓ anchored")
    chinese = scanner(world, world.escaped_uri).stdout
    assert "4 个事件来自不在本产品流转链上的组织" in chinese and "1,500 个标识" in chinese


def test_the_story_is_told_in_time_order_whatever_order_the_bundle_lists(world: World) -> None:
    """A platform listing the events last to first changes nothing a consumer reads: the report numbers and shows
    them by event time (the JSON keeps each event's place in the bundle as ``index``)."""
    reversed_bundle = {**world.bundle, "events": list(reversed(world.bundle["events"]))}
    straight, turned = world.write("straight.json", world.bundle), world.write("turned.json", reversed_bundle)
    shown = [scanner(world, str(p)).stdout.splitlines() for p in (straight, turned)]
    numbered = [[line for line in lines if line[:2] in ("1.", "2.")] for lines in shown]
    assert numbered[0] == numbered[1] and len(numbered[0]) == 2
    assert "commissioning" in numbered[1][0] or "赋码" in numbered[1][0], numbered[1]
    assert scanner(world, str(turned)).exit_code == 0
