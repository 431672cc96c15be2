"""Exceptions of the credentials package (a family under :class:`supplychain.errors.TraceError`).

Tree::

    TraceError
    └── CredentialError
        ├── CredentialFormatError (ValueError)   not a credential token: JWS, base64url, JSON, header or shape
        └── CredentialIssueError (ValueError)    a credential cannot be built or signed as asked

Verification never raises these: :func:`~supplychain.credentials.verify_credential` turns every problem into a
verdict with a stable reason code.
"""

from __future__ import annotations

from supplychain.errors import TraceError

__all__ = ["CredentialError", "CredentialFormatError", "CredentialIssueError"]


class CredentialError(TraceError):
    """Anything wrong with a verifiable credential of a recognition."""


class CredentialFormatError(CredentialError, ValueError):
    """The text is not a compact JWS holding a credential of the documented form; the message says which part."""


class CredentialIssueError(CredentialError, ValueError):
    """A credential cannot be built or signed as asked (wrong key, terms that cannot be written)."""
