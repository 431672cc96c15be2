"""Inputs the scanner cannot use exit 2 with a message saying what and where; none of these needs a chain node.

The platform's misbehaviours (an answer that is not JSON, a refusal, a recall of the bundle, a silence) come from a
small stdlib HTTP server playing a platform, since the real one does not misbehave on request.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import qrcode  # type: ignore[import-untyped]
from PIL import Image
from typer.testing import CliRunner, Result

from scanner import ScannerInputError, load_source
from scanner.cli import app
from scanner.source import decode_qr
from supplychain.verify import ProofBundle
from tests.supplychain.factories import appliance_chain

runner = CliRunner()
GTIN = "06901234000108"


@pytest.fixture(scope="module")
def bundle_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = appliance_chain()
    path = Path(tmp_path_factory.mktemp("bundle")) / "bundle.json"
    path.write_text(json.dumps(scenario.chain.bundle_json(scenario.ids["A-1"])), encoding="utf-8")
    return path


def verify(*args: str) -> Result:
    return runner.invoke(app, ["verify", *args])


def qr_image(data: str) -> Image.Image:
    image: Image.Image = qrcode.make(data, box_size=6).get_image().convert("L")
    return image


def saved(image: Image.Image, path: Path) -> Path:
    image.save(path)
    return path


# --- files ---


def test_an_image_without_a_qr_code(tmp_path: Path) -> None:
    blank = saved(Image.new("L", (240, 240), 255), tmp_path / "blank.png")
    result = verify(str(blank))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"错误：图片 {blank} 中没有找到二维码\n"
    english = verify(str(blank), "--lang", "en", "--json")
    assert english.exit_code == 2
    assert english.stderr == f"error: no QR code found in the image {blank}\n"
    report = json.loads(english.stdout)
    assert report["status"] == "unusable" and report["error"]["code"] == "no_qr_code"
    assert report["error"]["params"] == {"path": str(blank)}


def test_an_image_with_two_different_codes(tmp_path: Path) -> None:
    first, second = qr_image("https://a.example.cn/01/06901234000108/21/1"), qr_image("https://a.example.cn/x")
    both = Image.new("L", (first.width + second.width + 40, max(first.height, second.height) + 40), 255)
    both.paste(first, (20, 20))
    both.paste(second, (first.width + 20, 20))
    path = saved(both, tmp_path / "two.png")
    result = verify(str(path), "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr == f"error: 2 different QR codes in the image {path}: photograph one\n"


def test_a_code_that_is_no_product_link(tmp_path: Path) -> None:
    words = saved(qr_image("hello, world"), tmp_path / "words.png")
    result = verify(str(words), "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {words} is not a GS1 Digital Link: ")
    place = saved(qr_image("https://a.example.cn/414/6901234000016"), tmp_path / "place.png")
    result = verify(str(place), "--lang", "en")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: https://a.example.cn/414/6901234000016 is not the Digital Link of a product (GTIN)\n"
    )


def test_a_jpeg_photo_turned_sideways_is_read(tmp_path: Path, dead_url: str) -> None:
    uri = f"{dead_url}/01/{GTIN}/10/LOT1/21/0001"
    photo = qr_image(uri).rotate(90, expand=True).convert("RGB")
    path = tmp_path / "photo.jpg"
    photo.save(path, format="JPEG", quality=80)
    result = verify(str(path), "--lang", "en")
    assert result.exit_code == 2  # decoded, then the platform is not there
    assert result.stderr.startswith(f"error: cannot reach the platform at {uri}: ")


def test_files_that_are_not_bundles(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a bundle, not an image", encoding="utf-8")
    result = verify(str(notes), "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr == f"error: {notes} is neither a proof bundle (JSON) nor an image (PNG, JPEG)\n"
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "SupplychainProofBundle",\n  "version": }', encoding="utf-8")
    result = verify(str(broken), "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr == f"error: {broken} is not valid JSON: Expecting value (line 2, column 14)\n"
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"{\xff\xfe}")
    assert "is not valid JSON: not UTF-8 text" in verify(str(binary), "--lang", "en").stderr
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"type": "Other"}), encoding="utf-8")
    result = verify(str(other), "--lang", "en")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {other} is not a proof bundle this scanner reads (version 1 or 2): field version: missing\n"
    )


def test_missing_unreadable_and_corrupt_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"
    result = verify(str(missing))
    assert result.exit_code == 2 and result.stderr == f"错误：找不到文件 {missing}\n"
    result = verify(str(tmp_path), "--lang", "en")
    assert result.exit_code == 2 and result.stderr == f"error: cannot read {tmp_path}: Is a directory\n"
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    result = verify(str(corrupt), "--lang", "en")
    assert result.exit_code == 2 and result.stderr.startswith(f"error: cannot read the image {corrupt}: ")


# --- the chain ---


def test_an_unreachable_node(bundle_file: Path, dead_url: str) -> None:
    result = verify(str(bundle_file), "--rpc", dead_url, "--lang", "en", "--timeout", "2", "--json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot reach the chain node at {dead_url}: ")
    assert json.loads(result.stdout)["error"]["code"] == "node_unreachable"
    zh = verify(str(bundle_file), "--rpc", dead_url, "--timeout", "2")
    assert zh.exit_code == 2 and zh.stderr.startswith(f"错误：无法连接区块链节点 {dead_url}：")


def test_a_node_url_or_registry_that_cannot_be_used(bundle_file: Path) -> None:
    result = verify(str(bundle_file), "--rpc", "ws://127.0.0.1:8546", "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr == "error: cannot use the node URL ws://127.0.0.1:8546: expected http(s)://host:port\n"
    result = verify("https://a.example.cn/01/06901234000108", "--registry", "0x12", "--lang", "en")
    assert result.exit_code == 2  # refused before anything is fetched
    assert result.stderr == "error: --registry takes 0x and 40 hex digits, not 0x12\n"


def test_the_node_url_comes_from_the_environment(bundle_file: Path, dead_url: str) -> None:
    result = runner.invoke(app, ["verify", str(bundle_file), "--timeout", "2"], env={"SCANNER_RPC_URL": dead_url})
    assert result.exit_code == 2 and dead_url in result.stderr


# --- the platform ---


class Platform(BaseHTTPRequestHandler):
    """Answers each path with what the test put in ``answers``: (status, content type, body, delay, headers)."""

    answers: ClassVar[dict[str, tuple[int, str, bytes, float, dict[str, str]]]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        status, content_type, body, delay, headers = self.answers.get(
            self.path.split("?")[0], (404, "application/problem+json", b'{"detail": "nothing here"}', 0.0, {})
        )
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    Platform.answers, Platform.seen = {}, []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def answer(path: str, status: int, body: object, content_type: str = "application/json", **options: Any) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    Platform.answers[path] = (status, content_type, data, options.get("delay", 0.0), options.get("headers", {}))


RESOLVED = f"/p/01/{GTIN}/10/LOT1/21/0001"


def test_an_unreachable_platform(dead_url: str) -> None:
    uri = f"{dead_url}/01/{GTIN}/21/0001"
    result = verify(uri, "--lang", "en")
    assert result.exit_code == 2 and result.stderr.startswith(f"error: cannot reach the platform at {uri}: ")


def test_a_platform_answering_what_is_not_a_bundle(platform: str) -> None:
    uri = platform + RESOLVED
    answer(RESOLVED, 200, {"id": uri})
    answer("/p/bundles", 200, b"<html>hello</html>", "text/html; charset=utf-8")
    result = verify(uri, "--lang", "en")
    assert result.exit_code == 2
    url = f"{platform}/p/bundles?id=https%3A%2F%2Fid.gs1.org%2F01%2F{GTIN}%2F21%2F0001"
    assert result.stderr == (
        f"error: the platform answered {url} with something that is not JSON (text/html; charset=utf-8): "
        "<html>hello</html>\n"
    )
    assert Platform.seen == [RESOLVED, url.removeprefix(platform)]  # resolved first, then the bundle at its prefix
    answer("/p/bundles", 200, b'{"type": ', "application/json")
    result = verify(uri, "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "something that is not JSON (application/json): Expecting value (line 1, column 10)\n"
    )
    answer("/p/bundles", 200, {"type": "SupplychainProofBundle"})
    result = verify(uri, "--lang", "en")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {url} is not a proof bundle this scanner reads (version 1 or 2): field version: missing\n"
    )


def test_a_platform_refusing_or_withdrawing_the_bundle(platform: str) -> None:
    uri = platform + RESOLVED
    answer(RESOLVED, 200, {"id": uri})
    answer("/p/bundles", 500, {"detail": "database locked"}, "application/problem+json")
    result = verify(uri, "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: the platform refused {platform}/p/bundles?id=")
    assert result.stderr.endswith("(HTTP 500): database locked\n")
    answer("/p/bundles", 410, b"gone for good", "text/plain")
    result = verify(uri, "--lang", "en")
    assert result.exit_code == 2 and "no longer serves this bundle" in result.stderr
    assert result.stderr.endswith(", 410): gone for good\n")
    answer(RESOLVED, 400, {"detail": "check digit"}, "application/problem+json")
    result = verify(uri, "--lang", "en")
    assert result.exit_code == 2 and result.stderr == f"error: the platform refused {uri} (HTTP 400): check digit\n"


def test_a_silent_platform(platform: str) -> None:
    uri = platform + RESOLVED
    answer(RESOLVED, 200, {"id": uri}, delay=1.0)
    result = verify(uri, "--lang", "en", "--timeout", "0.2")
    assert result.exit_code == 2 and result.stderr == f"error: the platform at {uri} did not answer within 0.2 s\n"


def test_a_recalled_and_truncated_bundle_is_fetched_with_warnings(platform: str, bundle_file: Path) -> None:
    uri = platform + RESOLVED
    answer(RESOLVED, 410, {"detail": "lot LOT1 was recalled: 异物"}, "application/problem+json")
    answer("/p/bundles", 200, bundle_file.read_bytes(), headers={"Supplychain-Bundle-Truncated": "true"})
    source = load_source(uri)
    assert source.kind == "uri" and source.bundle == ProofBundle.from_json(json.loads(bundle_file.read_bytes()))
    assert source.requested == f"https://id.gs1.org/01/{GTIN}/21/0001"
    assert [n.code for n in source.notices] == ["recalled", "truncated"]
    assert source.notices[0].message("zh-CN") == "召回（平台所述）：lot LOT1 was recalled: 异物"
    assert source.notices[1].to_json()["message"].startswith("the platform truncated the bundle")


# --- bench ---


def test_bench_times_a_bundle_on_the_in_process_chain(tmp_path: Path) -> None:
    kept = tmp_path / "bench.json"
    result = runner.invoke(app, ["bench", "--events", "5", "--rounds", "2", "--keep", str(kept)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("bundle of 5 events (")
    assert "verify_bundle (no I/O):" in result.stdout and "registry replay from chain:" in result.stdout
    bundle = ProofBundle.from_json(json.loads(kept.read_bytes()))
    assert len(bundle.events) == 5 and len({e.root for e in bundle.events}) == 1


def test_bench_on_an_unreachable_node(dead_url: str) -> None:
    result = runner.invoke(app, ["bench", "--rpc", dead_url])
    # the runner captures the process's stderr: a server thread of an earlier test may write there meanwhile
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and any(
        line.startswith(f"error: cannot reach the chain node at {dead_url}") for line in lines
    )


def test_the_image_reader_reads_a_png_in_memory() -> None:
    image = qr_image("https://a.example.cn/01/06901234000108/21/7")
    data = io.BytesIO()
    image.save(data, format="PNG")
    assert decode_qr(data.getvalue(), "memory") == "https://a.example.cn/01/06901234000108/21/7"


# --- trust anchors (issue 13, item 5) ---


_AB = '"0x' + "ab" * 20 + '"'


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (None, "no such file"),
        ("[[registry]\nchain_id = 1", "Expected ']]' at the end of an array declaration (at line 1, column 11)"),
        (
            '[[registry]]\nchain_id = 1\naddress = "0x12"\n',
            "registry[0].address: expected 0x and 40 hex digits, got '0x12'",
        ),
        (
            f"[[registry]]\nchain_id = -1\naddress = {_AB}\n",
            "registry[0].chain_id: expected a non-negative integer, got -1",
        ),
        (
            f'[[registry]]\nchain_id = 1\naddress = {_AB}\nrpc = "x"\n',
            "registry[0]: unknown key 'rpc'; expected chain_id, address, name",
        ),
        (f"[[registry]]\nchain_id = 1\naddress = {_AB}\nname = 5\n", "registry[0].name: expected a string"),
        ('registries = 1\n', "unknown key 'registries'; expected [[registry]] tables"),
        ('registry = 1\n', "registry: expected [[registry]] tables"),
        ("registry = [1]\n", "registry[0]: expected a table with chain_id and address"),
        (
            '[[registry]]\nchain_id = 1\naddress = "0x' + "ab" * 20 + '"\n[[registry]]\nchain_id = 1\naddress = "0x'
            + "cd" * 20 + '"\n',
            "registry[1]: chain 1 is pinned to two addresses",
        ),
        (b"\xff\xfe", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ],
    ids=[
        "missing", "not-toml", "bad-address", "negative-chain", "unknown-key", "bad-name", "unknown-table",
        "not-tables", "not-a-table", "two-addresses", "not-utf8",
    ],
)  # fmt: skip
def test_a_trusted_registries_file_that_cannot_be_used(
    tmp_path: Path, bundle_file: Path, content: str | bytes | None, detail: str
) -> None:
    path = tmp_path / "registries.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = verify(str(bundle_file), "--trust-file", str(path), "--lang", "en", "--json")
    assert result.exit_code == 2  # refused before the chain is read
    assert result.stderr == f"error: cannot use the trusted registries file {path}: {detail}\n"
    assert json.loads(result.stdout)["error"]["code"] == "bad_trust_file"
    zh = runner.invoke(app, ["verify", str(bundle_file)], env={"SCANNER_TRUST_FILE": str(path)})
    assert zh.exit_code == 2 and zh.stderr.startswith(f"错误：可信登记合约文件 {path} 无法使用：")


def test_the_default_trusted_registries_file_is_read_only_when_it_exists(tmp_path: Path, dead_url: str) -> None:
    from scanner.trust import TrustedRegistry, default_trust_file, load_trust_file

    absent = tmp_path / "none" / "registries.toml"
    assert load_trust_file(absent, explicit=False) == {}
    address = "0x" + "Ab" * 20
    absent.parent.mkdir()
    absent.write_text(f'[[registry]]\nchain_id = 7\naddress = "{address}"\nname = "regulator"\n', encoding="utf-8")
    assert load_trust_file(absent, explicit=False) == {7: TrustedRegistry(7, address, "regulator")}
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * ((1 << 20) + 1))
    with pytest.raises(ScannerInputError, match="larger than 1048576 bytes"):
        load_trust_file(big, explicit=True)
    unreadable = tmp_path / "dir.toml"
    unreadable.mkdir()
    with pytest.raises(ScannerInputError) as raised:
        load_trust_file(unreadable, explicit=True)
    assert raised.value.code == "bad_trust_file"
    result = runner.invoke(
        app, ["verify", str(big), "--timeout", "2"], env={"XDG_CONFIG_HOME": str(tmp_path), "SCANNER_RPC_URL": dead_url}
    )
    assert result.exit_code == 2  # the default file is absent here: the bundle file is what cannot be used
    assert str(default_trust_file()).endswith("/supplychain/registries.toml")
