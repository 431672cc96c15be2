"""The running platform: settings, database, registry view, receipt key, anchoring worker — one object per process."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.core.db import make_engine, migrate
from backend.models import ApiToken, Batch, PlatformSecret, table_of
from backend.services.damage import DamageLog
from backend.services.lease import ANCHORER, Lease
from backend.services.metrics import Metrics
from backend.services.queries import page_key
from backend.services.registry_view import RegistryView
from backend.services.sessions import session_key
from backend.services.signing_pool import SigningPool
from chain.connection import Chain
from supplychain.registry import RegistryMirror
from supplychain.signing import SigningKey

__all__ = ["Platform", "hash_token", "now_ms"]

log = logging.getLogger(__name__)


def now_ms() -> int:
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def hash_token(token: str) -> str:
    """How a token is stored: its SHA-256 in hex (tokens are long random strings, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _local_key(path: Path) -> SigningKey:
    """The data folder's receipt key, made if missing (32 random bytes, file mode 0600)."""
    if path.exists():
        return SigningKey.from_private_bytes(bytes.fromhex(path.read_text(encoding="ascii").strip()))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.from_private_bytes(secrets.token_bytes(32))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.private_bytes().hex() + "\n")
    return key


_RECEIPT_KEY = "receipt_key"


def _receipt_key(path: Path, engine: Engine) -> SigningKey:
    """The platform's receipt-signing key, one for every host sharing the database (``platform_secret``).

    The first host to start stores the key of its data folder (made there if missing); every host, that one included,
    then signs with the stored key. A data folder whose own key differs is left as it is, with a warning.

    Raises:
        RuntimeError: the stored key is not 32 bytes of hex (damaged storage: restore it from a backup).
    """
    secret = table_of(PlatformSecret)
    with Session(engine) as session:
        stored = session.execute(select(secret.c.value).where(secret.c.name == _RECEIPT_KEY)).scalar_one_or_none()
    if stored is None:
        local = _local_key(path)
        insert = postgresql.insert(secret) if engine.dialect.name == "postgresql" else sqlite.insert(secret)
        with engine.begin() as connection:  # two hosts starting at once: the first insert wins, both read it back
            connection.execute(
                insert.values(
                    name=_RECEIPT_KEY, value=local.private_bytes().hex(), created_ms=now_ms()
                ).on_conflict_do_nothing(index_elements=["name"])
            )
            stored = connection.execute(select(secret.c.value).where(secret.c.name == _RECEIPT_KEY)).scalar_one()
    try:
        raw = bytes.fromhex(stored)
        if len(raw) != 32:
            raise ValueError(f"{len(raw)} bytes")
        key = SigningKey.from_private_bytes(raw)
    except ValueError as exc:
        raise RuntimeError(
            f"the stored receipt key (platform_secret {_RECEIPT_KEY!r}) is damaged ({exc}): restore it from a backup"
        ) from None
    if path.exists() and _local_key(path).private_bytes() != raw:
        log.warning("%s differs from the receipt key the platform's database holds: the database's key is used", path)
    return key


@dataclass
class Platform:
    """Everything a request or the worker needs."""

    settings: Settings
    engine: Engine
    receipt_key: SigningKey
    metrics: Metrics = field(default_factory=Metrics, repr=False)
    _registry: RegistryView | None = field(default=None, repr=False)
    _registry_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _signing_pool: SigningPool | None = field(default=None, repr=False)
    chain: Chain | None = field(default=None, repr=False)  # connected already (see open); else settings.rpc_url
    seen: tuple[RegistryMirror, int] | None = field(default=None, repr=False)  # see open
    damage: DamageLog = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.damage = DamageLog(on_new=self.metrics.count_damaged)

    @classmethod
    def open(
        cls, settings: Settings, *, chain: Chain | None = None, seen: tuple[RegistryMirror, int] | None = None
    ) -> Platform:
        """Open the database (migrated to the latest schema) and the receipt key; the chain is connected lazily.

        Args:
            settings: The platform's settings.
            chain: A chain connected already, used instead of connecting to ``settings.rpc_url`` (the tests share one
                in-process chain, with the registry deployed once, between the platforms they open).
            seen: The registry as read up to a block (not included), with its transactions journaled in the database
                already: the registry view starts from it (see :class:`RegistryView`; the tests' platforms open on
                copies of one journaled database and one chain snapshot).
        """
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database)
        migrate(engine)
        key = _receipt_key(settings.data_dir / "keys" / "platform-receipts.key", engine)
        platform = cls(settings, engine, key, chain=chain, seen=seen)
        if settings.regulator_token is not None:
            platform.ensure_token(settings.regulator_token.get_secret_value(), org_id=None, role="regulator")
        return platform

    @property
    def registry(self) -> RegistryView:
        """The registry view, made on first use (it connects to the chain lazily: the chain may be down)."""
        with self._registry_lock:
            return self._registry or self._open_registry()

    def _open_registry(self) -> RegistryView:
        if self._registry is None:
            s = self.settings
            view = RegistryView(
                s.rpc_url,
                s.deployment_path,
                s.anchorer_private_key,
                self.engine,
                max_age=s.registry_refresh_seconds,
                on_restored=self._remake_anchors,
                attempts=s.rpc_attempts,
                chain=self.chain,
                seen=self.seen,
            )
            view.refresh(force=True)
            self._registry = view
        return self._registry

    def _remake_anchors(self, view: RegistryView) -> None:
        """After a dev-chain reset was restored: give each anchored batch its new block and time, marked re-made."""
        registry = view.registry
        remade = now_ms()
        with self.session() as session:
            batches = session.exec(select(Batch).where(col(Batch.status).in_(("anchored", "sent")))).all()
            for batch in batches:
                root = bytes.fromhex(batch.root[2:])
                if not registry.is_anchored(root):
                    continue  # sent but never mined before the reset: the worker sends its bytes again
                info = registry.anchor_of(root)
                batch.status, batch.sequence = "anchored", info.sequence
                batch.block_number, batch.block_time, batch.remade_at = info.block_number, info.anchored_at, remade
                session.add(batch)
            session.commit()
        log.warning("anchors re-made on the restored chain")

    @property
    def signing_pool(self) -> SigningPool:
        """The processes that verify signatures and sign receipts of bulk captures (started on first bulk use)."""
        with self._registry_lock:
            if self._signing_pool is None:
                self._signing_pool = SigningPool(self.receipt_key, self.settings.capture_workers)
            return self._signing_pool

    @functools.cached_property
    def anchor_lease(self) -> Lease:
        """This process's hold on the anchoring lease (one holder per process, whatever workers it makes: a restarted
        process is a new holder, which waits for the old one's lease to run out)."""
        return Lease(self.engine, ANCHORER, ttl_seconds=self.settings.anchor_lease_seconds)

    def restarted_anchorer(self, holder: str) -> None:
        """Hold the anchoring lease as ``holder``, a supervisor's worker slot restarted after its process died: the
        dead process's lease is taken at once rather than after it runs out (:class:`Lease`, ``restarted``)."""
        self.__dict__["anchor_lease"] = Lease(
            self.engine, ANCHORER, holder=holder, ttl_seconds=self.settings.anchor_lease_seconds, restarted=True
        )

    @functools.cached_property
    def session_key(self) -> bytes:
        """The key of browser sessions (:mod:`backend.services.sessions`), derived from the receipt key."""
        return session_key(self.receipt_key.private_bytes())

    @functools.cached_property
    def page_key(self) -> bytes:
        """The key that signs ``GET /events`` page tokens (:func:`backend.services.queries.page_key`)."""
        return page_key(self.receipt_key.private_bytes())

    def session(self) -> Session:
        """A new database session (its ``info["damage"]`` is the platform's :class:`DamageLog`)."""
        return Session(self.engine, info={"damage": self.damage})

    def ensure_token(self, token: str, *, org_id: str | None, role: str, label: str = "") -> None:
        """Store ``token`` (hashed) for an organisation or the regulator, unless it is already there."""
        digest = hash_token(token)
        with self.session() as session:
            if session.exec(select(ApiToken).where(col(ApiToken.token_hash) == digest)).first() is None:
                session.add(ApiToken(token_hash=digest, org_id=org_id, role=role, label=label, created_at=now_ms()))
                session.commit()

    def issue_token(self, *, org_id: str | None, role: str, label: str = "") -> str:
        """A new random token for an organisation (or the regulator); only its hash is stored."""
        token = "sc_" + secrets.token_urlsafe(32)
        self.ensure_token(token, org_id=org_id, role=role, label=label)
        return token

    def tokens(self) -> list[ApiToken]:
        """Every API token as stored (their hashes, never the tokens), oldest first."""
        with self.session() as session:
            return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())

    def revoke_token(self, token_id: int) -> ApiToken | None:
        """Revoke the token ``token_id`` now (its requests get 401 from then on, and so do browser sessions signed in
        with it); the token as stored, or ``None`` when there is none with this id. Revoking twice keeps the first
        time."""
        with self.session() as session:
            token = session.get(ApiToken, token_id)
            if token is None:
                return None
            if token.revoked_at is None:
                token.revoked_at = now_ms()
                session.add(token)
                session.commit()
                session.refresh(token)
            return token

    def close(self) -> None:
        """Release the anchoring lease if this process holds it, the database, and stop the signing processes."""
        if self._signing_pool is not None:
            self._signing_pool.close()
        lease = self.__dict__.get("anchor_lease")
        if isinstance(lease, Lease) and lease.held:
            try:
                lease.release()  # another process's worker need not wait for it to run out
            except Exception as exc:  # the database is gone: the lease runs out by itself
                log.warning("the anchoring lease was not released (%s): it runs out by itself", exc)
        self.engine.dispose()
