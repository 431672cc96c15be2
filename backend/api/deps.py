"""Request dependencies: the platform, a database session, the authenticated organisation or regulator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, col, select

from backend.core.errors import ForbiddenError, UnauthorizedError
from backend.models import ApiToken
from backend.services.platform import Platform, hash_token

__all__ = ["CurrentOrg", "PlatformDep", "Principal", "RegulatorDep", "SessionDep"]


def get_platform(request: Request) -> Platform:
    """The platform of this process."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    """A database session for the request."""
    with platform.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
_bearer = HTTPBearer(auto_error=False, description="An API token issued by `supplychain tokens create`.")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organisation (``org_id``) or the regulator (``org_id`` is None)."""

    role: str
    org_id: str | None


def get_principal(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("send an API token as 'Authorization: Bearer <token>'")
    query = select(ApiToken).where(col(ApiToken.token_hash) == hash_token(credentials.credentials))
    token = session.exec(query).first()
    if token is None or token.revoked_at is not None:
        raise UnauthorizedError("the API token is unknown or revoked")
    return Principal(token.role, token.org_id)


def get_organisation(principal: Annotated[Principal, Depends(get_principal)]) -> str:
    """The calling organisation's id (the regulator has none)."""
    if principal.org_id is None:
        raise ForbiddenError("this route is for organisations; the regulator's token cannot submit events")
    return principal.org_id


def get_regulator(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The regulator (refuses organisations' tokens)."""
    if principal.role != "regulator":
        raise ForbiddenError("this route is for the regulator")
    return principal


CurrentOrg = Annotated[str, Depends(get_organisation)]
RegulatorDep = Annotated[Principal, Depends(get_regulator)]
