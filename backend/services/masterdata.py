"""Product master data: a GTIN's owner publishes its signed ``gs1:Product`` (:mod:`supplychain.masterdata`).

Publishing (``POST /products/{gtin}/master-data``) checks, in this order, each refusal a problem with its own code:
the body (at most :data:`MAX_MASTER_DATA_BYTES`: ``413``; nesting, JSON and the envelope's and document's form:
``400 invalid-master-data`` naming the field), the document's GTIN is the one in the path (``400 gtin-mismatch``),
the envelope's organisation is the caller (``403 not-your-organisation``); then against the registry as on chain
(:func:`supplychain.verify.master_data_checks`, judged at the document's ``sc:validFrom``): the hash and signature
(``422 bad-signature``), the key (``422 unknown-key``, ``key-of-another-organisation``, ``key-not-valid``; also
``key-revoked`` when it is revoked by now, as capture refuses), the organisation (``422
organisation-not-registered``, ``organisation-suspended``), that the caller owns the GTIN or is its owner's delegate,
at ``sc:validFrom`` and now (``403 not-gtin-owner``), a cited green product recognition (``422
recognition-not-held``), a publication time in the future (``422 valid-from-in-future``: beyond the clock skew
capture allows); and the versions so far: the same document again is answered with the stored one (idempotent), a
version not above the GTIN's latest or published before it is ``409 version-conflict``.

A stored version waits for the anchoring worker, which puts its document hash into the next batch with the events
(:mod:`backend.services.anchoring`). The current version of a GTIN is its highest; pages show it while it is valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.core.errors import (
    P_,
    BadParameterError,
    ConflictError,
    ForbiddenError,
    LimitExceededError,
    NotFoundError,
    ProblemError,
    Text,
)
from backend.models import Batch, MasterData, table_of
from backend.services.damage import BATCH_STATUSES, as_int, report, stored_anchor
from backend.services.ownership import fresher_mirror, speaking_mirror
from backend.services.platform import Platform, now_ms
from supplychain.errors import InvalidGs1KeyError, MasterDataFormatError, MasterDataLimitError
from supplychain.gs1 import parse_gtin
from supplychain.masterdata import MAX_SIGNED_BYTES, ProductMasterData, SignedMasterData, product_time, read_signed
from supplychain.registry import RegistryMirror
from supplychain.verify import BundleMasterData, Check, master_data_checks

__all__ = [
    "MAX_MASTER_DATA_BYTES",
    "Published",
    "bundle_master_data",
    "current_master_data",
    "current_products",
    "find_master_data",
    "master_data_json",
    "parse_gtin_parameter",
    "publish_master_data",
]

MAX_MASTER_DATA_BYTES = MAX_SIGNED_BYTES
"""A signed master data envelope is at most this long (64 KiB)."""
MD: Table = table_of(MasterData)
BA: Table = table_of(Batch)
# registry codes of supplychain.verify -> (HTTP status, problem code)
_REFUSALS = {
    "malformed_master_data": (400, "invalid-master-data"),
    "bad_signature": (422, "bad-signature"),
    "master_data_hash_mismatch": (422, "bad-signature"),
    "key_not_registered": (422, "unknown-key"),
    "key_not_yet_valid": (422, "key-not-valid"),
    "key_revoked": (422, "key-not-valid"),
    "organisation_not_registered": (422, "organisation-not-registered"),
    "organisation_suspended": (422, "organisation-suspended"),
    "recognition_not_held": (422, "recognition-not-held"),
}


def parse_gtin_parameter(text: str) -> str:
    """A GTIN in a path (8, 12, 13 or 14 digits, check digit verified) as 14 digits.

    Raises:
        BadParameterError: Anything else.
    """
    try:
        return parse_gtin(text)
    except InvalidGs1KeyError as exc:
        raise BadParameterError("gtin", str(exc)) from None


@dataclass(frozen=True)
class Published:
    """A publication's outcome: the stored row and whether this request stored it."""

    row: MasterData
    created: bool


def _read(body: bytes) -> SignedMasterData:
    try:
        return read_signed(body)
    except MasterDataLimitError as exc:
        if exc.limit_name == "max_bytes":
            raise LimitExceededError(
                P_(
                    "the master data is {size} bytes; at most {maximum} are accepted",
                    size=exc.actual,
                    maximum=exc.maximum,
                ),
                limit="max_master_data_bytes",
                maximum=exc.maximum,
            ) from None
        raise ProblemError(
            str(exc), code="invalid-master-data", field=exc.field, limit=exc.limit_name, maximum=exc.maximum
        ) from None
    except MasterDataFormatError as exc:
        raise ProblemError(str(exc), code="invalid-master-data", field=exc.field) from None


def _owner_refusal(mirror: RegistryMirror, gtin: str, org_id: str, t: int, when: Text) -> ForbiddenError:
    owner = mirror.gtin_owner_at(gtin, t)
    prefix = mirror.company_prefix_at(gtin, t)
    if owner is None:
        detail = P_(
            "organisation {organisation} may not publish master data for GTIN {gtin}: nobody holds its company "
            "prefix on chain {when}, so nobody owns it",
            organisation=org_id,
            gtin=gtin,
            when=when,
        )
    else:
        detail = P_(
            "organisation {organisation} may not publish master data for GTIN {gtin}: its owner {when} is {owner} "
            "(company prefix {prefix}), and {organisation} is not a delegate of it",
            organisation=org_id,
            gtin=gtin,
            when=when,
            owner=owner,
            prefix=prefix,
        )
    return ForbiddenError(detail, code="not-gtin-owner", gtin=gtin, owner=owner, organisation=org_id)


def _refusal(check: Check, signed: SignedMasterData, mirror: RegistryMirror) -> ProblemError:
    org, gtin = signed.organisation_id, signed.product.gtin
    code = check.code or check.name
    if code == "not_gtin_owner":
        when = P_("at sc:validFrom ({time})", time=_at(signed))
        return _owner_refusal(mirror, gtin, org, signed.product.valid_from, when)
    status, problem = _REFUSALS.get(code, (422, code.replace("_", "-")))
    key = mirror.keys.get(bytes.fromhex(signed.key_id[2:]))
    if code == "key_not_registered" and key is not None:
        problem = "key-of-another-organisation"
    return ProblemError(check.detail, status=status, code=problem, check=code)  # the core's words: English


def _at(signed: SignedMasterData) -> str:
    return product_time(signed.product.valid_from)


def _mirror(platform: Platform, signed: SignedMasterData) -> RegistryMirror:
    mirror, now = speaking_mirror(platform, [bytes.fromhex(signed.key_id[2:])])
    gtin, org = signed.product.gtin, signed.organisation_id
    if not mirror.may_speak_for_gtin_at(gtin, org, now):
        mirror = fresher_mirror(platform) or mirror  # a prefix or delegation filed since the last look counts
    return mirror


def _check_now(platform: Platform, mirror: RegistryMirror, signed: SignedMasterData) -> None:
    """What must also hold now: the key not revoked, the organisation not suspended, the authority over the GTIN
    (a former owner cannot backdate a publication), a publication time not in the future."""
    org, gtin = signed.organisation_id, signed.product.gtin
    now = platform.registry.now()
    key = mirror.keys.get(bytes.fromhex(signed.key_id[2:]))
    if key is not None and key.revoked_at is not None:
        raise ProblemError(
            P_("key {key} was revoked at {time}", key=signed.key_id, time=key.revoked_at),
            status=422,
            code="key-revoked",
            check="key_revoked",
        )
    state = mirror.organisations.get(org)
    if state is not None and state.suspended:
        raise ProblemError(
            P_("organisation {organisation} is suspended", organisation=org), status=422, code="organisation-suspended"
        )
    skew = platform.settings.clock_skew_seconds
    if signed.product.valid_from > now + skew:
        raise ProblemError(
            P_(
                "sc:validFrom {time} is over {skew} s after now ({now})",
                time=_at(signed),
                skew=skew,
                now=product_time(now),
            ),
            status=422,
            code="valid-from-in-future",
            field="document.sc:validFrom",
        )
    if not mirror.may_speak_for_gtin_at(gtin, org, now):
        raise _owner_refusal(mirror, gtin, org, now, P_("now"))


def publish_master_data(platform: Platform, org_id: str, gtin: str, body: bytes) -> Published:
    """Check and store a signed master data envelope posted by ``org_id`` for ``gtin`` (see the module docstring).

    Raises:
        ProblemError: the refusals of the module docstring (``ForbiddenError``, ``ConflictError``...).
    """
    signed = _read(body)
    product = signed.product
    if product.gtin != gtin:
        raise ProblemError(
            P_("the document is about GTIN {about}, but it was posted for GTIN {gtin}", about=product.gtin, gtin=gtin),
            code="gtin-mismatch",
            field="document.gs1:gtin",
        )
    if signed.organisation_id != org_id:
        raise ForbiddenError(
            P_(
                "the master data is signed for organisation {signer}; your token is {organisation}'s",
                signer=signed.organisation_id,
                organisation=org_id,
            ),
            code="not-your-organisation",
        )
    mirror = _mirror(platform, signed)
    _, checks = master_data_checks(signed.to_json(), mirror, gtin=gtin)
    failed = next((c for c in checks if c.passed is False), None)
    if failed is not None:
        raise _refusal(failed, signed, mirror)
    _check_now(platform, mirror, signed)
    return _store(platform, signed)


def _store(platform: Platform, signed: SignedMasterData) -> Published:
    product = signed.product
    with platform.session() as session:
        same = session.execute(select(MD.c.id).where(MD.c.document_hash == signed.hash_hex)).first()
        if same is not None:
            stored = session.get(MasterData, same.id)
            assert stored is not None  # noqa: S101 - just found
            return Published(stored, created=False)
        latest = _latest(session, product.gtin)
        if latest is not None and (product.version <= latest.version or product.valid_from < latest.valid_from):
            raise ConflictError(
                P_(
                    "GTIN {gtin} already has version {version} (sc:validFrom {time}); publish version {next} or "
                    "later, valid from then or later",
                    gtin=product.gtin,
                    version=latest.version,
                    time=product_time(latest.valid_from),
                    next=latest.version + 1,
                ),
                code="version-conflict",
                gtin=product.gtin,
                latestVersion=latest.version,
            )
        row = MasterData(
            gtin=product.gtin,
            version=product.version,
            org_id=signed.organisation_id,
            key_id=signed.key_id,
            signature=signed.signature,
            document_hash=signed.hash_hex,
            envelope=json.dumps(signed.to_json(), ensure_ascii=False, separators=(",", ":")),
            valid_from=product.valid_from,
            valid_until=product.valid_until,
            received_at=now_ms(),
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent publication of the same version
            session.rollback()
            raise ConflictError(
                P_(
                    "GTIN {gtin} version {version} was published meanwhile",
                    gtin=product.gtin,
                    version=product.version,
                ),
                code="version-conflict",
            ) from None
        session.refresh(row)
        return Published(row, created=True)


def _latest(session: Session, gtin: str) -> Row[Any] | None:
    return session.execute(
        select(MD.c.version, MD.c.valid_from).where(MD.c.gtin == gtin).order_by(MD.c.version.desc()).limit(1)
    ).first()


def find_master_data(session: Session, gtin: str, version: int | None = None) -> MasterData:
    """A GTIN's master data: its latest version, or ``version``.

    Raises:
        NotFoundError: none was published (or not that version).
    """
    found = current_master_data(session, gtin) if version is None else _version(session, gtin, version)
    if found is None:
        if version is None:
            detail = P_("no master data was published for GTIN {gtin}", gtin=gtin)
        else:
            detail = P_(
                "no version {version} of the master data was published for GTIN {gtin}", version=version, gtin=gtin
            )
        raise NotFoundError(detail, gtin=gtin)

    return found


def _version(session: Session, gtin: str, version: int) -> MasterData | None:
    row = session.execute(select(MD.c.id).where(MD.c.gtin == gtin, MD.c.version == version)).first()
    return None if row is None else session.get(MasterData, row.id)


def current_master_data(session: Session, gtin: str) -> MasterData | None:
    """The latest version of a GTIN's master data, or ``None``."""
    row = session.execute(select(MD.c.id).where(MD.c.gtin == gtin).order_by(MD.c.version.desc()).limit(1)).first()
    return None if row is None else session.get(MasterData, row.id)


def current_products(session: Session, gtins: Iterable[str]) -> dict[str, tuple[ProductMasterData, str]]:
    """The latest version of each GTIN's master data that has some: what it says and who signed it (one query per
    500 GTINs, one row per GTIN)."""
    wanted = sorted(set(gtins))
    found: dict[str, tuple[ProductMasterData, str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        latest = (
            select(MD.c.gtin, func.max(MD.c.version).label("version")).where(MD.c.gtin.in_(chunk)).group_by(MD.c.gtin)
        ).subquery()
        rows = session.execute(
            select(MD.c.gtin, MD.c.envelope, MD.c.org_id).join(
                latest, (MD.c.gtin == latest.c.gtin) & (MD.c.version == latest.c.version)
            )
        )
        for gtin, envelope, org_id in rows:
            signed = _stored_signed(session, gtin, envelope)
            if signed is not None:  # else reported, and the product goes without its signed name
                found[gtin] = (signed.product, org_id)
    return found


def _stored_signed(session: Session, key: object, envelope: object) -> SignedMasterData | None:
    """A stored envelope read back, or ``None`` when it no longer reads (reported: :mod:`backend.services.damage`)."""
    try:
        return read_signed(envelope.encode() if isinstance(envelope, str) else b"")
    except (MasterDataFormatError, MasterDataLimitError, ValueError) as exc:
        report(session, "master_data", key, "envelope", f"not a readable signed envelope: {exc}")
        return None


def _batch(session: Session, row: MasterData) -> Row[Any] | None:
    """The version's batch; a ``batch_id`` naming no stored batch and a status the platform never gives are
    reported (damaged storage: read as not anchored)."""
    if row.batch_id is None:
        return None
    batch = session.execute(select(BA).where(BA.c.id == row.batch_id)).first()
    if batch is None:
        report(session, "master_data", row.id, "batch_id", f"names batch {row.batch_id!r:.30}, which is not stored")
    elif batch.status not in BATCH_STATUSES:
        report(session, "batch", batch.id, "status", f"{batch.status!r:.40} is not a batch status")
    return batch


def bundle_master_data(session: Session, gtin: str | None) -> BundleMasterData | None:
    """The current master data of ``gtin`` as a proof bundle carries it (proof and anchor once anchored)."""
    row = current_master_data(session, gtin) if gtin is not None else None
    if row is None:
        return None
    if _stored_signed(session, row.id, row.envelope) is None:
        return None  # damaged, and reported: the bundle goes without the product's signed name
    envelope = json.loads(row.envelope)
    batch = _batch(session, row) if as_int(row.batch_id) is not None else None
    anchor = None
    if batch is not None and batch.status == "anchored" and row.proof is not None:
        anchor = stored_anchor(session, row, batch, table="master_data")  # None (reported) when it does not read
    if anchor is None:
        return BundleMasterData(envelope, None, None, None)
    return BundleMasterData(envelope, *anchor)


def master_data_json(session: Session, row: MasterData, *, now: int) -> dict[str, Any]:
    """The API's view of a stored version: what it says, who signed it, whether it holds at ``now`` (s), the signed
    envelope, its anchor."""
    from backend.services.queries import anchor_json

    signed = _stored_signed(session, row.id, row.envelope)
    if signed is None or as_int(row.valid_from) is None or as_int(row.version) is None:
        if signed is not None:
            report(session, "master_data", row.id, "valid_from/version", "not a whole number")
        return {  # what is stored, and that it does not read: no 500, nothing made up
            "gtin": row.gtin,
            "version": as_int(row.version),
            "organisationId": row.org_id,
            "documentHash": row.document_hash,
            "damaged": [{"table": "master_data", "key": str(row.id), "reason": "the stored record does not read"}],
        }
    envelope = json.loads(row.envelope)
    product = signed.product
    net = product.net_content
    latest = _latest(session, row.gtin)
    return {
        "gtin": row.gtin,
        "version": row.version,
        "latestVersion": latest.version if latest is not None else row.version,
        "organisationId": row.org_id,
        "names": dict(product.names),
        "brand": dict(product.brand) or None,
        "netContent": None if net is None else {"value": net[0], "unitCode": net[1]},
        "images": list(product.images),
        "countryOfOrigin": product.country,
        "greenProductRecognition": product.green_product_recognition,
        "validFrom": product_time(row.valid_from),
        "validUntil": None if row.valid_until is None else product_time(row.valid_until),
        "validNow": product.valid_at(now),
        "documentHash": row.document_hash,
        "signed": envelope,
        "anchor": anchor_json(row, _batch(session, row)),
    }
