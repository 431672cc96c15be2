"""Request dependencies: the platform, a database session, the authenticated organisation or regulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, col, select

from backend.core.errors import P_, ForbiddenError, UnauthorizedError
from backend.models import ApiToken
from backend.services.platform import Platform, hash_token
from backend.services.sessions import session_token

__all__ = ["SESSION_COOKIE", "CurrentOrg", "PlatformDep", "Principal", "RegulatorDep", "SessionDep"]


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


SESSION_COOKIE = "sc_session"
"""The cookie a browser signs in with (``/login``): a session naming the API token, not the token
(:mod:`backend.services.sessions`: a server-side row that ``/logout`` ends); HttpOnly, accepted on GET requests only,
so that a page of another site cannot make a signed-in browser change anything."""


def get_principal(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>`` (or, for pages, the sign-in cookie)."""
    token: ApiToken | None
    if credentials is not None and credentials.scheme.lower() == "bearer" and credentials.credentials:
        query = select(ApiToken).where(col(ApiToken.token_hash) == hash_token(credentials.credentials))
        token = session.exec(query).first()
    elif request.method in ("GET", "HEAD") and (cookie := request.cookies.get(SESSION_COOKIE)):
        token = session_token(session, platform.session_key, cookie, now=int(time.time()))
        if token is None:
            raise UnauthorizedError(P_("the sign-in has expired, ended or is not valid: sign in again at /login"))
    else:
        raise UnauthorizedError(
            P_("send an API token as 'Authorization: Bearer <token>' (browsers: sign in at /login)")
        )
    if token is None or token.revoked_at is not None:
        raise UnauthorizedError(P_("the API token is unknown or revoked"))
    return Principal(token.role, token.org_id)


def get_organisation(principal: Annotated[Principal, Depends(get_principal)]) -> str:
    """The calling organisation's id (the regulator has none)."""
    if principal.org_id is None:
        raise ForbiddenError(P_("this route is for organisations; the regulator's token cannot submit events"))
    return principal.org_id


def get_regulator(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The regulator (refuses organisations' tokens)."""
    if principal.role != "regulator":
        raise ForbiddenError(P_("this route is for the regulator"))

    return principal


CurrentOrg = Annotated[str, Depends(get_organisation)]
RegulatorDep = Annotated[Principal, Depends(get_regulator)]
