"""Several hosts on one database share the receipt-signing key through it (``platform_secret``, migration 0011):
receipts, sessions and page tokens signed on one host verify on every other. Real SQLite file here; PostgreSQL in
tests/backend/test_postgres.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.core.config import Settings
from backend.services.platform import Platform
from chain.connection import TESTER_URL


def host(tmp_path: Path, name: str, database_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / name,
        database_url=database_url,
        rpc_url=TESTER_URL,
        run_worker=False,
        capture_workers=0,
    )


def test_hosts_with_their_own_data_folders_sign_with_one_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = Platform.open(host(tmp_path, "a", url))
    second = Platform.open(host(tmp_path, "b", url))
    try:
        assert first.receipt_key.public_key_bytes == second.receipt_key.public_key_bytes
        assert first.session_key == second.session_key
        assert (tmp_path / "a" / "keys" / "platform-receipts.key").exists()
        assert not (tmp_path / "b" / "keys" / "platform-receipts.key").exists()  # host b never made its own
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_an_existing_platform_keeps_its_data_folders_key(tmp_path: Path) -> None:
    key_file = tmp_path / "a" / "keys" / "platform-receipts.key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text("42" * 32 + "\n", encoding="ascii")
    platform = Platform.open(host(tmp_path, "a", f"sqlite:///{tmp_path / 'old.db'}"))
    try:
        assert platform.receipt_key.private_bytes() == b"\x42" * 32
        with platform.engine.connect() as connection:
            stored = connection.execute(text("SELECT value FROM platform_secret WHERE name = 'receipt_key'")).scalar()
        assert stored == "42" * 32
    finally:
        platform.engine.dispose()


def test_a_data_folder_with_another_key_is_told_and_the_databases_key_is_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    Platform.open(host(tmp_path, "a", url)).engine.dispose()
    other = tmp_path / "b" / "keys" / "platform-receipts.key"
    other.parent.mkdir(parents=True)
    other.write_text("07" * 32 + "\n", encoding="ascii")
    with caplog.at_level(logging.WARNING):
        platform = Platform.open(host(tmp_path, "b", url))
    try:
        assert platform.receipt_key.private_bytes() != b"\x07" * 32
        assert "differs from the receipt key the platform's database holds" in caplog.text
    finally:
        platform.engine.dispose()


@pytest.mark.parametrize("damaged", ["not hex", "42" * 31, ""])
def test_a_damaged_stored_key_stops_the_start_saying_so(tmp_path: Path, damaged: str) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    Platform.open(host(tmp_path, "a", url)).engine.dispose()
    platform = Platform.open(host(tmp_path, "a", url))
    with platform.engine.begin() as connection:
        connection.execute(text("UPDATE platform_secret SET value = :v"), {"v": damaged})
    platform.engine.dispose()
    with pytest.raises(RuntimeError, match=r"the stored receipt key \(platform_secret 'receipt_key'\) is damaged"):
        Platform.open(host(tmp_path, "a", url))
