"""Browser sessions: what the sign-in cookie holds instead of the API token.

A browser signs in once with its organisation's API token (``/login``); the cookie it gets back names the token's
row and an expiry, authenticated with an HMAC under a key derived from the platform's receipt key (so every server
process of one data folder accepts it, and no other platform does). The token itself never leaves the form: a
stolen cookie opens the organisation's pages for at most the rest of its eight hours and cannot be used as an API
token, and revoking the token ends every session made with it.

Format: ``v1.{token id}.{expires, s}.{HMAC-SHA256, base64url}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["SESSION_SECONDS", "issue_session", "session_key", "session_token_id"]

SESSION_SECONDS = 8 * 3600
_VERSION = "v1"


def session_key(platform_secret: bytes) -> bytes:
    """The sessions' HMAC key, derived from a platform secret (its receipt key's seed)."""
    return hmac.new(platform_secret, b"supplychain browser session v1", hashlib.sha256).digest()


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_session(key: bytes, token_id: int, *, now: int, seconds: int = SESSION_SECONDS) -> str:
    """A cookie value for the token with row id ``token_id``, valid for ``seconds`` from ``now`` (s)."""
    payload = f"{_VERSION}.{token_id}.{now + seconds}"
    return f"{payload}.{_mac(key, payload)}"


def session_token_id(key: bytes, value: str, *, now: int) -> int | None:
    """The token row id a cookie value names, or ``None`` when it is malformed, forged or expired at ``now``."""
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3].encode("ascii", "replace"), _mac(key, payload).encode("ascii")):
        return None
    if int(parts[2]) <= now:
        return None
    return int(parts[1])
