"""The ``keys`` command line: generate, show and sign, with their errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.keys_cmd import app
from supplychain.eventhash import event_hash_id
from supplychain.signing import decrypt_private_key, encrypt_private_key, generate_signing_key, verify_envelope

GLN = "4012345000009"
SECRET = "correct horse battery staple"
ENV = ["--passphrase-env", "SC_TEST_PASSPHRASE"]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SC_TEST_PASSPHRASE", SECRET)
    return CliRunner()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "manufacturer.key"
    path.write_bytes(encrypt_private_key(generate_signing_key(), SECRET, scrypt_n=2**14))
    return path


def test_generate_writes_a_private_encrypted_key_and_prints_its_id(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "org.key"
    result = runner.invoke(app, ["generate", "--out", str(out), *ENV])
    assert result.exit_code == 0, result.stderr
    key_id = result.stdout.strip()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert decrypt_private_key(out.read_bytes(), SECRET).key_id == key_id
    assert key_id.startswith("0x")
    assert len(key_id) == 66


def test_generate_prompts_for_the_passphrase_twice(tmp_path: Path) -> None:
    out = tmp_path / "org.key"
    result = CliRunner().invoke(app, ["generate", "-o", str(out)], input="typed secret\ntyped secret\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Passphrase") == 1
    assert "Repeat for confirmation" in result.stdout
    assert decrypt_private_key(out.read_bytes(), "typed secret").key_id in result.stdout


def test_generate_never_overwrites(runner: CliRunner, key_file: Path) -> None:
    before = key_file.read_bytes()
    result = runner.invoke(app, ["generate", "--out", str(key_file), *ENV])
    assert result.exit_code == 1
    assert "already exists; refusing to overwrite" in result.stderr
    assert key_file.read_bytes() == before


@pytest.mark.parametrize(
    ("env", "message"),
    [({}, "environment variable SC_TEST_PASSPHRASE is not set"), ({"SC_TEST_PASSPHRASE": ""}, "non-empty passphrase")],
)
def test_generate_refuses_missing_or_empty_passphrases(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    monkeypatch.delenv("SC_TEST_PASSPHRASE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "org.key"
    result = CliRunner().invoke(app, ["generate", "--out", str(out), *ENV])
    assert result.exit_code == 1
    assert message in result.stderr
    assert not out.exists()


def test_generate_reports_an_unwritable_place(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "missing" / "org.key"), *ENV])
    assert result.exit_code == 1
    assert "cannot create" in result.stderr


def test_show_prints_the_key_id(runner: CliRunner, key_file: Path) -> None:
    key = decrypt_private_key(key_file.read_bytes(), SECRET)
    result = runner.invoke(app, ["show", str(key_file), *ENV])
    assert result.exit_code == 0, result.stderr
    assert f"key id:     {key.key_id}" in result.stdout
    assert key.public_key_bytes.hex() in result.stdout
    prompted = CliRunner().invoke(app, ["show", str(key_file)], input=f"{SECRET}\n")
    assert prompted.exit_code == 0
    assert key.key_id in prompted.stdout


def test_show_with_a_wrong_passphrase_fails(key_file: Path) -> None:
    result = CliRunner().invoke(app, ["show", str(key_file)], input="not it\n")
    assert result.exit_code == 1
    assert "wrong passphrase" in result.stderr


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read key file"), (b"{}", "not a keystore")])
def test_show_of_a_missing_or_foreign_file_fails(
    runner: CliRunner, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "org.key"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["show", str(path), *ENV])
    assert result.exit_code == 1
    assert message in result.stderr


def _hash_ids(vectors_dir: Path, name: str) -> list[str]:
    return (vectors_dir / "epcis-event-hash" / "examples" / f"{name}.hashes").read_text().split()


@pytest.mark.parametrize(
    "document",
    ["epcisDocWithVariousEventTypes.jsonld", "epcisDocWithVariousEventTypes.xml", "epcisEventWithCURIEs.jsonld"],
)
def test_sign_writes_envelopes_that_verify_on_their_own(
    runner: CliRunner, key_file: Path, tmp_path: Path, vectors_dir: Path, document: str
) -> None:
    source = vectors_dir / "epcis-event-hash" / "examples" / document
    out = tmp_path / "signed.json"
    result = runner.invoke(app, ["sign", str(source), "--key", str(key_file), "--org", GLN, "--out", str(out), *ENV])
    assert result.exit_code == 0, result.stderr
    envelopes = json.loads(out.read_text())
    expected = _hash_ids(vectors_dir, source.stem)
    assert [e["eventHashId"] for e in envelopes] == expected
    assert f"{len(expected)} signed event{'s' if len(expected) > 1 else ''} written to {out}" in result.stderr
    key = decrypt_private_key(key_file.read_bytes(), SECRET)
    for envelope in envelopes:
        assert envelope["organisationId"] == GLN
        verify_envelope(envelope, key.public_key_bytes, expected_hash_id=event_hash_id(envelope["event"]))
    assert len(envelopes) >= 1


def test_sign_writes_to_stdout_by_default(runner: CliRunner, key_file: Path, vectors_dir: Path) -> None:
    source = vectors_dir / "epcis-event-hash" / "examples" / "epcisDocWithSingleEvent.jsonld"
    result = runner.invoke(app, ["sign", str(source), "-k", str(key_file), "--org", GLN, *ENV])
    assert result.exit_code == 0, result.stderr
    envelopes = json.loads(result.stdout)
    assert [e["eventHashId"] for e in envelopes] == _hash_ids(vectors_dir, "epcisDocWithSingleEvent")


def test_sign_leaves_out_the_fields_ignore_fields_names(runner: CliRunner, key_file: Path, vectors_dir: Path) -> None:
    from supplychain.eventhash import hash_document

    source = vectors_dir / "epcis-event-hash" / "examples" / "epcisDocHavingEventWithIgnoreFields.jsonld"
    result = runner.invoke(app, ["sign", str(source), "-k", str(key_file), "--org", GLN, *ENV])
    assert result.exit_code == 0, result.stderr
    envelopes = json.loads(result.stdout)
    assert [e["eventHashId"] for e in envelopes] == hash_document(source.read_bytes())
    for envelope in envelopes:
        assert not {"repository-x:hash", "example:captureID"} & set(envelope["event"])
        assert event_hash_id(envelope["event"]) == envelope["eventHashId"]  # a verifier recomputes it alone


def test_sign_refuses_events_whose_hash_needs_the_document(runner: CliRunner, key_file: Path, tmp_path: Path) -> None:
    event = {"@context": {"ex": "urn:ex:"}, "type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z", "doc:x": "1"}
    document = {"@context": [{"doc": "urn:doc:"}], "epcisBody": {"eventList": [event]}}
    source = tmp_path / "doc.jsonld"
    source.write_text(json.dumps(document))
    result = runner.invoke(app, ["sign", str(source), "-k", str(key_file), "--org", GLN, *ENV])
    assert result.exit_code == 1
    assert "event 0 cannot be signed on its own" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "case",
    [
        (b'{"epcisBody": {"eventList": [{"type": "ObjectEvent"}]}}', "ACME", "organisationId"),
        (b"plain text", GLN, "neither JSON"),
        (None, GLN, "cannot read document"),
    ],
)
def test_sign_reports_bad_input(
    runner: CliRunner, key_file: Path, tmp_path: Path, case: tuple[bytes | None, str, str]
) -> None:
    document, org, message = case
    source = tmp_path / "doc.jsonld"
    if document is not None:
        source.write_bytes(document)
    result = runner.invoke(app, ["sign", str(source), "-k", str(key_file), "--org", org, *ENV])
    assert result.exit_code == 1
    assert message in result.stderr


def test_sign_never_overwrites_its_output(runner: CliRunner, key_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.json"
    out.write_text("[]")
    result = runner.invoke(app, ["sign", str(key_file), "-k", str(key_file), "--org", GLN, "-o", str(out), *ENV])
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert out.read_text() == "[]"


def test_sign_event_header_signs_one_bare_event(
    runner: CliRunner, key_file: Path, vectors_dir: Path, tmp_path: Path
) -> None:
    from backend.services.capture import parse_signature_header
    from supplychain.eventhash import hash_context
    from supplychain.signing import decode_signature, verify_signature

    source = vectors_dir / "openepcis/2.0/EPCIS/JSON/Capture/Events/ObjectEvent.json"
    result = runner.invoke(app, ["sign", str(source), "-k", str(key_file), "--event-header", *ENV])
    assert result.exit_code == 0, result.stderr
    members = parse_signature_header(result.stdout.strip())
    event = json.loads(source.read_text(encoding="utf-8"))
    assert members["eventHashId"] == event_hash_id(event, hash_context(event["@context"]))
    key = decrypt_private_key(key_file.read_bytes(), SECRET)
    assert members["keyId"] == key.key_id
    verify_signature(key.public_key_bytes, members["eventHashId"], decode_signature(members["signature"]))
    out = tmp_path / "header.txt"
    written = runner.invoke(app, ["sign", str(source), "-k", str(key_file), "--event-header", "-o", str(out), *ENV])
    assert written.exit_code == 0 and "SC-Event-Signature value written" in written.stderr
    assert out.read_text() == result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"@context": [], "type": "EPCISDocument"}', "expected one bare event"),
        (b"[1]", "a single event is a JSON object"),
        (b"{oops", "JSON"),
    ],
)
def test_sign_event_header_reports_what_is_not_one_event(
    runner: CliRunner, key_file: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "event.json"
    source.write_bytes(content)
    result = runner.invoke(app, ["sign", str(source), "-k", str(key_file), "--event-header", *ENV])
    assert result.exit_code == 1
    assert message in result.stderr


def test_sign_needs_an_organisation_unless_it_signs_one_event(runner: CliRunner, key_file: Path) -> None:
    result = runner.invoke(app, ["sign", str(key_file), "-k", str(key_file), *ENV])
    assert result.exit_code == 1
    assert "--org is required" in result.stderr
