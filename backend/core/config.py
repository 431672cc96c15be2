"""The service's settings: one ``Settings`` from ``SUPPLYCHAIN_*`` environment variables or a TOML file.

``SUPPLYCHAIN_CONFIG=path/to/supplychain.toml`` names a file of the same keys (lower case, no prefix); environment
variables win over it. Outside ``development`` and ``test`` the settings refuse the well-known development keys and
placeholder tokens.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from chain.accounts import DEV_ACCOUNTS, dev_account

__all__ = ["Settings"]

_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "token", "regulator"}


class Settings(BaseSettings):
    """Everything the service can be told; see the README for the environment variables."""

    model_config = SettingsConfigDict(env_prefix="SUPPLYCHAIN_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(Path("data"), description="Folder of the SQLite file, keys, QR codes and the chain state.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in WAL mode under data_dir.")
    rpc_url: str = Field(
        "http://127.0.0.1:8545",
        description="JSON-RPC URL of the chain ('tester' for in-process); several URLs of one chain separated by "
        "commas are used in that order of preference, with failover.",
    )
    deployment_file: Path | None = Field(None, description="Where the registry is; default data_dir/deployment.json.")
    anchorer_key: SecretStr | None = Field(None, description="Hex private key of the anchoring account.")
    regulator_token: SecretStr | None = Field(None, description="API token of the regulator's routes.")
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base of the Digital Link URIs in QR codes.")
    host: str = "127.0.0.1"
    port: int = 8000
    batch_max_events: int = Field(10_000, ge=1, le=1_000_000, description="Anchor as soon as this many are pending.")
    batch_interval_seconds: float = Field(1.0, gt=0, description="Anchor what is pending at least this often.")
    anchor_deadline_seconds: int = Field(300, ge=1, description="Receipts promise anchoring within this time.")
    clock_skew_seconds: int = Field(300, ge=0, description="How far in the future an event time may be.")
    registry_refresh_seconds: float = Field(2.0, ge=0, description="How old the registry mirror may be at capture.")
    anchor_lease_seconds: float = Field(
        10.0,
        ge=0.5,
        le=600,
        description="How long the anchoring lease lasts unless renewed: when its holder dies, a worker on another "
        "host takes over after at most this long (the holder renews it every third of it).",
    )
    confirmations: int = Field(
        0,
        ge=0,
        le=1000,
        description="Blocks that must hold an anchor (its own and those on top) before it is final; until then the "
        "worker watches it for reorgs and anchors it again if its block is dropped (0 or 1: final with its receipt, "
        "right for the dev chains).",
    )
    fee_bump_seconds: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="An anchoring transaction still pending after this long is replaced at the same nonce with fees "
        "raised by 12.5 % at least (and to what the chain asks), up to fee_ceiling_gwei.",
    )
    fee_ceiling_gwei: float = Field(
        500.0,
        gt=0,
        description="Highest fee cap per gas (gwei) an anchoring transaction may offer when its fees are bumped.",
    )
    run_worker: bool = Field(True, description="Run the anchoring worker (`serve`: as its own supervised process).")
    rpc_attempts: int = Field(6, ge=1, le=20, description="Tries of a request to an unreachable node (backoff: ~6 s).")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies whose X-Forwarded-For is believed (comma separated, '*' for any): the client address "
        "counts consumer scans by network.",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body of every route but POST /capture (bytes)."
    )
    max_capture_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, le=1024**3, description="Largest EPCIS document POST /capture reads (bytes)."
    )
    max_json_depth: int = Field(
        64, ge=2, le=200, description="Deepest nesting of arrays and objects in a JSON request body."
    )
    max_query_bytes: int = Field(8192, ge=256, description="Longest query string (bytes, as sent).")
    max_query_parameters: int = Field(100, ge=1, description="Most query parameters of one request.")
    max_parameter_chars: int = Field(2048, ge=64, description="Longest query parameter name or value (decoded).")
    max_bulk_codes: int = Field(
        10_000, ge=1, description="Most QR codes one /qr/bulk.zip or /qr/labels request may ask for."
    )
    capture_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=0,
        le=64,
        description="Processes that verify signatures and sign receipts of bulk captures (0: in the request thread).",
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, le=600, description="A connection whose request line and headers are not complete by then closes."
    )
    body_timeout_seconds: float = Field(
        20.0, gt=0, le=600, description="A request body that sends no bytes for this long gets 408 and is closed."
    )
    max_header_bytes: int = Field(
        65_536,
        ge=4096,
        le=1_048_576,
        description="Request line and headers together larger than this are refused with 431 (the connection closes).",
    )
    max_header_count: int = Field(100, ge=16, le=1000, description="More request headers than this are refused (431).")
    keep_alive_timeout_seconds: float = Field(
        5.0, gt=0, le=600, description="An idle keep-alive connection closes after this long."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the TOML file named by ``SUPPLYCHAIN_CONFIG``."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("SUPPLYCHAIN_CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @model_validator(mode="after")
    def _supported_database(self) -> Settings:
        scheme = self.database.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql"):
            raise ValueError(f"database_url must be SQLite or PostgreSQL, not {scheme!r}")
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        dev_keys = {a.private_key.removeprefix("0x") for a in DEV_ACCOUNTS}
        if self.anchorer_key is None or self.anchorer_key.get_secret_value().removeprefix("0x") in dev_keys:
            raise ValueError("production needs SUPPLYCHAIN_ANCHORER_KEY, and not a well-known development key")
        token = self.regulator_token.get_secret_value() if self.regulator_token else ""
        if token.lower() in _PLACEHOLDERS or len(token) < 24:
            raise ValueError("production needs SUPPLYCHAIN_REGULATOR_TOKEN of at least 24 characters")
        return self

    # --- derived ---

    @property
    def database(self) -> str:
        """The database URL in use."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'supplychain.db').resolve()}"

    @property
    def deployment_path(self) -> Path:
        """The registry's deployment record."""
        return self.deployment_file or self.data_dir / "deployment.json"

    @property
    def anchorer_private_key(self) -> str:
        """The anchoring account's key (the development anchorer outside production)."""
        if self.anchorer_key is not None:
            return self.anchorer_key.get_secret_value()
        return dev_account("anchorer").private_key
