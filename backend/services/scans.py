"""Consumer scans of issued codes, and the copied-code hint they raise (防伪提示：可能是被复制的二维码).

Each product page served for a code is a scan (:func:`backend.services.product_html.product_page_response`). Of the
client, a scan stores two salted hashes (16 hex digits; the salt is derived from a platform secret and never stored):
of its network (/24 for IPv4, /48 for IPv6: about one household, office or phone session) and of its address block
(/16 for IPv4, /32 for IPv6: about one operator's region or one provider); never its address.

The hint, for a serial only (a lot code is shared by every item of its lot):

* **Spread, not volume.** A genuine serial is looked up by its buyer and a few people around it, from a few
  blocks; a code copied onto fakes sold in several cities is looked up by each fake's buyer, from blocks far apart,
  for as long as the fakes sell. The page warns when, within the last :data:`SCAN_WINDOW_DAYS` days, the serial was
  looked up from at least :data:`SCAN_WARN_BLOCKS` blocks.
* **A day adds little.** Each day (Beijing time) counts at most :data:`SCAN_DAY_BLOCKS` blocks not counted before,
  so the hint needs look-ups on at least ``ceil(SCAN_WARN_BLOCKS / SCAN_DAY_BLOCKS)`` days: a burst, from however
  many addresses, counts as one day's worth. Scans older than the window count no more: the hint decays.
* **Bounded evidence per place.** A network is stored once a day per code, a block at most
  :data:`SCAN_BLOCK_DAY_ROWS` times a day per code: one script, or one provider's addresses, can neither pile up
  look-ups nor push a clone's scans out of the :data:`SCAN_READ_LIMIT` newest that a page reads.
* **The owner decides.** The GTIN's owner on chain or its delegate, or the regulator, records a
  :class:`~backend.models.CopyCheck` (``POST /copy-checks``): ``copied`` confirms the hint whatever the scans;
  ``cleared`` makes the scans until then count no more (a clone pattern that starts again raises it again).

What it does not stop: someone holding addresses in a dozen blocks who keeps at it for days can still raise the hint
on one serial; its owner then clears it. Scans stored before migration 0007 have no block and count as networks only.

Costs per page: the code's scans of the window, newest first, at most :data:`SCAN_READ_LIMIT` rows of one index
(``ix_scan_serial`` for a serial: it holds every column read), its first scan and its latest check (an index seek
each). The new scan is written after the page was sent.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import takewhile
from typing import Any, Literal

from sqlalchemy import func, insert, select
from sqlmodel import Session, col
from sqlmodel import select as select_model

from backend.core.errors import P_, NotFoundError
from backend.models import CopyCheck, IssuedCode, Scan, table_of
from backend.services.damage import as_int, issued_code_problem, report
from backend.services.issuance import REGULATOR
from backend.services.qr import CodeKey

__all__ = [
    "DAY_MS",
    "SCAN_BLOCK_DAY_ROWS",
    "SCAN_DAY_BLOCKS",
    "SCAN_READ_LIMIT",
    "SCAN_WARN_BLOCKS",
    "SCAN_WINDOW_DAYS",
    "Checked",
    "CopyState",
    "ScanStats",
    "block_of",
    "block_origin_of",
    "copy_evidence",
    "count_scans",
    "day_of",
    "latest_check",
    "network_of",
    "origin_of",
    "record_copy_check",
    "record_scan",
    "scan_salt",
    "scan_stats",
    "store_scan",
]

SCAN_WINDOW_DAYS = 30
"""Scans older than this many days count no more (the hint decays)."""
SCAN_WARN_BLOCKS = 12
"""A serial looked up from this many address blocks (/16, /32) within the window gets the copied-code hint."""
SCAN_DAY_BLOCKS = 3
"""Blocks not counted before that one day (Beijing time) may add: a burst is one day's worth."""
SCAN_BLOCK_DAY_ROWS = 4
"""Scans of one code stored per block and day, at most (and one per network and day)."""
SCAN_READ_LIMIT = 2000
"""Scans a page reads of one code, the newest of the window, at most."""
DAY_MS = 86_400_000
_BEIJING_MS = 8 * 3_600_000
_SCAN_DOMAIN = b"supplychain scan origin v1"

CopyState = Literal["copied", "cleared"]
"""An issuer's finding: its serial's code was ``copied`` (the hint is confirmed), or it ``cleared`` it."""


def day_of(ms: int) -> int:
    """The day (Beijing time, UTC+8, as the pages show times) of a time in milliseconds, as a day number."""
    return (ms + _BEIJING_MS) // DAY_MS


# --- where a scan comes from ---


def scan_salt(secret: bytes) -> bytes:
    """The salt of the scan origins, derived from a platform secret (its receipt key) so it is never stored."""
    return hmac.new(secret, _SCAN_DOMAIN, hashlib.sha256).digest()


def _prefix(host: str | None, v4: int, v6: int) -> str:
    try:
        ip = ipaddress.ip_address((host or "").strip())
    except ValueError:
        return "host:" + (host or "")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{v4 if ip.version == 4 else v6}", strict=False))


def network_of(host: str | None) -> str:
    """The client's network: ``a.b.c.0/24`` for IPv4 (also IPv4-mapped IPv6), the /48 for IPv6, else the host."""
    return _prefix(host, 24, 48)


def block_of(host: str | None) -> str:
    """The client's address block: ``a.b.0.0/16`` for IPv4 (also IPv4-mapped IPv6), the /32 for IPv6, else the
    host."""
    return _prefix(host, 16, 32)


def origin_of(host: str | None, salt: bytes) -> str:
    """What a scan stores of the client's network: 16 hex digits of a salted hash of :func:`network_of`."""
    return hmac.new(salt, network_of(host).encode(), hashlib.sha256).hexdigest()[:16]


def block_origin_of(host: str | None, salt: bytes) -> str:
    """What a scan stores of the client's block: 16 hex digits of a salted hash of :func:`block_of`."""
    return hmac.new(salt, b"block " + block_of(host).encode(), hashlib.sha256).hexdigest()[:16]


# --- counting ---


@dataclass(frozen=True, slots=True)
class Checked:
    """The latest copy check of a serial: ``state`` (:data:`CopyState`), ``by`` (the issuer's id, or
    ``"regulator"``), ``at`` (ms)."""

    state: str
    by: str
    at: int


@dataclass(frozen=True, slots=True)
class ScanStats:
    """How a code has been looked up (this view included when it was stored).

    Attributes:
        scans: Scans within the window (one per network and day).
        places: Distinct networks (/24, /48) within the window.
        first_at: The first scan ever (ms), ``None`` when none was recorded.
        serial: Whether the code is a serial's (only a serial's scans can hint at a copied code).
        blocks: Blocks counted toward the hint (at most :data:`SCAN_DAY_BLOCKS` new a day, since the window's start
            or the serial's clearing, whichever is later).
        days: Days on which blocks were counted.
        checked: The serial's latest copy check, if any.
        alone: No other network ever looked the code up.
        capped: The read stopped at :data:`SCAN_READ_LIMIT` scans (``scans`` is at least that).
        warn_blocks: The hint's threshold (:data:`SCAN_WARN_BLOCKS`).
        day_blocks: Blocks a day may add (:data:`SCAN_DAY_BLOCKS`).
        window_days: The window (:data:`SCAN_WINDOW_DAYS`).
    """

    scans: int
    places: int
    first_at: int | None
    serial: bool
    blocks: int = 0
    days: int = 0
    checked: Checked | None = None
    alone: bool = False
    capped: bool = False
    warn_blocks: int = SCAN_WARN_BLOCKS
    day_blocks: int = SCAN_DAY_BLOCKS
    window_days: int = SCAN_WINDOW_DAYS

    @property
    def min_days(self) -> int:
        """The fewest days of look-ups that can raise the hint."""
        return -(-self.warn_blocks // self.day_blocks)

    @property
    def too_spread(self) -> bool:
        """Looked up from more blocks, over more days, than a genuine item is."""
        return self.serial and self.blocks >= self.warn_blocks

    @property
    def confirmed(self) -> bool:
        """Its issuer (or the regulator) found that its code was copied."""
        return self.serial and self.checked is not None and self.checked.state == "copied"

    @property
    def cleared(self) -> bool:
        """Its issuer (or the regulator) cleared it: earlier scans count no more."""
        return self.checked is not None and self.checked.state == "cleared"

    @property
    def suspicious(self) -> bool:
        """The hint applies: possibly (or, confirmed, surely) a copied code."""
        return self.too_spread or self.confirmed


def _scan_filter(key: CodeKey, lot: str | None) -> list[Any]:
    if key.serial is not None:  # one item, whichever link form was scanned
        return [col(Scan.gtin) == key.gtin, col(Scan.serial) == key.serial]
    lot_is = col(Scan.lot).is_(None) if lot is None else col(Scan.lot) == lot
    return [col(Scan.gtin) == key.gtin, col(Scan.serial).is_(None), lot_is]


def _spread(rows: Iterable[tuple[int, str, str | None]]) -> tuple[int, int]:
    """Blocks counted and the days they were counted on, of scans in time order (see the module docstring)."""
    per_day: Counter[int] = Counter()
    counted: set[str] = set()
    for at, _, block in rows:
        if block is None or block in counted:
            continue
        day = day_of(at)
        if per_day[day] < SCAN_DAY_BLOCKS:
            per_day[day] += 1
            counted.add(block)
    return len(counted), len(per_day)


def latest_check(session: Session, gtin: str, serial: str) -> Checked | None:
    """The serial's latest copy check, or ``None``."""
    found = session.execute(
        select(col(CopyCheck.state), col(CopyCheck.org_id), col(CopyCheck.checked_at))
        .where(col(CopyCheck.gtin) == gtin, col(CopyCheck.serial) == serial)
        .order_by(col(CopyCheck.checked_at).desc(), col(CopyCheck.id).desc())
        .limit(1)
    ).first()
    return None if found is None else Checked(str(found[0]), str(found[1]), int(found[2]))


def scan_stats(
    session: Session,
    key: CodeKey,
    lot: str | None,
    at_ms: int,
    *,
    origin: str | None = None,
    block: str | None = None,
) -> tuple[ScanStats, dict[str, Any] | None]:
    """The code's scans at ``at_ms``, counting a look-up from ``origin`` (and ``block``) when given, and the row that
    records it (``None`` when it does not count: its network looked the code up that day already, or its block
    did :data:`SCAN_BLOCK_DAY_ROWS` times). Reads only: store the row with :func:`store_scan`. A look-up without a
    block (a caller that has none) is stored without one: it counts as a network, not toward the hint."""
    since = at_ms - SCAN_WINDOW_DAYS * DAY_MS
    where = _scan_filter(key, lot)
    newest = session.execute(
        select(col(Scan.scanned_at), col(Scan.origin), col(Scan.block))
        .where(*where, col(Scan.scanned_at) > since, col(Scan.scanned_at) <= at_ms)
        .order_by(col(Scan.scanned_at).desc())
        .limit(SCAN_READ_LIMIT)
    ).all()
    rows: list[tuple[int, str, str | None]] = []
    for at, o, b in reversed(newest):
        if as_int(at) is None:  # damaged storage: reported, the other scans still count
            report(session, "scan", f"{key.gtin}/{key.serial or lot or ''}", "scanned_at", "not a whole number")
            continue
        rows.append((at, str(o), b))
    first = as_int(session.execute(select(func.min(col(Scan.scanned_at))).where(*where)).scalar())
    checked = latest_check(session, key.gtin, key.serial) if key.serial is not None else None
    row = None
    if origin is not None:
        today = list(takewhile(lambda r: day_of(r[0]) == day_of(at_ms), reversed(rows)))
        known = any(o == origin for _, o, _ in today)
        crowded = block is not None and sum(b == block for _, _, b in today) >= SCAN_BLOCK_DAY_ROWS
        if not known and not crowded:
            row = {
                "gtin": key.gtin,
                "lot": lot,
                "serial": key.serial,
                "scanned_at": at_ms,
                "origin": origin,
                "block": block,
            }
            rows.append((at_ms, origin, block))
    start = max(since, checked.at) if checked is not None and checked.state == "cleared" else since
    blocks, days = _spread(r for r in rows if r[0] > start)
    networks = {o for _, o, _ in rows}
    if first is not None:
        first_at: int | None = min(int(first), at_ms) if row is not None else int(first)
    else:
        first_at = at_ms if row is not None else None
    alone = origin is not None and networks <= {origin} and (first is None or int(first) > since)
    stats = ScanStats(
        scans=len(rows),
        places=len(networks),
        first_at=first_at,
        serial=key.serial is not None,
        blocks=blocks,
        days=days,
        checked=checked,
        alone=alone,
        capped=len(newest) >= SCAN_READ_LIMIT,
    )
    return stats, row


def count_scans(
    session: Session, key: CodeKey, lot: str | None, origin: str, at_ms: int, *, block: str | None = None
) -> tuple[ScanStats, dict[str, Any] | None]:
    """The code's scans counting this look-up, and the row that records it (see :func:`scan_stats`)."""
    return scan_stats(session, key, lot, at_ms, origin=origin, block=block)


def store_scan(session: Session, row: Mapping[str, Any]) -> None:
    """Store a scan row of :func:`count_scans` and commit."""
    session.execute(insert(table_of(Scan)).values(dict(row)))
    session.commit()


def record_scan(
    session: Session, key: CodeKey, lot: str | None, origin: str, at_ms: int, *, block: str | None = None
) -> ScanStats:
    """Count and store one look-up of a code (:func:`count_scans`, then :func:`store_scan` when it counts)."""
    stats, row = count_scans(session, key, lot, origin, at_ms, block=block)
    if row is not None:
        store_scan(session, row)
    return stats


# --- the issuer's checks ---


def _issued_serial(session: Session, gtin: str, serial: str) -> IssuedCode:
    """The issued serial (whoever issued it: the caller checked that it may speak for the GTIN)."""
    gtin = CodeKey(gtin, None, serial).gtin
    issued = session.exec(
        select_model(IssuedCode).where(col(IssuedCode.gtin) == gtin, col(IssuedCode.serial) == serial).limit(1)
    ).first()
    if issued is None:
        raise NotFoundError(
            P_("serial {serial} of GTIN {gtin} was not issued here", serial=repr(serial), gtin=gtin),
            gtin=gtin,
            serial=serial,
        )

    return issued


def record_copy_check(
    session: Session, *, org_id: str | None, gtin: str, serial: str, state: CopyState, note: str, now: int
) -> CopyCheck:
    """Record the finding of the GTIN's owner or delegate (``org_id``, checked by the caller with
    :func:`backend.services.ownership.require_gtin_speaker_now`) or of the regulator (``org_id=None``) on a serial;
    it is in force from ``now`` (ms) until the next one.

    Raises:
        NotFoundError: The serial was not issued here.
    """
    gtin = _issued_serial(session, gtin, serial).gtin
    check = CopyCheck(gtin=gtin, serial=serial, state=state, org_id=org_id or REGULATOR, note=note, checked_at=now)
    session.add(check)
    session.commit()
    session.refresh(check)
    return check


def copy_evidence(
    session: Session, *, gtin: str, serial: str, now: int
) -> tuple[IssuedCode, ScanStats, CopyCheck | None]:
    """What the GTIN's owner or delegate, or the regulator, sees of a serial before checking it (the caller checked
    who asks): the issued code, its scans as its page counts them at ``now`` (without counting a look-up), and its
    latest check.

    Raises:
        NotFoundError: The serial was not issued here.
    """
    issued = _issued_serial(session, gtin, serial)
    gtin = issued.gtin
    problem = issued_code_problem(gtin, issued.lot, serial)
    if problem is not None:  # damaged storage (its lot, as the serial and GTIN found it): reported, shown without
        report(session, "issued_code", issued.id, *problem)
        columns = ("id", "gtin", "serial", "org_id", "created_at")
        issued = IssuedCode(**{c: getattr(issued, c) for c in columns})  # a copy without its lot, never written
    stats, _ = scan_stats(session, CodeKey(gtin, issued.lot, serial), issued.lot, now)
    latest = session.exec(
        select_model(CopyCheck)
        .where(col(CopyCheck.gtin) == gtin, col(CopyCheck.serial) == serial)
        .order_by(col(CopyCheck.checked_at).desc(), col(CopyCheck.id).desc())
        .limit(1)
    ).first()
    return issued, stats, latest
