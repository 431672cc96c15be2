"""Recognition credentials on the platform: verified against its registry mirror, stored for their holders, listed
with their current status.

The platform verifies, it does not vouch: a stored credential is the holder's signed token as it was imported, and
every answer about it is a fresh verdict (``supplychain.credentials.verify_credential``) against the registry as
replayed from the chain. A credential is named by the SHA-256 (hex) of its token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.core.errors import P_, NotFoundError, ProblemError
from backend.models import Credential
from backend.services.platform import Platform, now_ms
from supplychain.credentials import (
    MAX_TOKEN_CHARS,
    CredentialVerdict,
    decode_credential,
    token_digest,
    verify_credential,
)
from supplychain.i18n import N_

__all__ = [
    "MAX_CREDENTIAL_BYTES",
    "CredentialRefusedError",
    "Imported",
    "credential_json",
    "find_credential",
    "import_credential",
    "list_credentials",
    "payload_of",
    "verify_token",
]

MAX_CREDENTIAL_BYTES = MAX_TOKEN_CHARS
"""The largest credential accepted (a credential is a few kilobytes)."""


class CredentialRefusedError(ProblemError):
    """A credential the platform will not store: invalid, or not about the caller's organisation."""

    status, code, title = 422, "credential-refused", N_("Credential refused")


def _verifier(platform: Platform) -> Callable[[str | bytes], CredentialVerdict]:
    """Verification against the platform's registry mirror, brought up to date once, at one time."""
    view = platform.registry
    mirror = view.refresh()
    deployment = view.deployment
    now = view.now()  # statuses are judged at the chain's time (or the clock's, when later or the node is down)

    def verify(token: str | bytes) -> CredentialVerdict:
        return verify_credential(
            token, mirror, chain_id=deployment.chain_id, registry_address=deployment.address, now=now
        )

    return verify


def verify_token(platform: Platform, token: str | bytes) -> CredentialVerdict:
    """Verify a credential against the platform's registry mirror (brought up to date first)."""
    return _verifier(platform)(token)


@dataclass(frozen=True)
class Imported:
    """The outcome of an import: the stored row, its verdict now, and whether it was stored by this call."""

    row: Credential
    verdict: CredentialVerdict
    created: bool


def import_credential(platform: Platform, org_id: str, token: str | bytes) -> Imported:
    """Store a credential for the calling organisation: it must be valid (signature, issuer's authority, claims as on
    chain) and about that organisation. The same token again is not stored twice.

    Raises:
        CredentialRefusedError: invalid, or about another organisation (with the verdict's reasons).
    """
    verdict = verify_token(platform, token)
    if not verdict.valid:
        raise CredentialRefusedError(
            P_("the credential is not valid: {reason}", reason=verdict.message),
            reasons=verdict.reasons,
            verdict=verdict.to_json(),
        )
    if verdict.holder != org_id:
        raise CredentialRefusedError(
            P_(
                "the credential is about organisation {holder}, not about {organisation}: an organisation imports "
                "its own credentials",
                holder=verdict.holder,
                organisation=org_id,
            ),
            reasons=["other_organisation"],
            verdict=verdict.to_json(),
        )
    text = token.decode("ascii") if isinstance(token, bytes) else token
    text = text.strip()
    digest = token_digest(text)
    with platform.session() as session:
        existing = _stored(session, digest)
        if existing is not None:
            return Imported(existing, verdict, created=False)
        row = Credential(
            digest=digest,
            org_id=org_id,
            recognition_id=verdict.recognition_id or 0,  # set in every valid verdict
            issuer=verdict.issuer or "",
            credential=text,
            imported_at=now_ms(),
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # the same token imported at the same moment by another request
            session.rollback()
            return Imported(find_credential(session, digest), verdict, created=False)
        session.refresh(row)
        return Imported(row, verdict, created=True)


def _stored(session: Session, digest: str) -> Credential | None:
    return session.exec(select(Credential).where(col(Credential.digest) == digest)).first()


def find_credential(session: Session, digest: str) -> Credential:
    """The stored credential named ``digest``.

    Raises:
        NotFoundError: none is stored.
    """
    row = _stored(session, digest)
    if row is None:
        raise NotFoundError(P_("no credential {digest} is stored here", digest=digest))

    return row


def credential_json(row: Credential, verdict: CredentialVerdict) -> dict[str, Any]:
    """A stored credential's summary with its current verdict's outcome."""
    return {
        "digest": row.digest,
        "href": f"/credentials/{row.digest}",
        "organisationId": row.org_id,
        "recognitionId": row.recognition_id,
        "issuer": row.issuer,
        "importedAt": row.imported_at,
        "valid": verdict.valid,
        "inForce": verdict.in_force,
        "status": verdict.status.value,
        "statusSince": verdict.to_json()["statusSince"],
        "statusReason": verdict.status_reason.to_json() if verdict.status_reason else None,
        "reason": verdict.reason,
        "message": verdict.message,
    }


def list_credentials(
    platform: Platform, *, organisation: str | None = None, recognition: int | None = None
) -> list[tuple[Credential, CredentialVerdict]]:
    """Stored credentials of an organisation and/or a recognition, oldest first, each with a fresh verdict."""
    query = select(Credential)
    if organisation is not None:
        query = query.where(col(Credential.org_id) == organisation)
    if recognition is not None:
        query = query.where(col(Credential.recognition_id) == recognition)
    with platform.session() as session:
        rows = list(session.exec(query.order_by(col(Credential.imported_at), col(Credential.id))).all())
    verify = _verifier(platform)
    return [(row, verify(row.credential)) for row in rows]


def payload_of(row: Credential) -> dict[str, Any]:
    """The credential JSON inside a stored token (read, not verified)."""
    return decode_credential(row.credential).credential
