"""Browser sessions: what the sign-in cookie holds instead of the API token, and the sign-in form's CSRF token.

A browser signs in once with its organisation's API token (``/login``); the cookie it gets back names a **session
row** (table ``browser_session``), authenticated with an HMAC under a key derived from the platform's receipt key (so
every server process of one data folder accepts it, and no other platform does). The token itself never leaves the
form: a stolen cookie opens the organisation's pages for at most the rest of its eight hours and cannot be used as an
API token; signing out (``POST /logout``) marks the row ended, so a copy of the cookie stops working at once; and
revoking the token ends every session made with it.

Why rows rather than a revocation list: a list of revoked cookies would have to be kept, and looked up on every
request, until each cookie's expiry anyway, so it costs the same storage and the same look-up as one row per session,
while a row also knows its token (revoking a token or "sign out everywhere" is one ``UPDATE``), has nothing to
forget while it is still needed, and lets an operator see who is signed in. The row holds the SHA-256 of the
session's random id, not the id: a copy of the database opens no session. The HMAC lets a forged or foreign cookie be
refused without a database look-up. Rows are deleted a day after they expire, when a new session is opened.

Cookie format: ``v2.{session id: 22 base64url characters, 128 random bits}.{HMAC-SHA256, base64url}``. Cookies of
format ``v1`` (before session rows: token id and expiry only) are refused: their browsers sign in again.

Sign-in form (CSRF, double submit): ``GET /login`` sets a pre-login cookie holding a random nonce and puts
``{expires, s}.{nonce}.{HMAC}`` in a hidden field; ``POST /login`` is refused unless the field is signed by this
platform, unexpired, and names the nonce of the browser's own cookie. A page of another site can neither read the
field nor set the cookie, so it cannot sign a browser in (into the attacker's organisation, say).

Everything parsed here is ASCII by construction: a value with any other character is refused before it is decoded,
and numbers are ASCII digits only (``str.isdigit`` accepts ``²``, which ``int`` refuses).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy import delete, update
from sqlmodel import Session

from backend.core.errors import P_, Text
from backend.models import ApiToken, BrowserSession, table_of

__all__ = [
    "LOGIN_FORM_SECONDS",
    "SESSION_SECONDS",
    "end_session",
    "issue_login_form",
    "login_form_problem",
    "open_session",
    "session_id",
    "session_key",
    "session_token",
]

SESSION_SECONDS = 8 * 3600
LOGIN_FORM_SECONDS = 3600
"""How long a sign-in form may be left open before it is sent."""
_VERSION = "v2"
_KEEP_EXPIRED = 86_400
_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_MAC = re.compile(r"[A-Za-z0-9_-]{43}")
_TABLE = table_of(BrowserSession)
_DIGITS = re.compile(r"[0-9]{1,12}")  # ASCII digits: not ``\d``, which takes any Unicode digit


def session_key(platform_secret: bytes) -> bytes:
    """The sessions' HMAC key, derived from a platform secret (its receipt key's seed)."""
    return hmac.new(platform_secret, b"supplychain browser session v1", hashlib.sha256).digest()


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


def session_id(key: bytes, value: str) -> str | None:
    """The session id a cookie value names, or ``None`` when it is malformed, of another version, or forged."""
    if not value.isascii():
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != _VERSION or not _ID.fullmatch(parts[1]) or not _MAC.fullmatch(parts[2]):
        return None
    if not hmac.compare_digest(parts[2], _mac(key, f"{_VERSION}.{parts[1]}")):
        return None
    return parts[1]


def open_session(db: Session, key: bytes, token_id: int, *, now: int, seconds: int = SESSION_SECONDS) -> str:
    """Store a new session of the token with row id ``token_id``, valid for ``seconds`` from ``now`` (s); its cookie
    value. Sessions that expired more than a day ago are deleted on the way."""
    db.execute(delete(_TABLE).where(_TABLE.c.expires_at < now - _KEEP_EXPIRED))
    sid = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")
    db.add(BrowserSession(id=_digest(sid), token_id=token_id, created_at=now, expires_at=now + seconds))
    db.commit()
    payload = f"{_VERSION}.{sid}"
    return f"{payload}.{_mac(key, payload)}"


def session_token(db: Session, key: bytes, value: str, *, now: int) -> ApiToken | None:
    """The API token a cookie value's session was opened with, or ``None`` when the cookie is malformed or forged,
    or its session is unknown, ended (signed out) or expired at ``now``. The token may since have been revoked:
    the caller checks ``revoked_at``."""
    sid = session_id(key, value)
    if sid is None:
        return None
    row = db.get(BrowserSession, _digest(sid))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return db.get(ApiToken, row.token_id)


def end_session(db: Session, key: bytes, value: str, *, now: int) -> bool:
    """Sign out: end the session a cookie value names (a copy of the cookie stops working); whether one was ended."""
    sid = session_id(key, value)
    if sid is None:
        return False
    ended = db.execute(
        update(_TABLE)
        .where(_TABLE.c.id == _digest(sid), _TABLE.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(_TABLE.c.id)
    ).first()
    db.commit()
    return ended is not None


def issue_login_form(key: bytes, *, now: int, nonce: str | None = None) -> tuple[str, str]:
    """A sign-in form's ``(nonce, field)``: the nonce goes in the pre-login cookie, the field in the form. The
    browser's current nonce (its pre-login cookie) is kept when it has a well-formed one, so that forms opened in
    several tabs all stay valid; otherwise a new one is drawn."""
    if nonce is None or not nonce.isascii() or not _ID.fullmatch(nonce):
        nonce = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")
    payload = f"login.{now + LOGIN_FORM_SECONDS}.{nonce}"
    return nonce, f"{now + LOGIN_FORM_SECONDS}.{nonce}.{_mac(key, payload)}"


def login_form_problem(key: bytes, field: str | None, nonce: str | None, *, now: int) -> Text | None:
    """Why a sign-in form's CSRF field does not hold (``None`` when it does), words said in the form's language:
    missing, forged, expired, or not the form of this browser (its pre-login cookie holds another nonce, or none)."""
    if not field:
        return P_("the form has no CSRF token: open the sign-in page again")
    parts = field.split(".")
    if (
        not field.isascii()
        or len(parts) != 3
        or not _DIGITS.fullmatch(parts[0])
        or not _ID.fullmatch(parts[1])
        or not hmac.compare_digest(parts[2], _mac(key, f"login.{parts[0]}.{parts[1]}"))
    ):
        return P_("the form's CSRF token is not valid: open the sign-in page again")
    if int(parts[0]) <= now:
        return P_("the sign-in form has expired: open the sign-in page again")
    if not nonce or not nonce.isascii() or not hmac.compare_digest(parts[1], nonce):
        return P_(
            "the form was not opened in this browser (its sign-in cookie is missing): open the sign-in page again"
        )
    return None
